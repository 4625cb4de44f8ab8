// What the gallery's serialization specs need (fixtures/serial.ksy): bit fields wider than 32 bits off a byte
// boundary (b49 a number, b60 a bigint), a user type named `u3`, enum names written as YAML booleans, a switch
// with neither `_` nor a size (the field is absent for a value with no case, as in Kaitai), a size read as u8,
// and a repeat count given by a conditional expression. Expected values are written out by hand from the bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { EncodeError } from '../../runtime/codec/index.ts';
import { arbitraryBounded, loadProgram, sameOn } from './arbitrary.ts';
import { importFixture } from './support.ts';

type Decode = (bytes: Uint8Array) => Record<string, unknown>;
type Encode = (value: unknown) => Uint8Array;
fc.configureGlobal({ endOnFailure: true });
const mod = await importFixture('serial');
const decode = mod.decodeSerial as Decode;
const encode = mod.encodeSerial as Encode;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

// dec: 1 | 0x2abc (14 bits) | 0x123456789abcd (49 bits) | 0xfedcba987654321 (60 bits) | 0xa (4 bits), 16 bytes
const DEC = 'd57923456789abcdfedcba987654321a';
const sample = `cc 07 31 ${DEC} 0a1b2c 0300000000000000 aabbcc 02 0506`;

test('a sample decodes to the values read off its bytes by hand, and encodes back to them', () => {
  const v = decode(bytes(sample));
  assert.equal(v, {
    tag: 0xcc, extra: 7, flag: 0x31, is_true: true,
    dec: { sign: true, exponent: 0x2abc, hi: 0x123456789abcd, mid: 0xfedcba987654321n, lo: 0xa },
    id3: { b1: 0x0a, b2: 0x1b, b3: 0x2c, value: 0x2c1b0a },
    len8: 3n, blob: bytes('aabbcc'), count_small: 2, items: [5, 6],
  });
  assert.is(hex(encode(v)), sample.replace(/\s+/g, ''));
});

test('b49 reads as an exact number and b60 as a bigint at their widest', () => {
  const v = decode(bytes(`d3 feffffffffffffff 30 ffffffffffffffffffffffffffffffff 000000 0000000000000000 0708`)) as { dec: Record<string, unknown>; extra: bigint; is_true: boolean };
  assert.equal(v.dec, { sign: true, exponent: 0x3fff, hi: 2 ** 49 - 1, mid: (1n << 60n) - 1n, lo: 0xf });
  assert.is(v.extra, -2n);
  assert.is(v.is_true, false);
});

test('a switch with neither `_` nor a size reads nothing for a value with no case, and the encoder holds to that', () => {
  const h = `01 30 ${DEC} 000000 0000000000000000 0708`.replace(/\s+/g, '');
  const v = decode(bytes(h));
  assert.is(v.extra, undefined);
  assert.ok(!('count_small' in v) || v.count_small === undefined);
  assert.is(hex(encode(v)), h);
  for (const bad of [{ ...v, extra: 1 }, { ...decode(bytes(sample)), extra: undefined }]) {
    try {
      encode(bad);
      assert.unreachable('encoded');
    } catch (e) {
      assert.instance(e, EncodeError);
    }
  }
});

test('the encoder checks wide bit fields: range and type', () => {
  const v = decode(bytes(sample)) as { dec: Record<string, unknown> };
  for (const [dec, code] of [[{ hi: 2 ** 49 }, 'out_of_range'], [{ mid: 1n << 60n }, 'out_of_range'], [{ mid: 5 }, 'wrong_type'], [{ hi: 5n }, 'wrong_type']] as const) {
    try {
      encode({ ...v, dec: { ...v.dec, ...dec } });
      assert.unreachable('encoded');
    } catch (e) {
      assert.instance(e, EncodeError);
      assert.is((e as EncodeError).code, code);
    }
  }
});

test('a count given by `c ? a : b` is checked as a whole on encode', () => {
  const v = decode(bytes(sample));
  try {
    encode({ ...v, items: [1, 2, 3] });
    assert.unreachable('encoded');
  } catch (e) {
    assert.instance(e, EncodeError);
    assert.is((e as EncodeError).code, 'size_mismatch');
  }
});

test('values drawn from the IR round-trip', () => {
  const program = loadProgram(['test/codec/fixtures/serial.ksy']);
  let encoded = 0;
  fc.assert(fc.property(arbitraryBounded(program, 'Serial', 8), (v) => {
    if (v === undefined) return; // blob's size is a drawn u8: mostly far too large
    let b: Uint8Array;
    try { b = encode(v); } catch (e) { if (e instanceof EncodeError) return; throw e; }
    encoded++;
    const d = decode(b);
    assert.ok(sameOn(v, d), 'decode(encode(v)) differs from v');
    assert.is(hex(encode(d)), hex(b));
  }), { numRuns: 300 });
  assert.ok(encoded > 0);
});

test.run();
