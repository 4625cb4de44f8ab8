// How each TLS signature scheme maps onto node:crypto sign/verify options (RFC 8446 §4.2.3):
// RSA-PSS uses MGF1 with the same hash and a salt as long as the hash; ECDSA signatures are DER.
import { constants, type KeyObject } from 'node:crypto';
import { SignatureScheme, type SignatureSchemeId } from '../provider.ts';

export interface SchemeInfo {
  readonly name: string;
  /** Digest for node's sign/verify; null for Ed25519 (pure). */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | null;
  options(key: KeyObject): { padding?: number; saltLength?: number; dsaEncoding?: 'der' };
}

const pss = (name: string, digest: 'sha256' | 'sha384' | 'sha512', saltLength: number): SchemeInfo => ({
  name, digest, options: () => ({ padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }),
});
const pkcs1 = (name: string, digest: 'sha256' | 'sha384' | 'sha512'): SchemeInfo => ({
  name, digest, options: () => ({ padding: constants.RSA_PKCS1_PADDING }),
});
const ecdsa = (name: string, digest: 'sha256' | 'sha384' | 'sha512'): SchemeInfo => ({
  name, digest, options: () => ({ dsaEncoding: 'der' }),
});

const TABLE = new Map<SignatureSchemeId, SchemeInfo>([
  [SignatureScheme.rsa_pkcs1_sha256, pkcs1('rsa_pkcs1_sha256', 'sha256')],
  [SignatureScheme.rsa_pkcs1_sha384, pkcs1('rsa_pkcs1_sha384', 'sha384')],
  [SignatureScheme.rsa_pkcs1_sha512, pkcs1('rsa_pkcs1_sha512', 'sha512')],
  [SignatureScheme.ecdsa_secp256r1_sha256, ecdsa('ecdsa_secp256r1_sha256', 'sha256')],
  [SignatureScheme.ecdsa_secp384r1_sha384, ecdsa('ecdsa_secp384r1_sha384', 'sha384')],
  [SignatureScheme.rsa_pss_rsae_sha256, pss('rsa_pss_rsae_sha256', 'sha256', 32)],
  [SignatureScheme.rsa_pss_rsae_sha384, pss('rsa_pss_rsae_sha384', 'sha384', 48)],
  [SignatureScheme.rsa_pss_rsae_sha512, pss('rsa_pss_rsae_sha512', 'sha512', 64)],
  [SignatureScheme.rsa_pss_pss_sha256, pss('rsa_pss_pss_sha256', 'sha256', 32)],
  [SignatureScheme.rsa_pss_pss_sha384, pss('rsa_pss_pss_sha384', 'sha384', 48)],
  [SignatureScheme.rsa_pss_pss_sha512, pss('rsa_pss_pss_sha512', 'sha512', 64)],
  [SignatureScheme.ed25519, { name: 'ed25519', digest: null, options: () => ({}) }],
]);

export function schemeInfo(scheme: SignatureSchemeId): SchemeInfo | undefined {
  return TABLE.get(scheme);
}
