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
import { TlsSocket } from './tls-socket.ts';

export interface ConnectOptions extends Omit<TlsClientConfig, 'crypto' | 'now' | 'signingKey'> {
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

/** Opens a TLS 1.3 connection. Listen for 'secure' (or await socket.secureConnect()) and 'error'. */
export function connect(options: ConnectOptions, onSecure?: () => void): TlsSocket {
  checkConnectOptions(options);
  const host = options.host ?? 'localhost';
  const { socket: given, crypto, now, signingKey, onKeyLog, port, host: _host, ...rest } = options;
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
  const transport = given ?? netConnect({ host, port: port ?? 443, allowHalfOpen: true });
  const socket = new TlsSocket(engine, transport, { onKeyLog });
  if (onSecure) socket.once('secure', onSecure);
  const begin = (): void => { void socket.run(() => engine.start()).catch(() => { /* reported through 'error' */ }); };
  if (given !== undefined || !('connecting' in transport) || !(transport as { connecting?: boolean }).connecting) begin();
  else transport.once('connect', begin);
  return socket;
}
