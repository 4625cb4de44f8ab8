// Errors raised by crypto providers and by the record/key-schedule code built on them.
// Same shape as runtime/tls/errors.ts (ProtosmithError): a stable `code`, a `blame` saying whose
// fault it is, and the TLS alert to send when the error ends a connection. runtime/crypto does not
// import runtime/tls, so the shape is repeated here rather than shared.

/** Whose fault: the peer sent bad data, the local caller misused the API, the provider failed, or the configuration is wrong. */
export type Blame = 'peer' | 'local' | 'provider' | 'config';

/** TLS alert descriptions used by crypto errors (RFC 8446 §6). */
export const Alert = {
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  illegal_parameter: 47,
  decode_error: 50,
  decrypt_error: 51,
  internal_error: 80,
} as const;

export type CryptoErrorCode =
  /** AEAD tag did not verify (record or ticket). Peer. */
  | 'crypto.aead_open_failed'
  /** Peer key share or public point is malformed / not on the curve / wrong length. Peer. */
  | 'crypto.invalid_peer_public_key'
  /** (EC)DHE produced the all-zero value (RFC 8446 §7.4.2; small-order X25519 point). Peer. */
  | 'crypto.zero_shared_secret'
  /** An algorithm / group / scheme / suite this provider does not implement was requested. Local or config. */
  | 'crypto.unsupported_algorithm'
  /** A signing key handle was asked for a scheme it cannot produce. Local. */
  | 'crypto.scheme_not_supported_by_key'
  /** A key given by the application (PEM, KeyObject, ticket key) could not be used. Config. */
  | 'crypto.invalid_key'
  /** A public key (SPKI) to verify with is malformed or of the wrong type for the scheme. Peer. */
  | 'crypto.invalid_public_key'
  /** Caller passed an out-of-range argument (key length, nonce length, output length). Local. */
  | 'crypto.invalid_argument'
  /** The underlying library failed in a way not explained by its input. Provider. */
  | 'crypto.provider_failure'
  /** Record layer: the 64-bit sequence number would wrap (RFC 8446 §5.3). Local: rekey earlier. */
  | 'record.sequence_overflow'
  /** Record layer: a protected record failed to decrypt (RFC 8446 §5.2). Peer. */
  | 'record.bad_record_mac'
  /** Record layer: record or plaintext longer than allowed (RFC 8446 §5.2, §5.4). Peer. */
  | 'record.overflow'
  /** Record layer: malformed protected record (wrong outer type/version, all-zero inner plaintext). Peer. */
  | 'record.malformed'
  /** Record layer: the caller asked to seal more than fits in one record. Local. */
  | 'record.plaintext_too_long';

export interface CryptoErrorOptions {
  alert?: number;
  cause?: unknown;
}

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  readonly code: CryptoErrorCode;
  readonly blame: Blame;
  /** TLS alert description to send if this error ends the connection. */
  readonly alert: number | undefined;

  constructor(code: CryptoErrorCode, blame: Blame, message: string, options: CryptoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.blame = blame;
    this.alert = options.alert;
  }
}

/** True when `e` is a CryptoError with the given code (or any CryptoError when no code is given). */
export function isCryptoError(e: unknown, code?: CryptoErrorCode): e is CryptoError {
  return e instanceof CryptoError && (code === undefined || e.code === code);
}
