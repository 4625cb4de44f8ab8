// `npm run bench -- bulk [--rounds N] [--mib N]`: application-data throughput per TLS 1.3 cipher suite,
// protosmith beside node:tls in the same run:
//   in memory: client writes `--mib` (64) MiB in 1 MiB writes, the server reads them (both sides in this process;
//              protosmith engines passing bytes directly, node:tls sockets over an in-memory stream pair);
//   over TCP:  the server (child process: protosmith runtime/node server or node:tls) sends `--mib` MiB to the
//              same node:tls client in this process over loopback.
// MiB/s of the whole transfer (seal + open); rounds interleaved, medians reported.
import * as tls from 'node:tls';
import { protosmithHandshake, nodeHandshake } from './handshake.ts';
import { benchPki, figure, interleave, median, nodeContexts, numberOption, protosmithConfigs, SUITES, type Figure } from './support.ts';
import { connectClient, startServer, type ServerChild } from './tcp-harness.ts';

const CHUNK = new Uint8Array(1 << 20).fill(0x5a);

async function inMemoryProtosmith(cfg: ReturnType<typeof protosmithConfigs>, suite: number, mib: number): Promise<number> {
  const { c, s } = await protosmithHandshake(cfg, undefined, suite);
  let got = 0;
  const t = performance.now();
  for (let i = 0; i < mib; i++) {
    await c.write(CHUNK);
    for (const e of await s.receive(c.takeOutput())) if (e.type === 'data') got += e.data.length;
  }
  const secs = (performance.now() - t) / 1000;
  if (got !== mib << 20) throw new Error(`protosmith bulk: received ${got} of ${mib << 20} bytes`);
  return mib / secs;
}

async function inMemoryNode(ctx: ReturnType<typeof nodeContexts>, suite: string, mib: number): Promise<number> {
  const { client, server } = await nodeHandshake(ctx, undefined, suite);
  const total = mib << 20;
  let got = 0;
  const t = performance.now();
  const done = new Promise<void>((resolve) => server.on('data', (d: Buffer) => { got += d.length; if (got >= total) resolve(); }));
  for (let i = 0; i < mib; i++) if (!client.write(CHUNK)) await new Promise((r) => client.once('drain', r));
  await done;
  const secs = (performance.now() - t) / 1000;
  client.destroy(); server.destroy();
  return mib / secs;
}

async function overTcp(server: ServerChild, ctx: tls.SecureContext, suite: string, mib: number): Promise<number> {
  const { socket } = await connectClient(server.port, ctx, { ciphersuites: suite });
  const total = mib << 20;
  let got = 0;
  const t = performance.now();
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => { got += d.length; if (got >= total) resolve(); });
    socket.once('close', () => reject(new Error(`${server.kind} server closed after ${got} of ${total} bytes`)));
  });
  socket.write('d');
  await done;
  const secs = (performance.now() - t) / 1000;
  socket.destroy();
  return mib / secs;
}

export async function run(args: string[]): Promise<Figure[]> {
  const rounds = numberOption(args, '--rounds', 3);
  const mib = numberOption(args, '--mib', 64);
  const pki = benchPki();
  const ours = protosmithConfigs(pki);
  const theirs = nodeContexts(pki);
  const figs: Figure[] = [];
  for (const suite of SUITES) {
    await inMemoryProtosmith(ours, suite.id, 4); await inMemoryNode(theirs, suite.node, 4); // warm-up
    const [o, n] = await interleave(rounds, [() => inMemoryProtosmith(ours, suite.id, mib), () => inMemoryNode(theirs, suite.node, mib)]);
    figs.push(figure({ bench: 'bulk', row: `bulk ${mib} MiB in memory, ${suite.name}`, unit: 'MiB/s', protosmith: median(o!), baseline: median(n!), against: 'node:tls', better: 'higher', target: 0.8 }));
  }
  const oursTcp = await startServer('protosmith', pki, mib << 20);
  const theirsTcp = await startServer('node', pki, mib << 20);
  try {
    for (const suite of SUITES) {
      const [o, n] = await interleave(rounds, [() => overTcp(oursTcp, theirs.client, suite.node, mib), () => overTcp(theirsTcp, theirs.client, suite.node, mib)]);
      figs.push(figure({ bench: 'bulk', row: `bulk ${mib} MiB over TCP (server sends), ${suite.name}`, unit: 'MiB/s', protosmith: median(o!), baseline: median(n!), against: 'node:tls', better: 'higher', target: 0.8 }));
    }
  } finally {
    for (const s of [oursTcp, theirsTcp]) {
      const p = await s.exit();
      if (p) {
        console.log(`\nCPU profile of the ${s.kind} server child (${p.totalMs.toFixed(0)} ms sampled): top self time`);
        for (const row of p.top) console.log(`  ${row.ms.toFixed(0).padStart(7)} ms ${row.percent.toFixed(1).padStart(5)}%  ${row.fn}`);
      }
    }
  }
  return figs;
}
