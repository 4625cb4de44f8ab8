// `connect(options)`: a TLS 1.3 client over a TCP socket (or a given Duplex), with the defaults an
// application wants and the engine deliberately lacks: the node crypto provider, Date.now, the
// server name taken from `host`, and Node's bundled Mozilla CA list as trust anchors. Verification
// of the chain and of the host name always happens; nothing here turns it off.
import { connect as netConnect } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { Duplex } from 'node:stream';
import { TlsClient, TrustStore, type TlsClientConfig } from '../tls/index.ts';
import type { CryptoProvider, SigningKey } from '../crypto/provider.ts';
import { createNodeProvider } from '../crypto/node/index.ts';
import { checkConnectOptions, ownSigningKey } from './options.ts';
import { TlsSocket, checkTimeouts, type TlsSocketOptions } from './tls-socket.ts';

/** Connection lifecycle options shared by connect() and createServer() (docs/tls.md "Timeouts and limits"). */
export interface LifecycleOptions {
  /** ms until the handshake must be complete (TCP connect included); 0 = none. Default 30 000. */
  readonly handshakeTimeout?: number;
  /** ms without a byte received or sent before the connection is closed with close_notify; 0 = none.
   *  Default: 0 for connect(), 300 000 for createServer(). */
  readonly idleTimeout?: number;
  /** ms end() waits for the peer's close_notify / TCP FIN before the transport is destroyed. Default 30 000. */
  readonly closeTimeout?: number;
  /** Like node:tls (default false): when the peer's close_notify ends the readable side, end() is called
   *  for you after pending writes. true keeps the writable side open until you call end(). */
  readonly allowHalfOpen?: boolean;
}

/** Splits the lifecycle options (for TlsSocket) from the rest (for the engine). */
export function lifecycleOptions<T extends LifecycleOptions>(options: T): [TlsSocketOptions, Omit<T, keyof LifecycleOptions>] {
  const { handshakeTimeout, idleTimeout, closeTimeout, allowHalfOpen, ...rest } = options;
  return [{ handshakeTimeout, idleTimeout, closeTimeout, allowHalfOpen }, rest];
}

export interface ConnectOptions extends LifecycleOptions, Omit<TlsClientConfig, 'crypto' | 'now' | 'signingKey'> {
  /** Default 'localhost'. Also the default serverName. */
  readonly host?: string;
  readonly port?: number;
  /** Use this transport instead of opening a TCP connection. */
  readonly socket?: Duplex;
  /** Default: createNodeProvider(). */
  readonly crypto?: CryptoProvider;
  /** Default: Date.now. */
  readonly now?: () => number;
  /** Client certificate key: an opaque SigningKey handle, or a PEM private key (node provider). */
  readonly signingKey?: SigningKey | string;
  /** Receive NSS key log lines (enables the engine's key log). */
  readonly onKeyLog?: (line: string) => void;
}

let defaultProvider: CryptoProvider | undefined;
export function defaultCrypto(): CryptoProvider {
  defaultProvider ??= createNodeProvider();
  return defaultProvider;
}

let defaultStore: TrustStore | undefined;
/** Node's bundled Mozilla root list as one TrustStore, parsed once per process and shared by every connect(). */
export function defaultTrustStore(): TrustStore {
  defaultStore ??= new TrustStore(rootCertificates);
  return defaultStore;
}

/** Opens a TLS 1.3 connection. Await socket.secureConnect() (a failed handshake rejects it and emits
 *  no 'error' then) or listen for 'secure'; listen for 'error' for failures after the handshake.
 *  TCP sockets get setNoDelay(true): the engine already writes each flight in one piece. */
export function connect(options: ConnectOptions, onSecure?: () => void): TlsSocket {
  checkConnectOptions(options);
  const host = options.host ?? 'localhost';
  const [lifecycle, engineOptions] = lifecycleOptions(options);
  checkTimeouts(lifecycle);
  const { socket: given, crypto, now, signingKey, onKeyLog, port, host: _host, ...rest } = engineOptions;
  const config: TlsClientConfig = {
    ...rest,
    crypto: crypto ?? defaultCrypto(),
    now: now ?? Date.now,
    serverName: options.serverName ?? host,
    trustAnchors: options.trustAnchors ?? defaultTrustStore(),
    ...(signingKey === undefined ? {} : { signingKey: ownSigningKey(signingKey) }),
    keyLog: options.keyLog ?? onKeyLog !== undefined,
  };
  const engine = new TlsClient(config);
  // allowHalfOpen: the TLS layer decides when to end the TCP stream (after close_notify), not net.
  const transport = given ?? netConnect({ host, port: port ?? 443, allowHalfOpen: true, noDelay: true });
  const socket = new TlsSocket(engine, transport, { ...lifecycle, onKeyLog });
  if (onSecure) socket.once('secure', onSecure);
  const begin = (): void => { void socket.run(() => engine.start()).catch(() => { /* reported through secureConnect() or 'error' */ }); };
  if (given !== undefined || !('connecting' in transport) || !(transport as { connecting?: boolean }).connecting) begin();
  else transport.once('connect', begin);
  return socket;
}
