// Configuration of a TLS 1.3 connection (client or server). The engine is sans-IO: time, randomness
// and cryptography arrive here (via `now` and the CryptoProvider); nothing has a hidden global default.
// There is deliberately no switch to skip certificate or hostname verification. The only way to
// replace verification is the clearly named low-level hook `expert.dangerouslyVerifyPeer`.
import type { CryptoProvider, SigningKey } from '../crypto/provider.ts';
import type { Extension } from './messages.ts';
import { parseCertificate, type CertificateVerifier, type CrlSet, type ParsedCertificate, type TrustStore } from '../x509/index.ts';
import { children, single } from '../x509/der.ts';
import { parseStructure } from '../x509/certificate.ts';
import { TlsConfigError } from './errors.ts';
import { MODERN_GROUPS, MODERN_SCHEMES, MODERN_SUITES, peerVerifier, pick, toDerList } from './negotiation.ts';
import { bytesEqual, enc } from './bytes.ts';

export { CipherSuite, NamedGroup, SignatureScheme } from '../crypto/provider.ts';

/** A certificate, DER bytes or PEM text. */
export type CertificateInput = Uint8Array | string;

/** What a custom verifier receives. */
export interface PeerVerificationRequest {
  /** DER certificates as sent by the peer, leaf first. */
  readonly chain: readonly Uint8Array[];
  /** The name the client expects (client side), undefined on the server side. */
  readonly serverName: string | undefined;
  readonly role: 'client' | 'server';
  /** Milliseconds since the epoch, from config.now(). */
  readonly now: number;
}
/** Result: the leaf's SubjectPublicKeyInfo (DER), used to check CertificateVerify. */
export interface PeerVerificationResult { readonly leafSpki: Uint8Array }

/** Which message an extension list belongs to, for `expert.shapeExtensions`. */
export type ShapedMessage = 'client_hello' | 'server_hello' | 'hello_retry_request' | 'encrypted_extensions' | 'certificate_request' | 'new_session_ticket';

export interface ExpertOptions {
  /** LOW-LEVEL: rewrite the extension list the engine is about to send (add, drop, reorder), like
   *  Botan's tls_modify_extensions callback. Meant for reproducing other implementations' byte-exact
   *  traces (test/tls/rfc8448.test.ts). Negotiation is unchanged; only the bytes on the wire (and so
   *  the transcript) follow the hook. On the client, pre_shared_key is appended after the hook (it
   *  must stay last for the binder). `retry` is true for the second ClientHello / after an HRR. */
  readonly shapeExtensions?: (message: ShapedMessage, extensions: readonly Extension[], info: { readonly retry: boolean }) => Extension[];
  /** DANGEROUS: replaces the built-in chain and hostname verification entirely. The hook must
   *  throw (a ProtosmithError with an alert, ideally) to reject. CertificateVerify is still
   *  checked by the engine against the SPKI the hook returns. */
  readonly dangerouslyVerifyPeer?: (req: PeerVerificationRequest) => Promise<PeerVerificationResult>;
  /** DANGEROUS: accept our own RSA key below 2048 bits. Exists only to replay published traces whose
   *  keys are RSA-1024 (RFC 8448, test/tls/rfc8448.test.ts); never set it for a real peer. */
  readonly dangerouslyAllowWeakOwnKey?: boolean;
}

interface CommonConfig {
  /** Required: the only source of cryptography and randomness. */
  readonly crypto: CryptoProvider;
  /** Required: clock in milliseconds (certificate validity, ticket age). */
  readonly now: () => number;
  /** Preference order; defaults to all three suites the provider supports. */
  readonly cipherSuites?: readonly number[];
  /** Preference order for key exchange; defaults to x25519, secp256r1, secp384r1 (supported subset). */
  readonly groups?: readonly number[];
  /** Signature schemes accepted in the peer's CertificateVerify: the client offers them in
   *  signature_algorithms, the server in CertificateRequest (default: the modern set the provider verifies). */
  readonly signatureSchemes?: readonly number[];
  /** ALPN protocols in preference order. */
  readonly alpn?: readonly string[];
  /** Pad every protected record to a multiple of this many bytes (0/undefined: no padding). */
  readonly recordPadding?: number;
  /** Offer/enforce record_size_limit (RFC 8449), 64..16385. */
  readonly recordSizeLimit?: number;
  /** Largest handshake message body accepted (default 131,396 bytes: the largest legal ClientHello,
   *  RFC 8446 §4.1.2; certificate chains up to that size pass too). */
  readonly maxHandshakeMessageSize?: number;
  /** Largest amount of received-but-unprocessed record bytes held (default 4 full records, 66 564 bytes;
   *  at least one full record, 16 645 bytes). Handshake reassembly is bounded separately by maxHandshakeMessageSize. */
  readonly maxBufferedBytes?: number;
  /** Trust anchors (PEM or DER, or a TrustStore). Client: required. Server: required when clientAuth is not 'none'.
   *  Parsed once per array (or store) and shared by every connection made with it. */
  readonly trustAnchors?: readonly CertificateInput[] | TrustStore;
  /** Optional revocation input: CRLs (PEM "X509 CRL" blocks or DER, or a CrlSet) checked against every peer
   *  certificate whose issuer they name (signature, issuer, CRL number, critical extensions, validity). */
  readonly crls?: readonly CertificateInput[] | CrlSet;
  /** Low-level hooks; see ExpertOptions. */
  readonly expert?: ExpertOptions;
  /** Emit `keyLog` events (NSS key log lines). Off by default. */
  readonly keyLog?: boolean;
  /** Send a ChangeCipherSpec for middlebox compatibility (RFC 8446 §D.4). Default true. */
  readonly middleboxCompat?: boolean;
}

/** A resumable session as returned in a client's `newSessionTicket` event. Treat as opaque; it may
 *  be serialised by the application (all fields are plain data). */
export interface ClientSession {
  readonly version: 0x0304;
  readonly serverName: string | undefined;
  readonly cipherSuite: number;
  readonly ticket: Uint8Array;
  readonly resumptionSecret: Uint8Array; // PSK derived from resumption_master_secret + nonce
  readonly ticketAgeAdd: number;
  readonly lifetimeSeconds: number;
  readonly receivedAt: number; // ms, from config.now()
  readonly maxEarlyData: number;
  readonly alpn: string | undefined;
}

export interface TlsClientConfig extends CommonConfig {
  /** Name sent in SNI and checked against the certificate. Required unless `expert.dangerouslyVerifyPeer` is set. */
  readonly serverName?: string;
  /** Resume this session (PSK with (EC)DHE). */
  readonly session?: ClientSession;
  /** 0-RTT data sent with the ClientHello when `session` allows early data. REPLAYABLE: see docs/engine-design.md. */
  readonly earlyData?: Uint8Array;
  /** Client certificate chain (leaf first) and key, used when the server asks. */
  readonly certificateChain?: readonly CertificateInput[];
  readonly signingKey?: SigningKey;
  /** Number of key shares to send in the first ClientHello (default 1: the first preferred group). */
  readonly keyShareCount?: number;
}

/** What a server needs to resume a session from a ticket (RFC 8446 §4.6.1). It holds the resumption
 *  PSK: whatever a `SessionTicketCodec` turns it into must keep it confidential and unforgeable. */
export interface ServerSessionState {
  readonly cipherSuite: number;
  /** When the ticket was issued, ms since the epoch (from config.now()); the age checks use it. */
  readonly createdAt: number;
  /** The ticket_age_add sent with the ticket. */
  readonly ageAdd: number;
  /** max_early_data_size announced with the ticket (0: no 0-RTT with this ticket). */
  readonly maxEarlyData: number;
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
  /** The resumption PSK (HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce)). SECRET. */
  readonly psk: Uint8Array;
}

/**
 * Turns session state into ticket bytes and back, instead of the built-in `ticketKey` sealing (like
 * OpenSSL's ticket key callback or Node's 'newSession'/'resumeSession' events). Use it to keep
 * sessions in a shared cache (the ticket is then just a lookup key), to rotate keys, or to speak
 * another implementation's ticket format. The codec only stores and finds state: the engine still
 * checks everything it checks for its own tickets (hash of the suite, ticket age against
 * `ticketLifetimeSeconds`, the PSK binder, and the 0-RTT conditions), so a codec cannot make the
 * server accept a ClientHello whose binder does not verify.
 */
export interface SessionTicketCodec {
  /** The ticket to send for this state (1..65535 bytes). The engine has already drawn ticket_age_add
   *  from the provider's randomness; the codec draws anything else it needs itself. */
  seal(state: ServerSessionState): Uint8Array | Promise<Uint8Array>;
  /** The state behind a ticket the client offers, or undefined when the ticket is unknown, expired,
   *  revoked or altered (the PSK is then skipped, and a full handshake follows). Must not throw for
   *  foreign input; a throw is reported as a provider failure. */
  open(ticket: Uint8Array): ServerSessionState | undefined | Promise<ServerSessionState | undefined>;
}

/** What a HelloRetryRequest cookie must carry so the second ClientHello can be finished, possibly by
 *  another server of the fleet (RFC 8446 §4.2.2). */
export interface HelloRetryCookieState {
  readonly cipherSuite: number;
  /** The group the retry settled on. */
  readonly group: number;
  /** Whether the HelloRetryRequest asked for a new key share (it carried key_share). */
  readonly newShare: boolean;
  /** Hash(ClientHello1), which becomes the transcript's message_hash. */
  readonly clientHello1Hash: Uint8Array;
}

/**
 * Turns the retry state into HelloRetryRequest cookie bytes and back, instead of the built-in
 * AEAD sealing under `cookieKey` (like OpenSSL's stateless cookie generate/verify callbacks).
 * `open` is the only integrity check the cookie gets: it must return undefined for any cookie it did
 * not produce. A cookie that does not open fails the handshake (illegal_parameter).
 */
export interface HelloRetryCookieCodec {
  /** The cookie to send (1..65533 bytes). */
  seal(state: HelloRetryCookieState): Uint8Array | Promise<Uint8Array>;
  /** The state behind a cookie the client echoes, or undefined when it is not one of ours. */
  open(cookie: Uint8Array): HelloRetryCookieState | undefined | Promise<HelloRetryCookieState | undefined>;
}

/** How a server picks the key exchange group (see `TlsServerConfig.groupSelection`). */
export type GroupSelection = 'client-shares-first' | 'server-preference';

export interface TlsServerConfig extends CommonConfig {
  /** Certificate chain, leaf first. Required (PSK-only servers are not supported). */
  readonly certificateChain: readonly CertificateInput[];
  readonly signingKey: SigningKey;
  /** 32 bytes, application provided; shared across a fleet to accept each other's tickets. When
   *  neither this nor `ticketCodec` is set, no tickets are issued. */
  readonly ticketKey?: Uint8Array;
  /** Seal and open tickets with application code instead of `ticketKey` (not both). See SessionTicketCodec. */
  readonly ticketCodec?: SessionTicketCodec;
  /** Ticket lifetime in seconds (max 604800, default 7200). */
  readonly ticketLifetimeSeconds?: number;
  /** Number of NewSessionTickets sent after a full handshake (default 1 when tickets are enabled; at
   *  most 65536: ticket_nonce is a 2-byte counter, 0, 1, …, as Botan numbers its tickets). */
  readonly ticketCount?: number;
  /** Number of NewSessionTickets sent after a resumed handshake (0..65536, default 0, as OpenSSL: the
   *  client resumes again with the ticket it has until that expires). 1 or more gives the client a fresh
   *  ticket per connection, for clients that use each ticket once (RFC 8446 §C.4), at the cost of sealing
   *  a ticket on every resumption. */
  readonly resumptionTicketCount?: number;
  /** Accept up to this many bytes of 0-RTT data per connection (0: reject early data). Replay risk: see docs. */
  readonly maxEarlyData?: number;
  readonly clientAuth?: 'none' | 'request' | 'require';
  /** Always send a HelloRetryRequest (with a cookie) before accepting the ClientHello (DoS address check). */
  readonly requireCookie?: boolean;
  /** Key for the stateless HRR cookie (32 bytes). Defaults to ticketKey; else a per-connection random key. */
  readonly cookieKey?: Uint8Array;
  /** Seal and open HelloRetryRequest cookies with application code instead of `cookieKey` (not both).
   *  See HelloRetryCookieCodec. */
  readonly cookieCodec?: HelloRetryCookieCodec;
  /** How the key exchange group is chosen from the client's offer (`groups` is the server's order):
   *  - 'client-shares-first' (default): the first of `groups` for which the client sent a key share,
   *    so no round trip is spent; only when no share fits, the first of `groups` the client supports,
   *    asked for with a HelloRetryRequest.
   *  - 'server-preference': the first of `groups` the client supports (supported_groups), even when
   *    the client sent no share for it: then a HelloRetryRequest asks for one. Costs a round trip
   *    whenever the client guessed another group; use it to insist on a group (e.g. a FIPS curve). */
  readonly groupSelection?: GroupSelection;
  /** Names this server answers to; SNI outside the list is refused with unrecognized_name. Empty: accept any. */
  readonly serverNames?: readonly string[];
}

// ---- Validation ---------------------------------------------------------------------------------
// Every check a configuration can fail happens here, once, when a TlsClient/TlsServer (or the node
// adapters' connect()/createServer()) is constructed: a TlsConfigError (blame 'config') names the
// option, what is wrong with it and what to do. Nothing is left to fail per connection.

/** Option names of TlsClientConfig and TlsServerConfig (checked by tsc against the interfaces). */
const COMMON_KEYS = {
  crypto: true, now: true, cipherSuites: true, groups: true, signatureSchemes: true, alpn: true, recordPadding: true,
  recordSizeLimit: true, maxHandshakeMessageSize: true, maxBufferedBytes: true, trustAnchors: true, crls: true, expert: true, keyLog: true,
  middleboxCompat: true,
} as const satisfies Record<keyof CommonConfig, true>;
export const CLIENT_CONFIG_KEYS: readonly string[] = Object.keys({
  ...COMMON_KEYS, serverName: true, session: true, earlyData: true, certificateChain: true, signingKey: true, keyShareCount: true,
} satisfies Record<keyof TlsClientConfig, true>);
export const SERVER_CONFIG_KEYS: readonly string[] = Object.keys({
  ...COMMON_KEYS, certificateChain: true, signingKey: true, ticketKey: true, ticketCodec: true, ticketLifetimeSeconds: true,
  ticketCount: true, resumptionTicketCount: true, maxEarlyData: true, clientAuth: true, requireCookie: true, cookieKey: true, cookieCodec: true,
  groupSelection: true, serverNames: true,
} satisfies Record<keyof TlsServerConfig, true>);

/** node:tls option names and what protosmith calls (or does instead of) them. */
const NODE_TLS_NAMES: Readonly<Record<string, string>> = {
  ca: 'use trustAnchors (PEM text or DER of the CAs to trust)',
  cert: 'use certificateChain (PEM text or DER, leaf first)',
  key: 'use signingKey (PEM text with the node adapters, or a SigningKey handle such as nodeSigningKey(pem))',
  passphrase: 'decrypt the key with nodeSigningKey(pem, { passphrase }) and pass the result as signingKey',
  pfx: 'convert the PKCS#12 file to PEM and pass certificateChain and signingKey',
  servername: 'use serverName (note the capital N)',
  rejectUnauthorized: 'protosmith has no off switch for certificate verification: it always verifies the chain and the host name. To trust a private CA, pass it in trustAnchors; to replace verification entirely, there is the deliberately named expert.dangerouslyVerifyPeer',
  checkServerIdentity: 'the host name is always checked against serverName; to replace verification entirely use expert.dangerouslyVerifyPeer',
  ALPNProtocols: 'use alpn (an array of protocol names)',
  ciphers: 'use cipherSuites (TLS 1.3 suite numbers, e.g. 0x1301 for TLS_AES_128_GCM_SHA256)',
  ecdhCurve: 'use groups (named group numbers, e.g. 0x001d for x25519)',
  sigalgs: 'use signatureSchemes (signature scheme numbers, e.g. 0x0804 for rsa_pss_rsae_sha256)',
  minVersion: 'protosmith speaks TLS 1.3 only; remove the option',
  maxVersion: 'protosmith speaks TLS 1.3 only; remove the option',
  secureProtocol: 'protosmith speaks TLS 1.3 only; remove the option',
  requestCert: "use clientAuth: 'request' or 'require'",
  ticketKeys: 'use ticketKey (exactly 32 random bytes; node:tls uses 48)',
  SNICallback: 'use serverNames to restrict the names served (one certificate chain per server)',
  secureContext: 'pass the options (certificateChain, signingKey, trustAnchors, ...) directly',
  enableTrace: 'use onKeyLog / keyLog to decrypt a capture in Wireshark',
  sessionTimeout: 'use ticketLifetimeSeconds',
};

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Refuses option names outside `known`: a node:tls name gets protosmith's equivalent, a typo the nearest name. */
export function checkOptionNames(options: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name) || (options as Record<string, unknown>)[name] === undefined) continue;
    const nodeHint = Object.prototype.hasOwnProperty.call(NODE_TLS_NAMES, name) ? NODE_TLS_NAMES[name] : undefined;
    if (nodeHint !== undefined) throw new TlsConfigError('TLS_CONFIG_UNKNOWN_OPTION', `${where}: unknown option "${name}" (a node:tls option name): ${nodeHint}`);
    let best: string | undefined;
    let bestD = Infinity;
    for (const k of known) {
      const d = editDistance(name.toLowerCase(), k.toLowerCase());
      if (d < bestD) { bestD = d; best = k; }
    }
    const near = best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3));
    throw new TlsConfigError('TLS_CONFIG_UNKNOWN_OPTION', `${where}: unknown option "${name}"${near ? `; did you mean "${best}"?` : '.'} Known options: ${known.join(', ')}`);
  }
}

/** What validation derives from a configuration (cached per configuration object). */
export interface CheckedConfig {
  readonly suites: number[];
  readonly groups: number[];
  readonly schemes: number[];
  /** Our certificate chain as DER, leaf first (empty for a client without one). */
  readonly chain: Uint8Array[];
  /** The verifier over the config's trust anchors and CRLs (parsed once per config), if any. */
  readonly verifier: CertificateVerifier | undefined;
}

const checkedClients = new WeakMap<TlsClientConfig, CheckedConfig>();
const checkedServers = new WeakMap<TlsServerConfig, CheckedConfig>();

function requireObject(config: unknown, what: string): asserts config is Record<string, unknown> {
  if (config === null || typeof config !== 'object') throw new TlsConfigError('TLS_CONFIG_MISSING', `a ${what} configuration object is required`);
}

function checkCommon(config: CommonConfig, what: string): Pick<CheckedConfig, 'suites' | 'groups' | 'schemes'> {
  if (!config.crypto) throw new TlsConfigError('TLS_CONFIG_MISSING', 'config.crypto (a CryptoProvider, e.g. createNodeProvider() from runtime/crypto/node) is required: the engine has no built-in cryptography');
  if (typeof config.now !== 'function') throw new TlsConfigError('TLS_CONFIG_MISSING', 'config.now (a clock returning milliseconds, e.g. Date.now) is required: the engine reads no clock of its own');
  const caps = config.crypto.capabilities();
  const suites = pick('cipher suite', config.cipherSuites, MODERN_SUITES, caps.cipherSuites);
  const groups = pick('group', config.groups, MODERN_GROUPS, caps.groups);
  const schemes = pick('signature scheme', config.signatureSchemes, MODERN_SCHEMES, caps.signatureSchemes);
  for (const p of config.alpn ?? []) {
    if (typeof p !== 'string' || p.length === 0 || enc(p).length > 255) throw new TlsConfigError('TLS_CONFIG_INVALID', `${what} alpn: protocol name ${JSON.stringify(p)} must be a string of 1..255 bytes (RFC 7301 §3.1)`);
  }
  return { suites, groups, schemes };
}

/** The last client configuration checked, per provider. A client per connection is often given a new
 *  object that differs from the last only in `session` (`{ ...config, session }`, connect()): when every
 *  other option is the same value, the last result serves and only the session-dependent rule is checked. */
const lastClient = new WeakMap<object, { config: TlsClientConfig; out: CheckedConfig }>();

function sameApartFromSession(a: TlsClientConfig, b: TlsClientConfig): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  for (const k of Object.keys(x)) if (k !== 'session' && x[k] !== y[k]) return false;
  for (const k of Object.keys(y)) if (k !== 'session' && x[k] !== y[k]) return false;
  return true;
}

/** Validates a client configuration (once per object); throws TlsConfigError. */
export function checkClientConfig(config: TlsClientConfig): CheckedConfig {
  const have = checkedClients.get(config);
  if (have) return have;
  requireObject(config, 'client');
  const crypto: unknown = config.crypto;
  const last = typeof crypto === 'object' && crypto !== null ? lastClient.get(crypto) : undefined;
  if (last && sameApartFromSession(last.config, config)) {
    if (config.earlyData && !config.session) throw new TlsConfigError('TLS_CONFIG_INVALID', 'earlyData needs a session (0-RTT is only possible when resuming)');
    checkedClients.set(config, last.out);
    return last.out;
  }
  checkOptionNames(config, CLIENT_CONFIG_KEYS, 'TlsClient config');
  const common = checkCommon(config, 'client');
  const expert = config.expert?.dangerouslyVerifyPeer !== undefined;
  if (!expert && (typeof config.serverName !== 'string' || config.serverName === '')) {
    throw new TlsConfigError('TLS_CONFIG_MISSING', 'serverName is required: it is sent in SNI and the server certificate is checked against it (there is no switch to skip this)');
  }
  if (!expert && (!config.trustAnchors || config.trustAnchors.length === 0)) {
    throw new TlsConfigError('TLS_CONFIG_MISSING', 'trustAnchors are required to verify the server certificate (PEM or DER of the issuing CA); verification cannot be disabled');
  }
  const verifier = peerVerifier(config);
  const chain = config.certificateChain ? certificateList(config.certificateChain, 'certificateChain') : [];
  if (chain.length > 0 && !config.signingKey) throw new TlsConfigError('TLS_CONFIG_MISSING', 'certificateChain is set but signingKey (the client certificate\'s private key) is missing');
  if (config.signingKey && chain.length === 0) throw new TlsConfigError('TLS_CONFIG_MISSING', 'signingKey is set but certificateChain (the client certificate, leaf first) is missing or empty');
  if (config.signingKey) checkOwnCredentials(chain, config.signingKey, 'client', config.expert?.dangerouslyAllowWeakOwnKey === true);
  if (config.earlyData && !config.session) throw new TlsConfigError('TLS_CONFIG_INVALID', 'earlyData needs a session (0-RTT is only possible when resuming)');
  if (config.keyShareCount !== undefined && (!Number.isInteger(config.keyShareCount) || config.keyShareCount < 0)) throw new TlsConfigError('TLS_CONFIG_INVALID', 'keyShareCount must be a non-negative integer');
  const out: CheckedConfig = { ...common, chain, verifier };
  checkedClients.set(config, out);
  // Kept without the session and early data, so that no ticket secret or 0-RTT payload outlives its connection
  // here (a config with earlyData is then always checked in full).
  lastClient.set(config.crypto, { config: { ...config, session: undefined, earlyData: undefined }, out });
  return out;
}

/** Validates a server configuration (once per object); throws TlsConfigError. */
export function checkServerConfig(config: TlsServerConfig): CheckedConfig {
  const have = checkedServers.get(config);
  if (have) return have;
  requireObject(config, 'server');
  checkOptionNames(config, SERVER_CONFIG_KEYS, 'TlsServer config');
  const common = checkCommon(config, 'server');
  if (!config.certificateChain || config.certificateChain.length === 0) throw new TlsConfigError('TLS_CONFIG_MISSING', 'certificateChain (leaf first, PEM or DER) is required for a server');
  if (!config.signingKey) throw new TlsConfigError('TLS_CONFIG_MISSING', 'signingKey (the leaf certificate\'s private key handle) is required for a server');
  const chain = certificateList(config.certificateChain, 'certificateChain');
  if (chain.length === 0) throw new TlsConfigError('TLS_CONFIG_MISSING', 'certificateChain holds no certificate (leaf first, PEM or DER)');
  checkOwnCredentials(chain, config.signingKey, 'server', config.expert?.dangerouslyAllowWeakOwnKey === true);
  checkSecretKey(config.ticketKey, 'ticketKey', 'the AES-256-GCM key sealing session tickets; generate it once (crypto.getRandomValues(new Uint8Array(32))) and share it across the servers that should accept each other\'s tickets');
  checkSecretKey(config.cookieKey, 'cookieKey', 'the AES-256-GCM key sealing HelloRetryRequest cookies');
  checkCodec(config.ticketCodec, 'ticketCodec');
  checkCodec(config.cookieCodec, 'cookieCodec');
  if (config.ticketKey && config.ticketCodec) throw new TlsConfigError('TLS_CONFIG_INVALID', 'set ticketKey or ticketCodec, not both: the codec replaces the built-in ticket sealing');
  if (config.cookieKey && config.cookieCodec) throw new TlsConfigError('TLS_CONFIG_INVALID', 'set cookieKey or cookieCodec, not both: the codec replaces the built-in cookie sealing');
  const gs = config.groupSelection ?? 'client-shares-first';
  if (gs !== 'client-shares-first' && gs !== 'server-preference') throw new TlsConfigError('TLS_CONFIG_INVALID', `groupSelection must be 'client-shares-first' or 'server-preference', not ${String(gs)}`);
  const tc = config.ticketCount ?? 1;
  if (!Number.isInteger(tc) || tc < 0 || tc > 65536) throw new TlsConfigError('TLS_CONFIG_INVALID', 'ticketCount must be an integer in 0..65536 (ticket_nonce is a 2-byte counter)');
  const rtc = config.resumptionTicketCount ?? 0;
  if (!Number.isInteger(rtc) || rtc < 0 || rtc > 65536) throw new TlsConfigError('TLS_CONFIG_INVALID', 'resumptionTicketCount must be an integer in 0..65536 (ticket_nonce is a 2-byte counter)');
  const auth = config.clientAuth ?? 'none';
  if (auth !== 'none' && auth !== 'request' && auth !== 'require') throw new TlsConfigError('TLS_CONFIG_INVALID', `clientAuth must be 'none', 'request' or 'require', not ${String(auth)}`);
  if (auth !== 'none' && !config.expert?.dangerouslyVerifyPeer && (!config.trustAnchors || config.trustAnchors.length === 0)) {
    throw new TlsConfigError('TLS_CONFIG_MISSING', `clientAuth '${auth}' needs trustAnchors (the CAs that issue client certificates) to verify client certificates`);
  }
  const verifier = peerVerifier(config);
  const me = config.maxEarlyData ?? 0;
  if (!Number.isInteger(me) || me < 0 || me > 0xffffffff) throw new TlsConfigError('TLS_CONFIG_INVALID', 'maxEarlyData must be a non-negative 32-bit integer');
  const lt = config.ticketLifetimeSeconds ?? 7200;
  if (!Number.isInteger(lt) || lt < 1 || lt > 604800) throw new TlsConfigError('TLS_CONFIG_INVALID', 'ticketLifetimeSeconds must be in 1..604800 (RFC 8446 §4.6.1)');
  const out: CheckedConfig = { ...common, chain, verifier };
  checkedServers.set(config, out);
  return out;
}

function checkSecretKey(key: Uint8Array | undefined, what: string, role: string): void {
  if (key === undefined) return;
  if (!(key instanceof Uint8Array)) throw new TlsConfigError('TLS_CONFIG_INVALID', `${what} must be a Uint8Array of exactly 32 random bytes (${role})`);
  if (key.length !== 32) throw new TlsConfigError('TLS_CONFIG_INVALID', `${what} is ${key.length} bytes; it must be exactly 32 random bytes (${role})`);
}

/** A codec must be an object with seal and open functions. */
function checkCodec(codec: { seal: unknown; open: unknown } | undefined, what: string): void {
  if (codec !== undefined && (typeof codec !== 'object' || codec === null || typeof codec.seal !== 'function' || typeof codec.open !== 'function')) {
    throw new TlsConfigError('TLS_CONFIG_INVALID', `${what} must be an object with seal(state) and open(bytes) functions`);
  }
}

/** PEM/DER inputs to DER certificates, each sliced once (DER structure only) so that garbage is refused
 *  now, naming its position. (Trust anchors are parsed by their TrustStore, once per array.) */
function certificateList(inputs: readonly CertificateInput[], what: string): Uint8Array[] {
  if (!Array.isArray(inputs)) throw new TlsConfigError('TLS_CONFIG_INVALID', `${what} must be an array of PEM strings or DER Uint8Arrays`);
  const ders = toDerList(inputs, what);
  ders.forEach((der, i) => {
    try { parseStructure(der); } catch (e) {
      throw new TlsConfigError('TLS_CONFIG_INVALID', `certificate ${i} of ${what} (counting from 0, in the order given) is not an X.509 certificate: ${(e as Error).message}. Check the file it was read from.`, { cause: e });
    }
  });
  return ders;
}

function parseOwn(der: Uint8Array, i: number, what: string): ParsedCertificate {
  try {
    return parseCertificate(der, i, what);
  } catch (e) {
    throw new TlsConfigError('TLS_CONFIG_INVALID', `certificate ${i} of ${what} (counting from 0, in the order given) is not a usable X.509 certificate: ${(e as Error).message.replace(/ The peer must send.*$/, '')} Check the file it was read from.`, { cause: e });
  }
}

/** The RSA modulus size in bits of a SubjectPublicKeyInfo, or undefined for other keys / unparsable input. */
export function rsaModulusBits(spki: Uint8Array): number | undefined {
  try {
    const [alg, bits] = children(single(spki).value, 2);
    if (!alg || !bits || bits.tag !== 0x03) return undefined;
    const [n] = children(single(bits.value.subarray(1)).value, 2);
    if (!n || n.tag !== 0x02) return undefined;
    let i = 0;
    while (i < n.value.length && n.value[i] === 0) i++;
    if (i === n.value.length) return 0;
    return (n.value.length - i - 1) * 8 + (32 - Math.clz32(n.value[i]!));
  } catch { return undefined; }
}

const MIN_RSA_BITS = 2048;
const SCHEMES_BY_KEY: Readonly<Record<string, readonly number[]>> = {
  rsa: [0x0804, 0x0805, 0x0806], 'rsa-pss': [0x0809, 0x080a, 0x080b], 'ec:P-256': [0x0403], 'ec:P-384': [0x0503], 'ec:P-521': [0x0603], ed25519: [0x0807], ed448: [0x0808],
};

/** Our own chain and key: ordered leaf first, the key belongs to the leaf, and an RSA key has at least 2048 bits. */
function checkOwnCredentials(chain: readonly Uint8Array[], key: SigningKey, role: 'client' | 'server', allowWeak: boolean): void {
  if (typeof key !== 'object' || key === null || typeof key.sign !== 'function' || !Array.isArray(key.schemes)) {
    throw new TlsConfigError('TLS_CONFIG_INVALID', `signingKey must be a SigningKey handle (e.g. nodeSigningKey(pemText) from runtime/crypto/node); the node adapters connect()/createServer() also take PEM text`);
  }
  const certs = chain.map((d, i) => parseOwn(d, i, 'certificateChain'));
  const leaf = certs[0]!;
  const keyMatches = (c: ParsedCertificate): boolean => key.spki !== undefined && bytesEqual(key.spki, c.spki);
  if (key.spki !== undefined && !keyMatches(leaf)) {
    const at = certs.findIndex(keyMatches);
    throw new TlsConfigError(at > 0 ? 'TLS_CONFIG_CHAIN_ORDER' : 'TLS_CONFIG_KEY_MISMATCH', at > 0
      ? `certificate ${at} of certificateChain (${certs[at]!.subject}) is the certificate of signingKey, but the leaf must come first: list the ${role} certificate, then the CA certificate that issued it, and so on`
      : `signingKey does not belong to the leaf certificate (the first of certificateChain: ${leaf.subject}): the public keys differ. Pass the private key that was issued with this certificate`);
  }
  const kind = leaf.keyKind.type === 'ec' ? `ec:${leaf.keyKind.curve}` : leaf.keyKind.type;
  const fits = SCHEMES_BY_KEY[kind];
  if (fits !== undefined && !key.schemes.some((s) => fits.includes(s))) {
    throw new TlsConfigError('TLS_CONFIG_KEY_MISMATCH', `signingKey cannot belong to the leaf certificate (the first of certificateChain: ${leaf.subject}): the certificate holds a ${kind} key, the signing key signs with ${key.schemes.map((s) => '0x' + s.toString(16).padStart(4, '0')).join(', ')}`);
  }
  for (const spki of [leaf.spki, key.spki]) {
    const bits = spki === undefined ? undefined : rsaModulusBits(spki);
    if (bits !== undefined && bits < MIN_RSA_BITS && !allowWeak) {
      throw new TlsConfigError('TLS_CONFIG_WEAK_KEY', `the ${role} key is RSA-${bits}: protosmith requires RSA keys of at least ${MIN_RSA_BITS} bits (NIST SP 800-131A; peers refuse weaker keys too). Issue a new certificate with an RSA-2048 (or larger), ECDSA P-256 or Ed25519 key`);
    }
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    const child = certs[i]!;
    const parent = certs[i + 1]!;
    if (bytesEqual(child.issuerDer, parent.subjectDer)) continue;
    const issuerAt = certs.findIndex((c, j) => j !== i && bytesEqual(c.subjectDer, child.issuerDer));
    throw new TlsConfigError('TLS_CONFIG_CHAIN_ORDER', `certificateChain is not in order: certificate ${i + 1} (${parent.subject}) did not issue certificate ${i} (${child.subject}, issued by ${child.issuer})${issuerAt >= 0 ? `; its issuer is certificate ${issuerAt}` : ''} (counting from 0). List the leaf first, then each certificate's issuer (the root may be left out)`);
  }
}
