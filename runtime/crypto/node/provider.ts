// The node:crypto provider: every primitive here is node:crypto (OpenSSL underneath), nothing else.
// `createNodeProvider({ randomBytes })` lets tests pin the random source; key-share private scalars
// are drawn from that same source so a pinned source pins them too.
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes as nodeRandomBytes,
  verify as nodeVerify,
  type CipherGCM,
  type DecipherGCM,
  type Hash,
  type KeyObject,
} from 'node:crypto';
import { CryptoError } from '../errors.ts';
import {
  CipherSuite,
  NamedGroup,
  SignatureScheme,
  hashLength,
  type AeadAlgorithm,
  type AeadKey,
  type CryptoProvider,
  type HashAlgorithm,
  type KeyShare,
  type NamedGroupId,
  type ProviderCapabilities,
  type PublicKeyHandle,
  type SignatureSchemeId,
  type TranscriptHash,
} from '../provider.ts';
import { schemeInfo } from './schemes.ts';

export interface NodeProviderOptions {
  /** Source of randomness; defaults to node:crypto randomBytes. Tests pass a pinned pool here. */
  randomBytes?: (n: number) => Uint8Array;
  /**
   * How many parsed verification keys (by SubjectPublicKeyInfo bytes) this provider keeps, so that a
   * certificate key seen again (intermediates, roots, a returning server) is not re-imported on
   * every verify. Least recently used entries go first; 0 turns the cache off. Default 256.
   */
  publicKeyCacheSize?: number;
}

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

interface EcCurve { nodeName: string; group: NamedGroupId; name: string; byteLength: number; order: bigint }
const EC_CURVES: readonly EcCurve[] = [
  {
    nodeName: 'prime256v1', group: NamedGroup.secp256r1, name: 'secp256r1', byteLength: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  {
    nodeName: 'secp384r1', group: NamedGroup.secp384r1, name: 'secp384r1', byteLength: 48,
    order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
];

const CAPABILITIES: ProviderCapabilities = Object.freeze({
  cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
  groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1],
  signatureSchemes: [
    SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.ed25519,
    SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512,
  ],
  certificateSignatureSchemes: [
    SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.ed25519,
    SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512,
    SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512,
  ],
});

function u8(b: Buffer | Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * A digest (`hash.digest('latin1')`, `hmac.digest('latin1')`) as bytes, the first `length` of them (default all).
 * node:crypto's `digest()` returns a Buffer with a backing store of its own, malloc'd and zero-filled, which the
 * collector must track and sweep; asked for a latin1 string instead (one character per byte, byte for byte), it
 * makes a small string on the JS heap, and the bytes are copied into an array of at most 64 bytes, which V8 also
 * keeps on its heap. Measured: an HMAC-SHA256 of 60 bytes 1.6 µs of CPU against 3.5 µs through digest() (the
 * latter's collection work included; micro-benchmark of 300,000 calls), and a server handshake makes 27 digests.
 * The string, like the Buffer it replaces before it is collected, is a copy of the digest that cannot be wiped;
 * it holds nothing the returned array (the secret the caller keeps) does not.
 */
function digestBytes(latin1: string, length = latin1.length): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = latin1.charCodeAt(i);
  return out;
}

/** The big-endian 32-bit word at `i` (signed, as DataView#getInt32). Read byte by byte: a DataView needs `.buffer`,
 *  and reading `.buffer` of a typed array of up to 64 bytes (which V8 keeps on its heap) makes V8 move the bytes into
 *  an ArrayBuffer of their own, off the heap, that the collector must then track and sweep. */
function be32(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}

/**
 * Where HMAC keys and messages are staged for node:crypto: one ArrayBuffer for the process, off V8's heap from the
 * start. node:crypto reads an argument's bytes through its ArrayBuffer, and a typed array of up to 64 bytes (the key
 * schedule's secrets and HKDF labels) has none until asked: V8 keeps it on its heap, and the first native call that
 * reads it moves its bytes into an ArrayBuffer of their own, which the collector then tracks and sweeps (8 per server
 * handshake, counted with a uprobe on V8's ArrayBufferSweeper::Append). Copied here instead, the bytes are read
 * through views of this buffer (plain JS objects) and wiped once node:crypto has copied them (it keeps none).
 * JavaScript runs one call at a time, and createHmac/update/digest are synchronous: nothing else uses it meanwhile.
 */
const STAGE_LENGTH = 512;
const STAGE = new ArrayBuffer(STAGE_LENGTH);
const STAGE_BYTES = new Uint8Array(STAGE);

/** HMAC(key, data [|| last]) as node:crypto's latin1 digest string (see digestBytes), inputs staged (see STAGE). */
function hmacLatin1(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array, last?: number): string {
  const k = key.length;
  const n = k + data.length + (last === undefined ? 0 : 1);
  if (n > STAGE_LENGTH) {
    const m = createHmac(algorithm, key).update(data);
    if (last !== undefined) m.update(Uint8Array.of(last));
    return m.digest('latin1');
  }
  STAGE_BYTES.set(key, 0);
  STAGE_BYTES.set(data, k);
  if (last !== undefined) STAGE_BYTES[n - 1] = last;
  try {
    return createHmac(algorithm, new Uint8Array(STAGE, 0, k)).update(new Uint8Array(STAGE, k, n - k)).digest('latin1');
  } finally {
    STAGE_BYTES.fill(0, 0, n);
  }
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

function bytesToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function checkHash(algorithm: HashAlgorithm): void {
  if (algorithm !== 'sha256' && algorithm !== 'sha384') {
    throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Hash "${String(algorithm)}" is not supported by the node provider; use sha256 or sha384.`);
  }
}

class NodeTranscriptHash implements TranscriptHash {
  readonly algorithm: HashAlgorithm;
  readonly outputLength: number;
  readonly #h: Hash;
  constructor(algorithm: HashAlgorithm, h?: Hash) {
    this.algorithm = algorithm;
    this.outputLength = hashLength(algorithm);
    this.#h = h ?? createHash(algorithm);
  }
  update(data: Uint8Array): void { this.#h.update(data); }
  snapshot(): Uint8Array { return digestBytes(this.#h.copy().digest('latin1')); }
  clone(): TranscriptHash { return new NodeTranscriptHash(this.algorithm, this.#h.copy()); }
}

const AEAD_KEY_LENGTH: Record<AeadAlgorithm, number> = { 'aes-128-gcm': 16, 'aes-256-gcm': 32, 'chacha20-poly1305': 32 };
const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;

/** One options object for every cipher context (createCipheriv reads it; nothing keeps it). */
const AEAD_OPTIONS = { authTagLength: TAG_LENGTH } as const;
/** The one buffer every NodeAeadKey writes its key into for the duration of a createCipheriv call
 *  (JavaScript runs one call at a time; node copies the key into the cipher context), wiped after. */
const KEY_32 = Buffer.alloc(32);
const KEY_16 = KEY_32.subarray(0, 16);
const KEY_VIEW = new DataView(KEY_32.buffer, KEY_32.byteOffset, 32);
/** KEY_32 as a plain Uint8Array, wiped with the built-in fill (Buffer's own fill goes through more JS per call). */
const KEY_WIPE = new Uint8Array(KEY_32.buffer, KEY_32.byteOffset, 32);
/** A cipher context's nonce and AAD are read by node:crypto through their ArrayBuffer, and a small typed array (a
 *  record header, a fresh nonce) would be given one of its own by that read (see STAGE): both are copied into views
 *  of one buffer instead (not secret; node copies them into the context). A TLS record's AAD is its 5-byte header. */
const AEAD_STAGE = new ArrayBuffer(NONCE_LENGTH + 32);
const NONCE_VIEW = new Uint8Array(AEAD_STAGE, 0, NONCE_LENGTH);
const AAD_5 = new Uint8Array(AEAD_STAGE, NONCE_LENGTH, 5);
function stagedNonce(nonce: Uint8Array): Uint8Array { NONCE_VIEW.set(nonce); return NONCE_VIEW; }
function stagedAad(aad: Uint8Array): Uint8Array {
  if (aad.length === 5) { AAD_5.set(aad); return AAD_5; }
  if (aad.length > 32) return aad;
  const v = new Uint8Array(AEAD_STAGE, NONCE_LENGTH, aad.length);
  v.set(aad);
  return v;
}

/**
 * node:crypto cannot re-key a cipher context with a new nonce, so every seal/open makes one context;
 * the rest is kept to the minimum node allows: one update() per record (its output is the only large
 * allocation), no options object per call (GCM and ChaCha20-Poly1305 need no plaintextLength), and
 * synchronous forms (sealSync, openSync) so the record layer needs no promise per record; sealSync
 * hands back node's own output buffers as the pieces of the record, uncopied.
 * An idle connection holds two of these, so the key is kept as eight 32-bit integers in the object
 * itself (no KeyObject with its native handle, no typed array): each context is made from a process-wide
 * key buffer written just before createCipheriv (which copies the key) and wiped right after. createCipheriv
 * with raw key bytes costs the same as with a secret KeyObject (node 20, measured).
 */
class NodeAeadKey implements AeadKey {
  // This class holds a 16-byte key (aes-128-gcm, the algorithm on its prototype): four fields and no
  // more; NodeAeadKey32 adds the other half of a 32-byte key and its algorithm. The private helpers are
  // static (called with the key): an instance private method would cost every key a brand slot.
  get algorithm(): AeadAlgorithm { return 'aes-128-gcm'; }
  /** The key's first 16 bytes, big-endian 32-bit words (signed, so they stay small integers). */
  readonly #k0: number; readonly #k1: number; readonly #k2: number; readonly #k3: number;
  constructor(key: Uint8Array) {
    this.#k0 = be32(key, 0); this.#k1 = be32(key, 4); this.#k2 = be32(key, 8); this.#k3 = be32(key, 12);
  }
  /** The key bytes in the shared buffer, for one createCipheriv/createDecipheriv call; wiped after. */
  static #keyBytes(k: NodeAeadKey): Buffer {
    const v = KEY_VIEW;
    v.setInt32(0, k.#k0); v.setInt32(4, k.#k1); v.setInt32(8, k.#k2); v.setInt32(12, k.#k3);
    if (!(k instanceof NodeAeadKey32)) return KEY_16;
    writeSecondHalf(k);
    return KEY_32;
  }
  static #checkNonce(nonce: Uint8Array): void {
    if (nonce.length !== NONCE_LENGTH) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `AEAD nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}.`);
    }
  }
  static #cipher(k: NodeAeadKey, nonce: Uint8Array, aad: Uint8Array): CipherGCM {
    NodeAeadKey.#checkNonce(nonce);
    let c: CipherGCM;
    try {
      c = createCipheriv(k.algorithm, NodeAeadKey.#keyBytes(k), stagedNonce(nonce), AEAD_OPTIONS as never) as unknown as CipherGCM;
    } finally {
      KEY_WIPE.fill(0);
    }
    c.setAAD(stagedAad(aad));
    return c;
  }
  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    NodeAeadKey.#sealTo(this, nonce, aad, [plaintext], plaintext.length, out, 0);
    return out;
  }
  async sealInto(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], out: Uint8Array, offset: number): Promise<void> {
    let total = 0;
    for (const part of parts) total += part.length;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + total + TAG_LENGTH > out.length) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `sealInto: ${total} plaintext bytes and a ${TAG_LENGTH}-byte tag do not fit in ${out.length} bytes at offset ${offset}.`);
    }
    NodeAeadKey.#sealTo(this, nonce, aad, parts, total, out, offset);
  }
  static #sealTo(k: NodeAeadKey, nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], total: number, out: Uint8Array, offset: number): void {
    const c = NodeAeadKey.#cipher(k, nonce, aad);
    // node:crypto has no update-into-buffer: each update() returns fresh ciphertext, copied once into `out`.
    let end = offset;
    for (const part of parts) {
      if (part.length === 0) continue;
      const x = c.update(part);
      out.set(x, end);
      end += x.length;
    }
    const f = c.final();
    if (f.length > 0) { out.set(f, end); end += f.length; }
    if (end - offset !== total) throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `node:crypto returned ${end - offset} ciphertext bytes for ${total} plaintext bytes.`);
    out.set(c.getAuthTag(), end);
  }
  sealSync(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array[] {
    const c = NodeAeadKey.#cipher(this, nonce, aad);
    const x = c.update(plaintext);
    const f = c.final();
    const tag = u8(c.getAuthTag());
    if (f.length > 0) return [u8(x), u8(f), tag];
    return x.length > 0 ? [u8(x), tag] : [tag];
  }
  async open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Promise<Uint8Array> {
    return this.openSync(nonce, aad, ciphertextAndTag);
  }
  openSync(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array {
    NodeAeadKey.#checkNonce(nonce);
    if (ciphertextAndTag.length < TAG_LENGTH) {
      throw new CryptoError('CRYPTO_AEAD_OPEN_FAILED', 'peer', `AEAD input of ${ciphertextAndTag.length} bytes is shorter than the ${TAG_LENGTH}-byte tag.`, { alert: 'bad_record_mac' });
    }
    const ctLen = ciphertextAndTag.length - TAG_LENGTH;
    let d: DecipherGCM;
    try {
      d = createDecipheriv(this.algorithm, NodeAeadKey.#keyBytes(this), stagedNonce(nonce), AEAD_OPTIONS as never) as unknown as DecipherGCM;
    } finally {
      KEY_WIPE.fill(0);
    }
    d.setAuthTag(ciphertextAndTag.subarray(ctLen));
    d.setAAD(stagedAad(aad));
    const a = d.update(ciphertextAndTag.subarray(0, ctLen));
    let b: Buffer;
    try {
      b = d.final();
    } catch (cause) {
      throw new CryptoError('CRYPTO_AEAD_OPEN_FAILED', 'peer', `AEAD (${this.algorithm}) authentication tag did not verify: the data was altered or protected under another key.`, { alert: 'bad_record_mac', cause });
    }
    return u8(b.length === 0 ? a : Buffer.concat([a, b]));
  }
}

/** Writes a 32-byte key's second half into the shared key buffer (set by NodeAeadKey32, the only class that
 *  can read it: the key stays out of reach of anything outside this module). */
let writeSecondHalf: (key: NodeAeadKey32) => void;

/** A 32-byte key (aes-256-gcm, chacha20-poly1305): NodeAeadKey's first half, the second half here. */
class NodeAeadKey32 extends NodeAeadKey {
  readonly #algorithm: AeadAlgorithm;
  readonly #k4: number; readonly #k5: number; readonly #k6: number; readonly #k7: number;
  constructor(algorithm: AeadAlgorithm, key: Uint8Array) {
    super(key);
    this.#algorithm = algorithm;
    this.#k4 = be32(key, 16); this.#k5 = be32(key, 20); this.#k6 = be32(key, 24); this.#k7 = be32(key, 28);
  }
  override get algorithm(): AeadAlgorithm { return this.#algorithm; }
  static {
    writeSecondHalf = (k) => {
      const v = KEY_VIEW;
      v.setInt32(16, k.#k4); v.setInt32(20, k.#k5); v.setInt32(24, k.#k6); v.setInt32(28, k.#k7);
    };
  }
}

function badPeerKey(group: string, why: string, cause?: unknown): CryptoError {
  return new CryptoError('CRYPTO_INVALID_PEER_KEY_SHARE', 'peer', `Peer ${group} key share rejected: ${why}.`, { alert: 'illegal_parameter', cause });
}

/**
 * Imports an X25519 private scalar. The raw (JWK) import is ~10x cheaper than PKCS#8 DER through
 * OpenSSL 3's decoders. node requires a string `x` in a private JWK but derives the public value from
 * `d`; should a later node check `x`, the import throws and the PKCS#8 path serves instead.
 */
function importX25519Private(scalar: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(scalar).toString('base64url'), x: '' }, format: 'jwk' });
  } catch {
    return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, scalar]), format: 'der', type: 'pkcs8' });
  }
}

class X25519Share implements KeyShare {
  readonly group = NamedGroup.x25519;
  readonly publicKey: Uint8Array;
  readonly #priv: KeyObject;
  constructor(scalar: Uint8Array) {
    this.#priv = importX25519Private(scalar);
    const x = this.#priv.export({ format: 'jwk' }).x;
    this.publicKey = u8(Buffer.from(x ?? '', 'base64url'));
    if (this.publicKey.length !== 32) throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `node:crypto derived an X25519 public value of ${this.publicKey.length} bytes, not 32.`);
  }
  async agree(peer: Uint8Array): Promise<Uint8Array> {
    if (peer.length !== 32) throw badPeerKey('x25519', `public value must be 32 bytes, got ${peer.length}`);
    let pub: KeyObject;
    try {
      // Raw import (JWK) rather than SPKI DER: same key, no DER decoder.
      pub = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer.buffer, peer.byteOffset, peer.byteLength).toString('base64url') }, format: 'jwk' });
    } catch (cause) {
      throw badPeerKey('x25519', 'the public value could not be imported', cause);
    }
    let secret: Uint8Array;
    try {
      secret = u8(diffieHellman({ privateKey: this.#priv, publicKey: pub }));
    } catch (cause) {
      // Every 32-byte string is a valid X25519 input; OpenSSL fails the derivation only when the
      // result is all zero (small-order point).
      throw new CryptoError('CRYPTO_ZERO_SHARED_SECRET', 'peer', 'X25519 with the peer key share gave the all-zero shared secret (small-order point); refused per RFC 8446 §7.4.2.', { alert: 'illegal_parameter', cause });
    }
    if (isAllZero(secret)) {
      throw new CryptoError('CRYPTO_ZERO_SHARED_SECRET', 'peer', 'X25519 with the peer key share gave the all-zero shared secret (small-order point); refused per RFC 8446 §7.4.2.', { alert: 'illegal_parameter' });
    }
    return secret;
  }
}

class EcdhShare implements KeyShare {
  readonly group: NamedGroupId;
  readonly publicKey: Uint8Array;
  readonly #curve: EcCurve;
  readonly #ecdh: ReturnType<typeof createECDH>;
  constructor(curve: EcCurve, scalar: Uint8Array) {
    this.#curve = curve;
    this.group = curve.group;
    this.#ecdh = createECDH(curve.nodeName);
    this.#ecdh.setPrivateKey(scalar);
    this.publicKey = u8(this.#ecdh.getPublicKey(null, 'uncompressed'));
  }
  async agree(peer: Uint8Array): Promise<Uint8Array> {
    const n = this.#curve.byteLength;
    if (peer.length !== 1 + 2 * n || peer[0] !== 0x04) {
      throw badPeerKey(this.#curve.name, `TLS 1.3 requires an uncompressed point of ${1 + 2 * n} bytes starting 0x04 (RFC 8446 §4.2.8.2), got ${peer.length} bytes starting 0x${(peer[0] ?? 0).toString(16).padStart(2, '0')}`);
    }
    try {
      return u8(this.#ecdh.computeSecret(peer));
    } catch (cause) {
      throw badPeerKey(this.#curve.name, 'the point is not on the curve', cause);
    }
  }
}

class NodePublicKeyHandle implements PublicKeyHandle {
  readonly kind = 'public-key-handle' as const;
  readonly key: KeyObject;
  readonly schemes: readonly SignatureSchemeId[];
  constructor(key: KeyObject) {
    this.key = key;
    this.schemes = Object.freeze(schemesForKey(key, true));
  }
}

/**
 * Parsed public keys by their SPKI bytes, least recently used first out. One per provider instance
 * (no global state); keys are public, so sharing them across the provider's connections leaks nothing.
 */
class PublicKeyCache {
  readonly #max: number;
  readonly #map = new Map<string, NodePublicKeyHandle>();
  constructor(max: number) { this.#max = max; }
  get(spki: Uint8Array): NodePublicKeyHandle {
    if (this.#max === 0) return new NodePublicKeyHandle(importSpki(spki));
    const id = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString('latin1');
    let h = this.#map.get(id);
    if (h !== undefined) {
      this.#map.delete(id);
    } else {
      h = new NodePublicKeyHandle(importSpki(spki));
      if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value!);
    }
    this.#map.set(id, h);
    return h;
  }
  get size(): number { return this.#map.size; }
}

/** Schemes a key of this type can produce/verify. `certificates` adds rsa_pkcs1_*. */
export function schemesForKey(key: KeyObject, certificates: boolean): SignatureSchemeId[] {
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const s: SignatureSchemeId[] = [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512];
      if (certificates) s.push(SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512);
      return s;
    }
    case 'rsa-pss':
      return [SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return [SignatureScheme.ecdsa_secp256r1_sha256];
      if (curve === 'secp384r1') return [SignatureScheme.ecdsa_secp384r1_sha384];
      return [];
    }
    case 'ed25519':
      return [SignatureScheme.ed25519];
    default:
      return [];
  }
}

function importSpki(spki: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new CryptoError('CRYPTO_INVALID_PUBLIC_KEY', 'peer', 'The SubjectPublicKeyInfo could not be parsed as a public key (malformed DER or unsupported algorithm).', { alert: 'bad_certificate', cause });
  }
}

/**
 * node:crypto randomBytes with small requests served from a 4 KiB block drawn at once: each call into
 * OpenSSL's generator costs more than the bytes, and a handshake makes several small draws. Bytes are
 * handed out once each (never reused) and the caller gets its own copy. Larger requests go direct.
 */
function pooledRandom(): (n: number) => Uint8Array {
  const POOL = 4096;
  let pool: Uint8Array = new Uint8Array(0);
  let at = 0;
  return (n: number): Uint8Array => {
    if (n > 256) return u8(nodeRandomBytes(n));
    if (at + n > pool.length) { pool = u8(nodeRandomBytes(POOL)); at = 0; }
    const out = pool.slice(at, at + n);
    pool.fill(0, at, at + n);
    at += n;
    return out;
  };
}

export function createNodeProvider(options: NodeProviderOptions = {}): CryptoProvider {
  const random = options.randomBytes ?? pooledRandom();
  const cacheSize = options.publicKeyCacheSize ?? 256;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'config', `publicKeyCacheSize must be a non-negative integer, got ${cacheSize}.`);
  }
  const publicKeys = new PublicKeyCache(cacheSize);

  const randomBytes = (n: number): Uint8Array => {
    if (!Number.isSafeInteger(n) || n < 0 || n > 1 << 16) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `randomBytes(${n}): length must be an integer between 0 and 65536.`);
    }
    return random(n);
  };

  const hmac = (algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array => {
    checkHash(algorithm);
    return digestBytes(hmacLatin1(algorithm, key, data));
  };

  const hkdfExtract = (algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array => {
    checkHash(algorithm);
    return hmac(algorithm, salt.length === 0 ? new Uint8Array(hashLength(algorithm)) : salt, ikm);
  };

  const hkdfExpand = (algorithm: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array => {
    checkHash(algorithm);
    const hl = hashLength(algorithm);
    if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hl) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `HKDF-Expand length ${length} is out of range 0..${255 * hl} for ${algorithm} (RFC 5869 §2.3).`);
    }
    if (length <= hl) {
      // One block, as every TLS 1.3 key schedule step: T(1) = HMAC(PRK, info || 0x01), in one update.
      return digestBytes(hmacLatin1(algorithm, prk, info, 1), length);
    }
    const out = new Uint8Array(length);
    let t: Uint8Array = new Uint8Array(0);
    for (let i = 1, off = 0; off < length; i++) {
      const m = createHmac(algorithm, prk);
      m.update(t);
      m.update(info);
      m.update(Uint8Array.of(i));
      t = digestBytes(m.digest('latin1'));
      out.set(t.subarray(0, Math.min(hl, length - off)), off);
      off += hl;
    }
    return out;
  };

  const drawScalar = (curve: EcCurve): Uint8Array => {
    // Rejection sampling on big-endian byteLength strings: accept 0 < k < n.
    for (let i = 0; i < 1000; i++) {
      const k = randomBytes(curve.byteLength);
      const v = bytesToBigInt(k);
      if (v !== 0n && v < curve.order) return k;
    }
    throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `Random source gave no valid ${curve.name} scalar in 1000 draws; it is broken.`);
  };

  return {
    name: 'node',
    capabilities: () => CAPABILITIES,
    randomBytes,
    createHash(algorithm) {
      checkHash(algorithm);
      return new NodeTranscriptHash(algorithm);
    },
    hash(algorithm, data) {
      checkHash(algorithm);
      return digestBytes(createHash(algorithm).update(data).digest('latin1'));
    },
    async hmac(algorithm, key, data) {
      return hmac(algorithm, key, data);
    },
    hmacSync: hmac,
    async hkdfExtract(algorithm, salt, ikm) {
      return hkdfExtract(algorithm, salt, ikm);
    },
    hkdfExtractSync: hkdfExtract,
    async hkdfExpand(algorithm, prk, info, length) {
      return hkdfExpand(algorithm, prk, info, length);
    },
    async importAeadKey(algorithm, key) {
      const want = AEAD_KEY_LENGTH[algorithm];
      if (want === undefined) {
        throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `AEAD "${String(algorithm)}" is not supported; use aes-128-gcm, aes-256-gcm or chacha20-poly1305.`);
      }
      if (key.length !== want) {
        throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `${algorithm} needs a ${want}-byte key, got ${key.length} bytes.`);
      }
      return want === 16 ? new NodeAeadKey(key) : new NodeAeadKey32(algorithm, key);
    },
    async generateKeyShare(group) {
      if (group === NamedGroup.x25519) return new X25519Share(randomBytes(32));
      const curve = EC_CURVES.find((c) => c.group === group);
      if (curve === undefined) {
        throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Named group 0x${group.toString(16).padStart(4, '0')} is not supported by the node provider; use x25519, secp256r1 or secp384r1.`);
      }
      return new EcdhShare(curve, drawScalar(curve));
    },
    async importPublicKey(spki) {
      return publicKeys.get(spki);
    },
    async verify(publicKey, scheme, message, signature) {
      const info = schemeInfo(scheme);
      if (info === undefined) {
        throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Signature scheme 0x${scheme.toString(16).padStart(4, '0')} is not supported by the node provider.`);
      }
      const handle = publicKey instanceof Uint8Array ? publicKeys.get(publicKey) : publicKey instanceof NodePublicKeyHandle ? publicKey : undefined;
      if (handle === undefined) {
        throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', 'verify() was given a public key handle from another provider; import the SPKI with this provider.');
      }
      const key = handle.key;
      if (!handle.schemes.includes(scheme)) {
        throw new CryptoError('CRYPTO_INVALID_PUBLIC_KEY', 'peer', `A ${key.asymmetricKeyType ?? 'unknown'}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ''} key cannot verify ${info.name} signatures.`, { alert: 'illegal_parameter' });
      }
      try {
        return nodeVerify(info.digest, message, { key, ...info.options(key) }, signature);
      } catch {
        // OpenSSL raises on some malformed signatures (e.g. wrong length for RSA); that is a bad signature.
        return false;
      }
    },
  };
}
