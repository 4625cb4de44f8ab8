// The WebCrypto provider: what `globalThis.crypto.subtle` can do (browsers, Deno, Bun, Node, workers)
// runs there; the gaps are filled from @noble through compose(), and capabilities().fallbacks says
// which operation comes from where:
//   - transcript hashing: WebCrypto has only one-shot, asynchronous digest(); the engine needs an
//     incremental, synchronous, clonable hash -> @noble/hashes (via the noble provider);
//   - ChaCha20-Poly1305: not in WebCrypto -> @noble/ciphers;
//   - HMAC / HKDF-Extract with an empty key: WebCrypto refuses zero-length HMAC keys -> @noble/hashes;
//   - X25519 and Ed25519: crypto.subtle where the runtime has them (Secure Curves), else @noble/curves;
//   - HKDF-Expand alone is not a WebCrypto operation: it is built from crypto.subtle HMAC here.
// Not offered: rsa_pss_pss_* (WebCrypto cannot import id-RSASSA-PSS keys and noble has no RSA).
import { CryptoError } from '../errors.ts';
import { compose } from '../compose.ts';
import { ecdsaDerToRaw, ecdsaRawToDer } from '../ecdsa-signature.ts';
import { createNobleProvider } from '../noble/provider.ts';
import { parseSpki, type SpkiKey } from '../noble/der.ts';
import {
  CipherSuite, NamedGroup, SignatureScheme, hashLength,
  type AeadAlgorithm, type AeadKey, type CryptoProvider, type HashAlgorithm, type KeyShare, type NamedGroupId,
  type ProviderCapabilities, type ProviderFallback, type PublicKeyHandle, type SignatureSchemeId, type SigningKey,
} from '../provider.ts';

export interface WebCryptoProviderOptions {
  /** Source of randomness; defaults to crypto.getRandomValues. Tests pass a pinned pool here. */
  randomBytes?: (n: number) => Uint8Array;
  /** The SubtleCrypto to use; defaults to globalThis.crypto.subtle. */
  subtle?: SubtleCrypto;
}


export const WEBCRYPTO_FALLBACKS: readonly ProviderFallback[] = Object.freeze([
  { operation: 'createHash / hash (transcript)', from: '@noble/hashes', why: 'crypto.subtle.digest is one-shot and asynchronous; the transcript hash must be incremental, synchronous and clonable' },
  { operation: 'AEAD chacha20-poly1305', from: '@noble/ciphers', why: 'not a WebCrypto algorithm' },
  { operation: 'HMAC / HKDF-Extract with an empty key', from: '@noble/hashes', why: 'WebCrypto refuses zero-length HMAC keys' },
  { operation: 'x25519 key shares, ed25519 signatures', from: '@noble/curves when crypto.subtle lacks them', why: 'X25519/Ed25519 are a later WebCrypto addition (Secure Curves) some runtimes do not have' },
]);

const CAPABILITIES: ProviderCapabilities = Object.freeze({
  cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
  groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1],
  signatureSchemes: [
    SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.ed25519,
  ],
  certificateSignatureSchemes: [
    SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.ed25519,
    SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512,
  ],
  fallbacks: WEBCRYPTO_FALLBACKS,
});

/**
 * SubtleCrypto as this file calls it. The DOM typings want Uint8Array<ArrayBuffer> views; the provider
 * interface hands out plain Uint8Array, which every runtime accepts.
 */
type ImportParams = { name: string; hash?: string; namedCurve?: string };

interface Subtle {
  importKey(format: string, data: unknown, algorithm: unknown, extractable: boolean, usages: string[]): Promise<CryptoKey>;
  exportKey(format: 'jwk', key: CryptoKey): Promise<{ x?: string; y?: string; d?: string }>;
  sign(algorithm: unknown, key: CryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
  verify(algorithm: unknown, key: CryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
  encrypt(algorithm: unknown, key: CryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: unknown, key: CryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
  deriveBits(algorithm: unknown, key: CryptoKey, length: number): Promise<ArrayBuffer>;
}

type WebHash = 'SHA-256' | 'SHA-384' | 'SHA-512';
const WEB_HASH: Record<HashAlgorithm, WebHash> = { sha256: 'SHA-256', sha384: 'SHA-384' };

interface SchemeDef { kind: 'ecdsa' | 'pss' | 'pkcs1' | 'ed25519'; hash: WebHash; curve?: 'P-256' | 'P-384'; size?: number; saltLength?: number }
const SCHEMES = new Map<SignatureSchemeId, SchemeDef>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { kind: 'ecdsa', hash: 'SHA-256', curve: 'P-256', size: 32 }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { kind: 'ecdsa', hash: 'SHA-384', curve: 'P-384', size: 48 }],
  [SignatureScheme.rsa_pss_rsae_sha256, { kind: 'pss', hash: 'SHA-256', saltLength: 32 }],
  [SignatureScheme.rsa_pss_rsae_sha384, { kind: 'pss', hash: 'SHA-384', saltLength: 48 }],
  [SignatureScheme.rsa_pss_rsae_sha512, { kind: 'pss', hash: 'SHA-512', saltLength: 64 }],
  [SignatureScheme.rsa_pkcs1_sha256, { kind: 'pkcs1', hash: 'SHA-256' }],
  [SignatureScheme.rsa_pkcs1_sha384, { kind: 'pkcs1', hash: 'SHA-384' }],
  [SignatureScheme.rsa_pkcs1_sha512, { kind: 'pkcs1', hash: 'SHA-512' }],
  [SignatureScheme.ed25519, { kind: 'ed25519', hash: 'SHA-512' }],
]);

// No Buffer here: this provider runs where only Web APIs exist (atob is one).
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromB64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const u8 = (b: ArrayBuffer): Uint8Array => new Uint8Array(b);
const fromB64u = (s: string | undefined): Uint8Array => {
  const b64 = (s ?? '').replace(/-/g, '+').replace(/_/g, '/');
  return fromB64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
};
const isNotSupported = (e: unknown): boolean => (e as { name?: string })?.name === 'NotSupportedError';

const X25519_PKCS8_PREFIX = hex('302e020100300506032b656e04220420');
interface EcCurve { group: NamedGroupId; name: 'P-256' | 'P-384'; label: string; size: number; order: bigint; oid: string }
const CURVES: readonly EcCurve[] = [
  { group: NamedGroup.secp256r1, name: 'P-256', label: 'secp256r1', size: 32, order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n, oid: '06082a8648ce3d030107' },
  { group: NamedGroup.secp384r1, name: 'P-384', label: 'secp384r1', size: 48, order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n, oid: '06052b81040022' },
];

/** PKCS#8 for an EC private scalar without the optional public key (RFC 5915 inside RFC 5208). */
function ecPkcs8(curve: EcCurve, scalar: Uint8Array): Uint8Array {
  const oid = hex(curve.oid);
  const params = cat(Uint8Array.of(0xa0, oid.length), oid);
  const ecKey = cat(Uint8Array.of(0x02, 0x01, 0x01, 0x04, scalar.length), scalar, params);
  const ecSeq = cat(Uint8Array.of(0x30, ecKey.length), ecKey);
  const alg = cat(hex('06072a8648ce3d0201'), oid);
  const algSeq = cat(Uint8Array.of(0x30, alg.length), alg);
  const body = cat(hex('020100'), algSeq, Uint8Array.of(0x04, ecSeq.length), ecSeq);
  return cat(Uint8Array.of(0x30, body.length), body);
}

function badPeer(group: string, why: string, cause?: unknown): CryptoError {
  return new CryptoError('CRYPTO_INVALID_PEER_KEY_SHARE', 'peer', `Peer ${group} key share rejected: ${why}.`, { alert: 'illegal_parameter', cause });
}
const zeroSecret = (cause?: unknown): CryptoError => new CryptoError('CRYPTO_ZERO_SHARED_SECRET', 'peer', 'X25519 with the peer key share gave the all-zero shared secret (small-order point); refused per RFC 8446 §7.4.2.', { alert: 'illegal_parameter', cause });

class WebAeadKey implements AeadKey {
  constructor(readonly algorithm: AeadAlgorithm, private readonly subtle: Subtle, private readonly key: CryptoKey) {}
  #check(nonce: Uint8Array): void {
    if (nonce.length !== 12) throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `AEAD nonce must be 12 bytes, got ${nonce.length}.`);
  }
  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    this.#check(nonce);
    return u8(await this.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, this.key, plaintext));
  }
  async open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Promise<Uint8Array> {
    this.#check(nonce);
    try {
      return u8(await this.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, this.key, ciphertextAndTag));
    } catch (cause) {
      throw new CryptoError('CRYPTO_AEAD_OPEN_FAILED', 'peer', `AEAD (${this.algorithm}) authentication tag did not verify: the data was altered or protected under another key.`, { alert: 'bad_record_mac', cause });
    }
  }
}

class WebPublicKey implements PublicKeyHandle {
  readonly kind = 'public-key-handle' as const;
  readonly schemes: readonly SignatureSchemeId[];
  /** CryptoKeys are bound to one algorithm (and hash): one per scheme, imported on first use. */
  readonly imported = new Map<SignatureSchemeId, Promise<CryptoKey>>();
  constructor(readonly spki: Uint8Array, readonly key: SpkiKey) {
    this.schemes = key.kind === 'ec' ? [key.curve === 'p256' ? SignatureScheme.ecdsa_secp256r1_sha256 : SignatureScheme.ecdsa_secp384r1_sha384]
      : key.kind === 'ed25519' ? [SignatureScheme.ed25519]
      : key.kind === 'rsa' ? [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512, SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512]
      : [];
  }
}

function importParams(def: SchemeDef): ImportParams {
  if (def.kind === 'ecdsa') return { name: 'ECDSA', namedCurve: def.curve! };
  if (def.kind === 'pss') return { name: 'RSA-PSS', hash: def.hash };
  if (def.kind === 'pkcs1') return { name: 'RSASSA-PKCS1-v1_5', hash: def.hash };
  return { name: 'Ed25519' };
}

export function createWebCryptoProvider(options: WebCryptoProviderOptions = {}): CryptoProvider {
  const subtle = (options.subtle ?? globalThis.crypto.subtle) as unknown as Subtle;
  const source = options.randomBytes ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
  const noble = createNobleProvider({ randomBytes: source });
  const randomBytes = noble.randomBytes;

  const hmacKey = (algorithm: HashAlgorithm, key: Uint8Array): Promise<CryptoKey> => {
    const hash = WEB_HASH[algorithm];
    if (hash === undefined) throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Hash "${String(algorithm)}" is not supported by the webcrypto provider; use sha256 or sha384.`);
    return subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign']);
  };
  const hmac = async (algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> => {
    if (key.length === 0) return noble.hmac(algorithm, key, data); // WebCrypto refuses empty HMAC keys
    return u8(await subtle.sign('HMAC', await hmacKey(algorithm, key), data));
  };

  const drawScalar = (c: EcCurve): Uint8Array => {
    for (let i = 0; i < 1000; i++) {
      const k = randomBytes(c.size);
      const v = k.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
      if (v !== 0n && v < c.order) return k;
    }
    throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `Random source gave no valid ${c.label} scalar in 1000 draws; it is broken.`);
  };

  let subtleX25519 = true;
  let subtleEd25519 = true;

  const own: Partial<CryptoProvider> = {
    capabilities: () => CAPABILITIES,
    hmac,
    async hkdfExtract(algorithm, salt, ikm) {
      return hmac(algorithm, salt.length === 0 ? new Uint8Array(hashLength(algorithm)) : salt, ikm);
    },
    async hkdfExpand(algorithm, prk, info, length) {
      const hl = hashLength(algorithm);
      if (WEB_HASH[algorithm] === undefined) throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Hash "${String(algorithm)}" is not supported by the webcrypto provider.`);
      if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hl) {
        throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `HKDF-Expand length ${length} is out of range 0..${255 * hl} for ${algorithm} (RFC 5869 §2.3).`);
      }
      if (prk.length === 0) return noble.hkdfExpand(algorithm, prk, info, length);
      const key = await hmacKey(algorithm, prk);
      const out = new Uint8Array(length);
      let t: Uint8Array = new Uint8Array(0);
      for (let i = 1, off = 0; off < length; i++, off += hl) {
        t = u8(await subtle.sign('HMAC', key, cat(t, info, Uint8Array.of(i))));
        out.set(t.subarray(0, Math.min(hl, length - off)), off);
      }
      return out;
    },
    async importAeadKey(algorithm, key) {
      if (algorithm === 'chacha20-poly1305') return noble.importAeadKey(algorithm, key);
      const want = algorithm === 'aes-128-gcm' ? 16 : algorithm === 'aes-256-gcm' ? 32 : undefined;
      if (want === undefined) throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `AEAD "${String(algorithm)}" is not supported; use aes-128-gcm, aes-256-gcm or chacha20-poly1305.`);
      if (key.length !== want) throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `${algorithm} needs a ${want}-byte key, got ${key.length} bytes.`);
      return new WebAeadKey(algorithm, subtle, await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']));
    },
    async generateKeyShare(group): Promise<KeyShare> {
      if (group === NamedGroup.x25519) {
        const scalar = randomBytes(32);
        if (subtleX25519) {
          try {
            const priv = await subtle.importKey('pkcs8', cat(X25519_PKCS8_PREFIX, scalar), { name: 'X25519' }, true, ['deriveBits']);
            const publicKey = fromB64u((await subtle.exportKey('jwk', priv)).x);
            return {
              group, publicKey,
              async agree(peer) {
                if (peer.length !== 32) throw badPeer('x25519', `public value must be 32 bytes, got ${peer.length}`);
                let pub: CryptoKey;
                try { pub = await subtle.importKey('raw', peer, { name: 'X25519' }, false, []); } catch (cause) { throw badPeer('x25519', 'the public value could not be imported', cause); }
                let secret: Uint8Array;
                try { secret = u8(await subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256)); } catch (cause) { throw zeroSecret(cause); }
                if (secret.every((b) => b === 0)) throw zeroSecret();
                return secret;
              },
            };
          } catch (e) {
            if (!isNotSupported(e)) throw e;
            subtleX25519 = false;
          }
        }
        return compose(noble, { randomBytes: () => scalar }).generateKeyShare(group);
      }
      const c = CURVES.find((x) => x.group === group);
      if (c === undefined) throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Named group 0x${group.toString(16).padStart(4, '0')} is not supported by the webcrypto provider; use x25519, secp256r1 or secp384r1.`);
      const priv = await subtle.importKey('pkcs8', ecPkcs8(c, drawScalar(c)), { name: 'ECDH', namedCurve: c.name }, true, ['deriveBits']);
      const jwk = await subtle.exportKey('jwk', priv);
      return {
        group, publicKey: cat(Uint8Array.of(4), fromB64u(jwk.x), fromB64u(jwk.y)),
        async agree(peer) {
          if (peer.length !== 1 + 2 * c.size || peer[0] !== 0x04) {
            throw badPeer(c.label, `TLS 1.3 requires an uncompressed point of ${1 + 2 * c.size} bytes starting 0x04 (RFC 8446 §4.2.8.2), got ${peer.length} bytes`);
          }
          let pub: CryptoKey;
          try { pub = await subtle.importKey('raw', peer, { name: 'ECDH', namedCurve: c.name }, false, []); } catch (cause) { throw badPeer(c.label, 'the point is not on the curve', cause); }
          try {
            return u8(await subtle.deriveBits({ name: 'ECDH', public: pub }, priv, c.size * 8));
          } catch (cause) {
            throw badPeer(c.label, 'key agreement failed', cause);
          }
        },
      };
    },
    async importPublicKey(spki) { return new WebPublicKey(spki.slice(), parseSpki(spki)); },
    async verify(publicKey, scheme, message, signature) {
      const def = SCHEMES.get(scheme);
      if (def === undefined || !CAPABILITIES.certificateSignatureSchemes.includes(scheme)) {
        throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Signature scheme 0x${scheme.toString(16).padStart(4, '0')} is not supported by the webcrypto provider${scheme >= 0x0809 && scheme <= 0x080b ? ' (WebCrypto cannot import RSASSA-PSS keys; use the node provider)' : ''}.`);
      }
      const handle = publicKey instanceof Uint8Array ? new WebPublicKey(publicKey.slice(), parseSpki(publicKey)) : publicKey instanceof WebPublicKey ? publicKey : undefined;
      if (handle === undefined) throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', 'verify() was given a public key handle from another provider; import the SPKI with this provider.');
      if (!handle.schemes.includes(scheme)) {
        const k = handle.key;
        throw new CryptoError('CRYPTO_INVALID_PUBLIC_KEY', 'peer', `A ${k.kind}${k.kind === 'ec' ? ` (${k.curve})` : ''} key cannot verify scheme 0x${scheme.toString(16).padStart(4, '0')}.`, { alert: 'illegal_parameter' });
      }
      if (def.kind === 'ed25519' && !subtleEd25519) return noble.verify(handle.spki, scheme, message, signature);
      let key = handle.imported.get(scheme);
      if (key === undefined) {
        key = subtle.importKey('spki', handle.spki, importParams(def), false, ['verify']);
        handle.imported.set(scheme, key);
      }
      let cryptoKey: CryptoKey;
      try {
        cryptoKey = await key;
      } catch (cause) {
        handle.imported.delete(scheme);
        if (def.kind === 'ed25519' && isNotSupported(cause)) {
          subtleEd25519 = false;
          return noble.verify(handle.spki, scheme, message, signature);
        }
        throw new CryptoError('CRYPTO_INVALID_PUBLIC_KEY', 'peer', `crypto.subtle could not import the ${handle.key.kind} public key for scheme 0x${scheme.toString(16).padStart(4, '0')}.`, { alert: 'bad_certificate', cause });
      }
      try {
        if (def.kind === 'ecdsa') {
          const raw = ecdsaDerToRaw(signature, def.size!);
          if (raw === undefined) return false; // not DER, or r/s too long: cannot be a valid signature
          return await subtle.verify({ name: 'ECDSA', hash: def.hash }, cryptoKey, raw, message);
        }
        if (def.kind === 'pss') return await subtle.verify({ name: 'RSA-PSS', saltLength: def.saltLength! }, cryptoKey, signature, message);
        if (def.kind === 'pkcs1') return await subtle.verify('RSASSA-PKCS1-v1_5', cryptoKey, signature, message);
        return await subtle.verify('Ed25519', cryptoKey, signature, message);
      } catch {
        return false; // a malformed signature (wrong length) does not verify
      }
    },
  };
  return compose(noble, { name: 'webcrypto', ...own });
}

/** A SigningKey over a PKCS#8 private key (PEM "PRIVATE KEY" or DER) held as a non-extractable CryptoKey. */
export async function webCryptoSigningKey(pkcs8: string | Uint8Array, subtleCrypto: SubtleCrypto = globalThis.crypto.subtle): Promise<SigningKey> {
  const subtle = subtleCrypto as unknown as Subtle;
  let der: Uint8Array;
  if (typeof pkcs8 === 'string') {
    const m = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(pkcs8);
    if (!m) throw new CryptoError('CRYPTO_INVALID_KEY', 'config', 'The webcrypto provider reads PKCS#8 keys ("BEGIN PRIVATE KEY"); convert others with `openssl pkcs8 -topk8 -nocrypt -in key.pem`.');
    try { der = fromB64(m[1]!.replace(/\s+/g, '')); } catch (cause) { throw new CryptoError('CRYPTO_INVALID_KEY', 'config', 'The PEM private key is not valid base64.', { cause }); }
  } else der = pkcs8;
  const text = toHex(der);
  const tries: [SignatureSchemeId[], (s: SignatureSchemeId) => ImportParams][] = text.includes('2a8648ce3d0201')
    ? (text.includes('2a8648ce3d030107') ? [[[SignatureScheme.ecdsa_secp256r1_sha256], () => ({ name: 'ECDSA', namedCurve: 'P-256' })]]
      : [[[SignatureScheme.ecdsa_secp384r1_sha384], () => ({ name: 'ECDSA', namedCurve: 'P-384' })]])
    : text.includes('06032b6570') ? [[[SignatureScheme.ed25519], () => ({ name: 'Ed25519' })]]
    : text.includes('2a864886f70d010101') ? [[[SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512], (s) => ({ name: 'RSA-PSS', hash: SCHEMES.get(s)!.hash })]]
    : [];
  const entry = tries[0];
  if (entry === undefined) throw new CryptoError('CRYPTO_INVALID_KEY', 'config', 'The private key is not an ECDSA P-256/P-384, RSA or Ed25519 PKCS#8 key.');
  const [schemes, params] = entry;
  const keys = new Map<SignatureSchemeId, CryptoKey>();
  try {
    for (const s of schemes) keys.set(s, await subtle.importKey('pkcs8', der, params(s), false, ['sign']));
  } catch (cause) {
    throw new CryptoError('CRYPTO_INVALID_KEY', 'config', 'crypto.subtle could not import the PKCS#8 private key (malformed, or a curve it lacks).', { cause });
  }
  return {
    schemes: Object.freeze(schemes),
    async sign(scheme, message) {
      const key = keys.get(scheme);
      const def = SCHEMES.get(scheme);
      if (key === undefined || def === undefined) throw new CryptoError('CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY', 'local', `This key cannot sign with scheme 0x${scheme.toString(16).padStart(4, '0')}.`);
      try {
        if (def.kind === 'ecdsa') return ecdsaRawToDer(u8(await subtle.sign({ name: 'ECDSA', hash: def.hash }, key, message)));
        if (def.kind === 'pss') return u8(await subtle.sign({ name: 'RSA-PSS', saltLength: def.saltLength! }, key, message));
        return u8(await subtle.sign('Ed25519', key, message));
      } catch (cause) {
        throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `crypto.subtle failed to sign with scheme 0x${scheme.toString(16).padStart(4, '0')}.`, { cause, alert: 'internal_error' });
      }
    },
  };
}
