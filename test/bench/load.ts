// `npm run bench -- load [connections=5000] [attackSeconds=10] [ours|node|both] [kinds]`: protosmith's server under hostile
// load on 127.0.0.1, side by side with a node:tls server in the same run. Each server runs in its
// own child process (an echo server: test/bench/load-server.ts). While `connections` hostile TCP
// connections of four kinds are held open —
//   silent        connects and sends nothing
//   hello-silent  sends a ClientHello, then nothing
//   ccs-flood     sends a ClientHello, then 20 ChangeCipherSpec records every 200 ms until the server cuts it
//                 (no reconnect: reconnecting would make it a ClientHello flood, which costs any server a
//                 full handshake of CPU per connection and measures signing speed, not resource limits)
//   slowloris     sends its ClientHello one byte per second
// — a legitimate node:tls client keeps handshaking (connect → secureConnect → echo → close), a new
// one every 100 ms. Printed per server: handshake latency p50/p99 before and under attack, server RSS
// before / peak during / after (hostile sockets closed, after gc; RSS rarely shrinks, so the JS heap
// before/after shows whether the memory was given back), how often the server cut a
// flooding connection, and whether the server is still up and serving at the end.
// Loopback only; bounded by the connection count and the duration. Not part of `npm test`.
import { fork, execFileSync } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { TlsClient } from '../../runtime/tls/index.ts';
import { testPki } from '../support/pki.ts';

type Kind = 'ours' | 'node';
interface Stats { rss: number; heapUsed: number; connections: number }
interface ServerProc { port: number; stats(gc?: boolean): Promise<Stats>; alive(): boolean; stop(): Promise<void> }

const pki = testPki();
const ALL_KINDS = ['silent', 'hello-silent', 'ccs-flood', 'slowloris'] as const;
type HostileKind = typeof ALL_KINDS[number];
let KINDS: readonly HostileKind[] = ALL_KINDS;
const CCS_BURST = Buffer.concat(Array.from({ length: 20 }, () => Buffer.from([20, 3, 3, 0, 1, 1])));
const MiB = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startServer(kind: Kind): Promise<ServerProc> {
  const child = fork(join(import.meta.dirname, 'load-server.ts'), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending: Array<(m: unknown) => void> = [];
  child.on('message', (m) => pending.shift()?.(m));
  const ask = <T>(msg: object): Promise<T> => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${kind} server did not answer ${Object.keys(msg).join(",")} within 20 s`)), 20_000);
    pending.push((m) => { clearTimeout(t); resolve(m as T); });
    child.send(msg);
  });
  const cert = pki.servers.p256;
  const { port } = await ask<{ port: number }>({ start: { kind, chainPem: cert.chainPem, keyPem: cert.keyPem } });
  return {
    port,
    stats: (gc = false) => ask<Stats>({ stats: true, gc }),
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** One legitimate connection: TCP connect + TLS 1.3 handshake (ms), then a 5-byte echo. */
function legitHandshake(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.root.certPem, minVersion: 'TLSv1.3' });
    const timer = setTimeout(() => { s.destroy(); reject(new Error('legitimate handshake took over 60 s')); }, 60_000);
    s.once('error', (e) => { clearTimeout(timer); reject(e); });
    s.once('secureConnect', () => {
      const ms = performance.now() - t0;
      s.write('hello');
      s.once('data', () => { clearTimeout(timer); s.destroy(); resolve(ms); });
    });
  });
}

/** The legitimate client, open loop: a new handshake every 100 ms (at most 50 in flight), so one
 *  stalled handshake does not hide the others. Collects latencies and failures until stop(). */
function legitLoop(port: number): { stop: () => Promise<{ ms: number[]; failures: string[] }> } {
  const ms: number[] = [];
  const failures: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (inFlight.size >= 50) return;
    const p: Promise<void> = legitHandshake(port).then((x) => { ms.push(x); }, (e: Error) => {
      failures.push(e.message);
      if (process.env.LOAD_DEBUG) process.stdout.write(`  legit: ${e.message}\n`);
    }).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 100);
  return {
    // In-flight handshakes get 5 s more; those still waiting then count as failures (the attack must
    // not outlive its duration by a minute of stragglers).
    stop: async () => {
      clearInterval(timer);
      await Promise.race([Promise.all(inFlight), sleep(5000)]);
      for (let i = 0; i < inFlight.size; i++) failures.push('still waiting at the end of the phase');
      return { ms: [...ms], failures: [...failures] };
    },
  };
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface Attack { sockets: Set<Socket>; cut: Record<string, number>; stop(): void }

/** Opens `n` hostile connections (a quarter of each kind) in batches of 250 every 100 ms. */
async function attack(port: number, n: number, hello: Buffer): Promise<Attack> {
  const sockets = new Set<Socket>();
  const cut: Record<string, number> = Object.fromEntries(ALL_KINDS.map((k) => [k, 0]));
  let active = true;
  const slow = new Map<Socket, number>();
  const flooders = new Set<Socket>();
  const open = (kind: HostileKind): void => {
    const s = netConnect({ host: '127.0.0.1', port });
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.once('connect', () => {
      if (kind === 'hello-silent' || kind === 'ccs-flood') s.write(hello);
      if (kind === 'ccs-flood') flooders.add(s);
      if (kind === 'slowloris') slow.set(s, 0);
    });
    s.once('close', () => {
      sockets.delete(s); flooders.delete(s); slow.delete(s);
      if (!active) return;
      cut[kind]!++;
    });
  };
  const floodTimer = setInterval(() => { for (const s of flooders) if (s.writableLength < 65536) s.write(CCS_BURST); }, 200);
  const slowTimer = setInterval(() => {
    for (const [s, i] of slow) { if (i < hello.length) { s.write(hello.subarray(i, i + 1)); slow.set(s, i + 1); } }
  }, 1000);
  for (let i = 0; i < n; i += 250) {
    for (let j = i; j < Math.min(n, i + 250); j++) open(KINDS[j % KINDS.length]!);
    await sleep(100);
  }
  return {
    sockets, cut,
    stop() { active = false; clearInterval(floodTimer); clearInterval(slowTimer); for (const s of sockets) s.destroy(); },
  };
}

interface Result {
  kind: Kind; before: number[]; under: number[]; failuresUnder: number; rssBefore: number; rssPeak: number; rssAfter: number;
  heapBefore: number; heapAfter: number;
  connPeak: number; connAfter: number; cut: Record<string, number>; upAfter: boolean; held: number;
}

async function runOne(kind: Kind, n: number, seconds: number, hello: Buffer): Promise<Result> {
  const server = await startServer(kind);
  try {
    for (let i = 0; i < 20; i++) await legitHandshake(server.port); // warm-up
    const base = await server.stats(true);
    const rssBefore = base.rss;
    let loop = legitLoop(server.port);
    await sleep(3000);
    const before = (await loop.stop()).ms;
    const atk = await attack(server.port, n, hello);
    loop = legitLoop(server.port);
    let rssPeak = 0;
    let connPeak = 0;
    for (let t = 0; t < seconds; t++) {
      await sleep(1000);
      const st = await server.stats();
      rssPeak = Math.max(rssPeak, st.rss);
      connPeak = Math.max(connPeak, st.connections);
    }
    const held = atk.sockets.size;
    const under = await loop.stop();
    atk.stop();
    // Let the server notice the closes, then measure after a gc.
    let after = await server.stats();
    for (let i = 0; i < 300 && after.connections > 0; i++) { await sleep(200); after = await server.stats(); }
    await sleep(1000);
    after = await server.stats(true);
    const upAfter = server.alive() && (await legitHandshake(server.port).then(() => true, (e: Error) => { process.stdout.write(`  final handshake against ${kind}: ${e.message}\n`); return false; }));
    return {
      kind, before, under: under.ms, failuresUnder: under.failures.length, rssBefore, rssPeak, rssAfter: after.rss,
      heapBefore: base.heapUsed, heapAfter: after.heapUsed,
      connPeak, connAfter: after.connections, cut: atk.cut, upAfter, held,
    };
  } finally {
    await server.stop();
  }
}

function fdLimit(): number {
  try { return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()); } catch { return 1024; }
}

/** args: [connections=5000] [attackSeconds=10] [ours|node|both] [kinds, comma-separated; default all four] */
export async function run(args: string[]): Promise<void> {
  if (args[3]) KINDS = args[3].split(',').filter((k): k is HostileKind => (ALL_KINDS as readonly string[]).includes(k));
  let n = Number(args[0] ?? 5000);
  const seconds = Number(args[1] ?? 10);
  const limit = fdLimit();
  if (Number.isFinite(limit) && n > limit - 200) {
    process.stdout.write(`ulimit -n is ${limit}: lowering the hostile connection count from ${n} to ${limit - 200} (raise it with ulimit -n)\n`);
    n = limit - 200;
  }
  const c = new TlsClient({ crypto: createNodeProvider(), now: Date.now, serverName: 'localhost', trustAnchors: [pki.root.certPem] });
  await c.start();
  const hello = Buffer.from(c.takeOutput());
  process.stdout.write(`load: ${n} hostile connections (${KINDS.join(", ")}; equal shares) for ${seconds} s against each server, 127.0.0.1, ECDSA P-256 certificate\n`);
  const results: Result[] = [];
  const only = args[2] === 'ours' || args[2] === 'node' ? [args[2]] as const : ['ours', 'node'] as const;
  for (const kind of only) {
    process.stdout.write(`  running against ${kind === 'ours' ? 'protosmith createServer' : 'node:tls createServer'} ...\n`);
    results.push(await runOne(kind, n, seconds, hello));
  }
  const rows: Array<[string, (r: Result) => string]> = [
    ['handshakes before attack', (r) => String(r.before.length)],
    ['  p50 / p99 ms', (r) => `${pct(r.before, 50).toFixed(1)} / ${pct(r.before, 99).toFixed(1)}`],
    ['handshakes under attack', (r) => `${r.under.length} ok, ${r.failuresUnder} not`],
    ['  p50 / p99 ms', (r) => `${pct(r.under, 50).toFixed(1)} / ${pct(r.under, 99).toFixed(1)}`],
    ['hostile sockets open at end', (r) => String(r.held)],
    ['server connections (peak)', (r) => String(r.connPeak)],
    ['flood connections cut', (r) => String(r.cut['ccs-flood'])],
    ['other hostile cut', (r) => String(r.cut.silent! + r.cut['hello-silent']! + r.cut.slowloris!)],
    ['RSS before', (r) => MiB(r.rssBefore)],
    ['RSS peak during', (r) => MiB(r.rssPeak)],
    ['RSS after (gc)', (r) => MiB(r.rssAfter)],
    ['JS heap before / after (gc)', (r) => `${MiB(r.heapBefore)} / ${MiB(r.heapAfter)}`],
    ['connections after', (r) => String(r.connAfter)],
    ['server up after', (r) => (r.upAfter ? 'yes' : 'NO')],
  ];
  if (results.length < 2) { for (const r of results) process.stdout.write(JSON.stringify({ ...r, before: pct(r.before, 50), under: [pct(r.under, 50), pct(r.under, 99), r.under.length] }) + '\n'); return; }
  process.stdout.write(`\n${''.padEnd(30)}${'protosmith'.padStart(22)}${'node:tls'.padStart(22)}\n`);
  for (const [label, f] of rows) process.stdout.write(`${label.padEnd(30)}${f(results[0]!).padStart(22)}${f(results[1]!).padStart(22)}\n`);
  const [ours, node] = results as [Result, Result];
  process.stdout.write(`\nratio under attack (protosmith / node:tls): p50 ${(pct(ours.under, 50) / pct(node.under, 50)).toFixed(2)}, p99 ${(pct(ours.under, 99) / pct(node.under, 99)).toFixed(2)}\n`);
  if (!ours.upAfter || !node.upAfter) process.exitCode = 1;
}
