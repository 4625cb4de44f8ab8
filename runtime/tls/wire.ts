// Wire forms of the TLS 1.3 handshake messages and extensions the engine reads and writes
// (RFC 8446 §4). Decoding is bounded: every length is checked against the bytes that remain
// before anything is allocated, sub-vectors are read through bounded sub-readers, and trailing
// bytes are an error. Every failure is a TlsPeerError with alert decode_error (or
// illegal_parameter for a value the RFC forbids).
//
// NOTE: this is the engine's interim codec. The generated codecs (generated/tls13/messages/*.ts,
// from specs/tls13/messages/*.ksy) are the intended source; see docs/engine-design.md §"Codecs".
import { TlsPeerError } from './errors.ts';

export const HandshakeType = {
  client_hello: 1, server_hello: 2, new_session_ticket: 4, end_of_early_data: 5,
  encrypted_extensions: 8, certificate: 11, certificate_request: 13, certificate_verify: 15,
  finished: 20, key_update: 24, message_hash: 254,
} as const;

export const ContentType = { change_cipher_spec: 20, alert: 21, handshake: 22, application_data: 23 } as const;

export const ExtensionType = {
  server_name: 0, supported_groups: 10, signature_algorithms: 13, application_layer_protocol_negotiation: 16,
  padding: 21, record_size_limit: 28, pre_shared_key: 41, early_data: 42, supported_versions: 43, cookie: 44,
  psk_key_exchange_modes: 45, certificate_authorities: 47, post_handshake_auth: 49, signature_algorithms_cert: 50,
  key_share: 51,
} as const;

export const HRR_RANDOM = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });
export const enc = (s: string): Uint8Array => utf8.encode(s);

/** Bounded reader over one message. `what` names the message for error text. */
export class Reader {
  private pos: number;
  constructor(private readonly buf: Uint8Array, private readonly what: string, private readonly start = 0, private readonly end = buf.length) {
    this.pos = start;
  }
  private fail(field: string, detail: string): never {
    throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', `${this.what}: ${field}: ${detail} (at byte ${this.pos}); the peer sent a malformed message`);
  }
  get remaining(): number { return this.end - this.pos; }
  need(n: number, field: string): void { if (n > this.end - this.pos) this.fail(field, `needs ${n} bytes, only ${this.end - this.pos} left`); }
  u8(field: string): number { this.need(1, field); return this.buf[this.pos++]!; }
  u16(field: string): number { this.need(2, field); const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!; this.pos += 2; return v; }
  u24(field: string): number { this.need(3, field); const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!; this.pos += 3; return v; }
  u32(field: string): number { this.need(4, field); const v = ((this.buf[this.pos]! << 24) >>> 0) + ((this.buf[this.pos + 1]! << 16) | (this.buf[this.pos + 2]! << 8) | this.buf[this.pos + 3]!); this.pos += 4; return v; }
  bytes(n: number, field: string): Uint8Array { this.need(n, field); const v = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  /** opaque x<min..max> with a 1/2/3-byte length prefix. */
  vec(lenBytes: 1 | 2 | 3, field: string, min = 0, max = Infinity): Uint8Array {
    const n = lenBytes === 1 ? this.u8(field) : lenBytes === 2 ? this.u16(field) : this.u24(field);
    if (n < min || n > max) this.fail(field, `length ${n} outside ${min}..${max}`);
    return this.bytes(n, field);
  }
  sub(lenBytes: 1 | 2 | 3, field: string, min = 0, max = Infinity): Reader {
    const v = this.vec(lenBytes, field, min, max);
    return new Reader(v, `${this.what}.${field}`);
  }
  end_(field: string): void { if (this.pos !== this.end) this.fail(field, `${this.end - this.pos} trailing bytes`); }
}

export class Writer {
  private parts: Uint8Array[] = [];
  u8(v: number): this { this.parts.push(Uint8Array.of(v & 0xff)); return this; }
  u16(v: number): this { this.parts.push(Uint8Array.of((v >> 8) & 0xff, v & 0xff)); return this; }
  u24(v: number): this { this.parts.push(Uint8Array.of((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff)); return this; }
  u32(v: number): this { this.parts.push(Uint8Array.of((v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff)); return this; }
  bytes(b: Uint8Array): this { this.parts.push(b); return this; }
  vec(lenBytes: 1 | 2 | 3, b: Uint8Array): this {
    if (lenBytes === 1) this.u8(b.length); else if (lenBytes === 2) this.u16(b.length); else this.u24(b.length);
    return this.bytes(b);
  }
  nested(lenBytes: 1 | 2 | 3, f: (w: Writer) => void): this { const w = new Writer(); f(w); return this.vec(lenBytes, w.finish()); }
  finish(): Uint8Array { return concat(...this.parts); }
}

// ---- extensions --------------------------------------------------------------------------------

export interface Extension { readonly type: number; readonly data: Uint8Array }

export function readExtensions(r: Reader, what: string): Extension[] {
  const er = r.sub(2, `${what}.extensions`);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (er.remaining > 0) {
    const type = er.u16('extension_type');
    const data = er.vec(2, 'extension_data');
    if (seen.has(type)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `${what}: extension ${type} appears twice (RFC 8446 §4.2 forbids duplicates)`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

export function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  w.nested(2, (x) => { for (const e of exts) x.u16(e.type).vec(2, e.data); });
}

export const ext = (type: number, f: (w: Writer) => void): Extension => { const w = new Writer(); f(w); return { type, data: w.finish() }; };
export const findExt = (exts: readonly Extension[], type: number): Extension | undefined => exts.find((e) => e.type === type);

export function u16List(data: Uint8Array, what: string, lenBytes: 1 | 2 = 2): number[] {
  const r = new Reader(data, what);
  const l = r.sub(lenBytes, 'list', 2);
  const out: number[] = [];
  if (l.remaining % 2) throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', `${what}: odd list length`);
  while (l.remaining > 0) out.push(l.u16('entry'));
  r.end_('list');
  return out;
}

export interface KeyShareEntry { readonly group: number; readonly key: Uint8Array }
export function readKeyShareEntry(r: Reader): KeyShareEntry {
  const group = r.u16('group');
  const key = r.vec(2, 'key_exchange', 1);
  return { group, key };
}

export function decodeClientKeyShares(data: Uint8Array): KeyShareEntry[] {
  const r = new Reader(data, 'ClientHello.key_share');
  const l = r.sub(2, 'client_shares');
  const out: KeyShareEntry[] = [];
  while (l.remaining > 0) out.push(readKeyShareEntry(l));
  r.end_('client_shares');
  return out;
}

export function decodeAlpnList(data: Uint8Array, what: string): string[] {
  const r = new Reader(data, what);
  const l = r.sub(2, 'protocol_name_list', 2);
  const out: string[] = [];
  while (l.remaining > 0) {
    const name = l.vec(1, 'protocol_name', 1);
    try { out.push(utf8d.decode(name)); } catch { out.push(Array.from(name, (b) => String.fromCharCode(b)).join('')); }
  }
  r.end_('protocol_name_list');
  return out;
}
export function encodeAlpnList(names: readonly string[]): Uint8Array {
  return new Writer().nested(2, (w) => { for (const n of names) w.vec(1, enc(n)); }).finish();
}

export function decodeServerName(data: Uint8Array): string | undefined {
  const r = new Reader(data, 'ClientHello.server_name');
  const l = r.sub(2, 'server_name_list', 1);
  let host: string | undefined;
  while (l.remaining > 0) {
    const t = l.u8('name_type');
    const name = l.vec(2, 'HostName', 1);
    if (t === 0) {
      if (host !== undefined) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello.server_name: two host_name entries (RFC 6066 §3)');
      let s: string;
      try { s = utf8d.decode(name); } catch { throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', 'ClientHello.server_name: host name is not valid text'); }
      if (!/^[A-Za-z0-9._-]+$/.test(s)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello.server_name: host name has characters outside LDH/dot');
      host = s.toLowerCase();
    }
  }
  r.end_('server_name_list');
  return host;
}

// ---- handshake messages ------------------------------------------------------------------------

export interface ClientHello {
  readonly random: Uint8Array;
  readonly legacy_session_id: Uint8Array;
  readonly cipher_suites: readonly number[];
  readonly extensions: readonly Extension[];
}

export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body, 'ClientHello');
  const legacy = r.u16('legacy_version');
  if (legacy !== 0x0303) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', `ClientHello.legacy_version is 0x${legacy.toString(16)}, expected 0x0303`);
  const random = r.bytes(32, 'random');
  const legacy_session_id = r.vec(1, 'legacy_session_id', 0, 32);
  const cs = r.sub(2, 'cipher_suites', 2, 0xfffe);
  const cipher_suites: number[] = [];
  if (cs.remaining % 2) throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', 'ClientHello.cipher_suites: odd length');
  while (cs.remaining > 0) cipher_suites.push(cs.u16('cipher_suite'));
  const comp = r.vec(1, 'legacy_compression_methods', 1);
  if (comp.length !== 1 || comp[0] !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello.legacy_compression_methods must be exactly [0] in TLS 1.3 (RFC 8446 §4.1.2)');
  const extensions = r.remaining > 0 ? readExtensions(r, 'ClientHello') : [];
  r.end_('extensions');
  return { random, legacy_session_id, cipher_suites, extensions };
}

export function encodeClientHello(m: ClientHello): Uint8Array {
  const w = new Writer().u16(0x0303).bytes(m.random).vec(1, m.legacy_session_id);
  w.nested(2, (x) => { for (const c of m.cipher_suites) x.u16(c); });
  w.vec(1, Uint8Array.of(0));
  writeExtensions(w, m.extensions);
  return w.finish();
}

export interface ServerHello {
  readonly random: Uint8Array;
  readonly legacy_session_id_echo: Uint8Array;
  readonly cipher_suite: number;
  readonly extensions: readonly Extension[];
  readonly isHelloRetryRequest: boolean;
}

export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body, 'ServerHello');
  const legacy = r.u16('legacy_version');
  if (legacy !== 0x0303) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', `ServerHello.legacy_version is 0x${legacy.toString(16)}, expected 0x0303`);
  const random = r.bytes(32, 'random');
  const legacy_session_id_echo = r.vec(1, 'legacy_session_id_echo', 0, 32);
  const cipher_suite = r.u16('cipher_suite');
  const comp = r.u8('legacy_compression_method');
  if (comp !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ServerHello.legacy_compression_method must be 0');
  const extensions = readExtensions(r, 'ServerHello');
  r.end_('extensions');
  return { random, legacy_session_id_echo, cipher_suite, extensions, isHelloRetryRequest: bytesEqual(random, HRR_RANDOM) };
}

export function encodeServerHello(m: Omit<ServerHello, 'isHelloRetryRequest'>): Uint8Array {
  const w = new Writer().u16(0x0303).bytes(m.random).vec(1, m.legacy_session_id_echo).u16(m.cipher_suite).u8(0);
  writeExtensions(w, m.extensions);
  return w.finish();
}

export function decodeExtensionsOnly(body: Uint8Array, what: string): Extension[] {
  const r = new Reader(body, what);
  const exts = readExtensions(r, what);
  r.end_('extensions');
  return exts;
}
export function encodeExtensionsOnly(exts: readonly Extension[]): Uint8Array {
  const w = new Writer(); writeExtensions(w, exts); return w.finish();
}

export interface CertificateRequest { readonly context: Uint8Array; readonly extensions: readonly Extension[] }
export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new Reader(body, 'CertificateRequest');
  const context = r.vec(1, 'certificate_request_context');
  const extensions = readExtensions(r, 'CertificateRequest');
  r.end_('extensions');
  return { context, extensions };
}
export function encodeCertificateRequest(m: CertificateRequest): Uint8Array {
  const w = new Writer().vec(1, m.context); writeExtensions(w, m.extensions); return w.finish();
}

export interface Certificate { readonly context: Uint8Array; readonly certificates: readonly Uint8Array[] }
export function decodeCertificate(body: Uint8Array): Certificate {
  const r = new Reader(body, 'Certificate');
  const context = r.vec(1, 'certificate_request_context');
  const list = r.sub(3, 'certificate_list');
  const certificates: Uint8Array[] = [];
  while (list.remaining > 0) {
    certificates.push(list.vec(3, 'cert_data', 1));
    list.vec(2, 'extensions'); // per-entry extensions (status_request, SCT) are ignored
  }
  r.end_('certificate_list');
  return { context, certificates };
}
export function encodeCertificate(m: Certificate): Uint8Array {
  return new Writer().vec(1, m.context).nested(3, (w) => { for (const c of m.certificates) w.vec(3, c).u16(0); }).finish();
}

export interface CertificateVerify { readonly algorithm: number; readonly signature: Uint8Array }
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body, 'CertificateVerify');
  const algorithm = r.u16('algorithm');
  const signature = r.vec(2, 'signature', 1);
  r.end_('signature');
  return { algorithm, signature };
}
export function encodeCertificateVerify(m: CertificateVerify): Uint8Array {
  return new Writer().u16(m.algorithm).vec(2, m.signature).finish();
}

export interface NewSessionTicket {
  readonly lifetime: number; readonly age_add: number; readonly nonce: Uint8Array; readonly ticket: Uint8Array;
  readonly extensions: readonly Extension[];
}
export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body, 'NewSessionTicket');
  const lifetime = r.u32('ticket_lifetime');
  const age_add = r.u32('ticket_age_add');
  const nonce = r.vec(1, 'ticket_nonce');
  const ticket = r.vec(2, 'ticket', 1);
  const extensions = readExtensions(r, 'NewSessionTicket');
  r.end_('extensions');
  return { lifetime, age_add, nonce, ticket, extensions };
}
export function encodeNewSessionTicket(m: NewSessionTicket): Uint8Array {
  const w = new Writer().u32(m.lifetime).u32(m.age_add).vec(1, m.nonce).vec(2, m.ticket);
  writeExtensions(w, m.extensions);
  return w.finish();
}

export function decodeKeyUpdate(body: Uint8Array): { update_requested: boolean } {
  const r = new Reader(body, 'KeyUpdate');
  const v = r.u8('request_update');
  r.end_('request_update');
  if (v > 1) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `KeyUpdate.request_update is ${v}; only 0 and 1 are defined (RFC 8446 §4.6.3)`);
  return { update_requested: v === 1 };
}

/** Handshake framing: msg_type(1) length(3) body. */
export function frameHandshake(type: number, body: Uint8Array): Uint8Array {
  return new Writer().u8(type).vec(3, body).finish();
}

/** ClientHello with its PSK binders cut off (RFC 8446 §4.2.11.2): the full message minus the
 *  binders list (2-byte length + entries) that ends it. */
export function truncateBinders(framedClientHello: Uint8Array, bindersLength: number): Uint8Array {
  return framedClientHello.subarray(0, framedClientHello.length - bindersLength);
}
