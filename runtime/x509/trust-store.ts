// Parsed trust anchors and CRLs, built once per configuration and shared by every connection that
// uses it. A TrustStore slices each anchor (subject, key) at construction and indexes it by subject;
// the full decode of an anchor happens once, the first time a path reaches it. `TrustStore.of(x)` and
// `CrlSet.of(x)` cache by the identity of the input (an array, or a PEM string), so a config object
// reused across connections (createServer, connect() with the default roots) parses its anchors once.
import { pemBlocks, TrustAnchor } from './certificate.ts';
import { parseCrl, type ParsedCrl } from './crl.ts';
import { hex, bytesEqual } from './der.ts';
import { CertificateConfigError } from './errors.ts';

/** Trust anchors: PEM text (one or more CERTIFICATE blocks) or DER certificates. */
export type TrustAnchorInput = string | Uint8Array | readonly (string | Uint8Array)[];
/** CRLs: PEM text (X509 CRL blocks) or DER. */
export type CrlInput = string | Uint8Array | readonly (string | Uint8Array)[];

function items(input: string | Uint8Array | readonly (string | Uint8Array)[]): readonly (string | Uint8Array)[] {
  return Array.isArray(input) ? (input as readonly (string | Uint8Array)[]) : [input as string | Uint8Array];
}

const storeCache = new WeakMap<object, TrustStore>();
const storeCacheByText = new Map<string, TrustStore>();
const crlCache = new WeakMap<object, CrlSet>();

export class TrustStore {
  readonly anchors: readonly TrustAnchor[];
  readonly #bySubject = new Map<string, TrustAnchor[]>();

  constructor(input: TrustAnchorInput) {
    const ders: Uint8Array[] = [];
    let entry = 0;
    for (const it of items(input)) {
      if (typeof it === 'string') {
        let found: Uint8Array[];
        try { found = pemBlocks(it, 'CERTIFICATE'); } catch (e) {
          throw new CertificateConfigError('CERT_BAD_TRUST_ANCHOR', `entry ${entry}: ${(e as Error).message}; re-export the CA certificate`, { cause: e });
        }
        if (found.length === 0) {
          throw new CertificateConfigError('CERT_BAD_TRUST_ANCHOR', `entry ${entry}: the string contains no "-----BEGIN CERTIFICATE-----" block; pass PEM text (not a file path) or DER bytes`);
        }
        ders.push(...found);
      } else {
        ders.push(it);
      }
      entry++;
    }
    if (ders.length === 0) {
      throw new CertificateConfigError('CERT_NO_TRUST_ANCHORS', 'no trust anchors configured: give the CA certificate(s) that issued the peer\'s certificate (PEM or DER); verification cannot be disabled');
    }
    this.anchors = ders.map((d, i) => {
      try {
        return new TrustAnchor(d, i);
      } catch (e) {
        throw new CertificateConfigError('CERT_BAD_TRUST_ANCHOR', `trust anchor ${i} (counting certificates from 0) is not an X.509 certificate: ${(e as Error).message}`, { cause: e });
      }
    });
    for (const a of this.anchors) {
      const k = hex(a.subjectDer);
      const list = this.#bySubject.get(k);
      if (list) list.push(a); else this.#bySubject.set(k, [a]);
    }
  }

  /** How many anchors the store holds. */
  get length(): number { return this.anchors.length; }

  /** Anchors whose subject is exactly `issuerDer` (RFC 5280 §7.1 name matching on the DER encoding). */
  issuersOf(issuerDer: Uint8Array): readonly TrustAnchor[] {
    return this.#bySubject.get(hex(issuerDer)) ?? [];
  }

  /** The anchor that is this very certificate, if any. */
  exactly(der: Uint8Array, subjectDer: Uint8Array): TrustAnchor | undefined {
    return this.issuersOf(subjectDer).find((a) => bytesEqual(a.der, der));
  }

  /** The store for `input`, parsed once per input object (array identity, or the PEM text itself). */
  static of(input: TrustAnchorInput | TrustStore): TrustStore {
    if (input instanceof TrustStore) return input;
    if (typeof input === 'string') {
      let s = storeCacheByText.get(input);
      if (s === undefined) {
        s = new TrustStore(input);
        if (storeCacheByText.size >= 16) storeCacheByText.delete(storeCacheByText.keys().next().value!);
        storeCacheByText.set(input, s);
      }
      return s;
    }
    let s = storeCache.get(input);
    if (s === undefined) {
      // A fresh array of a few PEM strings (e.g. `[caPem]` written inline in a config) is keyed by its text.
      const list = input as readonly (string | Uint8Array)[];
      const small = Array.isArray(list) && list.length >= 1 && list.length <= 4 && list.every((x) => typeof x === 'string' && x.length < 16384);
      s = small ? TrustStore.of((list as string[]).join('\n')) : new TrustStore(input);
      storeCache.set(input, s);
    }
    return s;
  }
}

/** Application-supplied CRLs, indexed by issuer name. */
export class CrlSet {
  readonly crls: readonly ParsedCrl[];
  readonly #byIssuer = new Map<string, ParsedCrl[]>();
  /** Signature verdicts per (CRL, issuer key): a CRL is verified once per issuer key, not per handshake. */
  readonly verdicts = new WeakMap<ParsedCrl, Map<string, boolean>>();

  constructor(input: CrlInput) {
    const ders: Uint8Array[] = [];
    for (const it of items(input)) {
      if (typeof it === 'string') {
        const found = pemBlocks(it, 'X509 CRL');
        if (found.length === 0) throw new CertificateConfigError('CERT_BAD_CRL', 'a CRL string contains no "-----BEGIN X509 CRL-----" block; pass PEM text (not a file path) or DER bytes');
        ders.push(...found);
      } else {
        ders.push(it);
      }
    }
    this.crls = ders.map((d, i) => {
      try {
        return parseCrl(d, i);
      } catch (e) {
        throw new CertificateConfigError('CERT_BAD_CRL', `CRL ${i} (${d.length} bytes) is not a well-formed X.509 CRL: ${(e as Error).message}`, { cause: e });
      }
    });
    for (const c of this.crls) {
      const k = hex(c.issuerDer);
      const list = this.#byIssuer.get(k);
      if (list) list.push(c); else this.#byIssuer.set(k, [c]);
    }
  }

  forIssuer(issuerDer: Uint8Array): readonly ParsedCrl[] {
    return this.#byIssuer.get(hex(issuerDer)) ?? [];
  }

  static of(input: CrlInput | CrlSet): CrlSet {
    if (input instanceof CrlSet) return input;
    if (typeof input !== 'object' || input instanceof Uint8Array) return new CrlSet(input);
    let s = crlCache.get(input);
    if (s === undefined) {
      s = new CrlSet(input);
      crlCache.set(input, s);
    }
    return s;
  }
}
