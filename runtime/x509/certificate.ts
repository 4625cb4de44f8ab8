// One parsed certificate: everything path validation needs, read once by our own bounded DER walker
// (./der.ts). No ASN.1 library runs on the verification path: a certificate is parsed in a few
// microseconds, and a trust store of hundreds of anchors only slices each anchor (name, key) until
// one is actually used. Parsing never trusts the input: any failure becomes CertificateError
// CERT_MALFORMED naming the certificate.
import { children, single, readTlv, hex, bytesEqual, DerError, type Tlv } from './der.ts';
import { CertificateError } from './errors.ts';

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
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

function ascii(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

/** RFC 5280 §4.2.1.10: NameConstraints ::= SEQUENCE { permittedSubtrees [0] OPTIONAL, excludedSubtrees [1] OPTIONAL },
 *  GeneralSubtrees ::= SEQUENCE SIZE (1..MAX); "CAs MUST NOT issue certificates where name constraints is an empty
 *  sequence". Both emptiness rules are enforced here (the extension is malformed otherwise). */
function parseNameConstraints(extnValue: Uint8Array): NameConstraints {
  const permitted: Subtree[] = [];
  const excluded: Subtree[] = [];
  const unsupported: string[] = [];
  const top = single(extnValue);
  if (top.tag !== 0x30) throw new DerError('nameConstraints is not a SEQUENCE');
  const parts = children(top.value, 2);
  if (parts.length === 0) throw new DerError('nameConstraints is an empty SEQUENCE (RFC 5280 §4.2.1.10: permittedSubtrees or excludedSubtrees MUST be present)');
  let last = -1;
  for (const part of parts) {
    const into = part.tag === 0xa0 ? permitted : part.tag === 0xa1 ? excluded : undefined;
    if (into === undefined || part.tag <= last) throw new DerError('nameConstraints has an unknown or repeated field');
    last = part.tag;
    const subtrees = children(part.value, 256);
    if (subtrees.length === 0) throw new DerError(`nameConstraints ${part.tag === 0xa0 ? 'permittedSubtrees' : 'excludedSubtrees'} is empty (RFC 5280 §4.2.1.10: SIZE (1..MAX))`);
    for (const subtree of subtrees) {
      if (subtree.tag !== 0x30) throw new DerError('GeneralSubtree is not a SEQUENCE');
      const [base, ...limits] = children(subtree.value, 3);
      if (base === undefined) throw new DerError('empty GeneralSubtree');
      // RFC 5280 §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
      if (limits.some((l) => l.tag === 0xa1 || l.tag === 0x81 || (l.tag === 0x80 && l.value.some((b) => b !== 0)))) unsupported.push('subtree with minimum/maximum');
      if (base.tag === 0x82) {
        const name = ascii(base.value).toLowerCase();
        if (!validConstraintDns(name)) throw new DerError(`nameConstraints dNSName "${name}" is not a valid DNS name`);
        into.push({ kind: 'dns', name });
      } else if (base.tag === 0x87) {
        if (base.value.length !== 8 && base.value.length !== 32) throw new DerError(`nameConstraints iPAddress is ${base.value.length} bytes (must be 8 for IPv4 or 32 for IPv6: address and mask)`);
        const half = base.value.length / 2;
        const mask = base.value.subarray(half);
        if (!contiguousMask(mask)) throw new DerError('nameConstraints iPAddress mask is not a contiguous prefix');
        into.push({ kind: 'ip', address: base.value.subarray(0, half), mask });
      } else {
        unsupported.push(GENERAL_NAME_FORMS[base.tag] ?? `GeneralName tag 0x${base.tag.toString(16)}`);
      }
    }
  }
  return { permitted, excluded, unsupported };
}

function contiguousMask(mask: Uint8Array): boolean {
  let zero = false;
  for (const b of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = ((b >> bit) & 1) === 1;
      if (one && zero) return false;
      if (!one) zero = true;
    }
  }
  return true;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A dNSName as RFC 5280 §4.2.1.6 requires it ("preferred name syntax", RFC 1034 §3.5 as modified by RFC 1123):
 *  LDH labels of 1..63 characters, no leading/trailing hyphen, no underscore, no empty label, at most 253
 *  characters; a wildcard only as the whole leftmost label. */
export function validSanDns(name: string): boolean {
  const n = name.toLowerCase();
  if (n.length === 0 || n.length > 253) return false;
  const labels = n.split('.');
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (i === 0 && l === '*' && labels.length > 1) continue;
    if (!LABEL.test(l)) return false;
  }
  return true;
}

/** nameConstraints dNSName: a DNS name, optionally with one leading "." (commonly used for "subdomains only"). */
function validConstraintDns(name: string): boolean {
  if (name === '') return true; // matches every name (RFC 5280 §4.2.1.10 allows it)
  const n = name.startsWith('.') ? name.slice(1) : name;
  return !n.includes('*') && validSanDns(n);
}

export type PublicKeyKind =
  | { type: 'rsa'; bits: number }
  | { type: 'rsa-pss'; bits: number }
  | { type: 'ec'; curve: 'P-256' | 'P-384' | 'P-521' | 'P-192' | 'other' | 'explicit' }
  | { type: 'ed25519' } | { type: 'ed448' } | { type: 'dsa' } | { type: 'other'; oid: string };

export type SignatureAlgorithm =
  | { kind: 'rsa-pkcs1'; hash: 'sha256' | 'sha384' | 'sha512' }
  | { kind: 'rsa-pss'; hash: 'sha256' | 'sha384' | 'sha512' }
  | { kind: 'ecdsa'; hash: 'sha256' | 'sha384' | 'sha512' }
  | { kind: 'ed25519' }
  | { kind: 'unsupported'; description: string };

export interface ExtensionInfo { readonly critical: boolean; readonly value: Uint8Array }

export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** Position in the list it came from (peer chain index, or anchor index). */
  readonly index: number;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  /** Contents octets of serialNumber (two's complement, as encoded). */
  readonly serial: Uint8Array;
  readonly spki: Uint8Array;
  readonly keyKind: PublicKeyKind;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly isCa: boolean;
  readonly pathLength: number | undefined;
  /** KeyUsage bits (RFC 5280 order: digitalSignature = 1, keyCertSign = 32, cRLSign = 64), or undefined when absent. */
  readonly keyUsage: number | undefined;
  /** EKU OIDs, or undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** dNSName SAN entries as written (syntax checked by the verifier, not here). */
  readonly dnsNames: readonly string[];
  /** iPAddress SAN entries as written (any length; the verifier refuses lengths other than 4 and 16). */
  readonly ipAddresses: readonly Uint8Array[];
  readonly hasSubjectAltName: boolean;
  /** nameConstraints (CA certificates), when present. */
  readonly nameConstraints: NameConstraints | undefined;
  /** OIDs of critical extensions this verifier does not process. */
  readonly unknownCriticalExtensions: readonly string[];
  /** Every extension by OID (criticality and extnValue). */
  readonly extensions: ReadonlyMap<string, ExtensionInfo>;
  /** subjectKeyIdentifier / authorityKeyIdentifier keyIdentifier, when present. */
  readonly subjectKeyId: Uint8Array | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
}

export function oidToString(v: Uint8Array): string {
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

export function parseSignatureAlgorithm(alg: Tlv): SignatureAlgorithm {
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

/** Bit length of an RSA modulus from the subjectPublicKey BIT STRING (RSAPublicKey ::= SEQUENCE { n, e }). */
function rsaModulusBits(bitString: Tlv | undefined): number {
  if (bitString === undefined || bitString.tag !== 0x03 || bitString.value[0] !== 0) throw new DerError('RSA subjectPublicKey is not a BIT STRING');
  const seq = single(bitString.value.subarray(1));
  const n = children(seq.value, 2)[0];
  if (n === undefined || n.tag !== 0x02) throw new DerError('RSAPublicKey has no modulus');
  let i = 0;
  while (i < n.value.length && n.value[i] === 0) i++;
  if (i === n.value.length) return 0;
  return (n.value.length - i - 1) * 8 + (32 - Math.clz32(n.value[i]!));
}

export function parseKeyKind(spki: Tlv): PublicKeyKind {
  if (spki.tag !== 0x30) throw new DerError('subjectPublicKeyInfo is not a SEQUENCE');
  const [alg, key] = children(spki.value, 2);
  if (alg === undefined || alg.tag !== 0x30) throw new DerError('subjectPublicKeyInfo has no AlgorithmIdentifier');
  const [oidTlv, param] = children(alg.value, 2);
  const oid = oidTlv === undefined ? '' : oidToString(oidTlv.value);
  switch (oid) {
    case '1.2.840.113549.1.1.1': return { type: 'rsa', bits: rsaModulusBits(key) };
    case '1.2.840.113549.1.1.10': return { type: 'rsa-pss', bits: rsaModulusBits(key) };
    case '1.3.101.112': return { type: 'ed25519' };
    case '1.3.101.113': return { type: 'ed448' };
    case '1.2.840.10040.4.1': return { type: 'dsa' };
    case '1.2.840.10045.2.1': {
      if (param !== undefined && param.tag === 0x30) return { type: 'ec', curve: 'explicit' };
      const curve = param !== undefined && param.tag === 0x06 ? oidToString(param.value) : '';
      return {
        type: 'ec',
        curve: curve === '1.2.840.10045.3.1.7' ? 'P-256' : curve === '1.3.132.0.34' ? 'P-384' : curve === '1.3.132.0.35' ? 'P-521'
          : curve === '1.2.840.10045.3.1.1' ? 'P-192' : 'other',
      };
    }
    default: return { type: 'other', oid };
  }
}

function parseSubjectAltName(extnValue: Uint8Array): { dns: string[]; ip: Uint8Array[] } {
  const dns: string[] = [];
  const ip: Uint8Array[] = [];
  const seq = single(extnValue);
  if (seq.tag !== 0x30) throw new DerError('subjectAltName is not a SEQUENCE');
  const names = children(seq.value, 1024);
  if (names.length === 0) throw new DerError('subjectAltName is empty (RFC 5280 §4.2.1.6: GeneralNames SIZE (1..MAX))');
  for (const gn of names) {
    if (gn.tag === 0x82) dns.push(ascii(gn.value));
    else if (gn.tag === 0x87) ip.push(gn.value);
  }
  return { dns, ip };
}

// --- Names -------------------------------------------------------------------------------------------

const ATTR_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber', '2.5.4.9': 'street', '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'E', '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID',
};
const utf8 = new TextDecoder('utf-8', { fatal: false });

function stringValue(t: Tlv): string {
  switch (t.tag) {
    case 0x0c: return utf8.decode(t.value);
    case 0x1e: { let s = ''; for (let i = 0; i + 1 < t.value.length; i += 2) s += String.fromCharCode((t.value[i]! << 8) | t.value[i + 1]!); return s; }
    case 0x13: case 0x16: case 0x14: case 0x1a: return ascii(t.value);
    default: return `#${hex(t.full)}`;
  }
}

/** RFC 4514-style text of a Name (in encoding order), for messages only. Never compared: names match by DER. */
export function nameToString(nameDer: Uint8Array): string {
  try {
    const parts: string[] = [];
    for (const rdn of children(single(nameDer).value, 128)) {
      const atvs: string[] = [];
      for (const atv of children(rdn.value, 16)) {
        const [type, value] = children(atv.value, 2);
        if (type === undefined || value === undefined) continue;
        const oid = oidToString(type.value);
        atvs.push(`${ATTR_NAMES[oid] ?? oid}=${stringValue(value)}`);
      }
      parts.push(atvs.join('+'));
    }
    return parts.join(', ');
  } catch {
    return `(unreadable name ${hex(nameDer.subarray(0, 16))}...)`;
  }
}

// --- Time --------------------------------------------------------------------------------------------

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), as RFC 5280 §4.1.2.5 requires them. */
export function parseTime(t: Tlv): number {
  const s = ascii(t.value);
  let m: RegExpExecArray | null;
  let year: number;
  let rest: string;
  if (t.tag === 0x17 && (m = /^(\d{2})(\d{10})Z$/.exec(s)) !== null) {
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = m[2]!;
  } else if (t.tag === 0x18 && (m = /^(\d{4})(\d{10})Z$/.exec(s)) !== null) {
    year = Number(m[1]);
    rest = m[2]!;
  } else {
    throw new DerError(`time "${s}" is not a UTCTime/GeneralizedTime of the form RFC 5280 §4.1.2.5 requires`);
  }
  const mo = Number(rest.slice(0, 2)); const d = Number(rest.slice(2, 4));
  const h = Number(rest.slice(4, 6)); const mi = Number(rest.slice(6, 8)); const se = Number(rest.slice(8, 10));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) throw new DerError(`time "${s}" is out of range`);
  return Date.UTC(year, mo - 1, d, h, mi, se);
}

// --- Extensions --------------------------------------------------------------------------------------

/** Parses `[3] EXPLICIT Extensions` into a map; duplicate extensions are malformed (RFC 5280 §4.2). */
export function parseExtensions(seqValue: Uint8Array): Map<string, ExtensionInfo> {
  const out = new Map<string, ExtensionInfo>();
  const list = children(seqValue, 64);
  if (list.length === 0) throw new DerError('Extensions is an empty SEQUENCE (RFC 5280 §4.1: SIZE (1..MAX))');
  for (const ext of list) {
    if (ext.tag !== 0x30) throw new DerError('Extension is not a SEQUENCE');
    const parts = children(ext.value, 3);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id === undefined || id.tag !== 0x06 || value === undefined || value.tag !== 0x04 || parts.length < 2) throw new DerError('Extension is not { OID, [critical], OCTET STRING }');
    let critical = false;
    if (parts.length === 3) {
      const c = parts[1]!;
      if (c.tag !== 0x01 || c.value.length !== 1) throw new DerError('Extension critical flag is not a BOOLEAN');
      // DER: DEFAULT FALSE is never encoded, and TRUE is 0xff.
      if (c.value[0] !== 0xff) throw new DerError('Extension critical flag is encoded as FALSE or a non-DER TRUE');
      critical = true;
    }
    const oid = oidToString(id.value);
    if (out.has(oid)) throw new DerError(`extension ${oid} appears twice (RFC 5280 §4.2)`);
    out.set(oid, { critical, value: value.value });
  }
  return out;
}

function parseBasicConstraints(v: Uint8Array): { ca: boolean; pathLength: number | undefined } {
  const seq = single(v);
  if (seq.tag !== 0x30) throw new DerError('basicConstraints is not a SEQUENCE');
  let ca = false;
  let pathLength: number | undefined;
  for (const p of children(seq.value, 2)) {
    if (p.tag === 0x01 && p.value.length === 1) ca = p.value[0] !== 0;
    else if (p.tag === 0x02 && p.value.length >= 1 && p.value.length <= 4 && (p.value[0]! & 0x80) === 0) {
      pathLength = 0;
      for (const b of p.value) pathLength = pathLength * 256 + b;
    } else throw new DerError('basicConstraints has an unexpected field');
  }
  return { ca, pathLength };
}

function parseKeyUsage(v: Uint8Array): number {
  const bs = single(v);
  if (bs.tag !== 0x03 || bs.value.length < 1) throw new DerError('keyUsage is not a BIT STRING');
  let flags = 0;
  for (let i = 1; i < bs.value.length && i <= 2; i++) {
    const byte = bs.value[i]!;
    for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) flags |= 1 << ((i - 1) * 8 + bit);
  }
  return flags;
}

function parseEku(v: Uint8Array): string[] {
  const seq = single(v);
  if (seq.tag !== 0x30) throw new DerError('extKeyUsage is not a SEQUENCE');
  const list = children(seq.value, 64);
  if (list.length === 0) throw new DerError('extKeyUsage is empty (RFC 5280 §4.2.1.12: SIZE (1..MAX))');
  return list.map((t) => {
    if (t.tag !== 0x06) throw new DerError('extKeyUsage holds a non-OID');
    return oidToString(t.value);
  });
}

function parseAki(v: Uint8Array): Uint8Array | undefined {
  const seq = single(v);
  if (seq.tag !== 0x30) throw new DerError('authorityKeyIdentifier is not a SEQUENCE');
  for (const p of children(seq.value, 3)) if (p.tag === 0x80) return p.value;
  return undefined;
}

// --- Certificates ------------------------------------------------------------------------------------

/** The DER-level fields (no extension decoding): cheap enough for hundreds of trust anchors. */
export interface CertificateStructure {
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly spki: Uint8Array;
  readonly keyKind: PublicKeyKind;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  /** The tbsCertificate fields after the version: serial, signature, issuer, validity, subject, spki, [uids], [3] extensions. */
  readonly fields: readonly Tlv[];
}

/** Slices a DER certificate into its parts; throws DerError describing the first problem. */
export function parseStructure(der: Uint8Array): CertificateStructure {
  const cert = single(der);
  if (cert.tag !== 0x30) throw new DerError('not a SEQUENCE');
  const [tbs, sigAlg, sigValue, ...rest] = children(cert.value, 4);
  if (tbs === undefined || sigAlg === undefined || sigValue === undefined || rest.length > 0 || tbs.tag !== 0x30 || sigAlg.tag !== 0x30 || sigValue.tag !== 0x03) {
    throw new DerError('Certificate is not SEQUENCE { tbsCertificate, signatureAlgorithm, BIT STRING }');
  }
  const t = children(tbs.value, 12);
  const version = t[0];
  if (version?.tag !== 0xa0) throw new DerError('not an X.509 v3 certificate (no version field)');
  const v = single(version.value);
  if (v.tag !== 0x02 || v.value.length !== 1 || v.value[0] !== 2) throw new DerError('not an X.509 v3 certificate (version is not 2)');
  const fields = t.slice(1);
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const [serial, innerSigAlg, issuer, validity, subject, spki] = fields;
  if (serial?.tag !== 0x02 || innerSigAlg?.tag !== 0x30 || issuer?.tag !== 0x30 || validity?.tag !== 0x30 || subject?.tag !== 0x30 || spki?.tag !== 0x30) {
    throw new DerError('tbsCertificate fields are missing or of the wrong type');
  }
  if (!bytesEqual(innerSigAlg.full, sigAlg.full)) throw new DerError('signature algorithm in tbsCertificate differs from the outer one (RFC 5280 §4.1.1.2)');
  if (sigValue.value.length < 1 || sigValue.value[0] !== 0) throw new DerError('signature BIT STRING has unused bits');
  return {
    subjectDer: subject.full, issuerDer: issuer.full, spki: spki.full, keyKind: parseKeyKind(spki),
    tbs: tbs.full, signatureAlgorithm: parseSignatureAlgorithm(sigAlg), signature: sigValue.value.subarray(1), fields,
  };
}

/** Parses one DER certificate completely (throws DerError). */
function parseFull(der: Uint8Array, index: number, st: CertificateStructure = parseStructure(der)): ParsedCertificate {
  const [serial, , , validity] = st.fields as [Tlv, Tlv, Tlv, Tlv];
  const times = children(validity.value, 2);
  if (times.length !== 2) throw new DerError('validity is not { notBefore, notAfter }');
  let extensions = new Map<string, ExtensionInfo>();
  for (const f of st.fields.slice(6)) {
    if (f.tag === 0xa3) {
      const seq = single(f.value);
      if (seq.tag !== 0x30) throw new DerError('extensions is not a SEQUENCE');
      extensions = parseExtensions(seq.value);
    } else if (f.tag !== 0x81 && f.tag !== 0x82) {
      throw new DerError(`unexpected field (tag 0x${f.tag.toString(16)}) after subjectPublicKeyInfo`);
    }
  }
  const bc = extensions.get(OID.basicConstraints);
  const ku = extensions.get(OID.keyUsage);
  const eku = extensions.get(OID.extKeyUsage);
  const sanExt = extensions.get(OID.subjectAltName);
  const ncExt = extensions.get(OID.nameConstraints);
  const ski = extensions.get(OID.subjectKeyIdentifier);
  const aki = extensions.get(OID.authorityKeyIdentifier);
  const bcv = bc ? parseBasicConstraints(bc.value) : { ca: false, pathLength: undefined };
  const san = sanExt ? parseSubjectAltName(sanExt.value) : { dns: [], ip: [] };
  let skiValue: Uint8Array | undefined;
  if (ski) {
    const o = single(ski.value);
    if (o.tag !== 0x04) throw new DerError('subjectKeyIdentifier is not an OCTET STRING');
    skiValue = o.value;
  }
  const unknownCritical: string[] = [];
  for (const [oid, e] of extensions) if (e.critical && !UNDERSTOOD_CRITICAL.has(oid)) unknownCritical.push(oid);
  let subjectText: string | undefined;
  let issuerText: string | undefined;
  return {
    der, index,
    get subject(): string { return (subjectText ??= nameToString(st.subjectDer)); },
    get issuer(): string { return (issuerText ??= nameToString(st.issuerDer)); },
    subjectDer: st.subjectDer, issuerDer: st.issuerDer, spki: st.spki, keyKind: st.keyKind, tbs: st.tbs,
    signatureAlgorithm: st.signatureAlgorithm, signature: st.signature,
    serial: serial.value,
    notBefore: parseTime(times[0]!), notAfter: parseTime(times[1]!),
    isCa: bcv.ca, pathLength: bcv.pathLength, keyUsage: ku ? parseKeyUsage(ku.value) : undefined,
    extendedKeyUsage: eku ? parseEku(eku.value) : undefined,
    dnsNames: san.dns, ipAddresses: san.ip, hasSubjectAltName: sanExt !== undefined,
    nameConstraints: ncExt ? parseNameConstraints(ncExt.value) : undefined,
    unknownCriticalExtensions: unknownCritical, extensions,
    subjectKeyId: skiValue, authorityKeyId: aki ? parseAki(aki.value) : undefined,
  };
}

/** A trust anchor: sliced at load time (name, key); decoded completely, once, the first time a path uses it. */
export class TrustAnchor {
  readonly der: Uint8Array;
  readonly index: number;
  readonly subjectDer: Uint8Array;
  readonly spki: Uint8Array;
  readonly keyKind: PublicKeyKind;
  readonly #structure: CertificateStructure;
  #parsed: ParsedCertificate | DerError | undefined;
  #subject: string | undefined;
  constructor(der: Uint8Array, index: number) {
    const st = parseStructure(der);
    this.der = der;
    this.index = index;
    this.subjectDer = st.subjectDer;
    this.spki = st.spki;
    this.keyKind = st.keyKind;
    this.#structure = st;
  }
  get subject(): string {
    return (this.#subject ??= nameToString(this.subjectDer));
  }
  /** The fully decoded anchor (extensions, validity); a DerError when they are malformed. */
  full(): ParsedCertificate | DerError {
    if (this.#parsed === undefined) {
      try { this.#parsed = parseFull(this.der, this.index, this.#structure); } catch (e) {
        this.#parsed = e instanceof DerError ? e : new DerError(String(e));
      }
    }
    return this.#parsed;
  }
}

/** Parses one DER certificate. `index` names it in errors (0 = leaf). */
export function parseCertificate(der: Uint8Array, index: number, what = 'certificate'): ParsedCertificate {
  try {
    return parseFull(der, index);
  } catch (e) {
    throw new CertificateError('CERT_MALFORMED', 'bad_certificate',
      `${what} ${index} (${der.length} bytes) is not a well-formed X.509 v3 certificate: ${(e as Error).message}. ` +
      'The peer must send DER certificates; check the certificate file it was configured with.', { index, cause: e, rule: 'RFC 5280 §4.1' });
  }
}

/** Splits PEM text into DER blocks of one label (default CERTIFICATE); ignores everything outside them. */
export function pemBlocks(pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  for (let m = re.exec(pem); m !== null; m = re.exec(pem)) {
    const b64 = m[1]!.replace(/\s+/g, '');
    let bin: string | undefined;
    if (/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) { try { bin = atob(b64); } catch { bin = undefined; } }
    if (bin === undefined) {
      throw new DerError(`PEM block ${out.length + 1} is not valid base64 between its BEGIN and END lines (the file is damaged or was edited)`);
    }
    const der = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) der[i] = bin.charCodeAt(i);
    out.push(der);
  }
  return out;
}

/** Splits PEM text into DER certificates (ignores anything outside BEGIN/END CERTIFICATE blocks). */
export function pemCertificates(pem: string): Uint8Array[] {
  return pemBlocks(pem, 'CERTIFICATE');
}

export { hex, readTlv };
