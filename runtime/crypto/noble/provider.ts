// The noble provider: pure JavaScript (@noble/hashes, @noble/ciphers, @noble/curves), so it runs
// wherever JavaScript does (browsers, workers, Node) with randomness from crypto.getRandomValues.
// noble has no RSA: this provider offers ECDSA P-256/P-384 and Ed25519 only, and says so in
// capabilities(), so negotiation never picks what it cannot do.
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { CryptoError } from '../errors.ts';
import {
  CipherSuite, NamedGroup, SignatureScheme, hashLength,
  type AeadAlgorithm, type AeadKey, type CryptoProvider, type HashAlgorithm, type KeyShare, type NamedGroupId,
  type ProviderCapabilities, type PublicKeyHandle, type SignatureSchemeId, type SigningKey, type TranscriptHash,
} from '../provider.ts';
import { parseSpki, type SpkiKey } from './der.ts';

export interface NobleProviderOptions {
  /** Source of randomness; defaults to crypto.getRandomValues. Tests pass a pinned pool here. */
  randomBytes?: (n: number) => Uint8Array;
}

interface NobleHash { update(data: Uint8Array): unknown; digest(): Uint8Array; clone(): NobleHash }
interface NobleHashFn { (data: Uint8Array): Uint8Array; create(): NobleHash; outputLen: number; blockLen: number }
const HASHES: Record<HashAlgorithm, NobleHashFn> = { sha256: sha256 as unknown as NobleHashFn, sha384: sha384 as unknown as NobleHashFn };

const CAPABILITIES: ProviderCapabilities = Object.freeze({
  cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
  groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1],
  signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ed25519],
  certificateSignatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ed25519],
});

function hashOf(algorithm: HashAlgorithm): NobleHashFn {
  const h = HASHES[algorithm];
  if (h === undefined) throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Hash "${String(algorithm)}" is not supported by the noble provider; use sha256 or sha384.`);
  return h;
}

class NobleTranscriptHash implements TranscriptHash {
  readonly outputLength: number;
  constructor(readonly algorithm: HashAlgorithm, private readonly h: NobleHash) {
    this.outputLength = hashLength(algorithm);
  }
  update(data: Uint8Array): void { void this.h.update(data); }
  snapshot(): Uint8Array { return this.h.clone().digest(); }
  clone(): TranscriptHash { return new NobleTranscriptHash(this.algorithm, this.h.clone()); }
}

const KEY_LENGTH: Record<AeadAlgorithm, number> = { 'aes-128-gcm': 16, 'aes-256-gcm': 32, 'chacha20-poly1305': 32 };

class NobleAeadKey implements AeadKey {
  constructor(readonly algorithm: AeadAlgorithm, private readonly key: Uint8Array) {}
  private cipher(nonce: Uint8Array, aad: Uint8Array): { encrypt(p: Uint8Array): Uint8Array; decrypt(c: Uint8Array): Uint8Array } {
    if (nonce.length !== 12) throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `AEAD nonce must be 12 bytes, got ${nonce.length}.`);
    return this.algorithm === 'chacha20-poly1305' ? chacha20poly1305(this.key, nonce, aad) : gcm(this.key, nonce, aad);
  }
  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    return this.cipher(nonce, aad).encrypt(plaintext);
  }
  async open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Promise<Uint8Array> {
    const c = this.cipher(nonce, aad);
    try {
      return c.decrypt(ciphertextAndTag);
    } catch (cause) {
      throw new CryptoError('CRYPTO_AEAD_OPEN_FAILED', 'peer', `AEAD (${this.algorithm}) authentication tag did not verify: the data was altered or protected under another key.`, { alert: 'bad_record_mac', cause });
    }
  }
}

function badPeer(group: string, why: string, cause?: unknown): CryptoError {
  return new CryptoError('CRYPTO_INVALID_PEER_KEY_SHARE', 'peer', `Peer ${group} key share rejected: ${why}.`, { alert: 'illegal_parameter', cause });
}
const zeroSecret = (cause?: unknown): CryptoError => new CryptoError('CRYPTO_ZERO_SHARED_SECRET', 'peer', 'X25519 with the peer key share gave the all-zero shared secret (small-order point); refused per RFC 8446 §7.4.2.', { alert: 'illegal_parameter', cause });

interface Curve { name: string; group: NamedGroupId; impl: typeof p256; size: number; order: bigint; scheme: SignatureSchemeId }
const CURVES: readonly Curve[] = [
  { name: 'secp256r1', group: NamedGroup.secp256r1, impl: p256, size: 32, order: p256.Point.Fn.ORDER, scheme: SignatureScheme.ecdsa_secp256r1_sha256 },
  { name: 'secp384r1', group: NamedGroup.secp384r1, impl: p384, size: 48, order: p384.Point.Fn.ORDER, scheme: SignatureScheme.ecdsa_secp384r1_sha384 },
];

class NoblePublicKey implements PublicKeyHandle {
  readonly kind = 'public-key-handle' as const;
  readonly schemes: readonly SignatureSchemeId[];
  constructor(readonly key: SpkiKey) {
    this.schemes = key.kind === 'ec' ? [key.curve === 'p256' ? SignatureScheme.ecdsa_secp256r1_sha256 : SignatureScheme.ecdsa_secp384r1_sha384]
      : key.kind === 'ed25519' ? [SignatureScheme.ed25519] : [];
  }
}

const toBig = (b: Uint8Array): bigint => b.reduce((v, x) => (v << 8n) | BigInt(x), 0n);

export function createNobleProvider(options: NobleProviderOptions = {}): CryptoProvider {
  const source = options.randomBytes ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
  const randomBytes = (n: number): Uint8Array => {
    if (!Number.isSafeInteger(n) || n < 0 || n > 1 << 16) throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `randomBytes(${n}): length must be an integer between 0 and 65536.`);
    return source(n);
  };

  const hmacSync = (algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array =>
    hmac(hashOf(algorithm) as unknown as typeof sha256, key, data);
  const hkdfExtractSync = (algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array =>
    extract(hashOf(algorithm) as unknown as typeof sha256, ikm, salt.length === 0 ? new Uint8Array(hashLength(algorithm)) : salt);

  const drawScalar = (c: Curve): Uint8Array => {
    for (let i = 0; i < 1000; i++) {
      const k = randomBytes(c.size);
      const v = toBig(k);
      if (v !== 0n && v < c.order) return k;
    }
    throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `Random source gave no valid ${c.name} scalar in 1000 draws; it is broken.`);
  };

  return {
    name: 'noble',
    capabilities: () => CAPABILITIES,
    randomBytes,
    createHash: (algorithm) => new NobleTranscriptHash(algorithm, hashOf(algorithm).create()),
    hash: (algorithm, data) => hashOf(algorithm)(data),
    async hmac(algorithm, key, data) { return hmacSync(algorithm, key, data); },
    hmacSync,
    async hkdfExtract(algorithm, salt, ikm) { return hkdfExtractSync(algorithm, salt, ikm); },
    hkdfExtractSync,
    async hkdfExpand(algorithm, prk, info, length) {
      const h = hashOf(algorithm) as unknown as typeof sha256;
      const hl = hashLength(algorithm);
      if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hl) {
        throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `HKDF-Expand length ${length} is out of range 0..${255 * hl} for ${algorithm} (RFC 5869 §2.3).`);
      }
      if (length === 0) return new Uint8Array(0);
      return expand(h, prk, info, length);
    },
    async importAeadKey(algorithm, key) {
      const want = KEY_LENGTH[algorithm];
      if (want === undefined) throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `AEAD "${String(algorithm)}" is not supported.`);
      if (key.length !== want) throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `${algorithm} needs a ${want}-byte key, got ${key.length} bytes.`);
      return new NobleAeadKey(algorithm, key.slice());
    },
    async generateKeyShare(group): Promise<KeyShare> {
      if (group === NamedGroup.x25519) {
        const priv = randomBytes(32);
        return {
          group, publicKey: x25519.getPublicKey(priv),
          async agree(peer) {
            if (peer.length !== 32) throw badPeer('x25519', `public value must be 32 bytes, got ${peer.length}`);
            let s: Uint8Array;
            try { s = x25519.getSharedSecret(priv, peer); } catch (cause) { throw zeroSecret(cause); }
            if (s.every((b) => b === 0)) throw zeroSecret();
            return s;
          },
        };
      }
      const c = CURVES.find((x) => x.group === group);
      if (c === undefined) throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Named group 0x${group.toString(16).padStart(4, '0')} is not supported by the noble provider.`);
      const priv = drawScalar(c);
      return {
        group, publicKey: c.impl.getPublicKey(priv, false),
        async agree(peer) {
          if (peer.length !== 1 + 2 * c.size || peer[0] !== 0x04) {
            throw badPeer(c.name, `TLS 1.3 requires an uncompressed point of ${1 + 2 * c.size} bytes starting 0x04 (RFC 8446 §4.2.8.2), got ${peer.length} bytes`);
          }
          try {
            return c.impl.getSharedSecret(priv, peer, true).slice(1);
          } catch (cause) {
            throw badPeer(c.name, 'the point is not on the curve', cause);
          }
        },
      };
    },
    async importPublicKey(spki) { return new NoblePublicKey(parseSpki(spki)); },
    async verify(publicKey, scheme, message, signature) {
      if (!CAPABILITIES.certificateSignatureSchemes.includes(scheme)) {
        throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `Signature scheme 0x${scheme.toString(16).padStart(4, '0')} is not supported by the noble provider (no RSA); use the node provider for RSA peers.`);
      }
      const key = publicKey instanceof Uint8Array ? parseSpki(publicKey) : publicKey instanceof NoblePublicKey ? publicKey.key : undefined;
      if (key === undefined) throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', 'verify() was given a public key handle from another provider; import the SPKI with this provider.');
      const fits = new NoblePublicKey(key).schemes.includes(scheme);
      if (!fits) throw new CryptoError('CRYPTO_INVALID_PUBLIC_KEY', 'peer', `A ${key.kind}${key.kind === 'ec' ? ` (${key.curve})` : ''} key cannot verify scheme 0x${scheme.toString(16).padStart(4, '0')}.`, { alert: 'illegal_parameter' });
      try {
        if (key.kind === 'ed25519') return ed25519.verify(signature, message, key.key, { zip215: false });
        if (key.kind === 'ec') return (key.curve === 'p256' ? p256 : p384).verify(signature, message, key.point, { prehash: true, lowS: false, format: 'der' });
      } catch {
        return false; // malformed signature or key encoding: does not verify
      }
      return false;
    },
  };
}

/**
 * A SigningKey over a raw private key: a P-256/P-384 scalar (big-endian) or an Ed25519 seed.
 * ECDSA signatures are DER-encoded with RFC 6979 deterministic nonces.
 */
export function nobleSigningKey(scheme: SignatureSchemeId, privateKey: Uint8Array): SigningKey {
  const curve = CURVES.find((c) => c.scheme === scheme);
  if (curve === undefined && scheme !== SignatureScheme.ed25519) {
    throw new CryptoError('CRYPTO_INVALID_KEY', 'config', `The noble provider signs with ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384 or ed25519, not 0x${scheme.toString(16)}.`);
  }
  const size = curve?.size ?? 32;
  if (privateKey.length !== size || (curve && (toBig(privateKey) === 0n || toBig(privateKey) >= curve.order))) {
    throw new CryptoError('CRYPTO_INVALID_KEY', 'config', `The private key for 0x${scheme.toString(16)} must be ${size} bytes${curve ? ' and a scalar in 1..n-1' : ''}.`);
  }
  const key = privateKey.slice();
  return {
    schemes: [scheme],
    async sign(s, message) {
      if (s !== scheme) throw new CryptoError('CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY', 'local', `This key signs only with 0x${scheme.toString(16)}, not 0x${s.toString(16)}.`);
      return curve ? curve.impl.sign(message, key, { prehash: true, format: 'der' }) : ed25519.sign(message, key);
    },
  };
}
