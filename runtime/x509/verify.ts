// Certificate path validation for TLS 1.3 peers. Given the DER list from a Certificate message,
// build a path from the leaf (index 0) through intermediates taken from the same list to one of
// the configured trust anchors, and check on every link:
//   - the validity period against the caller's clock (`now`, ms; the engine's config.now),
//   - the issuer is a CA (basicConstraints), within its pathLenConstraint, with keyCertSign if keyUsage is present,
//   - extendedKeyUsage (when present, on leaf and intermediates) includes serverAuth / clientAuth,
//   - no unprocessed critical extension, and nameConstraints (dNSName/iPAddress) of every intermediate,
//   - the signature, verified through the CryptoProvider interface (never WebCrypto directly);
// then, for servers, that the leaf's subjectAltName covers the server name (./hostname.ts).
// There is no switch to turn any check off. The result carries the leaf's SubjectPublicKeyInfo,
// the key the engine verifies CertificateVerify with.
import type { CryptoProvider, SignatureSchemeId } from '../crypto/provider.ts';
import { parseCertificate, pemCertificates, OID, TrustAnchor, type ParsedCertificate, type PublicKeyKind } from './certificate.ts';
import { bytesEqual } from './der.ts';
import { CertificateConfigError, CertificateError, CertificateProviderError } from './errors.ts';
import { parseServerIdentity, identityMatches, type ServerIdentity } from './hostname.ts';

export type CertificatePurpose = 'serverAuth' | 'clientAuth';

/** Trust anchors: PEM text (one or more CERTIFICATE blocks) or DER certificates. */
export type TrustAnchorInput = string | Uint8Array | readonly (string | Uint8Array)[];

export interface VerifierOptions {
  /** Only `verify` and `capabilities` are used. */
  readonly crypto: Pick<CryptoProvider, 'verify' | 'capabilities'>;
  readonly trustAnchors: TrustAnchorInput;
  /** Most certificates accepted in a peer chain (leaf included). Default 10. */
  readonly maxChainLength?: number;
}

export interface VerifyRequest {
  /** DER certificates as sent by the peer, leaf first. */
  readonly chain: readonly Uint8Array[];
  /** Time to check validity at, in ms since the epoch. */
  readonly now: number;
  readonly purpose: CertificatePurpose;
  /** Required for serverAuth: the host name or IP literal the client connected to. */
  readonly serverName?: string | undefined;
}

export interface VerifiedChain {
  /** The leaf's SubjectPublicKeyInfo (DER): verify CertificateVerify with this. */
  readonly leafSpki: Uint8Array;
  readonly leafSubject: string;
  /** The validated path, leaf first, ending with the trust anchor. */
  readonly path: readonly Uint8Array[];
  readonly anchorSubject: string;
}

// Scheme used to check a certificate signature, from its algorithm and the issuer's key type.
function schemeFor(cert: ParsedCertificate, issuer: { keyKind: PublicKeyKind }): SignatureSchemeId | string {
  const a = cert.signatureAlgorithm;
  const k = issuer.keyKind;
  const hashIdx = (h: 'sha256' | 'sha384' | 'sha512'): number => (h === 'sha256' ? 0 : h === 'sha384' ? 1 : 2);
  switch (a.kind) {
    case 'rsa-pkcs1':
      if (k.type !== 'rsa') return `rsa_pkcs1 signature by a ${k.type} key`;
      return [0x0401, 0x0501, 0x0601][hashIdx(a.hash)]!;
    case 'rsa-pss':
      if (k.type === 'rsa') return [0x0804, 0x0805, 0x0806][hashIdx(a.hash)]!;
      if (k.type === 'rsa-pss') return [0x0809, 0x080a, 0x080b][hashIdx(a.hash)]!;
      return `rsa_pss signature by a ${k.type} key`;
    case 'ecdsa':
      if (k.type !== 'ec') return `ECDSA signature by a ${k.type} key`;
      return [0x0403, 0x0503, 0x0603][hashIdx(a.hash)]!;
    case 'ed25519':
      if (k.type !== 'ed25519') return `Ed25519 signature by a ${k.type} key`;
      return 0x0807;
    case 'unsupported':
      return a.description;
  }
}

const ALERT_FOR_TIME = { CERT_EXPIRED: 'certificate_expired', CERT_NOT_YET_VALID: 'bad_certificate' } as const;

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function describe(c: ParsedCertificate, role: string): string {
  return `${role} certificate ${c.index} (subject "${c.subject}")`;
}

function parseAnchors(input: TrustAnchorInput): TrustAnchor[] {
  const items = Array.isArray(input) ? (input as readonly (string | Uint8Array)[]) : [input as string | Uint8Array];
  const ders: Uint8Array[] = [];
  for (const it of items) {
    if (typeof it === 'string') {
      let found: Uint8Array[];
      try { found = pemCertificates(it); } catch (e) {
        throw new CertificateConfigError('CERT_BAD_TRUST_ANCHOR', 'a trust anchor PEM block is not valid base64 between its BEGIN and END lines (the file is damaged or was edited); re-export the CA certificate', { cause: e });
      }
      if (found.length === 0) {
        throw new CertificateConfigError('CERT_BAD_TRUST_ANCHOR', 'a trust anchor string contains no "-----BEGIN CERTIFICATE-----" block; pass PEM text (not a file path) or DER bytes');
      }
      ders.push(...found);
    } else {
      ders.push(it);
    }
  }
  if (ders.length === 0) {
    throw new CertificateConfigError('CERT_NO_TRUST_ANCHORS', 'no trust anchors configured: give the CA certificate(s) that issued the peer\'s certificate (PEM or DER); verification cannot be disabled');
  }
  return ders.map((d, i) => {
    try {
      return new TrustAnchor(d, i);
    } catch (e) {
      throw new CertificateConfigError('CERT_BAD_TRUST_ANCHOR', `trust anchor ${i} cannot be parsed: ${(e as Error).message}`, { cause: e });
    }
  });
}

/** A reusable verifier: trust anchors are parsed once. */
export class CertificateVerifier {
  readonly anchors: readonly TrustAnchor[];
  readonly #crypto: Pick<CryptoProvider, 'verify' | 'capabilities'>;
  readonly #maxChain: number;

  constructor(options: VerifierOptions) {
    this.#crypto = options.crypto;
    this.anchors = parseAnchors(options.trustAnchors);
    this.#maxChain = options.maxChainLength ?? 10;
  }

  /** Validates the peer chain; throws CertificateError (peer), CertificateConfigError or CertificateProviderError. */
  async verify(req: VerifyRequest): Promise<VerifiedChain> {
    let identity: ServerIdentity | undefined;
    if (req.purpose === 'serverAuth') {
      if (req.serverName === undefined || req.serverName === '') {
        throw new CertificateConfigError('CERT_BAD_SERVER_NAME', 'verifying a server certificate needs the server name (host name or IP literal) the client connected to; set serverName');
      }
      identity = parseServerIdentity(req.serverName);
      if (identity === undefined) {
        throw new CertificateConfigError('CERT_BAD_SERVER_NAME', `server name "${req.serverName}" is neither an IP literal nor a valid ASCII host name (give internationalised names as A-labels, e.g. xn--...)`);
      }
    }
    if (req.chain.length === 0) {
      throw new CertificateError('CERT_EMPTY_CHAIN', 'bad_certificate', `the peer sent no certificate; a ${req.purpose === 'serverAuth' ? 'server' : 'client'} certificate is required here`);
    }
    if (req.chain.length > this.#maxChain) {
      throw new CertificateError('CERT_CHAIN_TOO_LONG', 'bad_certificate', `the peer sent ${req.chain.length} certificates; at most ${this.#maxChain} are accepted (raise maxChainLength only if a real PKI needs it)`);
    }
    const certs = req.chain.map((d, i) => parseCertificate(d, i));
    const leaf = certs[0]!;
    const purposeOid = req.purpose === 'serverAuth' ? OID.serverAuth : OID.clientAuth;
    const leafIsAnchor = this.anchors.some((a) => bytesEqual(a.der, leaf.der));

    // Leaf checks.
    this.#checkCommon(leaf, req.now, purposeOid, 'leaf');
    if (leaf.isCa && !leafIsAnchor) {
      // Say what most likely happened: a self-signed certificate (openssl req -x509 makes CA:TRUE ones)
      // that is not trusted, or a chain sent in the wrong order (the issuer of a later certificate first).
      if (bytesEqual(leaf.subjectDer, leaf.issuerDer)) {
        throw new CertificateError('CERT_UNTRUSTED', 'unknown_ca', `${describe(leaf, 'leaf')} is self-signed and is not one of the trust anchors; to trust it, add this exact certificate to trustAnchors (or have the peer use a certificate issued by a CA in trustAnchors)`, { index: 0, subject: leaf.subject });
      }
      const issued = certs.findIndex((c, i) => i > 0 && !c.isCa && bytesEqual(c.issuerDer, leaf.subjectDer));
      if (issued > 0) {
        throw new CertificateError('CERT_CA_AS_LEAF', 'bad_certificate', `the peer's chain is out of order: ${describe(leaf, 'first')} is the CA that issued ${describe(certs[issued]!, 'end-entity')}; the peer must send its own certificate first, then its issuers (RFC 8446 §4.4.2). Fix the order of the certificate file the peer is configured with`, { index: 0, subject: leaf.subject });
      }
      throw new CertificateError('CERT_CA_AS_LEAF', 'bad_certificate', `${describe(leaf, 'leaf')} is a CA certificate (basicConstraints cA=TRUE) used as an end-entity certificate; issue a leaf certificate with CA:FALSE`, { index: 0, subject: leaf.subject });
    }
    if (leaf.keyUsage !== undefined && (leaf.keyUsage & 1) === 0) {
      throw new CertificateError('CERT_KEY_USAGE', 'bad_certificate', `${describe(leaf, 'leaf')} has keyUsage without digitalSignature, which TLS 1.3 CertificateVerify needs`, { index: 0, subject: leaf.subject });
    }

    const path = leafIsAnchor ? [leaf] : await this.#buildPath(leaf, certs, req.now, purposeOid);
    checkNameConstraints(path);
    const anchor: { subject: string } = leafIsAnchor ? this.anchors.find((a) => bytesEqual(a.der, leaf.der))! : path[path.length - 1]!;

    if (identity !== undefined && !identityMatches(identity, leaf.dnsNames, leaf.ipAddresses)) {
      const names = [...leaf.dnsNames.map((d) => `DNS:${d}`), ...leaf.ipAddresses.map((ip) => `IP:${ipText(ip)}`)];
      throw new CertificateError('CERT_HOSTNAME_MISMATCH', 'certificate_unknown',
        `${describe(leaf, 'leaf')} is not valid for "${req.serverName}": ${leaf.hasSubjectAltName ? `its subjectAltName lists ${names.join(', ') || 'no DNS or IP names'}` : 'it has no subjectAltName (the subject CN is never used)'}; ` +
        `connect using one of those names or have the server use a certificate for "${req.serverName}"`, { index: 0, subject: leaf.subject });
    }
    return { leafSpki: leaf.spki, leafSubject: leaf.subject, path: leafIsAnchor ? [leaf.der] : path.map((c) => c.der), anchorSubject: anchor.subject };
  }

  #checkCommon(c: ParsedCertificate, now: number, purposeOid: string, role: string): void {
    const where = { index: c.index, subject: c.subject };
    if (now > c.notAfter) {
      throw new CertificateError('CERT_EXPIRED', ALERT_FOR_TIME.CERT_EXPIRED, `${describe(c, role)} expired at ${iso(c.notAfter)} (now is ${iso(now)}); the peer must renew it (or the local clock is wrong)`, where);
    }
    if (now < c.notBefore) {
      throw new CertificateError('CERT_NOT_YET_VALID', ALERT_FOR_TIME.CERT_NOT_YET_VALID, `${describe(c, role)} is not valid before ${iso(c.notBefore)} (now is ${iso(now)}); check the local clock`, where);
    }
    if (c.unknownCriticalExtensions.length > 0) {
      throw new CertificateError('CERT_UNSUPPORTED_CRITICAL_EXTENSION', 'unsupported_certificate', `${describe(c, role)} has critical extension(s) ${c.unknownCriticalExtensions.join(', ')} that this verifier does not process (RFC 5280 §4.2)`, where);
    }
    if (c.extendedKeyUsage !== undefined && !c.extendedKeyUsage.includes(purposeOid)) {
      const want = purposeOid === OID.serverAuth ? 'serverAuth' : 'clientAuth';
      throw new CertificateError('CERT_EXTENDED_KEY_USAGE', 'certificate_unknown', `${describe(c, role)} has extendedKeyUsage [${c.extendedKeyUsage.join(', ')}] without ${want} (${purposeOid}); issue it with extendedKeyUsage=${want}`, where);
    }
  }

  // Depth-first search for a path leaf -> ... -> anchor, intermediates from the peer's list.
  async #buildPath(leaf: ParsedCertificate, certs: ParsedCertificate[], now: number, purposeOid: string): Promise<(ParsedCertificate | TrustAnchor)[]> {
    let best: CertificateError | undefined;
    let budget = 64; // signature checks per chain, so a list of look-alike issuers cannot make us loop
    const certSchemes = new Set(this.#crypto.capabilities().certificateSignatureSchemes);

    const checkLink = async (child: ParsedCertificate, issuer: ParsedCertificate | TrustAnchor, issuerRole: string): Promise<void> => {
      const scheme = schemeFor(child, issuer);
      const where = { index: child.index, subject: child.subject };
      if (typeof scheme === 'string' || !certSchemes.has(scheme)) {
        throw new CertificateError('CERT_UNSUPPORTED_SIGNATURE_ALGORITHM', 'unsupported_certificate',
          `${describe(child, child.index === 0 ? 'leaf' : 'intermediate')} is signed with ${typeof scheme === 'string' ? scheme : `scheme 0x${scheme.toString(16).padStart(4, '0')}`}, which the crypto provider cannot verify`, where);
      }
      if (--budget < 0) {
        throw new CertificateError('CERT_UNTRUSTED', 'unknown_ca', 'gave up building a certificate path after 64 signature checks; the peer sent too many candidate issuers', where);
      }
      let ok: boolean;
      try {
        ok = await this.#crypto.verify(issuer.spki, scheme, child.tbs, child.signature);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'CRYPTO_INVALID_PUBLIC_KEY' || code === 'CRYPTO_UNSUPPORTED_ALGORITHM' || code === 'crypto.invalid_public_key' || code === 'crypto.unsupported_algorithm') {
          throw new CertificateError('CERT_UNSUPPORTED_SIGNATURE_ALGORITHM', 'unsupported_certificate',
            `${describe(child, child.index === 0 ? 'leaf' : 'intermediate')}: the provider cannot verify its signature with ${issuerRole} "${issuer.subject}" key: ${(e as Error).message}`, { ...where, cause: e });
        }
        throw new CertificateProviderError(`verifying the signature on certificate ${child.index} ("${child.subject}") failed inside the crypto provider: ${(e as Error).message}`, { cause: e });
      }
      if (!ok) {
        throw new CertificateError('CERT_BAD_SIGNATURE', 'bad_certificate',
          `the signature on ${describe(child, child.index === 0 ? 'leaf' : 'intermediate')} does not verify with the key of its issuer "${issuer.subject}" (${issuerRole}); the certificate was altered or the wrong issuer certificate was sent`, where);
      }
    };

    const search = async (path: ParsedCertificate[], used: Set<number>): Promise<(ParsedCertificate | TrustAnchor)[] | undefined> => {
      const current = path[path.length - 1]!;
      // 1. A trust anchor that issued `current`.
      for (const anchor of this.anchors) {
        if (!bytesEqual(anchor.subjectDer, current.issuerDer)) continue;
        try {
          await checkLink(current, anchor, 'trust anchor');
          return [...path, anchor];
        } catch (e) {
          if (!(e instanceof CertificateError)) throw e;
          best = e;
        }
      }
      if (path.length >= this.#maxChain) return undefined;
      // 2. An intermediate from the peer's list that issued `current`.
      for (const cand of certs) {
        if (used.has(cand.index) || !bytesEqual(cand.subjectDer, current.issuerDer)) continue;
        try {
          this.#checkIssuer(cand, path.length - 1, now, purposeOid);
          await checkLink(current, cand, 'intermediate');
        } catch (e) {
          if (!(e instanceof CertificateError)) throw e;
          best = e;
          continue;
        }
        const found = await search([...path, cand], new Set([...used, cand.index]));
        if (found) return found;
      }
      return undefined;
    };

    const found = await search([leaf], new Set([0]));
    if (found) return found;
    if (best !== undefined) throw best;
    const top = leaf;
    throw new CertificateError('CERT_UNTRUSTED', 'unknown_ca',
      `no path from ${describe(top, 'leaf')} (issuer "${top.issuer}") to a trust anchor: none of the ${this.anchors.length} configured anchor(s) ` +
      `[${this.anchors.slice(0, 5).map((a) => `"${a.subject}"`).join(', ')}${this.anchors.length > 5 ? ', ...' : ''}] issued it or any intermediate the peer sent; add the issuing CA to the trust anchors or have the peer send its intermediates`,
      { index: 0, subject: top.subject });
  }

  // `below` = how many non-leaf certificates sit between this issuer and the leaf.
  #checkIssuer(c: ParsedCertificate, below: number, now: number, purposeOid: string): void {
    const where = { index: c.index, subject: c.subject };
    if (!c.isCa) {
      throw new CertificateError('CERT_NOT_A_CA', 'bad_certificate', `${describe(c, 'intermediate')} issued another certificate but is not a CA (basicConstraints cA is absent or FALSE)`, where);
    }
    if (c.keyUsage !== undefined && (c.keyUsage & 32) === 0) {
      throw new CertificateError('CERT_KEY_USAGE', 'bad_certificate', `${describe(c, 'intermediate')} has keyUsage without keyCertSign, so it may not sign certificates`, where);
    }
    if (c.pathLength !== undefined && below > c.pathLength) {
      throw new CertificateError('CERT_PATH_LEN_EXCEEDED', 'bad_certificate', `${describe(c, 'intermediate')} allows ${c.pathLength} intermediate(s) below it (pathLenConstraint) but the path has ${below}`, where);
    }
    this.#checkCommon(c, now, purposeOid, 'intermediate');
  }
}

function dnsWithin(name: string, base: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const b = base.replace(/\.$/, '');
  if (b === '') return true;
  if (b.startsWith('.')) return n.endsWith(b);
  return n === b || n.endsWith(`.${b}`);
}

function ipWithin(ip: Uint8Array, t: { address: Uint8Array; mask: Uint8Array }): boolean {
  if (ip.length !== t.address.length) return false;
  for (let i = 0; i < ip.length; i++) if ((ip[i]! & t.mask[i]!) !== (t.address[i]! & t.mask[i]!)) return false;
  return true;
}

/** RFC 5280 §4.2.1.10 for the forms that identify TLS peers (dNSName, iPAddress): every SAN of every
 *  certificate below a constrained CA must be inside its permitted subtrees of that form (when it
 *  has any) and outside its excluded ones. A CA using forms this verifier does not enforce is refused. */
function checkNameConstraints(path: readonly { subject: string; index: number }[]): void {
  for (let i = 1; i < path.length; i++) {
    const ca = path[i] as Partial<ParsedCertificate> & { subject: string; index: number };
    const nc = ca.nameConstraints;
    if (nc === undefined) continue;
    if (nc.unsupported.length > 0) {
      throw new CertificateError('CERT_NAME_CONSTRAINTS', 'bad_certificate', `CA certificate ${ca.index} ("${ca.subject}") has nameConstraints of forms this verifier does not enforce (${[...new Set(nc.unsupported)].join(', ')}); it is refused rather than trusted without them`, { index: ca.index, subject: ca.subject });
    }
    const permittedDns = nc.permitted.filter((t) => t.kind === 'dns');
    const permittedIp = nc.permitted.filter((t) => t.kind === 'ip');
    for (let j = 0; j < i; j++) {
      const c = path[j] as ParsedCertificate;
      const bad = (what: string): never => {
        throw new CertificateError('CERT_NAME_CONSTRAINTS', 'bad_certificate', `certificate ${c.index} ("${c.subject}") names ${what}, which CA "${ca.subject}" is not allowed to certify (nameConstraints)`, { index: c.index, subject: c.subject });
      };
      for (const d of c.dnsNames) {
        if (permittedDns.length > 0 && !permittedDns.some((t) => t.kind === 'dns' && dnsWithin(d, t.name))) bad(`DNS:${d}`);
        if (nc.excluded.some((t) => t.kind === 'dns' && dnsWithin(d, t.name))) bad(`DNS:${d}`);
      }
      for (const ip of c.ipAddresses) {
        if (permittedIp.length > 0 && !permittedIp.some((t) => t.kind === 'ip' && ipWithin(ip, t))) bad(`IP:${ipText(ip)}`);
        if (nc.excluded.some((t) => t.kind === 'ip' && ipWithin(ip, t))) bad(`IP:${ipText(ip)}`);
      }
    }
  }
}

function ipText(ip: Uint8Array): string {
  if (ip.length === 4) return Array.from(ip).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return groups.join(':');
}

/** One-shot convenience: parse anchors and verify one chain. */
export async function verifyCertificateChain(options: VerifierOptions & VerifyRequest): Promise<VerifiedChain> {
  return new CertificateVerifier(options).verify(options);
}
