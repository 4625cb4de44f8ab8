// The drawing model every diagram is made from (DOT, Mermaid, SVG, HTML): one edge per (from, target)
// pair, carrying every candidate that goes that way. Read only from the MachineIR. Refusals (local
// requests refused, state unchanged) are not drawn; wildcard candidates of a state are folded into one
// "* ⇒ alert" line on its edge to ERROR.
import type { MachineIR, TransitionIR } from './ir.ts';

export interface DrawnCandidate {
  readonly event: string;
  readonly guard?: string;
  readonly actions: readonly string[];
  readonly alert?: string;
  readonly rfc?: string;
  readonly wildcard: boolean;
  /** Unguarded, after guarded candidates for the same event: taken when none of their guards holds. */
  readonly otherwise?: boolean;
  /** spec file:line */
  readonly at: string;
}

export interface DrawnEdge {
  /** XML-safe id, unique per drawing: e__FROM__TARGET */
  readonly id: string;
  readonly from: string;
  readonly target: string;
  /** Label lines, e.g. "Finished [earlyDataAccepted]", "* ⇒ unexpected_message". */
  readonly lines: readonly string[];
  readonly candidates: readonly DrawnCandidate[];
  /** Coverage keys "FROM|EVENT|TARGET" of every candidate on the edge (wildcards included). */
  readonly keys: readonly string[];
  readonly error: boolean;
}

export interface Drawing {
  readonly name: string;
  readonly initial: string;
  readonly states: readonly { id: string; name: string; absorbing: boolean; description: string }[];
  readonly edges: readonly DrawnEdge[];
}

export const safeId = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`);
export const stateId = (s: string): string => `s__${safeId(s)}`;

const guardText = (t: TransitionIR): string => (t.guard ? ` [${t.guard.negated ? '!' : ''}${t.guard.name}]` : '');

export function drawingOf(ir: MachineIR): Drawing {
  const edges = new Map<string, { from: string; target: string; lines: string[]; candidates: DrawnCandidate[]; keys: string[] }>();
  const guardedSeen = new Set<string>();
  for (const t of ir.transitions) {
    const pair = `${t.from}\u0000${t.event}`;
    const otherwise = t.guard === undefined && guardedSeen.has(pair);
    if (t.guard !== undefined) guardedSeen.add(pair);
    if (t.refuse !== undefined || ir.absorbing.includes(t.from)) continue;
    const k = `${t.from}\u0000${t.target}`;
    let e = edges.get(k);
    if (e === undefined) edges.set(k, (e = { from: t.from, target: t.target, lines: [], candidates: [], keys: [] }));
    const line = t.wildcard ? `*${t.alert ? ` ⇒ ${t.alert}` : ''}` : `${t.event}${otherwise ? ' [else]' : guardText(t)}${t.alert ? ` ⇒ ${t.alert}` : ''}`;
    if (!e.lines.includes(line)) e.lines.push(line);
    const covKey = `${t.from}|${t.event}|${t.target}`;
    if (!e.keys.includes(covKey)) e.keys.push(covKey);
    if (t.wildcard && e.candidates.some((c) => c.wildcard)) continue;
    e.candidates.push({
      event: t.wildcard ? '*' : t.event,
      ...(t.guard ? { guard: `${t.guard.negated ? '!' : ''}${t.guard.name}` } : {}),
      actions: t.actions,
      ...(t.alert ? { alert: t.alert } : {}),
      ...(t.rfc ? { rfc: t.rfc } : {}),
      wildcard: t.wildcard,
      ...(otherwise ? { otherwise: true } : {}),
      at: `${t.at.file}:${t.at.line}`,
    });
  }
  // Wildcard line last on each edge so explicit events read first.
  const out: DrawnEdge[] = [...edges.values()].map((e) => ({
    id: `e__${safeId(e.from)}__${safeId(e.target)}`,
    from: e.from,
    target: e.target,
    lines: [...e.lines.filter((l) => !l.startsWith('*')), ...e.lines.filter((l) => l.startsWith('*'))],
    candidates: e.candidates,
    keys: e.keys,
    error: e.target === 'ERROR' || e.candidates.every((c) => c.alert !== undefined),
  }));
  return {
    name: ir.name,
    initial: ir.initial,
    states: ir.states.map((s) => ({ id: stateId(s), name: s, absorbing: ir.absorbing.includes(s), description: withReadKeys(ir, s, ir.docs?.states[s] ?? '') })),
    edges: out,
  };
}

/** Coverage input of `protosmith viz --coverage FILE`: hit counts per "FROM|EVENT|TARGET", and (as
 *  `protosmith explore` writes) per rejected "STATE|EVENT" pair. */
export interface Coverage {
  readonly edges: Readonly<Record<string, number>>;
  readonly rejected?: Readonly<Record<string, number>>;
}

/** Every (state, event) the table rejects somewhere — an alert or refusal candidate, or an absorbing state —
 *  as "STATE|EVENT" (refusals are not drawn; this is how the page reports them). */
export function rejectedPairs(ir: MachineIR): string[] {
  const out = new Set<string>();
  for (const t of ir.transitions) {
    if (ir.absorbing.includes(t.from) || t.alert !== undefined || t.refuse !== undefined) out.add(`${t.from}|${t.event}`);
  }
  for (const s of ir.absorbing) for (const e of ir.events) out.add(`${s}|${e}`);
  return [...out].sort();
}

export interface CoverageView {
  /** Hits per drawn edge id. */
  readonly edgeHits: ReadonlyMap<string, number>;
  /** Hits per state (sum of hits of edges entering it; the initial state counts every edge leaving it). */
  readonly stateHits: ReadonlyMap<string, number>;
  readonly max: number;
  /** Keys in the file that match no transition of the machine. */
  readonly unknownKeys: readonly string[];
}

export function coverageView(d: Drawing, cov: Coverage): CoverageView {
  const edgeHits = new Map<string, number>();
  const stateHits = new Map<string, number>(d.states.map((s) => [s.name, 0]));
  const known = new Set<string>();
  for (const e of d.edges) {
    let n = 0;
    for (const k of e.keys) { known.add(k); n += cov.edges[k] ?? 0; }
    edgeHits.set(e.id, n);
    stateHits.set(e.target, (stateHits.get(e.target) ?? 0) + n);
    if (e.from === d.initial) stateHits.set(d.initial, (stateHits.get(d.initial) ?? 0) + n);
  }
  const max = Math.max(0, ...edgeHits.values());
  return { edgeHits, stateHits, max, unknownKeys: Object.keys(cov.edges).filter((k) => !known.has(k)).sort() };
}

/** Colour for a hit count: grey for 0, then light to dark green by share of the maximum. */
export function heatColour(hits: number, max: number): string {
  if (hits <= 0 || max <= 0) return '#c0392b';
  const steps = ['#a9dfbf', '#52be80', '#27ae60', '#1e8449', '#145a32'];
  const i = Math.min(steps.length - 1, Math.floor((Math.log(hits + 1) / Math.log(max + 1)) * (steps.length - 1)));
  return steps[i]!;
}

/** A state's description with the protection of the peer's records there (spec meta.readKeys), if declared. */
function withReadKeys(ir: MachineIR, state: string, description: string): string {
  const level = ir.readKeys?.states[state];
  if (level === undefined) return description;
  const skip = ir.readKeys?.skip[state];
  return `${description}${description ? ' ' : ''}[peer records: ${level}${skip !== undefined ? `; unreadable ones skipped while ${skip}` : ''}]`;
}
