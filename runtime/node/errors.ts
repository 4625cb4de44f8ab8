// Errors raised by the node adapters themselves (the transport, not the TLS engine). Same shape as
// runtime/tls ProtosmithError: stable code, blame, alert.
import { ProtosmithError } from '../tls/index.ts';

export type TransportErrorCode =
  /** The transport ended (TCP FIN/RST) before the peer's close_notify: data may have been cut off. */
  | 'TLS_TRUNCATED'
  /** The underlying socket failed (connection refused, reset, ...). */
  | 'TLS_TRANSPORT_ERROR'
  /** A write or key update was attempted after the socket was destroyed. */
  | 'TLS_SOCKET_DESTROYED'
  /** The handshake did not complete within handshakeTimeout (silent, slow or non-TLS peer). */
  | 'TLS_HANDSHAKE_TIMEOUT'
  /** idleTimeout passed while our writes waited: the peer stopped reading. */
  | 'TLS_IDLE_TIMEOUT';

export class TlsTransportError extends ProtosmithError {
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, code === 'TLS_SOCKET_DESTROYED' ? 'local' : 'peer', message, options);
  }
}
