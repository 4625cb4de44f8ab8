// Property tests for the generated TLS 1.3 codecs (fast-check):
//  - in-bounds encodings written from RFC 8446 (wire-arbitraries.ts) decode, re-encode to the same bytes,
//    and decode(encode(v)) deep-equals v;
//  - mutated RFC 8448 messages and records either decode to a value that re-encodes to exactly the mutated
//    bytes, or throw DecodeError carrying path, offset and alert. Nothing else: no RangeError, no hang.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { DecodeError } from '../../runtime/codec/index.ts';
import { decodeHandshake, encodeHandshake } from '../../generated/tls13/messages/handshake.ts';
import { decodeRecord, encodeRecord, decodeTlsPlaintext, encodeTlsPlaintext, decodeTlsCiphertext, encodeTlsCiphertext, decodeTlsInnerPlaintext, encodeTlsInnerPlaintext } from '../../generated/tls13/messages/record.ts';
import { decodeAlert, encodeAlert } from '../../generated/tls13/messages/alert.ts';
import { decodeExtensions, encodeExtensions } from '../../generated/tls13/messages/extensions.ts';
import type { HandshakeType } from '../../generated/tls13/messages/common.ts';
import * as wire from './wire-arbitraries.ts';
import { samples, toHex } from './vectors.ts';

// No shrinking by default: these inputs are large and shrinking a failure can outlast the runner's timeout.
// FC_SHRINK=1 shrinks the counterexample.
fc.configureGlobal({ endOnFailure: process.env.FC_SHRINK === undefined });

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const params = { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) };

interface Codec { name: string; decode(b: Uint8Array): unknown; encode(v: unknown): Uint8Array }
const codec = <T>(name: string, decode: (b: Uint8Array) => T, encode: (v: T) => Uint8Array): Codec =>
  ({ name, decode, encode: (v) => encode(v as T) });

const handshake = codec('Handshake', decodeHandshake, encodeHandshake);
const plaintext = codec('TlsPlaintext', decodeTlsPlaintext, encodeTlsPlaintext);
const ciphertext = codec('TlsCiphertext', decodeTlsCiphertext, encodeTlsCiphertext);
const records = codec('Record', decodeRecord, encodeRecord);
const alert = codec('Alert', decodeAlert, encodeAlert);
const extensionsIn = (ctx: wire.Context): Codec =>
  codec(`Extensions(${ctx})`, (b) => decodeExtensions(b, ctx as HandshakeType), (v) => encodeExtensions(v, ctx as HandshakeType));

function roundTrip(c: Codec, arb: fc.Arbitrary<Uint8Array>): void {
  fc.assert(fc.property(arb, (bytes) => {
    const v = c.decode(bytes);
    const again = c.encode(v);
    assert.is(toHex(again), toHex(bytes), `${c.name}: re-encoding differs`);
    assert.equal(c.decode(again), v, `${c.name}: decode(encode(v)) differs from v`);
  }), params);
}

test('in-bounds Handshake encodings of every message type decode, re-encode identically, and decode(encode(v)) equals v', () => {
  roundTrip(handshake, wire.handshake);
});
test('in-bounds TLSPlaintext records (handshake, alert, ChangeCipherSpec, other) round-trip', () => {
  roundTrip(plaintext, wire.tlsPlaintext);
});
test('in-bounds TLSCiphertext records round-trip', () => {
  roundTrip(ciphertext, wire.tlsCiphertext);
});
test('runs of records round-trip', () => {
  roundTrip(records, fc.array(wire.tlsPlaintext, { maxLength: 4 }).map((rs) => Uint8Array.from(rs.flatMap((r) => [...r]))));
});
test('alerts with any level and description round-trip (open enums)', () => {
  roundTrip(alert, wire.alert);
});
for (const ctx of [wire.CH, wire.SH, wire.HRR, wire.EE, wire.CT, wire.CR, wire.NST] as const) {
  test(`extension blocks in message context ${ctx} round-trip, unknown extension types kept as raw bytes`, () => {
    roundTrip(extensionsIn(ctx), wire.extensionsBlock(ctx).map((b) => b.subarray(2)));
  });
}

test('TLSInnerPlaintext: content, a non-zero type and zero padding round-trip given the scanned content length', () => {
  const inner = fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 255 }), fc.nat({ max: 40 }));
  fc.assert(fc.property(inner, ([content, type, pad]) => {
    const bytes = Uint8Array.from([...content, type, ...new Uint8Array(pad)]);
    // The record layer's scan: the content type is the last non-zero byte (RFC 8446 §5.4).
    let end = bytes.length - 1;
    while (bytes[end] === 0) end--;
    assert.is(end, content.length);
    const v = decodeTlsInnerPlaintext(bytes, end);
    assert.equal(v.content, content);
    assert.is(v.type, type);
    assert.is(v.zeros.length, pad);
    assert.is(toHex(encodeTlsInnerPlaintext(v, end)), toHex(bytes));
  }), params);
});

test('rejects_inner_plaintext_padding_with_a_non_zero_byte as illegal_parameter', () => {
  try { decodeTlsInnerPlaintext(Uint8Array.of(0xaa, 22, 0, 1), 1); assert.unreachable(); } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).alert, 'illegal_parameter');
    assert.match((e as DecodeError).path, /zeros/);
  }
});

/** Decoding must either succeed with a value that re-encodes to the input, or throw a complete DecodeError. */
function decodesOrRejects(c: Codec, bytes: Uint8Array): 'ok' | 'rejected' {
  let v: unknown;
  try {
    v = c.decode(bytes);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw new Error(`${c.name}: threw ${String(e)} (not a DecodeError) on ${toHex(bytes)}`);
    assert.type(e.path, 'string');
    assert.ok(e.path.length > 0, 'empty path');
    assert.ok(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} outside 0..${bytes.length}`);
    assert.ok(['decode_error', 'illegal_parameter', 'protocol_version', 'record_overflow'].includes(e.alert), `alert ${e.alert}`);
    return 'rejected';
  }
  assert.is(toHex(c.encode(v)), toHex(bytes), `${c.name}: accepted bytes do not re-encode identically`);
  return 'ok';
}

/** Mutations of a valid message: overwrite, flip, truncate, extend, delete and insert bytes. */
const mutated = (base: Uint8Array): fc.Arbitrary<Uint8Array> => {
  const pos = fc.integer({ min: 0, max: Math.max(0, base.length - 1) });
  return fc.oneof(
    fc.tuple(pos, fc.integer({ min: 0, max: 255 })).map(([i, b]) => { const m = Uint8Array.from(base); m[i] = b; return m; }),
    fc.tuple(pos, fc.integer({ min: 0, max: 7 })).map(([i, bit]) => { const m = Uint8Array.from(base); m[i]! ^= 1 << bit; return m; }),
    fc.array(fc.tuple(pos, fc.integer({ min: 0, max: 255 })), { minLength: 2, maxLength: 6 }).map((edits) => {
      const m = Uint8Array.from(base); for (const [i, b] of edits) m[i] = b; return m;
    }),
    pos.map((i) => base.subarray(0, i)),
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => Uint8Array.from([...base, ...extra])),
    fc.tuple(pos, fc.integer({ min: 1, max: 16 })).map(([i, n]) => Uint8Array.from([...base.subarray(0, i), ...base.subarray(i + n)])),
    fc.tuple(pos, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([i, ins]) => Uint8Array.from([...base.subarray(0, i), ...ins, ...base.subarray(i)])),
  );
};

test('mutated RFC 8448 handshake messages decode to a value that re-encodes to them, or throw DecodeError', () => {
  const { handshakeMessages } = samples();
  let ok = 0, rejected = 0;
  fc.assert(fc.property(fc.constantFrom(...handshakeMessages).chain((m) => mutated(m.bytes)), (bytes) => {
    if (decodesOrRejects(handshake, bytes) === 'ok') ok++; else rejected++;
  }), { ...params, numRuns: RUNS * 4 });
  // Both outcomes must occur, or the mutations are not exercising the decoder.
  assert.ok(ok > 0 && rejected > 0, `ok ${ok}, rejected ${rejected}`);
});

test('mutated RFC 8448 records decode (as TLSPlaintext or TLSCiphertext) to a value that re-encodes to them, or throw DecodeError', () => {
  const { plaintextRecords, ciphertextRecords } = samples();
  fc.assert(fc.property(fc.constantFrom(...plaintextRecords).chain((m) => mutated(m.bytes)), (bytes) => { decodesOrRejects(plaintext, bytes); }), params);
  fc.assert(fc.property(fc.constantFrom(...ciphertextRecords).chain((m) => mutated(m.bytes)), (bytes) => { decodesOrRejects(ciphertext, bytes); }), params);
});

test('arbitrary bytes never make a decoder throw anything but DecodeError', () => {
  for (const c of [handshake, plaintext, ciphertext, records, alert, extensionsIn(wire.CH), extensionsIn(wire.SH)]) {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => { decodesOrRejects(c, bytes); }), params);
  }
});

test('a huge declared length is rejected as truncation without allocating it', () => {
  // ClientHello header claiming 2^24-1 bytes, and a cipher_suites vector claiming 65534 bytes.
  const big = Uint8Array.of(1, 0xff, 0xff, 0xff, 3, 3);
  try { decodeHandshake(big); assert.unreachable(); } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).alert, 'decode_error');
  }
});

test.run();
