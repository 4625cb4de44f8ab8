// runtime/node: the only place with sockets. connect / createServer over node:net, and TlsSocket,
// a Duplex around any sans-IO engine and any byte transport.
export { connect, defaultCrypto, type ConnectOptions } from './connect.ts';
export { createServer, acceptTls, type ServerOptions } from './server.ts';
export { TlsSocket, type SansIoEngine, type TlsSocketOptions } from './tls-socket.ts';
export { TlsTransportError, type TransportErrorCode } from './errors.ts';
