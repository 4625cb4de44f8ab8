// A bounded DER reader for exactly what the noble provider needs: SubjectPublicKeyInfo (RFC 5280
// §4.1.2.7) with id-ecPublicKey (RFC 5480) or id-Ed25519 (RFC 8410). Every length is checked against
// the bytes actually present; anything else is a CryptoError, never an exception from a slice.
import { CryptoError } from '../errors.ts';

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_P256 = '1.2.840.10045.3.1.7';
const OID_P384 = '1.3.132.0.34';
const OID_ED25519 = '1.3.101.112';
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_RSA_PSS = '1.2.840.113549.1.1.10';

export type SpkiKey =
  | { kind: 'ec'; curve: 'p256' | 'p384'; point: Uint8Array }
  | { kind: 'ed25519'; key: Uint8Array }
  | { kind: 'rsa' | 'rsa-pss' };

function bad(why: string): CryptoError {
  return new CryptoError('CRYPTO_INVALID_PUBLIC_KEY', 'peer', `SubjectPublicKeyInfo is malformed: ${why}.`, { alert: 'bad_certificate' });
}

interface Tlv { tag: number; value: Uint8Array; end: number }

function tlv(b: Uint8Array, o: number): Tlv {
  if (o + 2 > b.length) throw bad('truncated element header');
  const tag = b[o]!;
  let len = b[o + 1]!;
  let p = o + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || p + n > b.length) throw bad('unsupported or truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
    if (len < 0x80) throw bad('non-minimal length');
  }
  if (p + len > b.length) throw bad('element longer than its container');
  return { tag, value: b.subarray(p, p + len), end: p + len };
}

function oid(v: Uint8Array): string {
  if (v.length === 0) throw bad('empty OID');
  const parts = [Math.floor(v[0]! / 40), v[0]! % 40];
  let acc = 0;
  for (let i = 1; i < v.length; i++) {
    acc = acc * 128 + (v[i]! & 0x7f);
    if (acc > 2 ** 32) throw bad('OID arc too large');
    if (!(v[i]! & 0x80)) { parts.push(acc); acc = 0; }
  }
  return parts.join('.');
}

export function parseSpki(spki: Uint8Array): SpkiKey {
  const top = tlv(spki, 0);
  if (top.tag !== 0x30 || top.end !== spki.length) throw bad('not a single SEQUENCE');
  const alg = tlv(top.value, 0);
  if (alg.tag !== 0x30) throw bad('algorithm is not a SEQUENCE');
  const bits = tlv(top.value, alg.end);
  if (bits.tag !== 0x03 || bits.end !== top.value.length) throw bad('subjectPublicKey is not the final BIT STRING');
  if (bits.value.length < 1 || bits.value[0] !== 0) throw bad('BIT STRING with unused bits');
  const key = bits.value.subarray(1);
  const algOid = tlv(alg.value, 0);
  if (algOid.tag !== 0x06) throw bad('algorithm identifier is not an OID');
  const id = oid(algOid.value);
  if (id === OID_EC_PUBLIC_KEY) {
    const param = tlv(alg.value, algOid.end);
    if (param.tag !== 0x06 || param.end !== alg.value.length) throw bad('EC parameters are not a named curve');
    const curve = oid(param.value);
    if (curve === OID_P256) return { kind: 'ec', curve: 'p256', point: key.slice() };
    if (curve === OID_P384) return { kind: 'ec', curve: 'p384', point: key.slice() };
    throw new CryptoError('CRYPTO_INVALID_PUBLIC_KEY', 'peer', `EC public key on curve ${curve} is not supported (P-256 and P-384 only).`, { alert: 'bad_certificate' });
  }
  if (id === OID_ED25519) {
    if (algOid.end !== alg.value.length) throw bad('Ed25519 algorithm identifier has parameters');
    if (key.length !== 32) throw bad('Ed25519 key is not 32 bytes');
    return { kind: 'ed25519', key: key.slice() };
  }
  if (id === OID_RSA) return { kind: 'rsa' };
  if (id === OID_RSA_PSS) return { kind: 'rsa-pss' };
  throw new CryptoError('CRYPTO_INVALID_PUBLIC_KEY', 'peer', `public key algorithm ${id} is not supported.`, { alert: 'bad_certificate' });
}
