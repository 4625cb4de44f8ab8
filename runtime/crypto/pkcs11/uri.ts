// RFC 7512 `pkcs11:` URIs: path attributes (`;`-separated) name the token and object, query
// attributes (`&`-separated) carry the PIN and module. Values are percent-decoded; `id` is bytes.
//   pkcs11:token=protosmith;object=server;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234
import { CryptoError } from '../errors.ts';

export interface Pkcs11Uri {
  /** Token label (CK_TOKEN_INFO.label, without the padding). */
  readonly token?: string;
  readonly serial?: string;
  readonly manufacturer?: string;
  readonly model?: string;
  /** Object label (CKA_LABEL). */
  readonly object?: string;
  /** Object id (CKA_ID) bytes. */
  readonly id?: Uint8Array;
  /** Object class: we only ever use private keys; 'private' or absent is accepted. */
  readonly type?: string;
  readonly pinValue?: string;
  /** `pin-source=file:/path` or a plain path: read the PIN from this file. */
  readonly pinSource?: string;
  readonly modulePath?: string;
  readonly moduleName?: string;
}

const PATH_ATTRS = new Set(['token', 'serial', 'manufacturer', 'model', 'object', 'id', 'type', 'library-manufacturer', 'library-description', 'library-version', 'slot-id', 'slot-description', 'slot-manufacturer']);
const QUERY_ATTRS = new Set(['pin-value', 'pin-source', 'module-path', 'module-name']);

function bad(uri: string, why: string): CryptoError {
  // Never echo a pin-value back into an error message.
  const shown = uri.replace(/pin-value=[^&]*/g, 'pin-value=***');
  return new CryptoError('CRYPTO_INVALID_ARGUMENT', 'config', `Invalid PKCS#11 URI "${shown}": ${why} (RFC 7512 form: pkcs11:token=LABEL;object=KEYLABEL?module-path=/path/to/module.so).`);
}

function decode(uri: string, raw: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw bad(uri, `"%${hex}" is not a percent-encoded byte`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Uint8Array.from(out);
}

export function isPkcs11Uri(s: string): boolean {
  return /^pkcs11:/i.test(s);
}

/** Parses an RFC 7512 URI; throws CryptoError CRYPTO_INVALID_ARGUMENT (blame config) naming what is wrong. */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!isPkcs11Uri(uri)) throw bad(uri, 'it does not start with "pkcs11:"');
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  const out: Record<string, unknown> = {};
  const text = (raw: string): string => Buffer.from(decode(uri, raw)).toString('utf8');
  const take = (part: string, allowed: Set<string>, where: string): void => {
    if (part === '') return;
    const eq = part.indexOf('=');
    if (eq <= 0) throw bad(uri, `${where} attribute "${part}" has no name=value form`);
    const name = part.slice(0, eq).toLowerCase();
    const value = part.slice(eq + 1);
    if (!allowed.has(name)) {
      if (name.startsWith('x-')) return; // vendor extensions are allowed and ignored (RFC 7512 §2.3)
      throw bad(uri, `unknown ${where} attribute "${name}"`);
    }
    const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (out[key] !== undefined) throw bad(uri, `attribute "${name}" is given twice`);
    out[key] = name === 'id' ? decode(uri, value) : text(value);
  };
  for (const part of path.split(';')) take(part, PATH_ATTRS, 'path');
  for (const part of query.split('&')) take(part, QUERY_ATTRS, 'query');
  if (out['type'] !== undefined && out['type'] !== 'private') throw bad(uri, `type=${String(out['type'])} does not name a private key; use type=private or leave it out`);
  return out as Pkcs11Uri;
}
