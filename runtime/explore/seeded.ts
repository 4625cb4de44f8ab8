// Seeded engine bugs, made generically: each changes ONE engine behaviour (never the model's table)
// by wrapping what the engine consults — its table lookup (a copy of the table with one cell changed,
// handed to the engine only) or one of its named guard/action implementations. The explorer must
// catch every one; a seeded bug it misses means the exploration cannot fail there.
import type { Candidate, MachineTable } from '../machine/index.ts';

export interface SeededBug<Target> {
  readonly name: string;
  /** What the bug does, in words (printed by tests and the CLI). */
  readonly description: string;
  /** Apply it: to the engine's table (a modified copy) and/or to an engine instance. */
  readonly table?: (t: MachineTable) => MachineTable;
  readonly engine?: (e: Target) => void;
}

/** A copy of `table` whose (state, event) cell is `cell` (the engine sees it; the model does not). */
export function withCell(table: MachineTable, state: string, event: string, cell: readonly Candidate[]): MachineTable {
  const row = { ...table.transitions[state]!, [event]: cell };
  return { ...table, transitions: { ...table.transitions, [state]: row } };
}

/** Accept `event` in `state`, going to `target` with `actions` (the table rejects it there). */
export function acceptOutOfOrder(table: MachineTable, state: string, event: string, target: string, actions: readonly string[]): MachineTable {
  return withCell(table, state, event, [{ target, actions }]);
}

/** Drop candidate `i` of (state, event): the engine falls through to the next one. */
export function dropCandidate(table: MachineTable, state: string, event: string, i: number): MachineTable {
  const cell = table.transitions[state]![event]!;
  return withCell(table, state, event, cell.filter((_, j) => j !== i));
}

/** Replace member `name` of a record of functions (an engine's guards or actions) on one object. */
export function overrideMember<F>(record: Record<string, F>, name: string, replace: (original: F) => F): void {
  const original = record[name];
  if (original === undefined) throw new RangeError(`seeded bug: no member '${name}' to override (have: ${Object.keys(record).join(', ')})`);
  Object.defineProperty(record, name, { value: replace(original), configurable: true, enumerable: true, writable: true });
}
