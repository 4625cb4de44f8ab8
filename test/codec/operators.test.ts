// Operators in generated code mean what they mean in Kaitai (its JavaScript output, which the differential
// tests compare with): `%` is KaitaiStream.mod, non-negative for a positive divisor, where JavaScript's `%`
// keeps the dividend's sign (`size: (- _io.pos) % 4`, DIME's padding, was a negative size); `>>` on numbers is
// `>>>` (a u4 of 0xd5000005 >> 24 is 213, not -43). Encoders check sizes over `_io.pos` (they were not
// checked: a DIME value with the wrong padding encoded to bytes that decode to something else).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { EncodeError } from '../../runtime/codec/index.ts';
import { FIXTURES, importFixture } from './support.ts';
import { loadKaitaiSpecs } from '../differential/kaitai.ts';

type Operators = { tag: number; pad: Uint8Array; wide: bigint; word: number; inner: { a: number; pad: Uint8Array; b: Uint8Array }; neg_mod: number; wide_mod: bigint; top_byte: number; low_bits: number };
const mod = await importFixture('operators');
const decode = mod.decodeOperators as (b: Uint8Array) => Operators;
const encode = mod.encodeOperators as (v: unknown) => Uint8Array;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/ /g, ''), 'hex'));

// tag 3 at offset 0, so the padding is (-1) mod 4 = 3 bytes; wide = 2; word 0xd5000005; skew 0; inner (6
// bytes at offset 17): a = 1 at its window's 0, so 3 bytes of padding (not (-18) mod 4 = 2), b = beef
const tail = '00 01 000000 beef';
const sample = `03 000000 0000000000000002 d5000005 ${tail}`;

test('% of a negative dividend: the size (-1 % 4) is 3, (3-10) % 4 = 1 and (2-10) % 3 = 1; >> of a u4 >= 2^31 is unsigned', () => {
  const v = decode(bytes(sample));
  assert.equal([v.pad.length, v.neg_mod, v.wide_mod, v.top_byte, v.low_bits], [3, 1, 1n, 0xd5, 5]);
  assert.is(hex(encode(v)), sample.replace(/ /g, ''));
  // non-negative operands as before: (12-10) % 4 = 2, (16-10) % 3 = 0, 0x7f000000 >> 24 = 127
  const plain = decode(bytes(`0c 000000 0000000000000010 7f000000 ${tail}`));
  assert.equal([plain.neg_mod, plain.wide_mod, plain.top_byte], [2, 0n, 0x7f]);
});

test('sizes over _io.pos are checked when encoding, in the window of a sized field too', () => {
  const v = decode(bytes(sample));
  assert.equal([v.inner.pad.length, hex(v.inner.b)], [3, 'beef']);
  for (const wrong of [{ ...v, pad: Uint8Array.of(0) }, { ...v, inner: { ...v.inner, pad: Uint8Array.of(0, 0) } }]) {
    try {
      encode(wrong);
      assert.unreachable('encoded');
    } catch (e) {
      assert.instance(e, EncodeError);
      assert.is((e as EncodeError).code, 'size_mismatch');
    }
  }
});

test('Kaitai reads the same values', async () => {
  const k = await loadKaitaiSpecs([join(FIXTURES, 'operators.ksy')]);
  try {
    const o = new k.classes.operators!(k.stream(bytes(sample)), null, null) as Record<string, unknown>;
    assert.equal([(o.pad as Uint8Array).length, o.negMod, o.wideMod, o.topByte, o.lowBits], [3, 1, 1, 0xd5, 5]);
    assert.is(((o.inner as Record<string, unknown>).pad as Uint8Array).length, 3);
  } finally {
    k.dispose();
  }
});

test.run();
