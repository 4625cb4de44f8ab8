// Configuration of a TLS 1.3 connection (client or server). The engine is sans-IO: time, randomness
// and cryptography arrive here (via `now` and the CryptoProvider); nothing has a hidden global default.
// There is deliberately no switch to skip certificate or hostname verification. The only way to
// replace verification is the clearly named low-level hook `expert.dangerouslyVerifyPeer`.
import type { CryptoProvider, SigningKey } from '../crypto/provider.ts';
import type { Extension } from './messages.ts';
import type { TrustStore, CrlSet } from '../x509/index.ts';

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
  /** Largest handshake message accepted (default 65536 bytes; certificates chains need up to that). */
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
  /** Number of NewSessionTickets sent after the handshake (default 1 when tickets are enabled; at
   *  most 65536: ticket_nonce is a 2-byte counter, 0, 1, …, as Botan numbers its tickets). */
  readonly ticketCount?: number;
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
