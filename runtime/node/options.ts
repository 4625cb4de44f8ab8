// Options of the node adapters (connect, createServer, acceptTls), checked when they are called: an
// unknown name is refused with the nearest correct one (a node:tls name with protosmith's
// equivalent), a PEM key that cannot be read is a TlsConfigError naming signingKey, and the engine
// configuration is validated once (runtime/tls/config.ts) so that nothing fails per connection.
import { CLIENT_CONFIG_KEYS, checkOptionNames, SERVER_CONFIG_KEYS } from '../tls/config.ts';
import { TlsConfigError, type TlsClientConfig, type TlsServerConfig } from '../tls/index.ts';
import type { SigningKey } from '../crypto/provider.ts';
import { nodeSigningKey } from '../crypto/node/index.ts';
import type { ConnectOptions } from './connect.ts';
import type { ServerOptions } from './server.ts';

/** Names the adapters take besides the engine's; tsc checks the lists against ConnectOptions / ServerOptions,
 *  so a new adapter option must be added here (the engine's own names live in runtime/tls/config.ts). */
const LIFECYCLE = { handshakeTimeout: true, idleTimeout: true, closeTimeout: true, allowHalfOpen: true } as const;
const CONNECT_ONLY = { host: true, port: true, socket: true, onKeyLog: true, ...LIFECYCLE } as const satisfies Record<Exclude<keyof ConnectOptions, keyof TlsClientConfig>, true>;
const SERVER_ONLY = { onKeyLog: true, ...LIFECYCLE } as const satisfies Record<Exclude<keyof ServerOptions, keyof TlsServerConfig>, true>;
const CONNECT_KEYS: readonly string[] = [...CLIENT_CONFIG_KEYS, ...Object.keys(CONNECT_ONLY)];
const SERVER_KEYS: readonly string[] = [...SERVER_CONFIG_KEYS, ...Object.keys(SERVER_ONLY)];

export function checkConnectOptions(options: ConnectOptions): void {
  if (options === null || typeof options !== 'object') throw new TlsConfigError('TLS_CONFIG_MISSING', 'connect(options): an options object is required (at least { host, port })');
  checkOptionNames(options, CONNECT_KEYS, 'connect()');
}

export function checkServerOptions(options: ServerOptions): void {
  if (options === null || typeof options !== 'object') throw new TlsConfigError('TLS_CONFIG_MISSING', 'createServer(options): an options object is required (at least { certificateChain, signingKey })');
  checkOptionNames(options, SERVER_KEYS, 'createServer()');
}

/** A SigningKey handle as given, or one read from PEM text with the node provider; a key that cannot be read is a TlsConfigError. */
export function ownSigningKey(key: SigningKey | string): SigningKey {
  if (typeof key !== 'string') return key;
  try {
    return nodeSigningKey(key);
  } catch (e) {
    throw new TlsConfigError('TLS_CONFIG_INVALID', `signingKey: ${(e as Error).message}`, { cause: e });
  }
}
