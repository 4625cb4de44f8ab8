// The handshake transcript (RFC 8446 §4.4.1): its digest is taken once per state of the transcript (the
// server's own Finished and its check of the client's Finished read the same one), and never outlives an update.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { compose } from '../../runtime/crypto/compose.ts';
import { Transcript } from '../../runtime/tls/transcript.ts';

function counting(): { p: ReturnType<typeof createNodeProvider>; snapshots: () => number } {
  const base = createNodeProvider();
  let snapshots = 0;
  const p = compose(base, {
    name: 'counting',
    createHash: (alg) => {
      const wrap = (h: ReturnType<typeof base.createHash>): ReturnType<typeof base.createHash> => ({
        algorithm: h.algorithm, outputLength: h.outputLength,
        update: (d) => h.update(d),
        snapshot: () => { snapshots++; return h.snapshot(); },
        clone: () => wrap(h.clone()),
      });
      return wrap(base.createHash(alg));
    },
  });
  return { p, snapshots: () => snapshots };
}

const sha256 = (...parts: Uint8Array[]): string => { const h = createHash('sha256'); for (const x of parts) h.update(x); return h.digest('hex'); };
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('hash() of an unchanged transcript is one provider digest; every add (and an HRR rewrite) gives a fresh one', () => {
  const { p, snapshots } = counting();
  const t = new Transcript(p);
  const a = Uint8Array.of(1, 0, 0, 1, 7);
  const b = Uint8Array.of(2, 0, 0, 2, 8, 9);
  t.add(a);
  t.setHash('sha256');
  assert.is(hex(t.hash()), sha256(a));
  assert.is(hex(t.hash()), sha256(a));
  assert.is(snapshots(), 1, 'the second hash() of the same transcript reads the first digest');
  t.add(b);
  assert.is(hex(t.hash()), sha256(a, b), 'a message added after a digest changes the digest');
  assert.is(snapshots(), 2);
  assert.is(hex(t.hashWith(a)), sha256(a, b, a), 'hashWith reads its own clone, not the kept digest');
  assert.is(hex(t.hash()), sha256(a, b), 'and leaves the transcript as it was');
  t.replaceWithMessageHash('sha256');
  const messageHash = Uint8Array.of(254, 0, 0, 32, ...Buffer.from(sha256(a, b), 'hex'));
  assert.is(hex(t.hash()), sha256(messageHash), 'the HelloRetryRequest rewrite forgets the kept digest');
  t.resetWithMessageHash('sha256', new Uint8Array(32).fill(5));
  assert.is(hex(t.hash()), sha256(Uint8Array.of(254, 0, 0, 32, ...new Uint8Array(32).fill(5))), 'a cookie restart forgets it too');
});

test.run();
