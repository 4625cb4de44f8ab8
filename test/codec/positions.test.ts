// Pos instances are decode-only: read at another position (this type's stream, or _root._io) when first
// needed — here before the seq ends, to size a field — and present on decoded values; encoding a type that
// has them is an EncodeError (decode_only). Checked on a sample against Kaitai.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { DecodeError, EncodeError } from '../../runtime/codec/index.ts';
import { FIXTURES, importFixture } from './support.ts';
import { loadKaitaiSpecs } from '../differential/kaitai.ts';

type Decode = (bytes: Uint8Array) => Record<string, unknown>;
type Encode = (value: unknown) => Uint8Array;
const mod = await importFixture('positions');
const decode = mod.decodePositions as Decode;
const encode = mod.encodePositions as Encode;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

// offset 6 -> root bytes 6..7 = 0xd1d2; item: tag 1, rest a1a2a3; data d0d1d2 (size 9 - 5 - 2); trailer 0002 (last byte 2)
const sample = '06 01a1a2a3 d0d1d2 0002'.replace(/ /g, '');

test('pos instances read at their positions: the trailer length before the seq needs it, a root offset from a nested type', () => {
  const v = decode(Uint8Array.from(Buffer.from(sample, 'hex'))) as { item: Record<string, unknown>; data: Uint8Array; len_trailer: number };
  assert.is(v.len_trailer, 2);
  assert.is(hex(v.data), 'd0d1d2');
  assert.is(v.item.pointed, 0xd1d2);
  assert.is(v.item.first_of_rest, 0xa1);
});

test('Kaitai reads the same values', async () => {
  const k = await loadKaitaiSpecs([join(FIXTURES, 'positions.ksy')]);
  try {
    const o = new k.classes.positions!(k.stream(Uint8Array.from(Buffer.from(sample, 'hex'))), null, null) as Record<string, unknown> & { item: Record<string, unknown> };
    assert.equal([o.lenTrailer, hex(o.data as Uint8Array), o.item.pointed, o.item.firstOfRest], [2, 'd0d1d2', 0xd1d2, 0xa1]);
  } finally {
    k.dispose();
  }
});

test('a position outside the stream is a DecodeError; encoding is refused as decode_only', () => {
  try {
    decode(Uint8Array.from(Buffer.from('ff01a1a2a30000', 'hex')));
    assert.unreachable('decoded');
  } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).code, 'bad_length');
  }
  const v = decode(Uint8Array.from(Buffer.from(sample, 'hex')));
  try {
    encode(v);
    assert.unreachable('encoded');
  } catch (e) {
    assert.instance(e, EncodeError);
    assert.is((e as EncodeError).code, 'decode_only');
    assert.match((e as EncodeError).actual, /pos instances are decode-only/);
  }
});

test.run();
