// The frozen intermediate representation of one state machine, read by every emitter
// (TypeScript table, DOT, Mermaid, SVG/HTML, Promela) and by the proofs. Produced by the machine
// loader from an xstate v5 config in specs/<protocol>/machines/. Emitters read only this.

/** Where a node came from in the spec file. */
export interface SpecLocation {
  readonly file: string; // relative to the project root, e.g. specs/tls13/machines/client.json
  readonly line: number; // 1-based
  readonly path: string; // spec path, e.g. states.WAIT_SERVER_HELLO.on.ServerHello[0]
}

/** One candidate transition for (from, event). Candidates for the same pair are tried in order;
 *  the first whose guard holds is taken (xstate semantics). A wildcard-derived candidate has
 *  `wildcard: true` and usually targets ERROR with an alert. */
export interface TransitionIR {
  readonly from: string;
  readonly event: string;
  /** Named guard (a negotiated fact); `negated` means "when the fact does not hold". */
  readonly guard?: { readonly name: string; readonly negated: boolean };
  readonly target: string;
  readonly actions: readonly string[];
  /** TLS alert description sent when this transition is taken (error edges), e.g. 'unexpected_message'. */
  readonly alert?: string;
  /** RFC section justifying the edge, e.g. 'RFC 8446 §4.1.3'. */
  readonly rfc?: string;
  readonly wildcard: boolean;
  readonly at: SpecLocation;
  /** A local request refused in this state (state unchanged, nothing sent), e.g. 'handshake_not_complete'.
   *  Only local events (see MachineIR.eventSources) are refused; the runtime reports it as local misuse. */
  readonly refuse?: string;
}

export interface MachineIR {
  /** e.g. 'tls13/client' */
  readonly name: string;
  readonly protocol: string;
  readonly role: string;
  readonly specFile: string;
  readonly initial: string;
  /** All states, in spec order; includes the absorbing ERROR and CLOSED. */
  readonly states: readonly string[];
  /** States that absorb every event (ERROR, CLOSED). */
  readonly absorbing: readonly string[];
  /** Events: handshake message names (as in the codec specs) and local triggers. */
  readonly events: readonly string[];
  readonly guards: readonly string[];
  readonly actions: readonly string[];
  /** Every (state, event) pair has at least one candidate here, after wildcard expansion. */
  readonly transitions: readonly TransitionIR[];
  /** Where each event comes from: 'peer' (a received message or record) or 'local' (an application request). */
  readonly eventSources?: Readonly<Record<string, 'peer' | 'local'>>;
  /** Events that are another message on the wire (meta.events.<e>.message), e.g. SecondClientHello ->
   *  ClientHello: the proofs project both on the same message symbol. Events not listed are their own message. */
  readonly eventMessages?: Readonly<Record<string, string>>;
  /** Received events whose message enters the handshake transcript (meta.events.<e>.transcript). */
  readonly transcriptEvents?: readonly string[];
  /** One-line descriptions from the spec, for drawings and generated comments. */
  readonly docs?: {
    readonly states: Readonly<Record<string, string>>;
    readonly events: Readonly<Record<string, string>>;
    readonly guards: Readonly<Record<string, string>>;
    readonly actions: Readonly<Record<string, string>>;
  };
  /** The spec's own summary (its top-level "$comment" or description). */
  readonly description?: string;
  /** Where each state is declared in the spec. */
  readonly stateAt?: Readonly<Record<string, SpecLocation>>;
  /** Record protection the peer's records must carry, per state (spec meta.readKeys and
   *  states.<S>.meta.readKeys): a record under any other protection is rejected with `alert`. */
  readonly readKeys?: ReadKeysIR;
}

/** Which keys protect what the peer sends, as spec data (a protocol without record protection omits it). */
export interface ReadKeysIR {
  /** The protection levels, in spec order: name -> whether records at that level are protected (encrypted). */
  readonly levels: Readonly<Record<string, { readonly protected: boolean; readonly description: string }>>;
  /** Actions that change the read keys, and the level they leave in force (e.g. installHandshakeReadKeys -> handshake). */
  readonly changes: Readonly<Record<string, string>>;
  /** Every non-absorbing state's level. */
  readonly states: Readonly<Record<string, string>>;
  /** States where a protected record the engine cannot read is skipped while the named guard holds
   *  (e.g. rejected 0-RTT data, RFC 8446 §4.2.10) instead of being rejected. */
  readonly skip: Readonly<Record<string, string>>;
  /** Alert for a record under the wrong protection (and for a message straddling a key change). */
  readonly alert: string;
  readonly rfc?: string;
}
