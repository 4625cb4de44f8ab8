// Seeded-bug check for the TLS 1.3 codec tests: applies one small mutation at a time to the generated
// codecs (flipped condition, off-by-one bound, wrong integer width, dropped trailing-bytes check, wrong switch
// case) in a private snapshot of the project, runs this area's tests there, and reports how many mutants the
// tests kill. Never touches the working tree. Known equivalent mutants: dropping `done()` in the decoder of a
// `repeat: eos` list (the list already reads to the end).
//   node --import tsx test/tls13-messages/mutants.ts [--count N] [--seed S]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './vectors.ts';

const args = process.argv.slice(2);
const opt = (name: string, d: number): number => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : d; };
const count = opt('--count', 40);
let seed = opt('--seed', 8446);
const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };

const FILES = ['alert', 'extensions', 'handshake', 'record'].map((f) => `generated/tls13/messages/${f}.ts`);
const OPERATORS: { name: string; re: RegExp; to: (m: string) => string }[] = [
  { name: 'flip ===', re: /=== /g, to: () => '!== ' },
  { name: 'min bound off by one', re: />= (0x[0-9a-f]+|\d+)/g, to: (m) => m.replace('>=', '>') },
  { name: 'max bound off by one', re: /<= (0x[0-9a-f]+|\d+)/g, to: (m) => m.replace('<=', '<') },
  { name: 'read width u2->u1', re: /r\.u2\(/g, to: () => 'r.u1(' },
  { name: 'write width u2->u1', re: /w\.u2\(/g, to: () => 'w.u1(' },
  { name: 'read width u1->u2', re: /r\.u1\(/g, to: () => 'r.u2(' },
  { name: 'drop trailing-bytes check', re: /\.done\(\);/g, to: () => ';' },
  { name: 'wrong switch case', re: /case (0x[0-9a-f]+|\d+) /g, to: (m) => `case ${Number(m.slice(5, -1)) + 0x100} ` },
];

// The snapshot: the committed tree (HEAD), so sites and tests agree even while others edit the working tree.
const work = join(tmpdir(), `protosmith-mutants-${process.pid}`);
const proj = join(work, 'main');
mkdirSync(proj, { recursive: true });
execFileSync('sh', ['-c', `git -C "${root}" archive HEAD | tar -x -C "${proj}"`]);
symlinkSync(join(root, 'node_modules'), join(proj, 'node_modules'), 'dir');
symlinkSync(join(root, '..', 'shared'), join(work, 'shared'), 'dir');

interface Site { file: string; op: string; index: number; from: string; to: string; line: number }
const sites: Site[] = [];
for (const file of FILES) {
  const text = readFileSync(join(proj, file), 'utf8');
  for (const op of OPERATORS) {
    for (const m of text.matchAll(op.re)) {
      if (text[m.index! - 1] === "'") continue; // inside an error message string: an equivalent mutant
      const lineStart = text.lastIndexOf('\n', m.index!) + 1;
      if (/^\s*(\*|\/\/|\/\*)/.test(text.slice(lineStart, m.index!))) continue; // in a doc comment
      sites.push({ file, op: op.name, index: m.index!, from: m[0], to: op.to(m[0]), line: text.slice(0, m.index!).split('\n').length });
    }
  }
}
const chosen: Site[] = [];
const pool = [...sites];
while (chosen.length < Math.min(count, sites.length)) chosen.push(pool.splice(rand(pool.length), 1)[0]!);

const TESTS = ['test/tls13-messages/rfc8448.test.ts', 'test/tls13-messages/bounds.test.ts', 'test/tls13-messages/rfc8448-protected.test.ts', 'test/tls13-messages/properties.test.ts', 'test/tls13-messages/values.test.ts', 'test/differential/kaitai.test.ts'];

function runTests(): { passed: number; failed: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/run.ts', ...TESTS], { cwd: proj, encoding: 'utf8', env: { ...process.env, TEST_JOBS: '2' } });
  const m = /^(\d+) passed, (\d+) failed/m.exec(r.stdout); // the runner's summary line
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : { passed: 0, failed: 1 };
}

try {
  const baseline = runTests();
  console.log(`baseline: ${baseline.passed} passed, ${baseline.failed} failed (${sites.length} mutation sites, testing ${chosen.length})`);
  if (baseline.failed > 0 || !existsSync(join(proj, FILES[0]!))) throw new Error('tests fail on the unmutated snapshot');
  let killed = 0;
  const survivors: Site[] = [];
  for (const [i, s] of chosen.entries()) {
    const path = join(proj, s.file);
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, original.slice(0, s.index) + s.to + original.slice(s.index + s.from.length));
    const r = runTests();
    writeFileSync(path, original);
    const dead = r.failed > 0;
    if (dead) killed++; else survivors.push(s);
    console.log(`${String(i + 1).padStart(3)} ${dead ? 'killed  ' : 'SURVIVED'} ${s.file}:${s.line} ${s.op} (${s.from.trim()} -> ${s.to.trim()})  [${r.failed} failing]`);
  }
  console.log(`\nkill rate: ${killed}/${chosen.length} = ${((100 * killed) / chosen.length).toFixed(0)}%`);
  if (survivors.length) console.log(`survivors:\n${survivors.map((s) => `  ${s.file}:${s.line} ${s.op}`).join('\n')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
