// CPU profile mode of the benchmarks: runs a function under the V8 sampling profiler (node:inspector, in
// this process) and names the functions with the most self time, by name and source location.
import { Session } from 'node:inspector/promises';

export interface ProfileRow { fn: string; ms: number; percent: number }

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
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
    const where = cf.url ? ` ${cf.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}${where}`;
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
