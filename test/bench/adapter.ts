// `npm run bench -- adapter [--rounds N] [--n N] [--conc N] [--warm N]`: what the node adapter costs per TCP handshake.
// Three server children with the same engine and node provider, differing only in what sits between the engine and
// the net.Socket (server-child.ts): 'bare', the least pump that completes the exchange (no stream of its own);
// 'duplex', the same exchange behind the least node Duplex that does it (data pushed, 'secure' emitted, the peer's
// close_notify ending the readable side and end() answering it), so what being a stream costs; and 'protosmith',
// createServer's TlsSocket with its timers, held writes, backpressure and lifecycle rules. Each gets `--warm` (4000)
// handshakes, then `--rounds` (8) interleaved rounds of `--n` (1000) handshakes from the same node:tls client,
// sequential and with `--conc` (50) in flight; server CPU per handshake is the child's process.cpuUsage (every
// thread). The tcp bench's TlsSocket rows measure the same against the bare pump, in rounds of 200 and 300
// handshakes beside four other servers; these rounds are longer and hold only the three adapters.
import { benchPki, figure, interleave, nodeContexts, numberOption, type Figure } from './support.ts';
import { handshakeLoad, startServer, type ServerChild } from './tcp-harness.ts';
import type * as tls from 'node:tls';

async function handshakes(server: ServerChild, ctx: tls.SecureContext, n: number, conc: number): Promise<number> {
  const cpu0 = await server.cpuMs();
  await handshakeLoad(server.port, ctx, n, conc);
  return ((await server.cpuMs()) - cpu0) / n;
}

export async function run(args: string[]): Promise<Figure[]> {
  const rounds = numberOption(args, '--rounds', 8);
  const n = numberOption(args, '--n', 1000);
  const conc = numberOption(args, '--conc', 50);
  const warm = numberOption(args, '--warm', 4000);
  const pki = benchPki();
  const ctx = nodeContexts(pki).client;
  const servers: ServerChild[] = [];
  try {
    for (const kind of ['bare', 'duplex', 'protosmith'] as const) servers.push(await startServer(kind, pki));
    for (const s of servers) await handshakes(s, ctx, warm, 10);
    const figs: Figure[] = [];
    for (const [width, label] of [[1, 'sequential'], [conc, `${conc} concurrent`]] as const) {
      const [b, d, t] = await interleave(rounds, servers.map((s) => () => handshakes(s, ctx, n, width)));
      const note = `${rounds} interleaved rounds of ${n} handshakes after ${warm} warm-up; server CPU (every thread) per handshake; same engine and node provider in all three (server-child.ts kinds bare, duplex, protosmith)`;
      figs.push(
        figure({ bench: 'adapter', row: `engine behind the least Duplex (${label})`, unit: 'ms', rounds: { protosmith: d!, baseline: b! }, against: 'bare pump', better: 'lower', note }),
        figure({ bench: 'adapter', row: `TlsSocket (${label})`, unit: 'ms', rounds: { protosmith: t!, baseline: d! }, against: 'least Duplex', better: 'lower' }),
        figure({ bench: 'adapter', row: `TlsSocket (${label})`, unit: 'ms', rounds: { protosmith: t!, baseline: b! }, against: 'bare pump', better: 'lower' }),
      );
    }
    return figs;
  } finally {
    for (const s of servers) await s.exit();
  }
}
