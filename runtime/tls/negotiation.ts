// Negotiation helpers shared by client and server: supported sets (config ∩ provider ∩ modern TLS 1.3),
// certificate verification (runtime/x509, or the expert hook), CertificateVerify content.
import { cipherSuiteParams, type CryptoProvider } from '../crypto/provider.ts';
import { CERTIFICATE_ONLY_SCHEMES } from '../crypto/provider.ts';
import { CertificateVerifier, CertificateConfigError, TrustStore, CrlSet, pemBlocks } from '../x509/index.ts';
import type { CertificateInput, ExpertOptions } from './config.ts';
import { asProtosmithError, TlsConfigError, TlsPeerError } from './errors.ts';
import { bytesEqual, concat, enc } from './bytes.ts';

export const MODERN_SUITES: readonly number[] = [0x1301, 0x1302, 0x1303];
export const MODERN_GROUPS: readonly number[] = [0x001d, 0x0017, 0x0018];
export const MODERN_SCHEMES: readonly number[] = [0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0807];

export function pick(what: string, requested: readonly number[] | undefined, modern: readonly number[], provider: readonly number[]): number[] {
  const req = requested ?? modern;
  for (const x of req) {
    if (!modern.includes(x)) throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `${what} 0x${x.toString(16).padStart(4, '0')} is not in the modern TLS 1.3 set protosmith allows (${modern.map((m) => '0x' + m.toString(16).padStart(4, '0')).join(', ')})`);
  }
  const out = req.filter((x) => provider.includes(x));
  if (out.length === 0) throw new TlsConfigError('TLS_CONFIG_UNSUPPORTED', `none of the configured ${what}s is supported by the crypto provider`);
  return out;
}

export function suiteParams(id: number) {
  const p = cipherSuiteParams(id);
  if (!p) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `cipher suite 0x${id.toString(16)} is not a TLS 1.3 suite`);
  return p;
}

/** DER lists already made, by the config array they came from (a config shared by many connections
 *  is decoded once); the entries are kept to notice an array changed since. */
const derLists = new WeakMap<readonly CertificateInput[], { entries: CertificateInput[]; der: Uint8Array[] }>();

/** PEM or DER inputs to a DER list (PEM text may hold several certificates). */
export function toDerList(inputs: readonly CertificateInput[], what: string): Uint8Array[] {
  const seen = Array.isArray(inputs) ? derLists.get(inputs) : undefined;
  if (seen && seen.entries.length === inputs.length && seen.entries.every((e, i) => e === inputs[i])) return seen.der;
  const der = decodeDerList(inputs, what);
  Object.freeze(der); // shared by every connection of the config: never changed in place
  if (Array.isArray(inputs)) derLists.set(inputs, { entries: [...inputs], der });
  return der;
}

function decodeDerList(inputs: readonly CertificateInput[], what: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [entry, x] of inputs.entries()) {
    if (x instanceof Uint8Array) { out.push(x); continue; }
    if (typeof x !== 'string') throw new TlsConfigError('TLS_CONFIG_INVALID', `${what}[${entry}] must be PEM text or DER bytes`);
    let blocks: Uint8Array[];
    try { blocks = pemBlocks(x, 'CERTIFICATE'); } catch (e) {
      throw new TlsConfigError('TLS_CONFIG_INVALID', `${what}[${entry}]: ${(e as Error).message}; re-export the certificate`, { cause: e });
    }
    out.push(...blocks);
    if (blocks.length === 0) {
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(x)) throw new TlsConfigError('TLS_CONFIG_INVALID', `${what}[${entry}] holds a private key, not a certificate; the key goes in signingKey`);
      throw new TlsConfigError('TLS_CONFIG_INVALID', `${what}[${entry}] holds no "-----BEGIN CERTIFICATE-----" block (pass PEM text, not a file path)`);
    }
  }
  return out;
}

export interface PeerChainCheck {
  readonly crypto: CryptoProvider;
  readonly chain: readonly Uint8Array[];
  readonly role: 'client' | 'server'; // who is verifying
  readonly serverName: string | undefined;
  readonly now: number;
  /** Built once per connection by peerVerifier(config); its TrustStore/CrlSet are shared per config. */
  readonly verifier: CertificateVerifier | undefined;
  readonly expert: ExpertOptions | undefined;
}

/** The verifier for a config's trustAnchors and crls: parsed once per config (TrustStore.of/CrlSet.of cache
 *  by the identity of the config's arrays), so connections sharing a config share the parsed anchors. */
export function peerVerifier(config: { readonly crypto: CryptoProvider; readonly trustAnchors?: readonly CertificateInput[] | TrustStore | undefined; readonly crls?: readonly CertificateInput[] | CrlSet | undefined }): CertificateVerifier | undefined {
  if (config.trustAnchors === undefined || config.trustAnchors.length === 0) return undefined;
  try {
    return new CertificateVerifier({ crypto: config.crypto, trustAnchors: config.trustAnchors, crls: config.crls });
  } catch (e) {
    if (e instanceof CertificateConfigError) throw new TlsConfigError('TLS_CONFIG_INVALID', `${e.code === 'CERT_BAD_CRL' ? 'crls' : 'trustAnchors'}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Verify the peer's chain; returns the leaf SPKI. Errors keep runtime/x509's codes and alerts. */
export async function verifyPeerChain(c: PeerChainCheck): Promise<Uint8Array> {
  try {
    if (c.expert?.dangerouslyVerifyPeer) {
      const r = await c.expert.dangerouslyVerifyPeer({ chain: c.chain, serverName: c.serverName, role: c.role, now: c.now });
      return r.leafSpki;
    }
    if (!c.verifier) throw new TlsConfigError('TLS_CONFIG_MISSING', `trustAnchors are required to verify the ${c.role === 'client' ? 'server' : 'client'} certificate; verification cannot be disabled`);
    const r = await c.verifier.verify({
      chain: c.chain, now: c.now, purpose: c.role === 'client' ? 'serverAuth' : 'clientAuth', serverName: c.serverName,
    });
    return r.leafSpki;
  } catch (e) {
    throw asProtosmithError(e, `verifying the ${c.role === 'client' ? 'server' : 'client'} certificate chain`);
  }
}

/** RFC 8446 §4.4.3: 64 spaces, context string, 0, transcript hash. */
export function certificateVerifyContent(server: boolean, transcriptHash: Uint8Array): Uint8Array {
  const prefix = server ? CV_SERVER_PREFIX : CV_CLIENT_PREFIX;
  const out = new Uint8Array(prefix.length + transcriptHash.length);
  out.set(prefix, 0);
  out.set(transcriptHash, prefix.length);
  return out;
}

/** What the CertificateVerify signature covers before the transcript hash (RFC 8446 §4.4.3): 64 spaces, the
 *  context string, one 0 byte. Made once. */
const cvPrefix = (context: string): Uint8Array => concat(new Uint8Array(64).fill(0x20), enc(context), Uint8Array.of(0));
const CV_SERVER_PREFIX = cvPrefix('TLS 1.3, server CertificateVerify');
const CV_CLIENT_PREFIX = cvPrefix('TLS 1.3, client CertificateVerify');

export async function checkCertificateVerify(crypto: CryptoProvider, spki: Uint8Array, scheme: number, offered: readonly number[], signature: Uint8Array, content: Uint8Array, who: string): Promise<void> {
  if (CERTIFICATE_ONLY_SCHEMES.includes(scheme) || !offered.includes(scheme)) {
    throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `${who} CertificateVerify uses signature scheme 0x${scheme.toString(16)}, which was not offered in signature_algorithms (RFC 8446 §4.4.3)`);
  }
  let ok: boolean;
  try {
    ok = await crypto.verify(spki, scheme, content, signature);
  } catch (e) {
    throw asProtosmithError(e, `${who} CertificateVerify`);
  }
  if (!ok) throw new TlsPeerError('TLS_BAD_SIGNATURE', 'decrypt_error', `${who} CertificateVerify signature (scheme 0x${scheme.toString(16)}) does not verify with the certificate's key: the peer does not hold the private key, or the transcript differs`);
}

/** Finished.verify_data (RFC 8446 §4.4.4): a length other than Hash.length is a malformed message
 *  (decode_error, §6), a wrong value a failed check (decrypt_error). */
export function checkFinished(received: Uint8Array, expected: Uint8Array, who: 'client' | 'server'): void {
  if (received.length !== expected.length) throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', `${who} Finished carries ${received.length} bytes of verify_data; the negotiated hash makes it exactly ${expected.length} (RFC 8446 §4.4.4)`);
  if (!bytesEqual(received, expected)) throw new TlsPeerError('TLS_BAD_FINISHED', 'decrypt_error', `${who} Finished verify_data does not match the transcript (RFC 8446 §4.4.4): the handshake was tampered with or the keys differ`);
}
