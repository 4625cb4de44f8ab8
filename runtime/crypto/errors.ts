// Errors raised by crypto providers and by the record/key-schedule code built on them.
// Same shape as runtime/tls/errors.ts (ProtosmithError): a stable `code`, a `blame` saying whose
// fault it is, and the TLS alert to send when the error ends a connection. runtime/crypto does not
// import runtime/tls, so the shape is repeated here rather than shared.

/** Whose fault: the peer sent bad data, the local caller misused the API, the provider failed, or the configuration is wrong. */
export type Blame = 'peer' | 'local' | 'provider' | 'config';

/** TLS alert descriptions used by crypto errors (RFC 8446 §6); `CryptoError.alert` holds the name. */
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
export type AlertName = keyof typeof Alert;

export type CryptoErrorCode =
  /** AEAD tag did not verify (record or ticket). Peer. */
  | 'CRYPTO_AEAD_OPEN_FAILED'
  /** Peer key share or public point is malformed / not on the curve / wrong length. Peer. */
  | 'CRYPTO_INVALID_PEER_KEY_SHARE'
  /** (EC)DHE produced the all-zero value (RFC 8446 §7.4.2; small-order X25519 point). Peer. */
  | 'CRYPTO_ZERO_SHARED_SECRET'
  /** An algorithm / group / scheme / suite this provider does not implement was requested. Local or config. */
  | 'CRYPTO_UNSUPPORTED_ALGORITHM'
  /** A signing key handle was asked for a scheme it cannot produce. Local. */
  | 'CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY'
  /** A key given by the application (PEM, KeyObject, ticket key) could not be used. Config. */
  | 'CRYPTO_INVALID_KEY'
  /** A public key (SPKI) to verify with is malformed or of the wrong type for the scheme. Peer. */
  | 'CRYPTO_INVALID_PUBLIC_KEY'
  /** Caller passed an out-of-range argument (key length, nonce length, output length). Local. */
  | 'CRYPTO_INVALID_ARGUMENT'
  /** The underlying library failed in a way not explained by its input. Provider. */
  | 'CRYPTO_PROVIDER_FAILURE'
  /** A PKCS#11 module could not be loaded or initialised (wrong path, not a PKCS#11 library, bad SOFTHSM2_CONF). Config. */
  | 'CRYPTO_HSM_MODULE_FAILED'
  /** No token with the configured label is present in any slot. Config. */
  | 'CRYPTO_HSM_TOKEN_NOT_FOUND'
  /** The token refused the user PIN (wrong, locked or expired). Config. */
  | 'CRYPTO_HSM_PIN_REJECTED'
  /** No private key (or more than one) matches the configured label / id on the token. Config. */
  | 'CRYPTO_HSM_KEY_NOT_FOUND'
  /** The token lacks the mechanism a key needs (e.g. CKM_EDDSA, CKM_RSA_PKCS_PSS). Config. */
  | 'CRYPTO_HSM_MECHANISM_UNSUPPORTED'
  /** The token session was lost (closed, device removed, logged out) and could not be re-established. Provider. */
  | 'CRYPTO_HSM_SESSION_LOST';

export interface CryptoErrorOptions {
  alert?: AlertName;
  cause?: unknown;
}

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  readonly code: CryptoErrorCode;
  readonly blame: Blame;
  /** Name of the TLS alert to send if this error ends the connection (as in ProtosmithError). */
  readonly alert: AlertName | undefined;

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
