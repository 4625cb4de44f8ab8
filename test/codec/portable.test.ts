// Generated code is portable: `protosmith compile` output imports the runtime as `protosmith/codec`
// (package.json exports -> dist/codec, built by prepack), so it type-checks under a plain strict NodeNext
// tsconfig in a fresh project and runs on plain Node with protosmith installed from `npm pack`'s tarball.
// The tarball is unpacked where `npm install` would put it (node_modules/protosmith): an offline install
// cannot fetch protosmith's own dependencies, and the codec runtime uses none of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as compile } from '../../runtime/cli/commands/compile.ts';
import { FIXTURES, ROOT } from './support.ts';

const tmp = mkdtempSync(join(tmpdir(), 'protosmith-portable-'));
const proj = join(tmp, 'consumer');
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const sh = (cmd: string, args: string[], cwd: string): string => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  assert.is(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
};

async function quiet(f: () => Promise<number>): Promise<number> {
  const o = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try { return await f(); } finally { process.stdout.write = o; }
}

test('npm pack ships dist/codec (JavaScript and declarations) and package.json exports it as protosmith/codec', () => {
  sh('npm', ['pack', '--silent', '--pack-destination', tmp], ROOT);
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, 'npm pack wrote no tarball');
  const files = sh('tar', ['-tzf', join(tmp, tgz)], tmp).split('\n');
  for (const f of ['index.js', 'index.d.ts', 'reader.js', 'writer.js', 'errors.d.ts']) assert.ok(files.includes(`package/dist/codec/${f}`), `tarball lacks dist/codec/${f}`);
  assert.not.ok(files.some((f) => f.startsWith('package/test/')), 'tests are not shipped');
  mkdirSync(join(proj, 'node_modules', 'protosmith'), { recursive: true });
  sh('tar', ['-xzf', join(tmp, tgz), '-C', join(proj, 'node_modules', 'protosmith'), '--strip-components=1'], tmp);
  const pkg = JSON.parse(readFileSync(join(proj, 'node_modules', 'protosmith', 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  assert.equal(pkg.exports['./codec'], { types: './dist/codec/index.d.ts', default: './dist/codec/index.js' });
});

test('compile output imports protosmith/codec and its sibling specs as .js, and type-checks under plain strict NodeNext', async () => {
  const src = join(proj, 'src');
  assert.is(await quiet(() => compile([join(FIXTURES, 'packet.ksy'), join(FIXTURES, 'numbers.ksy'), '--out', src])), 0);
  const packet = readFileSync(join(src, 'packet.ts'), 'utf8');
  assert.match(packet, /^import \{ [^}]+ \} from 'protosmith\/codec';$/m);
  assert.match(packet, /from '\.\/shapes\.js';$/m);
  assert.not.match(packet, /\.ts';$/m);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, rootDir: 'src', outDir: 'out', types: [], lib: ['ES2022'] },
    include: ['src'],
  }));
  symlinkSync(join(ROOT, 'node_modules', 'typescript'), join(proj, 'node_modules', 'typescript'), 'dir');
  sh(process.execPath, [join(proj, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', proj], proj);
});

test('the emitted JavaScript runs on plain Node (no tsx) against the packed runtime: decode then encode gives the same bytes', () => {
  const bytes = '4e554d341212345678feff80fffffffe0100000000000080fffffffffffffffd0000c03fc0040000000000000102ffffff9c020100000003';
  writeFileSync(join(proj, 'check.mjs'), `
import { decodeNumbers, encodeNumbers } from './out/numbers.js';
import { DecodeError } from 'protosmith/codec';
const v = decodeNumbers(Uint8Array.from(Buffer.from('${bytes}', 'hex')));
let truncated = '';
try { decodeNumbers(Uint8Array.of(0x4e, 0x55, 0x4d, 1)); } catch (e) { truncated = e instanceof DecodeError ? e.code : String(e); }
process.stdout.write(JSON.stringify({ c: v.c, h: v.h, y: v.inner.y, again: Buffer.from(encodeNumbers(v)).toString('hex'), truncated }));
`);
  const out = JSON.parse(sh(process.execPath, ['check.mjs'], proj)) as Record<string, unknown>;
  assert.equal(out, { c: -2, h: 1.5, y: -100, again: bytes, truncated: 'truncated' });
});

test.run();
