// `npm run bench -- <name> [args...]`: runs one benchmark from test/bench/ (benchmarks are not tests and
// never run in `npm test`). Each benchmark module exports `run(args): Promise<void>` and prints its figures.
interface Bench { run(args: string[]): Promise<void> }

const benches: Record<string, { what: string; load: () => Promise<Bench> }> = {
  codec: {
    what: 'decode/encode throughput of the generated TLS codecs vs kaitai-struct-compiler JS (RFC 8448 ClientHello, Certificate)',
    load: () => import('./codec.ts'),
  },
  hsm: { what: 'TLS 1.3 handshakes/s with the server key in SoftHSM2 (pkcs11 provider) vs in the node provider, and the ratio', load: () => import('./hsm.ts') },
  engine: {
    what: 'TLS 1.3 engine in memory: full and resumed handshakes per second, bulk data MiB/s per suite',
    load: () => import('./engine.ts'),
  },
  verify: {
    what: 'X.509 chain verification: median/p99 for a 3-certificate chain against the default roots (cached trust store)',
    load: () => import('./verify.ts'),
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
