// Runs spin on a Promela model in a temp dir: `spin -a model.pml`, `gcc -O2 pan.c`, then one
// `./pan -a -N <claim>` per LTL claim (two at a time). The compiled pan is reused for every claim and,
// through the PROTOSMITH_MUTANT environment variable the model reads at start, for every mutant.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** spin or the C compiler is missing or failed: a configuration/provider problem, not a proof failure. */
export class SpinToolError extends Error {
  readonly code = 'PROOF_SPIN_TOOL';
  constructor(detail: string) {
    super(detail);
    this.name = 'SpinToolError';
  }
}

export interface PanBuild {
  readonly dir: string;
  readonly pan: string;
  readonly compileMs: number;
  dispose(): void;
}

export interface ClaimResult {
  readonly claim: string;
  /** 'pass': no violation in the full search; 'fail': a violation; 'incomplete': search cut short. */
  readonly verdict: 'pass' | 'fail' | 'incomplete';
  readonly states: number;
  readonly depth: number;
  readonly ms: number;
  /** pan's own line naming the violation, when it fails. */
  readonly detail: string;
  /** On a violation (when asked): the replayed run, one step per line. */
  readonly trace?: readonly string[];
}

export const PAN_CFLAGS = ['-O2', '-w', '-DMEMLIM=2048'];

/** `fast`: compile without optimisation (quicker to build, slower to search: for searches expected to fail early). */
export function buildPan(model: string, opts: { dir?: string; keep?: boolean; fast?: boolean } = {}): PanBuild {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'protosmith-spin-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.pml'), model);
  const t0 = performance.now();
  try {
    execFileSync('spin', ['-a', 'model.pml'], { cwd: dir, stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new SpinToolError(`spin -a failed: ${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}${err.message}`);
  }
  try {
    execFileSync('gcc', [...(opts.fast === true ? ['-O0', '-w', '-DMEMLIM=2048'] : PAN_CFLAGS), '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new SpinToolError(`gcc pan.c failed: ${err.stderr?.toString().slice(0, 2000) ?? err.message}`);
  }
  const compileMs = performance.now() - t0;
  return { dir, pan: join(dir, 'pan'), compileMs, dispose: () => { if (opts.keep !== true) rmSync(dir, { recursive: true, force: true }); } };
}

export function parsePan(claim: string, out: string, ms: number): ClaimResult {
  const errors = Number(/errors:\s*(\d+)/.exec(out)?.[1] ?? NaN);
  const states = Number(/(\d+)\s+states, stored/.exec(out)?.[1] ?? 0);
  const depth = Number(/depth reached\s+(\d+)/.exec(out)?.[1] ?? 0);
  const incomplete = /out of memory|Search not completed|max search depth too small/i.test(out);
  const violation = /^pan:\d*:?\s*(.*)$/m.exec(out)?.[1] ?? '';
  const verdict = Number.isNaN(errors) ? 'incomplete' : errors > 0 ? 'fail' : incomplete ? 'incomplete' : 'pass';
  return { claim, verdict, states, depth, ms, detail: verdict === 'fail' ? violation.trim() : verdict === 'incomplete' ? 'search incomplete (memory or depth bound)' : '' };
}

/** Runs one claim; `mutant` sets PROTOSMITH_MUTANT for the model. Violations stop at the first error.
 * With `trace`, a violation is replayed (`spin -t`: the system steps of the trail; the claim is only the monitor) and the model's "@@" trace lines are returned,
 *  passed through `trace` (which turns numbers into names). Each claim runs in its own directory so
 *  parallel runs do not overwrite each other's trail. */
export function runClaim(build: PanBuild, claim: string, mutant?: string, trace?: (line: string) => string): Promise<ClaimResult> {
  const t0 = performance.now();
  const env = { ...process.env, ...(mutant === undefined ? {} : { PROTOSMITH_MUTANT: mutant }) };
  if (mutant === undefined) delete env.PROTOSMITH_MUTANT;
  const cwd = join(build.dir, `run-${claim}-${(mutant ?? 'specs').replace(/\W+/g, '_')}`);
  mkdirSync(cwd, { recursive: true });
  copyFileSync(join(build.dir, 'model.pml'), join(cwd, 'model.pml'));
  return new Promise((resolve) => {
    // -n: no unreached-code listing; -w22: 32 MB hash table; -m: depth bound well above the model's
    execFile(build.pan, ['-a', '-n', '-N', claim, '-w22', '-m20000'], { cwd, env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      if (err && !/errors:/.test(out)) {
        resolve({ claim, verdict: 'incomplete', states: 0, depth: 0, ms: performance.now() - t0, detail: `pan failed: ${err.message}` });
        return;
      }
      const r = parsePan(claim, out, performance.now() - t0);
      if (r.verdict !== 'fail' || trace === undefined) { resolve(r); return; }
      execFile('spin', ['-t', 'model.pml'], { cwd, env, maxBuffer: 16 << 20 }, (_e, replay) => {
        const steps = `${replay}`.split('\n').filter((l) => l.trimStart().startsWith('@@')).map((l) => trace(l.trim().slice(2).trim()));
        resolve({ ...r, trace: steps.slice(0, 60) });
      });
    });
  });
}

/** Runs tasks with at most `jobs` in flight, keeping their order in the result. */
export async function pool<T, R>(items: readonly T[], jobs: number, f: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await f(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return results;
}

export function spinAvailable(): boolean {
  try {
    execFileSync('spin', ['-V'], { stdio: 'pipe' });
    execFileSync('gcc', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
