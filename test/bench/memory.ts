// `npm run bench -- memory [--conns N]`: server memory per idle TLS 1.3 connection. A fresh server child
// per contender (protosmith runtime/node server, node:tls server; same PKI) is warmed up, measured after
// forced GC, given `--conns` (1,000) idle connections from node:tls clients in this process (each held
// open after its handshake and session ticket), and measured again after forced GC. Per connection =
// growth / connections, for RSS (everything: JS heap, OpenSSL, buffers) and for the JS heap alone.
// Then again with a fresh server child per contender, "settled" (JS heap only; RSS in the note): the marginal cost of `--conns` more idle
// connections on top of as many already open, each sample taken once the idle server's V8 has given back
// the young generation that the preceding burst of handshakes grew (its memory reducer does so some seconds
// after allocation stops; server-child.ts waits for it, up to 40 s). The young generation grows with the JS
// allocation rate of the handshakes (for protosmith by 16 MiB, i.e. 16 KiB "per connection" at 1,000, in
// the first measurement): a cost of the burst, not of the connections that stay open and idle. Both settled
// samples hold connections, so the memory reducer's own effects (released pages, flushed code) are in both.
import * as tls from 'node:tls';
import { benchPki, figure, nodeContexts, numberOption, type BenchPki, type Figure } from './support.ts';
import { connectClient, inFlight, startServer } from './tcp-harness.ts';
import type { ServerKind } from './server-child.ts';

interface PerConnection { rssKiB: number; heapKiB: number; youngMiB: [number, number]; waitedMs: number }

async function perConnection(kind: ServerKind, pki: BenchPki, ctx: tls.SecureContext, conns: number, settle = false): Promise<PerConnection> {
  const server = await startServer(kind, pki);
  const sockets: tls.TLSSocket[] = [];
  const open = (n: number): Promise<void> => inFlight(n, 50, async () => {
    sockets.push((await connectClient(server.port, ctx, { waitForTicket: true })).socket);
  });
  try {
    const warm = [];
    for (let i = 0; i < 30; i++) warm.push((await connectClient(server.port, ctx, { waitForTicket: true })).socket);
    for (const s of warm) s.end();
    await new Promise((r) => setTimeout(r, 300));
    if (settle) await open(conns);
    const before = await server.mem(settle);
    await open(conns);
    await new Promise((r) => setTimeout(r, 300));
    const after = await server.mem(settle);
    if (after.connections < (settle ? 2 : 1) * conns) throw new Error(`${kind} server holds ${after.connections} connections, expected ${conns}`);
    return {
      rssKiB: (after.rss - before.rss) / conns / 1024, heapKiB: (after.heapUsed - before.heapUsed) / conns / 1024,
      youngMiB: [before.youngBytes / 2 ** 20, after.youngBytes / 2 ** 20], waitedMs: Math.max(before.settledMs ?? 0, after.settledMs ?? 0),
    };
  } finally {
    for (const s of sockets) s.destroy();
    await server.exit();
  }
}

export async function run(args: string[]): Promise<Figure[]> {
  const conns = numberOption(args, '--conns', 1000);
  const pki = benchPki();
  const ctx = nodeContexts(pki).client;
  const ours = await perConnection('protosmith', pki, ctx, conns);
  const theirs = await perConnection('node', pki, ctx, conns);
  const native = await perConnection('native', pki, ctx, conns);
  const oursSettled = await perConnection('protosmith', pki, ctx, conns, true);
  const theirsSettled = await perConnection('node', pki, ctx, conns, true);
  const young = (p: PerConnection): string => `${p.youngMiB[0].toFixed(0)} -> ${p.youngMiB[1].toFixed(0)} MiB`;
  const waited = (p: PerConnection): string => `${young(p)} (waited up to ${(p.waitedMs / 1000).toFixed(1)} s)`;
  return [
    figure({ bench: 'memory', row: `server RSS per idle connection (${conns})`, unit: 'KiB', protosmith: ours.rssKiB, baseline: theirs.rssKiB, against: 'node:tls', better: 'lower', target: 1,
      note: `young generation before -> after: protosmith ${young(ours)}, node:tls ${young(theirs)}` }),
    figure({ bench: 'memory', row: `server JS heap per idle connection (${conns})`, unit: 'KiB', protosmith: ours.heapKiB, baseline: theirs.heapKiB, against: 'node:tls', better: 'lower', target: 1 }),
    // The native provider keeps one OpenSSL cipher context per record key (two per connection) in native memory.
    figure({ bench: 'memory', row: `server RSS per idle connection (${conns}), native provider`, unit: 'KiB', protosmith: native.rssKiB, baseline: theirs.rssKiB, against: 'node:tls', better: 'lower', target: 1 }),
    // Settled, only the JS heap (measured after forced GC) is reported: the process's RSS moves by several MiB
    // between two settled samples as V8 and malloc give pages back, more than 1,000 idle connections add, so
    // a marginal RSS per connection came out anywhere from -8 to +28 KiB for the same code.
    figure({ bench: 'memory', row: `server JS heap per idle connection (${conns} more), settled`, unit: 'KiB', protosmith: oursSettled.heapKiB, baseline: theirsSettled.heapKiB, against: 'node:tls', better: 'lower', target: 1,
      note: `young generation before -> after: protosmith ${waited(oursSettled)}, node:tls ${waited(theirsSettled)}; RSS per connection (not a row: RSS moves by more than the connections add between settled samples) protosmith ${oursSettled.rssKiB.toFixed(1)}, node:tls ${theirsSettled.rssKiB.toFixed(1)} KiB` }),
  ];
}
