// `npm run bench [-- <name> [args...]] [--json FILE]`: benchmarks (never part of `npm test`).
//   npm run bench                      every side-by-side bench (protosmith vs node:tls, codec vs Kaitai JS), one
//                                      summary table of ratios from this one run
//   npm run bench -- <name> [args]     one bench (see the list below)
//   npm run bench -- profile <name> [args] [--top N]
//                                      runs <name> under the V8 CPU profiler and names the top self-time functions
//                                      (of this process, and of the server child for the TCP and memory benches)
//   --json FILE                        also writes the figures as JSON
// A bench module exports `run(args): Promise<Figure[] | void>`; figures carry protosmith's value, the baseline's,
// and their ratio (>= 1 means protosmith is at least as good). Other benches register here by name.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { printFigures, type Figure } from './support.ts';

interface Bench { run(args: string[]): Promise<Figure[] | void> }

const benches: Record<string, { what: string; load: () => Promise<Bench>; inAll?: boolean }> = {
  handshake: {
    what: 'full and resumed handshakes in memory (both sides in process), protosmith vs node:tls',
    load: () => import('./handshake.ts'), inAll: true,
  },
  tcp: {
    what: 'sequential and 50-concurrent handshakes over loopback TCP (protosmith server vs node:tls server, node:tls client), server CPU per handshake',
    load: () => import('./tcp.ts'), inAll: true,
  },
  bulk: {
    what: 'bulk 64 MiB per cipher suite, in memory (both sides) and over loopback TCP (server sends, with its CPU per MiB), protosmith vs node:tls, beside node:crypto alone (floor)',
    load: () => import('./bulk.ts'), inAll: true,
  },
  memory: {
    what: 'server RSS and heap per idle connection, 1,000 connections, protosmith vs node:tls',
    load: () => import('./memory.ts'), inAll: true,
  },
  codec: {
    what: 'decode/encode throughput of the generated TLS codecs vs kaitai-struct-compiler JS (RFC 8448 ClientHello, Certificate)',
    load: () => import('./codec.ts'), inAll: true,
  },
  hsm: { what: 'TLS 1.3 handshakes/s with the server key in SoftHSM2 (pkcs11 provider) vs in the node provider, and the ratio', load: () => import('./hsm.ts') },
  engine: {
    what: 'TLS 1.3 engine alone in memory: full and resumed handshakes per second, bulk data MiB/s per suite (no baseline)',
    load: () => import('./engine.ts'),
  },
  verify: {
    what: 'X.509 chain verification: median/p99 for a 3-certificate chain against the default roots (cached trust store)',
    load: () => import('./verify.ts'),
  },
  ab: {
    what: 'this tree against another commit (--against REV, a temporary git worktree): server CPU per TCP handshake in the same interleaved rounds, sequential and concurrent',
    load: () => import('./ab.ts'),
  },
  adapter: {
    what: 'what the node adapter costs: server CPU per TCP handshake of the same engine behind a bare pump, the least Duplex, and TlsSocket (createServer), sequential and concurrent',
    load: () => import('./adapter.ts'),
  },
  alloc: {
    what: 'server JS heap bytes allocated per handshake over loopback TCP, garbage included (V8 sampling heap profiler), protosmith, bare engine, native, node:tls; top allocators',
    load: () => import('./alloc.ts'),
  },
  instructions: {
    what: 'user-space instructions per server handshake over loopback TCP (valgrind callgrind; protosmith, bare engine, native, node:tls), ~10 min',
    load: () => import('./instructions.ts'),
  },
  load: {
    what: 'servers under 5,000 hostile loopback connections (silent, ClientHello-then-silent, CCS flood, slowloris): legit handshake p50/p99, RSS, vs node:tls',
    load: () => import('./load.ts'),
  },
};

function usage(): string {
  return `usage: npm run bench [-- <name> [args]] [--json FILE]    npm run bench -- profile <name> [args] [--top N]\n` +
    Object.entries(benches).map(([n, b]) => `  ${n.padEnd(10)} ${b.what}`).join('\n') + '\n';
}

function machine(): Record<string, unknown> {
  const c = cpus();
  return {
    node: process.version, openssl: process.versions.openssl, cpus: c.length, cpuModel: c[0]?.model,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), loadavg: loadavg().map((x) => +x.toFixed(2)), date: new Date().toISOString(),
  };
}

async function main(argv: string[]): Promise<void> {
  const args = [...argv];
  const j = args.indexOf('--json');
  let jsonFile: string | undefined;
  if (j >= 0) { jsonFile = args[j + 1]; args.splice(j, 2); if (!jsonFile) throw new Error('--json needs a file name'); }
  let profile = false;
  if (args[0] === 'profile') { profile = true; args.shift(); }
  const name = args.shift();
  const selected = name === undefined && !profile ? Object.keys(benches).filter((n) => benches[n]!.inAll) : name !== undefined && benches[name] ? [name] : undefined;
  if (!selected) { process.stderr.write(usage()); process.exitCode = 2; return; }
  const before = machine();
  console.log(`protosmith benchmarks — node ${before.node}, OpenSSL ${before.openssl}, ${before.cpus} × ${before.cpuModel}, load average ${(before.loadavg as number[]).join(' ')}`);
  const all: Figure[] = [];
  const profiles: Record<string, unknown> = {};
  for (const n of selected) {
    const bench = await benches[n]!.load();
    let figs: Figure[] | void;
    if (profile) {
      const { profiled } = await import('./profile.ts');
      const top = args.indexOf('--top');
      const count = top >= 0 ? Number(args.splice(top, 2)[1]) : 25;
      process.env.PROTOSMITH_BENCH_PROFILE = String(count);
      const r = await profiled(() => bench.run(args), count);
      figs = r.result;
      profiles[n] = r.top;
      console.log(`\nCPU profile of \`${n}\` (this process, ${r.totalMs.toFixed(0)} ms sampled): top self time`);
      for (const row of r.top) console.log(`  ${row.ms.toFixed(0).padStart(7)} ms ${row.percent.toFixed(1).padStart(5)}%  ${row.fn}`);
    } else {
      figs = await bench.run(args);
    }
    if (figs && figs.length) { printFigures(`${n}: ${benches[n]!.what}`, figs); all.push(...figs); }
  }
  if (selected.length > 1 && all.length) printFigures('summary (ratios from this one run; >= 1 means protosmith is at least as good)', all);
  if (jsonFile) {
    writeFileSync(jsonFile, JSON.stringify({ machine: before, loadAfter: loadavg(), figures: all, ...(profile ? { profiles } : {}) }, null, 2) + '\n');
    console.log(`figures written to ${jsonFile}`);
  }
}

await main(process.argv.slice(2));
