// The `native` provider: the node provider with its record AEADs (AES-128-GCM, AES-256-GCM,
// ChaCha20-Poly1305) and its key schedule's HMACs done by a small N-API addon (native/aead.c, native/hmac.c)
// on the OpenSSL node itself is linked with. node:crypto cannot give a cipher context a new nonce, so it makes
// a context (a key schedule, three JavaScript objects) and a fresh output buffer per record; the addon keys one
// context per key and, per record, only sets the nonce and writes into the caller's buffer. An HMAC through
// node:crypto is an Hmac object and a digest Buffer, both left for the garbage collector (~25 per server
// handshake); the addon keeps one HMAC context per digest and answers through a scratch buffer (see nativeHmac).
// Everything else (hashes, HKDF-Expand beyond one block, key shares, signatures) is the base provider's, node by
// default: compose(base, { importAeadKey, hmac, hkdfExtract and their sync forms }).
//
// The addon is built on `npm install` (node-gyp: g++, make, python3 and node's headers). Without it,
// createNativeProvider() fails with CRYPTO_PROVIDER_FAILURE saying how to build it; nothing falls back
// silently to another implementation.
import { createRequire } from 'node:module';
import { compose } from '../compose.ts';
import { CryptoError } from '../errors.ts';
import type { AeadAlgorithm, AeadKey, CryptoProvider, HashAlgorithm } from '../provider.ts';
import { createNodeProvider } from '../node/index.ts';

interface Addon {
  create(algorithm: number, key: Uint8Array): object;
  seal(context: object, nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], out: Uint8Array, offset: number): void;
  open(context: object, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, out: Uint8Array): boolean;
  /** HMAC over scratch[keyLength, keyLength + dataLength) keyed with scratch[0, keyLength), into the scratch's last 64 bytes. */
  hmac(scratch: Uint8Array, algorithm: number, keyLength: number, dataLength: number): void;
}

/** Where `npm install` (node-gyp rebuild -C native) puts the addon, from this file. */
const ADDON_PATH = '../../../native/build/Release/protosmith_aead.node';
const ALGORITHMS: Record<AeadAlgorithm, { id: number; keyLength: number }> = {
  'aes-128-gcm': { id: 0, keyLength: 16 },
  'aes-256-gcm': { id: 1, keyLength: 32 },
  'chacha20-poly1305': { id: 2, keyLength: 32 },
};
const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;

let loaded: Addon | undefined;

/** The addon, loaded once per process (a module, like node:crypto itself; it holds no state of its own). */
function addon(): Addon {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (cause) {
    throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'config', `the native provider's addon (native/build/Release/protosmith_aead.node) is not built or does not load: run \`npm install\` (or \`npx node-gyp rebuild -C native\`) with g++, make and python3 present, or use createNodeProvider().`, { cause });
  }
  return loaded;
}

/** An addon TypeError/RangeError (a misuse the wrapper should have caught) as the provider's typed error. */
function misuse(cause: unknown): CryptoError {
  return new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `native AEAD refused its arguments: ${cause instanceof Error ? cause.message : String(cause)}.`, { cause });
}

/** A Uint8Array of `n` bytes whose memory is not zeroed first (the addon writes all of it): a plain Uint8Array
 *  over the whole of its own ArrayBuffer, not a Buffer or a view into a shared pool. */
function uninitialized(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

function checkNonce(nonce: Uint8Array): void {
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `AEAD nonce must be ${NONCE_LENGTH} bytes, got ${nonce?.length}.`);
  }
}

/**
 * One key: one OpenSSL context, keyed once, used for both directions (the record layer uses a key for one
 * direction only; Wycheproof and tickets use both). Freed, with OpenSSL's copy of the key schedule, when
 * this object is collected.
 */
class NativeAeadKey implements AeadKey {
  readonly algorithm: AeadAlgorithm;
  readonly #context: object;
  readonly #addon: Addon;
  constructor(a: Addon, algorithm: AeadAlgorithm, key: Uint8Array) {
    this.#addon = a;
    this.algorithm = algorithm;
    this.#context = a.create(ALGORITHMS[algorithm].id, key);
  }

  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    return this.sealSync(nonce, aad, plaintext)[0]!;
  }
  async open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Promise<Uint8Array> {
    return this.openSync(nonce, aad, ciphertextAndTag);
  }
  async sealInto(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], out: Uint8Array, offset: number): Promise<void> {
    this.sealIntoSync(nonce, aad, parts, out, offset);
  }
  sealIntoSync(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], out: Uint8Array, offset: number): void {
    checkNonce(nonce);
    let total = 0;
    for (const part of parts) total += part.length;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + total + TAG_LENGTH > out.length) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `sealInto: ${total} plaintext bytes and a ${TAG_LENGTH}-byte tag do not fit in ${out.length} bytes at offset ${offset}.`);
    }
    NativeAeadKey.#seal(this, nonce, aad, parts, out, offset);
  }
  /** ciphertext || tag as one piece, written by OpenSSL into a buffer of its own (no other copy). */
  sealSync(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array[] {
    checkNonce(nonce);
    const out = uninitialized(plaintext.length + TAG_LENGTH); // every byte written by the seal, or dropped
    NativeAeadKey.#seal(this, nonce, aad, [plaintext], out, 0);
    return [out];
  }
  openSync(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array {
    checkNonce(nonce);
    if (ciphertextAndTag.length < TAG_LENGTH) {
      throw new CryptoError('CRYPTO_AEAD_OPEN_FAILED', 'peer', `AEAD input of ${ciphertextAndTag.length} bytes is shorter than the ${TAG_LENGTH}-byte tag.`, { alert: 'bad_record_mac' });
    }
    const ctLength = ciphertextAndTag.length - TAG_LENGTH;
    const out = uninitialized(ctLength); // every byte written by the decryption, or wiped by the addon and dropped
    let ok: boolean;
    try {
      ok = this.#addon.open(this.#context, nonce, aad, ciphertextAndTag.subarray(0, ctLength), ciphertextAndTag.subarray(ctLength), out);
    } catch (cause) {
      throw misuse(cause);
    }
    if (!ok) throw new CryptoError('CRYPTO_AEAD_OPEN_FAILED', 'peer', `AEAD (${this.algorithm}) authentication tag did not verify: the data was altered or protected under another key.`, { alert: 'bad_record_mac' });
    return out;
  }
  static #seal(k: NativeAeadKey, nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], out: Uint8Array, offset: number): void {
    try {
      k.#addon.seal(k.#context, nonce, aad, parts, out, offset);
    } catch (cause) {
      throw misuse(cause);
    }
  }
}

/** The scratch buffer of nativeHmac: key || data from the start, the result in the last OUT_SPACE bytes. */
const SCRATCH_LENGTH = 1024;
const OUT_SPACE = 64;
const HMAC_IDS: Partial<Record<HashAlgorithm, { id: number; size: number }>> = { sha256: { id: 0, size: 32 }, sha384: { id: 1, size: 48 } };

/**
 * HMAC by the addon, or undefined when the base provider must answer (an algorithm the addon lacks, an empty key, or key
 * and data longer than the scratch: never in a TLS key schedule, whose inputs are secrets, labels and digests).
 * key || data are copied into `scratch` (the provider's own, off the JavaScript heap once and for all) rather than
 * handed to the addon: N-API would move each small Uint8Array off V8's heap (a backing store of its own for the
 * collector to sweep), and the result is copied out into a small Uint8Array that stays on it. What was written
 * into the scratch is wiped before returning.
 */
function nativeHmac(a: Addon, scratch: Uint8Array, algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array | undefined {
  const spec = HMAC_IDS[algorithm];
  if (spec === undefined || !(key instanceof Uint8Array) || !(data instanceof Uint8Array) || key.length === 0
    || key.length + data.length > SCRATCH_LENGTH - OUT_SPACE) return undefined;
  const used = key.length + data.length;
  const outAt = SCRATCH_LENGTH - OUT_SPACE;
  try {
    scratch.set(key, 0);
    scratch.set(data, key.length);
    a.hmac(scratch, spec.id, key.length, data.length);
    const out = new Uint8Array(spec.size);
    out.set(scratch.subarray(outAt, outAt + spec.size));
    return out;
  } catch (cause) {
    // The wrapper hands the addon only lengths it accepts: a throw here is OpenSSL failing, not a misuse.
    throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `native HMAC (${algorithm}) failed: ${cause instanceof Error ? cause.message : String(cause)}.`, { cause });
  } finally {
    scratch.fill(0, 0, used);
    scratch.fill(0, outAt);
  }
}

export interface NativeProviderOptions {
  /** Everything but the record AEADs and HMAC (hmac, hkdfExtract) comes from here, and the HMACs the addon leaves
   *  (see nativeHmac). Default: createNodeProvider(). */
  readonly base?: CryptoProvider;
}

/** The node provider (or `base`) with record protection and HMAC by the native addon; throws if the addon is not built. */
export function createNativeProvider(options: NativeProviderOptions = {}): CryptoProvider {
  const a = addon();
  const base = options.base ?? createNodeProvider();
  const scratch = new Uint8Array(SCRATCH_LENGTH);
  const hmac = (algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array | undefined => nativeHmac(a, scratch, algorithm, key, data);
  // HKDF-Extract(salt, IKM) = HMAC(salt, IKM), a salt of zeros when none is given (RFC 5869 §2.2).
  const saltOf = (algorithm: HashAlgorithm, salt: Uint8Array): Uint8Array => (salt instanceof Uint8Array && salt.length === 0 && HMAC_IDS[algorithm] ? new Uint8Array(HMAC_IDS[algorithm].size) : salt);
  const baseHmacSync = base.hmacSync?.bind(base);
  const baseExtractSync = base.hkdfExtractSync?.bind(base);
  // The synchronous forms only where the base has them too (it answers what the addon does not).
  const syncForms = baseHmacSync && baseExtractSync ? {
    hmacSync: (algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array => hmac(algorithm, key, data) ?? baseHmacSync(algorithm, key, data),
    hkdfExtractSync: (algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array => hmac(algorithm, saltOf(algorithm, salt), ikm) ?? baseExtractSync(algorithm, salt, ikm),
  } : {};
  return compose(base, {
    name: `native+${base.name}`,
    async hmac(algorithm, key, data) { return hmac(algorithm, key, data) ?? base.hmac(algorithm, key, data); },
    async hkdfExtract(algorithm, salt, ikm) { return hmac(algorithm, saltOf(algorithm, salt), ikm) ?? base.hkdfExtract(algorithm, salt, ikm); },
    ...syncForms,
    async importAeadKey(algorithm, key) {
      const spec = ALGORITHMS[algorithm];
      if (spec === undefined) {
        throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', `AEAD "${String(algorithm)}" is not supported; use aes-128-gcm, aes-256-gcm or chacha20-poly1305.`);
      }
      if (!(key instanceof Uint8Array) || key.length !== spec.keyLength) {
        throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `${algorithm} needs a ${spec.keyLength}-byte key, got ${key?.length} bytes.`);
      }
      try {
        return new NativeAeadKey(a, algorithm, key);
      } catch (cause) {
        throw cause instanceof CryptoError ? cause : new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `native AEAD: OpenSSL could not set up ${algorithm}.`, { cause });
      }
    },
  });
}
