// A tiny bounded DER walker: just enough to slice the exact bytes X.509 verification needs
// (tbsCertificate, names, SubjectPublicKeyInfo, algorithm identifiers, subjectAltName entries).
// Every read checks bounds; lengths are definite and at most 4 bytes; nothing allocates by
// an attacker-supplied length (results are subarray views).

export interface Tlv {
  readonly tag: number;
  /** The whole element, header included. */
  readonly full: Uint8Array;
  /** The contents octets. */
  readonly value: Uint8Array;
}

/** A structural problem in DER/X.509 input. Internal: always wrapped into CertificateError
 *  (CERT_MALFORMED) or CertificateConfigError (CERT_BAD_TRUST_ANCHOR) before leaving runtime/x509. */
export class DerError extends Error {
  readonly code = 'DER_MALFORMED';
  readonly blame = 'peer';
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** Reads one TLV at `offset`; returns it and the offset after it. */
export function readTlv(buf: Uint8Array, offset: number): { tlv: Tlv; next: number } {
  if (offset + 2 > buf.length) throw new DerError(`truncated DER header at offset ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte DER tag at offset ${offset}`);
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError(`unsupported DER length form at offset ${offset}`);
    if (p + n > buf.length) throw new DerError(`truncated DER length at offset ${offset}`);
    if (buf[p] === 0) throw new DerError(`non-minimal DER length (leading zero) at offset ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    if (len < 0x80) throw new DerError(`non-minimal DER length (long form for ${len}) at offset ${offset}`);
    p += n;
  }
  if (p + len > buf.length) throw new DerError(`DER element at offset ${offset} claims ${len} bytes, only ${buf.length - p} remain`);
  return { tlv: { tag, full: buf.subarray(offset, p + len), value: buf.subarray(p, p + len) }, next: p + len };
}

/** The children of a constructed element, in order. */
export function children(value: Uint8Array, limit = 64): Tlv[] {
  const out: Tlv[] = [];
  let off = 0;
  while (off < value.length) {
    if (out.length >= limit) throw new DerError(`more than ${limit} DER elements in one SEQUENCE`);
    const { tlv, next } = readTlv(value, off);
    out.push(tlv);
    off = next;
  }
  return out;
}

/** Parses exactly one element filling `buf` (no trailing bytes). */
export function single(buf: Uint8Array): Tlv {
  const { tlv, next } = readTlv(buf, 0);
  if (next !== buf.length) throw new DerError(`${buf.length - next} trailing bytes after DER element`);
  return tlv;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]!;
  return s;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
