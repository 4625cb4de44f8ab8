// `npm run bench -- instructions [--warm N] [--n N] [--conc N] [--cache]`: user-space instructions per server
// handshake over loopback TCP, counted by valgrind (callgrind), for the protosmith server, the same engine behind a
// bare net pump (server-child kind 'bare', no TlsSocket), the protosmith server with the native provider, and the
// node:tls server.
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
// package valgrind); not part of `npm run bench` without a name (it takes ~10 minutes). `--cache` adds callgrind's
// cache simulation (slower) and rows of simulated first- and last-level cache misses per handshake.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchPki, figure, nodeContexts, numberOption, type BenchPki, type Figure } from './support.ts';
import { handshakeLoad, startServer } from './tcp-harness.ts';
import type { ServerKind } from './server-child.ts';
import type * as tls from 'node:tls';

function need(tool: string): void {
  try { execFileSync(tool, ['--version'], { stdio: 'ignore' }); } catch {
    throw new Error(`the instructions bench needs ${tool} (apt-get install valgrind)`);
  }
}

/** Per handshake: instructions (main thread, every thread); with `--cache`, the main thread's simulated misses. */
/** The simulated last level for --cache: 32 MiB, 16-way (one EPYC core complex's L3); left to itself callgrind takes
 *  what this VM reports, one 512 MiB direct-mapped cache in which nothing would ever miss. */
const LL = '33554432,16,64';

interface Count { main: number; all: number; cache?: { l1: number; ll: number } }

/** Instructions per handshake of one server kind, counted by callgrind over `n` handshakes after `warm`. */
async function count(kind: ServerKind, pki: BenchPki, ctx: tls.SecureContext, warm: number, n: number, conc: number, dir: string, cache: boolean): Promise<Count> {
  const out = join(dir, `callgrind.${kind}`);
  const server = await startServer(kind, pki, 0, undefined, {
    execPath: 'valgrind',
    args: ['-q', '--tool=callgrind', '--separate-threads=yes', ...(cache ? ['--cache-sim=yes', `--LL=${LL}`] : []), `--callgrind-out-file=${out}`],
  });
  try {
    const handshakes = async (total: number): Promise<void> => {
      await handshakeLoad(server.port, ctx, total, conc);
      await new Promise((r) => setTimeout(r, 1000)); // the last connections' closes
    };
    await handshakes(warm);
    execFileSync('callgrind_control', ['-z', String(server.pid)], { stdio: 'ignore' });
    await handshakes(n);
    execFileSync('callgrind_control', ['-d', String(server.pid)], { stdio: 'ignore' });
    // One dump per thread (`--separate-threads`): `<out>.1-01` is the main thread, the others V8's and libuv's.
    const dumps = readdirSync(dir).filter((f) => f.startsWith(`callgrind.${kind}.1-`)).sort();
    if (dumps.length === 0) throw new Error(`callgrind wrote no dump for the ${kind} server`);
    // callgrind_annotate names its columns on the "Events shown:" line (Ir alone, or with --cache-sim
    // Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw) and gives their sums on the "PROGRAM TOTALS" line.
    const totals = dumps.map((f) => {
      const lines = execFileSync('callgrind_annotate', [join(dir, f)], { encoding: 'utf8' }).split('\n');
      const names = lines.find((l) => l.startsWith('Events shown:'))?.slice('Events shown:'.length).trim().split(/\s+/) ?? [];
      const values = (lines.find((l) => l.includes('PROGRAM TOTALS'))?.trim().split(/\s+/) ?? [])
        .filter((v) => /^[\d,]+$/.test(v)).map((v) => Number(v.replace(/,/g, ''))); // each count is followed by its share, "(100.0%)"
      const event = (name: string): number => {
        const v = values[names.indexOf(name)];
        if (v === undefined || !Number.isFinite(v)) throw new Error(`could not read ${name} of the ${kind} server (${f})`);
        return v;
      };
      return { event, ir: event('Ir') };
    });
    const main = totals[0]!;
    if (main.ir <= 0) throw new Error(`could not read the ${kind} server's main-thread instruction count`);
    const sum = (...names: string[]): number => names.reduce((a, x) => a + main.event(x), 0) / n;
    return {
      main: main.ir / n, all: totals.reduce((a, t) => a + t.ir, 0) / n,
      ...(cache ? { cache: { l1: sum('I1mr', 'D1mr', 'D1mw'), ll: sum('ILmr', 'DLmr', 'DLmw') } } : {}),
    };
  } finally {
    await server.kill();
  }
}

/** 'server instructions per handshake, native provider' -> 'server simulated L1 misses per handshake, native provider'. */
function cacheRow(row: string, what: string): string {
  return row.includes('instructions per handshake') ? row.replace('instructions per handshake', `${what} per handshake`) : `${row}: ${what}`;
}

export async function run(args: string[]): Promise<Figure[]> {
  need('valgrind');
  const warm = numberOption(args, '--warm', 5000);
  const n = numberOption(args, '--n', 2000);
  const conc = numberOption(args, '--conc', 4);
  const cache = args.includes('--cache');
  const pki = benchPki();
  const ctx = nodeContexts(pki).client;
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-callgrind-'));
  try {
    const kinds: ServerKind[] = ['protosmith', 'bare', 'native', 'node'];
    // allSettled: every child is killed (count's finally) before the folder goes, even when one of them failed.
    const settled = await Promise.allSettled(kinds.map((k) => count(k, pki, ctx, warm, n, conc, dir, cache)));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [ours, bare, native, theirs] = settled.map((r) => (r as PromiseFulfilledResult<Count>).value);
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
      ...(a.cache && b.cache ? [
        figure({
          bench: 'instructions', row: `${cacheRow(row, 'simulated L1 misses')} (main thread)`, unit: 'k', protosmith: a.cache.l1 / 1e3, baseline: b.cache.l1 / 1e3, against, better: 'lower',
          ...(i === 0 ? { note: "callgrind's cache simulation (--cache): first-level instruction and data misses, and last-level misses, per handshake on the main thread; the process's own footprint only (no other process evicts its lines)" } : {}),
        }),
        figure({ bench: 'instructions', row: `${cacheRow(row, 'simulated last-level misses')} (main thread)`, unit: 'k', protosmith: a.cache.ll / 1e3, baseline: b.cache.ll / 1e3, against, better: 'lower' }),
      ] : []),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
