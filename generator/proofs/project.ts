// Projects a machine (MachineIR) onto message order: an NFA over the symbols "?Msg" (event Msg received)
// and "!Msg" (action sendMsg executed), for the messages in scope (those the reference names). Events
// outside the scope (ChangeCipherSpec, ApplicationData, Alert, CloseNotify, post-handshake messages,
// local triggers such as Start or AppWrite) are epsilon moves; an out-of-scope peer event that moves the machine becomes a symbol of its own, which no reference word has.
// Guards are resolved with the fact model (facts.ts); the NFA state is (machine state, fact values).
// The language is cut at the end of the handshake: accepting states are not expanded.
import type { MachineIR, TransitionIR } from '../machine/ir.ts';
import { NfaBuilder, type Nfa } from './automata.ts';
import { RoleFactTable, evalFact, type FactRule } from './facts.ts';

export const SEND_PREFIX = 'send';

/** The message a `send<Message>` action emits, or undefined. */
export function sentMessage(action: string): string | undefined {
  return action.startsWith(SEND_PREFIX) && /^[A-Z]/.test(action.slice(SEND_PREFIX.length)) ? action.slice(SEND_PREFIX.length) : undefined;
}

/** The wire message an event (or a sent message named like an event) is: spec meta.events.<e>.message. */
export function messageOf(ir: MachineIR, event: string): string {
  return ir.eventMessages?.[event] ?? event;
}

export interface ProjectOptions {
  readonly scope: ReadonlySet<string>;
  /** Messages whose sending is invisible even when in scope (reference `optional-send`). */
  readonly optionalSends?: ReadonlySet<string>;
  readonly accept: readonly string[];
  readonly facts: Readonly<Record<string, FactRule>>;
}

/** All assignments of booleans to `names` (2^n of them). */
export function assignments(names: readonly string[]): Array<Map<string, boolean>> {
  const out: Array<Map<string, boolean>> = [];
  for (let m = 0; m < 1 << names.length; m++) out.push(new Map(names.map((n, i) => [n, (m & (1 << i)) !== 0])));
  return out;
}

/** Candidates for (state, event) in order, grouped once. */
export function candidateIndex(ir: MachineIR): Map<string, TransitionIR[]> {
  const idx = new Map<string, TransitionIR[]>();
  for (const t of ir.transitions) {
    const k = `${t.from}\u0000${t.event}`;
    let list = idx.get(k);
    if (list === undefined) idx.set(k, (list = []));
    list.push(t);
  }
  return idx;
}

export function projectMachine(ir: MachineIR, opts: ProjectOptions): { nfa: Nfa; table: RoleFactTable } {
  const table = new RoleFactTable(ir.role, opts.facts, ir.guards);
  const seenSyms = table.seenSymbols();
  const runFacts = table.of('run');
  const eachFacts = table.of('each');
  const index = candidateIndex(ir);
  const accept = new Set(opts.accept);
  const absorbing = new Set(ir.absorbing);
  const b = new NfaBuilder();

  interface Node { state: string; raw: Map<string, boolean>; seen: Set<string> }
  const keyOf = (n: Node): string =>
    `${n.state}|${[...n.raw].filter(([, v]) => v).map(([k]) => k).sort().join(',')}|${[...n.seen].sort().join(',')}`;

  const start = b.state('<start>');
  const queue: Node[] = [];
  const visit = (n: Node): number => {
    const key = keyOf(n);
    const known = b.has(key);
    const id = b.state(key);
    if (!known) {
      if (accept.has(n.state)) b.accepting.add(id);
      queue.push(n);
    }
    return id;
  };
  for (const run of assignments(runFacts)) {
    b.edge(start, null, visit({ state: ir.initial, raw: new Map(run), seen: new Set() }));
  }
  while (queue.length > 0) {
    const node = queue.shift() as Node;
    if (accept.has(node.state) || absorbing.has(node.state)) continue;
    const from = b.state(keyOf(node));
    for (const event of ir.events) {
      const candidates = index.get(`${node.state}\u0000${event}`) ?? [];
      for (const carried of assignments(table.carriedBy(event))) {
        const raw = new Map(node.raw);
        for (const [k, v] of carried) raw.set(k, v);
        const seen = new Set(node.seen);
        for (const each of assignments(eachFacts)) {
          const ctx = { raw: (n: string): boolean => each.get(n) ?? raw.get(n) ?? false, seen: (s: string): boolean => seen.has(s) };
          const taken = candidates.find((c) => c.guard === undefined || evalFact(table, c.guard.name, ctx) !== c.guard.negated);
          if (taken === undefined) continue; // no candidate: a rejection, as ERROR would be
          const after = new Set(seen);
          // a received message counts as seen once its transition is chosen (guards see the state before it)
          if (seenSyms.includes(`?${event}`)) after.add(`?${event}`);
          const sym = (dir: '?' | '!', m: string, c: { raw(n: string): boolean; seen(s: string): boolean }): string =>
            [`${dir}${m}`, ...table.annotating(m).filter((f) => evalFact(table, f, c))].join('+');
          const labels: string[] = [];
          // in scope: a symbol, unless the record is dropped (same state, nothing done: ChangeCipherSpec
          // during the handshake); out of scope: invisible while it leaves the state alone, but a symbol
          // no reference word contains once it moves the machine (so it cannot be used to skip a step)
          const msg = messageOf(ir, event);
          const dropped = taken.target === node.state && taken.actions.length === 0;
          if ((opts.scope.has(msg) && !dropped) || (taken.target !== node.state && ir.eventSources?.[event] !== 'local')) labels.push(sym('?', msg, ctx));
          const sendCtx = { raw: ctx.raw, seen: (x: string): boolean => after.has(x) };
          for (const a of taken.actions) {
            const sent = sentMessage(a);
            if (sent === undefined) continue;
            const m = messageOf(ir, sent);
            if (opts.scope.has(m) && opts.optionalSends?.has(m) !== true) labels.push(sym('!', m, sendCtx));
            if (seenSyms.includes(`!${m}`)) after.add(`!${m}`);
          }
          const to = visit({ state: taken.target, raw: new Map(raw), seen: after });
          b.path(from, labels, to, `${node.state}.${event}`);
        }
      }
    }
  }
  return { nfa: b.build(start), table };
}
