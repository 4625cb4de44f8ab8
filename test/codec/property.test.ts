// Property tests on generated codecs (fast-check):
//  - round trip: for values drawn from the IR (arbitrary.ts), decode(encode(v)) deep-equals v and
//    encode(decode(bytes)) gives the same bytes;
//  - hostile input: for random or mutated bytes, decode either returns a value that re-encodes to exactly
//    those bytes, or throws DecodeError; never anything else (no RangeError, TypeError, hang).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DecodeError } from '../../runtime/codec/index.ts';
import type { Program, TypeDef } from '../../generator/codec/ir.ts';
import { arbitraryFor, arbitraryParams, loadProgram, sameValue, typeByName } from './arbitrary.ts';
import { importFixture, ROOT } from './support.ts';

type Decode = (bytes: Uint8Array, ...params: unknown[]) => unknown;
type Encode = (value: unknown, ...params: unknown[]) => Uint8Array;

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

function codecOf(mod: Record<string, unknown>, t: TypeDef): { decode: Decode; encode: Encode } {
  return { decode: mod[`decode${t.tsName}`] as Decode, encode: mod[`encode${t.tsName}`] as Encode };
}

function paramList(t: TypeDef, params: Record<string, number | boolean>): unknown[] {
  return t.params.map((p) => params[p.id]);
}

/** decode(bytes) is a DecodeError or a value that re-encodes to exactly `bytes`. */
function decodesCleanly(codec: { decode: Decode; encode: Encode }, bytes: Uint8Array, params: unknown[]): boolean {
  let v: unknown;
  try {
    v = codec.decode(bytes, ...params);
  } catch (e) {
    if (e instanceof DecodeError) return true;
    throw e;
  }
  const again = codec.encode(v, ...params);
  if (hex(again) !== hex(bytes)) throw new Error(`decoded ${hex(bytes)} but re-encoded ${hex(again)}`);
  return true;
}

const mutation = (bytes: Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }).map(({ at, value }) => {
      const b = Uint8Array.from(bytes);
      if (b.length) b[at % b.length] = value;
      return b;
    }),
    fc.nat().map((n) => bytes.subarray(0, bytes.length ? n % bytes.length : 0)),
    fc.record({ at: fc.nat(), extra: fc.uint8Array({ minLength: 1, maxLength: 4 }) }).map(({ at, extra }) => {
      const i = bytes.length ? at % bytes.length : 0;
      return Uint8Array.from([...bytes.subarray(0, i), ...extra, ...bytes.subarray(i)]);
    }),
    fc.record({ at: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }).map(({ at, n }) => {
      const i = bytes.length ? at % bytes.length : 0;
      return Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + n)]);
    }),
  );

// ---------------------------------------------------------------------------------------------
// The fixture protocol

const fixture = loadProgram(['test/codec/fixtures/packet.ksy']);
const packetModule = await importFixture('packet');
const shapesModule = await importFixture('shapes');
const fixtureModule = (t: TypeDef): Record<string, unknown> => (t.specId === 'packet' ? packetModule : shapesModule);
const fixtureTypes = [...fixture.types.values()].filter((t) => t.parentRefs.length === 0 && t.rootRefs.length === 0);

for (const t of fixtureTypes) {
  test(`fixture ${t.tsName}: decode(encode(v)) deep-equals v for generated in-bounds values`, () => {
    const codec = codecOf(fixtureModule(t), t);
    fc.assert(
      fc.property(arbitraryParams(fixture, t.tsName).chain((p) => arbitraryFor(fixture, t.tsName, p).map((v) => [p, v] as const)), ([p, v]) => {
        const params = paramList(t, p);
        const bytes = codec.encode(v, ...params);
        const back = codec.decode(bytes, ...params);
        assert.ok(sameValue(back, v), `round trip changed the value of ${hex(bytes)}`);
        assert.is(hex(codec.encode(back, ...params)), hex(bytes));
      }),
      { numRuns: 150 },
    );
  });
}

test('fixture Packet: mutated encodings decode to a DecodeError or to a value that re-encodes to the same bytes', () => {
  const t = typeByName(fixture, 'Packet');
  const codec = codecOf(packetModule, t);
  fc.assert(
    fc.property(arbitraryFor(fixture, 'Packet').chain((v) => mutation(codec.encode(v))), (bytes) => decodesCleanly(codec, bytes, [])),
    { numRuns: 600 },
  );
});

test('fixture types: random bytes decode to a DecodeError or to a value that re-encodes to the same bytes', () => {
  for (const t of fixtureTypes) {
    const codec = codecOf(fixtureModule(t), t);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), arbitraryParams(fixture, t.tsName), (bytes, p) => decodesCleanly(codec, bytes, paramList(t, p))),
      { numRuns: 200 },
    );
  }
});

test('fields named like keywords or the codec\'s own locals (r, default, bytes, w, value) round-trip', async () => {
  const names = loadProgram(['test/codec/fixtures/names.ksy']);
  const mod = await importFixture('names');
  const t = typeByName(names, 'Names');
  const codec = codecOf(mod, t);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 }).chain((value) => arbitraryFor(names, 'Names', { value }).map((v) => [value, v] as const)), ([value, v]) => {
      const bytes = codec.encode(v, value);
      assert.ok(sameValue(codec.decode(bytes, value), v));
    }),
    { numRuns: 100 },
  );
});

test('fixture Packet: a hostile count or length is rejected before anything is allocated for it', () => {
  const decode = packetModule.decodePacket as Decode;
  // magic, version 1, flags, stamp, name_length 1, name, shape_count 255 (but no shapes follow)
  const bytes = Uint8Array.from([0x50, 0x4b, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x41, 0xff]);
  try {
    decode(bytes);
    assert.unreachable('decoded');
  } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).code, 'truncated');
    assert.is((e as DecodeError).path, 'Packet.shapes');
    assert.is((e as DecodeError).offset, 15);
  }
});

// ---------------------------------------------------------------------------------------------
// The TLS 1.3 specs (arbitraryFor drives the real generated codecs)

const tls: Program = loadProgram(['specs/tls13/messages/record.ksy', 'specs/tls13/messages/handshake.ksy']);
const tlsModules = new Map<string, Record<string, unknown>>();
for (const s of tls.specs) {
  const file = join(ROOT, 'generated', 'tls13', 'messages', basename(s.absPath).replace(/\.ksy$/, '.ts'));
  tlsModules.set(s.id, (await import(pathToFileURL(file).href)) as Record<string, unknown>);
}
const tlsTypes = [...tls.types.values()].filter((t) => t.parentRefs.length === 0 && t.rootRefs.length === 0);

test('TLS 1.3: every generated type round-trips values drawn from its IR', () => {
  for (const t of tlsTypes) {
    const codec = codecOf(tlsModules.get(t.specId)!, t);
    fc.assert(
      fc.property(arbitraryParams(tls, t.key).chain((p) => arbitraryFor(tls, t.key, p).map((v) => [p, v] as const)), ([p, v]) => {
        const params = paramList(t, p);
        const bytes = codec.encode(v, ...params);
        assert.ok(sameValue(codec.decode(bytes, ...params), v), `${t.tsName}: round trip changed the value of ${hex(bytes)}`);
      }),
      { numRuns: 25 },
    );
  }
});

test('TLS 1.3 Handshake: mutated encodings decode to a DecodeError or re-encode to the same bytes', () => {
  const t = typeByName(tls, 'handshake::handshake');
  const codec = codecOf(tlsModules.get('handshake')!, t);
  fc.assert(
    fc.property(arbitraryFor(tls, t.key).chain((v) => mutation(codec.encode(v))), (bytes) => decodesCleanly(codec, bytes, [])),
    { numRuns: 500 },
  );
});

test.run();
