// The RFC vector bounds (`<a..b>`) and fixed values the specs declare with `valid`, checked at their edges:
// the bound itself decodes (and re-encodes), one step past it is a DecodeError with the RFC's alert.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DecodeError } from '../../runtime/codec/index.ts';
import { decodeHandshake, encodeHandshake, decodeClientHello } from '../../generated/tls13/messages/handshake.ts';
import { decodeTlsPlaintext, encodeTlsPlaintext, decodeTlsCiphertext } from '../../generated/tls13/messages/record.ts';
import { decodeExtensions, encodeExtensions } from '../../generated/tls13/messages/extensions.ts';
import type { HandshakeType } from '../../generated/tls13/messages/common.ts';
import { toHex } from './vectors.ts';

const u8 = (n: number): number[] => [n & 0xff];
const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const u24 = (n: number): number[] => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const vec8 = (b: number[]): number[] => [...u8(b.length), ...b];
const vec16 = (b: number[]): number[] => [...u16(b.length), ...b];
const vec24 = (b: number[]): number[] => [...u24(b.length), ...b];
const fill = (n: number, v = 0x41): number[] => new Array<number>(n).fill(v);
const ext = (type: number, data: number[]): number[] => [...u16(type), ...vec16(data)];
const CH = 1, SH = 2, NST = 4, CR = 13;

const accepts = (what: string, decode: () => unknown, reencode?: (v: unknown) => Uint8Array, bytes?: number[]): void => {
  const v = decode();
  if (reencode && bytes) assert.is(toHex(reencode(v)), toHex(Uint8Array.from(bytes)), `${what}: re-encoding`);
};
const rejects = (what: string, decode: () => unknown, alert: string, path: RegExp): void => {
  try {
    decode();
  } catch (e) {
    assert.instance(e, DecodeError, what);
    assert.is((e as DecodeError).alert, alert, `${what}: alert`);
    assert.match((e as DecodeError).path, path, `${what}: path`);
    return;
  }
  assert.unreachable(`${what}: decoded`);
};

/** Extension-block bounds: [name, context, extension type, data at the bound, data one past it, field path].
 *  A vector length out of range is decode_error (RFC 8446 §6); a value out of range is illegal_parameter. */
const EXTENSION_EDGES: [string, number, number, number[], number[], RegExp][] = [
  ['certificate_authorities<3..>', CR, 47, vec16(vec16([0x30])), vec16([0, 0]), /authorities_length/],
  ['record_size_limit >= 64', CH, 28, u16(64), u16(63), /record_size_limit/],
  ['PskBinderEntry<32..255>', CH, 41, [...vec16([...vec16([1]), 0, 0, 0, 0]), ...vec16(vec8(fill(32)))], [...vec16([...vec16([1]), 0, 0, 0, 0]), ...vec16([...vec8(fill(31)), 0])], /binder/],
  ['OfferedPsks.identities<7..>', CH, 41, [...vec16([...vec16([1]), 0, 0, 0, 0]), ...vec16(vec8(fill(32)))], [...vec16([...vec16([]), 0, 0, 0, 0, 0]), ...vec16(vec8(fill(32)))], /identit/],
  ['supported_versions<2..254>', CH, 43, vec8(fill(254, 3)), [255, ...fill(255, 3)], /versions/],
  // (2^16-2, the upper bound, cannot fit in extension_data<0..2^16-1> with its own length prefix.)
  ['signature_algorithms<2..2^16-2>', CH, 13, vec16([8, 4]), vec16([]), /supported_signature_algorithms_length/],
  ['NamedGroupList<2..>', CH, 10, vec16([0, 29]), vec16([]), /named_group_list_length/],
  ['ProtocolNameList<2..> of ProtocolName<1..>', CH, 16, vec16(vec8([0x68])), vec16([0]), /protocol_name_list_length|name_length/],
  ['cookie<1..>', CH, 44, vec16([7]), vec16([]), /cookie_length/],
  ['ke_modes<1..>', CH, 45, vec8([1]), vec8([]), /ke_modes_length/],
  ['KeyShareEntry.key_exchange<1..>', CH, 51, vec16([0, 29, ...vec16([9])]), vec16([0, 29, ...vec16([])]), /key_exchange_length/],
  ['HostName<1..>', CH, 0, vec16([0, ...vec16([0x73])]), vec16([0, ...vec16([])]), /host_name_length/],
];

for (const [name, ctx, type, atBound, past, path] of EXTENSION_EDGES) {
  const alert = name.startsWith('record_size_limit') ? 'illegal_parameter' : 'decode_error';
  test(`${name}: the bound decodes and re-encodes, one past it is ${alert}`, () => {
    const good = ext(type, atBound);
    accepts(name, () => decodeExtensions(Uint8Array.from(good), ctx as HandshakeType), (v) => encodeExtensions(v as never, ctx as HandshakeType), good);
    rejects(name, () => decodeExtensions(Uint8Array.from(ext(type, past)), ctx as HandshakeType), alert, path);
  });
}

const clientHello = (o: { version?: number; sid?: number; suites?: number; comp?: number[]; exts?: number[] } = {}): number[] => {
  const body = [
    ...u16(o.version ?? 0x0303), ...fill(32, 7), ...vec8(fill(o.sid ?? 0)),
    ...vec16(fill(o.suites ?? 2, 0x13)), ...vec8(o.comp ?? [0]),
    ...vec16(o.exts ?? ext(43, vec8([3, 4, 3, 3]))),
  ];
  return [1, ...vec24(body)];
};

test('ClientHello legacy_version: 0x0303 decodes, 0x0302 is protocol_version', () => {
  const good = clientHello();
  accepts('0x0303', () => decodeHandshake(Uint8Array.from(good)), (v) => encodeHandshake(v as never), good);
  rejects('0x0302', () => decodeHandshake(Uint8Array.from(clientHello({ version: 0x0302 }))), 'protocol_version', /legacy_version/);
});

test('ClientHello legacy_session_id<0..32>: 32 bytes decode, 33 are decode_error', () => {
  const good = clientHello({ sid: 32 });
  accepts('32', () => decodeHandshake(Uint8Array.from(good)), (v) => encodeHandshake(v as never), good);
  rejects('33', () => decodeHandshake(Uint8Array.from(clientHello({ sid: 33 }))), 'decode_error', /legacy_session_id/);
});

test('ClientHello cipher_suites<2..2^16-2>: 65534 bytes decode, 0 bytes are decode_error', () => {
  const good = clientHello({ suites: 65534 });
  accepts('65534', () => decodeHandshake(Uint8Array.from(good)), (v) => encodeHandshake(v as never), good);
  rejects('0', () => decodeHandshake(Uint8Array.from(clientHello({ suites: 0 }))), 'decode_error', /cipher_suites/);
});

test('ClientHello legacy_compression_methods<1..> and extensions<8..>: at the bound decode; a shorter extensions block is a TLS 1.2 hello (protocol_version, RFC 8446 App. D.2), no compression method is decode_error', () => {
  const eight = [...ext(0x1a1a, []), ...ext(0x0a0a, [])];
  assert.is(eight.length, 8);
  accepts('8 bytes of extensions', () => decodeClientHello(Uint8Array.from(clientHello({ exts: eight }).slice(4))));
  rejects('4 bytes of extensions', () => decodeClientHello(Uint8Array.from(clientHello({ exts: ext(0x0a0a, []) }).slice(4))), 'protocol_version', /extensions_length/);
  rejects('an empty extensions block', () => decodeClientHello(Uint8Array.from(clientHello({ exts: [] }).slice(4))), 'protocol_version', /extensions_length/);
  rejects('no compression method', () => decodeClientHello(Uint8Array.from(clientHello({ comp: [] }).slice(4))), 'decode_error', /legacy_compression_methods/);
});

test('ServerHello extensions<6..>: one supported_versions (6 bytes) decodes; an empty block is a TLS 1.2 hello (protocol_version, RFC 8446 App. D.1); no block decodes without extensions', () => {
  const sh = (exts: number[] | undefined): Uint8Array => Uint8Array.from([...u16(0x0303), ...fill(32, 9), ...vec8([]), 0x13, 0x01, 0, ...(exts === undefined ? [] : vec16(exts))]);
  const v = decodeHandshake(Uint8Array.from([2, ...vec24([...sh(ext(43, u16(0x0304)))])]));
  assert.is(v.msg_type, 2);
  rejects('0 bytes', () => decodeHandshake(Uint8Array.from([2, ...vec24([...sh([])])])), 'protocol_version', /extensions_length/);
  const bare = decodeHandshake(Uint8Array.from([2, ...vec24([...sh(undefined)])]));
  assert.is((bare.body as { extensions?: unknown }).extensions, undefined, 'the engine refuses the missing block by version');
});

test('CertificateEntry cert_data<1..> and NewSessionTicket ticket<1..>: empty is decode_error', () => {
  const cert = (data: number[]): Uint8Array => Uint8Array.from([11, ...vec24([...vec8([]), ...vec24([...vec24(data), ...vec16([])])])]);
  accepts('1 byte', () => decodeHandshake(cert([0x30])), (v) => encodeHandshake(v as never), [...cert([0x30])]);
  rejects('0 bytes', () => decodeHandshake(cert([])), 'decode_error', /cert_data/);
  const nst = (ticket: number[]): Uint8Array => Uint8Array.from([NST, ...vec24([0, 0, 0, 1, 0, 0, 0, 2, ...vec8([]), ...vec16(ticket), ...vec16([])])]);
  accepts('1 byte', () => decodeHandshake(nst([5])), (v) => encodeHandshake(v as never), [...nst([5])]);
  rejects('0 bytes', () => decodeHandshake(nst([])), 'decode_error', /ticket/);
});

test('KeyUpdate request_update: 0 and 1 decode, 2 is illegal_parameter (RFC 8446 §4.6.3)', () => {
  for (const ok of [0, 1]) accepts(`${ok}`, () => decodeHandshake(Uint8Array.of(24, 0, 0, 1, ok)), (v) => encodeHandshake(v as never), [24, 0, 0, 1, ok]);
  rejects('2', () => decodeHandshake(Uint8Array.of(24, 0, 0, 1, 2)), 'illegal_parameter', /request_update/);
});

test('record length: 2^14 + 256 decodes (plaintext and ciphertext), one more is record_overflow', () => {
  const rec = (type: number, n: number): Uint8Array => Uint8Array.from([type, 3, 3, ...u16(n), ...fill(n, 0x17)]);
  accepts('16640 plaintext', () => decodeTlsPlaintext(rec(23, 16640)), (v) => encodeTlsPlaintext(v as never), [...rec(23, 16640)]);
  accepts('16640 ciphertext', () => decodeTlsCiphertext(rec(23, 16640)));
  rejects('16641 plaintext', () => decodeTlsPlaintext(rec(23, 16641)), 'record_overflow', /length/);
  rejects('16641 ciphertext', () => decodeTlsCiphertext(rec(23, 16641)), 'record_overflow', /length/);
  rejects('ciphertext of type handshake', () => decodeTlsCiphertext(rec(22, 4)), 'illegal_parameter', /opaque_type/);
});

test('ChangeCipherSpec: the byte 1 decodes, any other is illegal_parameter', () => {
  accepts('1', () => decodeTlsPlaintext(Uint8Array.of(20, 3, 3, 0, 1, 1)));
  rejects('2', () => decodeTlsPlaintext(Uint8Array.of(20, 3, 3, 0, 1, 2)), 'illegal_parameter', /value/);
});

test.run();
