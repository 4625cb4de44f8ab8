// Counts native events in a server child with Linux uprobes on two functions of the node binary, counted by
// `perf stat` on the child's pid:
//  - arrayBuffers: V8's ArrayBufferSweeper::Append, called once for every new ArrayBuffer backing store (a Buffer or
//    typed array over 64 bytes, a typed array of up to 64 bytes whose `.buffer` is read or whose bytes a native call
//    such as node:crypto reads, node's own outputs): a malloc'd block the young-generation collector tracks and
//    sweeps, which the `alloc` bench's heap sampling does not see;
//  - nativeObjects: node::BaseObject's constructor, called for every JS object with a native half (a node:crypto
//    Hmac, Hash, Cipher or KeyObject, a socket, a write or shutdown request): each holds a weak handle the collector
//    processes and a C++ destructor it runs.
// Needs root, perf, tracefs and nm/readelf (Debian: linux-perf, binutils); without them the caller is told why.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, realpathSync } from 'node:fs';

const GROUP = 'protosmith_bench';
const PROBES = {
  arrayBuffers: '_ZN2v88internal18ArrayBufferSweeper6AppendENS0_13JSArrayBufferEPNS0_20ArrayBufferExtensionE',
  nativeObjects: '_ZN4node10BaseObjectC2EPNS_5RealmEN2v85LocalINS3_6ObjectEEE',
} as const;
export type NativeEvent = keyof typeof PROBES;
const NAMES = Object.keys(PROBES) as NativeEvent[];
const event = (name: NativeEvent): string => `${GROUP}:${name}`;

function tracefs(): string | undefined {
  const found = (): string | undefined => ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((d) => existsSync(`${d}/uprobe_events`));
  const dir = found();
  if (dir !== undefined || process.getuid?.() !== 0 || !existsSync('/sys/kernel/tracing')) return dir;
  // A fresh machine (or container) may have the mount point without tracefs mounted on it: as root, mount it.
  try { execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'ignore' }); } catch { /* not allowed here */ }
  return found();
}

/** The uprobes, defined (`remove` takes them away again); or why they cannot be. */
export function nativeEventProbes(): { remove(): void } | { why: string } {
  const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  try { run('perf', ['--version']); } catch { return { why: 'perf is not installed (Debian: linux-perf)' }; }
  const dir = tracefs();
  if (dir === undefined) return { why: 'no tracefs with uprobe_events (run as root where tracefs can be mounted)' };
  const node = realpathSync(process.execPath);
  let symbols: string[];
  let segments: string;
  try {
    symbols = run('nm', [node]).split('\n');
    segments = run('readelf', ['-lW', node]);
  } catch { return { why: 'nm/readelf are not installed (Debian: binutils)' }; }
  const loads = segments.split('\n').flatMap((l) => {
    const m = /^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)/.exec(l);
    return m ? [{ off: BigInt(m[1]!), va: BigInt(m[2]!), size: BigInt(m[3]!) }] : [];
  });
  const defined: string[] = [];
  const remove = (): void => {
    for (const name of defined) { try { appendFileSync(`${dir}/uprobe_events`, `-:${GROUP}/${name}\n`); } catch { /* gone */ } }
  };
  for (const name of NAMES) {
    const symbol = PROBES[name];
    const line = symbols.find((l) => l.endsWith(` ${symbol}`));
    if (line === undefined) { remove(); return { why: `${node} has no symbol ${symbol} (another node version?)` }; }
    const vaddr = BigInt(`0x${line.split(' ')[0]}`);
    // The uprobe wants a file offset: the symbol's address less its loadable segment's (address - offset).
    const seg = loads.find((s) => vaddr >= s.va && vaddr < s.va + s.size);
    if (seg === undefined) { remove(); return { why: `no loadable segment of ${node} holds ${symbol}` }; }
    try { appendFileSync(`${dir}/uprobe_events`, `-:${GROUP}/${name}\n`); } catch { /* none defined yet */ }
    try {
      appendFileSync(`${dir}/uprobe_events`, `p:${GROUP}/${name} ${node}:0x${(vaddr - seg.va + seg.off).toString(16)}\n`);
    } catch (e) { remove(); return { why: `cannot define a uprobe (${(e as Error).message}); run as root` }; }
    defined.push(name);
  }
  return { remove };
}

/** Starts counting the probes' hits in process `pid`; `stop` returns the counts. */
export async function countNativeEvents(pid: number): Promise<{ stop(): Promise<Record<NativeEvent, number>> }> {
  const perf: ChildProcess = spawn('perf', ['stat', '-x,', ...NAMES.flatMap((n) => ['-e', event(n)]), '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  perf.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  // perf attaches asynchronously: give it a moment before the measured window starts.
  await new Promise((r) => setTimeout(r, 500));
  if (perf.exitCode !== null) throw new Error(`perf stat exited: ${err.trim()}`);
  return {
    async stop() {
      perf.kill('SIGINT');
      if (perf.exitCode === null) await once(perf, 'exit');
      const counts = {} as Record<NativeEvent, number>;
      for (const name of NAMES) {
        const line = err.split('\n').find((l) => l.includes(event(name)));
        const n = line === undefined ? NaN : Number(line.split(',')[0]);
        if (!Number.isFinite(n)) throw new Error(`perf stat gave no count for ${event(name)}: ${err.trim()}`);
        counts[name] = n;
      }
      return counts;
    },
  };
}
