// A SigningKey whose private key stays in a PKCS#11 token. The message is hashed in software and the
// token signs the digest (CKM_ECDSA, CKM_RSA_PKCS_PSS), or the token signs the whole message (CKM_EDDSA).
// ECDSA comes back from the token as r||s and is DER-encoded here, as TLS wants (RFC 8446 §4.2.3).
import { createHash, createPublicKey } from 'node:crypto';
import { CryptoError } from '../errors.ts';
import { ecdsaRawToDer } from '../ecdsa-signature.ts';
import { SignatureScheme, type SignatureSchemeId, type SigningKey } from '../provider.ts';
import { ckrName, pkcs11js } from './module.ts';
import { isLostSession, type Pkcs11Token, type Session } from './token.ts';

// PKCS#11 3.0 values that pkcs11js (2.40) does not export.
const CKK_EC_EDWARDS = 0x40;
const CKM_EDDSA = 0x1057;

/** How a key is picked on the token: CKA_LABEL, CKA_ID, or both. */
export interface KeySelector {
  readonly label?: string;
  readonly id?: Uint8Array;
}

const OID_P256 = '06082a8648ce3d030107';
const OID_P384 = '06052b81040022';
const OID_ED25519 = '06032b6570';
const PRINTABLE_ED25519 = Buffer.concat([Buffer.of(0x13, 12), Buffer.from('edwards25519')]).toString('hex');

type KeyKind = { kind: 'ec'; curve: 'P-256' | 'P-384'; size: number } | { kind: 'rsa' } | { kind: 'ed25519' };

interface SchemeDef { name: string; digest: 'sha256' | 'sha384' | 'sha512' | null }
const SCHEMES = new Map<SignatureSchemeId, SchemeDef>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { name: 'ecdsa_secp256r1_sha256', digest: 'sha256' }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { name: 'ecdsa_secp384r1_sha384', digest: 'sha384' }],
  [SignatureScheme.rsa_pss_rsae_sha256, { name: 'rsa_pss_rsae_sha256', digest: 'sha256' }],
  [SignatureScheme.rsa_pss_rsae_sha384, { name: 'rsa_pss_rsae_sha384', digest: 'sha384' }],
  [SignatureScheme.rsa_pss_rsae_sha512, { name: 'rsa_pss_rsae_sha512', digest: 'sha512' }],
  [SignatureScheme.ed25519, { name: 'ed25519', digest: null }],
]);

const describeSel = (sel: KeySelector): string => [
  sel.label !== undefined ? `label "${sel.label}"` : '',
  sel.id !== undefined ? `id ${Buffer.from(sel.id).toString('hex')}` : '',
].filter(Boolean).join(' and ');

/** The EC point inside CKA_EC_POINT, which modules give as a DER OCTET STRING (or, some, raw). */
function unwrapPoint(v: Buffer): Buffer {
  if (v[0] === 0x04 && v.length >= 2) {
    const len = v[1]!;
    if (len < 0x80 && len === v.length - 2) return v.subarray(2);
    if (len === 0x81 && v[2] === v.length - 3) return v.subarray(3);
  }
  return v;
}

export class Pkcs11SigningKey implements SigningKey {
  readonly schemes: readonly SignatureSchemeId[];
  /** What the key is, for messages: token, label/id, type. */
  readonly description: string;
  /** The public key as SubjectPublicKeyInfo DER, when the token holds the matching public key object (or an RSA private key exposes it). */
  readonly publicKeySpki: Uint8Array | undefined;
  readonly #token: Pkcs11Token;
  readonly #selector: KeySelector;
  readonly #kind: KeyKind;
  #handle: Buffer;
  #generation: number;

  private constructor(token: Pkcs11Token, selector: KeySelector, handle: Buffer, kind: KeyKind, schemes: SignatureSchemeId[], spki: Uint8Array | undefined, generation: number) {
    this.#token = token;
    this.#selector = selector;
    this.#handle = handle;
    this.#kind = kind;
    this.#generation = generation;
    this.schemes = Object.freeze(schemes);
    this.publicKeySpki = spki;
    this.description = `${kind.kind === 'ec' ? `ECDSA ${kind.curve}` : kind.kind === 'rsa' ? 'RSA' : 'Ed25519'} key ${describeSel(selector)} on token "${token.label}"`;
  }

  /** Finds the private key, works out what it can sign with on this token, and reads its public half. */
  static async find(token: Pkcs11Token, selector: KeySelector): Promise<Pkcs11SigningKey> {
    if (selector.label === undefined && selector.id === undefined) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'config', `Name the key on token "${token.label}" by label or id (pkcs11: URI object=LABEL or id=%01%02).`);
    }
    return token.withSession(`looking up ${describeSel(selector)}`, async (session, generation) => {
      const js = pkcs11js();
      const handle = findObject(token, session, js.CKO_PRIVATE_KEY, selector, true)!;
      const attrs = token.lib.C_GetAttributeValue(session, handle, [{ type: js.CKA_KEY_TYPE }, { type: js.CKA_SIGN }]);
      const keyType = ulong(attrs[0]!.value as Buffer);
      if (!(attrs[1]!.value as Buffer)[0]) {
        throw new CryptoError('CRYPTO_HSM_KEY_NOT_FOUND', 'config', `The private key ${describeSel(selector)} on token "${token.label}" has CKA_SIGN false and cannot sign; generate a signing key.`);
      }
      let kind: KeyKind;
      let spki: Uint8Array | undefined;
      const pub = findObject(token, session, js.CKO_PUBLIC_KEY, selector, false);
      if (keyType === js.CKK_EC || keyType === CKK_EC_EDWARDS) {
        const params = (token.lib.C_GetAttributeValue(session, handle, [{ type: js.CKA_EC_PARAMS }])[0]!.value as Buffer).toString('hex');
        if (keyType === js.CKK_EC && params === OID_P256) kind = { kind: 'ec', curve: 'P-256', size: 32 };
        else if (keyType === js.CKK_EC && params === OID_P384) kind = { kind: 'ec', curve: 'P-384', size: 48 };
        else if (keyType === CKK_EC_EDWARDS && (params === OID_ED25519 || params === PRINTABLE_ED25519)) kind = { kind: 'ed25519' };
        else throw new CryptoError('CRYPTO_HSM_KEY_NOT_FOUND', 'config', `The key ${describeSel(selector)} on token "${token.label}" is on a curve TLS 1.3 cannot use here (CKA_EC_PARAMS ${params}); use P-256, P-384 or Ed25519.`);
        if (pub !== undefined) {
          const point = unwrapPoint(token.lib.C_GetAttributeValue(session, pub, [{ type: js.CKA_EC_POINT }])[0]!.value as Buffer);
          spki = kind.kind === 'ed25519' ? spkiFromJwk({ kty: 'OKP', crv: 'Ed25519', x: point.toString('base64url') })
            : spkiFromJwk({ kty: 'EC', crv: kind.curve, x: point.subarray(1, 1 + kind.size).toString('base64url'), y: point.subarray(1 + kind.size).toString('base64url') });
        }
      } else if (keyType === js.CKK_RSA) {
        kind = { kind: 'rsa' };
        const from = pub ?? handle;
        const [n, e] = token.lib.C_GetAttributeValue(session, from, [{ type: js.CKA_MODULUS }, { type: js.CKA_PUBLIC_EXPONENT }]);
        spki = spkiFromJwk({ kty: 'RSA', n: (n!.value as Buffer).toString('base64url'), e: (e!.value as Buffer).toString('base64url') });
      } else {
        throw new CryptoError('CRYPTO_HSM_KEY_NOT_FOUND', 'config', `The key ${describeSel(selector)} on token "${token.label}" has key type 0x${keyType.toString(16)}; TLS 1.3 signing needs an EC (P-256/P-384), RSA or Ed25519 key.`);
      }
      const need = kind.kind === 'ec' ? js.CKM_ECDSA : kind.kind === 'rsa' ? js.CKM_RSA_PKCS_PSS : CKM_EDDSA;
      const needName = kind.kind === 'ec' ? 'CKM_ECDSA' : kind.kind === 'rsa' ? 'CKM_RSA_PKCS_PSS' : 'CKM_EDDSA';
      if (!token.mechanisms.has(need)) {
        throw new CryptoError('CRYPTO_HSM_MECHANISM_UNSUPPORTED', 'config', `Token "${token.label}" does not offer ${needName}, which the ${kind.kind === 'ec' ? 'ECDSA' : kind.kind === 'rsa' ? 'RSA-PSS' : 'Ed25519'} key ${describeSel(selector)} needs to sign a TLS 1.3 CertificateVerify; use a key type the token can sign with${kind.kind === 'ed25519' ? ' (e.g. ECDSA P-256)' : ''}, or a newer module.`);
      }
      const schemes = kind.kind === 'ec' ? [kind.curve === 'P-256' ? SignatureScheme.ecdsa_secp256r1_sha256 : SignatureScheme.ecdsa_secp384r1_sha384]
        : kind.kind === 'rsa' ? [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512]
        : [SignatureScheme.ed25519];
      return new Pkcs11SigningKey(token, selector, handle, kind, schemes, spki, generation);
    });
  }

  async sign(scheme: SignatureSchemeId, message: Uint8Array): Promise<Uint8Array> {
    const def = SCHEMES.get(scheme);
    if (def === undefined || !this.schemes.includes(scheme)) {
      throw new CryptoError('CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY', 'local', `The ${this.description} cannot sign with scheme 0x${scheme.toString(16).padStart(4, '0')}; it supports ${this.schemes.map((s) => SCHEMES.get(s)?.name ?? s).join(', ')}.`);
    }
    const js = pkcs11js();
    const input = def.digest === null ? Buffer.from(message) : createHash(def.digest).update(message).digest();
    const mechanism = this.#kind.kind === 'ec' ? { mechanism: js.CKM_ECDSA }
      : this.#kind.kind === 'ed25519' ? { mechanism: CKM_EDDSA }
      : {
          mechanism: js.CKM_RSA_PKCS_PSS,
          parameter: {
            type: js.CK_PARAMS_RSA_PSS,
            hashAlg: def.digest === 'sha256' ? js.CKM_SHA256 : def.digest === 'sha384' ? js.CKM_SHA384 : js.CKM_SHA512,
            mgf: def.digest === 'sha256' ? js.CKG_MGF1_SHA256 : def.digest === 'sha384' ? js.CKG_MGF1_SHA384 : js.CKG_MGF1_SHA512,
            saltLen: input.length,
          },
        };
    const raw = await this.#token.withSession(`signing with the ${this.description}`, async (session, generation) => {
      const handle = this.#handleFor(session, generation);
      try {
        this.#token.lib.C_SignInit(session, mechanism, handle);
      } catch (cause) {
        throw this.#signError(cause, def.name);
      }
      try {
        return await this.#token.lib.C_SignAsync(session, input, Buffer.alloc(1024));
      } catch (cause) {
        throw this.#signError(cause, def.name);
      }
    });
    if (this.#kind.kind === 'ec') {
      if (raw.length !== 2 * this.#kind.size) {
        throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `Token "${this.#token.label}" returned a ${raw.length}-byte ECDSA signature for the ${this.description}; expected r||s of ${2 * this.#kind.size} bytes.`, { alert: 'internal_error' });
      }
      return ecdsaRawToDer(raw);
    }
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  }

  /** The key handle, looked up again when sessions were lost since it was found. */
  #handleFor(session: Session, generation: number): Buffer {
    if (generation !== this.#generation) {
      this.#handle = findObject(this.#token, session, pkcs11js().CKO_PRIVATE_KEY, this.#selector, true)!;
      this.#generation = generation;
    }
    return this.#handle;
  }

  #signError(cause: unknown, scheme: string): unknown {
    if (isLostSession(cause)) return cause; // the token's pool retries on a fresh session
    const n = ckrName(cause);
    if (n === 'CKR_MECHANISM_INVALID' || n === 'CKR_MECHANISM_PARAM_INVALID' || n === 'CKR_KEY_TYPE_INCONSISTENT' || n === 'CKR_KEY_FUNCTION_NOT_PERMITTED') {
      return new CryptoError('CRYPTO_HSM_MECHANISM_UNSUPPORTED', 'config', `Token "${this.#token.label}" refused ${scheme} with the ${this.description} (${n}); use a key and mechanism the token supports.`, { alert: 'internal_error', cause });
    }
    if (n === 'CKR_OBJECT_HANDLE_INVALID' || n === 'CKR_KEY_HANDLE_INVALID') {
      return new CryptoError('CRYPTO_HSM_KEY_NOT_FOUND', 'config', `The ${this.description} is no longer on the token (${n}); it was deleted or the token was re-initialised.`, { alert: 'internal_error', cause });
    }
    return new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `Token "${this.#token.label}" failed to sign ${scheme} with the ${this.description} (${n ?? String((cause as Error)?.message ?? cause)}).`, { alert: 'internal_error', cause });
  }
}

/** A CK_ULONG attribute (4 or 8 bytes, host order: little-endian on the platforms we run on). */
function ulong(b: Buffer): number {
  return b.length >= 8 ? Number(b.readBigUInt64LE(0)) : b.readUInt32LE(0);
}

function spkiFromJwk(jwk: Record<string, string>): Uint8Array {
  const der = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.buffer, der.byteOffset, der.byteLength);
}

/** One object of `cls` matching the selector; undefined when `required` is false and there is none. */
function findObject(token: Pkcs11Token, session: Session, cls: number, sel: KeySelector, required: boolean): Buffer | undefined {
  const js = pkcs11js();
  const template: { type: number; value: number | string | Buffer }[] = [{ type: js.CKA_CLASS, value: cls }];
  if (sel.label !== undefined) template.push({ type: js.CKA_LABEL, value: sel.label });
  if (sel.id !== undefined) template.push({ type: js.CKA_ID, value: Buffer.from(sel.id) });
  token.lib.C_FindObjectsInit(session, template);
  let found: Buffer[];
  try {
    found = token.lib.C_FindObjects(session, 2);
  } finally {
    token.lib.C_FindObjectsFinal(session);
  }
  if (found.length === 1 || (!required && found.length > 0)) return found[0];
  if (!required) return undefined;
  if (found.length > 1) {
    throw new CryptoError('CRYPTO_HSM_KEY_NOT_FOUND', 'config', `More than one private key with ${describeSel(sel)} on token "${token.label}"; select it by id as well (pkcs11: URI id=%..).`);
  }
  // Name what is there, so a typo is easy to see.
  const labels: string[] = [];
  token.lib.C_FindObjectsInit(session, [{ type: js.CKA_CLASS, value: js.CKO_PRIVATE_KEY }]);
  try {
    for (const h of token.lib.C_FindObjects(session, 20)) {
      try {
        const [l, i] = token.lib.C_GetAttributeValue(session, h, [{ type: js.CKA_LABEL }, { type: js.CKA_ID }]);
        labels.push(`"${(l!.value as Buffer).toString('utf8')}" (id ${(i!.value as Buffer).toString('hex') || '-'})`);
      } catch { /* unreadable attributes: skip */ }
    }
  } finally {
    token.lib.C_FindObjectsFinal(session);
  }
  throw new CryptoError('CRYPTO_HSM_KEY_NOT_FOUND', 'config', `No private key with ${describeSel(sel)} on token "${token.label}" (private keys there: ${labels.length ? labels.join(', ') : 'none'}); generate or import it, or fix the label/id.`);
}
