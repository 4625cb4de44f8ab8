// `npm run bench -- hsm [handshakes]`: TLS 1.3 full handshakes per second (in memory, x25519,
// ecdsa_secp256r1_sha256, chain verified) with the server's P-256 key in a SoftHSM2 token (signing
// through the PKCS#11 provider) vs the same kind of key in the node provider. Everything else is the
// node provider in both runs. One run each, sequential and with 8 handshakes in flight; prints the ratio.
import { createNodeProvider, nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { openPkcs11 } from '../../runtime/crypto/pkcs11/index.ts';
import type { CryptoProvider, SigningKey } from '../../runtime/crypto/provider.ts';
import { TlsClient, TlsServer } from '../../runtime/tls/index.ts';
import { testPki } from '../support/pki.ts';
import { softHsm } from '../support/softhsm.ts';

const pki = testPki();
const now = (): number => Date.now();

async function handshake(crypto: CryptoProvider, signingKey: SigningKey, chainPem: string): Promise<void> {
  const c = new TlsClient({ crypto, now, serverName: 'localhost', trustAnchors: [pki.root.certPem] });
  const s = new TlsServer({ crypto, now, certificateChain: [chainPem], signingKey });
  await c.start();
  for (let i = 0; i < 10; i++) {
    const a = c.takeOutput(); if (a.length) await s.receive(a);
    const b = s.takeOutput(); if (b.length) await c.receive(b);
    if (a.length === 0 && b.length === 0) break;
  }
  if (!c.isConnected || !s.isConnected) throw new Error('benchmark handshake failed');
}

async function rate(n: number, inFlight: number, one: () => Promise<void>): Promise<number> {
  await one(); // warm-up
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => { while (next++ < n) await one(); }));
  return n / ((performance.now() - t) / 1000);
}

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 300);
  const hsm = softHsm('protosmith-bench');
  try {
    hsm.genKey('p256', 'bench', '01');
    const p = await openPkcs11({ module: hsm.module, token: hsm.label, pin: hsm.pin, maxSessions: 4 });
    try {
      const hsmKey = await p.signingKey({ label: 'bench' });
      const hsmChain = hsm.issue('bench', hsmKey.publicKeySpki!, 'v3_server').chainPem;
      const node = createNodeProvider();
      const nodeKey = nodeSigningKey(pki.servers.p256.keyPem);
      console.log(`hsm bench: ${n} full TLS 1.3 handshakes per run (in memory; x25519, ecdsa_secp256r1_sha256, chain verified); SoftHSM2 at ${hsm.module}, 4-session pool`);
      for (const inFlight of [1, 8]) {
        const nodeRate = await rate(n, inFlight, () => handshake(node, nodeKey, pki.servers.p256.chainPem));
        const hsmRate = await rate(n, inFlight, () => handshake(p.provider, hsmKey, hsmChain));
        console.log(`  ${inFlight} in flight: server key in node provider ${nodeRate.toFixed(0)}/s, in SoftHSM2 (pkcs11) ${hsmRate.toFixed(0)}/s, ratio pkcs11/node ${(hsmRate / nodeRate).toFixed(2)}`);
      }
    } finally { await p.close(); }
  } finally { hsm.cleanup(); }
}
