// The PKCS#11 provider: private keys live in a token (an HSM, a smart card, SoftHSM2) and sign
// there; everything else (record protection, key schedule, key exchange, verification) comes from a
// software provider through compose(). Built on pkcs11js, a native addon, so it runs on Node only.
//
//   const hsm = await openPkcs11({ module: '/usr/lib/softhsm/libsofthsm2.so', token: 'protosmith', pin });
//   const key = await hsm.signingKey({ label: 'server' });   // or hsm.signingKey('pkcs11:object=server')
//   createServer({ crypto: hsm.provider, signingKey: key, certificateChain: [...] });
//   ...
//   await hsm.close();
import { readFileSync } from 'node:fs';
import { compose } from '../compose.ts';
import { CryptoError } from '../errors.ts';
import type { CryptoProvider } from '../provider.ts';
import { createNodeProvider } from '../node/index.ts';
import { Pkcs11SigningKey, type KeySelector } from './signing-key.ts';
import { Pkcs11Token, type Pkcs11TokenOptions } from './token.ts';
import { parsePkcs11Uri, type Pkcs11Uri } from './uri.ts';

export { Pkcs11SigningKey, type KeySelector } from './signing-key.ts';
export { Pkcs11Token, type Pkcs11TokenOptions } from './token.ts';
export { parsePkcs11Uri, isPkcs11Uri, type Pkcs11Uri } from './uri.ts';

export interface Pkcs11ProviderOptions extends Pkcs11TokenOptions {
  /** Software provider for everything but private-key signing. Default: the node provider. */
  readonly base?: CryptoProvider;
}

export interface Pkcs11Provider {
  /** The provider to give the engine: `base` with its name saying the keys are in a token. */
  readonly provider: CryptoProvider;
  readonly token: Pkcs11Token;
  /** A signing key on this token, by label/id or by a `pkcs11:` URI naming object and/or id. */
  signingKey(selector: KeySelector | string): Promise<Pkcs11SigningKey>;
  /** Closes the token's sessions; the module is finalised when no other provider uses it. */
  close(): Promise<void>;
}

/** Loads the module, finds the token, logs in. Fails early with a typed error naming what to fix. */
export async function openPkcs11(options: Pkcs11ProviderOptions): Promise<Pkcs11Provider> {
  const base = options.base ?? createNodeProvider();
  const token = await Pkcs11Token.open(options);
  return {
    provider: compose(base, { name: `pkcs11(${options.token})+${base.name}` }),
    token,
    async signingKey(selector) {
      if (typeof selector === 'string') {
        const uri = parsePkcs11Uri(selector);
        if (uri.token !== undefined && uri.token !== token.label) {
          throw new CryptoError('CRYPTO_HSM_TOKEN_NOT_FOUND', 'config', `The URI names token "${uri.token}" but this provider has token "${token.label}" open.`);
        }
        return Pkcs11SigningKey.find(token, { ...(uri.object === undefined ? {} : { label: uri.object }), ...(uri.id === undefined ? {} : { id: uri.id }) });
      }
      return Pkcs11SigningKey.find(token, selector);
    },
    close: () => token.close(),
  };
}

export interface Pkcs11UriOptions {
  /** Module path when the URI has no module-path. Default: env PROTOSMITH_PKCS11_MODULE. */
  readonly module?: string;
  readonly pin?: string;
  readonly pinEnv?: string;
  readonly base?: CryptoProvider;
  readonly maxSessions?: number;
}

/**
 * Everything from one RFC 7512 URI (what `protosmith serve --key pkcs11:...` takes): the module from
 * module-path (or options/env), the token from token=, the PIN from pin-value, pin-source, options or
 * the environment, and the key from object= / id=.
 */
export async function openPkcs11Uri(uriText: string, options: Pkcs11UriOptions = {}): Promise<Pkcs11Provider & { key: Pkcs11SigningKey; uri: Pkcs11Uri }> {
  const uri = parsePkcs11Uri(uriText);
  const module = uri.modulePath ?? options.module ?? process.env['PROTOSMITH_PKCS11_MODULE'];
  if (module === undefined) {
    throw new CryptoError('CRYPTO_HSM_MODULE_FAILED', 'config', 'No PKCS#11 module: add module-path=/path/to/module.so to the pkcs11: URI or set PROTOSMITH_PKCS11_MODULE.');
  }
  if (uri.token === undefined) {
    throw new CryptoError('CRYPTO_HSM_TOKEN_NOT_FOUND', 'config', 'The pkcs11: URI names no token; add token=LABEL.');
  }
  let pin = uri.pinValue ?? options.pin;
  if (pin === undefined && uri.pinSource !== undefined) {
    const file = uri.pinSource.replace(/^file:(\/\/)?/, '');
    try {
      pin = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (cause) {
      throw new CryptoError('CRYPTO_HSM_PIN_REJECTED', 'config', `The PIN file "${file}" (pin-source) could not be read.`, { cause });
    }
  }
  const hsm = await openPkcs11({
    module, token: uri.token,
    ...(pin === undefined ? {} : { pin }),
    ...(options.pinEnv === undefined ? {} : { pinEnv: options.pinEnv }),
    ...(options.base === undefined ? {} : { base: options.base }),
    ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
  });
  try {
    const key = await hsm.signingKey({ ...(uri.object === undefined ? {} : { label: uri.object }), ...(uri.id === undefined ? {} : { id: uri.id }) });
    return { ...hsm, key, uri };
  } catch (e) {
    await hsm.close();
    throw e;
  }
}
