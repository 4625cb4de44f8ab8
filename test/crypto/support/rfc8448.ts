// Reader for /work/shared/vectors/rfc8448/transcripts.vec (Botan's RFC 8448 transcripts) and a
// minimal TLS 1.3 message walker for tests: just enough to find randoms, key shares, PSK binders
// and ticket fields. Test support only; the engine has its own generated codecs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..', '..');
export const vecPath = join(root, '..', 'shared', 'vectors', 'rfc8448', 'transcripts.vec');

export type Section = Map<string, Uint8Array>;

/** Hex to bytes; whitespace inside the value is ignored (the .vec file has a few stray spaces, as Botan's reader allows). */
export function hexToBytes(h: string): Uint8Array {
  const clean = h.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not hex: "${h.slice(0, 40)}"`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** All sections of transcripts.vec, values decoded from hex (CurrentTimestamp and PskIdentity/PskPRF kept as raw text bytes too). */
export function loadTranscripts(): Map<string, Section> {
  const out = new Map<string, Section>();
  let cur: Section | undefined;
  for (const raw of readFileSync(vecPath, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) { cur = new Map(); out.set(m[1]!, cur); continue; }
    const eq = line.indexOf(' = ');
    if (eq < 0 || cur === undefined) throw new Error(`transcripts.vec: cannot parse line "${line.slice(0, 40)}"`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 3).trim();
    const text = key === 'CurrentTimestamp' || key === 'PskIdentity' || key === 'PskPRF';
    cur.set(key, text ? new TextEncoder().encode(value) : hexToBytes(value));
  }
  return out;
}

export function need(s: Section, key: string): Uint8Array {
  const v = s.get(key);
  if (v === undefined) throw new Error(`transcripts.vec section lacks ${key}`);
  return v;
}

export interface Record { type: number; header: Uint8Array; fragment: Uint8Array; raw: Uint8Array }

/** Split a byte string into TLS records. */
export function splitRecords(bytes: Uint8Array): Record[] {
  const out: Record[] = [];
  let o = 0;
  while (o < bytes.length) {
    const len = (bytes[o + 3]! << 8) | bytes[o + 4]!;
    out.push({ type: bytes[o]!, header: bytes.slice(o, o + 5), fragment: bytes.slice(o + 5, o + 5 + len), raw: bytes.slice(o, o + 5 + len) });
    o += 5 + len;
  }
  if (o !== bytes.length) throw new Error('trailing partial record');
  return out;
}

/** Split concatenated handshake messages. */
export function splitHandshake(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < bytes.length) {
    const len = (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
    out.push(bytes.slice(o, o + 4 + len));
    o += 4 + len;
  }
  return out;
}

class Cursor {
  o = 0;
  constructor(readonly b: Uint8Array) {}
  u8(): number { return this.b[this.o++]!; }
  u16(): number { const v = (this.b[this.o]! << 8) | this.b[this.o + 1]!; this.o += 2; return v; }
  u24(): number { const v = (this.b[this.o]! << 16) | (this.b[this.o + 1]! << 8) | this.b[this.o + 2]!; this.o += 3; return v; }
  u32(): number { return ((this.u16() << 16) >>> 0) + this.u16(); }
  take(n: number): Uint8Array { const v = this.b.subarray(this.o, this.o + n); this.o += n; return v; }
  get done(): boolean { return this.o >= this.b.length; }
}

export interface Extension { type: number; data: Uint8Array; offset: number }

function readExtensions(c: Cursor, base: number): Extension[] {
  const out: Extension[] = [];
  const end = c.o + c.u16();
  while (c.o < end) {
    const type = c.u16();
    const len = c.u16();
    const offset = base + c.o;
    out.push({ type, data: c.take(len), offset });
  }
  return out;
}

export interface Hello {
  type: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  extensions: Extension[];
}

/** Parse a ClientHello or ServerHello handshake message (with its 4-byte header). */
export function parseHello(msg: Uint8Array): Hello {
  const c = new Cursor(msg);
  const type = c.u8();
  c.u24();
  c.u16();
  const random = c.take(32).slice();
  const sessionId = c.take(c.u8()).slice();
  const cipherSuites: number[] = [];
  if (type === 1) {
    const n = c.u16() / 2;
    for (let i = 0; i < n; i++) cipherSuites.push(c.u16());
    c.take(c.u8());
  } else {
    cipherSuites.push(c.u16());
    c.u8();
  }
  return { type, random, sessionId, cipherSuites, extensions: readExtensions(c, 0) };
}

export function ext(h: Hello, type: number): Extension | undefined {
  return h.extensions.find((e) => e.type === type);
}

/** key_share entries of a ClientHello (group, key_exchange) or the single ServerHello entry. */
export function keyShares(h: Hello): { group: number; key: Uint8Array }[] {
  const e = ext(h, 0x0033);
  if (e === undefined) return [];
  const c = new Cursor(e.data);
  if (h.type === 2) {
    const group = c.u16();
    if (c.done) return [{ group, key: new Uint8Array(0) }]; // HelloRetryRequest: selected_group only
    return [{ group, key: c.take(c.u16()).slice() }];
  }
  const out: { group: number; key: Uint8Array }[] = [];
  const end = c.u16() + 2;
  while (c.o < end) { const group = c.u16(); out.push({ group, key: c.take(c.u16()).slice() }); }
  return out;
}

/** ClientHello pre_shared_key: identities and binders, and the length of the truncated ClientHello (RFC 8446 §4.2.11.2). */
export function clientPsk(msg: Uint8Array): { identities: { identity: Uint8Array; age: number }[]; binders: Uint8Array[]; truncatedLength: number } | undefined {
  const h = parseHello(msg);
  const e = ext(h, 0x0029);
  if (e === undefined) return undefined;
  const c = new Cursor(e.data);
  const identities: { identity: Uint8Array; age: number }[] = [];
  const idEnd = c.u16() + 2;
  while (c.o < idEnd) { const identity = c.take(c.u16()).slice(); identities.push({ identity, age: c.u32() }); }
  const bindersStart = c.o;
  const binders: Uint8Array[] = [];
  const bEnd = c.u16() + c.o;
  while (c.o < bEnd) binders.push(c.take(c.u8()).slice());
  return { identities, binders, truncatedLength: e.offset + bindersStart };
}

/** NewSessionTicket fields (RFC 8446 §4.6.1). */
export function parseNewSessionTicket(msg: Uint8Array): { lifetime: number; ageAdd: number; nonce: Uint8Array; ticket: Uint8Array; extensions: Extension[] } {
  const c = new Cursor(msg);
  if (c.u8() !== 4) throw new Error('not a NewSessionTicket');
  c.u24();
  const lifetime = c.u32();
  const ageAdd = c.u32();
  const nonce = c.take(c.u8()).slice();
  const ticket = c.take(c.u16()).slice();
  return { lifetime, ageAdd, nonce, ticket, extensions: readExtensions(c, 0) };
}

/** The first-level DER elements of a SEQUENCE (tag, value): enough to read Botan's session encoding. */
export function derSequence(der: Uint8Array): { tag: number; value: Uint8Array }[] {
  const top = derElement(der, 0);
  const out: { tag: number; value: Uint8Array }[] = [];
  let o = 0;
  while (o < top.value.length) {
    const e = derElement(top.value, o);
    out.push({ tag: e.tag, value: e.value });
    o = e.end;
  }
  return out;
}

function derElement(b: Uint8Array, o: number): { tag: number; value: Uint8Array; end: number } {
  const tag = b[o]!;
  let len = b[o + 1]!;
  let p = o + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
  }
  return { tag, value: b.subarray(p, p + len), end: p + len };
}
