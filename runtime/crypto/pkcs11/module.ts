// Loading a PKCS#11 module: one pkcs11js instance per module path per process, initialised once
// with CKF_OS_LOCKING_OK (the module may be called from pkcs11js's worker threads) and finalised
// when the last user closes it. A module that another part of the process already initialised
// (CKR_CRYPTOKI_ALREADY_INITIALIZED) is shared, not an error.
import { createRequire } from 'node:module';
import type * as Pkcs11Js from 'pkcs11js';
import { CryptoError } from '../errors.ts';

export type Pkcs11Lib = Pkcs11Js.PKCS11;
type Pkcs11Module = typeof Pkcs11Js;

let cachedJs: Pkcs11Module | undefined;
/** The pkcs11js namespace (constants and the PKCS11 class); loaded on first use, as it is a native addon. */
export function pkcs11js(): Pkcs11Module {
  if (cachedJs !== undefined) return cachedJs;
  try {
    cachedJs = createRequire(import.meta.url)('pkcs11js') as Pkcs11Module;
  } catch (cause) {
    throw new CryptoError('CRYPTO_HSM_MODULE_FAILED', 'config', 'The pkcs11js native addon could not be loaded; install it with its build script allowed (npm: "allowScripts": {"pkcs11js": true}) and gcc/g++/make present.', { cause });
  }
  return cachedJs;
}

/** Name of a CK_RV (e.g. "CKR_PIN_INCORRECT") for a pkcs11js error, or undefined for a non-PKCS#11 error. */
export function ckrName(e: unknown): string | undefined {
  const m = /\b(CKR_[A-Z0-9_]+)\b/.exec(String((e as { message?: unknown })?.message ?? ''));
  if (m) return m[1];
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'number') return undefined;
  const js = pkcs11js() as unknown as Record<string, unknown>;
  return Object.keys(js).find((k) => k.startsWith('CKR_') && js[k] === code);
}

interface Loaded { lib: Pkcs11Lib; refs: number; ownsInit: boolean }
const loaded = new Map<string, Loaded>();

/** Loads and initialises the module at `path` (or shares the instance already open). Pair with releaseModule. */
export function acquireModule(path: string): Pkcs11Lib {
  const have = loaded.get(path);
  if (have !== undefined) {
    have.refs++;
    return have.lib;
  }
  const js = pkcs11js();
  const lib = new js.PKCS11();
  try {
    lib.load(path);
  } catch (cause) {
    throw new CryptoError('CRYPTO_HSM_MODULE_FAILED', 'config', `PKCS#11 module "${path}" could not be loaded: ${(cause as Error).message}. Give the path of the vendor's PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so).`, { cause });
  }
  let ownsInit = true;
  try {
    lib.C_Initialize({ flags: js.CKF_OS_LOCKING_OK });
  } catch (cause) {
    if (ckrName(cause) === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      ownsInit = false;
    } else {
      try { lib.close(); } catch { /* already failing */ }
      throw new CryptoError('CRYPTO_HSM_MODULE_FAILED', 'config', `PKCS#11 module "${path}" failed C_Initialize (${ckrName(cause) ?? (cause as Error).message}); for SoftHSM2 check that SOFTHSM2_CONF names a readable config whose directories.tokendir exists.`, { cause });
    }
  }
  loaded.set(path, { lib, refs: 1, ownsInit });
  return lib;
}

/** Drops one reference; the last one finalises and unloads the module. */
export function releaseModule(path: string): void {
  const have = loaded.get(path);
  if (have === undefined) return;
  have.refs--;
  if (have.refs > 0) return;
  loaded.delete(path);
  try { if (have.ownsInit) have.lib.C_Finalize(); } catch { /* closing anyway */ }
  try { have.lib.close(); } catch { /* closing anyway */ }
}
