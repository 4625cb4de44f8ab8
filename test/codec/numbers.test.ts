// Byte order, signed integers and floats: a spec-level `endian: le` with a type-level `endian: be`
// (inherited by its nested types), explicit u2le/u4be, s1..s8, f4/f8, and a string `contents`.
// Expected values are written out by hand from the bytes, independently of the generator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { EncodeError } from '../../runtime/codec/index.ts';
import { arbitraryFor, loadProgram, sameValue } from './arbitrary.ts';
import { importFixture } from './support.ts';

type Decode = (bytes: Uint8Array) => Record<string, unknown>;
type Encode = (value: unknown) => Uint8Array;
const mod = await importFixture('numbers');
const decode = mod.decodeNumbers as Decode;
const encode = mod.encodeNumbers as Encode;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const sample = Buffer.from([
  '4e554d', // contents "NUM"
  '3412', // a: u2 (le) 0x1234
  '12345678', // b: u4be 0x12345678
  'feff', // c: s2 (le) -2
  '80', // d: s1 -128
  'fffffffe', // e: s4be -2
  '0100000000000080', // f: u8 (le) 2^63 + 1
  'fffffffffffffffd', // g: s8be -3
  '0000c03f', // h: f4 (le) 1.5
  'c004000000000000', // i: f8be -2.5
  '0102', // inner.x: u2 (be, from the type's meta) 0x0102
  'ffffff9c', // inner.y: s4 (be) -100
  '0201', // inner.z.w: u2le 0x0102
  '00000003', // inner.z.v: u4 (be, inherited from inner) 3
].join(''), 'hex');

test('a little-endian spec with a big-endian nested type decodes every number with its own byte order', () => {
  const v = decode(Uint8Array.from(sample));
  assert.equal(v, {
    a: 0x1234, b: 0x12345678, c: -2, d: -128, e: -2, f: (1n << 63n) + 1n, g: -3n, h: 1.5, i: -2.5,
    inner: { x: 0x0102, y: -100, z: { w: 0x0102, v: 3 } },
  });
});

test('encode(decode(bytes)) gives back the same bytes', () => {
  assert.is(hex(encode(decode(Uint8Array.from(sample)))), sample.toString('hex'));
});

test('a signed value out of range, or an f4 value a 32-bit float cannot hold, is an EncodeError naming the field', () => {
  const v = decode(Uint8Array.from(sample));
  for (const [bad, path] of [[{ ...v, d: 128 }, 'Numbers.d'], [{ ...v, c: -32769 }, 'Numbers.c'], [{ ...v, h: 0.1 }, 'Numbers.h'], [{ ...v, g: 1n << 63n }, 'Numbers.g']] as const) {
    try {
      encode(bad);
      assert.unreachable(`encoded ${path}`);
    } catch (e) {
      assert.instance(e, EncodeError);
      assert.is((e as EncodeError).path, path);
    }
  }
});

test('values drawn from the IR round-trip through encode and decode', () => {
  const program = loadProgram(['test/codec/fixtures/numbers.ksy']);
  fc.assert(fc.property(arbitraryFor(program, 'Numbers'), (v) => {
    const bytes = encode(v);
    assert.is(bytes.length, 3 + 2 + 4 + 2 + 1 + 4 + 8 + 8 + 4 + 8 + 2 + 4 + 2 + 4);
    assert.ok(sameValue(decode(bytes), v));
  }), { numRuns: 200 });
});

test.run();
