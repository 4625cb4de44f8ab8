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
  const verdict = mutation !== undefined && expects.every((x) => x.kind === 'transition') ? driver.mutationVerdict?.(event, mutation) : undefined;
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
}

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
  const arbs: fc.Arbitrary<fc.AsyncCommand<Model, Real<R>>>[] = [fc.constantFrom(...events).map((e) => new EventCommand(e))];
  if (options.mutations && options.mutations.length > 0 && driver.injectMutated && peerEvents.length > 0) {
    arbs.push(fc.tuple(fc.constantFrom(...peerEvents), fc.constantFrom(...options.mutations)).map(([e, k]) => new MutateCommand(e, k)));
  }
  const property = fc.asyncProperty(
    fc.nat({ max: Math.max(0, scenarios.length - 1) }),
    fc.commands(arbs, { maxCommands: options.maxCommands ?? 12 }),
    async (si, cmds) => {
      runs++;
      const run = await driver.begin(scenarios[si]);
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
  return { runs, commands, mutated, disagreement: out.failed ? found : undefined, report: out.failed ? fc.defaultReportMessage(out) ?? 'failed' : undefined };
}

export { formatReplay };
