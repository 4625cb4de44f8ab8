// `npm run bench -- engine [rounds]`: in-memory TLS 1.3 engine figures with the node provider —
// full handshakes per second (x25519 + ECDSA P-256, AES-128-GCM), resumed handshakes, the server's share of
// a full handshake (time inside its receive() calls, and the promises they create: counted with an
// async_hooks hook in a pass of its own, so that the hook does not slow the timed rounds), and bulk
// application-data throughput per suite. Median of several rounds after a warm-up.
import { createHook } from 'node:async_hooks';
import { createNodeProvider, nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { TlsClient, TlsServer, type ClientSession, type TlsEvent } from '../../runtime/tls/index.ts';
import { testPki } from '../support/pki.ts';

const crypto = createNodeProvider();
const pki = testPki();
const now = (): number => Date.now();
const ticketKey = new Uint8Array(32).fill(1);
const signingKey = nodeSigningKey(pki.servers.p256.keyPem);

/** Time (ms) spent inside the server's receive() calls of the last handshake(). */
let serverMs = 0;

async function handshake(session?: ClientSession, suite = 0x1301): Promise<{ c: TlsClient; s: TlsServer; ticket?: ClientSession }> {
  const c = new TlsClient({ crypto, now, serverName: 'localhost', trustAnchors: [pki.root.certPem], session, cipherSuites: [suite] });
  const s = new TlsServer({ crypto, now, certificateChain: [pki.servers.p256.chainPem], signingKey, ticketKey });
  let ticket: ClientSession | undefined;
  const note = (ev: TlsEvent[]): void => { for (const e of ev) if (e.type === 'newSessionTicket') ticket = e.ticket; };
  await c.start();
  serverMs = 0;
  for (let i = 0; i < 10; i++) {
    const a = c.takeOutput();
    if (a.length) { const t = performance.now(); await s.receive(a); serverMs += performance.now() - t; }
    const b = s.takeOutput(); if (b.length) note(await c.receive(b));
    if (a.length === 0 && b.length === 0) break;
  }
  if (!c.isConnected || !s.isConnected) throw new Error('benchmark handshake failed');
  return { c, s, ticket };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 5);
  const n = 50;
  await handshake();
  const full: number[] = [];
  const server: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    let inServer = 0;
    for (let i = 0; i < n; i++) { await handshake(); inServer += serverMs; }
    full.push((performance.now() - t) / n);
    server.push(inServer / n);
  }
  // Promises made by the server's receive() calls of one full handshake (the client's are not counted).
  let promises = 0;
  let counting = false;
  const hook = createHook({ init(_id, type) { if (counting && type === 'PROMISE') promises++; } }).enable();
  {
    const c = new TlsClient({ crypto, now, serverName: 'localhost', trustAnchors: [pki.root.certPem] });
    const s = new TlsServer({ crypto, now, certificateChain: [pki.servers.p256.chainPem], signingKey, ticketKey });
    await c.start();
    for (let i = 0; i < 10; i++) {
      const a = c.takeOutput();
      if (a.length) { counting = true; await s.receive(a); counting = false; }
      const b = s.takeOutput(); if (b.length) await c.receive(b);
      if (a.length === 0 && b.length === 0) break;
    }
  }
  hook.disable();
  const { ticket } = await handshake();
  const resumed: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await handshake(ticket);
    resumed.push((performance.now() - t) / n);
  }
  console.log(`full handshake (x25519, ecdsa_secp256r1_sha256, chain verified): ${median(full).toFixed(2)} ms  (${(1000 / median(full)).toFixed(0)}/s)`);
  console.log(`resumed handshake (ticket, psk_dhe_ke):                        ${median(resumed).toFixed(2)} ms  (${(1000 / median(resumed)).toFixed(0)}/s)`);
  console.log(`  of a full handshake, inside the server's receive() calls:      ${(median(server) * 1000).toFixed(0)} µs, ${promises} promises made`);
  const data = new Uint8Array(1 << 20);
  for (const [name, suite] of [['AES-128-GCM', 0x1301], ['AES-256-GCM', 0x1302], ['ChaCha20-Poly1305', 0x1303]] as const) {
    const { c, s } = await handshake(undefined, suite);
    const mbps: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t = performance.now();
      for (let i = 0; i < 8; i++) { await c.write(data); await s.receive(c.takeOutput()); }
      mbps.push(8 / ((performance.now() - t) / 1000));
    }
    console.log(`bulk data ${name.padEnd(18)} seal+open: ${median(mbps).toFixed(0)} MiB/s`);
  }
}
