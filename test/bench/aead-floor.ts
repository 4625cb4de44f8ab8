// The sending side's AEAD floor of the bulk bench (bulk.ts): node:crypto alone sealing 16 KiB records, no engine,
// no I/O. Its own module so that the server child (server-child.ts) can run it in a process like the server's.
import { createCipheriv, randomBytes, type CipherGCM } from 'node:crypto';

export const NODE_AEAD = { 0x1301: 'aes-128-gcm', 0x1302: 'aes-256-gcm', 0x1303: 'chacha20-poly1305' } as const;
export const RECORD = 1 << 14;
const CHUNK = new Uint8Array(1 << 20).fill(0x5a);

/** The sending side's floor: node:crypto sealing `mib` MiB as 16 KiB records, no engine, no I/O; CPU ms per MiB
 *  of the calling process (process.cpuUsage, which counts V8's background threads, as the server's figure does).
 *  The bulk bench runs it in the idle server child, a process like the server's: in the bench's own process,
 *  after the other benches, the same loop measured up to 5x more (its garbage and threads are counted too). */
export function sealFloorCpu(suite: keyof typeof NODE_AEAD, mib: number): number {
  const alg = NODE_AEAD[suite];
  const key = randomBytes(alg === 'aes-128-gcm' ? 16 : 32);
  const nonce = new Uint8Array(randomBytes(12));
  const nonceTail = new DataView(nonce.buffer).getUint32(8);
  const options = { authTagLength: 16 } as never;
  const header = Uint8Array.of(23, 3, 3, (RECORD + 17) >> 8, (RECORD + 17) & 0xff);
  const inner = new Uint8Array(RECORD + 1);
  let seq = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < mib; i++) {
    for (let off = 0; off < CHUNK.length; off += RECORD) {
      inner.set(CHUNK.subarray(off, off + RECORD), 0);
      inner[RECORD] = 23;
      new DataView(nonce.buffer).setUint32(8, (nonceTail ^ seq++) >>> 0);
      const c = createCipheriv(alg, key, nonce, options) as unknown as CipherGCM;
      c.setAAD(header);
      c.update(inner);
      c.final();
      c.getAuthTag();
    }
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / mib;
}

