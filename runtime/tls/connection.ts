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

/** What an engine implements for a generated table: the shape of the generated
 *  `<Role>Implementations` (generated/tls13/machines/*.ts), one member per guard and per action. */
export interface Implementations<G extends string, A extends string> {
  readonly guards: { readonly [K in G]: (ctx: void, msg: unknown) => boolean };
  readonly actions: { readonly [K in A]: (ctx: void, msg: unknown) => void | Promise<void> };
}

/** The table's sink states, named by the generated state constants. */
export interface Sinks<S extends string> { readonly error: S; readonly closed: S }

/** Stable usage-error codes for the table's refusal reasons (spec meta.refuse). */
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

export abstract class Connection<S extends string, E extends string, G extends string, A extends string> {
  protected readonly crypto: CryptoProvider;
  protected readonly now: () => number;
  protected readonly table: MachineTable<S, E, G, A>;
  private readonly sinks: Sinks<S>;
  private stateName: S;
  private failure: ProtosmithError | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private events: TlsEvent[] = [];
  private output: Uint8Array[] = [];
  private pendingHandshake: Uint8Array[] = [];
  private readonly records: RecordReader;
  private readonly reassembler: HandshakeReassembler;
  protected readCipher: RecordCipher | undefined;
  protected writeCipher: RecordCipher | undefined;
  /** The handshake message being processed by the current transition's actions. */
  protected current: HandshakeMessage | undefined;
  /** `current` decoded, when it is a ClientHello (decoded once, to pick its event; negotiation reuses it). */
  protected currentClientHello: ClientHello | undefined;
  /** Transcript hash before `current` was added, when `current` is a CertificateVerify or Finished (for their checks). */
  protected transcriptBefore: Uint8Array | undefined;
  /** Application data being delivered (received) or sent (local AppWrite) by the current transition. */
  protected currentData: Uint8Array | undefined;
  protected readonly transcript: Transcript;
  protected schedule: KeySchedule | undefined;
  protected suite: CipherSuiteParams | undefined;
  /** Byte budget for skipping undecryptable 0-RTT records after the server rejected early data (RFC 8446 §4.2.10). */
  protected earlySkipBudget = 0;
  /** Largest content we may send in one record (peer's record_size_limit, RFC 8449). */
  protected sendLimit = MAX_PLAINTEXT;
  /** Largest content we accept in one record (our record_size_limit once negotiated). */
  protected recvLimit = MAX_PLAINTEXT;
  protected readonly padding: number;
  protected clientRandom: Uint8Array | undefined;
  protected readonly keyLogEnabled: boolean;
  private handshakeDone = false;

  /** The generated `<Role>Implementations` of the table (no casts: a missing guard or action does not compile). */
  protected abstract readonly implementations: Implementations<G, A>;
  abstract readonly role: 'client' | 'server';

  constructor(options: CommonOptions, table: MachineTable<S, E, G, A>, sinks: Sinks<S>) {
    if (!options || typeof options !== 'object') throw new TlsConfigError('TLS_CONFIG_MISSING', 'a configuration object is required');
    if (!options.crypto) throw new TlsConfigError('TLS_CONFIG_MISSING', 'config.crypto (a CryptoProvider, e.g. createNodeProvider() from runtime/crypto/node) is required: the engine has no built-in cryptography');
    if (typeof options.now !== 'function') throw new TlsConfigError('TLS_CONFIG_MISSING', 'config.now (a clock returning milliseconds, e.g. Date.now) is required: the engine reads no clock of its own');
    this.crypto = options.crypto;
    this.now = options.now;
    this.table = table;
    this.sinks = sinks;
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
    this.padding = pad;
    this.records = new RecordReader(maxBuf);
    this.reassembler = new HandshakeReassembler(maxHs);
    this.transcript = new Transcript(this.crypto);
    this.keyLogEnabled = options.keyLog === true;
  }

  // ---- public surface ------------------------------------------------------------------------

  /** Current state name of the generated table (e.g. 'CONNECTED', 'PEER_CLOSED', 'ERROR'). */
  get state(): S { return this.stateName; }
  /** The handshake completed and the connection has not ended (it may be half-closed). */
  get isConnected(): boolean { return this.handshakeDone && !this.ended; }
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
      try {
        do {
          // A partial record held from before is completed first (copying at most one record); what
          // follows is then viewed in place, not copied.
          const needed = this.records.needed;
          const n = Math.min(bytes.length - off, needed > 0 ? Math.min(needed, this.records.room) : this.records.room);
          this.records.push(bytes.subarray(off, off + n));
          off += n;
          for (;;) {
            if (this.ended) return;
            const rec = this.records.next();
            if (!rec) break;
            await this.processRecord(rec.type, rec.header, rec.fragment);
          }
        } while (off < bytes.length);
      } finally {
        this.records.detach();
      }
    });
  }

  /** Bytes to send to the peer (empty when none). */
  takeOutput(): Uint8Array {
    const out = this.output.length === 1 ? this.output[0]! : concat(...this.output);
    this.output = [];
    return out;
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
      this.keyUpdateRequestPeer = updatePeer;
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
    if (!this.exporterSecret || !this.schedule) throw new TlsUsageError('TLS_NOT_CONNECTED', 'exportKeyingMaterial() needs a completed handshake; wait for the handshakeComplete event');
    if (typeof label !== 'string' || label.length === 0 || label.length > 200) throw new TlsUsageError('TLS_BAD_ARGUMENT', 'exporter label must be a non-empty string of at most 200 characters');
    if (!Number.isInteger(length) || length < 1 || length > 255 * this.schedule.hashLength) throw new TlsUsageError('TLS_BAD_ARGUMENT', `exporter length ${length} must be in 1..${255 * this.schedule.hashLength}`);
    return exportKeyingMaterial(this.crypto, this.schedule.hash, this.exporterSecret, label, context ?? new Uint8Array(0), length);
  }

  // ---- dispatch --------------------------------------------------------------------------------

  protected exporterSecret: Uint8Array | undefined;
  protected keyUpdateRequestPeer = false;

  protected serial(fn: () => Promise<void>): Promise<TlsEvent[]> {
    const run = async (): Promise<TlsEvent[]> => {
      if (this.failure) throw this.failure;
      try {
        await fn();
        await this.flushHandshake();
      } catch (e) {
        if (e instanceof TlsUsageError) { this.events = []; throw e; }
        await this.fatal(e);
      }
      const ev = this.events;
      this.events = [];
      return ev;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
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
    await this.take(r);
  }

  /** A received event. The table is asked first; only when its answer depends on guards (negotiated
   *  facts) is the message parsed and negotiated (`prepare`) before the guards are read. An error edge
   *  is fatal with the table's alert; the table's edge to ERROR without an alert is the peer's own
   *  fatal alert (nothing is sent back). */
  protected async dispatch(event: E): Promise<void> {
    const from = this.stateName;
    if (needsGuards(this.table, from, event)) await this.prepare(event);
    const r = step(this.table, from, event, (g) => this.guard(g));
    if (r.kind === 'rejection') {
      if (r.error instanceof UnexpectedEventError) {
        const alert = toAlert(r.error.alert ?? 'unexpected_message');
        throw new TlsPeerError(TABLE_ALERT_CODES[alert] ?? 'TLS_UNEXPECTED_MESSAGE', alert,
          `${this.role} received ${event} in state ${from}, which the handshake table does not allow${r.rfc ? ` (${r.rfc})` : ''}; sending ${alert}`);
      }
      if (r.error instanceof AbsorbedEventError) return;
      throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `the ${this.role} table has no usable entry for ${event} in ${from}: ${r.message}`);
    }
    if (this.current && this.table.transcript?.some((e) => e === event)) {
      // Only CertificateVerify and Finished are checked against the transcript before them (RFC 8446
      // §4.4.3, §4.4.4); a digest for every other message would be computed for nothing.
      this.transcriptBefore = this.transcript.ready && (event === 'CertificateVerify' || event === 'Finished') ? this.transcript.hash() : undefined;
      this.transcript.add(this.current.raw);
    }
    await this.take(r);
  }

  /** Runs the transition's actions, then enters its target. */
  private async take(r: StepResult<S, A> & { kind: 'transition' }): Promise<void> {
    // Synchronous actions are not awaited: an await per action costs microtask turns for nothing.
    for (const a of r.actions) {
      const done = this.implementations.actions[a](undefined, this.current);
      if (done !== undefined) await done;
    }
    this.stateName = r.target;
  }

  /** Parse/negotiate what the guards need for `event` (subclasses). Runs only for allowed events. */
  protected async prepare(_event: E): Promise<void> { /* default: nothing */ }
  /** The handshakeComplete event's content (subclasses). */
  protected abstract handshakeCompleteEvent(): TlsEvent;

  private guard(name: G): boolean {
    return this.implementations.guards[name](undefined, this.current);
  }

  // ---- records in ------------------------------------------------------------------------------

  private async processRecord(outerType: number, header: Uint8Array, fragment: Uint8Array): Promise<void> {
    let type = outerType;
    let content = fragment;
    if (outerType === ContentType.application_data) {
      if (!this.readCipher) {
        if (this.skipEarly(fragment.length)) return;
        throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `${this.role} received a protected (application_data) record in state ${this.stateName}, before any keys to read it exist`);
      }
      try {
        ({ type, content } = await this.readCipher.open(header, fragment));
        this.earlySkipBudget = 0;
        if (content.length > this.recvLimit) throw new TlsPeerError('TLS_RECORD_OVERFLOW', 'record_overflow', `protected record carries ${content.length} bytes, over the negotiated record_size_limit (${this.recvLimit} + 1) (RFC 8449 §4)`);
      } catch (e) {
        if (e instanceof TlsPeerError && e.code === 'TLS_BAD_RECORD_MAC' && this.skipEarly(fragment.length)) return;
        throw e;
      }
      if (type === ContentType.change_cipher_spec) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', 'received a protected change_cipher_spec record (RFC 8446 §5 requires it in the clear)');
    } else {
      if (fragment.length > MAX_PLAINTEXT) throw new TlsPeerError('TLS_RECORD_OVERFLOW', 'record_overflow', `plaintext record of ${fragment.length} bytes exceeds 2^14 (RFC 8446 §5.1)`);
      if (this.readCipher && outerType !== ContentType.change_cipher_spec) {
        throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `received an unprotected ${outerType === ContentType.alert ? 'alert' : 'handshake'} record after encryption started (${this.role} state ${this.stateName})`);
      }
    }
    if (type !== ContentType.handshake && this.reassembler.pending > 0) {
      throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `a record of content type ${type} arrived in the middle of a fragmented handshake message (RFC 8446 §5.1)`);
    }
    switch (type) {
      case ContentType.change_cipher_spec:
        if (content.length !== 1 || content[0] !== 1) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', 'change_cipher_spec record must hold the single byte 0x01 (RFC 8446 §5)');
        this.noProgress('change_cipher_spec record');
        await this.dispatch(this.ev('ChangeCipherSpec'));
        return;
      case ContentType.alert: return this.processAlert(content);
      case ContentType.handshake:
        if (content.length === 0) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', 'empty handshake record (RFC 8446 §5.1)');
        this.reassembler.push(content);
        for (;;) {
          const msg = this.reassembler.next();
          if (!msg) return;
          const isHrr = msg.type === 2 && msg.body.length >= 34 && bytesEqual(msg.body.subarray(2, 34), HRR_RANDOM);
          // A ClientHello is decoded here, once: its cookie picks the event, and negotiation reads the same decode.
          const ch = msg.type === 1 ? decode('ClientHello', () => decodeClientHello(msg.body)) : undefined;
          const event = eventForHandshake(msg.type, isHrr, ch !== undefined && carriesCookie(ch));
          if (!event) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `handshake message of unknown type ${msg.type} (${this.role} state ${this.stateName})`);
          if (event === 'KeyUpdate') this.noProgress('KeyUpdate'); else this.recordsWithoutProgress = 0;
          this.current = msg;
          this.currentClientHello = ch;
          await this.dispatch(this.ev(event));
          this.current = undefined;
          this.currentClientHello = undefined;
          if (this.ended) return;
        }
      case ContentType.application_data:
        if (content.length === 0) this.noProgress('empty application_data record'); else this.recordsWithoutProgress = 0;
        this.currentData = content;
        await this.dispatch(this.ev('ApplicationData'));
        this.currentData = undefined;
        return;
      default:
        throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `protected record has unknown inner content type ${type}`);
    }
  }

  /** Resource limit, not an ordering fact: the table allows these records, but not endlessly. */
  private recordsWithoutProgress = 0;
  private noProgress(what: string): void {
    if (++this.recordsWithoutProgress <= MAX_RECORDS_WITHOUT_PROGRESS) return;
    throw new TlsPeerError('TLS_NO_PROGRESS', 'unexpected_message', `${this.role} received more than ${MAX_RECORDS_WITHOUT_PROGRESS} records in a row that carry neither data nor handshake progress (the last: ${what}, in state ${this.stateName}); a peer that loops like this is closed`);
  }

  private skipEarly(n: number): boolean {
    if (this.earlySkipBudget <= 0) return false;
    if (n > this.earlySkipBudget + 256) {
      throw new TlsPeerError('TLS_EARLY_DATA_LIMIT', 'unexpected_message', `rejected 0-RTT data exceeds max_early_data_size (RFC 8446 §4.2.10)`);
    }
    this.earlySkipBudget -= Math.max(0, n - 17);
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
      this.alertLevel = level;
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

  private alertLevel = 1;

  /** A name the table knows as an event (checked: the table's own event list). */
  private ev(name: string): E {
    const e = this.table.events.find((x) => x === name);
    if (e === undefined) throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `the ${this.role} table has no event ${name} (table and engine out of sync)`);
    return e;
  }

  // ---- records out ---------------------------------------------------------------------------

  protected emit(e: TlsEvent): void { this.events.push(e); }

  /** Queue a handshake message (added to the transcript unless post-handshake). Returns the framed bytes. */
  protected queueHandshake(type: number, body: Uint8Array, options: { transcript?: boolean } = {}): Uint8Array {
    const framed = frameHandshake(type, body);
    if (options.transcript !== false) this.transcript.add(framed);
    this.pendingHandshake.push(framed);
    return framed;
  }

  /** Emit queued handshake messages under the current write keys (coalesced into records). */
  protected async flushHandshake(): Promise<void> {
    if (this.pendingHandshake.length === 0) return;
    const data = concat(...this.pendingHandshake);
    this.pendingHandshake = [];
    await this.sendContent(ContentType.handshake, data);
  }

  protected async sendContent(type: number, data: Uint8Array): Promise<void> {
    if (type === ContentType.application_data && !this.writeCipher) {
      throw new TlsProviderError(`refusing to send application data without record protection (${this.role} state ${this.stateName}); this is an engine bug`);
    }
    const cipher = this.writeCipher;
    const limit = cipher ? this.sendLimit : MAX_PLAINTEXT;
    if (cipher?.sealInto && cipher.recordLength) {
      // All records of this call sealed into one buffer: one allocation, no joining in takeOutput.
      const count = Math.max(1, Math.ceil(data.length / limit));
      let total = 0;
      for (let i = 0; i < count; i++) {
        const len = Math.min(limit, data.length - i * limit);
        total += cipher.recordLength(len, this.recordPad(len));
      }
      const out = new Uint8Array(total);
      let at = 0;
      for (let i = 0; i < count; i++) {
        const chunk = data.subarray(i * limit, Math.min(data.length, (i + 1) * limit));
        at += await cipher.sealInto(type, chunk, this.recordPad(chunk.length), out, at);
      }
      this.output.push(out);
      return;
    }
    let off = 0;
    do {
      const chunk = data.subarray(off, off + limit);
      off += chunk.length;
      if (cipher) {
        this.output.push(await cipher.seal(type, chunk, this.recordPad(chunk.length)));
      } else {
        this.output.push(plaintextRecord(type, chunk, this.role === 'client' && type === ContentType.handshake && !this.transcript.ready ? 0x0301 : 0x0303));
      }
    } while (off < data.length);
  }

  /** Zero padding for a protected record of `contentLength` bytes (recordPadding rounds the inner plaintext up). */
  private recordPad(contentLength: number): number {
    if (this.padding <= 0) return 0;
    const inner = contentLength + 1;
    const pad = (this.padding - (inner % this.padding)) % this.padding;
    return Math.min(pad, this.sendLimit + 1 - inner);
  }

  private ccsSent = false;
  /** Middlebox compatibility CCS (RFC 8446 §D.4): at most one per connection. */
  protected async sendCcs(): Promise<void> {
    if (this.ccsSent || !this.middleboxCompat) return;
    this.ccsSent = true;
    await this.flushHandshake();
    this.output.push(plaintextRecord(ContentType.change_cipher_spec, Uint8Array.of(1)));
  }
  protected abstract readonly middleboxCompat: boolean;

  // ---- application traffic secrets and KeyUpdate (RFC 8446 §7.1, §4.6.3): the same for both roles ----

  /** client/server_application_traffic_secret_0, set by deriveApplicationSecrets. */
  protected cAp: Uint8Array | undefined;
  protected sAp: Uint8Array | undefined;
  /** The current application traffic secrets after KeyUpdates (undefined until the first update). */
  private updatedReadSecret: Uint8Array | undefined;
  private updatedWriteSecret: Uint8Array | undefined;
  private peerKeyUpdateRequested = false;

  /** Derives the application traffic and exporter secrets from the transcript through server Finished. */
  protected async deriveApplicationSecrets(schedule: KeySchedule): Promise<void> {
    await schedule.enterMaster();
    const h = this.transcript.hash();
    this.cAp = await schedule.clientApplicationTrafficSecret0(h);
    this.sAp = await schedule.serverApplicationTrafficSecret0(h);
    this.exporterSecret = await schedule.exporterMasterSecret(h);
    this.keyLog(KeyLogLabel.clientTraffic0, this.cAp);
    this.keyLog(KeyLogLabel.serverTraffic0, this.sAp);
    this.keyLog(KeyLogLabel.exporter, this.exporterSecret);
  }

  private get peerAppSecret(): Uint8Array { return (this.role === 'client' ? this.sAp : this.cAp)!; }
  private get ownAppSecret(): Uint8Array { return (this.role === 'client' ? this.cAp : this.sAp)!; }

  protected async updateReadKeys(): Promise<void> {
    const ku = decode('KeyUpdate', () => decodeKeyUpdate(this.current!.body));
    if (ku.request_update !== 0 && ku.request_update !== 1) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `KeyUpdate.request_update is ${ku.request_update}; only 0 and 1 are defined (RFC 8446 §4.6.3)`);
    this.peerKeyUpdateRequested = ku.request_update === 1;
    this.updatedReadSecret = await nextTrafficSecret(this.crypto, this.suite!.hash, this.updatedReadSecret ?? this.peerAppSecret);
    this.setReadCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.updatedReadSecret));
    this.emit({ type: 'keyUpdate', direction: 'read' });
  }

  protected async answerKeyUpdate(): Promise<void> {
    if (!this.peerKeyUpdateRequested) return;
    this.peerKeyUpdateRequested = false;
    await this.sendKeyUpdate(false);
    await this.updateWriteKeys();
  }

  protected async sendKeyUpdate(requestPeer: boolean): Promise<void> {
    this.queueHandshake(24, encode('KeyUpdate', () => encodeKeyUpdate({ request_update: requestPeer ? 1 : 0 })), { transcript: false });
    await this.flushHandshake();
  }

  protected async updateWriteKeys(): Promise<void> {
    this.updatedWriteSecret = await nextTrafficSecret(this.crypto, this.suite!.hash, this.updatedWriteSecret ?? this.ownAppSecret);
    await this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.updatedWriteSecret));
    this.emit({ type: 'keyUpdate', direction: 'write' });
  }

  /** Runs a provider call, turning whatever it throws into a typed error naming `what`. */
  protected async providerCall<T>(f: () => Promise<T>, what: string): Promise<T> {
    try { return await f(); } catch (e) { throw asProtosmithError(e, what); }
  }

  protected async setWriteCipher(c: RecordCipher | undefined): Promise<void> {
    await this.flushHandshake();
    this.writeCipher = c;
  }

  protected setReadCipher(c: RecordCipher | undefined): void {
    if (this.reassembler.pending > 0) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', 'a handshake message straddles a key change (RFC 8446 §5.1)');
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
  protected async sendCloseNotify(): Promise<void> {
    await this.flushHandshake();
    await this.sendContent(ContentType.alert, Uint8Array.of(1, 0));
  }
  protected reportHandshakeComplete(): void {
    this.handshakeDone = true;
    this.emit(this.handshakeCompleteEvent());
  }
  protected reportPeerClosed(): void { this.emit({ type: 'peerClosed' }); }
  protected reportClosed(): void { this.emit({ type: 'closed' }); }
  protected reportUserCanceled(): void {
    this.emit({ type: 'alert', level: this.alertLevel === 2 ? 'fatal' : 'warning', description: AlertDescription.user_canceled });
  }

  /** What a received fatal alert most likely means, appended to the error message ('' when nothing to add). */
  protected alertHint(_description: number): string { return ''; }

  /** Keys for an alert sent before the write side switched to encrypted records (client after
   *  ServerHello: the peer already reads under handshake keys, RFC 8446 §6). */
  protected async alertCipher(): Promise<RecordCipher | undefined> { return undefined; }

  private async fatal(e: unknown): Promise<void> {
    const err = asProtosmithError(e, `${this.role} in state ${this.stateName}`);
    this.failure = err;
    this.pendingHandshake = [];
    if (!(err instanceof TlsAlertReceivedError)) {
      const alert: AlertName = err.alert && isAlertName(err.alert) ? err.alert : 'internal_error';
      const body = Uint8Array.of(2, AlertDescription[alert]);
      try {
        const cipher = this.writeCipher ?? await this.alertCipher();
        if (cipher) this.output.push(await cipher.seal(ContentType.alert, body, 0));
        else this.output.push(plaintextRecord(ContentType.alert, body));
      } catch {
        this.output.push(plaintextRecord(ContentType.alert, body));
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

function toAlert(s: string): AlertName {
  return isAlertName(s) ? s : 'unexpected_message';
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
