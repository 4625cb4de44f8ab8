// `protosmith prove [--mutants] [options]`: checks the TLS 1.3 machines and prints one verdict line
// per claim; exits 1 when any claim fails (2 on a usage or tool error). See proofs/tls13/README.md.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { projectRoot } from '../root.ts';
import {
  allMutants, cheapChecks, cheapKill, claimLine, equivalenceLine, loadInputs, modelFor, spinChecks, spinKill, traceNamer, verdictLine,
  type Line, type MutantOutcome, type ProveInputs,
} from '../../../generator/proofs/prove.ts';
import { SEEDED_BUGS } from '../../../generator/proofs/seeded.ts';
import { tableChecks } from '../../../generator/proofs/irchecks.ts';
import { loadMachineIR } from '../../../generator/proofs/load.ts';
import { buildPan, pool, runClaim, spinAvailable, SpinToolError } from '../../../generator/proofs/spin.ts';
import type { Mutant } from '../../../generator/proofs/mutants.ts';

const USAGE = `usage: protosmith prove [<protocol>] [--mutants] [--attack N] [--jobs N] [--no-spin] [--emit DIR] [--sample N]
  <protocol>  a folder of specs/ (default tls13). tls13 gets every claim below; any other protocol gets the
              table claims (total, deterministic, absorbing ERROR/CLOSED, reachable, no dead ends) of each of
              its machines, since it has no RFC reference, facts or Promela pairing of its own (yet)
  (a) RFC 8446 Appendix A equivalence, (b) IR claims and spin on client x server x attacker,
  --mutants   (c) every single-edge mutant: kill rate, survivors, seeded bugs
  --attack N  attacker budget in the spin model (default 1)
  --jobs N    parallel pan runs / mutant workers (default 2)
  --no-spin   skip spin (reference and IR claims only)
  --emit DIR  also write the Promela model (model.pml) to DIR
  --sample N  with --mutants: only every N-th mutant (quick look)
`;

interface Options { protocol: string; mutants: boolean; attack: number; jobs: number; spin: boolean; emit?: string; sample: number }

function parse(args: string[]): Options | string {
  const o: Options = { protocol: 'tls13', mutants: false, attack: 1, jobs: 2, spin: true, sample: 1 };
  let named = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const num = (): number | undefined => { const v = Number(args[++i]); return Number.isInteger(v) && v >= 0 ? v : undefined; };
    if (a === '--mutants') o.mutants = true;
    else if (a === '--no-spin') o.spin = false;
    else if (a === '--attack') { const v = num(); if (v === undefined) return '--attack needs a number'; o.attack = v; }
    else if (a === '--jobs') { const v = num(); if (v === undefined || v === 0) return '--jobs needs a positive number'; o.jobs = v; }
    else if (a === '--sample') { const v = num(); if (v === undefined || v === 0) return '--sample needs a positive number'; o.sample = v; }
    else if (a === '--emit') { const v = args[++i]; if (v === undefined) return '--emit needs a directory'; o.emit = v; }
    else if (a === '--help' || a === '-h') return '';
    else if (a !== undefined && !a.startsWith('-') && !named) {
      if (!/^[A-Za-z0-9_-]+$/.test(a)) return `protocol '${a}' is not a folder name of specs/`;
      o.protocol = a;
      named = true;
    } else return a !== undefined && !a.startsWith('-') ? `more than one protocol given (${o.protocol}, ${a})` : `unknown option ${a}`;
  }
  return o;
}

/** A mutant worker process failed (crashed or printed garbage): a local tooling problem. */
export class ProofWorkerError extends Error {
  readonly code = 'PROOF_WORKER_FAILED';
  constructor(detail: string) {
    super(detail);
    this.name = 'ProofWorkerError';
  }
}

const say = (s: string): void => { process.stdout.write(`${s}\n`); };
const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

export async function run(args: string[]): Promise<number> {
  const opts = parse(args);
  if (typeof opts === 'string') {
    (opts === '' ? process.stdout : process.stderr).write(`${opts === '' ? '' : `protosmith prove: ${opts}\n`}${USAGE}`);
    return opts === '' ? 0 : 2;
  }
  const root = projectRoot();
  const t0 = performance.now();
  if (opts.protocol !== 'tls13') return proveTables(root, opts);
  const inputs = loadInputs(root, 'tls13');
  if (opts.spin && !spinAvailable()) {
    process.stderr.write('protosmith prove: spin and gcc are needed (apt-get install spin gcc), or pass --no-spin\n');
    return 2;
  }
  try {
    const lines = await proveMain(inputs, opts);
    let failed = lines.filter((l) => !l.ok).length;
    if (opts.mutants) failed += await proveMutants(root, inputs, opts);
    say(`\n${failed === 0 ? 'all claims hold' : `${failed} claim(s) FAILED`}  (${fmt(performance.now() - t0)})`);
    return failed === 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof SpinToolError || e instanceof ProofWorkerError) {
      process.stderr.write(`protosmith prove: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** A protocol other than tls13: the table claims of each of its machines (specs/<protocol>/machines/*.json). */
function proveTables(root: string, opts: Options): number {
  const dir = join(root, 'specs', opts.protocol, 'machines');
  const roles = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort() : [];
  if (roles.length === 0) {
    const known = readdirSync(join(root, 'specs')).filter((p) => existsSync(join(root, 'specs', p, 'machines'))).sort();
    process.stderr.write(`protosmith prove: no machines in specs/${opts.protocol}/machines (protocols with machines: ${known.join(', ')})\n`);
    return 2;
  }
  if (opts.mutants) { process.stderr.write(`protosmith prove: --mutants needs a reference and facts (as tls13 has); ${opts.protocol} has only table claims\n`); return 2; }
  const t0 = performance.now();
  say(`(b) claims checked on the tables (IR) of ${opts.protocol}: ${roles.join(', ')}`);
  let failed = 0;
  for (const role of roles) {
    let ir;
    try { ir = loadMachineIR(root, `${opts.protocol}/${role}`); } catch (e) { process.stderr.write(`protosmith prove: ${(e as Error).message}\n`); return 1; }
    for (const v of tableChecks(ir)) {
      const l = verdictLine(v, v.method);
      if (!l.ok) failed++;
      say(`  ${l.text}`);
    }
  }
  say(`  (no RFC reference, facts or spin model for ${opts.protocol}: only the table claims apply)`);
  say(`\n${failed === 0 ? 'all claims hold' : `${failed} claim(s) FAILED`}  (${fmt(performance.now() - t0)})`);
  return failed === 0 ? 0 : 1;
}

async function proveMain(inputs: ProveInputs, opts: Options): Promise<Line[]> {
  const lines: Line[] = [];
  const emit = (l: Line): void => { lines.push(l); say(`  ${l.text}`); };
  const cheap = [inputs.client, inputs.server].map((ir) => cheapChecks(inputs, ir, false));
  say('(a) RFC 8446 Appendix A: machine languages over handshake messages, up to CONNECTED');
  for (const c of cheap) if (c.equivalence) emit(equivalenceLine(c.equivalence));
  say('(b) claims checked on the tables (IR), safety against any peer');
  for (const c of cheap) for (const v of c.verdicts) emit(verdictLine(v, v.method));
  if (opts.emit !== undefined) {
    mkdirSync(opts.emit, { recursive: true });
    writeFileSync(join(opts.emit, 'model.pml'), modelFor(inputs, inputs.client, inputs.server, { attackBudget: opts.attack }).text);
    say(`  (Promela model written to ${join(opts.emit, 'model.pml')})`);
  }
  if (opts.spin) {
    const spin = await spinChecks(inputs, inputs.client, inputs.server, { attackBudget: opts.attack, jobs: opts.jobs });
    say(`(b) spin: client x server x network attacker (budget ${opts.attack}: drop, duplicate, reorder, inject); pan built in ${fmt(spin.compileMs)}`);
    spin.results.forEach((r) => emit(claimLine(r, spin.model.properties.find((p) => p.name === r.claim)?.claim ?? '')));
  }
  return lines;
}

function runWorker(root: string, shard: number, shards: number): Promise<Array<{ id: string; killedBy: string | null; detail: string }>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'generator', 'proofs', 'mutant-worker.ts'), root, 'tls13', String(shard), String(shards)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) { reject(new ProofWorkerError(`mutant worker ${shard} exited with ${code}`)); return; }
      try {
        resolve(out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { id: string; killedBy: string | null; detail: string }));
      } catch (e) {
        reject(new ProofWorkerError(`mutant worker ${shard} printed an unreadable line: ${(e as Error).message}`));
      }
    });
  });
}

/** Returns the number of failed mutation claims (seeded bug not caught counts as a failure). */
async function proveMutants(root: string, inputs: ProveInputs, opts: Options): Promise<number> {
  const t0 = performance.now();
  const every = allMutants(inputs);
  const list = every.filter((_, i) => i % opts.sample === 0);
  const equivalent = list.filter((m) => m.equivalent);
  const candidates = list.filter((m) => !m.equivalent);
  say(`\n(c) mutants: ${every.length} single-edge mutants of ${inputs.client.name} and ${inputs.server.name}${opts.sample > 1 ? `, every ${opts.sample}th: ${list.length}` : ''}`);
  say(`    ${equivalent.length} behave exactly like the specs (an explicit edge equal to the wildcard edge that replaces it): not counted`);
  let cheap: MutantOutcome[];
  if (opts.sample === 1 && opts.jobs > 1) {
    const byId = new Map(candidates.map((m) => [m.id, m]));
    const shards = await Promise.all(Array.from({ length: opts.jobs }, (_, i) => runWorker(root, i, opts.jobs)));
    cheap = shards.flat().filter((r) => byId.has(r.id)).map((r) => ({ mutant: byId.get(r.id) as Mutant, ...(r.killedBy === null ? {} : { killedBy: r.killedBy }), detail: r.detail }));
  } else cheap = candidates.map((m) => cheapKill(inputs, m));
  const tCheap = performance.now() - t0;
  let survivors = cheap.filter((o) => o.killedBy === undefined);
  say(`    table, reference and IR checks: ${cheap.length - survivors.length}/${cheap.length} killed in ${fmt(tCheap)}; ${survivors.length} go to spin`);
  let outcomes = cheap.filter((o) => o.killedBy !== undefined);
  if (opts.spin && survivors.length > 0) {
    const s = await spinKill(inputs, survivors, { attackBudget: opts.attack, jobs: opts.jobs });
    say(`    spin (conjoined claim, one pan for all, built in ${fmt(s.compileMs)}): ${s.outcomes.filter((o) => o.killedBy !== undefined).length}/${survivors.length} killed`);
    outcomes = [...outcomes, ...s.outcomes];
  } else outcomes = [...outcomes, ...survivors];
  survivors = outcomes.filter((o) => o.killedBy === undefined);
  const byKiller = new Map<string, number>();
  for (const o of outcomes) if (o.killedBy !== undefined) byKiller.set(o.killedBy, (byKiller.get(o.killedBy) ?? 0) + 1);
  say('    killed by:');
  for (const [k, n] of [...byKiller].sort((a, b) => b[1] - a[1])) say(`      ${String(n).padStart(5)}  ${k}`);
  const killed = outcomes.length - survivors.length;
  say(`    kill rate: ${killed}/${outcomes.length} = ${((100 * killed) / Math.max(1, outcomes.length)).toFixed(2)}%  (${fmt(performance.now() - t0)})`);
  for (const o of survivors) say(`    SURVIVOR  ${o.mutant.id}  ${o.mutant.description}  — ${o.detail}`);
  for (const m of equivalent) say(`    equivalent  ${m.id}  ${m.description}`);
  say('    (survivors are justified in proofs/tls13/SURVIVORS.md)');
  return seeded(inputs, opts);
}

async function seeded(inputs: ProveInputs, opts: Options): Promise<number> {
  say('\n(c) seeded bugs (each must be rejected, naming the property):');
  let failures = 0;
  await pool(SEEDED_BUGS, 1, async (bug) => {
    const base = bug.role === 'client' ? inputs.client : inputs.server;
    const ir = bug.apply(base);
    const { equivalence, verdicts } = cheapChecks(inputs, ir, false);
    const names = verdicts.filter((v) => !v.holds).map((v) => v.property);
    if (equivalence !== undefined && !equivalence.equal) names.unshift(`${ir.name}_matches_rfc_appendix_a`);
    let spinNames: string[] = [];
    let spinTrace = '';
    if (opts.spin) {
      const model = modelFor(inputs, bug.role === 'client' ? ir : inputs.client, bug.role === 'server' ? ir : inputs.server, { attackBudget: opts.attack });
      const build = buildPan(model.text, { fast: true });
      try {
        const results = await pool(bug.expect.filter((p) => model.properties.some((q) => q.name === p)), opts.jobs, (p) => runClaim(build, p, undefined, traceNamer(model)));
        spinNames = results.filter((r) => r.verdict === 'fail').map((r) => `spin:${r.claim}`);
        const shown = results.find((r) => r.trace !== undefined && r.trace.length > 0);
        if (shown?.trace !== undefined) spinTrace = `\n      spin counterexample (${shown.claim}):\n${shown.trace.map((l) => `        ${l}`).join('\n')}`;
      } finally { build.dispose(); }
    }
    const caught = bug.expect.some((p) => names.includes(p) || spinNames.includes(`spin:${p}`));
    if (!caught) failures++;
    say(`  ${caught ? 'CAUGHT' : 'MISSED'}  ${bug.name}: ${bug.description}\n      violated: ${[...names, ...spinNames].join(', ') || '(nothing)'}${spinTrace}`);
    return caught;
  });
  return failures;
}
