import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reader, Writer, DecodeError, EncodeError } from '../../runtime/codec/index.ts';

function decodeErr(f: () => unknown): DecodeError {
  try { f(); } catch (e) { if (e instanceof DecodeError) return e; throw e; }
  throw new Error('expected a DecodeError');
}
function encodeErr(f: () => unknown): EncodeError {
  try { f(); } catch (e) { if (e instanceof EncodeError) return e; throw e; }
  throw new Error('expected an EncodeError');
}

test('reads big-endian u1 u2 u3 u4 u8', () => {
  const r = new Reader(Uint8Array.from([1, 2, 3, 4, 5, 6, 0xff, 0xfe, 0xfd, 0xfc, 0, 0, 0, 0, 0, 0, 1, 0]), 'T');
  assert.is(r.u1('a'), 1);
  assert.is(r.u2('b'), 0x0203);
  assert.is(r.u3('c'), 0x0405_06);
  assert.is(r.u4('d'), 0xfffefdfc);
  assert.is(r.u8('e'), 256n);
  r.done();
});

test('rejects_truncated_u2 with path, offset and decode_error alert', () => {
  const r = new Reader(Uint8Array.from([1, 2, 3]), 'Hello');
  r.u2('first');
  const e = decodeErr(() => r.u2('second'));
  assert.is(e.code, 'truncated');
  assert.is(e.path, 'Hello.second');
  assert.is(e.offset, 2);
  assert.is(e.alert, 'decode_error');
  assert.match(e.message, /Hello\.second at offset 2: expected 2 bytes, got 1 remaining/);
});

test('sub-reader is bounded and the parent skips past it', () => {
  const r = new Reader(Uint8Array.from([2, 0xaa, 0xbb, 0xcc]), 'T');
  const n = r.u1('len');
  const s = r.sub(n, 'body');
  assert.is(s.u1('x'), 0xaa);
  assert.is(s.u1('y'), 0xbb);
  assert.is(decodeErr(() => s.u1('z')).code, 'truncated');
  assert.is(r.u1('after'), 0xcc);
});

test('limit narrows the reader to a window and unlimit rejects unread bytes in it', () => {
  const r = new Reader(Uint8Array.from([3, 1, 2, 3, 9]), 'T');
  r.limit(r.u1('len'), 'body');
  assert.is(r.size, 3);
  assert.is(r.u2('a'), 0x0102);
  r.trail.push('body');
  const e = decodeErr(() => r.unlimit());
  assert.is(e.code, 'trailing_bytes');
  assert.is(e.path, 'T.body');
  assert.is(e.offset, 3);
  const ok = new Reader(Uint8Array.from([2, 1, 2, 9]), 'T');
  ok.limit(ok.u1('len'), 'body');
  ok.u2('a');
  assert.ok(ok.eof);
  ok.unlimit();
  assert.is(ok.u1('after'), 9);
  assert.is(decodeErr(() => new Reader(Uint8Array.from([5, 1]), 'T').limit(5, 'body')).code, 'truncated');
});

test('rejects a length larger than the remaining input before allocating', () => {
  const r = new Reader(Uint8Array.from([0xff, 0xff]), 'T');
  const e = decodeErr(() => r.bytes(0xffffffff, 'data'));
  assert.is(e.code, 'truncated');
  assert.is(decodeErr(() => r.bytes(-1, 'data')).code, 'bad_length');
  assert.is(decodeErr(() => r.count(1e9, 1, 'list')).code, 'truncated');
});

test('rejects_trailing_bytes after a whole message', () => {
  const r = new Reader(Uint8Array.from([1, 2]), 'T');
  r.u1('a');
  const e = decodeErr(() => r.done());
  assert.is(e.code, 'trailing_bytes');
  assert.is(e.offset, 1);
});

test('byte fields are zero-copy views into the input', () => {
  const input = Uint8Array.from([9, 8, 7]);
  const v = new Reader(input, 'T').bytes(3, 'b');
  assert.is(v.buffer, input.buffer);
});

test('path names array indices inside nested structs', () => {
  const r = new Reader(Uint8Array.of(), 'ClientHello');
  r.trail.push('extensions', 3, 'extension_data');
  assert.is(decodeErr(() => r.u1('key_exchange')).path, 'ClientHello.extensions[3].extension_data.key_exchange');
});

test('writer grows and writes big-endian integers', () => {
  const w = new Writer('T');
  w.u1(1, 'a'); w.u2(0x0203, 'b'); w.u3(0x040506, 'c'); w.u4(0xfffefdfc, 'd'); w.u8(256n, 'e');
  assert.equal([...w.finish()], [1, 2, 3, 4, 5, 6, 0xff, 0xfe, 0xfd, 0xfc, 0, 0, 0, 0, 0, 0, 1, 0]);
});

test('writer back-patches a length prefix', () => {
  const w = new Writer('T');
  const mark = w.reserve(2);
  w.bytes(Uint8Array.from([7, 7, 7]), 'body');
  w.patchLength(mark, 2, mark + 2, 0, 0xffff, 'body', 'len');
  assert.equal([...w.finish()], [0, 3, 7, 7, 7]);
});

test('writer rejects an out-of-range integer with an EncodeError naming the field', () => {
  const w = new Writer('ServerHello');
  const e = encodeErr(() => w.u2(0x10000, 'cipher_suite'));
  assert.is(e.code, 'out_of_range');
  assert.is(e.path, 'ServerHello.cipher_suite');
  assert.is(encodeErr(() => w.u1(1.5, 'x')).code, 'wrong_type');
});

test('writer rejects a derived length beyond its valid max', () => {
  const w = new Writer('T');
  const mark = w.reserve(1);
  w.bytes(new Uint8Array(40), 'session_id');
  const e = encodeErr(() => w.patchLength(mark, 1, mark + 1, 0, 32, 'session_id', 'len'));
  assert.is(e.code, 'invalid_value');
  assert.match(e.message, /0\.\.32/);
});

test('successive results are independent: later writes never change an earlier result', () => {
  const results: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) {
    const w = new Writer('T');
    w.u2(i, 'n');
    w.bytes(new Uint8Array(i % 50).fill(i & 0xff), 'pad');
    results.push(w.finish());
  }
  results.forEach((r, i) => {
    assert.is((r[0]! << 8) | r[1]!, i);
    assert.is(r.length, 2 + (i % 50));
    assert.ok(r.subarray(2).every((b) => b === (i & 0xff)));
  });
});

test('a Writer abandoned by an error and released does not disturb the next one; nested Writers get their own buffers', () => {
  const a = new Writer('A');
  a.u1(1, 'x');
  assert.throws(() => a.u1(300, 'y'));
  a.release();
  const b = new Writer('B');
  const c = new Writer('C'); // while b holds the shared slab
  b.u2(0xbbbb, 'b');
  c.u2(0xcccc, 'c');
  assert.equal([...c.finish()], [0xcc, 0xcc]);
  assert.equal([...b.finish()], [0xbb, 0xbb]);
});

test('a message larger than the shared slab is written to a buffer of its own', () => {
  const w = new Writer('Big');
  const big = new Uint8Array(100_000).fill(7);
  w.bytes(big, 'data');
  const out = w.finish();
  assert.is(out.length, 100_000);
  assert.ok(out.every((b) => b === 7));
});

test.run();
