// The handshake transcript (RFC 8446 §4.4.1): an incremental hash whose algorithm is fixed only
// once the cipher suite is known (messages are buffered until then), with the HelloRetryRequest
// rewrite of ClientHello1 into message_hash.
import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import { TlsProviderError } from './errors.ts';
import { concat } from './bytes.ts';

/** Handshake transcript whose hash algorithm is fixed only once the cipher suite is known. */
export class Transcript {
  private pending: Uint8Array[] = [];
  private h: ReturnType<CryptoProvider['createHash']> | undefined;
  /** The digest of the transcript as it stands, once asked for; forgotten when a message is added. The
   *  server's check of the client Finished reads the digest its own Finished already took (two provider
   *  calls each). Callers only read digests (contexts of key derivations, signed content). */
  private digest: Uint8Array | undefined;
  constructor(private readonly crypto: CryptoProvider) {}
  get ready(): boolean { return this.h !== undefined; }
  setHash(alg: HashAlgorithm): void {
    if (this.h) return;
    this.h = this.crypto.createHash(alg);
    for (const p of this.pending) this.h.update(p);
    this.pending = [];
  }
  add(msg: Uint8Array): void { this.digest = undefined; if (this.h) this.h.update(msg); else this.pending.push(msg); }
  hash(): Uint8Array {
    if (!this.h) throw new TlsProviderError('transcript hash requested before a cipher suite was chosen (an engine bug: please report it)');
    return (this.digest ??= this.h.snapshot());
  }
  /** Hash of the transcript with `extra` appended, without changing the transcript. */
  hashWith(extra: Uint8Array): Uint8Array {
    if (!this.h) throw new TlsProviderError('transcript hash requested before a cipher suite was chosen (an engine bug: please report it)');
    const c = this.h.clone(); c.update(extra); return c.snapshot();
  }
  /** HRR (RFC 8446 §4.4.1): replace ClientHello1 with message_hash(Hash(ClientHello1)). */
  replaceWithMessageHash(alg: HashAlgorithm): void {
    const h = this.crypto.createHash(alg);
    for (const p of this.pending) h.update(p);
    const digest = this.h ? this.h.snapshot() : h.snapshot();
    this.digest = undefined;
    this.h = this.crypto.createHash(alg);
    this.pending = [];
    this.h.update(concat(Uint8Array.of(254, 0, 0, digest.length), digest));
  }
  /** Stateless HRR: start over from message_hash(digest of ClientHello1) recovered from a cookie. */
  resetWithMessageHash(alg: HashAlgorithm, digest: Uint8Array): void {
    this.pending = [];
    this.digest = undefined;
    this.h = this.crypto.createHash(alg);
    this.h.update(concat(Uint8Array.of(254, 0, 0, digest.length), digest));
  }
  /** Digest of the buffered (not yet hashed) messages with `alg`, e.g. ClientHello1 for a cookie. */
  pendingDigest(alg: HashAlgorithm): Uint8Array {
    const h = this.crypto.createHash(alg);
    for (const p of this.pending) h.update(p);
    return h.snapshot();
  }
}
