// The fact model: what each guard of a machine means in terms of the messages exchanged, read from
// specs/<protocol>/reference/facts.json. Guards are negotiated facts; the proofs must choose them
// "nondeterministically but consistently", and this file says how, per role and guard:
//   { "seen": "?HelloRetryRequest" }   true exactly when that symbol occurred before (received event,
//                                      or "!Msg" for a sent message)
//   { "carried": "ServerHello" }        set each time that event is received, kept after; false before.
//                                      The peer's message carries the fact: in the Promela model the
//                                      value travels with the message (the sender's fact of that name).
//   { "decided": "ClientHello" }        like carried, but this side decides when the event arrives (its
//                                      policy applied to the message): a free choice in every model.
//                                      A list names several events (e.g. both ClientHello variants).
//   { "run": true }                     chosen once, at the start (this side's own policy)
//   { "each": true }                    chosen afresh at every evaluation (e.g. an empty Certificate)
//   { "derived": true }                 no choice of its own: holds exactly when its `requires` hold
//                                       (e.g. early data offered and not accepted)
// plus "requires": ["fact", "!fact", ...]: the fact only holds when these hold too (a value breaking
// them is a content error caught outside the table, e.g. early_data accepted after HRR is an
// illegal_parameter). A guard missing from the model is treated as "each" and reported.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface FactRule {
  readonly seen?: string;
  /** The event (or events, e.g. both ClientHello variants) that carries it; the first names the message. */
  readonly carried?: string | readonly string[];
  /** The event (or events, e.g. both ClientHello variants) on which this side decides the fact. */
  readonly decided?: string | readonly string[];
  readonly run?: boolean;
  readonly each?: boolean;
  /** No choice of its own: the fact is its `requires` literals. */
  readonly derived?: boolean;
  readonly requires?: readonly string[];
  /** The message that carries the fact on the wire (defaults to `carried`): its symbols are annotated. */
  readonly in?: string;
}

export interface RoleFacts {
  readonly guards: Readonly<Record<string, FactRule>>;
}

export interface FactModel {
  readonly file: string;
  readonly roles: Readonly<Record<string, RoleFacts>>;
}

export function loadFacts(root: string, protocol: string): FactModel {
  const file = `specs/${protocol}/reference/facts.json`;
  const abs = join(root, file);
  if (!existsSync(abs)) return { file, roles: {} };
  const json = JSON.parse(readFileSync(abs, 'utf8')) as { roles?: Record<string, RoleFacts> };
  return { file, roles: json.roles ?? {} };
}

const firstOf = (x: string | readonly string[] | undefined): string | undefined => (typeof x === 'string' || x === undefined ? x : x[0]);
/** The events a `carried` or `decided` rule names, as a list. */
export const eventsOf = (x: string | readonly string[] | undefined): readonly string[] => (x === undefined ? [] : typeof x === 'string' ? [x] : x);

export type FactKind = 'seen' | 'carried' | 'run' | 'each' | 'derived';

export function kindOf(rule: FactRule | undefined): FactKind {
  if (rule === undefined) return 'each';
  if (rule.seen !== undefined) return 'seen';
  if (rule.carried !== undefined || rule.decided !== undefined) return 'carried';
  if (rule.run === true) return 'run';
  if (rule.derived === true) return 'derived';
  return 'each';
}

/** Facts of one role, with every guard of the machine (modelled or not) given a slot. */
export class RoleFactTable {
  readonly names: readonly string[];
  readonly unmodelled: readonly string[];
  constructor(readonly role: string, readonly rules: Readonly<Record<string, FactRule>>, machineGuards: readonly string[]) {
    const names = new Set<string>(Object.keys(rules));
    for (const g of machineGuards) names.add(g);
    // facts named only in `requires`
    for (const r of Object.values(rules)) for (const lit of r.requires ?? []) names.add(lit.replace(/^!/, ''));
    this.names = [...names].sort();
    this.unmodelled = [...machineGuards].filter((g) => rules[g] === undefined).sort();
  }
  kind(name: string): FactKind {
    return kindOf(this.rules[name]);
  }
  of(kind: FactKind): string[] {
    return this.names.filter((n) => this.kind(n) === kind);
  }
  /** Symbols whose occurrence some `seen` fact tracks. */
  seenSymbols(): string[] {
    return [...new Set(this.of('seen').map((n) => this.rules[n]?.seen as string))].sort();
  }
  /** Facts written on the symbols of `message` (sorted). */
  annotating(message: string): string[] {
    return this.names.filter((n) => (this.rules[n]?.in ?? firstOf(this.rules[n]?.carried)) === message);
  }
  carriedBy(event: string): string[] {
    return this.of('carried').filter((n) => eventsOf(this.rules[n]?.carried ?? this.rules[n]?.decided).includes(event));
  }
}

export interface FactContext {
  /** Raw value of a non-seen fact (run/carried/each choice). */
  raw(name: string): boolean;
  /** Whether a symbol has occurred. */
  seen(symbol: string): boolean;
}

/** The value of a fact: its raw value (or occurrence) and all its `requires` literals. */
export function evalFact(table: RoleFactTable, name: string, ctx: FactContext, depth = 0): boolean {
  if (depth > 8) return false; // a cycle in `requires`: treat as not holding
  const rule = table.rules[name];
  const base = rule?.seen !== undefined ? ctx.seen(rule.seen) : rule?.derived === true ? true : ctx.raw(name);
  if (!base) return false;
  for (const lit of rule?.requires ?? []) {
    const neg = lit.startsWith('!');
    const v = evalFact(table, neg ? lit.slice(1) : lit, ctx, depth + 1);
    if (v === neg) return false;
  }
  return true;
}
