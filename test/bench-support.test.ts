// The benchmarks' ratio arithmetic and round order (test/bench/support.ts figure(), interleave()): not a benchmark
// run (test/run.ts skips test/bench), only how a row's verdict is made.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { figure, interleave } from './bench/support.ts';
import { startAllocationSampling, summarizeGc } from './bench/profile.ts';

const row = { bench: 't', row: 'r', unit: 'ms', against: 'node:tls', target: 1 } as const;

test('paired rounds: the ratio is the median of per-round ratios, not the ratio of the medians', () => {
  // A machine that slows down over the run: both contenders' times rise together, ours 10% below theirs in every round.
  const theirs = [1.0, 1.2, 1.4, 1.6, 1.8];
  const ours = theirs.map((t) => t * 0.9);
  const f = figure({ ...row, better: 'lower', rounds: { protosmith: ours, baseline: theirs } });
  assert.ok(Math.abs(f.ratio - 1 / 0.9) < 1e-9, `ratio ${f.ratio}`);
  assert.is(f.protosmith, ours[2]);
  assert.is(f.baseline, theirs[2]);
  // Ours 10% slower than theirs in four rounds of five, one outlier round fast: the medians (2.2 vs 3 ms) would
  // say 1.36x, met; the rounds say 0.91x.
  const g = figure({ ...row, better: 'lower', rounds: { protosmith: [1.1, 2.2, 3.3, 4.4, 0.5], baseline: [1, 2, 3, 4, 5] } });
  assert.ok(Math.abs(g.baseline / g.protosmith - 3 / 2.2) < 1e-9);
  assert.ok(Math.abs(g.ratio - 1 / 1.1) < 1e-9, `ratio ${g.ratio}`);
});

test('paired rounds: the range leaves out the best and the worst round from 5 rounds on', () => {
  const f = figure({ ...row, better: 'higher', rounds: { protosmith: [100, 80, 120, 90, 50], baseline: [100, 100, 100, 100, 100] } });
  assert.equal(f.ratioRange, [0.8, 1.0]);
  assert.is(f.ratio, 0.9);
  const three = figure({ ...row, better: 'higher', rounds: { protosmith: [100, 80, 120], baseline: [100, 100, 100] } });
  assert.equal(three.ratioRange, [0.8, 1.2]);
});

test('single figures: ratio of the two, no range; unpaired rounds are refused', () => {
  const f = figure({ ...row, better: 'lower', protosmith: 2, baseline: 1 });
  assert.is(f.ratio, 0.5);
  assert.is(f.ratioRange, undefined);
  assert.throws(() => figure({ ...row, better: 'lower', rounds: { protosmith: [1, 2], baseline: [1] } }), /paired rounds/);
});

test('interleaved rounds run the contenders in one order, then the reverse; each contender\'s figures stay its own', async () => {
  const ran: string[] = [];
  const fn = (name: string, value: number) => async (): Promise<number> => { ran.push(name); return value + ran.length; };
  const rounds = await interleave(3, [fn('a', 100), fn('b', 200), fn('c', 300)]);
  assert.equal(ran, ['a', 'b', 'c', 'c', 'b', 'a', 'a', 'b', 'c']);
  assert.equal(rounds, [[101, 106, 107], [202, 205, 208], [303, 304, 309]]);
});

test('allocation sampling counts garbage already collected, and names the function that made it', async () => {
  const sampling = startAllocationSampling(512);
  await sampling.started;
  // ~16 MiB of short-lived arrays: more than the young generation holds, so scavenges free most of it before stop.
  let kept = 0;
  function makeGarbageForTheSampler(): void {
    for (let i = 0; i < 4096; i++) kept += new Array<number>(512).fill(i).length;
  }
  makeGarbageForTheSampler();
  const r = await sampling.stop(5);
  assert.is(kept, 4096 * 512);
  // 4096 arrays of 512 doubles (8 bytes each) or small integers: at least 8 MiB whatever the element kind.
  assert.ok(r.bytes > 8 * 2 ** 20, `sampled ${r.bytes} bytes`);
  assert.ok(r.top[0]!.fn.startsWith('makeGarbageForTheSampler '), `top allocator: ${r.top[0]?.fn}`);
  assert.ok(r.top[0]!.fn.includes('bench-support.test.ts:'), r.top[0]!.fn);
  assert.ok(r.top[0]!.percent > 50, `${r.top[0]!.percent}%`);
});

test('GC summary: promotion is old space growth across scavenges only; pauses of every kind add up', () => {
  const at = (old: number, young: number) => ({ heapSpaceStatistics: [{ spaceName: 'new_space', spaceUsedSize: young }, { spaceName: 'old_space', spaceUsedSize: old }] });
  const g = summarizeGc([
    { gcType: 'Scavenge', cost: 1500, beforeGC: at(1000, 9000), afterGC: at(1300, 100) },
    { gcType: 'Scavenge', cost: 500, beforeGC: at(1300, 9000), afterGC: at(1300, 50) },
    // A full collection shrinks old space: not negative promotion, and not promotion at all.
    { gcType: 'MarkSweepCompact', cost: 4000, beforeGC: at(5000, 10), afterGC: at(800, 10) },
    { gcType: 'Scavenge', cost: 1000, beforeGC: at(800, 9000), afterGC: at(1000, 70) },
  ]);
  assert.equal(g, { scavenges: 3, fullGcs: 1, pauseMs: 7, promotedBytes: 500 });
});

test.run();
