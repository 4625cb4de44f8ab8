// `npm run bench -- verify [--iterations N] [--json FILE]`: X.509 chain verification time for a web-like
// 3-certificate chain (RSA-4096 root > RSA-2048 intermediate > ECDSA P-256 leaf, the shape of Let's Encrypt's ISRG Root X1 > R11 > ECDSA leaf with the usual server
// extensions) against Node's bundled root list plus that root, with the trust store parsed once (as
// connect() does). No real web chain is stored in this offline tree, so the chain is made here; the
// anchors it is searched among are the real default roots.
//
// Prints: store construction (once), the first verification (decodes the anchor it reaches), then median
// and p99 of warm verifications of the chain as first seen (a provider object of its own each time, so no
// signature is remembered: runtime/x509 VerifiedSignatures) and as seen before (signatures remembered), beside
// a floor measured in the same run: node:crypto X509Certificate parsing the two certificates and checking both
// signatures (OpenSSL doing only the cryptography).
import { rootCertificates } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { compose } from '../../runtime/crypto/compose.ts';
import { CertificateVerifier, TrustStore } from '../../runtime/x509/index.ts';
import { makeRoot, makeIntermediate, makeLeaf, makeKey, EKU, seq, oid } from '../support/x509-builder.ts';

function stats(samples: number[]): { median: number; p99: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;

export async function run(args: string[]): Promise<void> {
  const iterations = Number(args[args.indexOf('--iterations') + 1] ?? 0) || 2000;
  const jsonAt = args.indexOf('--json');
  const policies = [{ oid: '2.5.29.32', value: seq(seq(oid('2.23.140.1.2.1'))) }];
  const root = makeRoot({ subject: ['Bench Web Root R1'], key: makeKey({ rsa: 4096 }) });
  const inter = makeIntermediate(root, { subject: ['Bench Web Issuing CA R11'], key: makeKey({ rsa: 2048 }), ca: { pathLen: 0 }, eku: [EKU.serverAuth, EKU.clientAuth], extra: policies });
  const leaf = makeLeaf(inter, { subject: ['www.example.com'], eku: [EKU.serverAuth, EKU.clientAuth], san: [{ dns: 'www.example.com' }, { dns: 'example.com' }, { dns: '*.cdn.example.com' }], extra: policies });
  const chain = [leaf.der, inter.der];
  const anchors = [...rootCertificates, root.pem];
  const crypto = createNodeProvider();

  const t0 = performance.now();
  const store = new TrustStore(anchors);
  const tStore = performance.now() - t0;
  const verifier = new CertificateVerifier({ crypto, trustAnchors: store });
  const req = { chain, now: Date.now(), purpose: 'serverAuth' as const, serverName: 'www.example.com' };
  const t1 = performance.now();
  await verifier.verify(req);
  const tFirst = performance.now() - t1;

  const ours: number[] = [];
  const seen: number[] = [];
  for (let i = 0; i < iterations; i++) {
    // A verifier per connection over the shared store, as the TLS engine builds it. First sight: a provider
    // object of its own (made outside the timing), so both signatures are verified; seen before: the shared one.
    const fresh = compose(crypto, { name: 'first sight' });
    let t = performance.now();
    await new CertificateVerifier({ crypto: fresh, trustAnchors: store }).verify(req);
    ours.push(performance.now() - t);
    t = performance.now();
    await new CertificateVerifier({ crypto, trustAnchors: store }).verify(req);
    seen.push(performance.now() - t);
  }

  // The verifier's own work (parsing, path search, policy): the provider answers every signature check
  // at once, so this row is everything except the cryptography (and the provider's key import).
  const instant = { verify: async (): Promise<boolean> => true, capabilities: () => crypto.capabilities() };
  const own: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await new CertificateVerifier({ crypto: instant, trustAnchors: store }).verify(req);
    own.push(performance.now() - t);
  }

  const floor: number[] = [];
  const rootX = new X509Certificate(root.der);
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    const l = new X509Certificate(leaf.der);
    const m = new X509Certificate(inter.der);
    if (!l.verify(m.publicKey) || !m.verify(rootX.publicKey) || !l.checkHost('www.example.com')) throw new Error('floor check failed');
    floor.push(performance.now() - t);
  }

  const o = stats(ours);
  const r = stats(seen);
  const w = stats(own);
  const f = stats(floor);
  const rows: [string, string, string][] = [
    ['trust store: parse anchors (once per config)', `${tStore.toFixed(2)} ms`, `${anchors.length} anchors`],
    ['first verification (decodes the anchor used)', `${tFirst.toFixed(2)} ms`, ''],
    ['protosmith verify, chain seen for the first time, median', us(o.median), `p99 ${us(o.p99)}, mean ${us(o.mean)}`],
    ['protosmith verify, chain seen before (signatures remembered), median', us(r.median), `p99 ${us(r.p99)}`],
    ['  of which the verifier itself (signature checks stubbed), median', us(w.median), `p99 ${us(w.p99)}`],
    ['node:crypto X509Certificate parse + 2 verify + checkHost, median', us(f.median), `p99 ${us(f.p99)}`],
    ['ratio (floor / protosmith, median)', (f.median / o.median).toFixed(2), o.median < 1 ? 'target < 1 ms: met' : 'target < 1 ms: NOT met'],
  ];
  process.stdout.write(`X.509 verification: 3-certificate web-like chain (RSA-4096 > RSA-2048 > P-256), ${iterations} iterations\n`);
  for (const [a, b, c] of rows) process.stdout.write(`  ${a.padEnd(72)} ${b.padStart(12)}  ${c}\n`);
  if (jsonAt >= 0 && args[jsonAt + 1]) {
    writeFileSync(args[jsonAt + 1]!, JSON.stringify({ anchors: anchors.length, storeMs: tStore, firstMs: tFirst, verify: o, verifySeenBefore: r, verifierOnly: w, floor: f }, null, 2));
  }
}
