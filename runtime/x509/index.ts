// runtime/x509: certificate parsing, path building to trust anchors, and server identity checks.
// Signatures are verified through the CryptoProvider interface only.
export { CertificateVerifier, verifyCertificateChain } from './verify.ts';
export { TrustStore, CrlSet } from './trust-store.ts';
export type { VerifierOptions, VerifyRequest, VerifiedChain, CertificatePurpose, TrustAnchorInput, CrlInput } from './verify.ts';
export { parseCertificate, pemCertificates, pemBlocks } from './certificate.ts';
export { wildcardUnderPublicSuffix, PUBLIC_SUFFIXES } from './hostname.ts';
export type { ParsedCrl } from './crl.ts';
export type { ParsedCertificate } from './certificate.ts';
export { parseServerIdentity, dnsNameMatches, identityMatches } from './hostname.ts';
export { CertificateError, CertificateConfigError, CertificateProviderError, isCertificateError } from './errors.ts';
export type { CertificateErrorCode, CertificateConfigErrorCode, CertificateAlert } from './errors.ts';
