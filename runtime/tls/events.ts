// What the engine reports to the application, as a discriminated union on `type`.
import type { ClientSession } from './config.ts';
import type { ProtosmithError } from './errors.ts';

export interface HandshakeCompleteEvent {
  readonly type: 'handshakeComplete';
  readonly version: 'TLSv1.3';
  readonly cipherSuite: number;
  readonly group: number | undefined; // undefined only for psk_ke (never negotiated by protosmith)
  readonly signatureScheme: number | undefined; // undefined when resumed (no CertificateVerify)
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
  readonly resumed: boolean;
  readonly earlyDataAccepted: boolean;
  /** Peer's certificates (DER, leaf first); empty when resumed or the client sent none. */
  readonly peerCertificates: readonly Uint8Array[];
}

export type TlsEvent =
  | HandshakeCompleteEvent
  | { readonly type: 'data'; readonly data: Uint8Array }
  | { readonly type: 'earlyData'; readonly data: Uint8Array }
  | { readonly type: 'alert'; readonly level: 'warning' | 'fatal'; readonly description: number }
  /** The peer sent close_notify: it sends nothing more, but this side may still write until close()
   *  (half-close, RFC 8446 §6.1). */
  | { readonly type: 'peerClosed' }
  /** Closed in both directions (close_notify sent and received, or closed before the handshake completed). */
  | { readonly type: 'closed' }
  | { readonly type: 'newSessionTicket'; readonly ticket: ClientSession }
  | { readonly type: 'keyLog'; readonly line: string }
  | { readonly type: 'keyUpdate'; readonly direction: 'read' | 'write' }
  | { readonly type: 'error'; readonly error: ProtosmithError };
