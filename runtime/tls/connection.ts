// What client and server share: the sans-IO surface (receive / takeOutput / write / close / key
// update / exporters), the record layer, and the dispatch loop that asks the generated table what
// every arriving message or local request means. Handshake specifics (the table's named actions
// and guards) live in client.ts and server.ts.
//
// Invariants kept here:
//  - Calls are serialised: receive/write/close/requestKeyUpdate queue behind each other.
//  - Every order decision is `step(table, state, event, guards)` on the generated table (runtime/
//    machine): an UnexpectedEventError is fatal with the table's alert, a RefusedEventError is a
//    TlsUsageError (not fatal) for a local request made at the wrong time. Which received messages
//    enter the transcript is table data (`transcript`); completion and closing are table actions.
//  - Which protection the peer's records carry in each state (plaintext, early, handshake, application
//    keys), which actions change it, and where rejected 0-RTT records are skipped are table data too
//    (`readKeys`, spec meta.readKeys): a record under other protection gets the table's alert.
//  - After a fatal error: exactly one alert record is queued, the state is the table's ERROR, and
//    every later call fails with the same error. Nothing but ProtosmithError ever escapes.
//  - Memory per connection is bounded by maxBufferedBytes + maxHandshakeMessageSize.
import type { CipherSuiteParams, CryptoProvider } from '../crypto/provider.ts';
import {
  AlertDescription, alertName, asProtosmithError, isAlertName, ProtosmithError, TlsAlertReceivedError,
  TlsConfigError, TlsPeerError, TlsProviderError, TlsUsageError, type AlertName,
} from './errors.ts';
import type { TlsEvent } from './events.ts';
import {
  HandshakeReassembler, MAX_CIPHERTEXT, MAX_PLAINTEXT, plaintextRecord, RecordReader,
  type HandshakeMessage, type RecordCipher,
} from './record-layer.ts';
import { exportKeyingMaterial, KeyLogLabel, keyLogLine, nextTrafficSecret, type KeyLogLabelName, type KeySchedule } from './keyschedule.ts';
import { RecordProtection } from './record-protection.ts';
import { Transcript } from './transcript.ts';
import { andThen, type MaybePromise } from './maybe-promise.ts';
import { eventForHandshake } from './table.ts';
import { bytesEqual, concat, ContentType, HRR_RANDOM } from './bytes.ts';
import { decode, decodeClientHello, decodeKeyUpdate, encode, encodeKeyUpdate, ExtensionType, findExt, frameHandshake, type ClientHello } from './messages.ts';
import {
  AbsorbedEventError, needsGuards, RefusedEventError, step, UnexpectedEventError, type MachineTable, type StepResult,
} from '../machine/index.ts';

export interface CommonOptions {
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly recordPadding?: number;
  readonly recordSizeLimit?: number;
  readonly maxHandshakeMessageSize?: number;
  readonly maxBufferedBytes?: number;
  readonly keyLog?: boolean;
}

/** The largest ClientHello RFC 8446's syntax allows (§4.1.2): legacy_version 2 + random 32 +
 *  legacy_session_id 1+32 + cipher_suites 2+65534 + legacy_compression_methods 1+255 + extensions
 *  2+65535 = 131,396 bytes of body (the bound OpenSSL also uses). A lower default would refuse legal
 *  ClientHellos, e.g. one whose signature_algorithms lists 32,715 schemes (65,430 bytes). It also
 *  admits certificate chains of up to ~128 KiB. */
export const DEFAULT_MAX_HANDSHAKE = 131_396;
/** Records in a row that carry no progress (CCS, user_canceled, empty records, KeyUpdate) before the
 *  connection is closed with unexpected_message: a resource limit (OpenSSL allows 32 empty records). */
export const MAX_RECORDS_WITHOUT_PROGRESS = 32;

/**
 * Lower-level, for adapters (runtime/node uses it): where the engine takes the buffer that a write's records
 * are sealed into, when the provider seals into the caller's buffer (`sealIntoSync`). `take(length)` returns a
 * Uint8Array of exactly `length` bytes that nobody else reads or writes until the adapter has finished with the
 * output it becomes (it comes back out of takeOutput()/takeOutputChunks() as it is, every byte written by the
 * seal), or undefined for a fresh buffer. The engine keeps no reference to it once it is handed out.
 */
export interface OutputBuffers {
  take(length: number): Uint8Array | undefined;
}

/** What an engine implements for a generated table: the shape of the generated
 *  `<Role>Implementations<Ctx>` (generated/tls13/machines/*.ts), one member per guard and per action,
 *  each called with the connection as its context `C` (so one object serves every connection). */
export interface Implementations<G extends string, A extends string, C> {
  readonly guards: { readonly [K in G]: (ctx: C, msg: unknown) => boolean };
  readonly actions: { readonly [K in A]: (ctx: C, msg: unknown) => void | Promise<void> };
}

/** Freezes an engine class's implementations (and its guards and actions): one object serves every
 *  connection of the class, so none may change it. Call it with the generated interface as the type
 *  argument, so that the literal is checked against it (a missing or an excess member does not compile). */
export function sharedImplementations<T extends { readonly guards: object; readonly actions: object }>(impl: T): T {
  Object.freeze(impl.guards);
  Object.freeze(impl.actions);
  return Object.freeze(impl);
}

/** The table's sink states, named by the generated state constants. */
export interface Sinks<S extends string> { readonly error: S; readonly closed: S }

/** What every connection of an engine class shares: its generated table, the table's sink states, its
 *  implementations of the table's guards and actions, and its role. */
export interface ClassMembers<S extends string, E extends string, G extends string, A extends string, C> {
  readonly role: 'client' | 'server';
  readonly table: MachineTable<S, E, G, A>;
  readonly sinks: Sinks<S>;
  readonly implementations: Implementations<G, A, C>;
}

/** Puts an engine class's shared members (ClassMembers) on its prototype, so that no connection carries
 *  a field for any of them. One engine may still be given its own table or implementations: an own
 *  property shadows the prototype's (seeded bugs and tests patch one engine so). */
export function defineClassMembers<S extends string, E extends string, G extends string, A extends string, C>(
  cls: { readonly prototype: object }, members: ClassMembers<S, E, G, A, C>,
): void {
  for (const [name, value] of Object.entries(members)) {
    Object.defineProperty(cls.prototype, name, { value, writable: true, configurable: true, enumerable: false });
  }
}

/** What a connection reads from its options, validated: one object for every connection made with the
 *  same options object (see connectionParams), so that a connection holds one field for them, not six. */
interface ConnectionParams {
  readonly options: CommonOptions;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly padding: number;
  readonly maxBuffered: number;
  readonly maxHandshake: number;
  readonly keyLog: boolean;
}

/** The last params made per options object. A hit serves only while every value is still the one just
 *  validated (an options object changed between two connections gets new params, as before). */
const paramsByOptions = new WeakMap<CommonOptions, ConnectionParams>();

function connectionParams(fresh: ConnectionParams): ConnectionParams {
  const had = paramsByOptions.get(fresh.options);
  if (had && had.crypto === fresh.crypto && had.now === fresh.now && had.padding === fresh.padding && had.maxBuffered === fresh.maxBuffered
    && had.maxHandshake === fresh.maxHandshake && had.keyLog === fresh.keyLog) return had;
  const params = Object.freeze(fresh);
  paramsByOptions.set(fresh.options, params);
  return params;
}

/** What both roles keep only while the handshake runs: one object, dropped once connected
 *  (releaseHandshakeState), so that an idle connection holds one empty field for it rather than six. */
interface HandshakeCommon {
  /** The handshake transcript (RFC 8446 §4.4.1). */
  readonly transcript: Transcript;
  /** Transcript hash before `current` was added, when `current` is a CertificateVerify or Finished (for their checks). */
  transcriptBefore: Uint8Array | undefined;
  /** The ClientHello's random, for key log lines. */
  clientRandom: Uint8Array | undefined;
  /** `current` decoded, when it is a ClientHello (decoded once, to pick its event; negotiation reuses it). */
  currentClientHello: ClientHello | undefined;
  /** The middlebox compatibility CCS, queued to leave with the next flight (see sendCcs). */
  pendingCcs: Uint8Array | undefined;
  /** Bytes of rejected 0-RTT records skipped so far (see skipRejectedEarly). */
  earlySkipped: number;
}

/** Connection.bits: yes/no state (and the last user_canceled alert's level) as one small integer. */
const B_HANDSHAKE_DONE = 1;
/** The pending RequestKeyUpdate asks the peer to update too. */
const B_KEY_UPDATE_REQUEST_PEER = 2;
/** The peer's last KeyUpdate asked us to update our sending keys. */
const B_PEER_KEY_UPDATE_REQUESTED = 4;
/** The last user_canceled alert came with level fatal (2) rather than warning (1). */
const B_ALERT_FATAL = 8;
/** A protected record has been opened (decrypted). */
const B_RECORD_OPENED = 16;

/** Stable usage-error codes for the table's refusal reasons (spec meta.refuse). */
/** The empty array shared by every connection for "no events/output/handshake messages queued"; frozen, so
 *  a push into it (instead of into a real array) fails loudly. */
const NONE: never[] = Object.freeze([]) as unknown as never[];

const REFUSAL_CODES: Readonly<Record<string, 'TLS_NOT_CONNECTED' | 'TLS_ALREADY_STARTED' | 'TLS_CLOSED'>> = {
  handshake_not_complete: 'TLS_NOT_CONNECTED',
  already_started: 'TLS_ALREADY_STARTED',
  server_waits_for_client_hello: 'TLS_ALREADY_STARTED',
  closed_for_writing: 'TLS_CLOSED',
};

/** Error codes for the alerts the tables' error edges name (spec meta.alert). */
const TABLE_ALERT_CODES: Readonly<Partial<Record<AlertName, 'TLS_HANDSHAKE_FAILURE' | 'TLS_DECODE_ERROR' | 'TLS_CERTIFICATE_REQUIRED' | 'TLS_ILLEGAL_PARAMETER'>>> = {
  handshake_failure: 'TLS_HANDSHAKE_FAILURE',
  decode_error: 'TLS_DECODE_ERROR',
  certificate_required: 'TLS_CERTIFICATE_REQUIRED',
  illegal_parameter: 'TLS_ILLEGAL_PARAMETER',
};

/** data[off, off + limit) — `data` itself when that is all of it. A subarray of a typed array of up to 64 bytes (an
 *  alert, a small message: V8 keeps those on its heap) would make V8 move the bytes into an ArrayBuffer of their own. */
function wholeOrPart(data: Uint8Array, off: number, limit: number): Uint8Array {
  return off === 0 && data.length <= limit ? data : data.subarray(off, off + limit);
}

export abstract class Connection<S extends string, E extends string, G extends string, A extends string> {
  // Memory: an idle connection lives as long as its socket, so every field here costs 8 bytes per
  // connection. What all connections of a class share is on the prototype (defineClassMembers), what all
  // connections of one options object share is in `params`, and state that is empty most of the time
  // (a partial record, a fragmented handshake message) is made when needed and dropped when emptied.
  /** The generated table (on the prototype: defineClassMembers). */
  declare protected readonly table: MachineTable<S, E, G, A>;
  /** The table's sink states (on the prototype: defineClassMembers). */
  declare private readonly sinks: Sinks<S>;
  /** The generated `<Role>Implementations` of the table (no casts: a missing guard or action does not
   *  compile), called with this connection as the context: one frozen object per engine class, on the
   *  prototype (defineClassMembers). */
  declare protected readonly implementations: Implementations<G, A, this>;
  declare readonly role: 'client' | 'server';
  private readonly params: ConnectionParams;
  private stateName: S;
  private failure: ProtosmithError | undefined;
  /** The tail of the call queue; undefined while no call is pending (see serial). */
  private queue: Promise<void> | undefined;
  // events, output and pendingHandshake are NONE while empty (an idle connection holds no arrays of its
  // own for them); the first push puts a real array in place.
  private events: TlsEvent[] = NONE;
  private output: Uint8Array[] = NONE;
  private pendingHandshake: Uint8Array[] = NONE;
  /** The partial record held between receive() calls; undefined when none (see receive). */
  private records: RecordReader | undefined;
  /** The fragmented handshake message held between records; undefined when none (see processHandshake). */
  private reassembler: HandshakeReassembler | undefined;
  protected readCipher: RecordCipher | undefined;
  protected writeCipher: RecordCipher | undefined;
  /** The handshake message being processed by the current transition's actions. */
  protected current: HandshakeMessage | undefined;
  /** Application data being delivered (received) or sent (local AppWrite) by the current transition. */
  protected currentData: Uint8Array | undefined;
  /** The handshake-only state; dropped once connected (see releaseHandshakeState). */
  private handshake: HandshakeCommon | undefined;
  protected suite: CipherSuiteParams | undefined;
  /** Bytes of undecryptable (rejected 0-RTT) records that may be skipped where the table allows it
   *  (RFC 8446 §4.2.10: up to max_early_data_size): a resource limit, not an ordering fact. */
  protected get earlySkipLimit(): number { return 16384; }
  /** Whether a record has been opened (decrypted) yet; read by the server's earlyDataRejected guard (skipping ends at the first). */
  protected get recordOpened(): boolean { return (this.bits & B_RECORD_OPENED) !== 0; }
  /** Largest content we may send in one record (peer's record_size_limit, RFC 8449). */
  protected sendLimit = MAX_PLAINTEXT;
  /** Largest content we accept in one record (our record_size_limit once negotiated). */
  protected recvLimit = MAX_PLAINTEXT;
  /** B_* above. */
  private bits = 0;
  /** See useOutputBuffers. */
  private outputBuffers: OutputBuffers | undefined;

  protected get crypto(): CryptoProvider { return this.params.crypto; }
  protected get now(): () => number { return this.params.now; }
  /** The options this connection was made with (checked). */
  protected get options(): CommonOptions { return this.params.options; }
  protected get padding(): number { return this.params.padding; }
  protected get keyLogEnabled(): boolean { return this.params.keyLog; }
  private setBit(bit: number, on: boolean): void { this.bits = on ? this.bits | bit : this.bits & ~bit; }
  /** The transcript while the handshake runs (undefined once connected). */
  private get handshakeTranscript(): Transcript | undefined { return this.handshake?.transcript; }
  /** `current` decoded, when it is a ClientHello (decoded once, to pick its event; negotiation reuses it). */
  protected get currentClientHello(): ClientHello | undefined { return this.handshake?.currentClientHello; }
  /** Transcript hash before `current` was added, when `current` is a CertificateVerify or Finished (for their checks). */
  protected get transcriptBefore(): Uint8Array | undefined { return this.handshake?.transcriptBefore; }
  /** The ClientHello's random while the handshake runs (key log lines); set once by either role. */
  protected get clientRandom(): Uint8Array | undefined { return this.handshake?.clientRandom; }
  protected set clientRandom(random: Uint8Array | undefined) { if (this.handshake) this.handshake.clientRandom = random; }

  constructor(options: CommonOptions) {
    if (!options || typeof options !== 'object') throw new TlsConfigError('TLS_CONFIG_MISSING', 'a configuration object is required');
    if (!options.crypto) throw new TlsConfigError('TLS_CONFIG_MISSING', 'config.crypto (a CryptoProvider, e.g. createNodeProvider() from runtime/crypto/node) is required: the engine has no built-in cryptography');
    if (typeof options.now !== 'function') throw new TlsConfigError('TLS_CONFIG_MISSING', 'config.now (a clock returning milliseconds, e.g. Date.now) is required: the engine reads no clock of its own');
    const table = this.table;
    if (!table.readKeys) throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `the ${table.name} table declares no record protection (spec meta.readKeys): the TLS engine reads which keys protect each state's records from the table`);
    this.stateName = table.initial;
    const maxHs = options.maxHandshakeMessageSize ?? DEFAULT_MAX_HANDSHAKE;
    if (!Number.isInteger(maxHs) || maxHs < 256 || maxHs > (1 << 24) - 1) throw new TlsConfigError('TLS_CONFIG_INVALID', `maxHandshakeMessageSize ${maxHs} must be an integer in 256..2^24-1`);
    const maxBuf = options.maxBufferedBytes ?? (MAX_CIPHERTEXT + 5) * 4;
    if (!Number.isInteger(maxBuf) || maxBuf < MAX_CIPHERTEXT + 5) throw new TlsConfigError('TLS_CONFIG_INVALID', `maxBufferedBytes ${maxBuf} must be at least ${MAX_CIPHERTEXT + 5} (one full record)`);
    const pad = options.recordPadding ?? 0;
    if (!Number.isInteger(pad) || pad < 0 || pad > MAX_PLAINTEXT) throw new TlsConfigError('TLS_CONFIG_INVALID', `recordPadding ${pad} must be an integer in 0..16384`);
    if (options.recordSizeLimit !== undefined && (!Number.isInteger(options.recordSizeLimit) || options.recordSizeLimit < 64 || options.recordSizeLimit > MAX_PLAINTEXT + 1)) {
      throw new TlsConfigError('TLS_CONFIG_INVALID', `recordSizeLimit ${options.recordSizeLimit} must be an integer in 64..16385 (RFC 8449 §4)`);
    }
    this.params = connectionParams({ options, crypto: options.crypto, now: options.now, padding: pad, maxBuffered: maxBuf, maxHandshake: maxHs, keyLog: options.keyLog === true });
    this.handshake = {
      transcript: new Transcript(this.crypto), transcriptBefore: undefined, clientRandom: undefined, currentClientHello: undefined,
      pendingCcs: undefined, earlySkipped: 0,
    };
  }

  /** The handshake transcript (RFC 8446 §4.4.1). Nothing reads it after the handshake, when it is gone. */
  protected get transcript(): Transcript {
    if (!this.handshakeTranscript) throw new TlsProviderError(`the ${this.role} read its handshake transcript after the handshake completed (an engine bug: please report it)`);
    return this.handshakeTranscript;
  }

  // ---- public surface ------------------------------------------------------------------------

  /** Current state name of the generated table (e.g. 'CONNECTED', 'PEER_CLOSED', 'ERROR'). */
  get state(): S { return this.stateName; }
  /** The handshake completed and the connection has not ended (it may be half-closed). */
  get isConnected(): boolean { return (this.bits & B_HANDSHAKE_DONE) !== 0 && !this.ended; }
  /** Closed in both directions (the table's CLOSED). */
  get isClosed(): boolean { return this.stateName === this.sinks.closed; }
  /** In an absorbing state of the table (CLOSED or ERROR): nothing more happens. */
  get ended(): boolean { return this.table.absorbing.includes(this.stateName); }
  /** The fatal error that ended the connection, if any. */
  get error(): ProtosmithError | undefined { return this.failure; }

  /** Feed received bytes (any split or coalescing). Resolves with the events they produced. After
   *  a fatal error the events end with `{type:'error'}`; later calls reject with that error.
   *  The bytes are read in place (not copied) until the returned promise settles: do not modify
   *  them before then. Nothing of them is kept afterwards. */
  receive(bytes: Uint8Array): Promise<TlsEvent[]> {
    return this.serial(async () => {
      if (!(bytes instanceof Uint8Array)) throw new TlsUsageError('TLS_BAD_ARGUMENT', 'receive() takes a Uint8Array');
      // Take the input a slice at a time so that at most maxBufferedBytes are held, however much
      // arrives in one call (a full record always fits, so progress is guaranteed).
      let off = 0;
      // The reader lives while it holds a partial record: an idle connection has none.
      const records = this.records ?? new RecordReader(this.params.maxBuffered);
      this.records = records;
      try {
        do {
          // A partial record held from before is completed first (copying at most one record); what
          // follows is then viewed in place, not copied.
          const needed = records.needed;
          const n = Math.min(bytes.length - off, needed > 0 ? Math.min(needed, records.room) : records.room);
          records.push(bytes.subarray(off, off + n));
          off += n;
          for (;;) {
            if (this.ended) return;
            const rec = records.next();
            if (!rec) break;
            // Application data under a synchronous provider is handled without a promise per record.
            const pending = this.processRecord(rec.type, rec.header, rec.fragment);
            if (pending !== undefined) await pending;
          }
        } while (off < bytes.length);
      } finally {
        records.detach();
        if (records.buffered === 0) this.records = undefined;
      }
    });
  }

  /** Bytes to send to the peer (empty when none). */
  takeOutput(): Uint8Array {
    const parts = this.output;
    this.output = NONE;
    if (parts.length === 1) return parts[0]!;
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    n = 0;
    for (const p of parts) { out.set(p, n); n += p.length; }
    return out;
  }

  /** Lower-level, for adapters: take the buffers that a write's records are sealed into from `source` (see
   *  OutputBuffers), so that an adapter can reuse them once its transport has written them. */
  useOutputBuffers(source: OutputBuffers | undefined): void { this.outputBuffers = source; }

  /** The same bytes as takeOutput(), as the pieces they were made in (in order, none shared with the
   *  engine), for a vectored write (e.g. writev) that need not join them; empty when none. */
  takeOutputChunks(): Uint8Array[] {
    const parts = this.output;
    this.output = NONE;
    return parts === NONE ? [] : parts;
  }

  /** Queue application data (split into records). Fails with TlsUsageError before the handshake completes or after close. */
  write(data: Uint8Array): Promise<TlsEvent[]> {
    return this.serial(async () => {
      if (!(data instanceof Uint8Array)) throw new TlsUsageError('TLS_BAD_ARGUMENT', 'write() takes a Uint8Array');
      this.currentData = data;
      await this.local(this.ev('AppWrite'));
    });
  }

  /** Send a KeyUpdate; with updatePeer the peer is asked to update its keys too (RFC 8446 §4.6.3). */
  requestKeyUpdate(updatePeer: boolean): Promise<TlsEvent[]> {
    return this.serial(async () => {
      this.setBit(B_KEY_UPDATE_REQUEST_PEER, updatePeer);
      await this.local(this.ev('RequestKeyUpdate'));
    });
  }

  /** Send close_notify (RFC 8446 §6.1). After the handshake this half-closes: reading goes on (data,
   *  tickets, key updates) until the peer's close_notify ('closed' event). After the peer's close_notify
   *  ('peerClosed' event), or a second close(), the connection is closed in both directions. */
  close(): Promise<TlsEvent[]> {
    return this.serial(async () => { await this.local(this.ev('Close')); });
  }

  /** RFC 8446 §7.5 exporter (RFC 5705 semantics). Available once connected. */
  async exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Promise<Uint8Array> {
    if (this.failure) throw this.failure;
    const exporterSecret = this.exporterSecret;
    if (!exporterSecret || !this.suite) throw new TlsUsageError('TLS_NOT_CONNECTED', 'exportKeyingMaterial() needs a completed handshake; wait for the handshakeComplete event');
    if (typeof label !== 'string' || label.length === 0 || label.length > 200) throw new TlsUsageError('TLS_BAD_ARGUMENT', 'exporter label must be a non-empty string of at most 200 characters');
    if (!Number.isInteger(length) || length < 1 || length > 255 * this.suite.hashLength) throw new TlsUsageError('TLS_BAD_ARGUMENT', `exporter length ${length} must be in 1..${255 * this.suite.hashLength}`);
    return exportKeyingMaterial(this.crypto, this.suite.hash, exporterSecret, label, context ?? new Uint8Array(0), length);
  }

  // ---- dispatch --------------------------------------------------------------------------------

  /** The RequestKeyUpdate being handled asks the peer to update its keys too. */
  protected get keyUpdateRequestPeer(): boolean { return (this.bits & B_KEY_UPDATE_REQUEST_PEER) !== 0; }

  private queueSettled(tail: Promise<void>): void { if (this.queue === tail) this.queue = undefined; }

  protected serial(fn: () => Promise<void>): Promise<TlsEvent[]> {
    const run = async (): Promise<TlsEvent[]> => {
      if (this.failure) throw this.failure;
      try {
        await fn();
        await this.flushHandshake();
      } catch (e) {
        if (e instanceof TlsUsageError) { this.events = NONE; throw e; }
        await this.fatal(e);
      }
      const ev = this.events;
      this.events = NONE;
      return ev === NONE ? [] : ev;
    };
    const p = (this.queue ?? IDLE).then(run, run);
    // The queue settles with nothing: it must not hold the last call's events (or their data) while idle.
    // Once the last call has settled, an idle connection holds no promise at all.
    const tail: Promise<void> = p.then(() => this.queueSettled(tail), () => this.queueSettled(tail));
    this.queue = tail;
    return p;
  }

  /** A local trigger (AppWrite, RequestKeyUpdate, Close, Start): a table rejection is the caller's mistake. */
  protected async local(event: E): Promise<void> {
    const from = this.stateName;
    if (needsGuards(this.table, from, event)) await this.prepare(event);
    const r = step(this.table, from, event, (g) => this.guard(g));
    if (r.kind === 'rejection') {
      if (r.error instanceof RefusedEventError) {
        throw new TlsUsageError(REFUSAL_CODES[r.error.reason] ?? 'TLS_NOT_CONNECTED', `${event} is not allowed in ${this.role} state ${from}: ${r.error.reason.replace(/_/g, ' ')}${r.error.reason === 'handshake_not_complete' ? '; wait for the handshakeComplete event' : ''}`);
      }
      if (r.error instanceof AbsorbedEventError) throw new TlsUsageError('TLS_CLOSED', `${event} after the connection was closed (${this.role} state ${from})`);
      throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `the ${this.role} table has no usable entry for the local request ${event} in ${from}: ${r.message}`);
    }
    const pending = this.take(r);
    if (pending !== undefined) await pending;
  }

  /** A received event. The table is asked first; only when its answer depends on guards (negotiated
   *  facts) is the message parsed and negotiated (`prepare`) before the guards are read. An error edge
   *  is fatal with the table's alert; the table's edge to ERROR without an alert is the peer's own
   *  fatal alert (nothing is sent back). */
  protected dispatch(event: E): Promise<void> | undefined {
    const from = this.stateName;
    if (needsGuards(this.table, from, event)) return this.prepare(event).then(() => this.dispatchStep(event, from));
    return this.dispatchStep(event, from);
  }

  /** dispatch() once the guards can be read. Synchronous (undefined) when every action of the transition is. */
  private dispatchStep(event: E, from: S): Promise<void> | undefined {
    const r = step(this.table, from, event, (g) => this.guard(g));
    if (r.kind === 'rejection') {
      if (r.error instanceof UnexpectedEventError) {
        const alert = toAlert(r.error.alert ?? 'unexpected_message');
        throw new TlsPeerError(TABLE_ALERT_CODES[alert] ?? 'TLS_UNEXPECTED_MESSAGE', alert,
          `${this.role} received ${event} in state ${from}, which the handshake table does not allow${r.rfc ? ` (${r.rfc})` : ''}; sending ${alert}`);
      }
      if (r.error instanceof AbsorbedEventError) return undefined;
      throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `the ${this.role} table has no usable entry for ${event} in ${from}: ${r.message}`);
    }
    // A handshake message may not straddle a change of read keys (RFC 8446 §5.1): the table says which
    // actions change them (readKeys.changes), so the rest of a record read under the old keys is refused.
    if (this.reassembler !== undefined && r.actions.some((a) => this.table.readKeys?.changes[a] !== undefined)) {
      throw this.wrongKeys(`a handshake message straddles the change of read keys on ${event} (${this.role} state ${from}; RFC 8446 §5.1)`);
    }
    // After the handshake there is no transcript: a handshake message the table then ignores (e.g. in
    // PEER_CLOSED) has nothing to join.
    const hs = this.handshake;
    if (hs && this.current && this.table.transcript?.some((e) => e === event)) {
      const transcript = hs.transcript;
      // Only CertificateVerify and Finished are checked against the transcript before them (RFC 8446
      // §4.4.3, §4.4.4); a digest for every other message would be computed for nothing.
      hs.transcriptBefore = transcript.ready && (event === 'CertificateVerify' || event === 'Finished') ? transcript.hash() : undefined;
      transcript.add(this.current.raw);
    }
    return this.take(r);
  }

  /** Runs the transition's actions in order, then enters its target. Synchronous (undefined) while the
   *  actions are (delivering application data is); from the first action that returns a promise on,
   *  the rest wait for it. */
  private take(r: StepResult<S, A> & { kind: 'transition' }): Promise<void> | undefined {
    const actions = r.actions;
    for (let i = 0; i < actions.length; i++) {
      const pending = this.implementations.actions[actions[i]!](this, this.current);
      if (pending !== undefined) return this.takeRest(r, i + 1, pending);
    }
    this.stateName = r.target;
    return undefined;
  }

  private async takeRest(r: StepResult<S, A> & { kind: 'transition' }, next: number, pending: Promise<void>): Promise<void> {
    await pending;
    for (let i = next; i < r.actions.length; i++) {
      // A synchronous action (undefined) is not awaited: no promise or microtask for it.
      const p = this.implementations.actions[r.actions[i]!](this, this.current);
      if (p !== undefined) await p;
    }
    this.stateName = r.target;
  }

  /** Parse/negotiate what the guards need for `event` (subclasses). Runs only for allowed events. */
  protected async prepare(_event: E): Promise<void> { /* default: nothing */ }
  /** The handshakeComplete event's content (subclasses). */
  protected abstract handshakeCompleteEvent(): TlsEvent;

  private guard(name: G): boolean {
    return this.implementations.guards[name](this, this.current);
  }

  // ---- records in ------------------------------------------------------------------------------

  /** One record. Synchronous (undefined) for application data opened by a synchronous provider and
   *  delivered by synchronous actions: the bulk path takes no promise per record. Which protection the
   *  peer's records carry here is table data (spec meta.readKeys, per state). */
  private processRecord(outerType: number, header: Uint8Array, fragment: Uint8Array): Promise<void> | undefined {
    const level = this.readLevel;
    const protectedHere = this.table.readKeys!.protected.includes(level);
    if (outerType !== ContentType.application_data) {
      if (fragment.length > MAX_PLAINTEXT) throw new TlsPeerError('TLS_RECORD_OVERFLOW', 'record_overflow', `plaintext record of ${fragment.length} bytes exceeds 2^14 (RFC 8446 §5.1)`);
      if (protectedHere && outerType !== ContentType.change_cipher_spec) {
        throw this.wrongKeys(`received an unprotected ${outerType === ContentType.alert ? 'alert' : 'handshake'} record in ${this.role} state ${this.stateName}, where the table reads ${level} records (encryption started)`);
      }
      return this.processContent(outerType, fragment);
    }
    if (!protectedHere) {
      if (this.skipRejectedEarly(fragment.length)) return undefined;
      throw this.wrongKeys(`${this.role} received a protected (application_data) record in state ${this.stateName}, where the table reads ${level} records: no keys to read it exist`);
    }
    const cipher = this.readCipher;
    if (!cipher) throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `the ${this.role} table reads ${level} records in ${this.stateName}, but the engine installed no read keys (table and engine out of sync)`);
    if (cipher.synchronous === true && cipher.openSync) {
      let opened: { type: number; content: Uint8Array };
      try {
        opened = cipher.openSync(header, fragment);
      } catch (e) {
        if (this.skipUnreadable(e, fragment)) return undefined;
        throw e;
      }
      return this.processOpened(opened.type, opened.content);
    }
    return this.openAndProcess(cipher, header, fragment);
  }

  private async openAndProcess(cipher: RecordCipher, header: Uint8Array, fragment: Uint8Array): Promise<void> {
    let opened: { type: number; content: Uint8Array };
    try {
      opened = await cipher.open(header, fragment);
    } catch (e) {
      if (this.skipUnreadable(e, fragment)) return;
      throw e;
    }
    const pending = this.processOpened(opened.type, opened.content);
    if (pending !== undefined) await pending;
  }

  /** A record that does not open is skipped only as rejected 0-RTT data (RFC 8446 §4.2.10). */
  private skipUnreadable(e: unknown, fragment: Uint8Array): boolean {
    return e instanceof TlsPeerError && e.code === 'TLS_BAD_RECORD_MAC' && this.skipRejectedEarly(fragment.length);
  }

  /** The inner content of a record that opened. */
  private processOpened(type: number, content: Uint8Array): Promise<void> | undefined {
    this.bits |= B_RECORD_OPENED;
    if (content.length > this.recvLimit) throw new TlsPeerError('TLS_RECORD_OVERFLOW', 'record_overflow', `protected record carries ${content.length} bytes, over the negotiated record_size_limit (${this.recvLimit} + 1) (RFC 8449 §4)`);
    if (type === ContentType.change_cipher_spec) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', 'received a protected change_cipher_spec record (RFC 8446 §5 requires it in the clear)');
    return this.processContent(type, content);
  }

  private processContent(type: number, content: Uint8Array): Promise<void> | undefined {
    if (type !== ContentType.handshake && this.reassembler !== undefined) {
      throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `a record of content type ${type} arrived in the middle of a fragmented handshake message (RFC 8446 §5.1)`);
    }
    switch (type) {
      case ContentType.change_cipher_spec:
        if (content.length !== 1 || content[0] !== 1) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', 'change_cipher_spec record must hold the single byte 0x01 (RFC 8446 §5)');
        this.noProgress('change_cipher_spec record');
        return this.dispatch(this.ev('ChangeCipherSpec'));
      case ContentType.alert: return this.processAlert(content);
      case ContentType.handshake: return this.processHandshake(content);
      case ContentType.application_data: {
        if (content.length === 0) this.noProgress('empty application_data record'); else this.recordsWithoutProgress = 0;
        this.currentData = content;
        const pending = this.dispatch(this.ev('ApplicationData'));
        if (pending !== undefined) return pending.then(() => { this.currentData = undefined; });
        this.currentData = undefined;
        return undefined;
      }
      default:
        throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `protected record has unknown inner content type ${type}`);
    }
  }

  private async processHandshake(content: Uint8Array): Promise<void> {
    if (content.length === 0) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', 'empty handshake record (RFC 8446 §5.1)');
    // The reassembler lives while it holds part of a message (undefined: none held).
    const reassembler = this.reassembler ?? new HandshakeReassembler(this.params.maxHandshake);
    this.reassembler = reassembler;
    reassembler.push(content);
    for (;;) {
      const msg = reassembler.next();
      if (reassembler.pending === 0) this.reassembler = undefined;
      if (!msg) return;
      const isHrr = msg.type === 2 && msg.body.length >= 34 && bytesEqual(msg.body.subarray(2, 34), HRR_RANDOM);
      // A ClientHello is decoded here, once: its cookie picks the event, and negotiation reads the same decode.
      const ch = msg.type === 1 ? decode('ClientHello', () => decodeClientHello(msg.body)) : undefined;
      const event = eventForHandshake(msg.type, isHrr, ch !== undefined && carriesCookie(ch));
      if (!event) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `handshake message of unknown type ${msg.type} (${this.role} state ${this.stateName})`);
      if (event === 'KeyUpdate') this.noProgress('KeyUpdate'); else this.recordsWithoutProgress = 0;
      this.current = msg;
      const hs = this.handshake;
      if (hs) hs.currentClientHello = ch;
      await this.dispatch(this.ev(event));
      this.current = undefined;
      if (hs) hs.currentClientHello = undefined;
      if (this.ended) return;
    }
  }

  /** Resource limit, not an ordering fact: the table allows these records, but not endlessly. */
  private recordsWithoutProgress = 0;
  private noProgress(what: string): void {
    if (++this.recordsWithoutProgress <= MAX_RECORDS_WITHOUT_PROGRESS) return;
    throw new TlsPeerError('TLS_NO_PROGRESS', 'unexpected_message', `${this.role} received more than ${MAX_RECORDS_WITHOUT_PROGRESS} records in a row that carry neither data nor handshake progress (the last: ${what}, in state ${this.stateName}); a peer that loops like this is closed`);
  }

  /** The protection level the table says the peer's records carry in the current state (spec meta.readKeys). */
  private get readLevel(): string {
    const level = this.table.readKeys!.states[this.stateName];
    if (level === undefined) throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `the ${this.role} table names no read keys for state ${this.stateName} (table and engine out of sync)`);
    return level;
  }

  /** A record under the wrong protection: the table's alert for it (spec meta.readKeys.alert). */
  private wrongKeys(message: string): TlsPeerError {
    const rk = this.table.readKeys!;
    const alert = toAlert(rk.alert);
    return new TlsPeerError(TABLE_ALERT_CODES[alert] ?? 'TLS_UNEXPECTED_MESSAGE', alert, `${message}${rk.rfc ? ` (${rk.rfc})` : ''}`);
  }

  /** A protected record the current keys cannot read is skipped where the table allows it
   *  (readKeys.skip names the state's guard: rejected 0-RTT data, RFC 8446 §4.2.10), within the byte limit. */
  private skipRejectedEarly(n: number): boolean {
    const guard = this.table.readKeys!.skip[this.stateName];
    if (guard === undefined || !this.guard(guard)) return false;
    const hs = this.handshake;
    if (!hs) return false; // only handshake states skip (0-RTT ends before the handshake does)
    const left = this.earlySkipLimit - hs.earlySkipped;
    if (left <= 0) return false;
    if (n > left + 256) {
      throw new TlsPeerError('TLS_EARLY_DATA_LIMIT', 'unexpected_message', `rejected 0-RTT data exceeds max_early_data_size (RFC 8446 §4.2.10)`);
    }
    hs.earlySkipped += Math.max(0, n - 17);
    return true;
  }

  private async processAlert(content: Uint8Array): Promise<void> {
    if (content.length === 0) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', 'alert record with no content; a protected Alert record must not be empty (RFC 8446 §5.4)');
    if (content.length !== 2) throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', `alert record of ${content.length} bytes; an alert is exactly 2 bytes (RFC 8446 §6)`);
    const level = content[0]!;
    const description = content[1]!;
    if (level !== 1 && level !== 2) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `alert with unknown level ${level}`);
    if (description === AlertDescription.close_notify) {
      this.emit({ type: 'alert', level: level === 1 ? 'warning' : 'fatal', description });
      await this.dispatch(this.ev('CloseNotify'));
      return;
    }
    if (description === AlertDescription.user_canceled) {
      this.noProgress('user_canceled alert');
      this.setBit(B_ALERT_FATAL, level === 2);
      await this.dispatch(this.ev('UserCanceled'));
      return;
    }
    // Every other alert is fatal in TLS 1.3 whatever its level (RFC 8446 §6.2): the table's Alert edge
    // goes to ERROR without an alert of ours.
    this.emit({ type: 'alert', level: 'fatal', description });
    const from = this.stateName;
    await this.dispatch(this.ev('Alert'));
    if (this.stateName === this.sinks.error) {
      throw new TlsAlertReceivedError(description, `the peer (${this.role === 'client' ? 'server' : 'client'}) aborted the connection with alert ${alertName(description)} (${description}) while this ${this.role} was in state ${from}${this.alertHint(description)}`);
    }
  }

  /** A name the table knows as an event (checked: the table's own event list). */
  private ev(name: string): E {
    const e = this.table.events.find((x) => x === name);
    if (e === undefined) throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `the ${this.role} table has no event ${name} (table and engine out of sync)`);
    return e;
  }

  // ---- records out ---------------------------------------------------------------------------

  protected emit(e: TlsEvent): void { (this.events === NONE ? (this.events = []) : this.events).push(e); }
  /** The output array, made when the first piece is queued. */
  private out(): Uint8Array[] { return this.output === NONE ? (this.output = []) : this.output; }

  /** Queue a handshake message (added to the transcript unless post-handshake). Returns the framed bytes. */
  protected queueHandshake(type: number, body: Uint8Array, options: { transcript?: boolean } = {}): Uint8Array {
    const framed = frameHandshake(type, body);
    if (options.transcript !== false) this.transcript.add(framed);
    (this.pendingHandshake === NONE ? (this.pendingHandshake = []) : this.pendingHandshake).push(framed);
    return framed;
  }

  /** Emit queued handshake messages under the current write keys (coalesced into records). Synchronous
   *  (undefined) when the write keys seal synchronously, or there are none. */
  protected flushHandshake(): Promise<void> | undefined {
    const hs = this.handshake;
    if (hs?.pendingCcs) { this.out().push(hs.pendingCcs); hs.pendingCcs = undefined; }
    if (this.pendingHandshake.length === 0) return undefined;
    // One message (a ServerHello, a NewSessionTicket, a Finished alone) goes as it is: no copy to join.
    const pending = this.pendingHandshake;
    const data = pending.length === 1 ? pending[0]! : concat(...pending);
    this.pendingHandshake = NONE;
    return this.sendContent(ContentType.handshake, data);
  }

  /** Queues `data` as records of `type`. Synchronous (undefined) without keys or with keys that seal
   *  synchronously; a promise with an asynchronous provider's keys. */
  protected sendContent(type: number, data: Uint8Array): Promise<void> | undefined {
    if (type === ContentType.application_data && !this.writeCipher) {
      throw new TlsProviderError(`refusing to send application data without record protection (${this.role} state ${this.stateName}); this is an engine bug`);
    }
    const cipher = this.writeCipher;
    const limit = cipher ? this.sendLimit : MAX_PLAINTEXT;
    if (cipher?.synchronousInto === true && cipher.sealIntoSync && cipher.recordLength) {
      // A provider that seals into our buffer: every record of this call in one buffer, the content sealed
      // where it lies; takeOutput() hands it over as it is.
      const { count, out } = this.recordsBuffer(cipher, cipher.recordLength, limit, data.length);
      let at = 0;
      for (let i = 0; i < count; i++) {
        const chunk = data.subarray(i * limit, Math.min(data.length, (i + 1) * limit));
        at += cipher.sealIntoSync(type, chunk, this.recordPad(chunk.length), out, at);
      }
      this.out().push(out);
      return undefined;
    }
    if (cipher?.synchronous === true && cipher.sealSync) {
      // Each record as the pieces the provider made (header, ciphertext, tag): nothing joined or copied
      // here; takeOutput() joins them once, takeOutputChunks() hands them over as they are.
      let off = 0;
      do {
        const chunk = wholeOrPart(data, off, limit);
        off += chunk.length;
        for (const piece of cipher.sealSync(type, chunk, this.recordPad(chunk.length))) this.out().push(piece);
      } while (off < data.length);
      return undefined;
    }
    if (cipher === undefined) {
      let off = 0;
      do {
        const chunk = wholeOrPart(data, off, limit);
        off += chunk.length;
        this.out().push(plaintextRecord(type, chunk, this.role === 'client' && type === ContentType.handshake && this.handshakeTranscript?.ready === false ? 0x0301 : 0x0303));
      } while (off < data.length);
      return undefined;
    }
    return this.sendContentAsync(cipher, limit, type, data);
  }

  private async sendContentAsync(cipher: RecordCipher, limit: number, type: number, data: Uint8Array): Promise<void> {
    if (cipher.sealInto && cipher.recordLength) {
      // All records of this call sealed into one buffer: one allocation, no joining in takeOutput.
      const { count, out } = this.recordsBuffer(cipher, cipher.recordLength, limit, data.length);
      let at = 0;
      for (let i = 0; i < count; i++) {
        const chunk = data.subarray(i * limit, Math.min(data.length, (i + 1) * limit));
        at += await cipher.sealInto(type, chunk, this.recordPad(chunk.length), out, at);
      }
      this.out().push(out);
      return;
    }
    let off = 0;
    do {
      const chunk = data.subarray(off, off + limit);
      off += chunk.length;
      this.out().push(await cipher.seal(type, chunk, this.recordPad(chunk.length)));
    } while (off < data.length);
  }

  /** One buffer for the `count` records that `length` bytes of content make at `limit` per record. */
  private recordsBuffer(cipher: RecordCipher, recordLength: NonNullable<RecordCipher['recordLength']>, limit: number, length: number): { count: number; out: Uint8Array } {
    const count = Math.max(1, Math.ceil(length / limit));
    let total = 0;
    for (let i = 0; i < count; i++) {
      const len = Math.min(limit, length - i * limit);
      total += recordLength.call(cipher, len, this.recordPad(len));
    }
    const given = this.outputBuffers?.take(total);
    return { count, out: given !== undefined && given.length === total ? given : new Uint8Array(total) };
  }

  /** Zero padding for a protected record of `contentLength` bytes (recordPadding rounds the inner plaintext up). */
  private recordPad(contentLength: number): number {
    if (this.padding <= 0) return 0;
    const inner = contentLength + 1;
    const pad = (this.padding - (inner % this.padding)) % this.padding;
    return Math.min(pad, this.sendLimit + 1 - inner);
  }

  /** Middlebox compatibility CCS (RFC 8446 §D.4). The table names sendChangeCipherSpec at most once on
   *  every path (prove: <role>_change_cipher_spec_sent_at_most_once), so this action keeps no flag. */
  protected sendCcs(): MaybePromise<void> {
    if (!this.middleboxCompat) return undefined;
    // Queued like a handshake message: it leaves with the next flight (or at the end of this call), and a
    // fatal error before then sends only the alert.
    return andThen(this.flushHandshake(), () => {
      if (this.handshake) this.handshake.pendingCcs = plaintextRecord(ContentType.change_cipher_spec, Uint8Array.of(1));
    });
  }
  protected abstract readonly middleboxCompat: boolean;

  // ---- application traffic secrets and KeyUpdate (RFC 8446 §7.1, §4.6.3): the same for both roles ----

  /** client_application_traffic_secret_N, server_application_traffic_secret_N and exporter_master_secret
   *  (RFC 8446 §7.1) in one buffer, set by deriveApplicationSecrets: one allocation per connection, not three.
   *  A KeyUpdate writes the next traffic secret over the one it replaces (RFC 8446 §7.2), so the buffer
   *  always holds the current pair and no superseded secret is kept.
   *  Kept as bytes, not as a (smaller) string: a string cannot be wiped and V8 may copy it. */
  /** Only the ArrayBuffer is kept (a view on it would be one more object per connection); views are
   *  made when a secret is used (KeyUpdate, exporter). */
  private appSecrets: ArrayBuffer | undefined;
  private appSecret(i: number): Uint8Array | undefined {
    const all = this.appSecrets;
    if (!all) return undefined;
    const n = all.byteLength / 3;
    return new Uint8Array(all, i * n, n);
  }
  protected get cAp(): Uint8Array | undefined { return this.appSecret(0); }
  protected get sAp(): Uint8Array | undefined { return this.appSecret(1); }
  protected get exporterSecret(): Uint8Array | undefined { return this.appSecret(2); }

  /** Derives the application traffic and exporter secrets from the transcript through server Finished. */
  protected async deriveApplicationSecrets(schedule: KeySchedule): Promise<void> {
    await schedule.enterMaster();
    const h = this.transcript.hash();
    const c = await schedule.clientApplicationTrafficSecret0(h);
    const s = await schedule.serverApplicationTrafficSecret0(h);
    const e = await schedule.exporterMasterSecret(h);
    const all = new Uint8Array(3 * schedule.hashLength);
    all.set(c, 0);
    all.set(s, schedule.hashLength);
    all.set(e, 2 * schedule.hashLength);
    this.appSecrets = all.buffer;
    this.keyLog(KeyLogLabel.clientTraffic0, c);
    this.keyLog(KeyLogLabel.serverTraffic0, s);
    this.keyLog(KeyLogLabel.exporter, e);
  }

  private get peerAppSecret(): Uint8Array { return (this.role === 'client' ? this.sAp : this.cAp)!; }
  private get ownAppSecret(): Uint8Array { return (this.role === 'client' ? this.cAp : this.sAp)!; }

  protected async updateReadKeys(): Promise<void> {
    const ku = decode('KeyUpdate', () => decodeKeyUpdate(this.current!.body));
    if (ku.request_update !== 0 && ku.request_update !== 1) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `KeyUpdate.request_update is ${ku.request_update}; only 0 and 1 are defined (RFC 8446 §4.6.3)`);
    this.setBit(B_PEER_KEY_UPDATE_REQUESTED, ku.request_update === 1);
    const secret = this.peerAppSecret;
    const next = await nextTrafficSecret(this.crypto, this.suite!.hash, secret);
    secret.set(next);
    next.fill(0);
    this.setReadCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, secret));
    this.emit({ type: 'keyUpdate', direction: 'read' });
  }

  protected async answerKeyUpdate(): Promise<void> {
    if ((this.bits & B_PEER_KEY_UPDATE_REQUESTED) === 0) return;
    this.setBit(B_PEER_KEY_UPDATE_REQUESTED, false);
    await this.sendKeyUpdate(false);
    await this.updateWriteKeys();
  }

  protected async sendKeyUpdate(requestPeer: boolean): Promise<void> {
    this.queueHandshake(24, encode('KeyUpdate', () => encodeKeyUpdate({ request_update: requestPeer ? 1 : 0 })), { transcript: false });
    await this.flushHandshake();
  }

  protected async updateWriteKeys(): Promise<void> {
    const secret = this.ownAppSecret;
    const next = await nextTrafficSecret(this.crypto, this.suite!.hash, secret);
    secret.set(next);
    next.fill(0);
    await this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, secret));
    this.emit({ type: 'keyUpdate', direction: 'write' });
  }

  /** Runs a provider call, turning whatever it throws into a typed error naming `what`. */
  protected async providerCall<T>(f: () => Promise<T>, what: string): Promise<T> {
    try { return await f(); } catch (e) { throw asProtosmithError(e, what); }
  }

  /** Installs write keys once what was queued under the old ones has been sealed with them. */
  protected setWriteCipher(c: RecordCipher | undefined): MaybePromise<void> {
    return andThen(this.flushHandshake(), () => { this.writeCipher = c; });
  }

  /** Installs read keys (the install*ReadKeys / updateReadKeys actions). That a handshake message does not
   *  straddle the change is checked in dispatch, from the table's readKeys.changes. */
  protected setReadCipher(c: RecordCipher | undefined): void {
    this.readCipher = c;
  }

  protected keyLog(label: KeyLogLabelName, secret: Uint8Array): void {
    if (!this.keyLogEnabled || !this.clientRandom) return;
    this.emit({ type: 'keyLog', line: keyLogLine(label, this.clientRandom, secret) });
  }

  // ---- shared actions --------------------------------------------------------------------------

  protected async sendApplicationData(): Promise<void> {
    const d = this.currentData ?? new Uint8Array(0);
    this.currentData = undefined;
    await this.flushHandshake();
    if (d.length > 0) await this.sendContent(ContentType.application_data, d);
  }
  protected deliverApplicationData(): void {
    const d = this.currentData;
    if (d && d.length > 0) this.emit({ type: 'data', data: d });
  }
  protected sendCloseNotify(): MaybePromise<void> {
    return andThen(this.flushHandshake(), () => this.sendContent(ContentType.alert, Uint8Array.of(1, 0)));
  }
  protected reportHandshakeComplete(): void {
    this.setBit(B_HANDSHAKE_DONE, true);
    this.emit(this.handshakeCompleteEvent());
    this.releaseHandshakeState();
  }

  /** Once connected (reportHandshakeComplete is the last action of the edges into CONNECTED), nothing
   *  reads the transcript, the last message's transcript hash or the client random (key log lines):
   *  they are dropped, so that an idle connection keeps only what its records, KeyUpdates and the
   *  exporter need. Subclasses drop their own handshake state too. */
  protected releaseHandshakeState(): void {
    this.handshake = undefined;
  }
  protected reportPeerClosed(): void { this.emit({ type: 'peerClosed' }); }
  protected reportClosed(): void { this.emit({ type: 'closed' }); }
  protected reportUserCanceled(): void {
    this.emit({ type: 'alert', level: (this.bits & B_ALERT_FATAL) !== 0 ? 'fatal' : 'warning', description: AlertDescription.user_canceled });
  }

  /** What a received fatal alert most likely means, appended to the error message ('' when nothing to add). */
  protected alertHint(_description: number): string { return ''; }

  /** Keys for an alert sent before the write side switched to encrypted records (client after
   *  ServerHello: the peer already reads under handshake keys, RFC 8446 §6). */
  protected async alertCipher(): Promise<RecordCipher | undefined> { return undefined; }

  private async fatal(e: unknown): Promise<void> {
    const err = asProtosmithError(e, `${this.role} in state ${this.stateName}`);
    this.failure = err;
    this.pendingHandshake = NONE;
    if (this.handshake) this.handshake.pendingCcs = undefined;
    if (!(err instanceof TlsAlertReceivedError)) {
      const alert: AlertName = err.alert && isAlertName(err.alert) ? err.alert : 'internal_error';
      const body = Uint8Array.of(2, AlertDescription[alert]);
      try {
        const cipher = this.writeCipher ?? await this.alertCipher();
        if (cipher) this.out().push(await cipher.seal(ContentType.alert, body, 0));
        else this.out().push(plaintextRecord(ContentType.alert, body));
      } catch {
        this.out().push(plaintextRecord(ContentType.alert, body));
      }
    }
    this.stateName = this.sinks.error;
    this.emit({ type: 'error', error: err });
  }
}

/** Whether a ClientHello answers a HelloRetryRequest (it carries a cookie), which picks its table event.
 *  A ClientHello that does not decode is refused before this with decode_error (RFC 8446 §6.2): guessing
 *  an event for malformed bytes would let the table answer for a message nobody could read. */
function carriesCookie(ch: ClientHello): boolean {
  return ch.extensions !== undefined && findExt(ch.extensions, ExtensionType.cookie) !== undefined;
}

/** Where the call queue of an idle connection starts: one settled promise for every connection. */
const IDLE: Promise<void> = Promise.resolve();

function toAlert(s: string): AlertName {
  return isAlertName(s) ? s : 'unexpected_message';
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
