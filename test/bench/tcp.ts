// `npm run bench -- tcp [--rounds N] [--seq N] [--conc N] [--total N] [--warm N]`: TLS 1.3 handshakes over loopback
// TCP against a protosmith server and a node:tls server (each in its own child process, same PKI), with
// the same node:tls client in this process: sequential handshakes per second, `--conc` (50) handshakes in
// flight per second, and the server process's CPU time per handshake (process.cpuUsage in the child). A third
// server, protosmith with the native provider (record AEADs and HMAC by the addon), runs in the same rounds (rows marked
// "native provider").
// Rounds (`--rounds`, 7; `--seq` 200 sequential and `--total` 300 concurrent handshakes each) alternate between the
// two servers, after `--warm` (4000) handshakes on each; medians reported, each ratio the median of the rounds' own ratios
// (support.ts figure(): this VM's CPU time per handshake swings by a fifth between minutes, both servers alike). The warm-up is that long because V8
// keeps compiling the protosmith server's once-per-connection functions for its first few thousand handshakes
// (TurboFan compilations per 1,000 handshakes, sequential, counted once with `node --trace-opt`: 232, 84, 36, 9, 7, 1), on background threads whose CPU
// the server's figure includes.
// Two floor rows put the protosmith server's CPU per handshake in proportion (floor.ts), each measured in the
// same rounds and set beside node:tls's server CPU per handshake:
//  - node:crypto: the provider calls one protosmith server handshake makes (recorded from a real one over
//    TCP), made again with the same algorithms and inputs through the node provider, no engine, in this process;
//    and the same calls through the native provider (HMAC and record AEADs from C, as node:tls makes them), whose
//    difference from the first is node:crypto's JS API cost for them, set beside the server's gap to node:tls;
//  - socket layer: a plain node net server (server-child kind 'net', no TLS) exchanging the same byte counts
//    per connection in the same order with a plain net client, sequentially.
// And the adapter's share: the same server engine (node provider) behind a bare net pump instead of TlsSocket
// (server-child kind 'bare': no stream of its own, no timers, no events), sequential and concurrent like the others;
// its rows set it beside node:tls (what the engine and node:crypto need at best with this socket layer) and beside
// the protosmith server (what TlsSocket costs on top).
import { cryptoFloorMs, netHandshake, recordServerHandshake } from './floor.ts';
import { benchPki, figure, interleave, median, nodeContexts, numberOption, type Figure } from './support.ts';
import { handshakeLoad, inFlight as inFlightRun, startServer, type ServerChild } from './tcp-harness.ts';
import type * as tls from 'node:tls';

async function handshakes(server: ServerChild, ctx: tls.SecureContext | undefined, total: number, inFlight: number, transport: Parameters<typeof netHandshake>[1] = []): Promise<{ perSecond: number; cpuMsPer: number }> {
  const cpu0 = await server.cpuMs();
  const t0 = performance.now();
  if (ctx === undefined) await inFlightRun(total, inFlight, () => netHandshake(server.port, transport));
  else await handshakeLoad(server.port, ctx, total, inFlight);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await server.cpuMs()) - cpu0;
  return { perSecond: total / seconds, cpuMsPer: cpu / total };
}

export async function run(args: string[]): Promise<Figure[]> {
  const rounds = numberOption(args, '--rounds', 7);
  const seq = numberOption(args, '--seq', 200);
  const conc = numberOption(args, '--conc', 50);
  const total = numberOption(args, '--total', 300);
  const warm = numberOption(args, '--warm', 4000);
  const pki = benchPki();
  const ctx = nodeContexts(pki).client;
  const recorded = await recordServerHandshake(pki, ctx);
  const ours = await startServer('protosmith', pki);
  const theirs = await startServer('node', pki);
  const native = await startServer('native', pki);
  const floor = await startServer('net', pki, 0, recorded.transport);
  const bare = await startServer('bare', pki);
  try {
    // Warm-up, the same for both servers: the figures are a running server's steady state. protosmith's
    // server is JavaScript that V8 optimizes over its first several hundred handshakes (TurboFan
    // compiles on V8's background threads, which process.cpuUsage counts); with a short warm-up that
    // one-time compilation is billed to the measured handshakes (~2.5 ms instead of ~1.6 ms per handshake
    // after 30 warm-up handshakes). node:tls's handshake is native code and needs no warm-up.
    for (const s of [ours, theirs, native, bare]) await handshakes(s, ctx, warm, 10);
    await handshakes(floor, undefined, warm, 10, recorded.transport);
    await cryptoFloorMs(recorded, pki, warm);
    await cryptoFloorMs(recorded, pki, warm, 'native');
    const floors = { net: [] as number[], crypto: [] as number[], cryptoNative: [] as number[] };
    const fresh = (): { seq: number[]; seqCpu: number[]; conc: number[]; concCpu: number[] } => ({ seq: [], seqCpu: [], conc: [], concCpu: [] });
    const results = { ours: fresh(), theirs: fresh(), native: fresh(), bare: fresh() };
    const resultsOf = (s: ServerChild): ReturnType<typeof fresh> => (s === ours ? results.ours : s === native ? results.native : s === bare ? results.bare : results.theirs);
    await interleave(rounds, [ours, theirs, native, bare].flatMap((s) => {
      const r = resultsOf(s);
      return [async () => { const x = await handshakes(s, ctx, seq, 1); r.seq.push(x.perSecond); r.seqCpu.push(x.cpuMsPer); return x.perSecond; }];
    }).concat([
      async () => { const x = await handshakes(floor, undefined, seq, 1, recorded.transport); floors.net.push(x.cpuMsPer); return x.cpuMsPer; },
      async () => { const ms = await cryptoFloorMs(recorded, pki, seq); floors.crypto.push(ms); return ms; },
      async () => { const ms = await cryptoFloorMs(recorded, pki, seq, 'native'); floors.cryptoNative.push(ms); return ms; },
    ]));
    await interleave(rounds, [ours, theirs, native, bare].flatMap((s) => {
      const r = resultsOf(s);
      return [async () => { const x = await handshakes(s, ctx, total, conc); r.conc.push(x.perSecond); r.concCpu.push(x.cpuMsPer); return x.perSecond; }];
    }));
    const o = results.ours;
    const t = results.theirs;
    const v = results.native;
    const b = results.bare;
    // The median of the rounds' differences a[i] - c[i], in µs.
    const perRound = (a: readonly number[], c: readonly number[]): string => `${(median(a.map((x, i) => x - c[i]!)) * 1000).toFixed(0)} µs`;
    return [
      figure({ bench: 'tcp', row: 'sequential handshakes over TCP', unit: '/s', rounds: { protosmith: o.seq, baseline: t.seq }, against: 'node:tls', better: 'higher', target: 1 }),
      figure({ bench: 'tcp', row: 'server CPU per handshake (sequential)', unit: 'ms', rounds: { protosmith: o.seqCpu, baseline: t.seqCpu }, against: 'node:tls', better: 'lower', target: 1 }),
      figure({ bench: 'tcp', row: `${conc} concurrent handshakes over TCP`, unit: '/s', rounds: { protosmith: o.conc, baseline: t.conc }, against: 'node:tls', better: 'higher', target: 1 }),
      figure({ bench: 'tcp', row: `server CPU per handshake (${conc} concurrent)`, unit: 'ms', rounds: { protosmith: o.concCpu, baseline: t.concCpu }, against: 'node:tls', better: 'lower', target: 1 }),
      figure({ bench: 'tcp', row: 'sequential handshakes over TCP, native provider', unit: '/s', rounds: { protosmith: v.seq, baseline: t.seq }, against: 'node:tls', better: 'higher', target: 1 }),
      figure({ bench: 'tcp', row: 'server CPU per handshake (sequential), native provider', unit: 'ms', rounds: { protosmith: v.seqCpu, baseline: t.seqCpu }, against: 'node:tls', better: 'lower', target: 1 }),
      figure({ bench: 'tcp', row: `server CPU per handshake (${conc} concurrent), native provider`, unit: 'ms', rounds: { protosmith: v.concCpu, baseline: t.concCpu }, against: 'node:tls', better: 'lower', target: 1 }),
      figure({
        bench: 'tcp', row: 'floor: node:crypto calls of one server handshake', unit: 'ms', rounds: { protosmith: floors.crypto, baseline: t.seqCpu }, against: 'node:tls', better: 'lower',
        note: `the ${recorded.calls.length} provider and signing-key calls a protosmith server handshake makes (recorded over TCP), made again through the node provider without the engine; baseline: node:tls's whole server CPU per sequential handshake`,
      }),
      figure({
        bench: 'tcp', row: 'floor: the same calls, HMAC and AEAD from C (native provider)', unit: 'ms', rounds: { protosmith: floors.cryptoNative, baseline: floors.crypto }, against: 'node:crypto calls', better: 'lower',
        note: `the same recorded calls through the native provider (HMACs and record AEADs by the addon, OpenSSL called from C as node:tls calls it; the rest node:crypto as before) against the node provider's replay. The difference is what node:crypto's JS API costs for these calls per handshake: median over the rounds ${perRound(floors.crypto, floors.cryptoNative)}, against the protosmith server's CPU per sequential handshake minus node:tls's ${perRound(o.seqCpu, t.seqCpu)} (node provider) and ${perRound(v.seqCpu, t.seqCpu)} (native provider)`,
      }),
      figure({
        bench: 'tcp', row: 'floor: plain net server, same reads and writes', unit: 'ms', rounds: { protosmith: floors.net, baseline: t.seqCpu }, against: 'node:tls', better: 'lower',
        note: `server CPU per connection of a node net server without TLS exchanging the same bytes (${recorded.transport.map((x) => `${x.dir} ${x.bytes}`).join(', ')}) with a plain client, sequentially; baseline: node:tls's whole server CPU per sequential handshake`,
      }),
      figure({
        bench: 'tcp', row: 'floor: engine behind a bare net pump (sequential)', unit: 'ms', rounds: { protosmith: b.seqCpu, baseline: t.seqCpu }, against: 'node:tls', better: 'lower',
        note: 'server CPU per handshake of the same server engine (node provider) behind a bare net pump instead of TlsSocket: no stream of its own, no timers, no events (server-child.ts serveBare)',
      }),
      figure({ bench: 'tcp', row: `floor: engine behind a bare net pump (${conc} concurrent)`, unit: 'ms', rounds: { protosmith: b.concCpu, baseline: t.concCpu }, against: 'node:tls', better: 'lower' }),
      figure({
        bench: 'tcp', row: 'TlsSocket adapter: server CPU (sequential)', unit: 'ms', rounds: { protosmith: o.seqCpu, baseline: b.seqCpu }, against: 'bare pump', better: 'lower',
        note: 'the protosmith server (createServer: TlsSocket) against the same engine behind the bare pump; 1/ratio - 1 is what TlsSocket adds per handshake',
      }),
      figure({ bench: 'tcp', row: `TlsSocket adapter: server CPU (${conc} concurrent)`, unit: 'ms', rounds: { protosmith: o.concCpu, baseline: b.concCpu }, against: 'bare pump', better: 'lower' }),
    ];
  } finally {
    for (const s of [ours, theirs, native, floor, bare]) {
      const p = await s.exit();
      if (p) {
        console.log(`\nCPU profile of the ${s.kind} server child (${p.totalMs.toFixed(0)} ms sampled): top self time`);
        for (const row of p.top) console.log(`  ${row.ms.toFixed(0).padStart(7)} ms ${row.percent.toFixed(1).padStart(5)}%  ${row.fn}`);
      }
    }
  }
}
