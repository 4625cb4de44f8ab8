// The codec commands, run in-process (run(args) -> exit code) with stdout/stderr captured; one run goes
// through the real bin/protosmith.mjs to prove the wiring.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as compile } from '../../runtime/cli/commands/compile.ts';
import { run as decode } from '../../runtime/cli/commands/decode.ts';
import { run as encode } from '../../runtime/cli/commands/encode.ts';
import { parseParams } from '../../generator/codec/json.ts';
import { loadProgram } from './arbitrary.ts';
import { ROOT } from './support.ts';

async function capture(f: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  let out = '';
  let err = '';
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try {
    const code = await f();
    return { code, out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

const vectors = readFileSync(join(ROOT, '..', 'shared', 'vectors', 'rfc8448', 'transcripts.vec'), 'utf8');
const vector = (key: string): string => new RegExp(`^${key} = ([0-9a-f]+)$`, 'm').exec(vectors)![1]!;
const tmp = mkdtempSync(join(tmpdir(), 'protosmith-cli-'));

test('decode prints RFC 8448 ServerHello as JSON with bytes as hex, and encode turns that JSON back into the same bytes', async () => {
  const hex = vector('Message_ServerHello');
  const d = await capture(() => decode(['tls13/Handshake', '--hex', hex]));
  assert.is(d.code, 0, d.err);
  const json = JSON.parse(d.out) as { msg_type: number; body: { random: string; cipher_suite: number } };
  assert.is(json.msg_type, 2);
  assert.is(json.body.cipher_suite, 0x1301);
  assert.is(json.body.random, hex.slice(12, 76));
  const file = join(tmp, 'sh.json');
  writeFileSync(file, d.out);
  const e = await capture(() => encode(['tls13/Handshake', file]));
  assert.is(e.code, 0, e.err);
  assert.is(e.out.trim(), hex);
});

test('decode reads a binary FILE as well as --hex', async () => {
  const file = join(tmp, 'alert.bin');
  writeFileSync(file, Uint8Array.from([2, 40]));
  const d = await capture(() => decode(['tls13/Alert', file]));
  assert.is(d.code, 0, d.err);
  assert.equal(JSON.parse(d.out), { level: 2, description: 40 });
});

test('decode of a bad message prints path, offset, expected, actual and alert, and exits 1', async () => {
  const body = `0303${'00'.repeat(32)}21${'00'.repeat(33)}`;
  const d = await capture(() => decode(['tls13/ClientHello', '--hex', body]));
  assert.is(d.code, 1);
  assert.match(d.err, /ClientHello\.legacy_session_id_length/);
  assert.match(d.err, /offset:\s+34/);
  assert.match(d.err, /expected: <= 32/);
  assert.match(d.err, /actual:\s+33/);
  assert.match(d.err, /alert:\s+decode_error/);
});

test('decode of a truncated handshake names the field and maps to decode_error', async () => {
  const d = await capture(() => decode(['tls13/Handshake', '--hex', vector('Message_ServerHello').slice(0, 40)]));
  assert.is(d.code, 1);
  assert.match(d.err, /decode error \(truncated\): Handshake\.body/);
  assert.match(d.err, /alert:\s+decode_error/);
});

test('decode takes params by number or enum name, and says which are missing', async () => {
  const missing = await capture(() => decode(['tls13/Extensions', '--hex', '']));
  assert.is(missing.code, 2);
  assert.match(missing.err, /--param msg_type=<value>/);
  const named = await capture(() => decode(['tls13/Extensions', '--hex', '002b00020304', '--param', 'msg_type=server_hello']));
  assert.is(named.code, 0, named.err);
  assert.equal(JSON.parse(named.out), { items: [{ extension_type: 43, body: { selected_version: 0x0304 } }] });
});

test('a type that reads _parent or _root is refused on the command line: it can only be decoded inside its container', () => {
  const fixture = loadProgram(['test/codec/fixtures/packet.ksy']);
  const note = [...fixture.types.values()].find((t) => t.id === 'note')!;
  const body = [...fixture.types.values()].find((t) => t.id === 'body')!;
  assert.match(String(parseParams(fixture, note, [])), /Note reads _parent\.level, so it can only be decoded inside the type that contains it/);
  assert.match(String(parseParams(fixture, body, [])), /Body reads _root\.version/);
});

test('decode of an unknown type lists the known ones and exits 2', async () => {
  const d = await capture(() => decode(['tls13/NoSuchMessage', '--hex', '00']));
  assert.is(d.code, 2);
  assert.match(d.err, /no type 'NoSuchMessage' in tls13; known: .*ClientHello/);
});

test('encode rejects a value its spec cannot express with an EncodeError naming the field', async () => {
  const file = join(tmp, 'bad-alert.json');
  writeFileSync(file, JSON.stringify({ level: 2, description: 300 }));
  const e = await capture(() => encode(['tls13/Alert', file]));
  assert.is(e.code, 1);
  assert.match(e.err, /encode error \(out_of_range\): Alert\.description/);
});

test('compile writes a codec per spec (imports included) and the result decodes', async () => {
  const out = join(tmp, 'compiled');
  const c = await capture(() => compile([join(ROOT, 'test', 'codec', 'fixtures', 'packet.ksy'), '--out', out]));
  assert.is(c.code, 0, c.err);
  assert.ok(existsSync(join(out, 'packet.ts')) && existsSync(join(out, 'shapes.ts')));
  assert.match(readFileSync(join(out, 'packet.ts'), 'utf8'), /^\/\/ @generated by protosmith .* from .*packet\.ksy — do not edit/);
});

test('compile output imports the runtime as protosmith/codec by default, and by a relative path with --runtime-import relative', async () => {
  const pkg = join(tmp, 'pkg');
  assert.is((await capture(() => compile([join(ROOT, 'test', 'codec', 'fixtures', 'packet.ksy'), '--out', pkg]))).code, 0);
  assert.match(readFileSync(join(pkg, 'packet.ts'), 'utf8'), /^import \{ [^}]+ \} from 'protosmith\/codec';$/m);
  const rel = join(tmp, 'rel');
  assert.is((await capture(() => compile([join(ROOT, 'test', 'codec', 'fixtures', 'packet.ksy'), '--out', rel, '--runtime-import', 'relative']))).code, 0);
  const text = readFileSync(join(rel, 'packet.ts'), 'utf8');
  const m = /^import \{ [^}]+ \} from '([^']+)';$/m.exec(text);
  assert.ok(m && m[1]!.startsWith('../') && m[1]!.endsWith('/runtime/codec/index.ts'), `runtime import ${m?.[1]}`);
  assert.match(text, /from '\.\/shapes\.ts';$/m);
});

test('compile -I DIR resolves absolute imports; an unknown option is a usage error', async () => {
  const out = join(tmp, 'abs');
  const c = await capture(() => compile([join(ROOT, 'test', 'codec', 'fixtures', 'abs_import.ksy'), '-I', join(ROOT, 'test', 'codec', 'fixtures', 'lib'), '--out', out]));
  assert.is(c.code, 0, c.err);
  assert.ok(existsSync(join(out, 'abs_import.ts')) && existsSync(join(out, 'port_pair.ts')));
  const u = await capture(() => compile([join(ROOT, 'test', 'codec', 'fixtures', 'packet.ksy'), '--out', out, '--frobnicate']));
  assert.is(u.code, 2);
  assert.match(u.err, /unknown option --frobnicate/);
});

test('compile of a bad spec prints file:line diagnostics, writes nothing and exits 1', async () => {
  const out = join(tmp, 'bad');
  const c = await capture(() => compile([join(ROOT, 'test', 'codec', 'fixtures', 'bad', 'unknown_type.ksy'), '--out', out]));
  assert.is(c.code, 1);
  assert.match(c.err, /unknown_type\.ksy:8: error: unknown type 'frobnicator' for field 'body' \[\/seq\/1\/type\]/);
  assert.ok(!existsSync(out));
});

test('the protosmith binary runs decode end to end', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'protosmith.mjs'), 'decode', 'tls13/Alert', '--hex', '0228'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), { level: 2, description: 40 });
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
