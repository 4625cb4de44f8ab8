// Expressions that reach into other structs: `_parent.a.b` and `_root.a.b` chains (the parent's or root's
// field passed down with its own type), members of array elements (`a[1].b`), `.to_i` of a boolean, and
// members of a nested type's pos instance; instances reading another field's stream (`io: x._io`) or with no
// pos (read where the seq ends). Each checked against Kaitai's JavaScript on a sample.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { EncodeError } from '../../runtime/codec/index.ts';
import { FIXTURES, importFixture } from './support.ts';
import { loadKaitaiSpecs } from '../differential/kaitai.ts';

type Decode = (bytes: Uint8Array) => Record<string, unknown>;
type Encode = (value: unknown) => Uint8Array;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

const chains = await importFixture('chains');
const io = await importFixture('io_instances');

// hdr: kind 2, flag set; block 0: len 3, wide, data aabbcc, extra 1234 (kind == 2 and wide); block 1: len 2,
// not wide, data ddee; tail: blocks[1].head.len = 2 bytes
const chainSample = '02 80  03 80 aabbcc 1234  02 00 ddee  ff01  050109 616263  02 55  aa bbbb cccccc  01 0a02 ffee  01020304';

test('_parent.head.len sizes a field, _root.hdr.kind and _parent.head.wide decide one, blocks[1].head.len sizes the tail', () => {
  const v = (chains.decodeChains as Decode)(bytes(chainSample)) as { blocks: { body: { data: Uint8Array; extra?: number } }[]; tail: Uint8Array; first_len: number; flag_count: number };
  assert.equal(v.blocks.map((b) => [hex(b.body.data), b.body.extra]), [['aabbcc', 0x1234], ['ddee', undefined]]);
  assert.is(hex(v.tail), 'ff01');
  assert.is(v.first_len, 3);
  assert.is(v.flag_count, 2);
  assert.is(hex((chains.encodeChains as Encode)(v)), chainSample.replace(/\s+/g, ''));
});

test('methods: nums.first/.last, nums.max - nums.min, hdr.kind.to_s, word.reverse', () => {
  const v = (chains.decodeChains as Decode)(bytes(chainSample));
  assert.equal([v.first_num, v.last_num, v.spread, v.kind_text, v.word_reversed], [5, 9, 8, '2', 'cba']);
});

test('_index: item 0 gets idx 0 (no a), item 1 idx 1; steps[i] is i + 1 bytes, checked again on encode', () => {
  const v = (chains.decodeChains as Decode)(bytes(chainSample)) as { items: { a?: number }[]; steps: Uint8Array[] };
  assert.equal(v.items.map((x) => x.a), [undefined, 0x55]);
  assert.equal(v.steps.map(hex), ['aa', 'bbbb', 'cccccc']);
  v.steps[0] = Uint8Array.of(1, 2);
  try {
    (chains.encodeChains as Encode)(v);
    assert.unreachable('encoded');
  } catch (e) {
    assert.instance(e, EncodeError);
  }
});

test('casts: msg.as<pair>.second sizes after_msg; msg_type.as<u4> is the number itself', () => {
  const v = (chains.decodeChains as Decode)(bytes(chainSample)) as { msg: { second: number }; after_msg: Uint8Array; msg_type_wide: number };
  assert.is(v.msg.second, 2);
  assert.is(hex(v.after_msg), 'ffee');
  assert.is(v.msg_type_wide, 0x100);
});

test('sizeof<pair> + sizeof<u2> sizes fixed_blob; sizeof of types with bit fields counts whole bytes', () => {
  const v = (chains.decodeChains as Decode)(bytes(chainSample)) as { fixed_blob: Uint8Array; header_size: number };
  assert.is(hex(v.fixed_blob), '01020304');
  assert.is(v.header_size, 22);
});

test('encoding checks a size given through _parent.head.len: a data of the wrong length is an EncodeError', () => {
  const v = (chains.decodeChains as Decode)(bytes(chainSample)) as { blocks: { body: { data: Uint8Array } }[] };
  v.blocks[1]!.body.data = Uint8Array.of(1, 2, 3);
  try {
    (chains.encodeChains as Encode)(v);
    assert.unreachable('encoded');
  } catch (e) {
    assert.instance(e, EncodeError);
  }
});

// len_used 3; buffer 00 a1a2a3 0000 (used: 3 bytes at 1 in buffer's stream); id 0101 (whole, a pos instance
// of id_word, gives body's size 0x0101 - 0x0100 = 1); body: n = 7, and two instances at its end (empty)
const ioSample = '03 00a1a2a30000 0101 07';

test('io: buffer._io reads in the buffer field\'s window; a member of a pos instance sizes a field; pos-less instances read at the end', () => {
  const v = (io.decodeIoInstances as Decode)(bytes(ioSample)) as { used: Uint8Array; id: { whole: number }; body: { n: number; rest_empty: Uint8Array; after: Uint8Array } };
  assert.is(hex(v.used), 'a1a2a3');
  assert.is(v.id.whole, 0x0101);
  assert.equal([v.body.n, v.body.rest_empty.length, v.body.after.length], [7, 0, 0]);
  try {
    (io.encodeIoInstances as Encode)(v);
    assert.unreachable('encoded');
  } catch (e) {
    assert.instance(e, EncodeError);
    assert.is((e as EncodeError).code, 'decode_only');
  }
});

test('Kaitai reads the same values from both samples', async () => {
  const k = await loadKaitaiSpecs([join(FIXTURES, 'chains.ksy'), join(FIXTURES, 'io_instances.ksy')]);
  try {
    type K = Record<string, unknown>;
    const c = new k.classes.chains!(k.stream(bytes(chainSample)), null, null) as K & { blocks: (K & { body: K })[] };
    assert.equal([hex(c.blocks[0]!.body.data as Uint8Array), c.blocks[0]!.body.extra, hex(c.tail as Uint8Array), c.firstLen, c.flagCount], ['aabbcc', 0x1234, 'ff01', 3, 2]);
    assert.ok(c.blocks[1]!.body.extra === undefined || c.blocks[1]!.body.extra === null);
    assert.equal([c.firstNum, c.lastNum, c.spread, c.kindText, c.wordReversed], [5, 9, 8, '2', 'cba']);
    assert.equal([hex(c.afterMsg as Uint8Array), c.msgTypeWide, hex(c.fixedBlob as Uint8Array), c.headerSize], ['ffee', 0x100, '01020304', 22]);
    assert.equal([(c.items as K[]).map((x) => x.a ?? undefined), (c.steps as Uint8Array[]).map(hex)], [[undefined, 0x55], ['aa', 'bbbb', 'cccccc']]);
    const o = new k.classes.io_instances!(k.stream(bytes(ioSample)), null, null) as K & { id: K; body: K };
    assert.equal([hex(o.used as Uint8Array), o.id.whole, o.body.n, (o.body.restEmpty as Uint8Array).length, (o.body.after as Uint8Array).length], ['a1a2a3', 0x0101, 7, 0, 0]);
  } finally {
    k.dispose();
  }
});

test.run();
