// (c) Random exploration: fast-check `commands` over long sequences of legal and illegal events, with
// shrinking, plus mutations of legal messages in flight (when the driver offers them). The model is the
// table: for each event the engine must do what one of the table's candidates for (state, event) says
// (guards are facts the driver's scenario decides, so in a random run any candidate is admissible; the
// deterministic walk in ./index.ts checks each guard exactly). A mutated message may instead be refused
// as malformed: then the engine must end in the error state with an alert, and nothing else.
// fast-check is a development dependency: this module is loaded only by tests and by
// `protosmith explore --random N`.
import fc from 'fast-check';
import type { Candidate } from '../machine/index.ts';
import {
  describeExpected, describeObserved, expectedOf, formatReplay, judge, type Disagreement, type Driver, type Observed, type PlannedStep,
} from './index.ts';

export interface RandomOptions {
  readonly runs?: number;
  readonly maxCommands?: number;
  readonly seed?: number;
  /** Mutation kinds the driver implements (see Driver.injectMutated); none: no mutations. */
  readonly mutations?: readonly string[];
}

export interface MutatingDriver<R> extends Driver<R> {
  /** Scenarios random runs start from (default: the driver's scenarios for an empty plan). */
  randomScenarios?(): readonly unknown[];
}

export interface RandomResult {
  readonly runs: number;
  readonly commands: number;
  readonly mutated: number;
  /** Model states the random runs were in (how deep they went). */
  readonly visited: readonly string[];
  readonly disagreement: Disagreement | undefined;
  /** fast-check's report (seed, path, shrunk counterexample) when it failed. */
  readonly report: string | undefined;
}

interface Model { state: string; steps: PlannedStep[] }
interface Real<R> { run: R }

class RandomDisagreement extends Error {
  constructor(readonly d: Disagreement) { super(`${d.state} × ${d.event}: table ${d.table}; engine ${d.engine}`); }
}

function candidates(driver: Driver<unknown>, state: string, event: string): readonly Candidate[] {
  return driver.table.transitions[state]?.[event] ?? [];
}

/** Checks one free (or mutated) step: the engine must agree with one of the table's candidates. */
function check<R>(driver: Driver<R>, m: Model, event: string, o: Observed, mutation: string | undefined): void {
  const from = m.state;
  const n = Math.max(1, candidates(driver as Driver<unknown>, from, event).length);
  const expects = Array.from({ length: n }, (_, i) => expectedOf(driver.table, from, event, i));
  const step: PlannedStep = { from, event, candidate: 0, facts: {}, expect: expects[0]!, free: true };
  m.steps.push(step);
  const processes = candidates(driver as Driver<unknown>, from, event).every((c) => c.alert === undefined && c.refuse === undefined && (c.target !== from || c.actions.length > 0));
  const verdict = mutation !== undefined && processes && !driver.table.absorbing.includes(from) ? driver.mutationVerdict?.(event, mutation) : undefined;
  const ok = verdict !== undefined ? judge(verdict, from, o) === undefined : expects.some((x) => judge(x, from, o) === undefined)
    // a mutated message may be refused as malformed: ERROR, an alert, no effects
    || (mutation !== undefined && o.answer.kind === 'alert' && o.state === 'ERROR' && o.effects.length === 0)
    // a mutation may make the event unrecognisable as itself; any table answer to any event is then fine as long as it is not a crash
    || (mutation !== undefined && o.answer.kind !== 'crash' && driver.table.states.includes(o.state) && o.effects.length === 0 && o.state === from);
  if (!ok) {
    throw new RandomDisagreement({
      machine: driver.name, kind: mutation ? 'mutation' : 'random', state: from, event: mutation ? `${event} (mutated: ${mutation})` : event,
      table: expects.map(describeExpected).join(' | '), engine: describeObserved(o), replay: [...m.steps],
    });
  }
  m.state = o.state;
  visitedStates.add(o.state);
}

const visitedStates = new Set<string>();

/** fast-check `commands` over the driver's events (and mutations); shrinks a failing sequence. */
export async function randomExplore<R>(driver: MutatingDriver<R>, options: RandomOptions = {}): Promise<RandomResult> {
  const events = driver.table.events.filter((e) => driver.impossible?.[e] === undefined);
  const scenarios = driver.randomScenarios?.() ?? driver.scenarios([]);
  let runs = 0;
  let commands = 0;
  let mutated = 0;
  let found: Disagreement | undefined;

  class EventCommand implements fc.AsyncCommand<Model, Real<R>> {
    constructor(readonly event: string) {}
    check(): boolean { return true; }
    async run(m: Model, r: Real<R>): Promise<void> {
      commands++;
      const x = expectedOf(driver.table, m.state, this.event, 0);
      const o = await driver.inject(r.run, { from: m.state, event: this.event, candidate: 0, facts: {}, expect: x, free: true });
      if ('infeasible' in o) return;
      check(driver, m, this.event, o, undefined);
    }
    toString(): string { return this.event; }
  }
  /** The k-th event the table accepts in the model's current state (keeps random runs going deep). */
  class LegalCommand implements fc.AsyncCommand<Model, Real<R>> {
    constructor(readonly k: number) {}
    check(): boolean { return true; }
    async run(m: Model, r: Real<R>): Promise<void> {
      const legal = events.filter((e) => candidates(driver as Driver<unknown>, m.state, e).some((c) => c.alert === undefined && c.refuse === undefined && !driver.table.absorbing.includes(c.target)) && !driver.table.absorbing.includes(m.state));
      if (legal.length === 0) return;
      const event = legal[this.k % legal.length]!;
      commands++;
      const x = expectedOf(driver.table, m.state, event, 0);
      const o = await driver.inject(r.run, { from: m.state, event, candidate: 0, facts: {}, expect: x, free: true });
      if ('infeasible' in o) return;
      check(driver, m, event, o, undefined);
    }
    toString(): string { return `legal#${this.k}`; }
  }
  class MutateCommand implements fc.AsyncCommand<Model, Real<R>> {
    constructor(readonly event: string, readonly mutation: string) {}
    check(): boolean { return driver.injectMutated !== undefined; }
    async run(m: Model, r: Real<R>): Promise<void> {
      commands++;
      const x = expectedOf(driver.table, m.state, this.event, 0);
      const o = await driver.injectMutated!(r.run, { from: m.state, event: this.event, candidate: 0, facts: {}, expect: x, free: true }, this.mutation);
      if ('infeasible' in o) return;
      mutated++;
      check(driver, m, this.event, o, this.mutation);
    }
    toString(): string { return `${this.event}~${this.mutation}`; }
  }

  const peerEvents = events.filter((e) => driver.table.eventSources[e] === 'peer');
  // mostly events the table accepts (so runs go deep), some arbitrary ones (mostly rejected: each ends its run)
  const arbs: fc.Arbitrary<fc.AsyncCommand<Model, Real<R>>>[] = [
    fc.oneof({ arbitrary: fc.nat({ max: 31 }).map((k): fc.AsyncCommand<Model, Real<R>> => new LegalCommand(k)), weight: 6 }, { arbitrary: fc.constantFrom(...events).map((e): fc.AsyncCommand<Model, Real<R>> => new EventCommand(e)), weight: 1 }),
  ];
  if (options.mutations && options.mutations.length > 0 && driver.injectMutated && peerEvents.length > 0) {
    const legal = fc.nat({ max: 31 }).map((k): fc.AsyncCommand<Model, Real<R>> => new LegalCommand(k));
    const any = fc.constantFrom(...events).map((e): fc.AsyncCommand<Model, Real<R>> => new EventCommand(e));
    const mutate = fc.tuple(fc.constantFrom(...peerEvents), fc.constantFrom(...options.mutations)).map(([e, k]): fc.AsyncCommand<Model, Real<R>> => new MutateCommand(e, k));
    arbs.splice(0, arbs.length, fc.oneof({ arbitrary: legal, weight: 8 }, { arbitrary: any, weight: 1 }, { arbitrary: mutate, weight: 1 }));
  }
  const property = fc.asyncProperty(
    fc.nat({ max: Math.max(0, scenarios.length - 1) }),
    fc.commands(arbs, { maxCommands: options.maxCommands ?? 12, size: 'max' }),
    async (si, cmds) => {
      runs++;
      let run: R;
      try { run = await driver.begin(scenarios[si]); } catch { return; }
      try {
        await fc.asyncModelRun(() => ({ model: { state: driver.table.initial, steps: [] }, real: { run } }), cmds);
      } catch (e) {
        if (e instanceof RandomDisagreement) { found = e.d; }
        throw e;
      } finally {
        await driver.end?.(run);
      }
    },
  );
  const out = await fc.check(property, { numRuns: options.runs ?? 100, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  const visited = [...visitedStates].sort();
  visitedStates.clear();
  return { runs, commands, mutated, visited, disagreement: out.failed ? found : undefined, report: out.failed ? fc.defaultReportMessage(out) ?? 'failed' : undefined };
}

export { formatReplay };
