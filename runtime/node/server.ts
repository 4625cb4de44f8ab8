// `createServer(options, handler)`: a TLS 1.3 server on net.Server. Each accepted TCP connection
// gets its own TlsServer engine wrapped in a TlsSocket; the handler receives the socket at once
// (await socket.secureConnect() or listen for 'secure' before relying on handshake facts).
import { createServer as netCreateServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TlsServer, type TlsServerConfig } from '../tls/index.ts';
import type { CryptoProvider, SigningKey } from '../crypto/provider.ts';
import { checkServerConfig } from '../tls/config.ts';
import { checkServerOptions, ownSigningKey } from './options.ts';
import { TlsSocket } from './tls-socket.ts';
import { defaultCrypto } from './connect.ts';

export interface ServerOptions extends Omit<TlsServerConfig, 'crypto' | 'now' | 'signingKey'> {
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
  const { crypto, now, signingKey, onKeyLog, ...rest } = options;
  return {
    ...rest,
    crypto: crypto ?? defaultCrypto(),
    now: now ?? Date.now,
    signingKey: ownSigningKey(signingKey),
    keyLog: options.keyLog ?? onKeyLog !== undefined,
  };
}

/** Wraps one accepted transport (a net.Socket or any Duplex) as the server side of a TLS 1.3 connection. */
export function acceptTls(transport: Duplex, options: ServerOptions): TlsSocket {
  return new TlsSocket(new TlsServer(serverConfig(options)), transport, { onKeyLog: options.onKeyLog });
}

/** A net.Server running TLS 1.3 on every accepted connection. `handler` receives each TlsSocket as
 *  soon as the TCP connection is accepted (writes are queued until the handshake completes); the
 *  server emits 'secureConnection' (socket) after the handshake. Errors of one connection go to that
 *  socket's 'error' event and to the server's 'tlsClientError' event, never crash the server. */
export function createServer(options: ServerOptions, handler?: (socket: TlsSocket) => void): Server {
  const config = serverConfig(options);
  checkServerConfig(config); // every configuration error surfaces here, not per connection
  const server = netCreateServer({ allowHalfOpen: true }, (tcp: Socket) => {
    let socket: TlsSocket;
    try {
      socket = new TlsSocket(new TlsServer(config), tcp, { onKeyLog: options.onKeyLog });
    } catch (e) {
      tcp.destroy();
      server.emit('tlsClientError', e);
      return;
    }
    socket.on('error', (e: Error) => { server.emit('tlsClientError', e, socket); });
    // Like node:tls: 'secureConnection' once the handshake is complete; the handler gets the socket at once.
    socket.once('secure', () => server.emit('secureConnection', socket));
    handler?.(socket);
  });
  return server;
}
