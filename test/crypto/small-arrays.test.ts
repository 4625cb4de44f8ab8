// Small typed arrays stay on V8's heap. A typed array of up to 64 bytes (the key schedule's secrets, HKDF labels,
// AEAD keys, record IVs) has no ArrayBuffer of its own until its `.buffer` is read or a native call (node:crypto)
// reads its bytes; then V8 moves the bytes into a malloc'd backing store that the young-generation collector must
// track and sweep. A server handshake made 60 of those and makes 31 (docs/performance.md); these tests pin the
// paths that were changed not to make them. They keep every input alive and read node's count of bytes held in
// ArrayBuffers (process.memoryUsage().arrayBuffers) before and after: a backing store made per call would stay and
// add up; a full collection before each reading takes away what was garbage (the per-call outputs). The first test
// shows that the measure sees a backing store when one is made.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { cipherSuiteParams } from '../../runtime/crypto/provider.ts';
import { RecordProtection } from '../../runtime/tls/record-protection.ts';
import { enc } from '../../runtime/tls/bytes.ts';

const N = 1000;
const p = createNodeProvider();
/** A full collection: `gc` from --expose-gc, which test/run.ts gives every test process; run on its own (node
 *  --import tsx test/run-one.ts ...) without the flag, the flag is set at run time (node documents that as
 *  unsupported, but it works on node 20 for exposing gc in a new context). */
const gc = (globalThis as { gc?: () => void }).gc ?? ((): () => void => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** Bytes newly held in ArrayBuffers after `f` ran over the `inputs` (kept alive until measured). */
async function held<T>(inputs: readonly T[], f: (x: T) => unknown): Promise<number> {
  await f(inputs[0]!); // one-time buffers (the provider's staging areas, node's pools) are not per call
  gc();
  const before = process.memoryUsage().arrayBuffers;
  for (const x of inputs) await f(x);
  gc();
  const after = process.memoryUsage().arrayBuffers;
  assert.ok(inputs.length === N); // keeps the inputs reachable until after the measurement
  return after - before;
}

const small = (n: number, i: number): Uint8Array => new Uint8Array(n).fill((i % 250) + 1);

test('the measure: createHmac handed small arrays moves each one off the heap (32 bytes per key)', async () => {
  const keys = Array.from({ length: N }, (_, i) => small(32, i));
  const bytes = await held(keys, (k) => createHmac('sha256', k).update(k).digest('latin1'));
  assert.ok(bytes >= N * 32 * 0.9, `expected ~${N * 32} bytes of new ArrayBuffers, got ${bytes}`);
});

test('node provider HMAC and HKDF-Expand: small keys and messages are not moved off the heap', async () => {
  const pairs = Array.from({ length: N }, (_, i) => [small(32, i), small(55, i + 1)] as const);
  const hmac = await held(pairs, ([k, d]) => p.hmacSync!('sha256', k, d));
  assert.ok(hmac < N * 4, `hmacSync left ${hmac} bytes of ArrayBuffers for ${N} calls (each 32-byte key moved off the heap alone is ~${N * 32})`);
  const expand = await held(pairs, ([k, d]) => p.hkdfExpand('sha256', k, d, 32));
  assert.ok(expand < N * 4, `hkdfExpand left ${expand} bytes of ArrayBuffers for ${N} calls (each 32-byte key moved off the heap alone is ~${N * 32})`);
  // Still HMAC: the staged call gives node:crypto's own answer, for keys and messages of every small size.
  for (let kl = 0; kl <= 64; kl += 16) {
    for (const dl of [0, 1, 33, 64, 300, 600]) {
      const k = small(kl, kl + dl);
      const d = small(dl, dl);
      assert.equal(Buffer.from(p.hmacSync!('sha256', k, d)).toString('hex'), createHmac('sha256', k).update(d).digest('hex'), `key ${kl}, data ${dl}`);
    }
  }
});

test('node provider AEAD keys and record protection: key bytes and IVs are read without moving them off the heap', async () => {
  const suite = cipherSuiteParams(0x1301)!;
  const keys = Array.from({ length: N }, (_, i) => [small(16, i), small(12, i + 1)] as const);
  const imported = await held(keys, ([k]) => p.importAeadKey('aes-128-gcm', k));
  assert.ok(imported < N * 4, `importAeadKey left ${imported} bytes of ArrayBuffers for ${N} keys (each 16-byte key moved off the heap is ~${N * 16})`);
  const protections = await held(keys, ([k, iv]) => RecordProtection.fromKeys(p, suite, k, iv));
  assert.ok(protections < N * 4, `RecordProtection.fromKeys left ${protections} bytes of ArrayBuffers for ${N} keys (each 12-byte IV moved off the heap alone is ~${N * 12})`);
});

test('enc: the same UTF-8 as TextEncoder, and an ASCII name of up to 64 characters stays on the heap', async () => {
  for (const x of ['', 'h2', 'example.com', 'a'.repeat(64), 'a'.repeat(65), 'tls13 c hs traffic', 'café', 'ä'.repeat(70), '\u{1f600}', '\x7f\x80']) {
    assert.equal([...enc(x)], [...new TextEncoder().encode(x)], JSON.stringify(x));
  }
  const names = Array.from({ length: N }, (_, i) => `host-${i}.example.com`);
  const encoded: Uint8Array[] = []; // kept alive: an ArrayBuffer under them would stay through the collection
  const bytes = await held(names, (x) => encoded.push(enc(x)));
  assert.is(encoded.length, N + 1);
  assert.ok(bytes < N * 4, `enc left ${bytes} bytes of ArrayBuffers for ${N} host names (TextEncoder makes one per string, ~${N * 20} bytes)`);
});

test.run();
