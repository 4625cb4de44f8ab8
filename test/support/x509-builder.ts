// A small X.509 certificate and CRL maker for tests that need exact control over every field (serial
// zero, empty subject, critical AKI, explicit EC parameters, P-192/DSA keys, malformed nameConstraints):
// a DER encoder of a dozen lines plus node:crypto for keys and signatures. test/x509/builder.test.ts
// checks that `openssl verify` and `openssl crl -verify` accept what it makes, so the rule tests that
// use it exercise real, well-formed certificates that differ from a good one in one field only.
import { generateKeyPairSync, createPrivateKey, sign as nodeSign, createHash, randomBytes, type KeyObject } from 'node:crypto';

// --- DER --------------------------------------------------------------------------------------------

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) out.unshift(x & 0xff);
  return [0x80 | out.length, ...out];
}
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...len(body.length)]), body]));
}
export const seq = (...p: Uint8Array[]): Uint8Array => tlv(0x30, ...p);
export const set = (...p: Uint8Array[]): Uint8Array => tlv(0x31, ...p);
export const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
export const bool = (v: boolean): Uint8Array => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
export const explicit = (n: number, ...p: Uint8Array[]): Uint8Array => tlv(0xa0 + n, ...p);
export const nul = (): Uint8Array => Uint8Array.of(5, 0);
export function intBytes(b: Uint8Array): Uint8Array { return tlv(0x02, b); }
export function int(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  const out: number[] = [];
  do { out.unshift(Number(v & 0xffn)); v >>= 8n; } while (v > 0n);
  if (out[0]! & 0x80) out.unshift(0);
  return tlv(0x02, Uint8Array.from(out));
}
export function oid(s: string): Uint8Array {
  const p = s.split('.').map(Number);
  const out = [40 * p[0]! + p[1]!];
  for (const n of p.slice(2)) {
    const b: number[] = [n & 0x7f];
    for (let x = Math.floor(n / 128); x > 0; x = Math.floor(x / 128)) b.unshift(0x80 | (x & 0x7f));
    out.push(...b);
  }
  return tlv(0x06, Uint8Array.from(out));
}
export const bitString = (b: Uint8Array, unused = 0): Uint8Array => tlv(0x03, Uint8Array.of(unused), b);
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export function time(d: Date): Uint8Array {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, ascii(iso.slice(2))) : tlv(0x18, ascii(iso));
}
/** Name with one CN attribute per entry (in order); [] gives the empty Name (30 00). */
export function name(...cns: string[]): Uint8Array {
  return seq(...cns.map((cn) => set(seq(oid('2.5.4.3'), tlv(0x0c, new Uint8Array(Buffer.from(cn, 'utf8')))))));
}

// --- GeneralNames ------------------------------------------------------------------------------------

export type GeneralName = { dns: string } | { ip: Uint8Array } | { dirName: Uint8Array } | { email: string };
export function generalName(g: GeneralName): Uint8Array {
  if ('dns' in g) return tlv(0x82, ascii(g.dns));
  if ('ip' in g) return tlv(0x87, g.ip);
  if ('email' in g) return tlv(0x81, ascii(g.email));
  return tlv(0xa4, g.dirName);
}
export const ipv4 = (...b: number[]): Uint8Array => Uint8Array.from(b);

// --- Keys -------------------------------------------------------------------------------------------

export type KeyType = 'p256' | 'p384' | 'p192' | 'ed25519' | 'dsa' | 'p256-explicit' | { rsa: number };
export interface TestKey { readonly type: KeyType; readonly privateKey: KeyObject; readonly spki: Uint8Array }

const keyCache = new Map<string, TestKey>();
/** A fresh key, or a cached one when `reuse` names it (RSA generation is slow). */
export function makeKey(type: KeyType = 'p256', reuse?: string): TestKey {
  const cacheKey = reuse === undefined ? undefined : `${JSON.stringify(type)}/${reuse}`;
  if (cacheKey !== undefined && keyCache.has(cacheKey)) return keyCache.get(cacheKey)!;
  let kp: { privateKey: KeyObject; publicKey?: KeyObject };
  let spki: Uint8Array;
  if (type === 'p256-explicit') kp = { privateKey: createPrivateKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' })) };
  else if (typeof type === 'object') kp = generateKeyPairSync('rsa', { modulusLength: type.rsa });
  else if (type === 'ed25519') kp = generateKeyPairSync('ed25519');
  else if (type === 'dsa') kp = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
  else kp = generateKeyPairSync('ec', { namedCurve: type === 'p384' ? 'secp384r1' : type === 'p192' ? 'prime192v1' : 'prime256v1' });
  if (type === 'p256-explicit') {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1', paramEncoding: 'explicit', publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    kp = { privateKey: createPrivateKey(pair.privateKey) };
    spki = new Uint8Array(pair.publicKey);
  } else {
    spki = new Uint8Array(kp.publicKey!.export({ type: 'spki', format: 'der' }));
  }
  const k = { type, privateKey: kp.privateKey, spki };
  if (cacheKey !== undefined) keyCache.set(cacheKey, k);
  return k;
}

function sigAlgFor(k: TestKey): { alg: Uint8Array; hash: string | null } {
  if (typeof k.type === 'object') return { alg: seq(oid('1.2.840.113549.1.1.11'), nul()), hash: 'sha256' };
  if (k.type === 'ed25519') return { alg: seq(oid('1.3.101.112')), hash: null };
  if (k.type === 'dsa') return { alg: seq(oid('2.16.840.1.101.3.4.3.2')), hash: 'sha256' };
  if (k.type === 'p384') return { alg: seq(oid('1.2.840.10045.4.3.3')), hash: 'sha384' };
  return { alg: seq(oid('1.2.840.10045.4.3.2')), hash: 'sha256' };
}

function signWith(k: TestKey, data: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(sigAlgFor(k).hash, data, k.privateKey));
}

// --- Certificates ------------------------------------------------------------------------------------

export interface Extension { readonly oid: string; readonly critical?: boolean; readonly value: Uint8Array }

export interface CertSpec {
  /** Subject CN(s); [] for an empty subject. Default ['test']. */
  readonly subject?: readonly string[];
  /** The issuing certificate, or undefined for self-signed. */
  readonly issuer?: TestCert;
  readonly key?: TestKey;
  /** serialNumber contents octets (default 8 random positive bytes). */
  readonly serial?: Uint8Array;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** basicConstraints: true / { pathLen } for a CA, false for CA:FALSE, undefined to omit. */
  readonly ca?: boolean | { pathLen: number };
  readonly bcCritical?: boolean;
  /** keyUsage bit numbers (0 digitalSignature, 5 keyCertSign, 6 cRLSign); undefined to omit. */
  readonly keyUsage?: readonly number[];
  readonly eku?: readonly string[];
  readonly ekuCritical?: boolean;
  readonly san?: readonly GeneralName[];
  readonly sanCritical?: boolean;
  /** Raw nameConstraints extnValue, or subtrees to encode. */
  readonly nameConstraints?: Uint8Array | { permitted?: readonly GeneralName[]; excluded?: readonly GeneralName[] };
  /** 'omit' | 'critical' | default (non-critical). */
  readonly ski?: 'omit' | 'critical';
  readonly aki?: 'omit' | 'critical';
  /** Issuer name CN(s), overriding the issuer's subject (for malformed cases; [] = empty issuer). */
  readonly issuerName?: readonly string[];
  /** subjectKeyIdentifier value (default: SHA-1 of the SPKI). */
  readonly keyId?: Uint8Array;
  readonly extra?: readonly Extension[];
}

export interface TestCert {
  readonly der: Uint8Array;
  readonly key: TestKey;
  readonly subjectDer: Uint8Array;
  readonly serial: Uint8Array;
  readonly keyId: Uint8Array;
  readonly pem: string;
}

export const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2', any: '2.5.29.37.0' } as const;
const DAY = 86400_000;

function keyUsageBits(bits: readonly number[]): Uint8Array {
  const max = Math.max(...bits);
  const bytes = new Uint8Array(max < 8 ? 1 : 2);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  let unused = 0;
  const last = bytes[bytes.length - 1]!;
  while (unused < 7 && (last & (1 << unused)) === 0) unused++;
  return bitString(bytes, unused);
}

function subtrees(list: readonly GeneralName[]): Uint8Array {
  const parts = list.map((g) => seq(generalName(g)));
  return Buffer.concat(parts);
}

export function encodeNameConstraints(nc: { permitted?: readonly GeneralName[]; excluded?: readonly GeneralName[] }): Uint8Array {
  const parts: Uint8Array[] = [];
  if (nc.permitted) parts.push(tlv(0xa0, subtrees(nc.permitted)));
  if (nc.excluded) parts.push(tlv(0xa1, subtrees(nc.excluded)));
  return seq(...parts);
}

function pem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

/** Makes one certificate; defaults give a valid ECDSA P-256 certificate (leaf unless `ca`). */
export function makeCert(spec: CertSpec = {}): TestCert {
  const key = spec.key ?? makeKey('p256');
  const subjectDer = name(...(spec.subject ?? ['test']));
  const issuerCert = spec.issuer;
  const issuerKey = issuerCert?.key ?? key;
  const issuerName = spec.issuerName !== undefined ? name(...spec.issuerName) : issuerCert?.subjectDer ?? subjectDer;
  const keyId = spec.keyId ?? new Uint8Array(createHash('sha1').update(key.spki).digest());
  const serial = spec.serial ?? (() => { const b = randomBytes(8); b[0]! &= 0x7f; b[0]! |= 0x10; return new Uint8Array(b); })();
  const now = Date.now();
  const exts: Extension[] = [];
  if (spec.ca !== undefined) {
    const inner = spec.ca === false ? [] : [bool(true), ...(typeof spec.ca === 'object' ? [int(spec.ca.pathLen)] : [])];
    exts.push({ oid: '2.5.29.19', critical: spec.bcCritical ?? true, value: seq(...inner) });
  }
  if (spec.keyUsage !== undefined) exts.push({ oid: '2.5.29.15', critical: true, value: keyUsageBits(spec.keyUsage) });
  if (spec.eku !== undefined) exts.push({ oid: '2.5.29.37', critical: spec.ekuCritical ?? false, value: seq(...spec.eku.map(oid)) });
  if (spec.san !== undefined) exts.push({ oid: '2.5.29.17', critical: spec.sanCritical ?? false, value: seq(...spec.san.map(generalName)) });
  if (spec.nameConstraints !== undefined) {
    exts.push({ oid: '2.5.29.30', critical: true, value: spec.nameConstraints instanceof Uint8Array ? spec.nameConstraints : encodeNameConstraints(spec.nameConstraints) });
  }
  if (spec.ski !== 'omit') exts.push({ oid: '2.5.29.14', critical: spec.ski === 'critical', value: octets(keyId) });
  if (spec.aki !== 'omit' && issuerCert !== undefined) exts.push({ oid: '2.5.29.35', critical: spec.aki === 'critical', value: seq(tlv(0x80, issuerCert.keyId)) });
  exts.push(...(spec.extra ?? []));
  const { alg } = sigAlgFor(issuerKey);
  const tbs = seq(
    explicit(0, int(2)), intBytes(serial), alg, issuerName,
    seq(time(spec.notBefore ?? new Date(now - DAY)), time(spec.notAfter ?? new Date(now + 30 * DAY))),
    subjectDer, key.spki,
    ...(exts.length > 0 ? [explicit(3, seq(...exts.map((e) => seq(oid(e.oid), ...(e.critical ? [bool(true)] : []), octets(e.value)))))] : []),
  );
  const der = seq(tbs, alg, bitString(signWith(issuerKey, tbs)));
  return { der, key, subjectDer, serial, keyId, pem: pem('CERTIFICATE', der) };
}

/** A root CA (self-signed, CA:TRUE, keyCertSign+cRLSign, SKI). */
export function makeRoot(spec: CertSpec = {}): TestCert {
  return makeCert({ subject: ['Test Root'], ca: true, keyUsage: [5, 6], ...spec });
}
/** An intermediate CA under `issuer`. */
export function makeIntermediate(issuer: TestCert, spec: CertSpec = {}): TestCert {
  return makeCert({ subject: ['Test Intermediate'], issuer, ca: true, keyUsage: [5, 6], ...spec });
}
/** A TLS server leaf for `dns` under `issuer` (CA:FALSE, digitalSignature, serverAuth, SAN). */
export function makeLeaf(issuer: TestCert, spec: CertSpec = {}, dns = 'www.example.com'): TestCert {
  return makeCert({ subject: ['leaf'], issuer, ca: false, keyUsage: [0], eku: [EKU.serverAuth], san: [{ dns }], ...spec });
}

// --- CRLs -------------------------------------------------------------------------------------------

export interface CrlSpec {
  readonly issuer: TestCert;
  /** Key that signs (default: the issuer's). */
  readonly signer?: TestKey;
  readonly revoked?: readonly Uint8Array[];
  readonly thisUpdate?: Date;
  /** null: omit nextUpdate. */
  readonly nextUpdate?: Date | null;
  /** null: omit the cRLNumber extension. */
  readonly crlNumber?: number | null;
  readonly extra?: readonly Extension[];
  readonly entryExtensions?: readonly Extension[];
}

export function makeCrl(spec: CrlSpec): { der: Uint8Array; pem: string } {
  const now = Date.now();
  const signer = spec.signer ?? spec.issuer.key;
  const { alg } = sigAlgFor(signer);
  const entryExt = spec.entryExtensions && spec.entryExtensions.length > 0
    ? [seq(...spec.entryExtensions.map((e) => seq(oid(e.oid), ...(e.critical ? [bool(true)] : []), octets(e.value))))] : [];
  const revoked = (spec.revoked ?? []).map((s) => seq(intBytes(s), time(new Date(now - DAY)), ...entryExt));
  const exts: Extension[] = [];
  if (spec.crlNumber !== null) exts.push({ oid: '2.5.29.20', value: int(spec.crlNumber ?? 1) });
  exts.push({ oid: '2.5.29.35', value: seq(tlv(0x80, spec.issuer.keyId)) });
  exts.push(...(spec.extra ?? []));
  const tbs = seq(
    int(1), alg, spec.issuer.subjectDer, time(spec.thisUpdate ?? new Date(now - DAY)),
    ...(spec.nextUpdate === null ? [] : [time(spec.nextUpdate ?? new Date(now + 7 * DAY))]),
    ...(revoked.length > 0 ? [seq(...revoked)] : []),
    explicit(0, seq(...exts.map((e) => seq(oid(e.oid), ...(e.critical ? [bool(true)] : []), octets(e.value))))),
  );
  const der = seq(tbs, alg, bitString(signWith(signer, tbs)));
  return { der, pem: pem('X509 CRL', der) };
}
