// A deterministic random source for tests and byte-exact traces: serves a fixed pool of bytes in
// order and fails loudly (typed error) when the pool runs dry, so a test never silently falls back
// to real randomness. Pass `pool.take` as `createNodeProvider({ randomBytes })`.
import { CryptoError } from '../errors.ts';

export interface PinnedRandom {
  /** Next n bytes of the pool. */
  take(n: number): Uint8Array;
  /** Bytes served so far. */
  readonly consumed: number;
  /** Bytes left. */
  readonly remaining: number;
  /** One entry per take() call: offset and length, to see how a peer consumed the pool. */
  readonly log: readonly { offset: number; length: number }[];
}

export function pinnedRandom(pool: Uint8Array | string): PinnedRandom {
  const bytes = typeof pool === 'string' ? Uint8Array.from(Buffer.from(pool, 'hex')) : Uint8Array.from(pool);
  let offset = 0;
  const log: { offset: number; length: number }[] = [];
  return {
    take(n: number): Uint8Array {
      if (offset + n > bytes.length) {
        throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `Pinned random pool exhausted: asked for ${n} bytes at offset ${offset}, pool holds ${bytes.length}. The code under test drew more randomness than the trace provides.`);
      }
      log.push({ offset, length: n });
      const out = bytes.slice(offset, offset + n);
      offset += n;
      return out;
    },
    get consumed() { return offset; },
    get remaining() { return bytes.length - offset; },
    log,
  };
}
