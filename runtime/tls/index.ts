// protosmith TLS 1.3 engine: sans-IO client and server driven by the generated handshake tables.
//   const c = new TlsClient({ crypto, now: Date.now, serverName, trustAnchors });
//   c.start(); send(c.takeOutput()); for (const ev of await c.receive(bytes)) ...
// See docs/engine-design.md.
export { TlsClient } from './client.ts';
export { TlsServer } from './server.ts';
export type {
  TlsClientConfig, TlsServerConfig, ClientSession, CertificateInput, ExpertOptions, ShapedMessage,
  PeerVerificationRequest, PeerVerificationResult, ServerSessionState, SessionTicketCodec,
  HelloRetryCookieState, HelloRetryCookieCodec, GroupSelection,
} from './config.ts';
export { CipherSuite, NamedGroup, SignatureScheme } from './config.ts';
/** Parsed trust anchors / CRLs to share between configs (`trustAnchors`, `crls`). */
export { TrustStore, CrlSet } from '../x509/index.ts';
export type { TlsEvent, HandshakeCompleteEvent } from './events.ts';
export type { OutputBuffers } from './connection.ts';
export {
  ProtosmithError, TlsPeerError, TlsAlertReceivedError, TlsUsageError, TlsConfigError, TlsProviderError,
  AlertDescription, alertName,
} from './errors.ts';
export type { Blame, AlertName, PeerErrorCode, UsageErrorCode, ConfigErrorCode } from './errors.ts';
