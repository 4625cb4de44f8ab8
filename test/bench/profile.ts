// CPU profile mode of the benchmarks: runs a function under the V8 sampling profiler (node:inspector, in
// this process) and names the functions with the most self time, by name and source location.
// And allocation sampling (alloc.ts): V8's sampling heap profiler, counting every sampled allocation, also of
// objects the garbage collector has since freed, i.e. the garbage a workload makes, not what it keeps; and a
// summary of the collector's work (node:v8 GCProfiler), taken in a window of its own.
import { Session } from 'node:inspector/promises';
import { GCProfiler } from 'node:v8';
import { findSourceMap } from 'node:module';

export interface ProfileRow { fn: string; ms: number; percent: number }

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }

/** ` dir/file.ts:line` for a profile's call frame: the line in the TypeScript source where the process has a source
 *  map for the file (tsx compiles each file to one line of JavaScript, so the generated position alone says
 *  `file.ts:1:6614`), else the generated line and column. '' for frames without a script (native, GC). */
function location(cf: CallFrame): string {
  if (!cf.url) return '';
  const file = cf.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
  let entry: { originalLine?: number } | undefined;
  try { entry = findSourceMap(cf.url)?.findEntry(cf.lineNumber, cf.columnNumber) as { originalLine?: number } | undefined; } catch { entry = undefined; }
  return entry?.originalLine !== undefined ? ` ${file}:${entry.originalLine + 1}` : ` ${file}:${cf.lineNumber + 1}:${cf.columnNumber + 1}`;
}

/** Self time per function (name + file:line) from a V8 CPU profile, largest first. */
export function topSelfTime(profile: CpuProfile, count: number): { top: ProfileRow[]; totalMs: number } {
  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const perFn = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const us = perNode.get(n.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'}${location(cf)}`;
    perFn.set(key, (perFn.get(key) ?? 0) + us);
  }
  const top = [...perFn].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([fn, us]) => ({ fn, ms: us / 1000, percent: (100 * us) / total }));
  return { top, totalMs: total / 1000 };
}

export async function profiled<T>(f: () => Promise<T>, count: number): Promise<{ result: T; top: ProfileRow[]; totalMs: number }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const stop = async (): Promise<CpuProfile> => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    session.disconnect();
    return profile;
  };
  let result: T;
  try { result = await f(); } catch (e) { await stop(); throw e; }
  const profile = await stop();
  return { result, ...topSelfTime(profile, count) };
}

export interface AllocRow { fn: string; bytes: number; percent: number }

/** What the collector did meanwhile (node:v8 GCProfiler): young-generation collections (scavenges) and full ones
 *  (mark-compact, incremental marking steps not counted), their pause time, and the bytes the scavenges moved into
 *  the old generation (the growth of old space across each scavenge): what survives a young collection is what
 *  later costs full collections. */
export interface GcSummary { scavenges: number; fullGcs: number; pauseMs: number; promotedBytes: number }

interface GcEntry { gcType: string; cost: number; beforeGC: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] }; afterGC: GcEntry['beforeGC'] }

/** Starts recording the collector's work (GCProfiler); `stop` sums it up. Not while allocation sampling runs: the
 *  sampler holds a weak handle per sampled object, which every scavenge then processes. */
export function startGcRecording(): { stop(): GcSummary } {
  const gc = new GCProfiler();
  gc.start();
  return { stop: () => summarizeGc((gc.stop() as unknown as { statistics: GcEntry[] }).statistics) };
}

export function summarizeGc(entries: readonly GcEntry[]): GcSummary {
  const old = (x: GcEntry['beforeGC']): number => x.heapSpaceStatistics.find((s) => s.spaceName === 'old_space')?.spaceUsedSize ?? 0;
  const out: GcSummary = { scavenges: 0, fullGcs: 0, pauseMs: 0, promotedBytes: 0 };
  for (const e of entries) {
    out.pauseMs += e.cost / 1000;
    if (e.gcType === 'Scavenge') { out.scavenges++; out.promotedBytes += Math.max(0, old(e.afterGC) - old(e.beforeGC)); }
    else if (e.gcType === 'MarkSweepCompact') out.fullGcs++;
  }
  return out;
}

interface SamplingNode { callFrame: CallFrame; selfSize: number; children: SamplingNode[] }

/**
 * Starts V8's sampling heap profiler in this process, one sample per `interval` bytes allocated on average, with
 * the objects already collected by minor (scavenge) and major GC kept in the profile. V8 scales each sampled
 * size to the allocations it stands for, so the profile's sizes add up to an estimate of all bytes allocated
 * on the JS heap between start and stop (not ArrayBuffer backing stores, which live outside it). `stop` gives
 * that total and the functions that allocated most (self bytes, by name and source line).
 */
export function startAllocationSampling(interval: number): { started: Promise<void>; stop(top: number): Promise<{ bytes: number; top: AllocRow[] }> } {
  const session = new Session();
  session.connect();
  const started = (async () => {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
    } as { samplingInterval: number });
  })();
  return {
    started,
    async stop(count) {
      await started;
      const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SamplingNode } };
      session.disconnect();
      const perFn = new Map<string, number>();
      let total = 0;
      const walk = (n: SamplingNode): void => {
        if (n.selfSize > 0) {
          total += n.selfSize;
          const cf = n.callFrame;
          const key = `${cf.functionName || '(anonymous)'}${location(cf)}`;
          perFn.set(key, (perFn.get(key) ?? 0) + n.selfSize);
        }
        for (const c of n.children) walk(c);
      };
      walk(profile.head);
      const top = [...perFn].sort((a, b) => b[1] - a[1]).slice(0, count).map(([fn, bytes]) => ({ fn, bytes, percent: (100 * bytes) / total }));
      return { bytes: total, top };
    },
  };
}
