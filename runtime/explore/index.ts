// Model-based exploration of a REAL protocol engine against its generated transition table.
//
// The explorer knows nothing about any protocol. It takes
//   - a machine: the generated table (runtime/machine's MachineTable) and the xstate config it was
//     generated from (walked with xstate/graph for shortest paths), and
//   - a driver: how to start a fresh engine for a planned path, how to make each event happen to it
//     (build and inject a message, or call the engine's API), and how to read back the engine's state
//     and its answer (an alert, a typed refusal, nothing),
// and checks that the engine does what the table says:
//   (a) every state is reached by a shortest path and every edge (each candidate of each (state,
//       event)) is walked; after every step the engine's state must equal the model's;
//   (b) in every reachable state every event the table rejects is injected; the engine must answer with
//       exactly the table's alert (or a typed refusal for a local request), emit nothing else (no
//       application data, no secret), and be in the table's target state (ERROR, or unchanged);
//   (c) random sequences (./random.ts, fast-check) and message mutations (the driver's `mutations`);
//   (d) a disagreement names the state, the event, what the table says, what the engine did, and the
//       shortest replay (the planned steps from the initial state).
// Imports: runtime/machine and xstate (the spec is an xstate v5 config; Stately's tools read it too).
import { createMachine, type AnyStateMachine } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import type { Candidate, MachineTable } from '../machine/index.ts';

/** What the table says about one planned step. */
export type Expected =
  | { readonly kind: 'transition'; readonly target: string }
  | { readonly kind: 'alert'; readonly alert: string; readonly target: string }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'absorbed' };

/** One step of a planned path: the event, which candidate of (from, event) the model takes, and the
 *  guard values that make the table pick exactly that candidate (earlier guarded candidates false). */
export interface PlannedStep {
  readonly from: string;
  readonly event: string;
  readonly candidate: number;
  readonly facts: Readonly<Record<string, boolean>>;
  readonly expect: Expected;
  /** Set when the step comes from a random run: the driver picks any realisation of the event. */
  readonly free?: boolean;
}

/** What the engine did on one step, as read by the driver. */
export interface Observed {
  /** Engine state after the step (its table state name). */
  readonly state: string;
  readonly answer:
    | { readonly kind: 'ok' }
    | { readonly kind: 'alert'; readonly alert: string; readonly detail?: string }
    | { readonly kind: 'refused'; readonly detail?: string }
    | { readonly kind: 'absorbed' }
    | { readonly kind: 'crash'; readonly detail: string };
  /** Effects a rejected event must never cause (e.g. 'application data delivered', 'handshake message sent'). */
  readonly effects: readonly string[];
}

/** The driver could not realise a planned step in this scenario (try another path or scenario). */
export interface Infeasible { readonly infeasible: string }

export interface Driver<Run> {
  /** e.g. 'tls13/client' */
  readonly name: string;
  readonly table: MachineTable;
  /** The xstate v5 config (the spec JSON) the table was generated from. */
  readonly spec: object;
  /** Scenarios (configurations) for a planned path whose guard facts they satisfy, most likely first.
   *  Empty: no configuration of this driver can realise the path. */
  scenarios(plan: readonly PlannedStep[]): readonly unknown[];
  /** Start a fresh engine (and peer) for `scenario`. */
  begin(scenario: unknown): Promise<Run>;
  /** Make one event happen to the engine and report what it did. */
  inject(run: Run, step: PlannedStep): Promise<Observed | Infeasible>;
  /** Release what `begin` made. */
  end?(run: Run): Promise<void>;
  /** Events the driver has no way to produce at all (documented reason), e.g. a server has no start(). */
  readonly impossible?: Readonly<Record<string, string>>;
  /** Inject `step`'s event with its message altered by `mutation` (e.g. 'length-short', 'type', 'flip-last'). */
  injectMutated?(run: Run, step: PlannedStep, mutation: string): Promise<Observed | Infeasible>;
  /** What a mutated message that the table would accept must get (e.g. a Finished with a flipped MAC:
   *  decrypt_error). Undefined: the engine may accept it or refuse it with any alert, never crash. */
  mutationVerdict?(event: string, mutation: string): Expected | undefined;
  /** Injections that are not events of the table (records under wrong keys, unknown content types...),
   *  each with what the engine must answer in a state (undefined: not applicable there). */
  readonly probes?: readonly { readonly name: string; readonly rule: string; expect(state: string): Expected | undefined }[];
  injectProbe?(run: Run, state: string, probe: string): Promise<Observed | Infeasible>;
  /** Optional check of what an accepted step did against the candidate's actions (e.g. the messages a
   *  send<Message> action names were sent, and no others); undefined when it matches. */
  checkTransition?(step: PlannedStep, candidate: Candidate, observed: Observed): string | undefined;
}

/** Judge a step whose message was mutated in flight. */
export function judgeMutated(driver: Driver<unknown>, step: PlannedStep, mutation: string, o: Observed): string | undefined {
  if (o.answer.kind === 'crash') return 'the engine crashed on a mutated message';
  // a verdict applies where the table processes the message (a state change or actions), not where it ignores it
  const c = driver.table.transitions[step.from]?.[step.event]?.[step.candidate];
  const processes = c !== undefined && (c.target !== step.from || c.actions.length > 0);
  const verdict = step.expect.kind === 'transition' && processes ? driver.mutationVerdict?.(step.event, mutation) : undefined;
  if (verdict !== undefined) return judge(verdict, step.from, o);
  if (judge(step.expect, step.from, o) === undefined) return undefined;
  if (o.answer.kind === 'alert' && driver.table.absorbing.includes(o.state) && o.effects.length === 0) return undefined;
  return `neither the table's answer nor a clean refusal of the malformed message`;
}

export interface Disagreement {
  readonly machine: string;
  readonly kind: 'edge' | 'rejected' | 'random' | 'mutation';
  readonly state: string;
  readonly event: string;
  readonly table: string;
  readonly engine: string;
  readonly replay: readonly PlannedStep[];
}

export interface ExploreResult {
  readonly machine: string;
  readonly states: { readonly total: number; readonly reached: number; readonly unreached: readonly string[] };
  readonly edges: { readonly total: number; readonly walked: number; readonly missing: readonly string[] };
  readonly rejected: { readonly total: number; readonly checked: number; readonly missing: readonly string[] };
  readonly runs: number;
  readonly steps: number;
  /** Mutated messages injected (options.mutations). */
  readonly mutated: number;
  /** Driver probes injected (records under wrong keys and the like). */
  readonly probed: number;
  readonly disagreements: readonly Disagreement[];
  /** Coverage for `protosmith viz --coverage`: edges (and error edges) as FROM|EVENT|TARGET, and
   *  every rejected (state, event) pair (refusals and absorbed events included) as STATE|EVENT. */
  readonly coverage: Coverage;
}

export interface Coverage {
  readonly machine: string;
  readonly edges: Record<string, number>;
  readonly rejected: Record<string, number>;
}

/** An exploration target: one candidate of one (state, event). */
export interface Target {
  readonly kind: 'edge' | 'rejected';
  readonly state: string;
  readonly event: string;
  readonly candidate: number;
  readonly id: string;
}

// ---- the model --------------------------------------------------------------------------------

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function candidatesOf(table: MachineTable, state: string, event: string): readonly Candidate[] {
  const row = table.transitions[state];
  return row && has(row, event) ? row[event]! : [];
}

/** Guard values under which the table picks candidate `i` of (state, event). */
export function factsFor(table: MachineTable, state: string, event: string, i: number): Record<string, boolean> {
  const cs = candidatesOf(table, state, event);
  const facts: Record<string, boolean> = {};
  for (let j = 0; j < i; j++) { const g = cs[j]!.guard; if (g !== undefined) facts[g] = false; }
  const g = cs[i]?.guard;
  if (g !== undefined) facts[g] = true;
  return facts;
}

export function expectedOf(table: MachineTable, state: string, event: string, i: number): Expected {
  if (table.absorbing.includes(state)) return { kind: 'absorbed' };
  const c = candidatesOf(table, state, event)[i]!;
  if (c.refuse !== undefined) return { kind: 'refused', reason: c.refuse };
  if (c.alert !== undefined) return { kind: 'alert', alert: c.alert, target: c.target };
  return { kind: 'transition', target: c.target };
}

export function plannedStep(table: MachineTable, state: string, event: string, i: number): PlannedStep {
  return { from: state, event, candidate: i, facts: factsFor(table, state, event, i), expect: expectedOf(table, state, event, i) };
}

const targetId = (state: string, event: string, i: number, c: Candidate | undefined): string =>
  `${state}|${event}#${i}${c?.guard ? `[${c.guard}]` : ''}`;

/** Every edge and every rejected pair of the table (absorbing states: one rejected pair per event). */
export function targetsOf(table: MachineTable): Target[] {
  const out: Target[] = [];
  for (const s of table.states) {
    for (const e of table.events) {
      if (table.absorbing.includes(s)) { out.push({ kind: 'rejected', state: s, event: e, candidate: 0, id: `${s}|${e}` }); continue; }
      candidatesOf(table, s, e).forEach((c, i) => {
        const kind = c.refuse !== undefined || c.alert !== undefined ? 'rejected' : 'edge';
        out.push({ kind, state: s, event: e, candidate: i, id: targetId(s, e, i, c) });
      });
    }
  }
  return out;
}

/** Shortest paths (xstate/graph over the spec) from the initial state to every reachable state, as
 *  planned steps. Guards are free: each (state, event, candidate) is an event carrying its facts. */
export function shortestPaths(table: MachineTable, spec: object): Map<string, PlannedStep[]> {
  interface Ev { type: string; candidate: number; facts: Record<string, boolean> }
  const guards = Object.fromEntries(table.guards.map((g) => [g, ({ event }: { event: Ev }) => event.facts?.[g] === true]));
  const machine = createMachine(spec as never, { guards } as never) as unknown as AnyStateMachine;
  const events = (snap: { value: unknown }): Ev[] => {
    const s = String(snap.value);
    if (table.absorbing.includes(s)) return [];
    const out: Ev[] = [];
    for (const e of table.events) candidatesOf(table, s, e).forEach((c, i) => {
      if (c.refuse === undefined) out.push({ type: e, candidate: i, facts: factsFor(table, s, e, i) });
    });
    return out;
  };
  const paths = getShortestPaths(machine, { events: events as never, serializeEvent: (e) => JSON.stringify(e) });
  const out = new Map<string, PlannedStep[]>();
  for (const p of paths) {
    const steps: PlannedStep[] = [];
    let at = table.initial;
    for (const st of p.steps) {
      const ev = st.event as unknown as Ev;
      if (ev.type.startsWith('xstate.')) continue;
      const step = plannedStep(table, at, ev.type, ev.candidate);
      const x = step.expect;
      const target = x.kind === 'transition' || x.kind === 'alert' ? x.target : at;
      if (target !== String(st.state.value)) {
        throw new ExploreError(`xstate/graph and the generated table disagree on ${at} --${ev.type}#${ev.candidate}--> (${String(st.state.value)} vs ${target}): generated/ is stale; run protosmith generate`);
      }
      steps.push(step);
      at = target;
    }
    const prev = out.get(at);
    if (prev === undefined || prev.length > steps.length) out.set(at, steps);
  }
  return out;
}

/** Simple paths (no state twice) from the initial state to `state`, shortest first, up to `limit`. */
export function simplePaths(table: MachineTable, state: string, limit = 400): PlannedStep[][] {
  const out: PlannedStep[][] = [];
  let frontier: { at: string; steps: PlannedStep[]; seen: Set<string> }[] = [{ at: table.initial, steps: [], seen: new Set([table.initial]) }];
  if (state === table.initial) return [[]];
  while (frontier.length > 0 && out.length < limit) {
    const next: typeof frontier = [];
    for (const f of frontier) {
      if (table.absorbing.includes(f.at)) continue;
      for (const e of table.events) {
        candidatesOf(table, f.at, e).forEach((c, i) => {
          if (c.refuse !== undefined || f.seen.has(c.target)) return;
          const steps = [...f.steps, plannedStep(table, f.at, e, i)];
          if (c.target === state) { if (out.length < limit) out.push(steps); return; }
          next.push({ at: c.target, steps, seen: new Set([...f.seen, c.target]) });
        });
      }
    }
    frontier = next;
  }
  return out;
}

// ---- running ------------------------------------------------------------------------------------

export class ExploreError extends Error {
  readonly code = 'EXPLORE_FAILED';
  readonly blame = 'config' as const;
  constructor(message: string) { super(message); this.name = 'ExploreError'; }
}

export function describeExpected(x: Expected): string {
  switch (x.kind) {
    case 'transition': return `go to ${x.target}, no alert`;
    case 'alert': return `send alert ${x.alert}, go to ${x.target}`;
    case 'refused': return `refuse the local request (${x.reason}), state unchanged`;
    case 'absorbed': return 'ignore it (absorbing state), nothing sent';
  }
}

export function describeObserved(o: Observed): string {
  const a = o.answer;
  const what = a.kind === 'ok' ? 'no alert' : a.kind === 'alert' ? `alert ${a.alert}` : a.kind === 'refused' ? 'typed refusal' : a.kind === 'absorbed' ? 'ignored it' : 'CRASHED';
  const detail = 'detail' in a && a.detail ? ` (${a.detail})` : '';
  return `${what}${detail}, state ${o.state}${o.effects.length > 0 ? `; effects: ${o.effects.join(', ')}` : ''}`;
}

export function stepLabel(s: PlannedStep): string {
  const g = Object.entries(s.facts).map(([k, v]) => (v ? k : `!${k}`)).join(',');
  return `${s.event}${g ? `[${g}]` : ''}`;
}

export function formatReplay(steps: readonly PlannedStep[]): string {
  if (steps.length === 0) return '(initial state)';
  return steps.map((s) => `${s.from} --${stepLabel(s)}-->`).join(' ') + ' ?';
}

/** The printed form of a disagreement (what `protosmith explore` and the tests show). */
export function formatDisagreement(d: Disagreement): string {
  return [
    `DISAGREEMENT ${d.machine} (${d.kind}) in state ${d.state} on event ${d.event}`,
    `  table : ${d.table}`,
    `  engine: ${d.engine}`,
    `  replay: ${formatReplay(d.replay)}`,
  ].join('\n');
}

/** Does the observed step match the table? undefined when it does, else what is wrong. */
export function judge(x: Expected, from: string, o: Observed): string | undefined {
  if (o.answer.kind === 'crash') return 'the engine crashed';
  switch (x.kind) {
    case 'transition':
      if (o.answer.kind !== 'ok') return 'the engine rejected an event the table accepts';
      if (o.state !== x.target) return `engine went to ${o.state}, model to ${x.target}`;
      return undefined;
    case 'alert':
      if (o.answer.kind !== 'alert') return 'the engine did not answer with the table\'s alert';
      if (o.answer.alert !== x.alert) return `alert ${o.answer.alert} instead of ${x.alert}`;
      if (o.state !== x.target) return `engine went to ${o.state}, model to ${x.target}`;
      if (o.effects.length > 0) return `a rejected event had effects: ${o.effects.join(', ')}`;
      return undefined;
    case 'refused':
      if (o.answer.kind !== 'refused') return 'the engine did not refuse a local request the table refuses';
      if (o.state !== from) return `a refused request moved the engine from ${from} to ${o.state}`;
      if (o.effects.length > 0) return `a refused request had effects: ${o.effects.join(', ')}`;
      return undefined;
    case 'absorbed':
      if (o.answer.kind === 'alert') return `the engine sent alert ${o.answer.alert} from an absorbing state`;
      if (o.state !== from) return `the engine left the absorbing state ${from} for ${o.state}`;
      if (o.effects.length > 0) return `an absorbed event had effects: ${o.effects.join(', ')}`;
      return undefined;
  }
}

interface Attempt { readonly steps: readonly PlannedStep[]; readonly observed: readonly Observed[]; readonly infeasible?: string }

/** Runs `steps` on a fresh engine in `scenario`, stopping at the first step the driver cannot make. */
export async function runPlan<R>(driver: Driver<R>, scenario: unknown, steps: readonly PlannedStep[]): Promise<Attempt> {
  let run: R;
  try { run = await driver.begin(scenario); } catch (e) { return { steps, observed: [], infeasible: `the driver could not set up this scenario: ${(e as Error).message}` }; }
  const observed: Observed[] = [];
  try {
    for (const s of steps) {
      const o = await driver.inject(run, s);
      if ('infeasible' in o) return { steps, observed, infeasible: o.infeasible };
      observed.push(o);
    }
    return { steps, observed };
  } finally {
    await driver.end?.(run);
  }
}

export interface ExploreOptions {
  /** Called with each disagreement as it is found. */
  readonly onDisagreement?: (d: Disagreement) => void;
  /** Only explore targets whose id matches (for quick looks). */
  readonly filter?: (t: Target) => boolean;
  /** Maximum prefixes tried per target before it is reported as missing (default 60). */
  readonly maxPrefixes?: number;
  /** Also inject each walked edge's message mutated in each of these ways (driver.injectMutated). */
  readonly mutations?: readonly string[];
  /** Stop at the first disagreement that `known` does not list (seeded-bug checks). */
  readonly stopAtFirst?: boolean;
  /** Disagreements already recorded (e.g. test/explore/KNOWN_DISAGREEMENTS.md); still reported. */
  readonly known?: (d: Disagreement) => boolean;
}

/** The stable key of a disagreement: machine, kind, state and event (a mutated event without its facts). */
export function disagreementKey(d: Disagreement): string {
  const event = d.kind === 'mutation' ? d.event.replace(/\[[^\]]*\]/g, '') : d.event;
  return `${d.machine} ${d.kind} ${d.state} ${event}`;
}

/** (a) + (b): walk every edge and inject every rejected event in every reachable state. */
export async function explore<R>(driver: Driver<R>, options: ExploreOptions = {}): Promise<ExploreResult> {
  const table = driver.table;
  const shortest = shortestPaths(table, driver.spec);
  const targets = targetsOf(table).filter((t) => options.filter?.(t) ?? true);
  const edgesHit: Record<string, number> = {};
  const rejectedHit: Record<string, number> = {};
  const disagreements: Disagreement[] = [];
  const walked = new Set<string>();
  const reached = new Set<string>([table.initial]);
  let runs = 0;
  let steps = 0;
  let mutated = 0;
  const maxPrefixes = options.maxPrefixes ?? 60;
  /** Prefix that worked last time per state, tried first. */
  const goodPrefix = new Map<string, PlannedStep[]>();
  const whyMissing = new Map<string, string>();
  /** Prefix steps that disagreed once: paths through them are not tried again. */
  const badSteps = new Set<string>();
  const stepKey = (p: PlannedStep): string => `${p.from}|${p.event}#${p.candidate}`;
  const noPath = 'no path from the initial state';
  const goodScenario = new Map<string, unknown>();

  const record = (step: PlannedStep, o: Observed): void => {
    const x = step.expect;
    if (x.kind === 'transition' || x.kind === 'alert') {
      const k = `${step.from}|${step.event}|${x.target}`;
      edgesHit[k] = (edgesHit[k] ?? 0) + 1;
      reached.add(x.target);
    }
    if (x.kind !== 'transition') { const k = `${step.from}|${step.event}`; rejectedHit[k] = (rejectedHit[k] ?? 0) + 1; }
    void o;
  };

  for (const t of targets) {
    if (options.stopAtFirst && disagreements.some((d) => !(options.known?.(d) ?? false))) break;
    if (driver.impossible?.[t.event] !== undefined && t.kind === 'rejected') {
      // An event the driver cannot produce at all (e.g. Start on a server, which has no start()): the
      // engine refuses it by construction; counted only when the table refuses or ignores it too.
      const x = expectedOf(table, t.state, t.event, t.candidate);
      if (x.kind === 'refused' || x.kind === 'absorbed') { walked.add(t.id); rejectedHit[`${t.state}|${t.event}`] = (rejectedHit[`${t.state}|${t.event}`] ?? 0) + 1; continue; }
    }
    const last = plannedStep(table, t.state, t.event, t.candidate);
    const prefixes: PlannedStep[][] = [];
    const seen = new Set<string>();
    const add = (p: PlannedStep[] | undefined): void => {
      if (!p) return;
      const k = p.map((s) => `${s.from}/${s.event}/${s.candidate}`).join(' ');
      if (!seen.has(k)) { seen.add(k); prefixes.push(p); }
    };
    if (table.absorbing.includes(t.state)) {
      // reach ERROR / CLOSED by every shortest way the table offers; any will do
      add(goodPrefix.get(t.state));
      add(shortest.get(t.state));
      for (const p of simplePaths(table, t.state, maxPrefixes)) add(p);
    } else {
      add(goodPrefix.get(t.state));
      add(shortest.get(t.state));
      for (const p of simplePaths(table, t.state, maxPrefixes)) add(p);
    }
    let done = false;
    let lastReason = noPath;
    for (const prefix of prefixes.slice(0, maxPrefixes)) {
      const broken = prefix.find((p) => badSteps.has(stepKey(p)));
      if (broken) { lastReason = `the way there passes ${broken.from} --${stepLabel(broken)}-->, which disagrees`; continue; }
      const plan = [...prefix, last];
      const scenarios = driver.scenarios(plan);
      if (scenarios.length === 0) { if (lastReason === noPath) lastReason = 'no scenario of the driver satisfies the guard facts of any path'; continue; }
      for (const sc of scenarios) {
        runs++;
        const a = await runPlan(driver, sc, plan);
        steps += a.observed.length;
        if (a.infeasible !== undefined) { lastReason = a.infeasible; continue; }
        // the prefix must behave as modelled, or the final step proves nothing
        let ok = true;
        let prefixFailed = false;
        for (let i = 0; i < plan.length; i++) {
          const step = plan[i]!;
          const o = a.observed[i]!;
          let wrong = judge(step.expect, step.from, o);
          if (wrong === undefined && step.expect.kind === 'transition' && driver.checkTransition) {
            const c = candidatesOf(table, step.from, step.event)[step.candidate];
            if (c) wrong = driver.checkTransition(step, c, o);
          }
          if (wrong === undefined) record(step, o);
          if (wrong === undefined && i < plan.length - 1 && step.expect.kind === 'transition') walked.add(targetId(step.from, step.event, step.candidate, candidatesOf(table, step.from, step.event)[step.candidate]));
          if (wrong !== undefined) {
            const d: Disagreement = {
              machine: driver.name, kind: i === plan.length - 1 ? t.kind : 'edge', state: step.from, event: stepLabel(step),
              table: describeExpected(step.expect), engine: `${describeObserved(o)} — ${wrong}`, replay: plan.slice(0, i + 1),
            };
            if (!disagreements.some((x) => x.state === d.state && x.event === d.event && x.kind === d.kind)) { disagreements.push(d); options.onDisagreement?.(d); }
            ok = false;
            if (i < plan.length - 1) {
              // the target was not reached: this prefix step is broken; try other ways there
              prefixFailed = true;
              badSteps.add(stepKey(step));
              lastReason = `every way there disagrees first (${step.from} --${stepLabel(step)}-->)`;
            } else record(step, o);
            break;
          }
        }
        if (prefixFailed) continue;
        done = true;
        walked.add(t.id);
        if (ok) { goodPrefix.set(t.state, prefix); goodScenario.set(t.state, sc); }
        if (ok && t.kind === 'edge' && options.mutations && driver.injectMutated) {
          for (const m of options.mutations) {
            let mrun: R;
            try { mrun = await driver.begin(sc); } catch { continue; }
            runs++;
            try {
              let feasible = true;
              for (const p of prefix) { const o = await driver.inject(mrun, p); steps++; if ('infeasible' in o) { feasible = false; break; } }
              if (!feasible) continue;
              const o = await driver.injectMutated(mrun, last, m);
              if ('infeasible' in o) continue;
              steps++;
              mutated++;
              const wrong = judgeMutated(driver as Driver<unknown>, last, m, o);
              if (wrong !== undefined) {
                const d: Disagreement = {
                  machine: driver.name, kind: 'mutation', state: last.from, event: `${stepLabel(last)} mutated by ${m}`,
                  table: describeExpected(driver.mutationVerdict?.(last.event, m) ?? last.expect), engine: `${describeObserved(o)} — ${wrong}`, replay: plan,
                };
                if (!disagreements.some((x) => disagreementKey(x) === disagreementKey(d))) { disagreements.push(d); options.onDisagreement?.(d); }
              }
            } finally { await driver.end?.(mrun); }
          }
        }
        break;
      }
      if (done) break;
    }
    if (!done) whyMissing.set(t.id, lastReason);
  }

  // probes: in every reached, non-absorbing state, each injection the driver defines beyond the table
  let probed = 0;
  if (driver.probes && driver.injectProbe && !(options.stopAtFirst && disagreements.some((d) => !(options.known?.(d) ?? false)))) {
    for (const state of table.states) {
      if (table.absorbing.includes(state) || !goodPrefix.has(state)) continue;
      if (options.filter && !targets.some((t) => t.state === state)) continue;
      for (const probe of driver.probes) {
        const x = probe.expect(state);
        if (x === undefined) continue;
        let prun: R;
        try { prun = await driver.begin(goodScenario.get(state)); } catch { continue; }
        runs++;
        try {
          const prefix = goodPrefix.get(state)!;
          let feasible = true;
          for (const p of prefix) { const o = await driver.inject(prun, p); steps++; if ('infeasible' in o) { feasible = false; break; } }
          if (!feasible) continue;
          const o = await driver.injectProbe(prun, state, probe.name);
          if ('infeasible' in o) continue;
          steps++;
          probed++;
          const wrong = judge(x, state, o);
          if (wrong !== undefined) {
            const d: Disagreement = {
              machine: driver.name, kind: 'rejected', state, event: `probe ${probe.name}`, table: `${describeExpected(x)} (${probe.rule})`,
              engine: `${describeObserved(o)} — ${wrong}`, replay: prefix,
            };
            disagreements.push(d);
            options.onDisagreement?.(d);
          }
        } finally { await driver.end?.(prun); }
      }
    }
  }

  const all = targetsOf(table);
  const edgeTargets = all.filter((t) => t.kind === 'edge');
  const rejTargets = all.filter((t) => t.kind === 'rejected');
  return {
    machine: driver.name,
    states: { total: table.states.length, reached: reached.size, unreached: table.states.filter((s) => !reached.has(s)) },
    edges: { total: edgeTargets.length, walked: edgeTargets.filter((t) => walked.has(t.id)).length, missing: edgeTargets.filter((t) => !walked.has(t.id)).map((t) => `${t.id} (${whyMissing.get(t.id) ?? 'not attempted'})`) },
    rejected: { total: rejTargets.length, checked: rejTargets.filter((t) => walked.has(t.id)).length, missing: rejTargets.filter((t) => !walked.has(t.id)).map((t) => `${t.id} (${whyMissing.get(t.id) ?? 'not attempted'})`) },
    runs,
    steps,
    mutated,
    probed,
    disagreements,
    coverage: { machine: driver.name, edges: edgesHit, rejected: rejectedHit },
  };
}

/** One line per figure, for the CLI and the tests' messages. */
export function summary(r: ExploreResult): string {
  return `${r.machine}: ${r.states.reached}/${r.states.total} states, ${r.edges.walked}/${r.edges.total} edges, `
    + `${r.rejected.checked}/${r.rejected.total} rejected pairs, ${r.runs} runs, ${r.steps} steps${r.mutated > 0 ? `, ${r.mutated} mutated messages` : ''}${r.probed > 0 ? `, ${r.probed} probes` : ''}, ${r.disagreements.length} disagreement(s)`;
}
