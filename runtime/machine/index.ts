// Generic interpreter of generated transition tables (generated/<protocol>/machines/<role>.ts).
//
// Everything that decides message order lives in the table, as data: for each (state, event) an
// ordered list of candidates; the first whose guard holds is taken (xstate semantics). This file
// only looks things up. It imports nothing of ours.
//
//   step(table, state, event, guards) →
//     { kind: 'transition', target, actions, rfc }            the event is allowed here
//     { kind: 'rejection', target, alert, error, message }     it is not:
//        UnexpectedEventError  blame 'peer'    peer event not allowed here; alert to send; target ERROR
//        RefusedEventError     blame 'local'   local request refused in this state; state unchanged
//        AbsorbedEventError    blame 'local'   the machine is in an absorbing state (ERROR, CLOSED)
//        UnknownEventError     blame 'local'   the event or state is not in the table (API misuse)
//        NoCandidateError      blame 'config'  every candidate is guarded and none holds (a table bug;
//                                              the generator's validation rejects such specs)
// ERROR and CLOSED are absorbing: once there, every step is an AbsorbedEventError and the state stays.

export type Blame = 'peer' | 'local' | 'provider' | 'config';

/** One candidate transition. `at` names the spec line it was generated from. */
export interface Candidate<S extends string = string, G extends string = string, A extends string = string> {
  readonly guard?: G;
  readonly target: S;
  readonly actions: readonly A[];
  /** Alert sent when this candidate is taken (error edges). */
  readonly alert?: string;
  readonly rfc?: string;
  /** Local request refused here (state unchanged, no actions); the reason. */
  readonly refuse?: string;
  /** Derived from the state's wildcard ('*') rather than listed for this event. */
  readonly wildcard?: boolean;
  readonly at?: string;
}

export interface MachineTable<S extends string = string, E extends string = string, G extends string = string, A extends string = string> {
  /** e.g. 'tls13/client' */
  readonly name: string;
  readonly role: string;
  readonly specFile: string;
  readonly initial: S;
  readonly states: readonly S[];
  readonly events: readonly E[];
  readonly guards: readonly G[];
  readonly actions: readonly A[];
  /** Absorbing states (ERROR, CLOSED). */
  readonly absorbing: readonly S[];
  readonly eventSources: Readonly<Record<E, 'peer' | 'local'>>;
  /** Events that are another message on the wire (spec meta.events.<e>.message). */
  readonly messages?: Readonly<Partial<Record<E, string>>>;
  /** Received events whose message enters the handshake transcript (spec meta.events.<e>.transcript). */
  readonly transcript?: readonly E[];
  /** Dense: every state × every event has at least one candidate. */
  readonly transitions: Readonly<Record<S, Readonly<Record<E, readonly Candidate<S, G, A>[]>>>>;
  /** Record protection as table data (spec meta.readKeys), for protocols whose records are protected. */
  readonly readKeys?: ReadKeys<S, G, A>;
}

/** Which protection the peer's records carry in each state, and what changes it (spec meta.readKeys). */
export interface ReadKeys<S extends string = string, G extends string = string, A extends string = string> {
  /** Every level, in spec order (e.g. plaintext, early, handshake, application). */
  readonly levels: readonly string[];
  /** The levels whose records are protected (encrypted); the others are read in the clear. */
  readonly protected: readonly string[];
  /** Each live state's level: a record under any other protection is rejected with `alert`. */
  readonly states: Readonly<Partial<Record<S, string>>>;
  /** Actions that change the read keys, and the level they leave in force. */
  readonly changes: Readonly<Partial<Record<A, string>>>;
  /** States where a protected record that cannot be read is skipped while the guard holds (rejected 0-RTT). */
  readonly skip: Readonly<Partial<Record<S, G>>>;
  readonly alert: string;
  readonly rfc?: string;
}

/** Base of every error this module produces: a stable code, who is to blame, and the alert (if any). */
export class MachineError extends Error {
  readonly code: string;
  readonly blame: Blame;
  readonly alert: string | undefined;
  readonly machine: string;
  readonly role: string;
  readonly state: string;
  readonly event: string;
  constructor(code: string, blame: Blame, table: { name: string; role: string }, state: string, event: string, message: string, alert?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.blame = blame;
    this.alert = alert;
    this.machine = table.name;
    this.role = table.role;
    this.state = state;
    this.event = event;
  }
}

/** The peer sent something this state does not allow. The connection sends `alert` and goes to ERROR. */
export class UnexpectedEventError extends MachineError {
  readonly rfc: string | undefined;
  readonly at: string | undefined;
  constructor(table: { name: string; role: string }, state: string, event: string, alert: string, rfc?: string, at?: string) {
    super('MACHINE_UNEXPECTED_EVENT', 'peer', table, state, event,
      `${table.role} in state ${state} cannot accept ${event}: sending ${alert}${rfc ? ` (${rfc})` : ''}${at ? ` [${at}]` : ''}`, alert);
    this.rfc = rfc;
    this.at = at;
  }
}

/** The application asked for something this state does not allow (e.g. a key update mid-handshake). */
export class RefusedEventError extends MachineError {
  readonly reason: string;
  constructor(table: { name: string; role: string }, state: string, event: string, reason: string) {
    super('MACHINE_REFUSED', 'local', table, state, event, `${table.role} in state ${state} refuses ${event}: ${reason.replace(/_/g, ' ')}`);
    this.reason = reason;
  }
}

/** The machine already ended (ERROR or CLOSED); nothing more happens. */
export class AbsorbedEventError extends MachineError {
  readonly source: 'peer' | 'local' | undefined;
  constructor(table: { name: string; role: string }, state: string, event: string, source: 'peer' | 'local' | undefined) {
    super('MACHINE_ABSORBED', 'local', table, state, event, `${table.role} is in ${state}: ${event} ignored (the connection has ended)`);
    this.source = source;
  }
}

/** The caller passed a state or event the table does not know. */
export class UnknownEventError extends MachineError {
  constructor(table: { name: string; role: string }, state: string, event: string, what: 'state' | 'event') {
    super(what === 'state' ? 'MACHINE_UNKNOWN_STATE' : 'MACHINE_UNKNOWN_EVENT', 'local', table, state, event,
      `${table.name}: unknown ${what} '${what === 'state' ? state : event}'`);
  }
}

/** Every candidate was guarded and no guard held: the table has no fallback (a spec bug). */
export class NoCandidateError extends MachineError {
  constructor(table: { name: string; role: string }, state: string, event: string) {
    super('MACHINE_NO_CANDIDATE', 'config', table, state, event, `${table.name}: no candidate for ${event} in ${state} (all guards false and no unguarded fallback)`);
  }
}

export interface TransitionResult<S extends string = string, A extends string = string> {
  readonly kind: 'transition';
  readonly from: S;
  readonly event: string;
  readonly target: S;
  readonly actions: readonly A[];
  readonly alert?: undefined;
  readonly rfc?: string | undefined;
  readonly at?: string | undefined;
}

export interface RejectionResult<S extends string = string, A extends string = string> {
  readonly kind: 'rejection';
  readonly from: S;
  readonly event: string;
  /** ERROR after a peer's unexpected event; the unchanged state otherwise. */
  readonly target: S;
  /** Actions of the error edge (usually none). */
  readonly actions: readonly A[];
  /** The alert to send (peer rejections only). */
  readonly alert: string | undefined;
  readonly rfc?: string | undefined;
  readonly message: string;
  readonly error: MachineError;
}

export type StepResult<S extends string = string, A extends string = string> = TransitionResult<S, A> | RejectionResult<S, A>;

/** Guard values: a function of the guard name, or a record of booleans (missing = false). */
export type GuardInput<G extends string> = ((guard: G) => boolean) | Readonly<Partial<Record<G, boolean>>>;

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** One step of the machine. Pure: looks up (state, event) and evaluates guards in candidate order. */
export function step<S extends string, E extends string, G extends string, A extends string>(
  table: MachineTable<S, E, G, A>, state: S | string, event: E | string, guards: GuardInput<G>,
): StepResult<S, A> {
  const s = state as S;
  if (!has(table.transitions, state)) return reject(s, event, s, [], undefined, new UnknownEventError(table, state, event, 'state'));
  const row = table.transitions[s];
  if (!has(row, event)) return reject(s, event, s, [], undefined, new UnknownEventError(table, state, event, 'event'));
  if (table.absorbing.includes(s)) {
    return reject(s, event, s, [], undefined, new AbsorbedEventError(table, state, event, (table.eventSources as Record<string, 'peer' | 'local'>)[event]));
  }
  const holds = typeof guards === 'function' ? guards : (g: G): boolean => guards[g] === true;
  for (const c of row[event as E]) {
    if (c.guard !== undefined && !holds(c.guard)) continue;
    if (c.refuse !== undefined) return reject(s, event, s, [], c.rfc, new RefusedEventError(table, state, event, c.refuse));
    if (c.alert !== undefined) return reject(s, event, c.target, c.actions, c.rfc, new UnexpectedEventError(table, state, event, c.alert, c.rfc, c.at));
    return { kind: 'transition', from: s, event, target: c.target, actions: c.actions, rfc: c.rfc, at: c.at };
  }
  return reject(s, event, s, [], undefined, new NoCandidateError(table, state, event));
}

/** Whether the outcome of (state, event) depends on guards: true when some candidate is guarded.
 *  An engine that must parse a message before it can evaluate guards asks this first, so that an
 *  event the state rejects whatever the facts is refused before any parsing. Unknown pairs: false. */
export function needsGuards<S extends string, E extends string, G extends string, A extends string>(
  table: MachineTable<S, E, G, A>, state: S | string, event: E | string,
): boolean {
  if (!has(table.transitions, state) || table.absorbing.includes(state as S)) return false;
  const row = table.transitions[state as S];
  if (!has(row, event)) return false;
  return row[event as E].some((c) => c.guard !== undefined);
}

function reject<S extends string, A extends string>(from: S, event: string, target: S, actions: readonly A[], rfc: string | undefined, error: MachineError): RejectionResult<S, A> {
  return { kind: 'rejection', from, event, target, actions, alert: error.alert, rfc, message: error.message, error };
}

/** A machine instance: the table plus the current state. After a peer rejection it is in ERROR. */
export class MachineInstance<S extends string, E extends string, G extends string, A extends string> {
  #state: S;
  readonly table: MachineTable<S, E, G, A>;
  /** Every step taken, as "FROM|EVENT|TARGET" keys: feed to `protosmith viz --coverage`. */
  readonly trace: string[] = [];
  constructor(table: MachineTable<S, E, G, A>, state?: S) {
    this.table = table;
    this.#state = state ?? table.initial;
  }
  get state(): S { return this.#state; }
  get ended(): boolean { return this.table.absorbing.includes(this.#state); }
  send(event: E, guards: GuardInput<G>): StepResult<S, A> {
    const r = step(this.table, this.#state, event, guards);
    if (r.kind === 'transition' || (r.kind === 'rejection' && r.error instanceof UnexpectedEventError)) {
      this.trace.push(`${r.from}|${event}|${r.target}`);
      this.#state = r.target;
    }
    return r;
  }
}

/** Coverage file content for `protosmith viz --coverage`: {edges: {"FROM|EVENT|TARGET": count}}. */
export function coverageOf(traces: Iterable<readonly string[]>): { edges: Record<string, number> } {
  const edges: Record<string, number> = {};
  for (const t of traces) for (const k of t) edges[k] = (edges[k] ?? 0) + 1;
  return { edges };
}
