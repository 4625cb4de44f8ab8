// Errors raised by certificate verification. Same shape as runtime/tls/errors.ts (ProtosmithError):
// a stable `code`, a `blame`, and the TLS alert the connection sends (RFC 8446 §6), as an alert name.
// runtime/x509 may import only the crypto interface, so the shape is repeated here.
//
//   CertificateError        blame 'peer'      the peer's certificate chain is unacceptable
//   CertificateConfigError  blame 'config'    trust anchors / server name cannot be used
//   CertificateProviderError blame 'provider' the crypto provider failed while verifying a signature

export type Blame = 'peer' | 'local' | 'provider' | 'config';

/** TLS alert names x509 errors send (a subset of runtime/tls AlertDescription). */
export type CertificateAlert =
  | 'bad_certificate'
  | 'unsupported_certificate'
  | 'certificate_expired'
  | 'certificate_unknown'
  | 'certificate_revoked'
  | 'unknown_ca'
  | 'internal_error';

export type CertificateErrorCode =
  /** The chain is empty (no certificate where one is needed). */
  | 'CERT_EMPTY_CHAIN'
  /** More certificates than the verifier accepts (maxChainLength, default 256). */
  | 'CERT_CHAIN_TOO_LONG'
  /** Path building gave up: the signature-check budget or the path depth limit was exhausted. */
  | 'CERT_PATH_BUDGET_EXCEEDED'
  /** A certificate breaks an RFC 5280 / CA-Browser-Forum profile rule (the `rule` field names it). */
  | 'CERT_PROFILE'
  /** A public key the policy refuses: RSA < 2048 bits or modulus not a multiple of 8, P-192, DSA, explicit EC parameters. */
  | 'CERT_WEAK_KEY'
  /** A supplied CRL lists the certificate's serial number. */
  | 'CERT_REVOKED'
  /** A supplied CRL for the issuer cannot be used (expired, not yet valid, unknown critical extension, no CRL number). */
  | 'CERT_REVOCATION_UNKNOWN'
  /** A certificate is not valid DER X.509 v3. */
  | 'CERT_MALFORMED'
  /** now > notAfter. */
  | 'CERT_EXPIRED'
  /** now < notBefore. */
  | 'CERT_NOT_YET_VALID'
  /** No path from the leaf to a configured trust anchor. */
  | 'CERT_UNTRUSTED'
  /** A certificate's signature does not verify with its issuer's key. */
  | 'CERT_BAD_SIGNATURE'
  /** A certificate used as an issuer is not a CA (basicConstraints cA is false or absent). */
  | 'CERT_NOT_A_CA'
  /** The path is longer than an issuer's pathLenConstraint allows. */
  | 'CERT_PATH_LEN_EXCEEDED'
  /** keyUsage forbids the use (leaf: digitalSignature; issuer: keyCertSign). */
  | 'CERT_KEY_USAGE'
  /** extendedKeyUsage lacks serverAuth / clientAuth. */
  | 'CERT_EXTENDED_KEY_USAGE'
  /** The leaf is a CA certificate (basicConstraints cA true) and is not itself a trust anchor. */
  | 'CERT_CA_AS_LEAF'
  /** The leaf's subjectAltName does not cover the server name (no CN fallback). */
  | 'CERT_HOSTNAME_MISMATCH'
  /** Signature algorithm outside what the provider verifies (or malformed parameters). */
  | 'CERT_UNSUPPORTED_SIGNATURE_ALGORITHM'
  /** A name in a certificate is outside an issuing CA's nameConstraints (or the constraints use a form not enforced). */
  | 'CERT_NAME_CONSTRAINTS'
  /** A critical extension this verifier does not process. */
  | 'CERT_UNSUPPORTED_CRITICAL_EXTENSION';

export type CertificateConfigErrorCode =
  | 'CERT_NO_TRUST_ANCHORS'
  | 'CERT_BAD_TRUST_ANCHOR'
  | 'CERT_BAD_SERVER_NAME'
  /** A CRL given in the configuration is not a well-formed X.509 v2 CRL. */
  | 'CERT_BAD_CRL';

export class CertificateError extends Error {
  readonly code: CertificateErrorCode;
  readonly blame: Blame = 'peer';
  readonly alert: CertificateAlert;
  /** Index of the offending certificate in the peer's chain (0 = leaf); undefined when not one certificate. */
  readonly certificateIndex: number | undefined;
  /** Subject DN of the offending certificate, when known. */
  readonly subject: string | undefined;
  /** The rule that refused the chain (e.g. "RFC 5280 §4.2.1.10", "CABF BR §6.1.5"), when one rule did. */
  readonly rule: string | undefined;
  constructor(code: CertificateErrorCode, alert: CertificateAlert, message: string,
    where?: { index?: number | undefined; subject?: string | undefined; cause?: unknown; rule?: string | undefined }) {
    super(message, where?.cause !== undefined ? { cause: where.cause } : undefined);
    this.name = 'CertificateError';
    this.code = code;
    this.alert = alert;
    this.certificateIndex = where?.index;
    this.subject = where?.subject;
    this.rule = where?.rule;
  }
}

export class CertificateConfigError extends Error {
  readonly code: CertificateConfigErrorCode;
  readonly blame: Blame = 'config';
  readonly alert: CertificateAlert = 'internal_error';
  constructor(code: CertificateConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'CertificateConfigError';
    this.code = code;
  }
}

export class CertificateProviderError extends Error {
  readonly code = 'CERT_PROVIDER_FAILURE';
  readonly blame: Blame = 'provider';
  readonly alert: CertificateAlert = 'internal_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'CertificateProviderError';
  }
}

export function isCertificateError(e: unknown, code?: CertificateErrorCode): e is CertificateError {
  return e instanceof CertificateError && (code === undefined || e.code === code);
}
