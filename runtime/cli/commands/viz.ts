// protosmith viz <machine> --format svg|dot|mermaid|html [--out FILE] [--coverage FILE]
//   <machine>  tls13/client (specs/tls13/machines/client.json) or a path to a machine spec (.json)
//   --coverage FILE  JSON {"edges": {"FROM|EVENT|TARGET": count}}: edges and states coloured by hits
// Draws from the same MachineIR the tables are generated from.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { projectRoot } from '../root.ts';
import { formatProblem, loadMachineSpec, machineSpecFiles } from '../../../generator/machine/load.ts';
import { emitDot, emitMermaid } from '../../../generator/machine/emit-dot.ts';
import { machineHtml, machineSvg } from '../../../generator/machine/render.ts';
import { coverageView, drawingOf, type Coverage } from '../../../generator/machine/drawing.ts';

const USAGE = 'usage: protosmith viz <machine> --format svg|dot|mermaid|html [--out FILE] [--coverage FILE]\n  <machine>: tls13/client, tls13/server, or a path to a machine spec (.json)\n';
const FORMATS = ['svg', 'dot', 'mermaid', 'html'] as const;
type Format = (typeof FORMATS)[number];

export async function run(args: string[]): Promise<number> {
  let machine: string | undefined;
  let format: Format = 'svg';
  let out: string | undefined;
  let coveragePath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => args[++i];
    if (a === '--help' || a === '-h') { process.stdout.write(USAGE); return 0; }
    if (a === '--format' || a === '-f') {
      const f = value();
      if (f === undefined || !(FORMATS as readonly string[]).includes(f)) { process.stderr.write(`protosmith viz: --format must be one of ${FORMATS.join(', ')}\n${USAGE}`); return 2; }
      format = f as Format;
    } else if (a === '--out' || a === '-o') {
      out = value();
      if (out === undefined) { process.stderr.write(`protosmith viz: --out needs a file name\n${USAGE}`); return 2; }
    } else if (a === '--coverage') {
      coveragePath = value();
      if (coveragePath === undefined) { process.stderr.write(`protosmith viz: --coverage needs a file name\n${USAGE}`); return 2; }
    } else if (a.startsWith('-')) { process.stderr.write(`protosmith viz: unknown option ${a}\n${USAGE}`); return 2; }
    else if (machine === undefined) machine = a;
    else { process.stderr.write(`protosmith viz: more than one machine given (${machine}, ${a})\n${USAGE}`); return 2; }
  }
  if (machine === undefined) { process.stderr.write(`protosmith viz: no machine given\n${USAGE}`); return 2; }
  const root = projectRoot();
  const file = resolveMachine(root, machine);
  if (file === undefined) {
    const known = machineSpecFiles(root, (d) => (existsSync(d) ? readdirSync(d) : [])).map((f) => f.replace(/^specs\/([^/]+)\/machines\/(.+)\.json$/, '$1/$2'));
    process.stderr.write(`protosmith viz: no machine '${machine}' (known: ${known.join(', ')}; or give a path to a .json spec)\n`);
    return 2;
  }
  const { ir, problems } = loadMachineSpec(root, file);
  for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
  if (ir === undefined) { process.stderr.write(`protosmith viz: ${machine}: the spec has errors (listed above)\n`); return 1; }

  let coverage: Coverage | undefined;
  if (coveragePath !== undefined) {
    if (format === 'mermaid') { process.stderr.write('protosmith viz: --coverage is drawn in svg, dot and html, not mermaid\n'); return 2; }
    const c = readCoverage(coveragePath);
    if (typeof c === 'string') { process.stderr.write(`protosmith viz: ${coveragePath}: ${c}\n`); return 2; }
    coverage = c;
    const unknown = coverageView(drawingOf(ir), c).unknownKeys;
    if (unknown.length > 0) process.stderr.write(`protosmith viz: warning: ${unknown.length} coverage key(s) match no transition of ${ir.name}: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}\n`);
  }
  const opts = coverage ? { coverage } : {};
  const text = format === 'dot' ? emitDot(ir, opts)
    : format === 'mermaid' ? emitMermaid(ir)
    : format === 'svg' ? await machineSvg(ir, opts)
    : await machineHtml(ir, opts);
  if (out === undefined) process.stdout.write(text);
  else { writeFileSync(out, text); process.stderr.write(`wrote ${out} (${format}, ${ir.name})\n`); }
  return 0;
}

function resolveMachine(root: string, machine: string): string | undefined {
  if (machine.endsWith('.json')) {
    const p = isAbsolute(machine) ? machine : resolve(process.cwd(), machine);
    return existsSync(p) ? p : undefined;
  }
  const m = /^([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/.exec(machine);
  if (m === null) return undefined;
  const p = join(root, 'specs', m[1]!, 'machines', `${m[2]!}.json`);
  return existsSync(p) ? p : undefined;
}

/** Reads {"edges": {"FROM|EVENT|TARGET": count}, "rejected"?: {"STATE|EVENT": count}}; returns an error message when malformed. */
export function readCoverage(path: string): Coverage | string {
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { return `cannot read coverage JSON (${(e as Error).message})`; }
  if (typeof raw !== 'object' || raw === null || typeof (raw as { edges?: unknown }).edges !== 'object' || (raw as { edges?: unknown }).edges === null) {
    return 'coverage must be {"edges": {"FROM|EVENT|TARGET": count}}';
  }
  const edges: Record<string, number> = {};
  for (const [k, v] of Object.entries((raw as { edges: Record<string, unknown> }).edges)) {
    if (k.split('|').length !== 3) return `coverage key '${k}' is not FROM|EVENT|TARGET`;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return `coverage count for '${k}' must be a non-negative integer`;
    edges[k] = v;
  }
  const rawRejected = (raw as { rejected?: unknown }).rejected;
  if (rawRejected === undefined) return { edges };
  if (typeof rawRejected !== 'object' || rawRejected === null) return 'coverage "rejected" must be {"STATE|EVENT": count}';
  const rejected: Record<string, number> = {};
  for (const [k, v] of Object.entries(rawRejected)) {
    if (k.split('|').length !== 2) return `rejected-pair key '${k}' is not STATE|EVENT`;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return `coverage count for '${k}' must be a non-negative integer`;
    rejected[k] = v;
  }
  return { edges, rejected };
}
