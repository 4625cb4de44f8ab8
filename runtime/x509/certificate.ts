// One parsed certificate: the exact DER slices verification needs (from ./der.ts) plus the
// decoded extensions (from @peculiar/x509). Parsing never trusts the input: any failure becomes
// CertificateError CERT_MALFORMED naming the certificate.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { X509Certificate, BasicConstraintsExtension, KeyUsagesExtension, ExtendedKeyUsageExtension } from '@peculiar/x509';
import { children, single, hex, bytesEqual, DerError, type Tlv } from './der.ts';
import { CertificateError } from './errors.ts';

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  nameConstraints: '2.5.29.30',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** Critical extensions this verifier processes; any other critical extension is refused (RFC 5280 §4.2). */
const UNDERSTOOD_CRITICAL = new Set<string>([OID.basicConstraints, OID.keyUsage, OID.extKeyUsage, OID.subjectAltName,
  OID.subjectKeyIdentifier, OID.authorityKeyIdentifier, OID.nameConstraints]);

/** One name-constraint subtree of a form this verifier enforces. */
export type Subtree = { kind: 'dns'; name: string } | { kind: 'ip'; address: Uint8Array; mask: Uint8Array };

export interface NameConstraints {
  readonly permitted: readonly Subtree[];
  readonly excluded: readonly Subtree[];
  /** Forms present but not enforced (directoryName, rfc822Name, URI, ...): such a CA is refused. */
  readonly unsupported: readonly string[];
}

const GENERAL_NAME_FORMS: Record<number, string> = {
  0xa0: 'otherName', 0x81: 'rfc822Name', 0x82: 'dNSName', 0xa3: 'x400Address', 0xa4: 'directoryName',
  0xa5: 'ediPartyName', 0x86: 'uniformResourceIdentifier', 0x87: 'iPAddress', 0x88: 'registeredID',
};

function parseNameConstraints(extnValue: Uint8Array): NameConstraints {
  const permitted: Subtree[] = [];
  const excluded: Subtree[] = [];
  const unsupported: string[] = [];
  for (const part of children(single(extnValue).value, 2)) {
    const into = part.tag === 0xa0 ? permitted : part.tag === 0xa1 ? excluded : undefined;
    if (into === undefined) throw new DerError('nameConstraints has an unknown field');
    for (const subtree of children(part.value, 256)) {
      const [base, ...limits] = children(subtree.value, 3);
      if (base === undefined) throw new DerError('empty GeneralSubtree');
      // RFC 5280 §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
      if (limits.some((l) => l.tag === 0xa1 || (l.tag === 0x80 && l.value.some((b) => b !== 0)))) unsupported.push('subtree with minimum/maximum');
      if (base.tag === 0x82) {
        let name = '';
        for (const b of base.value) name += String.fromCharCode(b);
        into.push({ kind: 'dns', name: name.toLowerCase() });
      } else if (base.tag === 0x87 && (base.value.length === 8 || base.value.length === 32)) {
        const half = base.value.length / 2;
        into.push({ kind: 'ip', address: base.value.subarray(0, half), mask: base.value.subarray(half) });
      } else {
        unsupported.push(GENERAL_NAME_FORMS[base.tag] ?? `GeneralName tag 0x${base.tag.toString(16)}`);
      }
    }
  }
  return { permitted, excluded, unsupported };
}

export type PublicKeyKind =
  | { type: 'rsa' } | { type: 'rsa-pss' } | { type: 'ec'; curve: 'P-256' | 'P-384' | 'P-521' | 'other' } | { type: 'ed25519' } | { type: 'ed448' } | { type: 'other'; oid: string };

export type SignatureAlgorithm =
  | { kind: 'rsa-pkcs1'; hash: 'sha256' | 'sha384' | 'sha512' }
  | { kind: 'rsa-pss'; hash: 'sha256' | 'sha384' | 'sha512' }
  | { kind: 'ecdsa'; hash: 'sha256' | 'sha384' | 'sha512' }
  | { kind: 'ed25519' }
  | { kind: 'unsupported'; description: string };

export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** Position in the list it came from (peer chain index, or anchor index). */
  readonly index: number;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly spki: Uint8Array;
  readonly keyKind: PublicKeyKind;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly isCa: boolean;
  readonly pathLength: number | undefined;
  /** KeyUsage bits (RFC 5280 order: digitalSignature = 1, keyCertSign = 32), or undefined when absent. */
  readonly keyUsage: number | undefined;
  /** EKU OIDs, or undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly Uint8Array[];
  readonly hasSubjectAltName: boolean;
  /** nameConstraints (CA certificates), when present. */
  readonly nameConstraints: NameConstraints | undefined;
  /** OIDs of critical extensions this verifier does not process. */
  readonly unknownCriticalExtensions: readonly string[];
}

function oidToString(v: Uint8Array): string {
  const parts: number[] = [];
  let acc = 0;
  for (const b of v) {
    acc = acc * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) { parts.push(acc); acc = 0; }
  }
  if (parts.length === 0) return '';
  const first = parts[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...parts.slice(1)].join('.');
}

const HASH_OIDS: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512',
};
const HASH_LEN = { sha256: 32, sha384: 48, sha512: 64 } as const;

function parseSignatureAlgorithm(alg: Tlv): SignatureAlgorithm {
  const parts = children(alg.value, 4);
  const oidTlv = parts[0];
  if (oidTlv === undefined || oidTlv.tag !== 0x06) return { kind: 'unsupported', description: 'AlgorithmIdentifier without an OID' };
  const oid = oidToString(oidTlv.value);
  switch (oid) {
    case '1.2.840.113549.1.1.11': return { kind: 'rsa-pkcs1', hash: 'sha256' };
    case '1.2.840.113549.1.1.12': return { kind: 'rsa-pkcs1', hash: 'sha384' };
    case '1.2.840.113549.1.1.13': return { kind: 'rsa-pkcs1', hash: 'sha512' };
    case '1.2.840.10045.4.3.2': return { kind: 'ecdsa', hash: 'sha256' };
    case '1.2.840.10045.4.3.3': return { kind: 'ecdsa', hash: 'sha384' };
    case '1.2.840.10045.4.3.4': return { kind: 'ecdsa', hash: 'sha512' };
    case '1.3.101.112': return { kind: 'ed25519' };
    case '1.2.840.113549.1.1.10': {
      // RSASSA-PSS-params: hash [0], mgf [1], saltLength [2], trailer [3]. TLS's rsa_pss_* schemes
      // mean MGF1 with the same hash and salt length = hash length (RFC 8446 §4.2.3).
      const params = parts[1];
      if (params === undefined || params.tag !== 0x30) return { kind: 'unsupported', description: 'RSASSA-PSS without parameters (SHA-1 defaults)' };
      let hash: string | undefined;
      let mgfHash: string | undefined;
      let salt = 20;
      for (const p of children(params.value, 4)) {
        if (p.tag === 0xa0) hash = HASH_OIDS[oidToString(children(single(p.value).value, 2)[0]?.value ?? new Uint8Array())];
        else if (p.tag === 0xa1) {
          const mgf = children(single(p.value).value, 2);
          if (mgf[0] !== undefined && oidToString(mgf[0].value) === '1.2.840.113549.1.1.8' && mgf[1] !== undefined) {
            mgfHash = HASH_OIDS[oidToString(children(mgf[1].value, 2)[0]?.value ?? new Uint8Array())];
          }
        } else if (p.tag === 0xa2) {
          const n = single(p.value);
          salt = 0;
          for (const b of n.value.subarray(0, 4)) salt = salt * 256 + b;
        }
      }
      if (hash === undefined || hash !== mgfHash) return { kind: 'unsupported', description: 'RSASSA-PSS with SHA-1 or mismatched MGF1 hash' };
      const h = hash as 'sha256' | 'sha384' | 'sha512';
      if (salt !== HASH_LEN[h]) return { kind: 'unsupported', description: `RSASSA-PSS with salt length ${salt} (TLS needs ${HASH_LEN[h]})` };
      return { kind: 'rsa-pss', hash: h };
    }
    default: return { kind: 'unsupported', description: `signature algorithm OID ${oid}` };
  }
}

function parseKeyKind(spki: Tlv): PublicKeyKind {
  const alg = children(spki.value, 2)[0];
  if (alg === undefined) return { type: 'other', oid: '' };
  const [oidTlv, param] = children(alg.value, 2);
  const oid = oidTlv === undefined ? '' : oidToString(oidTlv.value);
  switch (oid) {
    case '1.2.840.113549.1.1.1': return { type: 'rsa' };
    case '1.2.840.113549.1.1.10': return { type: 'rsa-pss' };
    case '1.3.101.112': return { type: 'ed25519' };
    case '1.3.101.113': return { type: 'ed448' };
    case '1.2.840.10045.2.1': {
      const curve = param !== undefined && param.tag === 0x06 ? oidToString(param.value) : '';
      return { type: 'ec', curve: curve === '1.2.840.10045.3.1.7' ? 'P-256' : curve === '1.3.132.0.34' ? 'P-384' : curve === '1.3.132.0.35' ? 'P-521' : 'other' };
    }
    default: return { type: 'other', oid };
  }
}

function parseSubjectAltName(extnValue: Uint8Array): { dns: string[]; ip: Uint8Array[] } {
  const dns: string[] = [];
  const ip: Uint8Array[] = [];
  for (const gn of children(single(extnValue).value, 1024)) {
    if (gn.tag === 0x82) {
      // dNSName IA5String: keep only ASCII; anything else can never match a (normalised) host name.
      let s = '';
      let ascii = true;
      for (const b of gn.value) { if (b > 0x7e || b < 0x21) ascii = false; s += String.fromCharCode(b); }
      if (ascii) dns.push(s);
    } else if (gn.tag === 0x87) {
      if (gn.value.length === 4 || gn.value.length === 16) ip.push(gn.value);
    }
  }
  return { dns, ip };
}

/** The DER-level fields (no extension decoding): cheap enough for hundreds of trust anchors. */
export interface CertificateStructure {
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly spki: Uint8Array;
  readonly keyKind: PublicKeyKind;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
}

/** Slices a DER certificate into its parts; throws a plain Error describing the first problem. */
export function parseStructure(der: Uint8Array): CertificateStructure {
  const cert = single(der);
  if (cert.tag !== 0x30) throw new DerError('not a SEQUENCE');
  const [tbs, sigAlg, sigValue, ...rest] = children(cert.value, 4);
  if (tbs === undefined || sigAlg === undefined || sigValue === undefined || rest.length > 0 || sigValue.tag !== 0x03) {
    throw new DerError('Certificate is not SEQUENCE { tbsCertificate, signatureAlgorithm, BIT STRING }');
  }
  const t = children(tbs.value, 12);
  if (t[0]?.tag !== 0xa0) throw new DerError('not an X.509 v3 certificate (no version field)');
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const [, innerSigAlg, issuer, , subject, spki] = t.slice(1);
  if (innerSigAlg === undefined || issuer === undefined || subject === undefined || spki === undefined) throw new DerError('tbsCertificate is missing fields');
  if (!bytesEqual(innerSigAlg.full, sigAlg.full)) throw new DerError('signature algorithm in tbsCertificate differs from the outer one (RFC 5280 §4.1.1.2)');
  if (sigValue.value.length < 1 || sigValue.value[0] !== 0) throw new DerError('signature BIT STRING has unused bits');
  return {
    subjectDer: subject.full, issuerDer: issuer.full, spki: spki.full, keyKind: parseKeyKind(spki),
    tbs: tbs.full, signatureAlgorithm: parseSignatureAlgorithm(sigAlg), signature: sigValue.value.subarray(1),
  };
}

/** A trust anchor: only its name and key matter (RFC 5280 §6.1.1 d); the subject text is decoded on demand. */
export class TrustAnchor {
  readonly der: Uint8Array;
  readonly index: number;
  readonly subjectDer: Uint8Array;
  readonly spki: Uint8Array;
  readonly keyKind: PublicKeyKind;
  #subject: string | undefined;
  constructor(der: Uint8Array, index: number) {
    const st = parseStructure(der);
    this.der = der;
    this.index = index;
    this.subjectDer = st.subjectDer;
    this.spki = st.spki;
    this.keyKind = st.keyKind;
  }
  get subject(): string {
    if (this.#subject === undefined) {
      try { this.#subject = new X509Certificate(this.der).subject; } catch { this.#subject = `trust anchor ${this.index}`; }
    }
    return this.#subject;
  }
}

/** Parses one DER certificate. `index` names it in errors (0 = leaf). */
export function parseCertificate(der: Uint8Array, index: number, what = 'certificate'): ParsedCertificate {
  try {
    const st = parseStructure(der);
    const x = new X509Certificate(der);
    const ext = x.extensions;
    const bc = x.getExtension(BasicConstraintsExtension);
    const ku = x.getExtension(KeyUsagesExtension);
    const eku = x.getExtension(ExtendedKeyUsageExtension);
    const sanExt = ext.find((e) => e.type === OID.subjectAltName);
    const ncExt = ext.find((e) => e.type === OID.nameConstraints);
    const san = sanExt ? parseSubjectAltName(new Uint8Array(sanExt.value)) : { dns: [], ip: [] };
    const seen = new Set<string>();
    for (const e of ext) {
      if (seen.has(e.type)) throw new DerError(`extension ${e.type} appears twice (RFC 5280 §4.2)`);
      seen.add(e.type);
    }
    return {
      der, index, subject: x.subject, issuer: x.issuer, ...st,
      notBefore: x.notBefore.getTime(), notAfter: x.notAfter.getTime(),
      isCa: bc?.ca ?? false, pathLength: bc?.pathLength, keyUsage: ku?.usages,
      extendedKeyUsage: eku ? eku.usages.map((u) => String(u)) : undefined,
      dnsNames: san.dns, ipAddresses: san.ip, hasSubjectAltName: sanExt !== undefined,
      nameConstraints: ncExt ? parseNameConstraints(new Uint8Array(ncExt.value)) : undefined,
      unknownCriticalExtensions: ext.filter((e) => e.critical && !UNDERSTOOD_CRITICAL.has(e.type)).map((e) => e.type),
    };
  } catch (e) {
    throw new CertificateError('CERT_MALFORMED', 'bad_certificate',
      `${what} ${index} (${der.length} bytes) is not a well-formed X.509 v3 certificate: ${(e as Error).message}. ` +
      'The peer must send DER certificates; check the certificate file it was configured with.', { index, cause: e });
  }
}

/** Splits PEM text into DER certificates (ignores anything outside BEGIN/END CERTIFICATE blocks). */
export function pemCertificates(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem); m !== null; m = re.exec(pem)) {
    const b64 = m[1]!.replace(/\s+/g, '');
    const bin = atob(b64);
    const der = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) der[i] = bin.charCodeAt(i);
    out.push(der);
  }
  return out;
}

export { hex };
