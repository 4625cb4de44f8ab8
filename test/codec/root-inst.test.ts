// Value instances inlined where fields cannot read them directly (fixtures/root_inst.ksy): `_root.unit` in a
// nested type (unit: 1 << shift, so the size is 1 << _root.shift), and `pos: at` / `size: unit` of a pos instance.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DecodeError, EncodeError } from '../../runtime/codec/index.ts';
import { importFixture } from './support.ts';

const mod = await importFixture('root_inst');
const decode = mod.decodeRootInst as (b: Uint8Array) => Record<string, unknown>;
const encode = mod.encodeRootInst as (v: unknown) => Uint8Array;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

test('a nested type sizes a field by a root value instance; a pos instance reads at and for value instances', () => {
  // shift 1: unit 2; base 1: at 2; body.data: 2 bytes; tail: 2 bytes at offset 2
  const v = decode(bytes('0101aabb'));
  assert.equal({ ...v, body: { data: Buffer.from((v.body as { data: Uint8Array }).data).toString('hex') }, tail: Buffer.from(v.tail as Uint8Array).toString('hex') },
    { shift: 1, base: 1, unit: 2, at: 2, body: { data: 'aabb' }, tail: 'aabb' });
  // shift 2: unit 4, so body.data takes 4 bytes; tail at 1 * 4 = 4: past the end
  try {
    decode(bytes('0201aabbccdd'));
    assert.unreachable('decoded');
  } catch (e) {
    assert.instance(e, DecodeError);
  }
  assert.equal((decode(bytes('0200aabbccdd')).body as { data: Uint8Array }).data.length, 4);
});

test('a type with a pos instance stays decode-only', () => {
  try {
    encode(decode(bytes('0101aabb')));
    assert.unreachable('encoded');
  } catch (e) {
    assert.instance(e, EncodeError);
    assert.is((e as EncodeError).code, 'decode_only');
  }
});

test.run();
