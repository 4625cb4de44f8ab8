// Certificate path validation for TLS 1.3 peers (RFC 5280 §6 with the CA/Browser Forum Baseline
// Requirements profile for server certificates). Given the DER list from a Certificate message:
//   1. the leaf (index 0) is checked on its own: validity, critical extensions, key strength, profile
//      (serial, AKI/SKI, subject/SAN, dNSName syntax, keyUsage, EKU, wildcard under a public suffix);
//   2. a path to a trust anchor is searched depth-first over every candidate issuer (intermediates from
//      the peer's list, anchors from the TrustStore), backtracking when a candidate fails. Every
//      constraint is applied while searching — CA profile, pathLenConstraint, keyUsage, EKU, name
//      constraints of intermediates and of the anchor, anchor validity/extensions/key, the signature,
//      and revocation when the application supplied CRLs — so a failing issuer never hides a valid
//      alternative. The search is bounded by a budget of signature checks and a path depth (like
//      rustls-webpki), not by how many certificates the peer sent;
//   3. for servers, the leaf's subjectAltName must cover the server name (./hostname.ts).
// There is no switch to turn any check off. The policy table lives in docs/tls.md ("Certificate policy").
import type { CryptoProvider, SignatureSchemeId } from '../crypto/provider.ts';
import { parseCertificate, OID, validSanDns, type ParsedCertificate, type PublicKeyKind, type NameConstraints, type TrustAnchor } from './certificate.ts';
import type { ParsedCrl } from './crl.ts';
import { bytesEqual, hex } from './der.ts';
import { CertificateConfigError, CertificateError, CertificateProviderError, type CertificateErrorCode, type CertificateAlert } from './errors.ts';
import { parseServerIdentity, identityMatches, wildcardUnderPublicSuffix, type ServerIdentity } from './hostname.ts';
import { TrustStore, CrlSet, type TrustAnchorInput, type CrlInput } from './trust-store.ts';

export type { TrustAnchorInput, CrlInput };
export type CertificatePurpose = 'serverAuth' | 'clientAuth';

export interface VerifierOptions {
  /** Only `verify` and `capabilities` are used. */
  readonly crypto: Pick<CryptoProvider, 'verify' | 'capabilities'>;
  /** PEM/DER anchors, or a TrustStore shared between verifiers (parsed once). */
  readonly trustAnchors: TrustAnchorInput | TrustStore;
  /** Optional revocation input: CRLs (PEM "X509 CRL" blocks or DER), or a shared CrlSet. */
  readonly crls?: CrlInput | CrlSet | undefined;
  /** Most certificates accepted in a peer chain (leaf included). Default 256; path building is bounded by the budget below. */
  readonly maxChainLength?: number;
  /** Signature checks (certificates and CRLs) one verification may spend searching for a path. Default 100. */
  readonly maxSignatureChecks?: number;
  /** Most intermediates on a path (trust anchor and leaf not counted). Default 8. */
  readonly maxIntermediates?: number;
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
  /** Signature checks spent (certificates and CRLs). */
  readonly signatureChecks: number;
}

type Role = 'leaf' | 'intermediate' | 'trust anchor';

/** A certificate on a candidate path: a peer certificate or a (fully decoded) trust anchor. */
interface Node { readonly cert: ParsedCertificate; readonly role: Role; readonly anchor?: TrustAnchor }

// Scheme used to check a certificate or CRL signature, from its algorithm and the issuer's key type.
function schemeFor(alg: ParsedCertificate['signatureAlgorithm'], k: PublicKeyKind): SignatureSchemeId | string {
  const hashIdx = (h: 'sha256' | 'sha384' | 'sha512'): number => (h === 'sha256' ? 0 : h === 'sha384' ? 1 : 2);
  switch (alg.kind) {
    case 'rsa-pkcs1':
      if (k.type !== 'rsa') return `rsa_pkcs1 signature by a ${k.type} key`;
      return [0x0401, 0x0501, 0x0601][hashIdx(alg.hash)]!;
    case 'rsa-pss':
      if (k.type === 'rsa') return [0x0804, 0x0805, 0x0806][hashIdx(alg.hash)]!;
      if (k.type === 'rsa-pss') return [0x0809, 0x080a, 0x080b][hashIdx(alg.hash)]!;
      return `rsa_pss signature by a ${k.type} key`;
    case 'ecdsa':
      if (k.type !== 'ec') return `ECDSA signature by a ${k.type} key`;
      return [0x0403, 0x0503, 0x0603][hashIdx(alg.hash)]!;
    case 'ed25519':
      if (k.type !== 'ed25519') return `Ed25519 signature by a ${k.type} key`;
      return 0x0807;
    case 'unsupported':
      return alg.description;
  }
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function describe(c: ParsedCertificate, role: Role): string {
  if (role === 'trust anchor') return `trust anchor ${c.index} (subject "${c.subject}")`;
  return `${role} certificate ${c.index} (subject "${c.subject}")`;
}

function fail(code: CertificateErrorCode, alert: CertificateAlert, c: ParsedCertificate, role: Role, what: string, rule: string, fix: string): CertificateError {
  return new CertificateError(code, alert, `${describe(c, role)} ${what} (${rule}); ${fix}`,
    { index: role === 'trust anchor' ? undefined : c.index, subject: c.subject, rule });
}

/** Key policy for every certificate on a path (CABF BR §6.1.5, §7.1.3.1; RFC 8446 §4.4.2.4 for TLS use). */
function keyProblem(k: PublicKeyKind): string | undefined {
  switch (k.type) {
    case 'rsa': case 'rsa-pss':
      if (k.bits < 2048) return `an RSA key of ${k.bits} bits (at least 2048 are required)`;
      if (k.bits % 8 !== 0) return `an RSA modulus of ${k.bits} bits, not a multiple of 8`;
      return undefined;
    case 'ec':
      if (k.curve === 'explicit') return 'an EC key with explicit curve parameters (only named curves are accepted, RFC 5480 §2.1.1)';
      if (k.curve === 'P-192') return 'a P-192 key (only P-256, P-384 and P-521 are accepted)';
      if (k.curve === 'other') return 'an EC key on a curve other than P-256, P-384 or P-521';
      return undefined;
    case 'dsa': return 'a DSA key (DSA is not usable with TLS 1.3)';
    default: return undefined;
  }
}

const KEY_RULE = 'CABF BR §6.1.5 and §7.1.3.1';
const KU_DIGITAL_SIGNATURE = 1;
const KU_KEY_CERT_SIGN = 32;
const KU_CRL_SIGN = 64;

/**
 * Certificate and CRL signatures that verified, remembered per crypto provider object, so that a chain seen
 * again (a client reconnecting to the same server, a server seeing the same client certificate) does not pay
 * for its signatures again: one ECDSA P-384 verification costs ~0.5 ms, more than the rest of a handshake's
 * crypto. An entry answers only the byte-identical question (issuer SubjectPublicKeyInfo, scheme, signed
 * bytes, signature: all four compared in full, no digest); only successes are kept, so a failure is always
 * asked of the provider again. Every other check of a link (validity dates, profile, names, revocation, the
 * path's signature budget) runs on every verification. Bounded: the least recently used entry goes first.
 */
class VerifiedSignatures {
  static readonly #byProvider = new WeakMap<object, VerifiedSignatures>();
  /** The cache of `provider` (a verification answer holds for the provider that gave it). */
  static of(provider: object): VerifiedSignatures {
    let c = VerifiedSignatures.#byProvider.get(provider);
    if (c === undefined) VerifiedSignatures.#byProvider.set(provider, (c = new VerifiedSignatures()));
    return c;
  }

  /** Entries by their signature's bytes (as a string); Map order is least recently used first. */
  readonly #entries = new Map<string, { readonly spki: Uint8Array; readonly scheme: number; readonly data: Uint8Array }>();

  has(spki: Uint8Array, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    const k = signatureKey(signature);
    const e = this.#entries.get(k);
    if (e === undefined || e.scheme !== scheme || !bytesEqual(e.spki, spki) || !bytesEqual(e.data, data)) return false;
    this.#entries.delete(k);
    this.#entries.set(k, e);
    return true;
  }

  /** Remembers a signature that verified (copies: the inputs may be views into a connection's buffers). */
  add(spki: Uint8Array, scheme: number, data: Uint8Array, signature: Uint8Array): void {
    const k = signatureKey(signature);
    this.#entries.delete(k);
    this.#entries.set(k, { spki: spki.slice(), scheme, data: data.slice() });
    if (this.#entries.size > VERIFIED_SIGNATURES_KEPT) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Entries held (tests). */
  get size(): number { return this.#entries.size; }
}

/** Signatures a provider's cache holds at most (~1-2 KB each: the signed bytes are most of it). */
export const VERIFIED_SIGNATURES_KEPT = 256;

function signatureKey(signature: Uint8Array): string {
  let s = '';
  for (let i = 0; i < signature.length; i++) s += String.fromCharCode(signature[i]!);
  return s;
}

/** How many verified signatures `provider`'s cache holds (tests). */
export function verifiedSignaturesHeld(provider: object): number { return VerifiedSignatures.of(provider).size; }

/** A reusable verifier: trust anchors (and CRLs) are parsed once, by the TrustStore/CrlSet it holds. */
export class CertificateVerifier {
  readonly store: TrustStore;
  readonly crls: CrlSet | undefined;
  readonly #crypto: Pick<CryptoProvider, 'verify' | 'capabilities'>;
  readonly #maxChain: number;
  readonly #budget: number;
  readonly #maxIntermediates: number;
  #certSchemes: Set<number> | undefined;

  constructor(options: VerifierOptions) {
    this.#crypto = options.crypto;
    this.store = TrustStore.of(options.trustAnchors);
    this.crls = options.crls === undefined ? undefined : CrlSet.of(options.crls);
    this.#maxChain = options.maxChainLength ?? 256;
    this.#budget = options.maxSignatureChecks ?? 100;
    this.#maxIntermediates = options.maxIntermediates ?? 8;
  }

  get anchors(): readonly TrustAnchor[] { return this.store.anchors; }

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
      throw new CertificateError('CERT_CHAIN_TOO_LONG', 'bad_certificate', `the peer sent ${req.chain.length} certificates; at most ${this.#maxChain} are accepted (maxChainLength)`);
    }
    const certs = req.chain.map((d, i) => parseCertificate(d, i));
    const leaf = certs[0]!;
    const purposeOid = req.purpose === 'serverAuth' ? OID.serverAuth : OID.clientAuth;
    const search = new PathSearch(this, certs, req.now, purposeOid, this.#budget, this.#maxIntermediates);

    let path: Node[];
    const selfAnchor = this.store.exactly(leaf.der, leaf.subjectDer);
    if (selfAnchor !== undefined) {
      // The peer's certificate is itself trusted (a pinned self-signed certificate): its own
      // validity, extensions and key still count, and so do the leaf usage rules.
      this.#checkCommon(leaf, 'leaf', req.now);
      this.#checkLeafUsage(leaf, purposeOid, false);
      path = [{ cert: leaf, role: 'leaf' }];
    } else {
      this.#checkCommon(leaf, 'leaf', req.now);
      this.#checkLeafProfile(leaf, purposeOid, certs);
      path = await search.run(leaf);
    }

    if (identity !== undefined && !identityMatches(identity, leaf.dnsNames, leaf.ipAddresses)) {
      const names = [...leaf.dnsNames.map((d) => `DNS:${d}`), ...leaf.ipAddresses.map((ip) => `IP:${ipText(ip)}`)];
      throw new CertificateError('CERT_HOSTNAME_MISMATCH', 'certificate_unknown',
        `${describe(leaf, 'leaf')} is not valid for "${req.serverName}": ${leaf.hasSubjectAltName ? `its subjectAltName lists ${names.join(', ') || 'no DNS or IP names'}` : 'it has no subjectAltName (the subject CN is never used)'}; ` +
        `connect using one of those names or have the server use a certificate for "${req.serverName}"`, { index: 0, subject: leaf.subject, rule: 'RFC 6125 §6 / RFC 9525' });
    }
    const top = path[path.length - 1]!;
    return {
      leafSpki: leaf.spki, leafSubject: leaf.subject, path: path.map((n) => n.cert.der),
      anchorSubject: top.cert.subject, signatureChecks: search.spent,
    };
  }

  /** Checks for every certificate on a path, anchors included: validity, critical extensions, key. */
  #checkCommon(c: ParsedCertificate, role: Role, now: number): void {
    if (now > c.notAfter) {
      throw fail('CERT_EXPIRED', 'certificate_expired', c, role, `expired at ${iso(c.notAfter)} (now is ${iso(now)})`, 'RFC 5280 §4.1.2.5',
        role === 'trust anchor' ? 'replace the expired root in the trust anchors' : 'the peer must renew it (or the local clock is wrong)');
    }
    if (now < c.notBefore) {
      throw fail('CERT_NOT_YET_VALID', 'bad_certificate', c, role, `is not valid before ${iso(c.notBefore)} (now is ${iso(now)})`, 'RFC 5280 §4.1.2.5', 'check the local clock');
    }
    if (c.unknownCriticalExtensions.length > 0) {
      throw fail('CERT_UNSUPPORTED_CRITICAL_EXTENSION', 'unsupported_certificate', c, role,
        `has critical extension(s) ${c.unknownCriticalExtensions.join(', ')} that this verifier does not process`, 'RFC 5280 §4.2',
        'a certificate with an unprocessed critical extension must be refused; issue it without that extension or mark it non-critical');
    }
    const weak = keyProblem(c.keyKind);
    if (weak !== undefined) {
      throw fail('CERT_WEAK_KEY', 'bad_certificate', c, role, `has ${weak}`, KEY_RULE,
        role === 'trust anchor' ? 'remove this root from the trust anchors' : 'reissue it with an RSA key of at least 2048 bits, or a P-256/P-384/Ed25519 key');
    }
  }

  /** Rules that peer-sent certificates (leaf and intermediates) share. */
  #checkIssuedProfile(c: ParsedCertificate, role: Role): void {
    const s = c.serial;
    if (s.length === 0 || (s[0]! & 0x80) !== 0 || s.every((b) => b === 0)) {
      throw fail('CERT_PROFILE', 'bad_certificate', c, role, `has serial number ${s.length === 0 ? '(empty)' : `0x${hex(s)}`}, which is not a positive integer`, 'RFC 5280 §4.1.2.2', 'the issuing CA must assign a positive serial number');
    }
    const significant = s[0] === 0 ? s.length - 1 : s.length;
    if (significant > 20) {
      throw fail('CERT_PROFILE', 'bad_certificate', c, role, `has a serial number of ${significant} octets (at most 20)`, 'RFC 5280 §4.1.2.2', 'the issuing CA must use serial numbers of at most 20 octets');
    }
    const aki = c.extensions.get(OID.authorityKeyIdentifier);
    const selfIssued = bytesEqual(c.subjectDer, c.issuerDer);
    if (aki === undefined && !selfIssued) {
      throw fail('CERT_PROFILE', 'bad_certificate', c, role, 'has no authorityKeyIdentifier extension', 'RFC 5280 §4.2.1.1', 'the issuing CA must include authorityKeyIdentifier (keyIdentifier) in the certificates it issues');
    }
    if (aki?.critical) throw fail('CERT_PROFILE', 'bad_certificate', c, role, 'marks authorityKeyIdentifier critical', 'RFC 5280 §4.2.1.1', 'conforming CAs mark it non-critical; reissue the certificate');
    if (c.extensions.get(OID.subjectKeyIdentifier)?.critical) throw fail('CERT_PROFILE', 'bad_certificate', c, role, 'marks subjectKeyIdentifier critical', 'RFC 5280 §4.2.1.2', 'conforming CAs mark it non-critical; reissue the certificate');
    // SAN entries: every dNSName in preferred name syntax, every iPAddress 4 or 16 bytes.
    for (const d of c.dnsNames) {
      if (!validSanDns(d)) {
        throw fail('CERT_PROFILE', 'bad_certificate', c, role, `has subjectAltName dNSName "${d}", which is not a valid DNS name (letters, digits and hyphens in non-empty labels; "*" only as the whole leftmost label; no underscore)`, 'RFC 5280 §4.2.1.6', 'reissue the certificate with valid DNS names');
      }
    }
    for (const ip of c.ipAddresses) {
      if (ip.length !== 4 && ip.length !== 16) {
        throw fail('CERT_PROFILE', 'bad_certificate', c, role, `has a subjectAltName iPAddress of ${ip.length} bytes (4 for IPv4 or 16 for IPv6)`, 'RFC 5280 §4.2.1.6', 'reissue the certificate with valid IP addresses');
      }
    }
    const emptySubject = c.subjectDer.length === 2;
    if (emptySubject) {
      const san = c.extensions.get(OID.subjectAltName);
      if (role !== 'leaf') throw fail('CERT_PROFILE', 'bad_certificate', c, role, 'is a CA certificate with an empty subject', 'RFC 5280 §4.1.2.6', 'a CA must have a non-empty distinguished name');
      if (san === undefined) throw fail('CERT_PROFILE', 'bad_certificate', c, role, 'has an empty subject and no subjectAltName', 'RFC 5280 §4.1.2.6', 'reissue it with a subjectAltName');
      if (!san.critical) throw fail('CERT_PROFILE', 'bad_certificate', c, role, 'has an empty subject but a non-critical subjectAltName', 'RFC 5280 §4.2.1.6', 'with an empty subject the subjectAltName extension must be critical');
    }
  }

  /** `webProfile`: the CABF server rules (EKU required and non-critical); off only for a pinned certificate
   *  that is itself a trust anchor, where the application vouched for exactly this certificate. */
  #checkLeafUsage(leaf: ParsedCertificate, purposeOid: string, webProfile = true): void {
    if (leaf.keyUsage !== undefined && (leaf.keyUsage & KU_DIGITAL_SIGNATURE) === 0) {
      throw fail('CERT_KEY_USAGE', 'bad_certificate', leaf, 'leaf', 'has keyUsage without digitalSignature, which TLS 1.3 CertificateVerify needs', 'RFC 5280 §4.2.1.3, RFC 8446 §4.4.2.2', 'reissue it with keyUsage=digitalSignature');
    }
    const eku = leaf.extendedKeyUsage;
    if (purposeOid === OID.serverAuth && webProfile) {
      if (eku === undefined) {
        throw fail('CERT_EXTENDED_KEY_USAGE', 'certificate_unknown', leaf, 'leaf', 'has no extendedKeyUsage extension; a server certificate must list serverAuth', 'CABF BR §7.1.2.7.10', 'reissue it with extendedKeyUsage=serverAuth');
      }
      if (leaf.extensions.get(OID.extKeyUsage)?.critical) {
        throw fail('CERT_EXTENDED_KEY_USAGE', 'certificate_unknown', leaf, 'leaf', 'marks extendedKeyUsage critical', 'CABF BR §7.1.2.7.6', 'server certificates carry a non-critical extendedKeyUsage; reissue it');
      }
    }
    if (eku !== undefined && !eku.includes(purposeOid)) {
      const want = purposeOid === OID.serverAuth ? 'serverAuth' : 'clientAuth';
      const onlyAny = eku.length === 1 && eku[0] === OID.anyExtendedKeyUsage;
      throw fail('CERT_EXTENDED_KEY_USAGE', 'certificate_unknown', leaf, 'leaf',
        `has extendedKeyUsage [${eku.join(', ')}] without ${want} (${purposeOid})${onlyAny ? '; anyExtendedKeyUsage alone does not stand for it' : ''}`,
        purposeOid === OID.serverAuth ? 'RFC 5280 §4.2.1.12, CABF BR §7.1.2.7.10' : 'RFC 5280 §4.2.1.12', `issue it with extendedKeyUsage=${want}`);
    }
  }

  #checkLeafProfile(leaf: ParsedCertificate, purposeOid: string, certs: readonly ParsedCertificate[]): void {
    if (leaf.isCa) {
      // Say what most likely happened: a self-signed certificate nobody trusts (openssl req -x509 makes
      // CA:TRUE ones), or a chain sent in the wrong order (a CA first, the end-entity it issued later).
      if (bytesEqual(leaf.subjectDer, leaf.issuerDer)) {
        throw new CertificateError('CERT_UNTRUSTED', 'unknown_ca',
          `${describe(leaf, 'leaf')} is self-signed and is not one of the trust anchors; to trust it, add this exact certificate to trustAnchors (or have the peer use a certificate issued by a CA in trustAnchors) (RFC 5280 §6.1)`,
          { index: 0, subject: leaf.subject, rule: 'RFC 5280 §6.1' });
      }
      const issued = certs.findIndex((c, i) => i > 0 && !c.isCa && bytesEqual(c.issuerDer, leaf.subjectDer));
      if (issued > 0) {
        throw fail('CERT_CA_AS_LEAF', 'bad_certificate', leaf, 'leaf',
          `is the CA that issued certificate ${issued} (subject "${certs[issued]!.subject}"), an end-entity certificate: the peer's chain is out of order`, 'RFC 5280 §4.2.1.9, RFC 8446 §4.4.2',
          'the peer must send its own certificate first, then its issuers; fix the order of the certificate file the peer is configured with');
      }
      throw fail('CERT_CA_AS_LEAF', 'bad_certificate', leaf, 'leaf', 'is a CA certificate (basicConstraints cA=TRUE) used as an end-entity certificate',
        'RFC 5280 §4.2.1.9', 'the peer must send its end-entity certificate first (CA:FALSE), then the intermediates');
    }
    this.#checkIssuedProfile(leaf, 'leaf');
    if (leaf.keyUsage !== undefined && (leaf.keyUsage & KU_KEY_CERT_SIGN) !== 0) {
      throw fail('CERT_PROFILE', 'bad_certificate', leaf, 'leaf', 'is an end-entity certificate with keyUsage keyCertSign', 'RFC 5280 §4.2.1.3', 'keyCertSign is only for CA certificates (cA=TRUE); reissue the leaf without it');
    }
    if (leaf.nameConstraints !== undefined) {
      throw fail('CERT_PROFILE', 'bad_certificate', leaf, 'leaf', 'is an end-entity certificate with a nameConstraints extension', 'RFC 5280 §4.2.1.10', 'nameConstraints belongs only in CA certificates; reissue the leaf without it');
    }
    this.#checkLeafUsage(leaf, purposeOid);
    if (purposeOid === OID.serverAuth) {
      for (const d of leaf.dnsNames) {
        if (wildcardUnderPublicSuffix(d)) {
          throw fail('CERT_PROFILE', 'bad_certificate', leaf, 'leaf', `has wildcard dNSName "${d}" directly under a public suffix`, 'CABF BR §3.2.2.6', 'a wildcard must sit under a registered domain (e.g. *.example.co.uk); reissue the certificate');
        }
      }
    }
  }

  /** A peer-sent intermediate considered as the issuer of the path so far (`below` intermediates under it). */
  checkIntermediate(c: ParsedCertificate, below: number, now: number, purposeOid: string): void {
    const role: Role = 'intermediate';
    if (!c.isCa) {
      throw fail('CERT_NOT_A_CA', 'bad_certificate', c, role, 'issued another certificate but is not a CA (basicConstraints cA is absent or FALSE)', 'RFC 5280 §4.2.1.9, §6.1.4 (k)', 'the peer sent the wrong certificate as an intermediate, or the chain is in the wrong order');
    }
    this.#checkCommon(c, role, now);
    this.#checkIssuedProfile(c, role);
    this.checkCaExtensions(c, role, below, purposeOid);
    if (!c.extensions.get(OID.basicConstraints)!.critical) {
      throw fail('CERT_PROFILE', 'bad_certificate', c, role, 'has a non-critical basicConstraints extension', 'RFC 5280 §4.2.1.9', 'CA certificates must mark basicConstraints critical; reissue the intermediate');
    }
    const ski = c.extensions.get(OID.subjectKeyIdentifier);
    if (ski === undefined) throw fail('CERT_PROFILE', 'bad_certificate', c, role, 'is a CA certificate without subjectKeyIdentifier', 'RFC 5280 §4.2.1.2', 'conforming CAs include subjectKeyIdentifier; reissue the intermediate');
    if (c.keyUsage === undefined) throw fail('CERT_PROFILE', 'bad_certificate', c, role, 'is a CA certificate without keyUsage', 'RFC 5280 §4.2.1.3', 'CA certificates must carry keyUsage with keyCertSign; reissue the intermediate');
  }

  /** CA rules shared by intermediates and trust anchors. */
  checkCaExtensions(c: ParsedCertificate, role: Role, below: number, purposeOid: string): void {
    if (c.keyUsage !== undefined && (c.keyUsage & KU_KEY_CERT_SIGN) === 0) {
      throw fail('CERT_KEY_USAGE', 'bad_certificate', c, role, 'has keyUsage without keyCertSign, so it may not sign certificates', 'RFC 5280 §4.2.1.3, §6.1.4 (n)', 'use a CA certificate whose keyUsage includes keyCertSign');
    }
    if (c.pathLength !== undefined && below > c.pathLength) {
      throw fail('CERT_PATH_LEN_EXCEEDED', 'bad_certificate', c, role, `allows ${c.pathLength} intermediate(s) below it (pathLenConstraint) but the path has ${below}`, 'RFC 5280 §4.2.1.9, §6.1.4 (m)', 'the peer must send a shorter chain, or the CA hierarchy is misconfigured');
    }
    if (role === 'intermediate' && c.extendedKeyUsage !== undefined && !c.extendedKeyUsage.includes(purposeOid)) {
      const want = purposeOid === OID.serverAuth ? 'serverAuth' : 'clientAuth';
      throw fail('CERT_EXTENDED_KEY_USAGE', 'certificate_unknown', c, role, `has extendedKeyUsage [${c.extendedKeyUsage.join(', ')}] without ${want} (${purposeOid}), which restricts every certificate below it`, 'CABF BR §7.1.2.2', `use an intermediate whose extendedKeyUsage includes ${want}`);
    }
  }

  /** Anchor rules (RFC 5280 §6.2 "trust anchor constraints" as pyca/cryptography and rustls-webpki apply them). */
  checkAnchor(a: ParsedCertificate, below: number, now: number, purposeOid: string): void {
    const role: Role = 'trust anchor';
    const fix = 'this root does not meet the RFC 5280 CA profile; remove it from the trust anchors or replace it with a conforming one';
    this.#checkCommon(a, role, now);
    const bc = a.extensions.get(OID.basicConstraints);
    if (bc === undefined || !a.isCa) {
      throw fail('CERT_NOT_A_CA', 'bad_certificate', a, role, `issued the peer's chain but is not a CA (basicConstraints ${bc === undefined ? 'absent' : 'cA=FALSE'})`, 'RFC 5280 §4.2.1.9', 'trust the CA certificate that issued the chain, not an end-entity certificate');
    }
    if (!bc.critical) throw fail('CERT_PROFILE', 'bad_certificate', a, role, 'has a non-critical basicConstraints extension', 'RFC 5280 §4.2.1.9', fix);
    const ski = a.extensions.get(OID.subjectKeyIdentifier);
    if (ski === undefined) throw fail('CERT_PROFILE', 'bad_certificate', a, role, 'is a CA certificate without subjectKeyIdentifier', 'RFC 5280 §4.2.1.2', fix);
    if (ski.critical) throw fail('CERT_PROFILE', 'bad_certificate', a, role, 'marks subjectKeyIdentifier critical', 'RFC 5280 §4.2.1.2', fix);
    if (a.extensions.get(OID.authorityKeyIdentifier)?.critical) throw fail('CERT_PROFILE', 'bad_certificate', a, role, 'marks authorityKeyIdentifier critical', 'RFC 5280 §4.2.1.1', fix);
    if (a.subjectDer.length === 2) throw fail('CERT_PROFILE', 'bad_certificate', a, role, 'is a CA certificate with an empty subject', 'RFC 5280 §4.1.2.6', fix);
    if (a.issuerDer.length === 2) throw fail('CERT_PROFILE', 'bad_certificate', a, role, 'has an empty issuer name', 'RFC 5280 §4.1.2.4', fix);
    this.checkCaExtensions(a, role, below, purposeOid);
  }

  /** Signature schemes the provider verifies certificates with (asked once). */
  certSchemes(): Set<number> {
    return (this.#certSchemes ??= new Set(this.#crypto.capabilities().certificateSignatureSchemes));
  }

  /** One signature verification through the provider (or its answer remembered by VerifiedSignatures); false when it does not verify. */
  async verifySignature(spki: Uint8Array, scheme: SignatureSchemeId, data: Uint8Array, signature: Uint8Array, what: () => string): Promise<boolean> {
    const verified = VerifiedSignatures.of(this.#crypto);
    if (verified.has(spki, scheme, data, signature)) return true;
    try {
      const ok = await this.#crypto.verify(spki, scheme, data, signature);
      if (ok === true) verified.add(spki, scheme, data, signature);
      return ok;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'CRYPTO_INVALID_PUBLIC_KEY' || code === 'CRYPTO_UNSUPPORTED_ALGORITHM' || code === 'crypto.invalid_public_key' || code === 'crypto.unsupported_algorithm') {
        throw new CertificateError('CERT_UNSUPPORTED_SIGNATURE_ALGORITHM', 'unsupported_certificate', `${what()}: the provider cannot verify this signature: ${(e as Error).message}`, { cause: e });
      }
      throw new CertificateProviderError(`verifying ${what()} failed inside the crypto provider: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** Thrown out of the search when the budget runs out: aborts every branch. */
class BudgetExceeded extends CertificateError {}

/** One depth-first path search, with its own budget and the best error seen so far. */
class PathSearch {
  spent = 0;
  #best: { error: CertificateError; depth: number } | undefined;
  readonly #v: CertificateVerifier;
  readonly #certs: readonly ParsedCertificate[];
  readonly #now: number;
  readonly #purposeOid: string;
  readonly #budget: number;
  readonly #maxIntermediates: number;

  constructor(v: CertificateVerifier, certs: readonly ParsedCertificate[], now: number, purposeOid: string, budget: number, maxIntermediates: number) {
    this.#v = v;
    this.#certs = certs;
    this.#now = now;
    this.#purposeOid = purposeOid;
    this.#budget = budget;
    this.#maxIntermediates = maxIntermediates;
  }

  async run(leaf: ParsedCertificate): Promise<Node[]> {
    const found = await this.#extend([{ cert: leaf, role: 'leaf' }]);
    if (found !== undefined) return found;
    if (this.#best !== undefined) throw this.#best.error;
    const anchors = this.#v.store.anchors;
    const selfSigned = bytesEqual(leaf.subjectDer, leaf.issuerDer);
    throw new CertificateError('CERT_UNTRUSTED', 'unknown_ca',
      `no path from ${describe(leaf, 'leaf')} (issuer "${leaf.issuer}") to a trust anchor: none of the ${anchors.length} configured anchor(s) ` +
      `[${anchors.slice(0, 5).map((a) => `"${a.subject}"`).join(', ')}${anchors.length > 5 ? ', ...' : ''}] issued it or any intermediate the peer sent; ` +
      (selfSigned ? 'the certificate is self-signed: to trust exactly this certificate, add it to the trust anchors' : 'add the issuing CA to the trust anchors or have the peer send its intermediates'),
      { index: 0, subject: leaf.subject, rule: 'RFC 5280 §6.1' });
  }

  #note(error: CertificateError, depth: number): void {
    if (this.#best === undefined || depth > this.#best.depth) this.#best = { error, depth };
  }

  async #extend(path: Node[]): Promise<Node[] | undefined> {
    const current = path[path.length - 1]!.cert;
    const below = path.length - 1; // intermediates between a new issuer and the leaf
    // 1. Trust anchors named as the issuer.
    for (const anchor of this.#v.store.issuersOf(current.issuerDer)) {
      const full = anchor.full();
      try {
        if (!(full instanceof Error)) {
          this.#v.checkAnchor(full, below, this.#now, this.#purposeOid);
          const ncError = checkNameConstraints(full, 'trust anchor', path);
          if (ncError) throw ncError;
          await this.#checkLink(current, path[path.length - 1]!.role, { cert: full, role: 'trust anchor', anchor });
        } else {
          throw new CertificateError('CERT_UNTRUSTED', 'unknown_ca', `trust anchor ${anchor.index} ("${anchor.subject}") issued ${describe(current, path[path.length - 1]!.role)} but its extensions cannot be decoded: ${full.message}; replace it in the trust anchors`, { rule: 'RFC 5280 §4.2' });
        }
        return [...path, { cert: full, role: 'trust anchor', anchor }];
      } catch (e) {
        if (e instanceof BudgetExceeded || !(e instanceof CertificateError)) throw e;
        this.#note(e, path.length);
      }
    }
    if (below >= this.#maxIntermediates) {
      this.#note(new CertificateError('CERT_PATH_BUDGET_EXCEEDED', 'unknown_ca', `no trust anchor within ${this.#maxIntermediates} intermediates above ${describe(path[0]!.cert, 'leaf')}; the path would be too long (maxIntermediates); the peer's CA hierarchy is deeper than this verifier follows`, { index: 0, subject: path[0]!.cert.subject, rule: 'path depth limit (maxIntermediates)' }), path.length);
      return undefined;
    }
    // 2. Intermediates from the peer's list named as the issuer; those whose subjectKeyIdentifier
    // matches the authorityKeyIdentifier go first (a hint only: every candidate is still tried).
    const candidates = this.#certs.filter((c) => c.index !== 0 && bytesEqual(c.subjectDer, current.issuerDer)
      && !path.some((n) => bytesEqual(n.cert.subjectDer, c.subjectDer) && bytesEqual(n.cert.spki, c.spki)));
    if (current.authorityKeyId !== undefined) {
      const aki = current.authorityKeyId;
      candidates.sort((a, b) => Number(b.subjectKeyId !== undefined && bytesEqual(b.subjectKeyId, aki)) - Number(a.subjectKeyId !== undefined && bytesEqual(a.subjectKeyId, aki)));
    }
    for (const cand of candidates) {
      try {
        this.#v.checkIntermediate(cand, below, this.#now, this.#purposeOid);
        const ncError = checkNameConstraints(cand, 'intermediate', path);
        if (ncError) throw ncError;
        await this.#checkLink(current, path[path.length - 1]!.role, { cert: cand, role: 'intermediate' });
      } catch (e) {
        if (e instanceof BudgetExceeded || !(e instanceof CertificateError)) throw e;
        this.#note(e, path.length);
        continue;
      }
      const found = await this.#extend([...path, { cert: cand, role: 'intermediate' }]);
      if (found) return found;
    }
    return undefined;
  }

  #spend(child: ParsedCertificate): void {
    if (++this.spent > this.#budget) {
      throw new BudgetExceeded('CERT_PATH_BUDGET_EXCEEDED', 'unknown_ca',
        `gave up building a certificate path after ${this.#budget} signature checks (maxSignatureChecks): the peer sent too many candidate issuers; it should send only its own chain`,
        { index: child.index, subject: child.subject, rule: 'path building budget (as rustls-webpki)' });
    }
  }

  /** The signature on `child` by `issuer`, then revocation of `child` from the supplied CRLs. */
  async #checkLink(child: ParsedCertificate, childRole: Role, issuer: Node): Promise<void> {
    const scheme = schemeFor(child.signatureAlgorithm, issuer.cert.keyKind);
    if (typeof scheme === 'string' || !this.#v.certSchemes().has(scheme)) {
      throw fail('CERT_UNSUPPORTED_SIGNATURE_ALGORITHM', 'unsupported_certificate', child, childRole,
        `is signed with ${typeof scheme === 'string' ? scheme : `scheme 0x${scheme.toString(16).padStart(4, '0')}`}, which the crypto provider cannot verify`, 'RFC 8446 §4.2.3', 'the peer needs a chain signed with ECDSA, RSA-PSS, RSA PKCS#1 (SHA-256/384/512) or Ed25519');
    }
    this.#spend(child);
    const ok = await this.#v.verifySignature(issuer.cert.spki, scheme, child.tbs, child.signature, () => `the signature on ${describe(child, childRole)} by ${describe(issuer.cert, issuer.role)}`);
    if (!ok) {
      throw fail('CERT_BAD_SIGNATURE', 'bad_certificate', child, childRole, `has a signature that does not verify with the key of ${describe(issuer.cert, issuer.role)}`, 'RFC 5280 §6.1.3 (a)(1)', 'the certificate was altered or the wrong issuer certificate was sent');
    }
    if (this.#v.crls !== undefined) await this.#checkRevocation(child, childRole, issuer);
  }

  /** RFC 5280 §6.3 for the CRLs the application supplied: the CRL must name the certificate's issuer,
   *  be signed by the issuer's key (which must allow cRLSign), be current, carry a CRL number and no
   *  unprocessed critical extension. Without any CRL for the issuer, nothing is checked. */
  async #checkRevocation(child: ParsedCertificate, childRole: Role, issuer: Node): Promise<void> {
    const set = this.#v.crls!;
    const mine: ParsedCrl[] = [];
    for (const crl of set.forIssuer(child.issuerDer)) {
      let verdicts = set.verdicts.get(crl);
      if (verdicts === undefined) { verdicts = new Map(); set.verdicts.set(crl, verdicts); }
      const key = hex(issuer.cert.spki);
      let ok = verdicts.get(key);
      if (ok === undefined) {
        const scheme = schemeFor(crl.signatureAlgorithm, issuer.cert.keyKind);
        if (typeof scheme === 'string' || !this.#v.certSchemes().has(scheme)) ok = false;
        else {
          this.#spend(child);
          ok = await this.#v.verifySignature(issuer.cert.spki, scheme, crl.tbs, crl.signature, () => `the signature on CRL ${crl.index} ("${crl.issuer}")`);
        }
        verdicts.set(key, ok);
      }
      if (ok) mine.push(crl); // a CRL with the same issuer name but another key belongs to another CA
    }
    if (mine.length === 0) return;
    const where = { index: childRole === 'trust anchor' ? undefined : child.index, subject: child.subject, rule: 'RFC 5280 §6.3' };
    if (issuer.cert.keyUsage !== undefined && (issuer.cert.keyUsage & KU_CRL_SIGN) === 0) {
      throw new CertificateError('CERT_REVOCATION_UNKNOWN', 'certificate_unknown', `the CRL for ${describe(child, childRole)} is signed by ${describe(issuer.cert, issuer.role)}, whose keyUsage lacks cRLSign (RFC 5280 §6.3.3 (f)); supply a CRL the CA is allowed to sign`, where);
    }
    const usable = mine.filter((c) => c.unusable === undefined && c.thisUpdate <= this.#now && (c.nextUpdate === undefined || this.#now <= c.nextUpdate));
    if (usable.length === 0) {
      const c = mine[0]!;
      const why = c.unusable ?? (c.thisUpdate > this.#now ? `it is not valid before ${iso(c.thisUpdate)}` : `it expired at ${iso(c.nextUpdate!)} (nextUpdate)`);
      throw new CertificateError('CERT_REVOCATION_UNKNOWN', 'certificate_unknown', `the revocation status of ${describe(child, childRole)} is unknown: CRL ${c.index} from "${c.issuer}" cannot be used because ${why}; supply a current, complete CRL from that CA (or none)`, where);
    }
    // The newest CRL decides (highest cRLNumber).
    const newest = usable.reduce((a, b) => (b.crlNumber! > a.crlNumber! ? b : a));
    if (newest.revoked.has(hex(child.serial))) {
      throw new CertificateError('CERT_REVOKED', 'certificate_revoked', `${describe(child, childRole)} (serial 0x${hex(child.serial)}) is revoked by CRL ${newest.index} (number ${newest.crlNumber}) from "${newest.issuer}"; the peer must obtain a new certificate`, where);
    }
  }
}

function dnsWithin(name: string, base: string): boolean {
  if (base === '') return true;
  if (base.startsWith('.')) return name.endsWith(base);
  return name === base || name.endsWith(`.${base}`);
}

function stripDot(base: string): string {
  return base.startsWith('.') ? base.slice(1) : base;
}

/** Is every name the wildcard `*.rest` matches (one label + rest) inside the subtree `base`? */
function wildcardInside(rest: string, base: string): boolean {
  return base === '' || dnsWithin(rest, stripDot(base));
}

/** Does some name the wildcard `*.rest` matches fall inside the subtree `base`? A base strictly below
 *  `rest` counts (x.rest is matched by the wildcard itself; deeper bases are refused too, conservatively). */
function wildcardTouches(rest: string, base: string): boolean {
  const b = stripDot(base);
  return base === '' || dnsWithin(rest, b) || b.endsWith(`.${rest}`);
}

function ipWithin(ip: Uint8Array, t: { address: Uint8Array; mask: Uint8Array }): boolean {
  if (ip.length !== t.address.length) return false;
  for (let i = 0; i < ip.length; i++) if ((ip[i]! & t.mask[i]!) !== (t.address[i]! & t.mask[i]!)) return false;
  return true;
}

/** RFC 5280 §4.2.1.10 / §6.1.3 (b)(c) for the forms that identify TLS peers (dNSName, iPAddress): every SAN of
 *  every certificate below the constrained CA (intermediate or trust anchor) must be inside its permitted subtrees
 *  of that form (when it has any) and outside every excluded one. A wildcard "*.example.com" is outside an
 *  excluded subtree only when no name it matches is inside it (the CVE-2025-61727 pattern), and inside a
 *  permitted one only when every name it matches is. A CA using forms this verifier does not enforce is refused. */
function checkNameConstraints(ca: ParsedCertificate, role: Role, below: readonly Node[]): CertificateError | undefined {
  const nc: NameConstraints | undefined = ca.nameConstraints;
  if (nc === undefined) return undefined;
  const rule = 'RFC 5280 §4.2.1.10';
  if (nc.unsupported.length > 0) {
    return fail('CERT_NAME_CONSTRAINTS', 'bad_certificate', ca, role, `has nameConstraints of forms this verifier does not enforce (${[...new Set(nc.unsupported)].join(', ')}); it is refused rather than trusted without them`, rule, 'use a CA constrained only by dNSName/iPAddress subtrees');
  }
  const permittedDns = nc.permitted.filter((t) => t.kind === 'dns') as { kind: 'dns'; name: string }[];
  const excludedDns = nc.excluded.filter((t) => t.kind === 'dns') as { kind: 'dns'; name: string }[];
  const permittedIp = nc.permitted.filter((t) => t.kind === 'ip') as { kind: 'ip'; address: Uint8Array; mask: Uint8Array }[];
  const excludedIp = nc.excluded.filter((t) => t.kind === 'ip') as { kind: 'ip'; address: Uint8Array; mask: Uint8Array }[];
  for (let j = 0; j < below.length; j++) {
    const { cert: c, role: cRole } = below[j]!;
    // Self-issued intermediates are exempt (RFC 5280 §6.1.4 (b) applies constraints to the leaf and to non-self-issued CAs).
    if (cRole === 'intermediate' && bytesEqual(c.subjectDer, c.issuerDer)) continue;
    const bad = (what: string, why: string): CertificateError => new CertificateError('CERT_NAME_CONSTRAINTS', 'bad_certificate',
      `${describe(c, cRole)} names ${what}, which ${describe(ca, role)} may not certify: ${why} (${rule}); the peer needs a certificate within the CA's constraints`,
      { index: c.index, subject: c.subject, rule });
    for (const raw of c.dnsNames) {
      const d = raw.toLowerCase();
      if (!validSanDns(d)) return bad(`DNS:${raw}`, 'it is not a valid DNS name, so it cannot be checked against the constraints');
      if (d.startsWith('*.')) {
        const rest = d.slice(2);
        if (permittedDns.length > 0 && !permittedDns.some((t) => wildcardInside(rest, t.name))) {
          return bad(`DNS:${raw}`, `the wildcard can match names outside its permitted subtrees [${permittedDns.map((t) => t.name).join(', ')}]`);
        }
        const hit = excludedDns.find((t) => wildcardTouches(rest, t.name));
        if (hit) return bad(`DNS:${raw}`, `the wildcard can match names in its excluded subtree "${hit.name}"`);
      } else {
        if (permittedDns.length > 0 && !permittedDns.some((t) => dnsWithin(d, t.name))) return bad(`DNS:${raw}`, `it is outside the permitted subtrees [${permittedDns.map((t) => t.name).join(', ')}]`);
        const hit = excludedDns.find((t) => dnsWithin(d, t.name));
        if (hit) return bad(`DNS:${raw}`, `it is inside the excluded subtree "${hit.name}"`);
      }
    }
    for (const ip of c.ipAddresses) {
      if (ip.length !== 4 && ip.length !== 16) return bad(`an iPAddress of ${ip.length} bytes`, 'an IP address is 4 or 16 bytes');
      if (permittedIp.length > 0 && !permittedIp.some((t) => ipWithin(ip, t))) return bad(`IP:${ipText(ip)}`, 'it is outside the permitted address ranges');
      if (excludedIp.some((t) => ipWithin(ip, t))) return bad(`IP:${ipText(ip)}`, 'it is inside an excluded address range');
    }
  }
  return undefined;
}

function ipText(ip: Uint8Array): string {
  if (ip.length === 4) return Array.from(ip).join('.');
  if (ip.length !== 16) return `0x${hex(ip)}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return groups.join(':');
}

/** One-shot convenience: verify one chain (anchors given as input objects are parsed once and cached by TrustStore.of). */
export async function verifyCertificateChain(options: VerifierOptions & VerifyRequest): Promise<VerifiedChain> {
  return new CertificateVerifier(options).verify(options);
}
