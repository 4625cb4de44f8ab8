// Counts the ArrayBuffers a server child creates: a Linux uprobe on V8's ArrayBufferSweeper::Append (called once for
// every new ArrayBuffer backing store the collector must track: a Buffer or typed array over 64 bytes, a typed array
// of up to 64 bytes whose `.buffer` is read or whose bytes a native call (node:crypto) reads, node's own outputs),
// counted by `perf stat` on the child's pid. Each one is a malloc'd backing store that the young-generation collector
// tracks and sweeps: what the `alloc` bench's heap sampling does not see. Needs root, perf, tracefs and nm/readelf
// (Debian: linux-perf, binutils); without them the row says why it is missing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, realpathSync } from 'node:fs';

const SYMBOL = '_ZN2v88internal18ArrayBufferSweeper6AppendENS0_13JSArrayBufferEPNS0_20ArrayBufferExtensionE';
const GROUP = 'protosmith_bench';
const EVENT = `${GROUP}:abappend`;

function tracefs(): string | undefined {
  return ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((d) => existsSync(`${d}/uprobe_events`));
}

/** The uprobe, defined (`remove` takes it away again); or why it cannot be. */
export function arrayBufferProbe(): { remove(): void } | { why: string } {
  const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  try { run('perf', ['--version']); } catch { return { why: 'perf is not installed (Debian: linux-perf)' }; }
  const dir = tracefs();
  if (dir === undefined) return { why: 'no tracefs with uprobe_events (mount tracefs, run as root)' };
  const node = realpathSync(process.execPath);
  let vaddr: bigint;
  let segments: string;
  try {
    const line = run('nm', [node]).split('\n').find((l) => l.endsWith(` ${SYMBOL}`));
    if (line === undefined) return { why: `${node} has no symbol ${SYMBOL} (another V8 version?)` };
    vaddr = BigInt(`0x${line.split(' ')[0]}`);
    segments = run('readelf', ['-lW', node]);
  } catch { return { why: 'nm/readelf are not installed (Debian: binutils)' }; }
  // The uprobe wants a file offset: the symbol's address less its loadable segment's (address - offset).
  let offset: bigint | undefined;
  for (const l of segments.split('\n')) {
    const m = /^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)/.exec(l);
    if (!m) continue;
    const [off, va, size] = [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)];
    if (vaddr >= va && vaddr < va + size) offset = vaddr - va + off;
  }
  if (offset === undefined) return { why: `no loadable segment of ${node} holds ${SYMBOL}` };
  try {
    appendFileSync(`${dir}/uprobe_events`, `-:${GROUP}/abappend\n`);
  } catch { /* none defined yet */ }
  try {
    appendFileSync(`${dir}/uprobe_events`, `p:${GROUP}/abappend ${node}:0x${offset.toString(16)}\n`);
  } catch (e) { return { why: `cannot define a uprobe (${(e as Error).message}); run as root` }; }
  return { remove() { try { appendFileSync(`${dir}/uprobe_events`, `-:${GROUP}/abappend\n`); } catch { /* gone */ } } };
}

/** Starts counting the probe's hits in process `pid`; `stop` returns the count. */
export async function countArrayBuffers(pid: number): Promise<{ stop(): Promise<number> }> {
  const perf: ChildProcess = spawn('perf', ['stat', '-x,', '-e', EVENT, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  perf.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  // perf attaches asynchronously: give it a moment before the measured window starts.
  await new Promise((r) => setTimeout(r, 500));
  if (perf.exitCode !== null) throw new Error(`perf stat exited: ${err.trim()}`);
  return {
    async stop() {
      perf.kill('SIGINT');
      if (perf.exitCode === null) await once(perf, 'exit');
      const line = err.split('\n').find((l) => l.includes(EVENT));
      const n = line === undefined ? NaN : Number(line.split(',')[0]);
      if (!Number.isFinite(n)) throw new Error(`perf stat gave no count for ${EVENT}: ${err.trim()}`);
      return n;
    },
  };
}
