// `protosmith generate --check` is CI's guard that generated/ is what specs/ say: it must name every stale
// file (changed, missing, no longer generated) and write nothing; `generate` must then repair all of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../generator/generate.ts';

const root = join(import.meta.dirname, '..');

function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-generate-'));
  cpSync(join(root, 'specs'), join(dir, 'specs'), { recursive: true });
  cpSync(join(root, 'generated'), join(dir, 'generated'), { recursive: true });
  return dir;
}

test('generate --check passes on the committed tree and writes nothing', async () => {
  const dir = copyProject();
  try {
    const { stale, written } = await generate(dir, true);
    assert.equal(stale, []);
    assert.is(written, 0);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('generate --check names an edited, a missing and an orphan file, and leaves them as they are', async () => {
  const dir = copyProject();
  try {
    const edited = join(dir, 'generated/tls13/messages/alert.ts');
    writeFileSync(edited, readFileSync(edited, 'utf8') + '\n// hand edit\n');
    unlinkSync(join(dir, 'generated/tls13/machines/server.mmd'));
    writeFileSync(join(dir, 'generated/tls13/orphan.ts'), '// left behind by a deleted spec\n');
    const { stale } = await generate(dir, true);
    assert.equal(stale.sort(), [
      'generated/tls13/machines/server.mmd (missing)',
      'generated/tls13/messages/alert.ts (differs)',
      'generated/tls13/orphan.ts (no longer generated)',
    ]);
    assert.match(readFileSync(edited, 'utf8'), /hand edit/);
    assert.not.ok(existsSync(join(dir, 'generated/tls13/machines/server.mmd')));

    await generate(dir, false);
    assert.equal((await generate(dir, true)).stale, []);
    assert.not.ok(existsSync(join(dir, 'generated/tls13/orphan.ts')));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a spec change makes its generated file stale', async () => {
  const dir = copyProject();
  try {
    const spec = join(dir, 'specs/tls13/messages/alert.ksy');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('Both bytes are open enums', 'Both bytes (edited) are open enums'));
    const { stale } = await generate(dir, true);
    assert.ok(stale.some((s) => s.startsWith('generated/tls13/messages/alert.ts')), stale.join(', '));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
