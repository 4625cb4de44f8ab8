// `npm run bench -- memory [--conns N]`: server memory per idle TLS 1.3 connection. A fresh server child
// per contender (protosmith runtime/node server, node:tls server; same PKI) is warmed up, measured after
// forced GC, given `--conns` (1,000) idle connections from node:tls clients in this process (each held
// open after its handshake and session ticket), and measured again after forced GC. Per connection =
// growth / connections, for RSS (everything: JS heap, OpenSSL, buffers) and for the JS heap alone.
import * as tls from 'node:tls';
import { benchPki, figure, nodeContexts, numberOption, type BenchPki, type Figure } from './support.ts';
import { connectClient, startServer } from './tcp-harness.ts';
import type { ServerKind } from './server-child.ts';

async function perConnection(kind: ServerKind, pki: BenchPki, ctx: tls.SecureContext, conns: number): Promise<{ rssKiB: number; heapKiB: number }> {
  const server = await startServer(kind, pki);
  const sockets: tls.TLSSocket[] = [];
  try {
    const warm = [];
    for (let i = 0; i < 30; i++) warm.push((await connectClient(server.port, ctx, { waitForTicket: true })).socket);
    for (const s of warm) s.end();
    await new Promise((r) => setTimeout(r, 300));
    const before = await server.mem();
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < conns) { started++; sockets.push((await connectClient(server.port, ctx, { waitForTicket: true })).socket); }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    await new Promise((r) => setTimeout(r, 300));
    const after = await server.mem();
    if (after.connections < conns) throw new Error(`${kind} server holds ${after.connections} connections, expected ${conns}`);
    return { rssKiB: (after.rss - before.rss) / conns / 1024, heapKiB: (after.heapUsed - before.heapUsed) / conns / 1024 };
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
  return [
    figure({ bench: 'memory', row: `server RSS per idle connection (${conns})`, unit: 'KiB', protosmith: ours.rssKiB, baseline: theirs.rssKiB, against: 'node:tls', better: 'lower', target: 1 }),
    figure({ bench: 'memory', row: `server JS heap per idle connection (${conns})`, unit: 'KiB', protosmith: ours.heapKiB, baseline: theirs.heapKiB, against: 'node:tls', better: 'lower', target: 1 }),
  ];
}
