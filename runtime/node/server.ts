// `createServer(options, handler)`: a TLS 1.3 server on net.Server. Each accepted TCP connection
// gets its own TlsServer engine wrapped in a TlsSocket; the handler receives the socket at once
// (await socket.secureConnect() or listen for 'secure' before relying on handshake facts).
import { createServer as netCreateServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TlsServer, type TlsServerConfig, type TlsEvent, type OutputBuffers } from '../tls/index.ts';
import type { CryptoProvider, SigningKey } from '../crypto/provider.ts';
import { checkServerConfig } from '../tls/config.ts';
import { checkServerOptions, ownSigningKey } from './options.ts';
import { TlsSocket, DEFAULT_SERVER_IDLE_TIMEOUT, checkTimeouts, type SansIoEngine, type TlsSocketOptions } from './tls-socket.ts';
import { defaultCrypto, lifecycleOptions, type LifecycleOptions } from './connect.ts';

export interface ServerOptions extends LifecycleOptions, Omit<TlsServerConfig, 'crypto' | 'now' | 'signingKey'> {
  /** Default: createNodeProvider(). */
  readonly crypto?: CryptoProvider;
  /** Default: Date.now. */
  readonly now?: () => number;
  /** The certificate's private key: an opaque SigningKey handle, or PEM text (node provider). */
  readonly signingKey: SigningKey | string;
  /** Receive NSS key log lines (enables the engine's key log). */
  readonly onKeyLog?: (line: string) => void;
}

function serverConfig(options: ServerOptions): TlsServerConfig {
  checkServerOptions(options);
  const { crypto, now, signingKey, onKeyLog, ...rest } = lifecycleOptions(options)[1];
  return {
    ...rest,
    crypto: crypto ?? defaultCrypto(),
    now: now ?? Date.now,
    signingKey: ownSigningKey(signingKey),
    keyLog: options.keyLog ?? onKeyLog !== undefined,
  };
}

/** The server engine of one accepted connection, made when its first byte arrives: a connection
 *  that never sends anything (port scanners, idle attackers held off by handshakeTimeout) costs no
 *  engine. The configuration itself was checked once, by createServer. */
class LazyServerEngine implements SansIoEngine {
  #engine: TlsServer | undefined;
  readonly #config: TlsServerConfig;
  constructor(config: TlsServerConfig) { this.#config = config; }
  #outputBuffers: OutputBuffers | undefined;
  get #e(): TlsServer {
    if (this.#engine === undefined) {
      this.#engine = new TlsServer(this.#config);
      if (this.#outputBuffers) this.#engine.useOutputBuffers(this.#outputBuffers);
    }
    return this.#engine;
  }
  useOutputBuffers(source: OutputBuffers | undefined): void {
    this.#outputBuffers = source;
    this.#engine?.useOutputBuffers(source);
  }
  /** The engine, once made (undefined while the client has sent nothing). The socket calls it directly
   *  once the handshake is complete, and drops this stand-in. */
  get engine(): TlsServer | undefined { return this.#engine; }
  get isClosed(): boolean { return this.#engine?.isClosed ?? false; }
  receive(bytes: Uint8Array): Promise<TlsEvent[]> { return this.#e.receive(bytes); }
  takeOutput(): Uint8Array { return this.#engine ? this.#engine.takeOutput() : new Uint8Array(0); }
  takeOutputChunks(): Uint8Array[] { return this.#engine ? this.#engine.takeOutputChunks() : []; }
  write(data: Uint8Array): Promise<TlsEvent[]> { return this.#e.write(data); }
  requestKeyUpdate(updatePeer: boolean): Promise<TlsEvent[]> { return this.#e.requestKeyUpdate(updatePeer); }
  close(): Promise<TlsEvent[]> { return this.#e.close(); }
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Promise<Uint8Array> {
    return this.#e.exportKeyingMaterial(label, context, length);
  }
}

/** Wraps one accepted transport (a net.Socket or any Duplex) as the server side of a TLS 1.3 connection. */
export function acceptTls(transport: Duplex, options: ServerOptions): TlsSocket {
  return new TlsSocket(new TlsServer(serverConfig(options)), transport, socketOptions(options));
}

function socketOptions(options: ServerOptions): TlsSocketOptions {
  const lifecycle = lifecycleOptions(options)[0];
  return { ...lifecycle, idleTimeout: lifecycle.idleTimeout ?? DEFAULT_SERVER_IDLE_TIMEOUT, onKeyLog: options.onKeyLog };
}

/** A net.Server running TLS 1.3 on every accepted connection (TCP_NODELAY set; idleTimeout default 300 s). `handler` receives each TlsSocket as
 *  soon as the TCP connection is accepted (writes are queued until the handshake completes); the
 *  server emits 'secureConnection' (socket) after the handshake. Errors of one connection go to that
 *  socket's 'error' event and to the server's 'tlsClientError' event, never crash the server. */
export function createServer(options: ServerOptions, handler?: (socket: TlsSocket) => void): Server {
  const config = serverConfig(options);
  const perSocket = socketOptions(options);
  checkTimeouts(perSocket);
  checkServerConfig(config); // every configuration error surfaces here, not per connection
  // tlsClientError reports every failure once, whether the handler awaited secureConnect() or not. One
  // function for the server's sockets (it is told which socket failed), not a closure per connection.
  const connectionOptions: TlsSocketOptions = { ...perSocket, onError: (e, socket) => { server.emit('tlsClientError', e, socket); } };
  const server = netCreateServer({ allowHalfOpen: true, noDelay: true }, (tcp: Socket) => {
    let socket: TlsSocket;
    try {
      socket = new TlsSocket(new LazyServerEngine(config), tcp, connectionOptions);
    } catch (e) {
      tcp.destroy();
      server.emit('tlsClientError', e);
      return;
    }
    // One misbehaving client never crashes the server, with or without the handler's own 'error' listener:
    // with onError set, the socket drops an 'error' event nobody listens to (TlsSocket._destroy).
    // Like node:tls: 'secureConnection' once the handshake is complete; the handler gets the socket at once.
    socket.once('secure', () => server.emit('secureConnection', socket));
    handler?.(socket);
  });
  return server;
}
