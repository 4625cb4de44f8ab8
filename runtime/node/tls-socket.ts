// A node Duplex around a sans-IO engine (TlsClient or TlsServer) and a byte transport (a
// net.Socket, or any Duplex: a stream pair in tests). Bytes from the transport go to
// engine.receive(); engine events become stream data and socket events; whatever the engine
// queues for the peer is written to the transport after every call.
//
// Events (besides the Duplex ones):
//   'secure'   (info: HandshakeCompleteEvent)  handshake done; writes queued before it are sent now
//   'session'  (session: ClientSession)        client: a resumable session from a NewSessionTicket
//   'earlyData'(data: Uint8Array)              server: 0-RTT data (also pushed to the readable side). REPLAYABLE.
//   'keylog'   (line: string)                  NSS key log line (only when keyLog is enabled)
//   'keyUpdate'(direction: 'read' | 'write')
//   'alert'    (alert: {level, description})   a non-fatal alert from the peer
// Fatal TLS errors destroy the socket with the engine's ProtosmithError (after flushing the alert).
import { Duplex } from 'node:stream';
import type { HandshakeCompleteEvent, TlsEvent, ClientSession } from '../tls/index.ts';
import { ProtosmithError } from '../tls/index.ts';
import { asProtosmithError } from '../tls/errors.ts';
import { TlsTransportError } from './errors.ts';

/** What the adapter needs from an engine (TlsClient and TlsServer both provide it). */
export interface SansIoEngine {
  receive(bytes: Uint8Array): Promise<TlsEvent[]>;
  takeOutput(): Uint8Array;
  write(data: Uint8Array): Promise<TlsEvent[]>;
  requestKeyUpdate(updatePeer: boolean): Promise<TlsEvent[]>;
  close(): Promise<TlsEvent[]>;
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Promise<Uint8Array>;
}

export interface TlsSocketOptions {
  /** Called with every NSS key log line (SSLKEYLOGFILE format). The engine must have keyLog enabled. */
  readonly onKeyLog?: ((line: string) => void) | undefined;
}

type Waiter = { resolve: () => void; reject: (e: Error) => void };

export class TlsSocket extends Duplex {
  readonly engine: SansIoEngine;
  readonly transport: Duplex;
  /** The handshakeComplete event, once the handshake is done. */
  handshake: HandshakeCompleteEvent | undefined;
  /** Sessions received so far (client side). */
  readonly sessions: ClientSession[] = [];
  #chain: Promise<void> = Promise.resolve();
  #waiting: Waiter[] = [];
  #peerClosed = false;
  #engineClosed = false;
  /** We sent close_notify. The engine's table then counts the connection as CLOSED (no half-close). */
  #localClosed = false;
  #failed: Error | undefined;
  #onKeyLog: ((line: string) => void) | undefined;
  /** The readable side is full: stop reading the transport until _read is called. */
  #readPaused = false;

  constructor(engine: SansIoEngine, transport: Duplex, options: TlsSocketOptions = {}) {
    super({ allowHalfOpen: false });
    this.engine = engine;
    this.transport = transport;
    this.#onKeyLog = options.onKeyLog;
    transport.on('data', (chunk: Buffer) => {
      transport.pause();
      this.#enqueue(async () => {
        const events = await this.engine.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        this.#handle(events);
      }, () => { if (!this.destroyed && !this.#peerClosed && !this.#readPaused) transport.resume(); });
    });
    transport.on('end', () => {
      this.#enqueue(async () => {
        if (this.#peerClosed || this.#localClosed) return;
        throw new TlsTransportError('TLS_TRUNCATED', this.handshake
          ? 'the peer closed the TCP connection without sending close_notify; data it sent may be truncated'
          : 'the peer closed the TCP connection during the handshake (it probably rejected our parameters or certificate; check its log)');
      });
    });
    transport.on('error', (e: Error) => {
      this.#fail(new TlsTransportError('TLS_TRANSPORT_ERROR', `transport error: ${e.message}`, { cause: e }));
    });
    transport.on('close', () => {
      this.#enqueue(async () => {
        if (this.destroyed || this.#peerClosed || this.#localClosed) return;
        throw new TlsTransportError('TLS_TRUNCATED', 'the transport closed before the peer sent close_notify');
      });
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
    this.#chain = this.#chain.then(async () => {
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
    });
  }

  #flush(): void {
    const out = this.engine.takeOutput();
    if (out.length > 0 && !this.transport.destroyed && this.transport.writable) this.transport.write(out);
  }

  #handle(events: readonly TlsEvent[]): void {
    for (const ev of events) {
      switch (ev.type) {
        case 'handshakeComplete':
          this.handshake = ev;
          this.emit('secure', ev);
          for (const w of this.#waiting.splice(0)) w.resolve();
          break;
        case 'data':
          if (!this.push(Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength))) this.#readPaused = true;
          break;
        case 'earlyData':
          this.emit('earlyData', ev.data);
          if (!this.push(Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength))) this.#readPaused = true;
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
        case 'closed':
          this.#engineClosed = true;
        // falls through
        case 'peerClosed':
          if (!this.#peerClosed) { this.#peerClosed = true; this.push(null); }
          break;
        case 'error':
          throw ev.error;
      }
    }
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = err;
    if (this.destroyed) return;
    for (const w of this.#waiting.splice(0)) w.reject(err);
    // Let the alert record reach the peer before the transport goes away.
    if (!this.transport.destroyed) this.transport.end();
    this.destroy(err);
  }

  /** Resolves once the handshake is complete. */
  secureConnect(): Promise<HandshakeCompleteEvent> {
    if (this.handshake) return Promise.resolve(this.handshake);
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve: () => resolve(this.handshake!), reject }));
  }

  override _read(): void {
    this.#readPaused = false;
    if (!this.#peerClosed && !this.#localClosed && !this.destroyed) this.transport.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const data = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.secureConnect().then(
      () => this.run(() => this.engine.write(data)).then(() => {
        // Backpressure: let the transport drain before accepting more.
        if (this.transport.writableNeedDrain && !this.transport.destroyed) this.transport.once('drain', () => cb());
        else cb();
      }, (e: Error) => cb(e)),
      (e: Error) => cb(e),
    );
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.#failed) { cb(this.#failed); return; }
    // After the peer's close_notify the engine has already answered with its own.
    // The engine half-closes on the first close() (RFC 8446 §6.1); this adapter ends both directions.
    this.run(async () => {
      if (this.#engineClosed) return [];
      const ev = await this.engine.close();
      return ev.some((e) => e.type === 'closed') ? ev : [...ev, ...await this.engine.close()];
    }).then(() => {
      if (!this.#peerClosed) {
        // Our close_notify ends the connection in both directions (the handshake table's CLOSED
        // state reads nothing more), so the readable side ends here too.
        this.#localClosed = true;
        this.push(null);
      }
      this.transport.end();
      cb();
    }, (e: Error) => cb(e));
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    for (const w of this.#waiting.splice(0)) w.reject(err ?? new TlsTransportError('TLS_SOCKET_DESTROYED', 'the socket was destroyed'));
    if (!this.transport.destroyed) {
      // Give a queued alert / close_notify a moment to be written, then tear down.
      this.transport.end(() => this.transport.destroy());
      setTimeout(() => { if (!this.transport.destroyed) this.transport.destroy(); }, 1000).unref();
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

  get alpnProtocol(): string | undefined { return this.handshake?.alpn; }
}

export function isProtosmithError(e: unknown): e is ProtosmithError {
  return e instanceof ProtosmithError;
}
