// Every spec protosmith reads must stay valid Kaitai: the fixture specs (with their imports) compile
// with kaitai-struct-compiler 0.11, so Kaitai's own tools read them too. (The TLS specs are covered by
// test/differential.) The protosmith-only `-` keys are ignored by Kaitai.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { arbitraryFor, loadProgram } from './arbitrary.ts';
import { FIXTURES, importFixture, ROOT } from './support.ts';

const require = createRequire(import.meta.url);
const ksc = require('kaitai-struct-compiler') as { compile(lang: string, ksy: unknown, importer: unknown, debug: boolean): Promise<Record<string, string>> };

function importerFor(dir: string) {
  return { importYaml: (name: string): Promise<unknown> => Promise.resolve(parse(readFileSync(join(dir, `${name}.ksy`), 'utf8'))) };
}

test('the fixture specs compile with kaitai-struct-compiler 0.11 (imports resolved)', async () => {
  const file = join(FIXTURES, 'packet.ksy');
  const out = await ksc.compile('javascript', parse(readFileSync(file, 'utf8')), importerFor(dirname(file)), false);
  assert.equal(Object.keys(out).sort(), ['Packet.js', 'Shapes.js']);
  const names = await ksc.compile('javascript', parse(readFileSync(join(FIXTURES, 'names.ksy'), 'utf8')), importerFor(FIXTURES), false);
  assert.equal(Object.keys(names), ['Names.js']);
});

test("Kaitai's own parser reads the bytes our generated encoder writes, field for field", async () => {
  const out = await ksc.compile('javascript', parse(readFileSync(join(FIXTURES, 'packet.ksy'), 'utf8')), importerFor(FIXTURES), false);
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-ksc-'));
  try {
    for (const [name, src] of Object.entries(out)) writeFileSync(join(dir, name), src);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const req = createRequire(join(dir, 'index.js'));
    const Packet = (req('./Packet.js') as { Packet: new (io: unknown) => Record<string, unknown> }).Packet;
    const KaitaiStream = req('kaitai-struct/KaitaiStream') as new (b: Uint8Array) => unknown;
    const program = loadProgram(['test/codec/fixtures/packet.ksy']);
    const mod = await importFixture('packet');
    const encodePacket = mod.encodePacket as (v: unknown) => Uint8Array;
    fc.assert(fc.property(arbitraryFor(program, 'Packet'), (v) => {
      const bytes = encodePacket(v);
      const k = new Packet(new KaitaiStream(bytes));
      assert.is(k.version, v.version);
      assert.is(k.flags, v.flags);
      assert.equal([...(k.name as Uint8Array)], [...(v.name as Uint8Array)]);
      assert.is((k.shapes as unknown[]).length, (v.shapes as unknown[]).length);
      const kb = k.body as { level: number; notes: { text: Uint8Array; since?: number | null }[] };
      const vb = v.body as { level: number; notes: { text: Uint8Array; since?: number }[] };
      assert.is(kb.level, vb.level);
      assert.equal(kb.notes.map((n) => [...n.text]), vb.notes.map((n) => [...n.text]));
      // `since` depends on _root.version: Kaitai and protosmith agree on when it is present
      assert.equal(kb.notes.map((n) => n.since ?? undefined), vb.notes.map((n) => n.since));
      assert.equal([...(k.trailer as Uint8Array)], [...(v.trailer as Uint8Array)]);
    }), { numRuns: 100 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
