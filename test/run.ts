// Runs every test/**/*.test.ts file (uvu suites) in its own Node process, two at a time, and ends
// with the line `N passed, N failed` (`, N skipped` when any). A file that crashes or exits early
// counts as one failure. `node --import tsx test/run.ts [filter...]` runs only matching files.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';

const root = join(import.meta.dirname, '..');
const filters = process.argv.slice(2);

function find(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'fixtures' && e.name !== 'bench') out.push(...find(p)); }
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = find(join(root, 'test')).sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
// eslint-disable-next-line no-control-regex
const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

interface Result { file: string; passed: number; failed: number; skipped: number; output: string; ms: number }

function runOne(file: string): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve) => {
    // --expose-gc: tests that measure what stays allocated (test/crypto/small-arrays.test.ts) collect garbage first.
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(root, 'test', 'run-one.ts'), file], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' },
    });
    let output = '';
    // A hung file must not hang the suite: kill it (and anything it spawned in its group) and count a failure.
    const limitMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 300_000);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, limitMs);
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = strip(output) + (timedOut ? `\n(killed after ${limitMs / 1000}s: the file did not finish)` : '');
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      const ms = Date.now() - started;
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        resolve({ file, passed: 0, failed: 1, skipped: 0, output: `${text}\n(exit code ${code}: the file crashed before uvu reported)`, ms });
        return;
      }
      let failed = total - passed - skipped;
      if (failed === 0 && (code !== 0 || timedOut)) failed = 1; // exited non-zero after reporting (e.g. unhandled rejection)
      resolve({ file, passed, failed, skipped, output: text, ms });
    });
  });
}

const jobs = Math.max(1, Math.min(Number(process.env.TEST_JOBS ?? availableParallelism()), 4));
const results: Result[] = [];
let next = 0;
async function worker(): Promise<void> {
  while (next < files.length) {
    const file = files[next++]!;
    const r = await runOne(file);
    results.push(r);
    const name = relative(root, file);
    const mark = r.failed ? 'FAIL' : 'ok  ';
    process.stdout.write(`${mark} ${name}  (${r.passed} passed${r.failed ? `, ${r.failed} failed` : ''}${r.skipped ? `, ${r.skipped} skipped` : ''}; ${(r.ms / 1000).toFixed(1)}s)\n`);
    if (r.failed) process.stdout.write(r.output.split('\n').map((l) => `    ${l}`).join('\n') + '\n');
  }
}
await Promise.all(Array.from({ length: jobs }, () => worker()));
// Project-wide checks run by scripts/test.sh before the files (PRECHECKS="generate-check=0 typecheck=1 ..."):
// each counts as one test, so a failed check shows in the summary line.
for (const entry of (process.env.PRECHECKS ?? '').split(/\s+/).filter(Boolean)) {
  const [name, status] = entry.split('=');
  const ok = status === '0';
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} check ${name}${ok ? '' : ' (see its output above)'}\n`);
  results.push({ file: `check ${name}`, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, output: '', ms: 0 });
}
const sum = (k: 'passed' | 'failed' | 'skipped'): number => results.reduce((a, r) => a + r[k], 0);
const skipped = sum('skipped');
process.stdout.write(`\n${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = sum('failed') > 0 || files.length === 0 ? 1 : 0;
