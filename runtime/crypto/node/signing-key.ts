// Software signing keys for the node provider: an opaque SigningKey handle over a KeyObject.
import { createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { CryptoError } from '../errors.ts';
import type { SignatureSchemeId, SigningKey } from '../provider.ts';
import { schemesForKey } from './provider.ts';
import { schemeInfo } from './schemes.ts';

/**
 * A SigningKey from a PEM/DER private key or a private KeyObject. `schemes` lists what the key can
 * produce in CertificateVerify: RSA → rsa_pss_rsae_sha256/384/512, RSA-PSS → rsa_pss_pss_*,
 * P-256 → ecdsa_secp256r1_sha256, P-384 → ecdsa_secp384r1_sha384, Ed25519 → ed25519.
 */
export function nodeSigningKey(key: string | Uint8Array | KeyObject, options: { passphrase?: string } = {}): SigningKey {
  let keyObject: KeyObject;
  try {
    if (typeof key === 'string') keyObject = createPrivateKey({ key, format: 'pem', ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }) });
    else if (key instanceof Uint8Array) keyObject = createPrivateKey({ key: Buffer.from(key), format: 'der', type: 'pkcs8' });
    else keyObject = key;
  } catch (cause) {
    throw new CryptoError('CRYPTO_INVALID_KEY', 'config', 'The private key could not be read: expected a PEM private key (PKCS#8, PKCS#1 or SEC1) or PKCS#8 DER; check the file and passphrase.', { cause });
  }
  if (keyObject.type !== 'private') {
    throw new CryptoError('CRYPTO_INVALID_KEY', 'config', `A signing key must be a private key, got a ${keyObject.type} key.`);
  }
  const schemes = schemesForKey(keyObject, false);
  if (schemes.length === 0) {
    throw new CryptoError('CRYPTO_INVALID_KEY', 'config', `Private key type ${keyObject.asymmetricKeyType ?? 'unknown'}${keyObject.asymmetricKeyDetails?.namedCurve ? ` (${keyObject.asymmetricKeyDetails.namedCurve})` : ''} cannot sign with any TLS 1.3 scheme; use RSA (>= 2048 bits), ECDSA P-256/P-384 or Ed25519.`);
  }
  const frozen: readonly SignatureSchemeId[] = Object.freeze(schemes);
  const spkiDer = createPublicKey(keyObject).export({ format: 'der', type: 'spki' });
  return {
    schemes: frozen,
    spki: new Uint8Array(spkiDer.buffer, spkiDer.byteOffset, spkiDer.byteLength),
    async sign(scheme: SignatureSchemeId, message: Uint8Array): Promise<Uint8Array> {
      const info = schemeInfo(scheme);
      if (info === undefined || !frozen.includes(scheme)) {
        throw new CryptoError('CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY', 'local', `This key cannot sign with scheme 0x${scheme.toString(16).padStart(4, '0')}; it supports ${frozen.map((s) => schemeInfo(s)?.name ?? s).join(', ')}.`);
      }
      try {
        const sig = nodeSign(info.digest, message, { key: keyObject, ...info.options(keyObject) });
        return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength);
      } catch (cause) {
        throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `Signing with ${info.name} failed in node:crypto.`, { cause });
      }
    },
  };
}
