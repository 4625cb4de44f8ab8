// `npm run bench -- <name> [args...]`: runs one benchmark from test/bench/ (benchmarks are not tests and
// never run in `npm test`). Each benchmark module exports `run(args): Promise<void>` and prints its figures.
interface Bench { run(args: string[]): Promise<void> }

const benches: Record<string, { what: string; load: () => Promise<Bench> }> = {
  codec: {
    what: 'decode/encode throughput of the generated TLS codecs vs kaitai-struct-compiler JS (RFC 8448 ClientHello, Certificate)',
    load: () => import('./codec.ts'),
  },
  engine: {
    what: 'TLS 1.3 engine in memory: full and resumed handshakes per second, bulk data MiB/s per suite',
    load: () => import('./engine.ts'),
  },
  load: {
    what: 'servers under 5,000 hostile loopback connections (silent, ClientHello-then-silent, CCS flood, slowloris): legit handshake p50/p99, RSS, vs node:tls',
    load: () => import('./load.ts'),
  },
};

const [name, ...args] = process.argv.slice(2);
const bench = name === undefined ? undefined : benches[name];
if (!bench) {
  process.stderr.write(`usage: npm run bench -- <name> [args]\n${Object.entries(benches).map(([n, b]) => `  ${n.padEnd(8)} ${b.what}`).join('\n')}\n`);
  process.exitCode = 2;
} else {
  await (await bench.load()).run(args);
}
