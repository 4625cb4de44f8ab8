// `npm run bench -- handshake [--rounds N] [--n PER_ROUND]`: full and resumed TLS 1.3 handshakes in
// memory, both sides in this process, protosmith (node provider) beside node:tls over an in-memory
// stream pair. Same PKI (ECDSA P-256 leaf + intermediate under a P-384 root, chain and hostname
// verified by the client), x25519, AES-128-GCM; configs / secure contexts made once and reused. A full
// handshake runs until the client holds a session ticket; a resumed one gets none from either server
// (OpenSSL's default, which protosmith's resumptionTicketCount also defaults to). Rounds are
// interleaved; medians reported, the ratio as the median of per-round ratios (support.ts figure()). protosmith's verifier remembers certificate signatures that verified
// (per provider, byte-identical questions only: runtime/x509/verify.ts), so from the second handshake on the
// client does not verify the intermediate's signature again (ECDSA P-384, ~0.5 ms); OpenSSL verifies it every
// time. A third row shows protosmith's full handshake with a provider object of its own per handshake, i.e. a
// chain seen for the first time (the target row is the repeated one).
import { once } from 'node:events';
import { compose } from '../../runtime/crypto/compose.ts';
import * as tls from 'node:tls';
import { TlsClient, TlsServer, type ClientSession, type TlsClientConfig, type TlsEvent, type TlsServerConfig } from '../../runtime/tls/index.ts';
import { benchPki, duplexPair, figure, interleave, nodeContexts, numberOption, protosmithConfigs, type Figure } from './support.ts';

export async function protosmithHandshake(cfg: { client: TlsClientConfig; server: TlsServerConfig }, session?: ClientSession, suite?: number): Promise<{ c: TlsClient; s: TlsServer; ticket?: ClientSession; resumed: boolean }> {
  const c = new TlsClient({ ...cfg.client, ...(session ? { session } : {}), ...(suite ? { cipherSuites: [suite] } : {}) });
  const s = new TlsServer(cfg.server);
  let ticket: ClientSession | undefined;
  let resumed = false;
  const note = (ev: TlsEvent[]): void => {
    for (const e of ev) { if (e.type === 'newSessionTicket') ticket = e.ticket; else if (e.type === 'handshakeComplete') resumed = e.resumed; }
  };
  await c.start();
  for (let i = 0; i < 10; i++) {
    const a = c.takeOutput(); if (a.length) await s.receive(a);
    const b = s.takeOutput(); if (b.length) note(await c.receive(b));
    if (a.length === 0 && b.length === 0) break;
  }
  if (!c.isConnected || !s.isConnected) throw new Error(`benchmark handshake failed: ${c.error?.message ?? s.error?.message ?? 'no progress'}`);
  return { c, s, ticket, resumed };
}

export async function nodeHandshake(ctx: { client: tls.SecureContext; server: tls.SecureContext }, session?: Buffer, ciphers?: string): Promise<{ client: tls.TLSSocket; server: tls.TLSSocket; ticket?: Buffer }> {
  const [a, b] = duplexPair();
  const server = new tls.TLSSocket(b, { isServer: true, secureContext: ctx.server });
  const client = tls.connect({ socket: a, servername: 'localhost', secureContext: ctx.client, ...(session ? { session } : {}), ...(ciphers ? { ciphersuites: ciphers } as object : {}) });
  let ticket: Buffer | undefined;
  // node:tls (OpenSSL) issues no new ticket on a resumed TLS 1.3 handshake, so only a full one waits for it.
  const gotTicket = session ? undefined : new Promise<void>((resolve) => client.on('session', (s: Buffer) => { ticket = s; resolve(); }));
  await Promise.all([once(client, 'secureConnect'), once(server, 'secure'), gotTicket]);
  return { client, server, ticket };
}

export async function run(args: string[]): Promise<Figure[]> {
  const rounds = numberOption(args, '--rounds', 7);
  const n = numberOption(args, '--n', 40);
  const pki = benchPki();
  const ours = protosmithConfigs(pki);
  const theirs = nodeContexts(pki);
  // Warm-up (JIT, caches) and the sessions to resume.
  let ourTicket: ClientSession | undefined;
  let nodeTicket: Buffer | undefined;
  for (let i = 0; i < 20; i++) {
    ourTicket = (await protosmithHandshake(ours)).ticket;
    const h = await nodeHandshake(theirs);
    nodeTicket = h.ticket; h.client.destroy(); h.server.destroy();
  }
  if (!ourTicket || !nodeTicket) throw new Error('no session ticket to resume with');
  const perOp = (f: () => Promise<void>) => async (): Promise<number> => {
    const t = performance.now();
    for (let i = 0; i < n; i++) await f();
    return (performance.now() - t) / n;
  };
  const ourFull = perOp(async () => { await protosmithHandshake(ours); });
  // The client config with a provider object of its own each time: nothing it verified before is remembered.
  const ourFirstSight = perOp(async () => {
    await protosmithHandshake({ server: ours.server, client: { ...ours.client, crypto: compose(ours.client.crypto, { name: 'first sight' }) } });
  });
  const nodeFull = perOp(async () => { const h = await nodeHandshake(theirs); h.client.destroy(); h.server.destroy(); });
  const ourResumed = perOp(async () => {
    const h = await protosmithHandshake(ours, ourTicket);
    if (!h.resumed) throw new Error('protosmith did not resume');
  });
  const nodeResumed = perOp(async () => {
    const h = await nodeHandshake(theirs, nodeTicket);
    if (!h.client.isSessionReused()) throw new Error('node:tls did not resume');
    h.client.destroy(); h.server.destroy();
  });
  const [of, nf, orr, nr, ofs] = await interleave(rounds, [ourFull, nodeFull, ourResumed, nodeResumed, ourFirstSight]);
  return [
    figure({ bench: 'handshake', row: 'full handshake in memory, both sides', unit: 'ms', rounds: { protosmith: of!, baseline: nf! }, against: 'node:tls', better: 'lower', target: 1 }),
    figure({
      bench: 'handshake', row: 'full handshake in memory, chain seen for the first time', unit: 'ms', rounds: { protosmith: ofs!, baseline: nf! }, against: 'node:tls', better: 'lower',
      note: 'the client with a provider object of its own per handshake, so no certificate signature is remembered from an earlier one (node:tls verifies every handshake\'s chain in full either way)',
    }),
    figure({ bench: 'handshake', row: 'resumed handshake in memory (psk_dhe_ke)', unit: 'ms', rounds: { protosmith: orr!, baseline: nr! }, against: 'node:tls', better: 'lower', target: 1 }),
  ];
}
