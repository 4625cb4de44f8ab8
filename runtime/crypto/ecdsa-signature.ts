// ECDSA signature forms: TLS carries ECDSA-Sig-Value in DER (RFC 8446 §4.2.3, RFC 5480); PKCS#11
// (CKM_ECDSA) and WebCrypto produce and take the fixed-size r||s form. Conversions both ways; the
// DER reader is strict (minimal lengths and integers, no trailing bytes), as verification requires.

function derInt(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v.subarray(i);
  const out = new Uint8Array((body[0]! & 0x80 ? 1 : 0) + body.length + 2);
  out[0] = 0x02;
  out[1] = out.length - 2;
  out.set(body, out.length - body.length);
  return out;
}

/** DER ECDSA-Sig-Value from r||s (each half the curve's byte size). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const r = derInt(raw.subarray(0, half));
  const s = derInt(raw.subarray(half));
  const bodyLen = r.length + s.length;
  const head = bodyLen < 0x80 ? [0x30, bodyLen] : [0x30, 0x81, bodyLen];
  const out = new Uint8Array(head.length + bodyLen);
  out.set(head, 0);
  out.set(r, head.length);
  out.set(s, head.length + r.length);
  return out;
}

/**
 * r||s (each `size` bytes) from a strict DER ECDSA-Sig-Value, or undefined when the encoding is not
 * exactly DER or r/s do not fit in `size` bytes (such a signature cannot verify).
 */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  let p = 0;
  const len = (): number | undefined => {
    if (p >= der.length) return undefined;
    const first = der[p++]!;
    if (first < 0x80) return first;
    if (first !== 0x81 || p >= der.length) return undefined; // ECDSA signatures for P-256/P-384 are < 256 bytes
    const v = der[p++]!;
    return v < 0x80 ? undefined : v; // non-minimal long form
  };
  if (der[p++] !== 0x30) return undefined;
  const total = len();
  if (total === undefined || p + total !== der.length) return undefined;
  const out = new Uint8Array(2 * size);
  for (let k = 0; k < 2; k++) {
    if (der[p++] !== 0x02) return undefined;
    const n = len();
    if (n === undefined || n === 0 || p + n > der.length) return undefined;
    let v = der.subarray(p, p + n);
    p += n;
    if (v[0]! & 0x80) return undefined; // negative
    if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) return undefined; // non-minimal
    if (v[0] === 0 && v.length > 1) v = v.subarray(1);
    if (v.length > size) return undefined;
    out.set(v, k * size + size - v.length);
  }
  return p === der.length ? out : undefined;
}
