// A node Duplex around a sans-IO engine (TlsClient or TlsServer) and a byte transport (a
// net.Socket, or any Duplex: a stream pair in tests). Bytes from the transport go to
// engine.receive(); engine events become stream data and socket events; whatever the engine
// queues for the peer is written to the transport after every call (outputs under 16 KiB made in one
// event-loop turn are held and leave together: one write, one TCP segment with setNoDelay).
//
// Events (besides the Duplex ones):
//   'secure'   (info: HandshakeCompleteEvent)  handshake done; writes queued before it are sent now
//   'session'  (session: ClientSession)        client: a resumable session from a NewSessionTicket
//   'earlyData'(data: Uint8Array)              server: 0-RTT data (also pushed to the readable side). REPLAYABLE.
//   'keylog'   (line: string)                  NSS key log line (only when keyLog is enabled)
//   'keyUpdate'(direction: 'read' | 'write')
//   'alert'    (alert: {level, description})   a non-fatal alert from the peer
//   'timeout'                                  setTimeout(ms): no bytes moved for ms (like net.Socket; nothing is closed)
//
// Lifecycle rules (docs/tls.md "Closing a connection", "Timeouts and limits"):
//  - Who reports a failure: before the handshake completes, a failure rejects every pending
//    secureConnect() promise; if at least one was pending, that is the report and no 'error' event
//    is emitted (the socket just closes). Otherwise (nobody awaiting, or after the handshake) the
//    'error' event reports it. So `try { await connect(o).secureConnect() } catch {}` never crashes.
//  - end() sends close_notify and a TCP FIN after every written byte, then keeps reading (and, once
//    the engine reads no more, discarding) until the peer closes its side or closeTimeout passes. Once
//    both close_notify alerts have crossed, the transport is destroyed as soon as our FIN has left.
//    The transport is never destroyed while it may hold unread bytes: closing a TCP socket with
//    unread data makes the kernel send a reset, which throws away our own unsent data.
//  - allowHalfOpen (default false, like node:tls): when the peer's close_notify ends the readable
//    side, end() is called for us once pending writes are sent. With true the writable side stays
//    open until end(). Whether data can still be written after the peer's close_notify (and read
//    after ours) is the engine's call: the adapter follows `engine.isClosed`.
//  - Timeouts: handshakeTimeout (fatal, TLS_HANDSHAKE_TIMEOUT), idleTimeout (polite close; fatal
//    TLS_IDLE_TIMEOUT when our own writes are stuck because the peer stopped reading), closeTimeout
//    (how long end() waits for the peer), setTimeout (just the 'timeout' event).
// Fatal TLS errors destroy the socket with the engine's ProtosmithError (after flushing the alert).
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { HandshakeCompleteEvent, TlsEvent, ClientSession, OutputBuffers } from '../tls/index.ts';
import { ProtosmithError, TlsConfigError, TlsUsageError } from '../tls/index.ts';
import { asProtosmithError } from '../tls/errors.ts';
import { TlsTransportError } from './errors.ts';
import { OutputPool } from './output-pool.ts';

/** What the adapter needs from an engine (TlsClient and TlsServer both provide it). */
export interface SansIoEngine {
  receive(bytes: Uint8Array): Promise<TlsEvent[]>;
  takeOutput(): Uint8Array;
  /** Optional: takeOutput()'s bytes as the pieces they were made in, written with one vectored write. */
  takeOutputChunks?(): Uint8Array[];
  write(data: Uint8Array): Promise<TlsEvent[]>;
  requestKeyUpdate(updatePeer: boolean): Promise<TlsEvent[]>;
  close(): Promise<TlsEvent[]>;
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Promise<Uint8Array>;
  /** True once the engine neither reads nor writes any more (its table's closed state). */
  readonly isClosed: boolean;
  /** Optional: take the buffers a write's records are sealed into from `source` (runtime/tls OutputBuffers);
   *  the socket gives its pool, and hands each buffer back once the transport has written it. */
  useOutputBuffers?(source: OutputBuffers | undefined): void;
  /** Optional, for an engine that stands in for another and forwards every call to it (createServer's,
   *  made before the client's first byte): that engine once made. The socket then calls it directly and
   *  drops the stand-in. */
  readonly engine?: SansIoEngine | undefined;
}

/** Defaults (milliseconds). Documented in docs/tls.md "Timeouts and limits". */
export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;
export const DEFAULT_SERVER_IDLE_TIMEOUT = 300_000;
export const DEFAULT_CLOSE_TIMEOUT = 30_000;
/** After a fatal error: how long the alert gets to reach the peer before the transport is torn down. */
const ERROR_LINGER = 1_000;
/** _writev hands the engine at most this much at once (records are cut at 16 KiB anyway). */
const WRITE_BATCH = 64 * 1024;
/** Engine output smaller than this is held until the end of the event-loop turn (see #flush), so that what
 *  one turn produces is written together; larger output is written at once. */
const COALESCE_BELOW = 16 * 1024;

export interface TlsSocketOptions {
  /** Called with every NSS key log line (SSLKEYLOGFILE format). The engine must have keyLog enabled. */
  readonly onKeyLog?: ((line: string) => void) | undefined;
  /** false (default, like node:tls): once the peer's close_notify ends the readable side, end() is
   *  called for you after your pending writes. true: the writable side stays open until you end() it. */
  readonly allowHalfOpen?: boolean | undefined;
  /** ms from construction until the handshake must be complete (TCP connect included); 0 = none. Default 30 000. */
  readonly handshakeTimeout?: number | undefined;
  /** ms without a byte received or sent, after the handshake, before the connection is closed; 0 = none. Default 0 here
   *  (createServer sets 300 000). */
  readonly idleTimeout?: number | undefined;
  /** ms that end() (or a peer's close) waits for the other side to finish before the transport is destroyed. Default 30 000. */
  readonly closeTimeout?: number | undefined;
  /** Called once with the error that ended the connection (and the socket), whichever of secureConnect() and
   *  'error' reports it. One function can serve every socket of a server. With onError, an 'error' event
   *  nobody listens to is dropped rather than thrown (the socket's owner hears of errors here). */
  readonly onError?: ((err: Error, socket: TlsSocket) => void) | undefined;
}

type Waiter = { user: boolean; resolve: () => void; reject: (e: Error) => void };

/** A socket's options, checked: one object for every socket made with the same options object (a server's
 *  sockets all are), so that a socket holds one field for them rather than four. */
interface SocketParams {
  readonly options: TlsSocketOptions;
  readonly onKeyLog: ((line: string) => void) | undefined;
  readonly onError: ((err: Error, socket: TlsSocket) => void) | undefined;
  readonly idleTimeout: number;
  readonly closeTimeout: number;
  /** Output buffers shared by the sockets made with these options (see OutputPool). */
  readonly outputPool: OutputPool;
}

/** What a socket holds only for a while or rarely: during the handshake (its timer, who waits for it),
 *  at the end (the failure, the linger timer), on request (the user's setTimeout), on a client (sessions).
 *  One object, made when first needed and dropped when the handshake completes with nothing else in it,
 *  so that an idle connection holds one empty field rather than six. */
interface Occasional {
  sessions: ClientSession[] | undefined;
  /** Who waits for the handshake; made by the first waiter. */
  waiting: Waiter[] | undefined;
  failed: Error | undefined;
  handshakeTimer: NodeJS.Timeout | undefined;
  userTimer: NodeJS.Timeout | undefined;
  lingerTimer: NodeJS.Timeout | undefined;
}

function isEmpty(o: Occasional): boolean {
  return o.sessions === undefined && o.waiting === undefined && o.failed === undefined && o.handshakeTimer === undefined
    && o.userTimer === undefined && o.lingerTimer === undefined;
}

/** Listens to an 'error' event nobody else hears, on a socket with onError (see _destroy). */
function heardByOnError(): void { /* onError has it */ }

/** The last params made per options object; a hit serves only while every value is the one just checked. */
const paramsByOptions = new WeakMap<TlsSocketOptions, SocketParams>();

function socketParams(fresh: Omit<SocketParams, 'outputPool'>): SocketParams {
  const had = paramsByOptions.get(fresh.options);
  if (had && had.onKeyLog === fresh.onKeyLog && had.onError === fresh.onError && had.idleTimeout === fresh.idleTimeout
    && had.closeTimeout === fresh.closeTimeout) return had;
  // The output pool goes with the options object: one per server (its sockets share the options), one per connect().
  const params: SocketParams = Object.freeze({ ...fresh, outputPool: had?.outputPool ?? new OutputPool() });
  paramsByOptions.set(fresh.options, params);
  return params;
}

/** Throws TlsConfigError for an unusable timeout option (createServer checks once, up front). */
export function checkTimeouts(options: TlsSocketOptions): void {
  timeoutOption('handshakeTimeout', options.handshakeTimeout, 0);
  timeoutOption('idleTimeout', options.idleTimeout, 0);
  timeoutOption('closeTimeout', options.closeTimeout, 0);
}

function timeoutOption(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 2 ** 31 - 1) {
    throw new TlsConfigError('TLS_CONFIG_INVALID', `${name} ${String(v)} must be a number of milliseconds in 0..2147483647 (0 disables it)`);
  }
  return v;
}

/** The TlsSocket reading each transport, as a property of the transport: the transport's listeners are
 *  functions shared by every socket (see TlsSocket's constructor), so that a connection does not carry four
 *  closures of its own. Not a WeakMap from transport to socket: a module-lifetime WeakMap is in V8's old
 *  generation, where the slot of each value is a root for young-generation collections: an entry whose key (a
 *  young transport) was already dead still kept its value, the socket (which holds the transport, and so the
 *  key) and everything it holds, through every young-generation collection until the next full one; on a server handling
 *  connections one after the other that was ~2 KiB promoted to the old generation per connection (`node
 *  --trace-gc-nvp`: 2,720 bytes promoted per handshake against 700 with the property) and ~13% of its CPU per
 *  handshake, the full collections that followed included (measured 2026-12-03, see docs/performance.md). */
const OWNER = Symbol('protosmith.TlsSocket');
type Owned = Duplex & { [OWNER]?: TlsSocket };
const NO_WAITERS: readonly Waiter[] = Object.freeze([]);
/** Where an idle socket's operation queue starts: one settled promise for every socket. */
const IDLE: Promise<void> = Promise.resolve();

function view(chunk: Buffer | Uint8Array): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The sockets with one idleTimeout value, oldest activity first, and one unref'd timer for the first
 *  of them (a Timeout per idle connection costs ~200 bytes). A byte moved moves its socket to the tail
 *  (a Set keeps insertion order), so the head is always the next to expire: the timer fires when it
 *  expires, closes every socket that has, and is set again for the new head. Precision is a timer's. */
class IdleQueue {
  static readonly #queues = new Map<number, IdleQueue>();
  static for(ms: number): IdleQueue {
    let q = IdleQueue.#queues.get(ms);
    if (!q) IdleQueue.#queues.set(ms, (q = new IdleQueue(ms)));
    return q;
  }

  readonly #ms: number;
  readonly #sockets = new Set<TlsSocket>();
  #timer: NodeJS.Timeout | undefined;
  /** performance.now() at which #timer fires. */
  #at = Infinity;

  private constructor(ms: number) { this.#ms = ms; }

  /** Sockets in the queue (tests). */
  static size(ms: number): number { const q = IdleQueue.#queues.get(ms); return q ? q.#sockets.size : 0; }

  add(socket: TlsSocket): void {
    this.#sockets.add(socket);
    this.#schedule(TlsSocket.idleSince(socket) + this.#ms);
  }

  moveToTail(socket: TlsSocket): void {
    this.#sockets.delete(socket);
    this.#sockets.add(socket);
  }

  remove(socket: TlsSocket): void {
    this.#sockets.delete(socket);
    if (this.#sockets.size === 0 && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#at = Infinity;
    }
  }

  #schedule(at: number): void {
    if (this.#timer && this.#at <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = setTimeout(IdleQueue.#fire, Math.max(1, Math.ceil(at - performance.now())), this).unref();
  }

  static #fire(q: IdleQueue): void { q.#sweep(); }

  #sweep(): void {
    this.#timer = undefined;
    this.#at = Infinity;
    // A timer may fire up to a millisecond before performance.now() says it is due (libuv's clock is
    // cached per loop turn, in whole milliseconds): that counts as due.
    const now = performance.now() + 1;
    const due: TlsSocket[] = [];
    for (const s of this.#sockets) {
      const at = TlsSocket.idleSince(s) + this.#ms;
      if (at > now) { this.#schedule(at); break; }
      due.push(s);
    }
    for (const s of due) this.#sockets.delete(s);
    for (const s of due) TlsSocket.idleFired(s);
  }
}

/** Sockets waiting in the shared idle queue for `idleTimeout` ms (see IdleQueue; for tests). */
export function idleQueueSize(idleTimeout: number): number { return IdleQueue.size(idleTimeout); }

// TlsSocket#flags bits.
/** The peer's close_notify arrived (the readable side has ended). */
const F_PEER_CLOSED = 1;
/** We sent close_notify (end() ran). */
const F_LOCAL_CLOSED = 2;
/** The readable side was ended (push(null)). */
const F_READ_ENDED = 4;
/** The readable side is full: stop reading the transport until _read is called. */
const F_READ_PAUSED = 8;
/** Nothing more goes to the engine: transport bytes are read and dropped (so the kernel never
 *  holds unread data when the transport is closed, which would turn our FIN into a reset). */
const F_DISCARD = 16;
const F_TRANSPORT_CLOSED = 32;
/** The connection is being closed because it was idle: a peer that never answers is not an error. */
const F_IDLE_CLOSING = 64;

export class TlsSocket extends Duplex {
  readonly engine: SansIoEngine;
  readonly transport: Duplex;
  /** The handshakeComplete facts, kept as a few fields rather than the event object (see `handshake`):
   *  cipher suite | resumed << 16 | earlyDataAccepted << 17, or -1 before the handshake completes. */
  #hsSuite = -1;
  /** Group and signature scheme; -1 for undefined. */
  #hsGroup = -1;
  #hsScheme = -1;
  #hsAlpn: string | undefined;
  #hsServerName: string | undefined;
  #hsPeerCertificates: readonly Uint8Array[] | undefined;
  /** See Occasional; the accessors below read and write its fields (undefined while it is not there). */
  #occasional: Occasional | undefined;
  #o(): Occasional {
    return (this.#occasional ??= { sessions: undefined, waiting: undefined, failed: undefined, handshakeTimer: undefined, userTimer: undefined, lingerTimer: undefined });
  }
  get #sessions(): ClientSession[] | undefined { return this.#occasional?.sessions; }
  set #sessions(v: ClientSession[] | undefined) { if (v !== undefined || this.#occasional) this.#o().sessions = v; }
  get #waiting(): Waiter[] | undefined { return this.#occasional?.waiting; }
  set #waiting(v: Waiter[] | undefined) { if (v !== undefined || this.#occasional) this.#o().waiting = v; }
  get #failed(): Error | undefined { return this.#occasional?.failed; }
  set #failed(v: Error | undefined) { if (v !== undefined || this.#occasional) this.#o().failed = v; }
  get #handshakeTimer(): NodeJS.Timeout | undefined { return this.#occasional?.handshakeTimer; }
  set #handshakeTimer(v: NodeJS.Timeout | undefined) { if (v !== undefined || this.#occasional) this.#o().handshakeTimer = v; }
  get #userTimer(): NodeJS.Timeout | undefined { return this.#occasional?.userTimer; }
  set #userTimer(v: NodeJS.Timeout | undefined) { if (v !== undefined || this.#occasional) this.#o().userTimer = v; }
  get #lingerTimer(): NodeJS.Timeout | undefined { return this.#occasional?.lingerTimer; }
  set #lingerTimer(v: NodeJS.Timeout | undefined) { if (v !== undefined || this.#occasional) this.#o().lingerTimer = v; }
  /** The tail of the operation queue; undefined while nothing is queued (an idle socket holds no promise). */
  #chain: Promise<void> | undefined;
  /** Small engine output held for one write at the end of this event-loop turn (see #flush); undefined when none is held. */
  #held: Uint8Array[] | undefined;
  /** The last bulk write (or write of a pooled output buffer), until its transport callback (see #write,
   *  #drained); undefined otherwise. */
  #lastWrite: Promise<void> | undefined;
  /** The socket's yes/no state, one bit each (F_* above): one small integer instead of eight fields. */
  #flags = 0;
  readonly #params: SocketParams;
  get #onKeyLog(): ((line: string) => void) | undefined { return this.#params.onKeyLog; }
  get #onError(): ((err: Error, socket: TlsSocket) => void) | undefined { return this.#params.onError; }
  /** Transport chunks handed to the engine and not yet processed. */
  #receiving = 0;
  get #closeTimeout(): number { return this.#params.closeTimeout; }
  get #idleTimeout(): number { return this.#params.idleTimeout; }
  /** When a byte last moved (performance.now(), whole milliseconds: a small integer, where a fraction would
   *  be a heap number of its own), while the socket is in its idle queue (see IdleQueue). */
  #idleSince = 0;
  #idleQueue: IdleQueue | undefined;

  #has(flag: number): boolean { return (this.#flags & flag) !== 0; }
  #set(flag: number): void { this.#flags |= flag; }
  #clear(flag: number): void { this.#flags &= ~flag; }

  constructor(engine: SansIoEngine, transport: Duplex, options: TlsSocketOptions = {}) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false });
    this.engine = engine;
    this.transport = transport;
    const handshakeTimeout = timeoutOption('handshakeTimeout', options.handshakeTimeout, DEFAULT_HANDSHAKE_TIMEOUT);
    this.#params = socketParams({
      options, onKeyLog: options.onKeyLog, onError: options.onError,
      idleTimeout: timeoutOption('idleTimeout', options.idleTimeout, 0), closeTimeout: timeoutOption('closeTimeout', options.closeTimeout, DEFAULT_CLOSE_TIMEOUT),
    });
    engine.useOutputBuffers?.(this.#params.outputPool);
    if (handshakeTimeout > 0) {
      this.#handshakeTimer = setTimeout(() => {
        this.#fail(new TlsTransportError('TLS_HANDSHAKE_TIMEOUT', `the TLS handshake did not complete within ${handshakeTimeout} ms (handshakeTimeout): the peer is silent, too slow, or does not speak TLS`));
      }, handshakeTimeout).unref();
    }
    // The listeners below are shared and find their socket through OWNER: a second TlsSocket on the
    // same transport would take the first one's events (and get each of them twice).
    if ((transport as Owned)[OWNER] !== undefined) throw new TlsUsageError('TLS_BAD_ARGUMENT', 'this transport already carries a TlsSocket: wrap each transport (e.g. a net.Socket) once');
    (transport as Owned)[OWNER] = this;
    transport.on('data', TlsSocket.#transportData);
    transport.on('end', TlsSocket.#transportEnd);
    transport.on('error', TlsSocket.#transportError);
    transport.on('close', TlsSocket.#transportClose);
  }

  /** For tests: the output pool this socket's writes use (shared with the sockets made with the same options). */
  static outputPoolOf(socket: TlsSocket): OutputPool { return socket.#params.outputPool; }

  /** Sessions received so far (client side). */
  get sessions(): ClientSession[] { return (this.#sessions ??= []); }

  // ---- transport events (shared listeners: `this` is the transport) ---------------------------------

  static #transportData(this: Duplex, chunk: Buffer): void { const s = (this as Owned)[OWNER]; if (s) s.#onTransportData(chunk); }
  static #transportEnd(this: Duplex): void { const s = (this as Owned)[OWNER]; if (s) s.#onTransportEnd(); }
  static #transportError(this: Duplex, e: Error): void { const s = (this as Owned)[OWNER]; if (s) s.#onTransportError(e); }
  static #transportClose(this: Duplex): void { const s = (this as Owned)[OWNER]; if (s) s.#onTransportClose(); }

  #onTransportData(chunk: Buffer): void {
    const transport = this.transport;
    this.#touch();
    if (this.#has(F_DISCARD)) return;
    // Backpressure where it is needed: the transport stops while an earlier chunk is still being
    // processed (a provider that is really asynchronous) or while our reader is paused. With a
    // synchronous provider each chunk is done before the next I/O callback, and the transport keeps
    // flowing without a pause()/resume() round per chunk.
    if (this.#receiving > 0 || this.#has(F_READ_PAUSED)) transport.pause();
    this.#receiving++;
    this.#enqueue(async () => {
      // Bytes that arrived before the transport closed are still processed in order (data, then
      // the peer's close_notify) — except during a handshake that can no longer complete.
      if (this.#has(F_DISCARD) || (this.#has(F_TRANSPORT_CLOSED) && this.#hsSuite < 0)) return;
      const events = await this.engine.receive(view(chunk));
      this.#handle(events);
      if (this.engine.isClosed) this.#set(F_DISCARD);
    }, () => { this.#receiving--; this.#resumeTransport(); }, () => { this.#receiving--; });
  }

  #onTransportEnd(): void {
    this.#enqueue(async () => {
      if (this.#failed || this.#has(F_PEER_CLOSED)) return;
      if (this.#has(F_LOCAL_CLOSED)) {
        // We already said goodbye; a peer that hangs up without its own close_notify (browsers and
        // many HTTP clients do) just ends the readable side. Before our end() it is truncation.
        if (!this.#has(F_READ_ENDED)) { this.#set(F_READ_ENDED); this.push(null); }
        return;
      }
      throw new TlsTransportError('TLS_TRUNCATED', this.#hsSuite >= 0
        ? 'the peer closed the TCP connection without sending close_notify; data it sent may be truncated'
        : 'the peer closed the TCP connection during the handshake (it probably rejected our parameters or certificate; check its log)');
    });
  }

  #onTransportError(e: Error): void {
    // After our end() (close_notify and FIN sent) a peer that hangs up with a reset is hanging up, as with a
    // plain FIN: browsers reset a socket they close with our close_notify still unread. 'close' follows and
    // ends the readable side. Before our end() a reset is an error.
    const code = (e as NodeJS.ErrnoException).code;
    if (this.#has(F_LOCAL_CLOSED) && (code === 'ECONNRESET' || code === 'EPIPE')) return;
    this.#fail(new TlsTransportError('TLS_TRANSPORT_ERROR', `transport error: ${e.message}`, { cause: e }));
  }

  #onTransportClose(): void {
    this.#set(F_TRANSPORT_CLOSED);
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#enqueue(async () => {
      this.#set(F_DISCARD);
      this.#clearTimers();
      if (this.#failed || this.destroyed) return;
      if (this.#has(F_PEER_CLOSED) || this.#has(F_LOCAL_CLOSED) || this.#has(F_IDLE_CLOSING)) {
        // Nothing more can arrive. Finish what the stream machinery would otherwise wait for.
        if (!this.#has(F_READ_ENDED)) { this.#set(F_READ_ENDED); this.push(null); }
        return;
      }
      throw new TlsTransportError('TLS_TRUNCATED', 'the transport closed before the peer sent close_notify; data it sent may be truncated');
    });
  }

  /** Runs an engine call, flushes its output, handles its events; failures destroy the socket. */
  async run(op: () => Promise<TlsEvent[]> | TlsEvent[] | void): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#enqueue(async () => {
        const r = await op();
        if (Array.isArray(r)) this.#handle(r);
      }, resolve, reject);
    });
  }

  #enqueue(op: () => Promise<void>, after?: () => void, onError?: (e: Error) => void): void {
    const tail: Promise<void> = (this.#chain ?? IDLE).then(async () => {
      try {
        if (this.#failed) { onError?.(this.#failed); return; }
        try {
          await op();
          this.#flush();
          after?.();
        } catch (e) {
          const err = e instanceof Error ? e : asProtosmithError(e, 'TLS socket');
          this.#flush(); // the engine queued one alert record for a fatal error
          this.#fail(err);
          onError?.(err);
        }
      } finally {
        if (this.#chain === tail) this.#chain = undefined;
      }
    });
    this.#chain = tail;
  }


  #flush(): void {
    const t = this.transport;
    // Records as the provider made them (header, ciphertext, tag) where the engine offers them.
    const chunks = this.engine.takeOutputChunks ? this.engine.takeOutputChunks() : [this.engine.takeOutput()];
    let size = 0;
    for (const c of chunks) size += c.length;
    if (size === 0 || t.destroyed || !t.writable) return;
    if (size < COALESCE_BELOW) {
      // Small outputs made in one turn of the event loop leave in one write: e.g. the session ticket that
      // answers the client's Finished and our close_notify answering its close_notify, which the stream
      // machinery sends from a later tick of the same turn (one segment, one syscall instead of two).
      // Written at setImmediate, after this turn's callbacks, ticks and microtasks. Joined here into one
      // small buffer (node's shared pool: no allocation of its own) rather than corked on the transport:
      // no writev, no stream buffering. Anything that ends the transport writes what is held first.
      // The array is the engine's to give (takeOutputChunks), not ours to grow: a second output joins a new one.
      if (this.#held === undefined) {
        this.#held = chunks;
        setImmediate(TlsSocket.#writeHeldTick, this);
      } else {
        this.#held = this.#held.concat(chunks);
      }
    } else {
      this.#writeHeld(); // bulk data goes at once, after what was held
      if (chunks.length === 1) this.#write(chunks[0]!, true);
      else {
        t.cork();
        for (let i = 0; i < chunks.length; i++) this.#write(chunks[i]!, i === chunks.length - 1);
        t.uncork();
      }
    }
    this.#touch();
  }

  static #writeHeldTick(socket: TlsSocket): void { socket.#writeHeld(); }

  /** Writes the held small output (see #flush) as one buffer; nothing when none is held. Chunks under 16 KiB
   *  are never buffers of the output pool (it lends only 64 KiB and more), so none is given back here. */
  #writeHeld(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    const t = this.transport;
    if (t.destroyed || !t.writable) return;
    if (held.length === 1) { t.write(held[0]!); return; }
    let size = 0;
    for (const c of held) size += c.length;
    const joined = Buffer.allocUnsafe(size);
    let at = 0;
    for (const c of held) { joined.set(c, at); at += c.length; }
    t.write(joined);
  }

  /** One engine output chunk to the transport; a buffer of the output pool goes back to it once written. With
   *  `last` (the end of a bulk output), the next write waits for this one's callback (see #drained). */
  #write(chunk: Uint8Array, last = false): void {
    const pool = this.#params.outputPool;
    const pooled = pool.lent(chunk);
    if (!pooled && !last) { this.transport.write(chunk); return; }
    const written = new Promise<void>((resolve) => {
      this.transport.write(chunk, (e?: Error | null) => {
        if (pooled && !e) pool.release(chunk);
        if (this.#lastWrite === written) this.#lastWrite = undefined;
        resolve();
      });
    });
    this.#lastWrite = written;
  }

  #resumeTransport(): void {
    if (this.transport.destroyed) return;
    // Once nothing more is pushed to the reader, its pace no longer matters: keep draining.
    if (this.#has(F_DISCARD) || this.#has(F_READ_ENDED) || !this.#has(F_READ_PAUSED)) this.transport.resume();
    else this.transport.pause(); // the reader is full: read no more until _read
  }

  #handle(events: readonly TlsEvent[]): void {
    for (const ev of events) {
      switch (ev.type) {
        case 'handshakeComplete':
          this.#hsSuite = ev.cipherSuite | (ev.resumed ? 1 << 16 : 0) | (ev.earlyDataAccepted ? 1 << 17 : 0);
          this.#hsGroup = ev.group ?? -1;
          this.#hsScheme = ev.signatureScheme ?? -1;
          this.#hsAlpn = ev.alpn;
          this.#hsServerName = ev.serverName;
          this.#hsPeerCertificates = ev.peerCertificates;
          if (this.#handshakeTimer) { clearTimeout(this.#handshakeTimer); this.#handshakeTimer = undefined; }
          // A stand-in engine (createServer's, made before the first byte) is done standing in.
          if (this.engine.engine) (this as { engine: SansIoEngine }).engine = this.engine.engine;
          this.#armIdle();
          this.emit('secure', ev);
          for (const w of this.#takeWaiting()) w.resolve();
          if (this.#occasional && isEmpty(this.#occasional)) this.#occasional = undefined;
          break;
        case 'data':
          if (!this.#has(F_READ_ENDED) && !this.push(Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength))) this.#set(F_READ_PAUSED);
          break;
        case 'earlyData':
          this.emit('earlyData', ev.data);
          if (!this.#has(F_READ_ENDED) && !this.push(Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength))) this.#set(F_READ_PAUSED);
          break;
        case 'newSessionTicket':
          this.sessions.push(ev.ticket);
          this.emit('session', ev.ticket);
          break;
        case 'keyLog':
          this.#onKeyLog?.(ev.line);
          this.emit('keylog', ev.line);
          break;
        case 'keyUpdate':
          this.emit('keyUpdate', ev.direction);
          break;
        case 'alert':
          this.emit('alert', { level: ev.level, description: ev.description });
          break;
        // The peer's close_notify: 'peerClosed' while we may still write (half-close, RFC 8446 §6.1),
        // 'closed' when it also completes our own close (or the engine closed both ways).
        case 'peerClosed':
        case 'closed':
          this.#onPeerClose();
          break;
        case 'error':
          throw ev.error;
      }
    }
  }

  /** The peer's close_notify (or the engine closing both ways): nothing more will be read. */
  #onPeerClose(): void {
    this.#set(F_PEER_CLOSED);
    if (!this.#has(F_READ_ENDED)) { this.#set(F_READ_ENDED); this.push(null); }
    // The peer is done; once we are too, the transport must go away even if the peer never hangs up.
    if (this.#has(F_LOCAL_CLOSED)) { this.#startLinger(this.#closeTimeout); this.#closeWhenFlushed(); }
  }

  /** Both close_notify alerts have crossed (RFC 8446 §6.1): the peer sends nothing more, so once our FIN
   *  has left, the transport is destroyed instead of being read until the peer's FIN arrives (node:tls
   *  does the same): one read, one event-loop turn and one epoll change fewer per connection. Nothing of
   *  ours is lost: every byte we wrote was handed to the kernel before 'finish'. Only a peer that sends
   *  bytes after its own close_notify (a protocol violation) meets a closed socket, and a reset. */
  #closeWhenFlushed(): void {
    const t = this.transport;
    if (t.destroyed || this.#failed) return;
    if (t.writableFinished) t.destroy();
    else t.once('finish', TlsSocket.#destroyTransport);
  }

  static #destroyTransport(this: Duplex): void { if (!this.destroyed) this.destroy(); }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = err;
    this.#set(F_DISCARD);
    this.#clearTimers();
    const awaited = this.#waiting?.some((w) => w.user) === true;
    for (const w of this.#takeWaiting()) w.reject(err);
    this.#onError?.(err, this);
    if (this.destroyed) return;
    // Exactly one report: a pending secureConnect() promise, else the 'error' event.
    this.destroy(awaited ? undefined : err);
  }

  /** The error that ended the connection (also when it was reported through secureConnect() only). */
  get error(): Error | undefined { return this.#failed; }

  /** The handshake's waiters, removed (each is settled once). */
  #takeWaiting(): readonly Waiter[] {
    const w = this.#waiting;
    this.#waiting = undefined;
    return w ?? NO_WAITERS;
  }

  /** Resolves once the handshake is complete. Before then, a failure rejects this promise instead of
   *  emitting 'error' (see the lifecycle rules at the top of this file). */
  secureConnect(): Promise<HandshakeCompleteEvent> {
    if (this.#hsSuite >= 0) return Promise.resolve(this.handshake!);
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.destroyed) return Promise.reject(new TlsTransportError('TLS_SOCKET_DESTROYED', 'the socket was destroyed before the handshake completed'));
    return new Promise((resolve, reject) => (this.#waiting ??= []).push({ user: true, resolve: () => resolve(this.handshake!), reject }));
  }

  /** Internal wait for the handshake: does not count as the user awaiting it. */
  #whenSecure(): Promise<void> {
    if (this.#hsSuite >= 0) return Promise.resolve();
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => (this.#waiting ??= []).push({ user: false, resolve, reject }));
  }

  // ---- timers -----------------------------------------------------------------------------------

  /** Bytes moved: restart the idle and user timers. */
  #touch(): void {
    if (this.#idleQueue) {
      this.#idleSince = Math.floor(performance.now());
      this.#idleQueue.moveToTail(this);
    }
    this.#userTimer?.refresh();
  }

  #armIdle(): void {
    if (this.#idleTimeout <= 0 || this.#idleQueue) return;
    // No timer per connection: one queue (and one timer) per idleTimeout value, shared by every socket.
    this.#idleSince = Math.floor(performance.now());
    this.#idleQueue = IdleQueue.for(this.#idleTimeout);
    this.#idleQueue.add(this);
  }

  #disarmIdle(): void {
    this.#idleQueue?.remove(this);
    this.#idleQueue = undefined;
  }

  /** For IdleQueue: when a byte last moved. */
  static idleSince(socket: TlsSocket): number { return socket.#idleSince; }

  /** For IdleQueue: the socket's idleTimeout passed without a byte moving. */
  static idleFired(socket: TlsSocket): void { socket.#idleQueue = undefined; socket.#onIdle(); }

  #onIdle(): void {
    const ms = this.#idleTimeout;
    if (this.#failed || this.destroyed) return;
    if (this.writableLength > 0 || this.transport.writableLength > 0) {
      this.#fail(new TlsTransportError('TLS_IDLE_TIMEOUT', `no byte moved for ${ms} ms (idleTimeout) while ${this.writableLength + this.transport.writableLength} bytes wait to be sent: the peer stopped reading`));
      return;
    }
    this.#set(F_IDLE_CLOSING);
    this.end();
    this.#startLinger(Math.min(this.#closeTimeout, ms));
  }

  #startLinger(ms: number): void {
    if (this.#lingerTimer || this.#has(F_TRANSPORT_CLOSED)) return;
    this.#lingerTimer = setTimeout(() => {
      if (!this.transport.destroyed) this.transport.destroy();
    }, ms).unref();
  }

  #clearTimers(): void {
    for (const t of [this.#handshakeTimer, this.#userTimer]) if (t) clearTimeout(t);
    this.#handshakeTimer = this.#userTimer = undefined;
    this.#disarmIdle();
  }

  /** Like net.Socket#setTimeout: emit 'timeout' after `ms` without a byte received or sent (0 turns it
   *  off). Nothing is closed; call end() or destroy() in the listener. */
  setTimeout(ms: number, callback?: () => void): this {
    if (this.#userTimer) { clearTimeout(this.#userTimer); this.#userTimer = undefined; }
    const t = timeoutOption('setTimeout', ms, 0);
    if (callback) {
      if (t === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    // Like net.Socket: fires once per silence; the next byte moved re-arms it (#touch).
    if (t > 0 && !this.destroyed) this.#userTimer = setTimeout(() => { this.emit('timeout'); }, t).unref();
    return this;
  }

  /** Passed to the TCP socket (no-op for other transports). connect/createServer set it to true. */
  setNoDelay(noDelay = true): this {
    (this.transport as Partial<Socket>).setNoDelay?.(noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    (this.transport as Partial<Socket>).setKeepAlive?.(enable, initialDelay);
    return this;
  }

  // ---- Duplex -----------------------------------------------------------------------------------

  override _read(): void {
    this.#clear(F_READ_PAUSED);
    if (!this.destroyed) this.#resumeTransport();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#send([view(chunk)], cb);
  }

  /** Writes buffered while the previous one was in flight go to the engine together: fewer, fuller records. */
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (e?: Error | null) => void): void {
    const batches: Uint8Array[] = [];
    let group: Uint8Array[] = [];
    let size = 0;
    const close = (): void => {
      if (group.length === 0) return;
      batches.push(group.length === 1 ? group[0]! : Buffer.concat(group, size));
      group = [];
      size = 0;
    };
    for (const { chunk } of chunks) {
      if (size + chunk.byteLength > WRITE_BATCH) close();
      group.push(view(chunk));
      size += chunk.byteLength;
    }
    close();
    this.#send(batches, cb);
  }

  #send(batches: Uint8Array[], cb: (e?: Error | null) => void): void {
    this.#whenSecure().then(async () => {
      for (const data of batches) {
        if (this.#has(F_TRANSPORT_CLOSED)) throw new TlsTransportError('TLS_SOCKET_DESTROYED', 'write after the transport closed');
        await this.run(() => this.engine.write(data));
      }
      await this.#drained();
    }).then(() => cb(), (e: Error) => cb(e));
  }

  /** Backpressure: resolves when the transport can take more (or is gone), and has called back for the last
   *  bulk write: a transport that writes synchronously (loopback) says at once that it can take more, but calls
   *  back only on the next tick, and a writer that did not wait for that would run ahead of every callback,
   *  holding each write's records (and, pooled, taking a new buffer per write) until the writing stops. */
  async #drained(): Promise<void> {
    const t = this.transport;
    const last = this.#lastWrite;
    if (last !== undefined && !t.destroyed) {
      await new Promise<void>((resolve) => {
        const done = (): void => { t.off('close', done); resolve(); };
        t.on('close', done);
        void last.then(done);
      });
    }
    if (!t.writableNeedDrain || t.destroyed) return;
    return new Promise((resolve) => {
      const done = (): void => { t.off('drain', done); t.off('close', done); resolve(); };
      t.on('drain', done);
      t.on('close', done);
    });
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.#failed) { cb(this.#failed); return; }
    this.run(() => (this.engine.isClosed ? undefined : this.engine.close())).then(() => {
      this.#set(F_LOCAL_CLOSED);
      if (this.engine.isClosed) {
        // The engine reads nothing more after its close_notify: the readable side ends here too.
        this.#set(F_DISCARD);
        if (!this.#has(F_READ_ENDED)) { this.#set(F_READ_ENDED); this.push(null); }
      }
      // FIN after every byte we wrote; then keep reading until the peer closes (bounded), unless its
      // close_notify is already in (#closeWhenFlushed).
      this.#writeHeld();
      if (!this.transport.destroyed && !this.transport.writableEnded) this.transport.end();
      this.#resumeTransport();
      this.#startLinger(this.#closeTimeout);
      if (this.#has(F_PEER_CLOSED)) this.#closeWhenFlushed();
      cb();
    }, (e: Error) => cb(e));
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    // The stream emits err as 'error' after this: a socket whose errors go to onError (a server's, which
    // must never crash the server) gets a listener for it only now, when nobody else listens, rather
    // than one for its whole life (a second listener makes the socket an array of them).
    if (err && this.#onError && this.listenerCount('error') === 0) this.once('error', heardByOnError);
    this.#clearTimers();
    this.#set(F_DISCARD);
    const waiting = this.#takeWaiting();
    if (waiting.length > 0) {
      // The error object is made only when someone waits for it (a stack trace costs more than the close).
      const gone = err ?? new TlsTransportError('TLS_SOCKET_DESTROYED', 'the socket was destroyed');
      for (const w of waiting) w.reject(gone);
    }
    const t = this.transport;
    if (!t.destroyed) {
      this.#writeHeld();
      if (this.#has(F_LOCAL_CLOSED) || this.#failed) {
        // Graceful close or fatal alert: both are queued on the transport. Keep reading (and
        // dropping) until the peer hangs up, bounded, so the close is a FIN and not a reset.
        if (!t.writableEnded) t.end();
        t.resume();
        this.#startLinger(this.#has(F_LOCAL_CLOSED) && !this.#failed ? this.#closeTimeout : ERROR_LINGER);
      } else {
        // destroy() by the application: give queued bytes a moment, then tear down.
        t.end(() => t.destroy());
        t.resume();
        this.#startLinger(ERROR_LINGER);
      }
    }
    cb(err);
  }

  /** Send a KeyUpdate (updatePeer: ask the peer to update its sending keys too). */
  keyUpdate(updatePeer: boolean): Promise<void> {
    return this.run(() => this.engine.requestKeyUpdate(updatePeer));
  }

  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Promise<Uint8Array> {
    return this.engine.exportKeyingMaterial(label, context, length);
  }

  get alpnProtocol(): string | undefined { return this.#hsAlpn; }

  /** The handshakeComplete facts once the handshake is done (undefined before). Rebuilt on each read
   *  from a few fields: an idle connection keeps no event object. */
  get handshake(): HandshakeCompleteEvent | undefined {
    const suite = this.#hsSuite;
    if (suite < 0) return undefined;
    return {
      type: 'handshakeComplete', version: 'TLSv1.3', cipherSuite: suite & 0xffff,
      group: this.#hsGroup < 0 ? undefined : this.#hsGroup, signatureScheme: this.#hsScheme < 0 ? undefined : this.#hsScheme,
      alpn: this.#hsAlpn, serverName: this.#hsServerName, resumed: (suite & (1 << 16)) !== 0,
      earlyDataAccepted: (suite & (1 << 17)) !== 0, peerCertificates: this.#hsPeerCertificates!,
    };
  }
}

export function isProtosmithError(e: unknown): e is ProtosmithError {
  return e instanceof ProtosmithError;
}
