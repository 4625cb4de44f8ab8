// The TLS 1.3 server: implementations of the named actions and guards of the generated server table
// (specs/tls13/machines/server.json). Negotiation of a ClientHello happens in `prepare` (before the
// table's guards are read: guards are negotiated facts); the actions then commit and emit.
import { cipherSuiteParams, type CipherSuiteParams } from '../crypto/provider.ts';
import type { CertificateVerifier } from '../x509/index.ts';
import { checkServerConfig, type HelloRetryCookieCodec, type SessionTicketCodec, type ShapedMessage, type TlsServerConfig } from './config.ts';
import { Connection, defineClassMembers, sharedImplementations } from './connection.ts';
import { TlsConfigError, TlsPeerError } from './errors.ts';
import { finishedVerifyData, KeyLogLabel, KeySchedule, resumptionPsk } from './keyschedule.ts';
import {
  certificateVerifyContent, checkCertificateVerify, checkFinished, MODERN_SCHEMES, suiteParams, verifyPeerChain,
} from './negotiation.ts';
import { RecordProtection } from './record-protection.ts';
import {
  serverTable, ServerState, type ServerAction, type ServerEvent, type ServerGuard, type ServerImplementations,
} from './tables.ts';
import type { TlsEvent } from './events.ts';
import { keyedCookieCodec, keyedTicketCodec } from './tickets.ts';
import {
  checkNoDuplicates, decode, decodeCertificate, decodeCertificateVerify, decodeClientHello, decodeFinished,
  encode, encodeCertificate, encodeCertificateRequest, encodeCertificateVerify, encodeEncryptedExtensions, encodeFinished,
  encodeNewSessionTicket, encodeServerHello, ExtensionType, findExt, frameHandshake,
  type ClientHello, type Extension,
} from './messages.ts';
import { bytesEqual, enc, HRR_RANDOM } from './bytes.ts';

const AGE_TOLERANCE_MS = 10_000;
/** handshakeComplete's peerCertificates when the client sent none: one frozen array for every connection
 *  (a TlsSocket keeps its handshake event for the connection's life). */
const NO_CERTIFICATES: readonly Uint8Array[] = Object.freeze([]);
/** Made once: a TextDecoder costs more to make than to use on a short name. */
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder();

interface Negotiated {
  readonly ch: ClientHello;
  readonly suite: CipherSuiteParams;
  readonly group: number;
  readonly peerShare: Uint8Array | undefined; // undefined => HRR needed
  readonly scheme: number | undefined;
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
  /** The accepted PSK; `schedule` is the early key schedule its binder was checked with (reused for the handshake). */
  readonly psk: { psk: Uint8Array; ageAdd: number; maxEarly: number; schedule: KeySchedule } | undefined;
  readonly earlyAccepted: boolean;
  readonly earlyOffered: boolean;
  readonly cookieNeeded: boolean;
  /** It was a SecondClientHello (it answers a HelloRetryRequest). */
  readonly retry: boolean;
  readonly peerRecordLimit: number | undefined;
}

/** A server connection's handshake-only state (see TlsServer.hs): every field present from the start, so
 *  that all these objects share one shape. */
interface ServerHandshakeState {
  ownCookieCodec: HelloRetryCookieCodec | undefined;
  neg: Negotiated | undefined;
  retried: boolean;
  shared: Uint8Array | undefined;
  schedule: KeySchedule | undefined;
  earlySecret: Uint8Array | undefined;
  cHs: Uint8Array | undefined;
  sHs: Uint8Array | undefined;
  resumptionMaster: Uint8Array | undefined;
  earlyReceived: number;
  peerCertificates: Uint8Array[] | undefined;
  clientSpki: Uint8Array | undefined;
  clientScheme: number | undefined;
  certificateEmpty: boolean;
  /** Which offered PSK identity was accepted (pre_shared_key in the ServerHello). */
  pskIndex: number;
  /** ticket_nonce counter (a nonce is never repeated on the connection; tickets are sent only here). */
  ticketCounter: number;
}

function newHandshakeState(): ServerHandshakeState {
  return {
    ownCookieCodec: undefined, neg: undefined, retried: false, shared: undefined, schedule: undefined, earlySecret: undefined,
    cHs: undefined, sHs: undefined, resumptionMaster: undefined, earlyReceived: 0, peerCertificates: undefined,
    clientSpki: undefined, clientScheme: undefined, certificateEmpty: false, pskIndex: 0, ticketCounter: 0,
  };
}

/** The table's sink states (one object for every connection). */
const SERVER_SINKS = { error: ServerState.ERROR, closed: ServerState.CLOSED } as const;

export class TlsServer extends Connection<ServerState, ServerEvent, ServerGuard, ServerAction> {
  declare readonly role: 'server';
  // The configuration and what checkServerConfig derived from it (cached per configuration object) are
  // read through the connection's options: an idle connection holds no field for any of them.
  private get config(): TlsServerConfig { return this.options as TlsServerConfig; }
  protected get middleboxCompat(): boolean { return this.config.middleboxCompat !== false; }
  private get suites(): number[] { return checkServerConfig(this.config).suites; }
  private get groups(): number[] { return checkServerConfig(this.config).groups; }
  private get schemes(): number[] { return checkServerConfig(this.config).schemes; }
  private get chain(): Uint8Array[] { return checkServerConfig(this.config).chain; }
  private get verifier(): CertificateVerifier | undefined { return checkServerConfig(this.config).verifier; }
  protected override get earlySkipLimit(): number { return Math.max(this.config.maxEarlyData ?? 0, 16384); }
  /** The handshake-only state below lives in one object, dropped at CONNECTED (releaseHandshakeState): an
   *  idle connection carries one field for it rather than fourteen (a field is 8 bytes of every object). */
  private hs: ServerHandshakeState | undefined;
  private get handshakeState(): ServerHandshakeState { return (this.hs ??= newHandshakeState()); }
  /** The cookie codec under a random key of this connection's own (no cookie key or codec configured). */
  private get ownCookieCodec(): HelloRetryCookieCodec | undefined { return this.hs?.ownCookieCodec; }
  private set ownCookieCodec(v: HelloRetryCookieCodec | undefined) { this.handshakeState.ownCookieCodec = v; }
  private get neg(): Negotiated | undefined { return this.hs?.neg; }
  private set neg(v: Negotiated | undefined) { this.handshakeState.neg = v; }
  /** The ClientHello in force is a second one (it carried our cookie): shapes the extensions hook. */
  private get retried(): boolean { return this.hs?.retried ?? false; }
  private set retried(v: boolean) { this.handshakeState.retried = v; }
  private get shared(): Uint8Array | undefined { return this.hs?.shared; }
  private set shared(v: Uint8Array | undefined) { this.handshakeState.shared = v; }
  private get schedule_(): KeySchedule | undefined { return this.hs?.schedule; }
  private set schedule_(v: KeySchedule | undefined) { this.handshakeState.schedule = v; }
  private get earlySecret(): Uint8Array | undefined { return this.hs?.earlySecret; }
  private set earlySecret(v: Uint8Array | undefined) { this.handshakeState.earlySecret = v; }
  private get cHs(): Uint8Array | undefined { return this.hs?.cHs; }
  private set cHs(v: Uint8Array | undefined) { this.handshakeState.cHs = v; }
  private get sHs(): Uint8Array | undefined { return this.hs?.sHs; }
  private set sHs(v: Uint8Array | undefined) { this.handshakeState.sHs = v; }
  private get resumptionMaster(): Uint8Array | undefined { return this.hs?.resumptionMaster; }
  private set resumptionMaster(v: Uint8Array | undefined) { this.handshakeState.resumptionMaster = v; }
  private get earlyReceived(): number { return this.hs?.earlyReceived ?? 0; }
  private set earlyReceived(v: number) { this.handshakeState.earlyReceived = v; }
  private get peerCertificates(): Uint8Array[] | undefined { return this.hs?.peerCertificates; }
  private set peerCertificates(v: Uint8Array[] | undefined) { this.handshakeState.peerCertificates = v; }
  private get clientSpki(): Uint8Array | undefined { return this.hs?.clientSpki; }
  private set clientSpki(v: Uint8Array | undefined) { this.handshakeState.clientSpki = v; }
  private get clientScheme(): number | undefined { return this.hs?.clientScheme; }
  private set clientScheme(v: number | undefined) { this.handshakeState.clientScheme = v; }
  private get certificateEmpty(): boolean { return this.hs?.certificateEmpty ?? false; }
  private set certificateEmpty(v: boolean) { this.handshakeState.certificateEmpty = v; }
  private get pskIndex(): number { return this.hs?.pskIndex ?? 0; }
  private set pskIndex(v: number) { this.handshakeState.pskIndex = v; }

  constructor(config: TlsServerConfig) {
    checkServerConfig(config);
    super(config);
  }

  /** The session ticket codec: config.ticketCodec, or the built-in one under config.ticketKey; undefined
   *  when no tickets are issued. Made when used (a connection holds no codec of its own). */
  private get ticketCodec(): SessionTicketCodec | undefined {
    const { ticketCodec, ticketKey } = this.config;
    return ticketCodec ?? (ticketKey ? keyedTicketCodec(this.crypto, ticketKey) : undefined);
  }

  /** The cookie codec: config.cookieCodec, or the built-in one under cookieKey (else ticketKey); without
   *  any of them, one under a per-connection random key, drawn only when a cookie is first needed. */
  private get cookieCodec(): HelloRetryCookieCodec {
    const { cookieCodec, cookieKey, ticketKey } = this.config;
    const key = cookieKey ?? ticketKey;
    return cookieCodec ?? (key ? keyedCookieCodec(this.crypto, key) : (this.ownCookieCodec ??= keyedCookieCodec(this.crypto, this.crypto.randomBytes(32))));
  }

  /** The generated ServerImplementations with the connection as its context: built once for the class
   *  and shared (frozen) by every connection, so a connection costs no guard or action closures. */
  static readonly #implementations = sharedImplementations<ServerImplementations<TlsServer>>({
    guards: {
      helloRetryRequired: (s) => s.neg !== undefined && (s.neg.peerShare === undefined || s.neg.cookieNeeded),
      earlyDataAccepted: (s) => s.neg?.earlyAccepted === true,
      pskAccepted: (s) => s.neg?.psk !== undefined,
      clientAuthRequested: (s) => (s.config.clientAuth ?? 'none') !== 'none' && s.neg?.psk === undefined,
      certificateEmpty: (s) => s.certificateEmpty,
      requiredCertificateMissing: (s) => s.certificateEmpty && s.config.clientAuth === 'require',
      ticketsIssued: (s) => (s.config.ticketCodec !== undefined || s.config.ticketKey !== undefined) && s.ticketsToIssue() > 0,
      earlyDataRejected: (s) => s.neg !== undefined && s.neg.earlyOffered && !s.neg.earlyAccepted && !s.neg.retry && !s.recordOpened,
    },
    actions: {
      processClientHello: (s) => s.processClientHello(),
      sendHelloRetryRequest: (s) => s.sendHelloRetryRequest(),
      sendChangeCipherSpec: (s) => s.sendCcs(),
      sendServerHello: (s) => s.sendServerHello(),
      installHandshakeWriteKeys: (s) => s.installHandshakeWriteKeys(),
      sendEncryptedExtensions: (s) => s.sendEncryptedExtensions(),
      sendCertificateRequest: (s) => s.sendCertificateRequest(),
      sendCertificate: (s) => s.sendCertificate(),
      sendCertificateVerify: (s) => s.sendCertificateVerify(),
      sendFinished: (s) => s.sendFinished(),
      installApplicationWriteKeys: async (s) => s.setWriteCipher(await RecordProtection.fromSecret(s.crypto, s.suite!, s.sAp!)),
      installEarlyReadKeys: (s) => s.installEarlyReadKeys(),
      installHandshakeReadKeys: async (s) => s.setReadCipher(await RecordProtection.fromSecret(s.crypto, s.suite!, s.cHs!)),
      deliverEarlyData: (s) => s.deliverEarlyData(),
      verifyClientCertificate: (s) => s.verifyClientCertificate(),
      verifyClientCertificateVerify: (s) => s.verifyClientCertificateVerify(),
      verifyClientFinished: (s) => s.verifyClientFinished(),
      installApplicationReadKeys: async (s) => s.setReadCipher(await RecordProtection.fromSecret(s.crypto, s.suite!, s.cAp!)),
      sendNewSessionTicket: (s) => s.sendNewSessionTickets(),
      deliverApplicationData: (s) => s.deliverApplicationData(),
      updateReadKeys: (s) => s.updateReadKeys(),
      answerKeyUpdateIfRequested: (s) => s.answerKeyUpdate(),
      sendApplicationData: (s) => s.sendApplicationData(),
      sendKeyUpdate: (s) => s.sendKeyUpdate(s.keyUpdateRequestPeer),
      updateWriteKeys: (s) => s.updateWriteKeys(),
      sendCloseNotify: (s) => s.sendCloseNotify(),
      reportHandshakeComplete: (s) => s.reportHandshakeComplete(),
      reportPeerClosed: (s) => s.reportPeerClosed(),
      reportClosed: (s) => s.reportClosed(),
      reportUserCanceled: (s) => s.reportUserCanceled(),
    },
  });

  static {
    defineClassMembers(TlsServer, { role: 'server', table: serverTable, sinks: SERVER_SINKS, implementations: TlsServer.#implementations });
  }

  private sendCertificate(): void {
    this.queueHandshake(11, encode('Certificate', () => encodeCertificate({
      certificate_request_context: new Uint8Array(0), certificate_list: { items: this.chain.map((c) => ({ cert_data: c, extensions: { items: [] } })) },
    })));
  }

  // ---- ClientHello negotiation (runs before the guards are read) ---------------------------------

  /** Facts the table's guards read for `event`, computed only when the table asks (its candidates are guarded). */
  protected override async prepare(event: ServerEvent): Promise<void> {
    if (event === 'ClientHello' || event === 'SecondClientHello') this.neg = await this.negotiate(event === 'SecondClientHello');
    else if (event === 'Certificate') this.certificateEmpty = decode('Certificate', () => decodeCertificate(this.current!.body)).certificate_list.items.length === 0;
  }

  /** Parses and negotiates a ClientHello; `retry`: it is a SecondClientHello (it carries a cookie). */
  private async negotiate(retry: boolean): Promise<Negotiated> {
    const raw = this.current!.raw;
    const ch = this.currentClientHello ?? decode('ClientHello', () => decodeClientHello(this.current!.body));
    // A pre-TLS 1.3 ClientHello may omit the extensions block; it offers no TLS 1.3 either way (RFC 8446 §4.2.1).
    if (ch.extensions === undefined) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', 'ClientHello has no extensions, so no supported_versions: the client does not offer TLS 1.3 (protosmith supports TLS 1.3 only)');
    const exts = ch.extensions;
    checkNoDuplicates(exts, 'ClientHello');
    if (ch.legacy_compression_methods.length !== 1 || ch.legacy_compression_methods[0] !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello.legacy_compression_methods must be exactly [0] in TLS 1.3 (RFC 8446 §4.1.2)');
    const versions = findExt(exts, ExtensionType.supported_versions)?.versions?.items;
    if (!versions) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', 'ClientHello has no supported_versions: the client does not offer TLS 1.3 (protosmith supports TLS 1.3 only)');
    if (!versions.includes(0x0304)) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', 'ClientHello.supported_versions does not include TLS 1.3 (0x0304)');
    const last = exts.items[exts.items.length - 1]!;
    const offered = findExt(exts, ExtensionType.pre_shared_key)?.offered_psks;
    if (offered && last.extension_type !== ExtensionType.pre_shared_key) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'pre_shared_key is not the last extension of the ClientHello (RFC 8446 §4.2.11)');
    const clientSuites: number[] = ch.cipher_suites.items;

    // cipher suite: server preference
    const prev = this.neg;
    let suiteId = this.suites.find((x) => clientSuites.includes(x));
    if (suiteId === undefined) throw new TlsPeerError('TLS_HANDSHAKE_FAILURE', 'handshake_failure', `no common cipher suite: client offers ${clientSuites.map((x) => '0x' + x.toString(16)).join(',')}, server allows ${this.suites.map((x) => '0x' + x.toString(16)).join(',')}`);
    if (prev && retry) {
      // This connection saw the first ClientHello: the second must match it (RFC 8446 §4.1.2).
      if (!clientSuites.includes(prev.suite.id)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'second ClientHello no longer offers the cipher suite chosen in the HelloRetryRequest');
      suiteId = prev.suite.id;
      if (!bytesEqual(ch.random, prev.ch.random)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'second ClientHello changed its random (RFC 8446 §4.1.2)');
      if (findExt(exts, ExtensionType.early_data)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'second ClientHello offers early_data (RFC 8446 §4.2.10)');
    }

    if (retry && findExt(exts, ExtensionType.early_data)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'second ClientHello offers early_data (RFC 8446 §4.2.10)');
    // cookie: a SecondClientHello answers a HelloRetryRequest, ours or (stateless) another server's of
    // the fleet; the transcript restarts from the cookie either way (RFC 8446 §4.4.1, §4.2.2)
    let cookieGroup: number | undefined;
    let newShare = true;
    const c = findExt(exts, ExtensionType.cookie)?.cookie;
    if (retry && c !== undefined) {
      const contents = await this.providerCall(async () => this.cookieCodec.open(c), 'opening the HelloRetryRequest cookie (cookieCodec.open)');
      if (!contents) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello cookie does not verify: it was not issued by this server (or its fleet) or was altered');
      if (!clientSuites.includes(contents.cipherSuite)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello after HelloRetryRequest no longer offers the chosen suite');
      suiteId = contents.cipherSuite;
      cookieGroup = contents.group;
      newShare = contents.newShare;
      const suite = suiteParams(contents.cipherSuite);
      this.transcript.resetWithMessageHash(suite.hash, contents.clientHello1Hash);
      this.transcript.add(frameHandshake(2, this.hrrBody(ch.legacy_session_id, contents.cipherSuite, contents.newShare ? contents.group : undefined, c)));
      this.retried = true;
    }
    const suite = suiteParams(suiteId);

    // key exchange
    const clientGroups = findExt(exts, ExtensionType.supported_groups)?.named_group_list.items;
    const shares = findExt(exts, ExtensionType.key_share)?.client_shares?.items;
    if (!clientGroups || !shares) throw new TlsPeerError('TLS_MISSING_EXTENSION', 'missing_extension', `ClientHello lacks ${!clientGroups ? 'supported_groups' : 'key_share'}; protosmith requires (EC)DHE (RFC 8446 §9.2)`);
    const seen = new Set<number>();
    for (const x of shares) {
      if (seen.has(x.group)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `ClientHello key_share has two shares for group 0x${x.group.toString(16)} (RFC 8446 §4.2.8)`);
      if (!clientGroups.includes(x.group)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `ClientHello key_share for group 0x${x.group.toString(16)} not listed in supported_groups (RFC 8446 §4.2.8)`);
      seen.add(x.group);
    }
    let group: number | undefined;
    let peerShare: Uint8Array | undefined;
    if (retry) {
      // The group the HelloRetryRequest selected; without a share for it, helloRetryRequired holds and
      // the table answers handshake_failure (no second retry, RFC 8446 §4.1.4).
      if (cookieGroup === undefined) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'second ClientHello has no cookie');
      group = cookieGroup;
      const x = shares.find((e) => e.group === group);
      if (x && newShare && shares.length !== 1) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `second ClientHello must carry exactly one key share, for the group 0x${(group ?? 0).toString(16)} the HelloRetryRequest selected (RFC 8446 §4.1.4)`);
      peerShare = x?.key_exchange;
    } else {
      if ((this.config.groupSelection ?? 'client-shares-first') === 'client-shares-first') {
        for (const g of this.groups) {
          const x = shares.find((e) => e.group === g);
          if (x) { group = g; peerShare = x.key_exchange; break; }
        }
      }
      // server-preference, or no usable share: the first of our groups the client supports; without
      // a share for it, helloRetryRequired asks for one.
      if (group === undefined) {
        group = this.groups.find((g) => clientGroups.includes(g));
        peerShare = shares.find((e) => e.group === group)?.key_exchange;
      }
      if (group === undefined) throw new TlsPeerError('TLS_HANDSHAKE_FAILURE', 'handshake_failure', 'no common key exchange group between client supported_groups and server groups');
    }
    const cookieNeeded = this.config.requireCookie === true && !retry;

    // signature scheme for our CertificateVerify
    const clientSchemes: number[] = findExt(exts, ExtensionType.signature_algorithms)?.supported_signature_algorithms.items ?? [];
    const scheme = this.config.signingKey.schemes.find((x) => clientSchemes.includes(x) && MODERN_SCHEMES.includes(x));

    // ALPN
    let alpn: string | undefined;
    const alpnExt = findExt(exts, ExtensionType.application_layer_protocol_negotiation);
    if (alpnExt && this.config.alpn && this.config.alpn.length > 0) {
      const offeredNames = alpnExt.protocol_name_list.items.map((p) => utf8Lenient.decode(p.name));
      alpn = this.config.alpn.find((p) => offeredNames.includes(p));
      if (alpn === undefined) throw new TlsPeerError('TLS_NO_APPLICATION_PROTOCOL', 'no_application_protocol', `no common ALPN protocol: client offers ${JSON.stringify(offeredNames)}, server supports ${JSON.stringify(this.config.alpn)} (RFC 7301 §3.2)`);
    }
    // SNI
    const serverName = sameHostName(this.config, hostName(findExt(exts, ExtensionType.server_name)?.server_name_list?.items));
    if (serverName !== undefined && this.config.serverNames && this.config.serverNames.length > 0 && !this.config.serverNames.map((n) => n.toLowerCase()).includes(serverName)) {
      throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'unrecognized_name', `client asked for server name "${serverName}", which this server does not serve (serverNames)`);
    }
    // record_size_limit
    const peerRecordLimit = findExt(exts, ExtensionType.record_size_limit)?.record_size_limit;
    if (peerRecordLimit !== undefined && peerRecordLimit < 64) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `record_size_limit ${peerRecordLimit} is below 64 (RFC 8449 §4)`);

    // PSK resumption
    const earlyOffered = findExt(exts, ExtensionType.early_data) !== undefined;
    let psk: Negotiated['psk'];
    let earlyAccepted = false;
    const ticketCodec = this.ticketCodec;
    if (offered && ticketCodec && !cookieNeeded && peerShare) {
      const modes = findExt(exts, ExtensionType.psk_key_exchange_modes)?.ke_modes.items;
      if (!modes) throw new TlsPeerError('TLS_MISSING_EXTENSION', 'missing_extension', 'ClientHello offers pre_shared_key without psk_key_exchange_modes (RFC 8446 §4.2.9)');
      const identities = offered.identities.items;
      const binders = offered.binders.items;
      if (binders.length !== identities.length) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `pre_shared_key has ${identities.length} identities but ${binders.length} binders (RFC 8446 §4.2.11)`);
      const bindersLen = 2 + binders.reduce((n, b) => n + 1 + b.binder.length, 0);
      if (modes.includes(1)) {
        for (let i = 0; i < identities.length && i < 8; i++) {
          const codec = ticketCodec;
          const identity = identities[i]!.identity;
          const t = await this.providerCall(async () => codec.open(identity), 'opening a session ticket (ticketCodec.open)');
          if (!t) continue;
          const tSuite = cipherSuiteParams(t.cipherSuite);
          if (!tSuite || tSuite.hash !== suite.hash || t.psk.length !== tSuite.hashLength) continue;
          const age = this.now() - t.createdAt;
          if (age < 0 || age > (this.config.ticketLifetimeSeconds ?? 7200) * 1000) continue;
          // binder (RFC 8446 §4.2.11.2): transcript so far + ClientHello truncated before the binders
          const truncated = raw.subarray(0, raw.length - bindersLen);
          const th = this.transcript.ready ? this.transcript.hashWith(truncated) : this.crypto.hash(tSuite.hash, truncated);
          const early = await KeySchedule.start(this.crypto, tSuite.hash, t.psk);
          const expect = await finishedVerifyData(this.crypto, tSuite.hash, await early.binderKey('resumption'), th);
          if (!bytesEqual(expect, binders[i]!.binder)) throw new TlsPeerError('TLS_UNKNOWN_PSK', 'decrypt_error', `PSK binder ${i} does not verify (RFC 8446 §4.2.11): the ClientHello was altered or the client holds a different secret`);
          psk = { psk: t.psk, ageAdd: t.ageAdd, maxEarly: t.maxEarlyData, schedule: early };
          this.pskIndex = i;
          const clientAge = (identities[i]!.obfuscated_ticket_age - t.ageAdd) >>> 0;
          earlyAccepted = i === 0 && earlyOffered && !retry && (this.config.maxEarlyData ?? 0) > 0 && t.maxEarlyData > 0
            && t.cipherSuite === suite.id && alpn === t.alpn && Math.abs(clientAge - age) <= AGE_TOLERANCE_MS;
          if (earlyAccepted) this.earlySecret = await early.clientEarlyTrafficSecret(this.crypto.hash(tSuite.hash, raw));
          break;
        }
      }
    }
    return { ch, suite, group, peerShare, scheme, alpn, serverName, psk, earlyAccepted, earlyOffered, cookieNeeded, retry, peerRecordLimit };
  }

  /** HelloRetryRequest body; key_share only when the client must send a new share (group undefined otherwise). */
  private hrrBody(sessionId: Uint8Array, suite: number, group: number | undefined, cookie: Uint8Array | undefined): Uint8Array {
    const exts: Extension[] = [{ extension_type: ExtensionType.supported_versions, body: { selected_version: 0x0304 } }];
    if (group !== undefined) exts.push({ extension_type: ExtensionType.key_share, body: { selected_group: group } });
    if (cookie) exts.push({ extension_type: ExtensionType.cookie, body: { cookie } });
    return encode('HelloRetryRequest', () => encodeServerHello({ legacy_version: 0x0303, random: HRR_RANDOM, legacy_session_id_echo: sessionId, cipher_suite: suite, legacy_compression_method: 0, extensions: { items: this.shape('hello_retry_request', exts) } }));
  }

  /** expert.shapeExtensions, when configured (see config.ts). */
  private shape(message: ShapedMessage, exts: Extension[]): Extension[] {
    const hook = this.config.expert?.shapeExtensions;
    return hook ? hook(message, exts, { retry: this.retried }) : exts;
  }

  private processClientHello(): void {
    const n = this.neg!;
    this.suite = n.suite;
    if (!this.clientRandom) this.clientRandom = n.ch.random;
    if (n.peerRecordLimit !== undefined) this.sendLimit = Math.min(16384, n.peerRecordLimit - 1);
    if (n.peerRecordLimit !== undefined && this.config.recordSizeLimit !== undefined) this.recvLimit = Math.min(16384, this.config.recordSizeLimit - 1);
  }

  private async sendHelloRetryRequest(): Promise<void> {
    const n = this.neg!;
    const ch1Hash = this.transcript.pendingDigest(n.suite.hash);
    const newShare = n.peerShare === undefined;
    const state = { cipherSuite: n.suite.id, group: n.group, newShare, clientHello1Hash: ch1Hash };
    const cookie = await this.providerCall(async () => this.cookieCodec.seal(state), 'sealing the HelloRetryRequest cookie (cookieCodec.seal)');
    if (!(cookie instanceof Uint8Array) || cookie.length < 1 || cookie.length > 65533) throw new TlsConfigError('TLS_CONFIG_INVALID', 'cookieCodec.seal must return 1..65533 bytes (RFC 8446 §4.2.2)');
    this.transcript.replaceWithMessageHash(n.suite.hash);
    this.queueHandshake(2, this.hrrBody(n.ch.legacy_session_id, n.suite.id, newShare ? n.group : undefined, cookie));
  }

  private async sendServerHello(): Promise<void> {
    const n = this.neg!;
    if (!n.psk && n.scheme === undefined) {
      throw new TlsPeerError('TLS_HANDSHAKE_FAILURE', 'handshake_failure', `no signature scheme in common: the client's signature_algorithms exclude every scheme the server key can produce (${this.config.signingKey.schemes.map((s) => '0x' + s.toString(16)).join(',')})`);
    }
    this.transcript.setHash(n.suite.hash);
    // The random is drawn before the key share (as Botan does), so pinned-RNG traces line up.
    const random = this.crypto.randomBytes(32);
    const share = await this.providerCall(() => this.crypto.generateKeyShare(n.group), 'generating the server key share');
    this.shared = await this.providerCall(() => share.agree(n.peerShare!), 'ClientHello key_share');
    const exts: Extension[] = [
      { extension_type: ExtensionType.supported_versions, body: { selected_version: 0x0304 } },
      { extension_type: ExtensionType.key_share, body: { server_share: { group: n.group, key_exchange: share.publicKey } } },
    ];
    if (n.psk) exts.push({ extension_type: ExtensionType.pre_shared_key, body: { selected_identity: this.pskIndex } });
    this.queueHandshake(2, encode('ServerHello', () => encodeServerHello({
      legacy_version: 0x0303, random, legacy_session_id_echo: n.ch.legacy_session_id, cipher_suite: n.suite.id, legacy_compression_method: 0, extensions: { items: this.shape('server_hello', exts) },
    })));
  }

  private async installHandshakeWriteKeys(): Promise<void> {
    const n = this.neg!;
    // With a PSK, the early schedule that checked its binder goes on (its early secret is the same).
    const schedule = n.psk ? n.psk.schedule : await KeySchedule.start(this.crypto, n.suite.hash);
    await schedule.enterHandshake(this.shared);
    const h = this.transcript.hash();
    this.cHs = await schedule.clientHandshakeTrafficSecret(h);
    this.sHs = await schedule.serverHandshakeTrafficSecret(h);
    this.schedule_ = schedule;
    this.keyLog(KeyLogLabel.clientHandshakeTraffic, this.cHs);
    this.keyLog(KeyLogLabel.serverHandshakeTraffic, this.sHs);
    await this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, n.suite, this.sHs));
  }

  private sendEncryptedExtensions(): void {
    const n = this.neg!;
    const exts: Extension[] = [];
    if (n.serverName !== undefined) exts.push({ extension_type: ExtensionType.server_name, body: {} });
    if (n.alpn !== undefined) exts.push({ extension_type: ExtensionType.application_layer_protocol_negotiation, body: { protocol_name_list: { items: [{ name: enc(n.alpn) }] } } });
    if (n.earlyAccepted) exts.push({ extension_type: ExtensionType.early_data, body: {} });
    if (n.peerRecordLimit !== undefined && this.config.recordSizeLimit !== undefined) exts.push({ extension_type: ExtensionType.record_size_limit, body: { record_size_limit: this.config.recordSizeLimit } });
    this.queueHandshake(8, encode('EncryptedExtensions', () => encodeEncryptedExtensions({ extensions: { items: this.shape('encrypted_extensions', exts) } })));
  }

  private sendCertificateRequest(): void {
    const exts: Extension[] = [{ extension_type: ExtensionType.signature_algorithms, body: { supported_signature_algorithms: { items: [...this.schemes] } } }];
    this.queueHandshake(13, encode('CertificateRequest', () => encodeCertificateRequest({ certificate_request_context: new Uint8Array(0), extensions: { items: this.shape('certificate_request', exts) } })));
  }

  private async sendCertificateVerify(): Promise<void> {
    const scheme = this.neg!.scheme!;
    const content = certificateVerifyContent(true, this.transcript.hash());
    const sig = await this.providerCall(() => this.config.signingKey.sign(scheme, content), 'signing the server CertificateVerify');
    this.queueHandshake(15, encode('CertificateVerify', () => encodeCertificateVerify({ algorithm: scheme, signature: sig })));
  }

  private async sendFinished(): Promise<void> {
    const n = this.neg!;
    const vd = await finishedVerifyData(this.crypto, n.suite.hash, this.sHs!, this.transcript.hash());
    this.queueHandshake(20, encode('Finished', () => encodeFinished({ verify_data: vd })));
    await this.deriveApplicationSecrets(this.schedule_!);
  }

  private async installEarlyReadKeys(): Promise<void> {
    this.keyLog(KeyLogLabel.clientEarlyTraffic, this.earlySecret!);
    this.setReadCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.earlySecret!));
  }

  private deliverEarlyData(): void {
    const d = this.currentData ?? new Uint8Array(0);
    this.earlyReceived += d.length;
    const max = this.config.maxEarlyData ?? 0;
    if (this.earlyReceived > max) throw new TlsPeerError('TLS_EARLY_DATA_LIMIT', 'unexpected_message', `client sent ${this.earlyReceived} bytes of 0-RTT data, over max_early_data_size ${max} (RFC 8446 §4.2.10)`);
    if (d.length > 0) this.emit({ type: 'earlyData', data: d });
  }

  private async verifyClientCertificate(): Promise<void> {
    const c = decode('Certificate', () => decodeCertificate(this.current!.body));
    if (c.certificate_request_context.length !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'client Certificate context differs from the CertificateRequest\'s (empty) context (RFC 8446 §4.4.2)');
    this.peerCertificates = c.certificate_list.items.map((x) => x.cert_data.slice());
    this.clientSpki = await verifyPeerChain({
      crypto: this.crypto, chain: this.peerCertificates, role: 'server', serverName: undefined, now: this.now(),
      verifier: this.verifier, expert: this.config.expert,
    });
  }

  private async verifyClientCertificateVerify(): Promise<void> {
    const cv = decode('CertificateVerify', () => decodeCertificateVerify(this.current!.body));
    await checkCertificateVerify(this.crypto, this.clientSpki!, cv.algorithm, this.schemes, cv.signature, certificateVerifyContent(false, this.transcriptBefore!), 'client');
    this.clientScheme = cv.algorithm;
  }

  private async verifyClientFinished(): Promise<void> {
    const expected = await finishedVerifyData(this.crypto, this.suite!.hash, this.cHs!, this.transcriptBefore!);
    const fin = decode('Finished', () => decodeFinished(this.current!.body));
    checkFinished(fin.verify_data, expected, 'client');
  }

  /** How many tickets this handshake gets: ticketCount after a full handshake, resumptionTicketCount
   *  (default 0, as OpenSSL) after a resumed one. */
  private ticketsToIssue(): number {
    return this.neg?.psk !== undefined ? this.config.resumptionTicketCount ?? 0 : this.config.ticketCount ?? 1;
  }

  private async sendNewSessionTickets(): Promise<void> {
    const codec = this.ticketCodec!;
    const count = this.ticketsToIssue();
    const lifetime = this.config.ticketLifetimeSeconds ?? 7200;
    const n = this.neg!;
    // Derived here, only when tickets are issued: the transcript ends with the client's Finished (this
    // transition's message; nothing after it enters the transcript).
    if (count > 0) this.resumptionMaster ??= await this.schedule_!.resumptionMasterSecret(this.transcript.hash());
    for (let i = 0; i < count; i++) {
      // ticket_nonce: a 2-byte counter, unique per connection (RFC 8446 §4.6.1), numbered as Botan does.
      const hs = this.handshakeState;
      const nonce = Uint8Array.of((hs.ticketCounter >> 8) & 0xff, hs.ticketCounter & 0xff);
      hs.ticketCounter++;
      const ageAddBytes = this.crypto.randomBytes(4);
      const ageAdd = ((ageAddBytes[0]! << 24) >>> 0) + ((ageAddBytes[1]! << 16) | (ageAddBytes[2]! << 8) | ageAddBytes[3]!);
      const psk = await resumptionPsk(this.crypto, n.suite.hash, this.resumptionMaster!, nonce);
      const maxEarly = this.config.maxEarlyData ?? 0;
      const state = { cipherSuite: n.suite.id, createdAt: this.now(), ageAdd, maxEarlyData: maxEarly, alpn: n.alpn, serverName: n.serverName, psk };
      const ticket = await this.providerCall(async () => codec.seal(state), 'sealing a session ticket (ticketCodec.seal)');
      if (!(ticket instanceof Uint8Array) || ticket.length < 1 || ticket.length > 65535) throw new TlsConfigError('TLS_CONFIG_INVALID', 'ticketCodec.seal must return 1..65535 bytes (RFC 8446 §4.6.1)');
      const exts: Extension[] = maxEarly > 0 ? [{ extension_type: ExtensionType.early_data, body: { max_early_data_size: maxEarly } }] : [];
      this.queueHandshake(4, encode('NewSessionTicket', () => encodeNewSessionTicket({ ticket_lifetime: lifetime, ticket_age_add: ageAdd, ticket_nonce: nonce, ticket, extensions: { items: this.shape('new_session_ticket', exts) } })), { transcript: false });
    }
  }

  protected handshakeCompleteEvent(): TlsEvent {
    const n = this.neg!;
    return ({
      type: 'handshakeComplete', version: 'TLSv1.3', cipherSuite: n.suite.id, group: n.group,
      signatureScheme: n.psk ? undefined : n.scheme, alpn: n.alpn, serverName: n.serverName,
      resumed: n.psk !== undefined, earlyDataAccepted: n.earlyAccepted, peerCertificates: this.peerCertificates ?? NO_CERTIFICATES,
    });
  }

  protected override releaseHandshakeState(): void {
    super.releaseHandshakeState();
    // Negotiation state is handshake-only (no transition after CONNECTED reads it; the tickets are sent
    // before): drop it so an idle connection keeps no decoded ClientHello (and the message bytes its
    // fields view), key schedule, handshake secrets or peer certificates for its whole life.
    this.hs = undefined;
  }

  // ---- post-handshake ----------------------------------------------------------------------------

}

/** The host name the last ClientHello under each configuration named (server names travel in the clear). */
const lastHostName = new WeakMap<TlsServerConfig, string>();

/** `name`, as the string of an earlier connection under `config` when it names the same host: the
 *  connection's handshakeComplete event (and whoever keeps its serverName for the connection's life, as
 *  a TlsSocket does) then shares that string rather than holding a copy of its own. */
function sameHostName(config: TlsServerConfig, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const last = lastHostName.get(config);
  if (last === name) return last;
  lastHostName.set(config, name);
  return name;
}

/** The host_name entry of server_name (RFC 6066 §3), lower-cased; undefined when absent. */
function hostName(entries: readonly { name_type: number; host_name: Uint8Array }[] | undefined): string | undefined {
  if (!entries) return undefined;
  const hosts = entries.filter((e) => e.name_type === 0);
  if (hosts.length > 1) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello.server_name has two host_name entries (RFC 6066 §3)');
  if (hosts.length === 0) return undefined;
  let name: string;
  try { name = utf8Strict.decode(hosts[0]!.host_name); } catch { throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', 'ClientHello.server_name host name is not valid text'); }
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello.server_name host name has characters outside letters, digits, hyphen and dot');
  return name.toLowerCase();
}
