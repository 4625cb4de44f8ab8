// Field access in expressions and repeat-until: `hdr.body_len` sizes a field from a struct read earlier,
// `hdr.twice` inlines that struct's value instance, `digits.to_i` reads a number written as text, and
// repeat-until stops on the element just read (`_`, `_.len`). Checked on a hand-written sample, against
// Kaitai, and on encode: the until condition must hold for the last element only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { DecodeError, EncodeError } from '../../runtime/codec/index.ts';
import { FIXTURES, importFixture } from './support.ts';
import { loadKaitaiSpecs } from '../differential/kaitai.ts';

type Decode = (bytes: Uint8Array) => Record<string, unknown>;
type Encode = (value: unknown) => Uint8Array;
const mod = await importFixture('access');
const decode = mod.decodeAccess as Decode;
const encode = mod.encodeAccess as Encode;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

// hdr: flags 1, body_len 2; body (2); extra (hdr.twice = 4); digits "03"; padding (3);
// chunks: [len 1: aa] [len 0]; bytes_until_ff: 01 02 ff; kind "neg" -> value s1 -2; flag 1 -> opt u4le 0x01020304
const tail = (kind: string, value: string, flag: string, opt: string): string => `${Buffer.from(kind).toString('hex')}00${value}${flag}${opt}`;
const sample = `${'01 0002 b0b1 e0e1e2e3 3033 000000 01aa 00 0102ff'.replace(/ /g, '')}${tail('neg', 'fe', '01', '04030201')}`;

test('a sample decodes with sizes taken from hdr.body_len, hdr.twice and digits.to_i, and repeat-until stopping where _ says', () => {
  const v = decode(Uint8Array.from(Buffer.from(sample, 'hex'))) as { hdr: Record<string, unknown>; body: Uint8Array; extra: Uint8Array; padding: Uint8Array; chunks: { len: number }[]; bytes_until_ff: number[] };
  assert.equal(v.hdr, { flags: 1, body_len: 2, twice: 4, only_if_flagged: 3, only_if_clear: undefined });
  assert.is(hex(v.body), 'b0b1');
  assert.is(hex(v.extra), 'e0e1e2e3');
  assert.is(v.padding.length, 3);
  assert.equal(v.chunks.map((c) => c.len), [1, 0]);
  assert.equal(v.bytes_until_ff, [1, 2, 0xff]);
  assert.equal([(v as Record<string, unknown>).kind, (v as Record<string, unknown>).value, (v as Record<string, unknown>).opt], ['neg', -2, 0x01020304]);
  assert.is(hex(encode(v)), sample);
});

test('a switch on a string reads the built-in type of the matching case, and a switch on a boolean picks true or false', () => {
  const head = sample.slice(0, sample.indexOf(Buffer.from('neg').toString('hex')));
  for (const [kind, value, flag, opt, expected] of [['int', '0102', '00', '07', [0x0102, 7]], ['text', '686900', '01', 'ffffffff', ['hi', 0xffffffff]]] as const) {
    const bytes = head + tail(kind, value, flag, opt);
    const v = decode(Uint8Array.from(Buffer.from(bytes, 'hex'))) as Record<string, unknown>;
    assert.equal([v.value, v.opt], expected);
    assert.is(hex(encode(v)), bytes);
  }
});

test('Kaitai reads the same sample the same way', async () => {
  const k = await loadKaitaiSpecs([join(FIXTURES, 'access.ksy')]);
  try {
    const o = new k.classes.access!(k.stream(Uint8Array.from(Buffer.from(sample, 'hex'))), null, null) as Record<string, unknown> & { hdr: Record<string, unknown>; chunks: { len: number }[] };
    assert.equal([o.hdr.onlyIfFlagged, o.hdr.onlyIfClear], [3, undefined]);
    assert.equal([o.hdr.bodyLen, o.hdr.twice, hex(o.extra as Uint8Array), (o.padding as Uint8Array).length, o.chunks.map((c) => c.len), o.bytesUntilFf, o.kind, o.value, o.opt], [2, 4, 'e0e1e2e3', 3, [1, 0], [1, 2, 0xff], 'neg', -2, 0x01020304]);
  } finally {
    k.dispose();
  }
});

test('encode refuses a repeat-until list whose condition holds early or never', () => {
  const v = decode(Uint8Array.from(Buffer.from(sample, 'hex')));
  for (const list of [[1, 0xff, 2, 0xff], [1, 2]]) {
    try {
      encode({ ...v, bytes_until_ff: list });
      assert.unreachable('encoded');
    } catch (e) {
      assert.instance(e, EncodeError);
      assert.is((e as EncodeError).code, 'invalid_value');
      assert.match((e as EncodeError).path, /^Access\.bytes_until_ff\[\d\]$/);
    }
  }
});

test('a size from a struct field whose value was changed is checked on encode (body no longer hdr.body_len bytes)', () => {
  const v = decode(Uint8Array.from(Buffer.from(sample, 'hex'))) as Record<string, unknown>;
  try {
    encode({ ...v, body: Uint8Array.of(1, 2, 3) });
    assert.unreachable('encoded');
  } catch (e) {
    assert.instance(e, EncodeError);
    assert.is((e as EncodeError).code, 'size_mismatch');
  }
});

test('a recursive type decodes nested values and re-encodes them; hostile nesting is a DecodeError, not a stack overflow', async () => {
  const tree = await importFixture('tree');
  const decodeTree = tree.decodeTree as Decode;
  const encodeTree = tree.encodeTree as Encode;
  const bytes = '0102 0a00 0b01 1400'.replace(/ /g, ''); // 1 with children 10 (leaf) and 11 (with child 20)
  const v = decodeTree(Uint8Array.from(Buffer.from(bytes, 'hex')));
  assert.equal(v, { value: 1, children: [{ value: 10, children: [] }, { value: 11, children: [{ value: 20, children: [] }] }] });
  assert.is(hex(encodeTree(v)), bytes);
  const deep = Uint8Array.from({ length: 20000 }, (_, i) => (i % 2 === 0 ? 7 : 1)); // every node claims one child
  try {
    decodeTree(deep);
    assert.unreachable('decoded');
  } catch (e) {
    assert.instance(e, DecodeError);
    assert.match((e as DecodeError).expected, /nesting at most 256 deep/);
  }
});

test.run();
