// Output buffers for the engine's one-buffer record path (a provider that seals into the caller's buffer,
// e.g. the native provider), reused once the transport has written them. Without it every write of bulk
// data is a fresh external allocation (1 MiB of records for a 1 MiB write), and V8 answers a steady stream
// of those with full garbage collections.
//
// The invariant that makes reuse safe: a buffer is lent by take() and comes back only through release(),
// which the socket calls from the transport's write callback, without an error, for the chunk it wrote: by
// then node has handed the bytes to the kernel and holds no reference. A buffer that is never released (the
// connection failed, the write errored) is simply not reused. A released buffer is only ever ciphertext
// that was already sent.
import type { OutputBuffers } from '../tls/index.ts';

/** Buffers larger than this are not kept (a write is cut into records of 16 KiB; 1 MiB writes are common). */
const MAX_POOLED_BYTES = (1 << 20) + (1 << 16);
/** Outputs smaller than this (a handshake flight, a single record) get a fresh buffer of their own size: a
 *  pooled one would be larger than they need, and many are in flight at once on a busy server. */
const MIN_POOLED_BYTES = 1 << 16;

export class OutputPool implements OutputBuffers {
  readonly #free: ArrayBuffer[] = [];
  /** Buffers lent out and not yet released (weakly: one whose connection failed is not held here). */
  readonly #lent = new WeakSet<ArrayBuffer>();
  #allocated = 0;
  /** At most this many free buffers are kept (per pool: one per server, or per client connection). */
  readonly #keep: number;
  constructor(keep = 2) { this.#keep = keep; }

  take(length: number): Uint8Array | undefined {
    if (length < MIN_POOLED_BYTES || length > MAX_POOLED_BYTES) return undefined;
    let buffer: ArrayBuffer | undefined;
    for (let i = 0; i < this.#free.length; i++) {
      if (this.#free[i]!.byteLength >= length) { buffer = this.#free.splice(i, 1)[0]; break; }
    }
    if (buffer === undefined) {
      // Sized up to the next 64 KiB so that writes of nearby sizes share buffers.
      buffer = new ArrayBuffer(Math.min(MAX_POOLED_BYTES, Math.ceil(length / 65536) * 65536));
      this.#allocated++;
    }
    this.#lent.add(buffer);
    return new Uint8Array(buffer, 0, length);
  }

  /** Whether `chunk` is a buffer of this pool that is lent out (the socket then releases it after its write). */
  lent(chunk: Uint8Array): boolean {
    // Smaller chunks are never lent, and are not asked: reading `.buffer` of a small typed array makes V8 move
    // its bytes out of the heap into an ArrayBuffer of their own (a handshake writes many such pieces).
    return chunk.length >= MIN_POOLED_BYTES && this.#lent.has(chunk.buffer as ArrayBuffer);
  }

  /** `chunk`'s buffer is back: its write completed. Buffers not lent by this pool, or released twice, are ignored. */
  release(chunk: Uint8Array): void {
    if (chunk.length < MIN_POOLED_BYTES) return;
    const buffer = chunk.buffer as ArrayBuffer;
    if (!this.#lent.delete(buffer)) return;
    if (this.#free.length < this.#keep) this.#free.push(buffer);
  }

  /** For tests: how many buffers are kept free, and how many were ever allocated (the rest of take()'s were reuses). */
  get free(): number { return this.#free.length; }
  get allocated(): number { return this.#allocated; }
}
