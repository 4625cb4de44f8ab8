// What `protosmith serve` and `protosmith connect` share: option parsing, choosing a crypto provider,
// loading a private key from a PEM file or a `pkcs11:` URI, and describing a finished handshake.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { CryptoProvider, SigningKey } from '../crypto/provider.ts';
import type { HandshakeCompleteEvent } from '../tls/index.ts';

/** A command-line mistake: reported as `protosmith <cmd>: <message>` with exit code 2. */
export class UsageError extends Error {
  readonly code = 'CLI_USAGE';
  readonly blame = 'config';
}

export type ProviderName = 'node' | 'native' | 'webcrypto' | 'noble';
export const PROVIDERS: readonly ProviderName[] = ['node', 'native', 'webcrypto', 'noble'];

export async function providerByName(name: string): Promise<CryptoProvider> {
  switch (name) {
    case 'node': return (await import('../crypto/node/index.ts')).createNodeProvider();
    case 'native': return (await import('../crypto/native/index.ts')).createNativeProvider();
    case 'webcrypto': return (await import('../crypto/webcrypto/index.ts')).createWebCryptoProvider();
    case 'noble': return (await import('../crypto/noble/index.ts')).createNobleProvider();
    default: throw new UsageError(`unknown --provider "${name}"; use one of ${PROVIDERS.join(', ')}`);
  }
}

/** A private key from a PEM file, as a SigningKey of the chosen provider's kind. */
export async function signingKeyFromPem(provider: ProviderName, path: string): Promise<SigningKey> {
  let pem: string;
  try { pem = readFileSync(path, 'utf8'); } catch (e) { throw new UsageError(`cannot read the key file ${path}: ${(e as Error).message}`); }
  return signingKeyFromPemText(provider, pem, path);
}

/** A PEM private key (text) as a SigningKey of the provider's own kind; `what` names it in errors. */
export async function signingKeyFromPemText(provider: ProviderName, pem: string, what = 'the key'): Promise<SigningKey> {
  // The native provider is the node provider but for its record AEADs and HMAC: node:crypto keys.
  if (provider === 'node' || provider === 'native') return (await import('../crypto/node/index.ts')).nodeSigningKey(pem);
  if (provider === 'webcrypto') return (await import('../crypto/webcrypto/index.ts')).webCryptoSigningKey(pem);
  // noble takes the raw scalar / seed; node:crypto only reads the PEM here (the CLI runs on Node).
  const { nobleSigningKey } = await import('../crypto/noble/index.ts');
  const { SignatureScheme } = await import('../crypto/provider.ts');
  let jwk: { kty?: string; crv?: string; d?: string };
  try { jwk = createPrivateKey(pem).export({ format: 'jwk' }) as typeof jwk; } catch (e) { throw new UsageError(`${what} is not a PEM private key: ${(e as Error).message}`); }
  const d = Buffer.from(jwk.d ?? '', 'base64url');
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return nobleSigningKey(SignatureScheme.ecdsa_secp256r1_sha256, d);
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return nobleSigningKey(SignatureScheme.ecdsa_secp384r1_sha384, d);
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return nobleSigningKey(SignatureScheme.ed25519, d);
  throw new UsageError(`the noble provider signs with P-256, P-384 or Ed25519 keys only, and ${what} is ${jwk.kty ?? 'unknown'}${jwk.crv ? ` ${jwk.crv}` : ''}; use --provider node`);
}

export interface LoadedKey {
  readonly crypto: CryptoProvider;
  readonly signingKey: SigningKey;
  /** Where the key is, for the startup line. */
  readonly where: string;
  close(): Promise<void>;
}

/** The provider and signing key for `--key` (a PEM file or a pkcs11: URI, whose PIN may come from PROTOSMITH_PKCS11_PIN). */
export async function loadKey(provider: ProviderName, key: string, certPem: string | undefined): Promise<LoadedKey> {
  const base = await providerByName(provider);
  if (/^pkcs11:/i.test(key)) {
    const { openPkcs11Uri } = await import('../crypto/pkcs11/index.ts');
    const hsm = await openPkcs11Uri(key, { base });
    if (certPem !== undefined && hsm.key.publicKeySpki !== undefined && !certMatches(certPem, hsm.key.publicKeySpki)) {
      await hsm.close();
      throw new UsageError(`the certificate's public key is not the public half of the ${hsm.key.description}; issue the certificate for that key`);
    }
    return { crypto: hsm.provider, signingKey: hsm.key, where: hsm.key.description, close: () => hsm.close() };
  }
  return { crypto: base, signingKey: await signingKeyFromPem(provider, key), where: key, close: async () => { /* nothing held */ } };
}

function certMatches(chainPem: string, spki: Uint8Array): boolean {
  try {
    const leaf = new X509Certificate(chainPem);
    return Buffer.from(leaf.publicKey.export({ format: 'der', type: 'spki' })).equals(Buffer.from(spki));
  } catch {
    return true; // an unreadable certificate is reported by the engine with its own typed error
  }
}

export function readText(path: string, what: string): string {
  try { return readFileSync(path, 'utf8'); } catch (e) { throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`); }
}

const SUITES: Record<number, string> = { 0x1301: 'TLS_AES_128_GCM_SHA256', 0x1302: 'TLS_AES_256_GCM_SHA384', 0x1303: 'TLS_CHACHA20_POLY1305_SHA256' };
const GROUPS: Record<number, string> = { 0x001d: 'x25519', 0x0017: 'secp256r1', 0x0018: 'secp384r1' };
const SCHEMES: Record<number, string> = {
  0x0403: 'ecdsa_secp256r1_sha256', 0x0503: 'ecdsa_secp384r1_sha384', 0x0804: 'rsa_pss_rsae_sha256', 0x0805: 'rsa_pss_rsae_sha384',
  0x0806: 'rsa_pss_rsae_sha512', 0x0807: 'ed25519', 0x0809: 'rsa_pss_pss_sha256', 0x080a: 'rsa_pss_pss_sha384', 0x080b: 'rsa_pss_pss_sha512',
};
const named = (t: Record<number, string>, v: number | undefined): string => v === undefined ? '-' : t[v] ?? `0x${v.toString(16).padStart(4, '0')}`;

/** The negotiated parameters, one `name: value` per line (what s_client prints in its summary). */
export function describeHandshake(h: HandshakeCompleteEvent): string[] {
  let subject = '-';
  const leaf = h.peerCertificates[0];
  if (leaf !== undefined) { try { subject = new X509Certificate(leaf).subject.replace(/\n/g, ', '); } catch { subject = '(unparsable)'; } }
  return [
    `Protocol: ${h.version}`, `Cipher: ${named(SUITES, h.cipherSuite)}`, `Group: ${named(GROUPS, h.group)}`,
    `Signature scheme: ${named(SCHEMES, h.signatureScheme)}`, `ALPN: ${h.alpn ?? '-'}`, `Server name: ${h.serverName ?? '-'}`,
    `Resumed: ${h.resumed}`, `Peer certificate: ${subject} (${h.peerCertificates.length} in chain)`,
  ];
}

/** Simple `--name value` / `--flag` parsing; unknown options are usage errors. */
export function parseArgs(args: string[], valued: readonly string[], flags: readonly string[]): { values: Map<string, string>; flags: Set<string>; positional: string[] } {
  const values = new Map<string, string>();
  const set = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const [name, inline] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), undefined];
      if (flags.includes(name)) { set.add(name); continue; }
      if (!valued.includes(name)) throw new UsageError(`unknown option --${name}`);
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      values.set(name, v);
    } else positional.push(a);
  }
  return { values, flags: set, positional };
}

export function errorLine(e: unknown): string {
  const x = e as { code?: unknown; message?: unknown };
  return `${typeof x.code === 'string' ? `[${x.code}] ` : ''}${String(x.message ?? e)}`;
}
