// Single-edge mutants of a machine table, and what kills them. Operators:
//   drop      a listed candidate removed (the pair falls to the next candidate, or to the state's
//             wildcard error edge when none is left)
//   retarget  a listed candidate's target changed to another state (actions kept)
//   illegal   a wildcard (error/absorbing) edge redirected to a non-error state, with no actions
// Each mutant has the IR form (for the reference check and the IR checks) and the Promela hook form
// (PROTOSMITH_MUTANT for the one compiled pan).
import type { MachineIR, TransitionIR } from '../machine/ir.ts';

export type MutantKind = 'drop' | 'retarget' | 'illegal';

export interface Mutant {
  readonly id: string;
  readonly role: string;
  readonly kind: MutantKind;
  readonly description: string;
  /** The edited transitions of the role's machine. */
  readonly transitions: readonly TransitionIR[];
  /** Value of PROTOSMITH_MUTANT for the Promela model ("role kind a b c"). */
  readonly hook: string;
  /** Behaves exactly like the specs (e.g. an explicit edge removed that equals the wildcard edge replacing it). */
  readonly equivalent: boolean;
}

export interface HookIds {
  readonly roleIndex: number; // 0 client, 1 server
  readonly states: ReadonlyMap<string, number>;
  readonly events: ReadonlyMap<string, number>;
}

const ERROR = 'ERROR';

export function describeEdge(t: TransitionIR): string {
  const g = t.guard ? ` [${t.guard.negated ? '!' : ''}${t.guard.name}]` : '';
  return `${t.from} --${t.event}${g}--> ${t.target}`;
}

export function mutants(ir: MachineIR, ids: HookIds): Mutant[] {
  const out: Mutant[] = [];
  const ts = ir.transitions;
  const role = ir.role;
  const wildcardOf = (state: string): TransitionIR | undefined => ts.find((t) => t.from === state && t.wildcard && t.target === ERROR);
  ts.forEach((t, k) => {
    if (t.wildcard) return;
    // drop
    const rest = ts.filter((_, i) => i !== k);
    const stillListed = rest.some((u) => u.from === t.from && u.event === t.event);
    const fallback = wildcardOf(t.from);
    const dropped = stillListed
      ? rest
      : [...rest, { from: t.from, event: t.event, target: ERROR, actions: [], alert: fallback?.alert ?? 'unexpected_message', wildcard: true, at: t.at }];
    const same = !stillListed && t.guard === undefined && t.target === ERROR && t.actions.length === 0 && t.alert === (fallback?.alert ?? 'unexpected_message');
    out.push({ id: `${role}:drop:${k}`, role, kind: 'drop', description: `${role}: remove ${describeEdge(t)} (${t.at.file}:${t.at.line})`, transitions: dropped, hook: `${ids.roleIndex} 1 ${k} 0 0`, equivalent: same });
    // retarget
    for (const s of ir.states) {
      if (s === t.target) continue;
      const edited = ts.map((u, i) => (i === k ? { ...u, target: s } : u));
      out.push({ id: `${role}:retarget:${k}:${s}`, role, kind: 'retarget', description: `${role}: ${describeEdge(t)} retargeted to ${s} (${t.at.file}:${t.at.line})`, transitions: edited, hook: `${ids.roleIndex} 0 ${k} ${ids.states.get(s)} 0`, equivalent: false });
    }
  });
  ts.forEach((t, k) => {
    if (!t.wildcard) return;
    for (const s of ir.states) {
      if (s === ERROR || s === t.target) continue;
      const edited = ts.map((u, i) => (i === k ? { from: u.from, event: u.event, target: s, actions: [], wildcard: false, at: u.at } : u));
      out.push({
        id: `${role}:illegal:${t.from}:${t.event}:${s}`, role, kind: 'illegal',
        description: `${role}: illegal edge ${t.from} --${t.event}--> ${s} (was ${t.target}${t.alert ? `, alert ${t.alert}` : ''})`,
        transitions: edited, hook: `${ids.roleIndex} 2 ${ids.states.get(t.from)} ${ids.events.get(t.event)} ${ids.states.get(s)}`, equivalent: false,
      });
    }
  });
  return out;
}

export function applyMutant(ir: MachineIR, m: Mutant): MachineIR {
  return { ...ir, transitions: m.transitions };
}
