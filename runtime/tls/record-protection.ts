// Record protection (RFC 8446 §5.2–§5.4): one direction's AEAD state — key, static IV and a 64-bit
// sequence number; per-record nonce = IV XOR (sequence number, left-padded to the IV length).
// Implements the record layer's `RecordCipher` contract: seal() returns a whole TLSCiphertext record,
// open() takes the 5-byte header (the AAD) and the encrypted_record and returns the inner content type
// and content with padding stripped. With a synchronous provider AEAD (node:crypto, @noble) the
// record layer uses sealSync()/openSync(): same bytes, no promise per record.
import type { AeadKey, CipherSuiteParams, CryptoProvider } from '../crypto/provider.ts';
import { ProtosmithError, TlsPeerError, TlsUsageError } from './errors.ts';
import { trafficKeys } from './keyschedule.ts';
import type { RecordCipher } from './record-layer.ts';

const APPLICATION_DATA = 23;
const MAX_PLAINTEXT = 1 << 14;
/** TLSInnerPlaintext (content + type + padding) may not exceed 2^14 + 1 bytes (RFC 8446 §5.4). */
const MAX_INNER = MAX_PLAINTEXT + 1;
const MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
const SEQUENCE_LIMIT = 1n << 64n;
/** Where sealSync() lays out a record's inner plaintext: one buffer for the process, used only inside a
 *  synchronous call (so never by two records at once). */
let innerScratch: Uint8Array | undefined;
/** The synchronous path's nonce: one buffer for the process, rewritten per record (the provider is done
 *  with it when its synchronous call returns). */
let nonceScratch: Uint8Array | undefined;
/** Every TLS 1.3 AEAD has N_MIN = 12, so iv_length is 12 (RFC 8446 §5.3). */
const IV_LENGTH = 12;

export interface RecordProtectionOptions {
  /** Starting sequence number (tests use it to exercise the wrap guard). Default 0. */
  initialSequence?: bigint;
}

export class RecordProtection implements RecordCipher {
  // An idle connection holds two of these for its whole life, so the object is kept small: the static IV
  // as three 32-bit words in the object itself (no typed array), the nonce written into a shared buffer
  // (synchronous path) or a fresh one (asynchronous path), nothing cached that the suite or key has. The
  // private helpers are static (called with the object): an instance private method would cost every
  // object a brand slot.
  readonly suite: CipherSuiteParams;
  readonly #aead: AeadKey;
  /** The static IV, big-endian 32-bit words (signed, so they stay small integers). */
  readonly #iv0: number;
  readonly #iv1: number;
  readonly #iv2: number;
  /** The 64-bit sequence number as two unsigned 32-bit halves (no bigint arithmetic per record); #hi is
   *  -1 once 2^64-1 has been used (exhausted: no further record may be sealed or opened). */
  #hi: number;
  #lo: number;

  private constructor(suite: CipherSuiteParams, aead: AeadKey, iv: Uint8Array, seq: bigint) {
    this.suite = suite;
    this.#aead = aead;
    // Read byte by byte, not through a DataView: `.buffer` of a small typed array (V8 keeps up to 64 bytes on its
    // heap) would make V8 move its bytes into an ArrayBuffer of their own, off the heap, for the collector to sweep.
    this.#iv0 = (iv[0]! << 24) | (iv[1]! << 16) | (iv[2]! << 8) | iv[3]!;
    this.#iv1 = (iv[4]! << 24) | (iv[5]! << 16) | (iv[6]! << 8) | iv[7]!;
    this.#iv2 = (iv[8]! << 24) | (iv[9]! << 16) | (iv[10]! << 8) | iv[11]!;
    this.#hi = Number(seq >> 32n);
    this.#lo = Number(seq & 0xffffffffn);
  }

  /** Whether sealSync() and openSync() can be used (the provider's AEAD has both synchronous forms). */
  get synchronous(): boolean { return this.#aead.sealSync !== undefined && this.#aead.openSync !== undefined; }

  /** Whether sealIntoSync() can be used (the provider's AEAD also seals into the caller's buffer synchronously). */
  get synchronousInto(): boolean { return this.synchronous && this.#aead.sealIntoSync !== undefined; }

  /** Protection for one direction from its traffic secret (keys per RFC 8446 §7.3). */
  static fromSecret(p: CryptoProvider, suite: CipherSuiteParams, trafficSecret: Uint8Array, options: RecordProtectionOptions = {}): Promise<RecordProtection> {
    let keys: ReturnType<typeof trafficKeys>;
    try { keys = trafficKeys(p, suite, trafficSecret); } catch (e) { return Promise.reject(e); } // a promise, as declared
    if (keys instanceof Promise) return keys.then(({ key, iv }) => RecordProtection.fromKeys(p, suite, key, iv, options));
    return RecordProtection.fromKeys(p, suite, keys.key, keys.iv, options);
  }

  static async fromKeys(p: CryptoProvider, suite: CipherSuiteParams, key: Uint8Array, iv: Uint8Array, options: RecordProtectionOptions = {}): Promise<RecordProtection> {
    const seq = options.initialSequence ?? 0n;
    if (seq < 0n || seq >= SEQUENCE_LIMIT) throw new TlsUsageError('TLS_BAD_ARGUMENT', `initial sequence number ${seq} is outside 0..2^64-1.`);
    if (iv.length !== suite.ivLength || iv.length !== IV_LENGTH) throw new TlsUsageError('TLS_BAD_ARGUMENT', `record IV must be ${IV_LENGTH} bytes for ${suite.name} (RFC 8446 §5.3), got ${iv.length}.`);
    return new RecordProtection(suite, await p.importAeadKey(suite.aead, key), iv, seq);
  }

  /** Sequence number of the next record this direction will seal/open. */
  get sequence(): bigint { return this.#hi < 0 ? SEQUENCE_LIMIT : (BigInt(this.#hi) << 32n) | BigInt(this.#lo); }

  /** This record's nonce, written into `nonce` (12 bytes): IV XOR the sequence number. */
  static #nonceInto(rp: RecordProtection, nonce: Uint8Array): Uint8Array {
    if (rp.#hi < 0) {
      throw new ProtosmithError('TLS_SEQUENCE_OVERFLOW', 'local', 'record sequence number would wrap past 2^64-1 (RFC 8446 §5.3); the connection must be rekeyed (KeyUpdate) or closed before this point.', { alert: 'internal_error' });
    }
    const a = rp.#iv0;
    const b = rp.#iv1 ^ rp.#hi;
    const c = rp.#iv2 ^ rp.#lo;
    nonce[0] = a >>> 24; nonce[1] = a >>> 16; nonce[2] = a >>> 8; nonce[3] = a;
    nonce[4] = b >>> 24; nonce[5] = b >>> 16; nonce[6] = b >>> 8; nonce[7] = b;
    nonce[8] = c >>> 24; nonce[9] = c >>> 16; nonce[10] = c >>> 8; nonce[11] = c;
    return nonce;
  }

  /** A fresh nonce for the asynchronous path (the provider may read it after we return). */
  static #nonce(rp: RecordProtection): Uint8Array { return RecordProtection.#nonceInto(rp, new Uint8Array(IV_LENGTH)); }

  /** The synchronous path's nonce, in the shared buffer (the provider is done with it on return). */
  static #syncNonce(rp: RecordProtection): Uint8Array { return RecordProtection.#nonceInto(rp, nonceScratch ??= new Uint8Array(IV_LENGTH)); }

  static #advance(rp: RecordProtection): void {
    if (rp.#lo !== 0xffffffff) { rp.#lo++; return; }
    rp.#lo = 0;
    if (rp.#hi === 0xffffffff) rp.#hi = -1;
    else rp.#hi++;
  }

  /** Bytes of the whole record that seal() makes for `contentLength` bytes of content and `padding`. */
  recordLength(contentLength: number, padding: number): number {
    return 5 + contentLength + 1 + padding + this.suite.tagLength;
  }

  async seal(type: number, content: Uint8Array, padding: number): Promise<Uint8Array> {
    RecordProtection.#check(content, padding);
    const record = new Uint8Array(this.recordLength(content.length, padding));
    await RecordProtection.#sealAt(this, type, content, padding, record, 0);
    return record;
  }

  /**
   * Seals one record into `out` at `offset` (the caller sized `out` with recordLength), so that many
   * records can share one buffer; returns the record's length. Same bytes as seal().
   */
  async sealInto(type: number, content: Uint8Array, padding: number, out: Uint8Array, offset: number): Promise<number> {
    const n = RecordProtection.#placed(this, content, padding, out, offset);
    await RecordProtection.#sealAt(this, type, content, padding, out, offset);
    return n;
  }

  /**
   * seal() without a promise, for a synchronous provider (`synchronous`): returns the record as
   * consecutive pieces (the 5-byte header, then the provider's ciphertext and tag, uncopied), so it can
   * go to a vectored write as it is; joined, they are seal()'s bytes. Same errors as seal().
   */
  sealSync(type: number, content: Uint8Array, padding: number): Uint8Array[] {
    const aead = this.#aead;
    if (aead.sealSync === undefined || aead.openSync === undefined) throw new TlsUsageError('TLS_BAD_ARGUMENT', `sealSync: the ${this.#aead.algorithm} key of this provider has no synchronous form; use seal().`);
    RecordProtection.#check(content, padding);
    const nonce = RecordProtection.#syncNonce(this);
    const innerLength = content.length + 1 + padding;
    const length = innerLength + this.suite.tagLength;
    const header = new Uint8Array(5);
    RecordProtection.#header(header, 0, length);
    // The inner plaintext (content, type, zero padding) is laid out in one scratch buffer shared by every
    // connection: the provider reads it only during this synchronous call, and it is wiped before the
    // call returns, so no connection's plaintext stays behind in it.
    const inner = (innerScratch ??= new Uint8Array(MAX_INNER)).subarray(0, innerLength);
    inner.set(content, 0);
    inner[content.length] = type;
    if (padding > 0) inner.fill(0, content.length + 1);
    let sealed: readonly Uint8Array[];
    try {
      sealed = aead.sealSync(nonce, header, inner);
    } finally {
      inner.fill(0);
    }
    const pieces: Uint8Array[] = [header];
    let n = 0;
    for (const piece of sealed) { pieces.push(piece); n += piece.length; }
    if (n !== length) throw new ProtosmithError('TLS_PROVIDER_FAILURE', 'provider', `AEAD seal returned ${n} bytes, expected ${length}.`, { alert: 'internal_error' });
    RecordProtection.#advance(this);
    return pieces;
  }

  /**
   * sealInto() without a promise, for a provider that seals into the caller's buffer synchronously
   * (`synchronousInto`): the content is sealed where it lies (with the content type and padding as a second
   * part, from a shared buffer wiped on return), nothing joined or copied. Same bytes and errors as sealInto().
   */
  sealIntoSync(type: number, content: Uint8Array, padding: number, out: Uint8Array, offset: number): number {
    const aead = this.#aead;
    if (!this.synchronousInto || aead.sealIntoSync === undefined) throw new TlsUsageError('TLS_BAD_ARGUMENT', `sealIntoSync: the ${aead.algorithm} key of this provider has no synchronous sealInto form; use sealInto().`);
    const n = RecordProtection.#placed(this, content, padding, out, offset);
    RecordProtection.#header(out, offset, n - 5);
    // The content type and zero padding: the start of the shared scratch buffer (all zero between calls).
    const trailer = (innerScratch ??= new Uint8Array(MAX_INNER)).subarray(0, 1 + padding);
    trailer[0] = type;
    try {
      aead.sealIntoSync(RecordProtection.#syncNonce(this), out.subarray(offset, offset + 5), [content, trailer], out, offset + 5);
    } finally {
      trailer[0] = 0;
    }
    RecordProtection.#advance(this);
    return n;
  }

  /** Checks content and padding, and that the record they make fits in `out` at `offset`; returns its length. */
  static #placed(rp: RecordProtection, content: Uint8Array, padding: number, out: Uint8Array, offset: number): number {
    RecordProtection.#check(content, padding);
    const n = rp.recordLength(content.length, padding);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + n > out.length) {
      throw new TlsUsageError('TLS_BAD_ARGUMENT', `a ${n}-byte record does not fit in ${out.length} bytes at offset ${offset}.`);
    }
    return n;
  }

  /** The 5-byte header of a protected record (application_data, legacy version 0x0303) whose encrypted_record
   *  is `length` bytes, written at `out[at]`. */
  static #header(out: Uint8Array, at: number, length: number): void {
    out[at] = APPLICATION_DATA;
    out[at + 1] = 0x03;
    out[at + 2] = 0x03;
    out[at + 3] = length >> 8;
    out[at + 4] = length & 0xff;
  }

  static #check(content: Uint8Array, padding: number): void {
    if (!Number.isSafeInteger(padding) || padding < 0) throw new TlsUsageError('TLS_BAD_ARGUMENT', `record padding must be a non-negative integer, got ${padding}.`);
    const innerLength = content.length + 1 + padding;
    if (content.length > MAX_PLAINTEXT || innerLength > MAX_INNER) {
      throw new TlsUsageError('TLS_BAD_ARGUMENT', `cannot seal ${content.length} content bytes with ${padding} padding into one record: TLSInnerPlaintext is limited to 2^14+1 bytes (RFC 8446 §5.4); fragment the content first.`);
    }
  }

  static async #sealAt(rp: RecordProtection, type: number, content: Uint8Array, padding: number, record: Uint8Array, at: number): Promise<void> {
    const nonce = RecordProtection.#nonce(rp);
    const innerLength = content.length + 1 + padding;
    const length = innerLength + rp.suite.tagLength;
    // Header, then ciphertext || tag written in place by the provider when it can (sealInto);
    // otherwise the inner plaintext is joined and seal()'s output copied in.
    RecordProtection.#header(record, at, length);
    const aad = record.subarray(at, at + 5);
    if (rp.#aead.sealInto) {
      const trailer = new Uint8Array(1 + padding);
      trailer[0] = type;
      await rp.#aead.sealInto(nonce, aad, [content, trailer], record, at + 5);
    } else {
      const inner = new Uint8Array(innerLength);
      inner.set(content, 0);
      inner[content.length] = type;
      const sealed = await rp.#aead.seal(nonce, aad.slice(), inner);
      if (sealed.length !== length) throw new ProtosmithError('TLS_PROVIDER_FAILURE', 'provider', `AEAD seal returned ${sealed.length} bytes, expected ${length}.`, { alert: 'internal_error' });
      record.set(sealed, at + 5);
    }
    RecordProtection.#advance(rp);
  }

  async open(header: Uint8Array, fragment: Uint8Array): Promise<{ type: number; content: Uint8Array }> {
    RecordProtection.#checkRecord(header, fragment);
    const nonce = RecordProtection.#nonce(this);
    let inner: Uint8Array;
    try {
      inner = await this.#aead.open(nonce, header, fragment);
    } catch (cause) {
      throw RecordProtection.#badMac(this, fragment, cause);
    }
    return RecordProtection.#inner(this, inner);
  }

  /** open() without a promise, for a synchronous provider (`synchronous`). Same results and errors. */
  openSync(header: Uint8Array, fragment: Uint8Array): { type: number; content: Uint8Array } {
    const aead = this.#aead;
    if (aead.sealSync === undefined || aead.openSync === undefined) throw new TlsUsageError('TLS_BAD_ARGUMENT', `openSync: the ${this.#aead.algorithm} key of this provider has no synchronous form; use open().`);
    RecordProtection.#checkRecord(header, fragment);
    const nonce = RecordProtection.#syncNonce(this);
    let inner: Uint8Array;
    try {
      inner = aead.openSync(nonce, header, fragment);
    } catch (cause) {
      throw RecordProtection.#badMac(this, fragment, cause);
    }
    return RecordProtection.#inner(this, inner);
  }

  static #checkRecord(header: Uint8Array, fragment: Uint8Array): void {
    if (header.length !== 5 || header[0] !== APPLICATION_DATA) {
      throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `protected record has outer content type ${header[0] ?? 'none'}; after keys are in use every record except change_cipher_spec must be application_data (23) (RFC 8446 §5.2).`);
    }
    if (fragment.length > MAX_CIPHERTEXT) {
      throw new TlsPeerError('TLS_RECORD_OVERFLOW', 'record_overflow', `protected record of ${fragment.length} bytes exceeds 2^14+256 (RFC 8446 §5.2).`);
    }
  }

  static #badMac(rp: RecordProtection, fragment: Uint8Array, cause: unknown): TlsPeerError {
    return new TlsPeerError('TLS_BAD_RECORD_MAC', 'bad_record_mac', `protected record (sequence ${rp.sequence}, ${fragment.length} bytes) failed AEAD authentication (${rp.suite.name}): it was altered, truncated, or protected under different keys.`, { cause });
  }

  /** The content type and content of a decrypted TLSInnerPlaintext (padding stripped); advances the sequence. */
  static #inner(rp: RecordProtection, inner: Uint8Array): { type: number; content: Uint8Array } {
    if (inner.length > MAX_INNER) {
      throw new TlsPeerError('TLS_RECORD_OVERFLOW', 'record_overflow', `decrypted TLSInnerPlaintext is ${inner.length} bytes, over 2^14+1 (RFC 8446 §5.4).`);
    }
    let i = inner.length - 1;
    while (i >= 0 && inner[i] === 0) i--;
    if (i < 0) {
      throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', 'decrypted record is all zero padding with no content type (RFC 8446 §5.4).');
    }
    RecordProtection.#advance(rp);
    return { type: inner[i]!, content: inner.subarray(0, i) };
  }
}
