// `npm run bench -- instructions [--warm N] [--n N] [--conc N]`: user-space instructions per server handshake over
// loopback TCP, counted by valgrind (callgrind), for the protosmith server, the same engine behind a bare net pump
// (server-child kind 'bare', no TlsSocket), the protosmith server with the native provider, and the node:tls server.
// The CPU-time rows of `tcp` swing by a fifth between minutes on a shared VM; an instruction count does not (the
// same binary, inputs and warm-up give the same count to within the JIT's and the collector's own variation, ~1%).
// What it leaves out: the kernel (each server makes the same system calls per connection: strace -c), and what an
// instruction costs (cache misses, the collector's memory traffic), so it complements the time rows, it does not
// replace them. Each row is printed twice: every thread of the server process (V8's compiler and collector threads
// included: work the process pays for, but whose amount varies with when V8 decides to optimise), and the main thread
// alone (`--separate-threads`), where the JavaScript, the TLS and the cryptography run.
//
// Each server runs in its own child under `valgrind --tool=callgrind` (the children run at once, ~50x slower than
// natively); `--warm` (5000) handshakes from node:tls clients (`--conc` 4 in flight), then the counters are zeroed
// (`callgrind_control -z`), `--n` (2000) more handshakes are made, and the counters are dumped and read
// (`callgrind_control -d`, `callgrind_annotate`). The warm-up is there because V8 compiles the protosmith server's
// JavaScript over its first few thousand handshakes (tcp.ts), and compilation is counted. Needs valgrind (Debian
// package valgrind); not part of `npm run bench` without a name (it takes ~10 minutes).
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchPki, figure, nodeContexts, numberOption, type BenchPki, type Figure } from './support.ts';
import { connectClient } from './tcp-harness.ts';
import type { FromChild, ServerKind, ToChild } from './server-child.ts';
import type * as tls from 'node:tls';

function need(tool: string): void {
  try { execFileSync(tool, ['--version'], { stdio: 'ignore' }); } catch {
    throw new Error(`the instructions bench needs ${tool} (apt-get install valgrind)`);
  }
}

interface Count { main: number; all: number }

/** Instructions per handshake of one server kind, counted by callgrind over `n` handshakes after `warm`. */
async function count(kind: ServerKind, pki: BenchPki, ctx: tls.SecureContext, warm: number, n: number, conc: number, dir: string): Promise<Count> {
  const out = join(dir, `callgrind.${kind}`);
  const child = fork(join(import.meta.dirname, 'server-child.ts'), [], {
    execPath: 'valgrind',
    execArgv: ['-q', '--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${out}`, process.execPath, ...process.execArgv, '--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.on('message', (m: FromChild) => { if (m.op === 'listening') resolve(m.port); });
      child.once('exit', (code) => reject(new Error(`${kind} server under valgrind exited (${code})`)));
      child.send({ op: 'listen', kind, pki, bulkBytes: 0 } satisfies ToChild);
    });
    const handshakes = async (total: number): Promise<void> => {
      let started = 0;
      const worker = async (): Promise<void> => {
        while (started < total) { started++; const { socket } = await connectClient(port, ctx); socket.end(); }
      };
      await Promise.all(Array.from({ length: conc }, worker));
      await new Promise((r) => setTimeout(r, 1000)); // the last connections' closes
    };
    await handshakes(warm);
    execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
    await handshakes(n);
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
    // One dump per thread (`--separate-threads`): `<out>.1-01` is the main thread, the others V8's and libuv's.
    const dumps = readdirSync(dir).filter((f) => f.startsWith(`callgrind.${kind}.1-`)).sort();
    if (dumps.length === 0) throw new Error(`callgrind wrote no dump for the ${kind} server`);
    const ir = dumps.map((f) => {
      const totals = execFileSync('callgrind_annotate', [join(dir, f)], { encoding: 'utf8' }).split('\n').find((l) => l.includes('PROGRAM TOTALS'));
      const v = Number(totals?.trim().split(' ')[0]?.replace(/,/g, '') ?? 0);
      if (!Number.isFinite(v)) throw new Error(`could not read the ${kind} server's instruction count (${f})`);
      return v;
    });
    const main = ir[0]!;
    if (main <= 0) throw new Error(`could not read the ${kind} server's main-thread instruction count`);
    return { main: main / n, all: ir.reduce((a, b) => a + b, 0) / n };
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
}

export async function run(args: string[]): Promise<Figure[]> {
  need('valgrind');
  const warm = numberOption(args, '--warm', 5000);
  const n = numberOption(args, '--n', 2000);
  const conc = numberOption(args, '--conc', 4);
  const pki = benchPki();
  const ctx = nodeContexts(pki).client;
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-callgrind-'));
  try {
    const kinds: ServerKind[] = ['protosmith', 'bare', 'native', 'node'];
    const [ours, bare, native, theirs] = await Promise.all(kinds.map((k) => count(k, pki, ctx, warm, n, conc, dir)));
    const m = (x: number): number => x / 1e6;
    const note = `user-space instructions per server handshake counted by callgrind over ${n} handshakes after ${warm} (${conc} in flight); every thread, or the main thread only (the JavaScript, the TLS and the cryptography; V8's compiler and collector threads left out)`;
    const rows: Array<[string, Count, Count, string, number | undefined]> = [
      ['server instructions per handshake', ours!, theirs!, 'node:tls', 1],
      ['server instructions per handshake, native provider', native!, theirs!, 'node:tls', 1],
      ['floor: engine behind a bare net pump', bare!, theirs!, 'node:tls', undefined],
      ['TlsSocket adapter', ours!, bare!, 'bare pump', undefined],
    ];
    return rows.flatMap(([row, a, b, against, target], i) => [
      figure({ bench: 'instructions', row: `${row} (every thread)`, unit: 'M', protosmith: m(a.all), baseline: m(b.all), against, better: 'lower', ...(target === undefined ? {} : { target }), ...(i === 0 ? { note } : {}) }),
      figure({
        bench: 'instructions', row: `${row} (main thread)`, unit: 'M', protosmith: m(a.main), baseline: m(b.main), against, better: 'lower',
        ...(against === 'bare pump' ? { note: 'the protosmith server (createServer: TlsSocket) against the same engine behind the bare pump; 1/ratio - 1 is what TlsSocket adds' } : {}),
      }),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
