// compose(base, overrides): a provider that takes some operations from one place and everything else
// from a software provider. The PKCS#11 provider uses it to run the record layer, key schedule and
// verification in software while private keys sign in the token; the WebCrypto provider uses it to
// fill what crypto.subtle lacks (synchronous transcript hashing, ChaCha20-Poly1305) from @noble.
import { CryptoError } from './errors.ts';
import type { CryptoProvider } from './provider.ts';

/** The operations a composed provider may take from somewhere other than its base. */
export type ProviderOverrides = Partial<Omit<CryptoProvider, 'name'>> & { readonly name?: string };

const OPERATIONS = [
  'capabilities', 'randomBytes', 'createHash', 'hash', 'hmac', 'hkdfExtract', 'hkdfExpand',
  'importAeadKey', 'generateKeyShare', 'importPublicKey', 'verify',
] as const satisfies readonly (keyof CryptoProvider)[];

/** The optional synchronous forms, each with the operation it is a form of. */
const SYNC_FORMS = [['hmac', 'hmacSync'], ['hkdfExtract', 'hkdfExtractSync']] as const satisfies readonly (readonly [keyof CryptoProvider, keyof CryptoProvider])[];

/**
 * A provider whose operations come from `overrides` where given and from `base` otherwise. The
 * name defaults to "<base>+custom"; give a name that says where the overridden parts come from.
 * Note: a PublicKeyHandle is only valid with the provider that made it, so override
 * `importPublicKey` and `verify` together or not at all.
 */
export function compose(base: CryptoProvider, overrides: ProviderOverrides): CryptoProvider {
  const has = (k: (typeof OPERATIONS)[number]): boolean => overrides[k] !== undefined;
  if (has('importPublicKey') !== has('verify')) {
    // A handle from one provider fed to the other's verify would be refused at every handshake.
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', 'compose(): override importPublicKey and verify together (public key handles are provider-specific).');
  }
  const out: Record<string, unknown> = { name: overrides.name ?? `${base.name}+custom` };
  for (const k of OPERATIONS) {
    const own = overrides[k];
    out[k] = own !== undefined ? own : (base[k] as (...a: unknown[]) => unknown).bind(base);
  }
  // A synchronous form goes with its async operation: from the overrides when they give it, from the base
  // only while the base's async operation is the one used (an overridden hmac must not be bypassed by the
  // base's hmacSync).
  for (const [op, sync] of SYNC_FORMS) {
    const own = overrides[sync];
    if (own !== undefined) out[sync] = own;
    else if (overrides[op] === undefined && base[sync] !== undefined) out[sync] = base[sync].bind(base);
  }
  return out as unknown as CryptoProvider;
}
