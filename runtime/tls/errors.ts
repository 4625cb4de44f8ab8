// Errors raised by the TLS engine. Every error has a stable `code` (part of the API: match on it,
// not on the message), a `blame` saying who has to act, and — when the connection must tell the peer —
// the TLS alert description it sends (RFC 8446 §6). Messages name the message/extension/record and
// say what was wrong and what to do.
//
//   TlsPeerError      blame 'peer'      the peer sent something malformed, out of order, or unverifiable
//   TlsUsageError     blame 'local'     the application misused the API (write before handshake, ...)
//   TlsConfigError    blame 'config'    the configuration cannot work (no certificate, bad ticket key, ...)
//   TlsProviderError  blame 'provider'  the crypto provider failed or cannot do what was negotiated

export type Blame = 'peer' | 'local' | 'provider' | 'config';

/** TLS alert descriptions (RFC 8446 §6, IANA "TLS Alerts"). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
export type AlertName = keyof typeof AlertDescription;

export function alertName(code: number): string {
  for (const [k, v] of Object.entries(AlertDescription)) if (v === code) return k;
  return `alert_${code}`;
}

export function isAlertName(s: string): s is AlertName {
  return Object.prototype.hasOwnProperty.call(AlertDescription, s);
}

/** Base of every protosmith error (runtime/crypto and runtime/x509 use the same shape). */
export class ProtosmithError extends Error {
  readonly code: string;
  readonly blame: Blame;
  readonly alert: AlertName | undefined;
  constructor(code: string, blame: Blame, message: string, options?: { alert?: AlertName; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.blame = blame;
    this.alert = options?.alert;
  }
}

/** Stable codes for errors the peer caused. */
export type PeerErrorCode =
  | 'TLS_UNEXPECTED_MESSAGE'     // message not allowed in this state (from the generated table)
  | 'TLS_DECODE_ERROR'           // malformed message or record
  | 'TLS_RECORD_OVERFLOW'        // record larger than 2^14+256 (or the negotiated limit)
  | 'TLS_MESSAGE_TOO_LARGE'      // handshake message over maxHandshakeMessageSize
  | 'TLS_BUFFER_LIMIT'           // too much buffered, unprocessed data
  | 'TLS_BAD_RECORD_MAC'         // record failed authentication
  | 'TLS_ILLEGAL_PARAMETER'      // a field has a value the RFC forbids here
  | 'TLS_HANDSHAKE_FAILURE'      // no common parameters
  | 'TLS_PROTOCOL_VERSION'       // peer does not speak TLS 1.3
  | 'TLS_MISSING_EXTENSION'      // mandatory extension absent
  | 'TLS_UNSUPPORTED_EXTENSION'  // extension not allowed in this message
  | 'TLS_BAD_FINISHED'           // Finished verify_data mismatch
  | 'TLS_BAD_SIGNATURE'          // CertificateVerify signature invalid
  | 'TLS_BAD_CERTIFICATE'        // certificate chain rejected
  | 'TLS_CERTIFICATE_REQUIRED'   // client sent no certificate though required
  | 'TLS_NO_APPLICATION_PROTOCOL'// no ALPN overlap
  | 'TLS_EARLY_DATA_LIMIT'       // more early data than max_early_data_size
  | 'TLS_NO_PROGRESS'            // too many records in a row without data or handshake progress (CCS, user_canceled, empty, KeyUpdate)
  | 'TLS_PEER_ALERT'             // peer sent a fatal alert
  | 'TLS_UNKNOWN_PSK';           // PSK binder did not verify

export class TlsPeerError extends ProtosmithError {
  constructor(code: PeerErrorCode, alert: AlertName, message: string, options?: { cause?: unknown }) {
    super(code, 'peer', message, { alert, ...options });
  }
}

/** The peer closed the connection with a fatal alert. Nothing is sent back. */
export class TlsAlertReceivedError extends ProtosmithError {
  readonly description: number;
  constructor(description: number, message: string) {
    super('TLS_PEER_ALERT', 'peer', message);
    this.description = description;
  }
}

export type UsageErrorCode =
  | 'TLS_NOT_CONNECTED'        // write/exporter/key update before the handshake completed
  | 'TLS_ALREADY_STARTED'      // start() twice, or start() on a server
  | 'TLS_CLOSED'               // write after close()
  | 'TLS_IN_ERROR'             // any call after a fatal error (carries the original as cause)
  | 'TLS_BAD_ARGUMENT';        // invalid argument (exporter length, label...)

export class TlsUsageError extends ProtosmithError {
  constructor(code: UsageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, 'local', message, options);
  }
}

export type ConfigErrorCode =
  | 'TLS_CONFIG_MISSING'       // a required field is absent (crypto, certificate chain, trust anchors...)
  | 'TLS_CONFIG_INVALID'       // a field has an unusable value
  | 'TLS_CONFIG_UNSUPPORTED'   // asks for something outside the modern TLS 1.3 set / provider capabilities
  | 'TLS_CONFIG_WEAK_KEY'      // our own key is too weak to use (RSA below 2048 bits)
  | 'TLS_CONFIG_KEY_MISMATCH'  // the signing key does not belong to the leaf certificate
  | 'TLS_CONFIG_CHAIN_ORDER'   // certificateChain is not leaf first, each certificate followed by its issuer
  | 'TLS_CONFIG_UNKNOWN_OPTION'; // an option name protosmith does not know (a typo, or a node:tls name)

export class TlsConfigError extends ProtosmithError {
  constructor(code: ConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, 'config', message, { alert: 'internal_error', ...options });
  }
}

export class TlsProviderError extends ProtosmithError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TLS_PROVIDER_FAILURE', 'provider', message, { alert: 'internal_error', ...options });
  }
}

/** Wraps anything thrown by a provider/verifier/table into a ProtosmithError so that no other
 *  exception type ever escapes the engine. ProtosmithErrors (from runtime/crypto, runtime/x509,
 *  runtime/codec, runtime/machine when they share the shape) pass through unchanged. */
export function asProtosmithError(e: unknown, context: string): ProtosmithError {
  if (e instanceof ProtosmithError) return e;
  if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && typeof (e as { blame?: unknown }).blame === 'string') {
    const x = e as Error & { code: string; blame: Blame; alert?: string | number };
    const alert: AlertName = typeof x.alert === 'string' && isAlertName(x.alert) ? x.alert
      : typeof x.alert === 'number' && isAlertName(alertName(x.alert)) ? alertName(x.alert) as AlertName
      : x.blame === 'peer' ? 'decode_error' : 'internal_error';
    return new ProtosmithError(x.code, x.blame, `${context}: ${x.message}`, { alert, cause: e });
  }
  return new TlsProviderError(`${context}: unexpected failure (${e instanceof Error ? e.message : String(e)}); this is a bug or a provider fault — report it with the key log if possible`, { cause: e });
}
