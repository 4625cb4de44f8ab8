// The crypto provider interface: the only crypto the TLS engine sees.
//
// Rules of this file:
// - Anything that WebCrypto or PKCS#11 can only do asynchronously is async here (HKDF, HMAC, AEAD,
//   key exchange, signing, verification). Randomness and transcript hashing are synchronous. An AEAD
//   key may add optional synchronous forms (sealSync/openSync) beside its async methods, for the
//   record layer's bulk path, and a provider may add hmacSync/hkdfExtractSync, for the key schedule;
//   nothing requires them.
// - Algorithms are named by their IANA TLS code points (cipher suites, named groups, signature
//   schemes) so negotiation can offer exactly what `capabilities()` lists.
// - Private keys never cross this interface: key shares keep their scalar inside `agree`, signing
//   keys are opaque handles that sign whole messages.
// - Failures are `CryptoError`s (./errors.ts) with a stable code, a blame and the alert to send.

export { CryptoError, isCryptoError, Alert } from './errors.ts';
export type { AlertName, Blame, CryptoErrorCode } from './errors.ts';

/** TLS 1.3 cipher suites (IANA "TLS Cipher Suites"; RFC 8446 §B.4). */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
export type CipherSuiteId = number;

/** Named groups for key exchange (IANA "TLS Supported Groups"; RFC 8446 §4.2.7). */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  x25519: 0x001d,
} as const;
export type NamedGroupId = number;

/** Signature schemes (IANA "TLS SignatureScheme"; RFC 8446 §4.2.3). */
export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;
export type SignatureSchemeId = number;

/** Schemes that RFC 8446 §4.2.3 allows only in certificates, never in CertificateVerify. */
export const CERTIFICATE_ONLY_SCHEMES: readonly number[] = [
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

export type HashAlgorithm = 'sha256' | 'sha384';
export type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** What a cipher suite means to the key schedule and record layer. */
export interface CipherSuiteParams {
  readonly id: CipherSuiteId;
  readonly name: string;
  readonly hash: HashAlgorithm;
  /** Hash output length in bytes (Hash.length in RFC 8446 §7.1). */
  readonly hashLength: number;
  readonly aead: AeadAlgorithm;
  readonly keyLength: number;
  /** Always 12 for the TLS 1.3 suites (RFC 8446 §5.3 iv_length). */
  readonly ivLength: number;
  readonly tagLength: number;
}

const SUITES: readonly CipherSuiteParams[] = [
  { id: 0x1301, name: 'TLS_AES_128_GCM_SHA256', hash: 'sha256', hashLength: 32, aead: 'aes-128-gcm', keyLength: 16, ivLength: 12, tagLength: 16 },
  { id: 0x1302, name: 'TLS_AES_256_GCM_SHA384', hash: 'sha384', hashLength: 48, aead: 'aes-256-gcm', keyLength: 32, ivLength: 12, tagLength: 16 },
  { id: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', hash: 'sha256', hashLength: 32, aead: 'chacha20-poly1305', keyLength: 32, ivLength: 12, tagLength: 16 },
];

/** Parameters of a TLS 1.3 cipher suite, or undefined for a suite outside the modern set. */
export function cipherSuiteParams(id: CipherSuiteId): CipherSuiteParams | undefined {
  return SUITES.find((s) => s.id === id);
}

export function hashLength(hash: HashAlgorithm): number {
  return hash === 'sha256' ? 32 : 48;
}

/** Incremental hash over the handshake transcript (RFC 8446 §4.4.1). */
export interface TranscriptHash {
  readonly algorithm: HashAlgorithm;
  readonly outputLength: number;
  update(data: Uint8Array): void;
  /** Digest of everything so far; the hash stays open for more updates. */
  snapshot(): Uint8Array;
  /** An independent copy: updates to one do not affect the other. */
  clone(): TranscriptHash;
}

/** An AEAD key bound to its algorithm. Nonces are 12 bytes, tags 16 bytes. */
export interface AeadKey {
  readonly algorithm: AeadAlgorithm;
  /** ciphertext || tag */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Throws CryptoError 'CRYPTO_AEAD_OPEN_FAILED' (blame peer, alert bad_record_mac) when the tag does not verify. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional fast path for the record layer: seals the concatenation of `parts` and writes
   * ciphertext || tag into `out` from `offset`, so the caller need not join the plaintext first nor
   * copy the result. Same output as seal(). Providers without it are served by seal().
   */
  sealInto?(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], out: Uint8Array, offset: number): Promise<void>;
  /**
   * Optional synchronous forms, for providers whose library works synchronously (node:crypto, @noble):
   * the record layer's bulk path then takes no promise per record. sealSync() returns ciphertext || tag
   * as consecutive pieces (their concatenation is what seal() returns; the caller owns them), so that a
   * record can be handed to a vectored write without being copied; it reads `plaintext` only during the
   * call (and `nonce`, which the record layer rewrites for the next record, likewise). openSync() is
   * open(). Same results and errors as the async forms. Asynchronous backends
   * (WebCrypto, PKCS#11) leave them out; offer both or neither.
   */
  sealSync?(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): readonly Uint8Array[];
  openSync?(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array;
  /**
   * Optional, with sealSync/openSync: sealInto() without a promise, for a provider that writes into the
   * caller's buffer itself (the native provider). The record layer then seals every record of a write into
   * one buffer: no plaintext joined, no ciphertext copied. Reads `parts` and `nonce` only during the call.
   */
  sealIntoSync?(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], out: Uint8Array, offset: number): void;
}

/** An ephemeral (EC)DHE key pair for one key_share entry. */
export interface KeyShare {
  readonly group: NamedGroupId;
  /** Wire form of the public value: x25519 raw 32 bytes; P-256/P-384 uncompressed point (0x04 || X || Y). */
  readonly publicKey: Uint8Array;
  /**
   * Shared secret with the peer's wire-form public value (x25519: 32 bytes; ECDH: the X coordinate).
   * Throws CryptoError 'CRYPTO_INVALID_PEER_KEY_SHARE' (alert illegal_parameter) for a malformed or
   * off-curve point, and 'CRYPTO_ZERO_SHARED_SECRET' (alert illegal_parameter) when X25519 yields all zeros.
   */
  agree(peerPublicKey: Uint8Array): Promise<Uint8Array>;
}

/** An opaque private-key handle (software key, HSM object, remote signer). */
export interface SigningKey {
  /** Signature schemes this key can produce, most preferred first. */
  readonly schemes: readonly SignatureSchemeId[];
  /**
   * Sign the whole `message` (the handle hashes it as the scheme requires). ECDSA signatures are
   * DER-encoded as TLS requires. Throws 'CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY' for a scheme not in `schemes`.
   */
  sign(scheme: SignatureSchemeId, message: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional: the matching public key as SubjectPublicKeyInfo DER. When present, the engine checks at
   * configuration time that the key belongs to the leaf certificate and is strong enough.
   */
  readonly spki?: Uint8Array;
}

/** A public key the provider has parsed once, to verify several signatures cheaply. */
export interface PublicKeyHandle {
  readonly kind: 'public-key-handle';
  /** Schemes this key could verify, judged from its type/curve. */
  readonly schemes: readonly SignatureSchemeId[];
}

export interface ProviderCapabilities {
  readonly cipherSuites: readonly CipherSuiteId[];
  readonly groups: readonly NamedGroupId[];
  /** Schemes usable in CertificateVerify. */
  readonly signatureSchemes: readonly SignatureSchemeId[];
  /** Schemes usable to verify certificate signatures (a superset: adds rsa_pkcs1_*). */
  readonly certificateSignatureSchemes: readonly SignatureSchemeId[];
  /** Operations this provider takes from another library than its own (e.g. webcrypto's gaps filled by @noble). */
  readonly fallbacks?: readonly ProviderFallback[];
}

/** Where an operation comes from when a provider does not do it with its own library, and why. */
export interface ProviderFallback { readonly operation: string; readonly from: string; readonly why: string }

export interface CryptoProvider {
  /** Short name for diagnostics, e.g. "node". */
  readonly name: string;
  capabilities(): ProviderCapabilities;

  /** n cryptographically random bytes. Deterministic test providers serve pinned bytes here. */
  randomBytes(n: number): Uint8Array;

  createHash(algorithm: HashAlgorithm): TranscriptHash;
  /** One-shot digest (convenience over createHash). */
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array;

  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Extract(salt, IKM) (RFC 5869 §2.2). An empty salt means HashLen zero bytes. */
  hkdfExtract(algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional synchronous forms of hmac() and hkdfExtract(), for providers whose library works
   * synchronously (node:crypto, @noble): the key schedule (about twenty HMACs per handshake) then runs
   * without a promise per step. Same results and errors as the async forms. Asynchronous backends
   * (WebCrypto, PKCS#11) leave them out. A wrapper that replaces hmac or hkdfExtract must replace or
   * drop the matching sync form, or the engine keeps calling the wrapped one (compose() does this).
   */
  hmacSync?(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdfExtractSync?(algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand(PRK, info, L) (RFC 5869 §2.3). L <= 255*HashLen. */
  hkdfExpand(algorithm: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;

  importAeadKey(algorithm: AeadAlgorithm, key: Uint8Array): Promise<AeadKey>;

  /** New ephemeral key pair; the private scalar is drawn from `randomBytes`. */
  generateKeyShare(group: NamedGroupId): Promise<KeyShare>;

  /** Parse a SubjectPublicKeyInfo (DER) once. Throws 'CRYPTO_INVALID_PUBLIC_KEY' if malformed/unsupported. */
  importPublicKey(spki: Uint8Array): Promise<PublicKeyHandle>;
  /**
   * Verify `signature` over the whole `message` with `scheme`. Returns false for a signature that
   * does not verify (including a malformed one). Throws 'CRYPTO_INVALID_PUBLIC_KEY' when the key is
   * malformed or does not fit the scheme, 'CRYPTO_UNSUPPORTED_ALGORITHM' for an unknown scheme.
   */
  verify(publicKey: Uint8Array | PublicKeyHandle, scheme: SignatureSchemeId, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}
