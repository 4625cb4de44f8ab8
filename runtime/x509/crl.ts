// Certificate revocation lists (RFC 5280 §5) given by the application. Parsed once with the same
// bounded DER walker as certificates; the verifier (./verify.ts) checks the signature with the
// issuer's key found on the path, the issuer name, the validity window, the CRL number and critical
// extensions before it believes a CRL. Delta CRLs, indirect CRLs and partitioned CRLs
// (issuingDistributionPoint) are not processed: a CRL that carries them is refused as unusable.
import { children, single, readTlv, hex, DerError } from './der.ts';
import { parseExtensions, parseSignatureAlgorithm, parseTime, nameToString, type SignatureAlgorithm, type ExtensionInfo } from './certificate.ts';

export const CRL_OID = {
  cRLNumber: '2.5.29.20',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  authorityKeyIdentifier: '2.5.29.35',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
} as const;

/** CRL extensions this verifier understands (any other critical one makes the CRL unusable). */
const UNDERSTOOD_CRL = new Set<string>([CRL_OID.cRLNumber, CRL_OID.authorityKeyIdentifier]);
const UNDERSTOOD_ENTRY = new Set<string>([CRL_OID.reasonCode, CRL_OID.invalidityDate]);

export interface ParsedCrl {
  readonly der: Uint8Array;
  /** Position in the configured list. */
  readonly index: number;
  readonly issuerDer: Uint8Array;
  readonly issuer: string;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
  /** cRLNumber as a non-negative integer (RFC 5280 §5.2.3), undefined when absent. */
  readonly crlNumber: bigint | undefined;
  /** Why this CRL cannot be relied on whatever the time (unknown critical extension, delta, indirect...). */
  readonly unusable: string | undefined;
  /** Revoked serial numbers, as hex of the INTEGER contents octets. */
  readonly revoked: ReadonlySet<string>;
}

function integer(v: Uint8Array): bigint {
  let n = 0n;
  for (const b of v) n = n * 256n + BigInt(b);
  return n;
}

function unknownCritical(exts: ReadonlyMap<string, ExtensionInfo>, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const [oid, e] of exts) if (e.critical && !known.has(oid)) out.push(oid);
  return out;
}

/** Parses one DER CRL (throws DerError). */
export function parseCrl(der: Uint8Array, index: number): ParsedCrl {
  const top = single(der);
  if (top.tag !== 0x30) throw new DerError('CRL is not a SEQUENCE');
  const [tbs, sigAlg, sigValue, ...rest] = children(top.value, 4);
  if (tbs?.tag !== 0x30 || sigAlg?.tag !== 0x30 || sigValue?.tag !== 0x03 || rest.length > 0) throw new DerError('CertificateList is not SEQUENCE { tbsCertList, signatureAlgorithm, BIT STRING }');
  if (sigValue.value.length < 1 || sigValue.value[0] !== 0) throw new DerError('CRL signature BIT STRING has unused bits');
  // tbsCertList: version (v2 = 1) OPTIONAL, signature, issuer, thisUpdate, nextUpdate OPTIONAL,
  // revokedCertificates OPTIONAL, crlExtensions [0] OPTIONAL. Walk it without an element limit:
  // a CRL may list many thousands of serials.
  let off = 0;
  const next = (): ReturnType<typeof readTlv>['tlv'] | undefined => {
    if (off >= tbs.value.length) return undefined;
    const r = readTlv(tbs.value, off);
    off = r.next;
    return r.tlv;
  };
  let f = next();
  let v2 = false;
  if (f?.tag === 0x02) {
    if (f.value.length !== 1 || f.value[0] !== 1) throw new DerError('CRL version is not v2');
    v2 = true;
    f = next();
  }
  if (f?.tag !== 0x30) throw new DerError('tbsCertList has no signature AlgorithmIdentifier');
  const innerAlg = f;
  if (hex(innerAlg.full) !== hex(sigAlg.full)) throw new DerError('CRL signature algorithm in tbsCertList differs from the outer one (RFC 5280 §5.1.2.2)');
  const issuer = next();
  if (issuer?.tag !== 0x30) throw new DerError('tbsCertList has no issuer Name');
  const thisU = next();
  if (thisU === undefined) throw new DerError('tbsCertList has no thisUpdate');
  const thisUpdate = parseTime(thisU);
  let nextUpdate: number | undefined;
  f = next();
  if (f !== undefined && (f.tag === 0x17 || f.tag === 0x18)) { nextUpdate = parseTime(f); f = next(); }
  const revoked = new Set<string>();
  const problems: string[] = [];
  if (f?.tag === 0x30) {
    let p = 0;
    while (p < f.value.length) {
      const { tlv: entry, next: after } = readTlv(f.value, p);
      p = after;
      const parts = children(entry.value, 3);
      const serial = parts[0];
      if (entry.tag !== 0x30 || serial?.tag !== 0x02 || parts[1] === undefined) throw new DerError('revokedCertificates entry is not { serial, revocationDate, [extensions] }');
      parseTime(parts[1]);
      if (parts[2] !== undefined) {
        if (!v2) throw new DerError('CRL entry extensions in a v1 CRL');
        const bad = unknownCritical(parseExtensions(parts[2].value), UNDERSTOOD_ENTRY);
        if (bad.length > 0) problems.push(`entry for serial ${hex(serial.value)} has critical extension(s) ${bad.join(', ')} this verifier does not process${bad.includes(CRL_OID.certificateIssuer) ? ' (indirect CRL)' : ''}`);
      }
      revoked.add(hex(serial.value));
    }
    f = next();
  }
  let crlNumber: bigint | undefined;
  if (f?.tag === 0xa0) {
    if (!v2) throw new DerError('crlExtensions in a v1 CRL');
    const exts = parseExtensions(single(f.value).value);
    const num = exts.get(CRL_OID.cRLNumber);
    if (num !== undefined) {
      const n = single(num.value);
      if (n.tag !== 0x02 || n.value.length === 0 || n.value.length > 20 || (n.value[0]! & 0x80) !== 0) throw new DerError('cRLNumber is not a non-negative INTEGER of at most 20 octets (RFC 5280 §5.2.3)');
      crlNumber = integer(n.value);
    }
    if (exts.has(CRL_OID.deltaCRLIndicator)) problems.push('it is a delta CRL (deltaCRLIndicator), which this verifier does not combine with a base CRL');
    const bad = unknownCritical(exts, UNDERSTOOD_CRL).filter((o) => o !== CRL_OID.deltaCRLIndicator);
    if (bad.length > 0) problems.push(`it has critical extension(s) ${bad.join(', ')} this verifier does not process${bad.includes(CRL_OID.issuingDistributionPoint) ? ' (issuingDistributionPoint: a partitioned or indirect CRL)' : ''}`);
    f = next();
  }
  if (f !== undefined) throw new DerError(`unexpected field (tag 0x${f.tag.toString(16)}) in tbsCertList`);
  if (crlNumber === undefined) problems.push('it has no cRLNumber extension (RFC 5280 §5.2.3: conforming CRL issuers MUST include it)');
  let issuerText: string | undefined;
  return {
    der, index, issuerDer: issuer.full,
    get issuer(): string { return (issuerText ??= nameToString(issuer.full)); },
    tbs: tbs.full, signatureAlgorithm: parseSignatureAlgorithm(sigAlg), signature: sigValue.value.subarray(1),
    thisUpdate, nextUpdate, crlNumber, unusable: problems.length > 0 ? problems.join('; ') : undefined, revoked,
  };
}
