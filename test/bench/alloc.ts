// `npm run bench -- alloc [--handshakes N] [--warm N] [--top N] [--conc N]`: bytes the server allocates on its JS heap per
// TLS 1.3 handshake over loopback TCP, garbage included: V8's sampling heap profiler in the server child
// (profile.ts startAllocationSampling, one sample per 512 bytes on average, objects already freed by minor and major GC
// counted), over `--handshakes` (2,000) sequential handshakes from the node:tls client after `--warm` (3,000).
// Servers: protosmith (createServer: TlsSocket, node provider), the same engine behind the bare net pump (no TlsSocket),
// protosmith with the native provider, and node:tls, each in its own child (server-child.ts). Not a time: the
// garbage a handshake makes is what the young-generation GC (scavenges, their promotion of what is still live) and
// the caches pay for, and it explains CPU time the instruction counts do not (see the README's Performance notes).
// ArrayBuffer backing stores (outside the JS heap: Buffers over 64 bytes, typed arrays' data) are not in those bytes;
// a third window counts them, and node's native objects (native-events.ts: uprobes on node's binary, with perf, as root), per handshake.
// Prints the functions that allocated most in the protosmith and bare servers, self bytes per handshake.
// And, over as many handshakes before the sampling (the sampler's weak handle per sampled object would slow every
// scavenge), what the collector did (node:v8 GCProfiler): bytes promoted to the old generation per handshake (old
// space's growth across each scavenge) and GC pause per handshake. Promotion is the row that
// catches a closed connection kept alive past a young collection: with a module-level WeakMap from transport to
// TlsSocket (whose value slots are roots for young collections) it was 2,720 bytes per handshake against ~700.
import { benchPki, figure, nodeContexts, numberOption, type Figure } from './support.ts';
import { handshakeLoad, startServer } from './tcp-harness.ts';
import { countNativeEvents, nativeEventProbes, type NativeEvent } from './native-events.ts';
import type { AllocRow, GcSummary } from './profile.ts';
import type { ServerKind } from './server-child.ts';
import type * as tls from 'node:tls';

const INTERVAL = 512;

interface Allocated { perHandshake: number; top: AllocRow[]; promotedPerHandshake: number; gcUsPerHandshake: number; gc: GcSummary; nativePerHandshake?: Record<NativeEvent, number> }

async function allocated(kind: ServerKind, ctx: tls.SecureContext, pki: ReturnType<typeof benchPki>, handshakes: number, warm: number, top: number, conc: number, probe: boolean): Promise<Allocated> {
  const server = await startServer(kind, pki);
  try {
    await handshakeLoad(server.port, ctx, warm, 10);
    await server.gcStart();
    await handshakeLoad(server.port, ctx, handshakes, conc);
    const gc = await server.gcStop();
    await server.allocStart(INTERVAL);
    await handshakeLoad(server.port, ctx, handshakes, conc);
    const r = await server.allocStop(top);
    let native: Record<NativeEvent, number> | undefined;
    if (probe) {
      const counting = await countNativeEvents(server.pid);
      await handshakeLoad(server.port, ctx, handshakes, conc);
      const c = await counting.stop();
      native = { arrayBuffers: c.arrayBuffers / handshakes, nativeObjects: c.nativeObjects / handshakes };
    }
    return {
      ...(native === undefined ? {} : { nativePerHandshake: native }),
      perHandshake: r.bytes / handshakes, top: r.top.map((x) => ({ ...x, bytes: x.bytes / handshakes })),
      promotedPerHandshake: gc.promotedBytes / handshakes, gcUsPerHandshake: (gc.pauseMs * 1000) / handshakes, gc,
    };
  } finally {
    await server.exit();
  }
}

export async function run(args: string[]): Promise<Figure[]> {
  const handshakes = numberOption(args, '--handshakes', 2000);
  const warm = numberOption(args, '--warm', 3000);
  const top = numberOption(args, '--top', 20);
  // Handshakes in flight during both windows (1: one after the other). With many in flight, more connections are
  // alive at each young collection: what that costs the collector shows in the promotion and GC pause rows.
  const conc = numberOption(args, '--conc', 1);
  const pki = benchPki();
  const ctx = nodeContexts(pki).client;
  const probe = nativeEventProbes();
  let ours: Allocated, bare: Allocated, native: Allocated, theirs: Allocated;
  try {
    const counted = 'remove' in probe;
    ours = await allocated('protosmith', ctx, pki, handshakes, warm, top, conc, counted);
    bare = await allocated('bare', ctx, pki, handshakes, warm, top, conc, counted);
    native = await allocated('native', ctx, pki, handshakes, warm, top, conc, counted);
    theirs = await allocated('node', ctx, pki, handshakes, warm, top, conc, counted);
  } finally {
    if ('remove' in probe) probe.remove();
  }
  if ('why' in probe) console.log(`\nArrayBuffers and native objects per handshake: not counted, ${probe.why}.`);
  for (const [what, r] of [['protosmith server', ours], ['engine behind the bare pump', bare]] as const) {
    console.log(`\nJS heap bytes allocated per handshake, by function (self), ${what}: ${(r.perHandshake / 1024).toFixed(1)} KiB`);
    for (const row of r.top) console.log(`  ${(row.bytes / 1024).toFixed(2).padStart(7)} KiB ${row.percent.toFixed(1).padStart(5)}%  ${row.fn}`);
  }
  const kib = (x: number): number => x / 1024;
  const gcNote = (what: string, r: Allocated): string => `${what} ${r.gc.scavenges} scavenges, ${r.gc.fullGcs} full GCs`;
  const gcs = `over ${handshakes} handshakes: ${[gcNote('protosmith', ours), gcNote('bare pump', bare), gcNote('native', native), gcNote('node:tls', theirs)].join('; ')}`;
  const note = `${handshakes} handshakes (${conc === 1 ? 'sequential' : `${conc} in flight`}) after ${warm} warm-up; V8 sampling heap profiler, ${INTERVAL}-byte interval, freed objects included`;
  return [
    figure({ bench: 'alloc', row: 'server JS heap allocated per handshake', unit: 'KiB', protosmith: kib(ours.perHandshake), baseline: kib(theirs.perHandshake), against: 'node:tls', better: 'lower', note }),
    figure({ bench: 'alloc', row: 'server JS heap allocated per handshake, native provider', unit: 'KiB', protosmith: kib(native.perHandshake), baseline: kib(theirs.perHandshake), against: 'node:tls', better: 'lower' }),
    figure({ bench: 'alloc', row: 'engine behind a bare net pump', unit: 'KiB', protosmith: kib(bare.perHandshake), baseline: kib(theirs.perHandshake), against: 'node:tls', better: 'lower' }),
    figure({ bench: 'alloc', row: 'TlsSocket adapter', unit: 'KiB', protosmith: kib(ours.perHandshake), baseline: kib(bare.perHandshake), against: 'bare pump', better: 'lower',
      note: 'the protosmith server against the same engine behind the bare pump: what TlsSocket allocates on top' }),
    figure({ bench: 'alloc', row: 'server bytes promoted to the old generation per handshake', unit: 'B', protosmith: ours.promotedPerHandshake, baseline: bare.promotedPerHandshake, against: 'bare pump', better: 'lower',
      note: `old space's growth across each scavenge (node:v8 GCProfiler), the protosmith server against the same engine behind the bare pump (TlsSocket should keep nothing alive past a young collection); native ${native.promotedPerHandshake.toFixed(0)} B, node:tls ${theirs.promotedPerHandshake.toFixed(0)} B (few scavenges: its handshake state is native memory); ${gcs}` }),
    figure({ bench: 'alloc', row: 'server GC pause per handshake', unit: 'µs', protosmith: ours.gcUsPerHandshake, baseline: theirs.gcUsPerHandshake, against: 'node:tls', better: 'lower',
      note: 'the main thread\'s pauses for scavenges and full collections (GCProfiler cost), divided by the handshakes; the collector\'s helper threads not included' }),
    figure({ bench: 'alloc', row: 'server GC pause per handshake, native provider', unit: 'µs', protosmith: native.gcUsPerHandshake, baseline: theirs.gcUsPerHandshake, against: 'node:tls', better: 'lower' }),
    ...(ours.nativePerHandshake === undefined ? [] : (() => {
      const [o, b, n, t] = [ours, bare, native, theirs].map((r) => r.nativePerHandshake!) as [Record<NativeEvent, number>, Record<NativeEvent, number>, Record<NativeEvent, number>, Record<NativeEvent, number>];
      const window = `uprobe on node's binary counted by perf stat, a third window of ${handshakes} handshakes (native-events.ts)`;
      return [
        figure({ bench: 'alloc', row: 'server ArrayBuffers created per handshake', unit: '', protosmith: o.arrayBuffers, baseline: b.arrayBuffers, against: 'bare pump', better: 'lower',
          note: `backing stores V8's young-generation collector must track and sweep (ArrayBufferSweeper::Append; ${window}); native provider ${n.arrayBuffers.toFixed(1)}, node:tls ${t.arrayBuffers.toFixed(2)} (its TLS state is C++ memory)` }),
        figure({ bench: 'alloc', row: 'server native objects created per handshake', unit: '', protosmith: o.nativeObjects, baseline: b.nativeObjects, against: 'bare pump', better: 'lower',
          note: `JS objects with a native half, each a weak handle for the collector (node::BaseObject's constructor: node:crypto's Hmac, Hash, Cipher and KeyObject, sockets, requests; ${window}); native provider ${n.nativeObjects.toFixed(1)}, node:tls ${t.nativeObjects.toFixed(2)}` }),
      ];
    })()),
  ];
}
