// The TLS 1.3 client: implementations of the named actions and guards of the generated client table
// (specs/tls13/machines/client.json). Nothing here decides message order; each method does the one
// thing its name says, when the table says so.
import type { CertificateVerifier } from '../x509/index.ts';
import type { CipherSuiteParams, KeyShare } from '../crypto/provider.ts';
import { checkClientConfig, type ClientSession, type TlsClientConfig } from './config.ts';
import { Connection, defineClassMembers, sharedImplementations } from './connection.ts';
import { AlertDescription, TlsConfigError, TlsPeerError, TlsUsageError } from './errors.ts';
import type { TlsEvent } from './events.ts';
import { finishedVerifyData, KeyLogLabel, KeySchedule, resumptionPsk } from './keyschedule.ts';
import {
  certificateVerifyContent, checkCertificateVerify, checkFinished, MODERN_SCHEMES, suiteParams, verifyPeerChain,
} from './negotiation.ts';
import { RecordProtection } from './record-protection.ts';
import {
  clientTable, ClientState, type ClientAction, type ClientEvent, type ClientGuard, type ClientImplementations,
} from './tables.ts';
import {
  checkNoDuplicates, decode, decodeCertificate, decodeCertificateRequest, decodeCertificateVerify, decodeEncryptedExtensions,
  decodeFinished, decodeNewSessionTicket, decodeServerHello, encode, encodeCertificate,
  encodeCertificateVerify, encodeClientHello, encodeEndOfEarlyData, encodeFinished, ExtensionType, findExt,
  frameHandshake, type Extension, type Extensions, type ServerHello,
} from './messages.ts';
import { bytesEqual, ContentType, enc } from './bytes.ts';

const MAX_TICKET_LIFETIME = 604800;
const utf8 = new TextDecoder();
/** What a client tells the application when the server does not speak TLS 1.3 (RFC 8446 App. D.1). */
export const TLS12_SERVER = 'the server only speaks TLS 1.2 (or lower); protosmith requires TLS 1.3: enable TLS 1.3 on the server, or use node:tls for this peer';

/** The table's sink states (one object for every connection). */
const CLIENT_SINKS = { error: ClientState.ERROR, closed: ClientState.CLOSED } as const;

export class TlsClient extends Connection<ClientState, ClientEvent, ClientGuard, ClientAction> {
  declare readonly role: 'client';
  private readonly config: TlsClientConfig;
  private readonly suites: number[];
  private readonly groups: number[];
  private readonly schemes: number[];
  private readonly verifier: CertificateVerifier | undefined;
  private readonly clientChain: Uint8Array[];

  // negotiation state
  private random: Uint8Array | undefined;
  private sessionId: Uint8Array = new Uint8Array(0);
  private shares = new Map<number, KeyShare>();
  private cookie: Uint8Array | undefined;
  /** The cipher suite a HelloRetryRequest chose (the ServerHello after it must keep it). */
  private retrySuite: number | undefined;
  /** Whether the ClientHello in force (the last one sent) offers early_data: the earlyDataOffered guard. */
  private helloOffersEarly = false;
  private offeredPsk: { session: ClientSession; psk: Uint8Array; suite: CipherSuiteParams } | undefined;
  /** The early key schedule of the offered PSK (from the binder of the last ClientHello); the handshake goes on from it when the PSK is accepted. */
  private pskSchedule: KeySchedule | undefined;
  private earlyOffered = false;
  private earlyAccepted = false;
  private earlySent = 0;
  private pskAccepted = false;
  private sharedSecret: Uint8Array | undefined;
  private group: number | undefined;
  private hsSchedule: KeySchedule | undefined;
  private cHs: Uint8Array | undefined;
  private sHs: Uint8Array | undefined;
  private resumptionMaster: Uint8Array | undefined;
  private alpn: string | undefined;
  private offeredExtensions = new Set<number>();
  private peerCertificates: Uint8Array[] = [];
  private leafSpki: Uint8Array | undefined;
  private certificateEmpty = false;
  private certRequest: { context: Uint8Array; scheme: number | undefined } | undefined;
  private serverScheme: number | undefined;

  constructor(config: TlsClientConfig) {
    const checked = checkClientConfig(config);
    super(config);
    this.config = config;
    this.suites = checked.suites;
    this.groups = checked.groups;
    this.schemes = checked.schemes;
    this.verifier = checked.verifier;
    this.clientChain = checked.chain;
  }

  /** Queue the ClientHello (and 0-RTT data when configured and possible). */
  start(): Promise<TlsEvent[]> {
    return this.serial(async () => {
      await this.local('Start');
      if (this.config.earlyData && this.helloOffersEarly) {
        this.currentData = this.config.earlyData;
        await this.local('AppWrite');
      }
    });
  }

  /** True once the server accepted 0-RTT data (known after EncryptedExtensions). */
  get earlyDataAccepted(): boolean { return this.earlyAccepted; }

  /** The generated ClientImplementations with the connection as its context: built once for the class
   *  and shared (frozen) by every connection, so a connection costs no guard or action closures. */
  static readonly #implementations = sharedImplementations<ClientImplementations<TlsClient>>({
    guards: {
      earlyDataOffered: (c) => c.helloOffersEarly,
      pskAccepted: (c) => c.pskAccepted,
      certificateEmpty: (c) => c.certificateEmpty,
      earlyDataAccepted: (c) => c.earlyAccepted,
      clientCertificateSelected: (c) => c.certRequest?.scheme !== undefined,
      clientAuthRequested: (c) => c.certRequest !== undefined,
    },
    actions: {
      sendClientHello: (c) => c.sendClientHello(true),
      sendSecondClientHello: (c) => c.sendClientHello(false),
      sendChangeCipherSpec: (c) => c.sendCcs(),
      installEarlyWriteKeys: (c) => c.installEarlyWriteKeys(),
      discardEarlyWriteKeys: (c) => c.setWriteCipher(undefined),
      sendEarlyData: (c) => c.sendEarlyData(),
      processHelloRetryRequest: (c) => c.processHelloRetryRequest(),
      checkServerHelloMatchesRetry: (c) => c.checkServerHelloMatchesRetry(),
      processServerHello: (c) => c.processServerHello(),
      installHandshakeReadKeys: (c) => c.installHandshakeReadKeys(),
      processEncryptedExtensions: (c) => c.processEncryptedExtensions(),
      processCertificateRequest: (c) => c.processCertificateRequest(),
      verifyServerCertificate: (c) => c.verifyServerCertificate(),
      verifyServerCertificateVerify: (c) => c.verifyServerCertificateVerify(),
      verifyServerFinished: (c) => c.verifyServerFinished(),
      sendEndOfEarlyData: (c) => { c.queueHandshake(5, encode('EndOfEarlyData', () => encodeEndOfEarlyData({}))); },
      installHandshakeWriteKeys: async (c) => c.setWriteCipher(await RecordProtection.fromSecret(c.crypto, c.suite!, c.cHs!)),
      sendCertificate: (c) => c.sendCertificate(),
      sendCertificateVerify: (c) => c.sendCertificateVerify(),
      sendFinished: (c) => c.sendFinished(),
      installApplicationWriteKeys: (c) => c.installApplicationWriteKeys(),
      installApplicationReadKeys: async (c) => c.setReadCipher(await RecordProtection.fromSecret(c.crypto, c.suite!, c.sAp!)),
      deliverApplicationData: (c) => c.deliverApplicationData(),
      storeTicket: (c) => c.storeTicket(),
      updateReadKeys: (c) => c.updateReadKeys(),
      answerKeyUpdateIfRequested: (c) => c.answerKeyUpdate(),
      sendApplicationData: (c) => c.sendApplicationData(),
      sendKeyUpdate: (c) => c.sendKeyUpdate(c.keyUpdateRequestPeer),
      updateWriteKeys: (c) => c.updateWriteKeys(),
      sendCloseNotify: (c) => c.sendCloseNotify(),
      reportHandshakeComplete: (c) => c.reportHandshakeComplete(),
      reportPeerClosed: (c) => c.reportPeerClosed(),
      reportClosed: (c) => c.reportClosed(),
      reportUserCanceled: (c) => c.reportUserCanceled(),
    },
  });

  static {
    defineClassMembers(TlsClient, { role: 'client', table: clientTable, sinks: CLIENT_SINKS, implementations: TlsClient.#implementations });
  }

  protected get middleboxCompat(): boolean { return this.config.middleboxCompat !== false; }

  // ---- ClientHello -------------------------------------------------------------------------------

  /** The first ClientHello, or (first = false) the second one, answering a HelloRetryRequest. */
  private async sendClientHello(first: boolean): Promise<void> {
    if (first) {
      this.random = this.crypto.randomBytes(32);
      this.clientRandom = this.random;
      if (this.middleboxCompat) this.sessionId = this.crypto.randomBytes(32);
      const count = Math.max(1, Math.min(this.config.keyShareCount ?? 1, this.groups.length));
      for (const g of this.groups.slice(0, count)) this.shares.set(g, await this.providerCall(() => this.crypto.generateKeyShare(g), 'generating a key share'));
    } else if (this.pendingGroup !== undefined) {
      // second ClientHello: exactly one share, for the group the HelloRetryRequest selected (RFC 8446 §4.1.4)
      const g = this.pendingGroup;
      this.shares = new Map([[g, await this.providerCall(() => this.crypto.generateKeyShare(g), 'generating a key share')]]);
      this.pendingGroup = undefined;
    }
    const exts: Extension[] = [];
    const sni = this.config.serverName;
    if (sni && !/^[0-9.]+$/.test(sni) && !sni.includes(':')) {
      exts.push({ extension_type: ExtensionType.server_name, body: { server_name_list: { items: [{ name_type: 0, host_name: enc(sni) }] } } });
    }
    exts.push({ extension_type: ExtensionType.supported_groups, body: { named_group_list: { items: this.groups } } });
    exts.push({ extension_type: ExtensionType.signature_algorithms, body: { supported_signature_algorithms: { items: this.schemes } } });
    if (this.config.alpn && this.config.alpn.length > 0) {
      exts.push({ extension_type: ExtensionType.application_layer_protocol_negotiation, body: { protocol_name_list: { items: this.config.alpn.map((n) => ({ name: enc(n) })) } } });
    }
    if (this.config.recordSizeLimit !== undefined) exts.push({ extension_type: ExtensionType.record_size_limit, body: { record_size_limit: this.config.recordSizeLimit } });
    exts.push({ extension_type: ExtensionType.supported_versions, body: { versions: { items: [0x0304] } } });
    exts.push({ extension_type: ExtensionType.psk_key_exchange_modes, body: { ke_modes: { items: [1] } } });
    exts.push({ extension_type: ExtensionType.key_share, body: { client_shares: { items: [...this.shares.values()].map((k) => ({ group: k.group, key_exchange: k.publicKey })) } } });
    if (this.cookie) exts.push({ extension_type: ExtensionType.cookie, body: { cookie: this.cookie } });
    this.helloOffersEarly = first && this.earlyOffered;
    if (this.helloOffersEarly) exts.push({ extension_type: ExtensionType.early_data, body: {} });
    const shape = this.config.expert?.shapeExtensions;
    if (shape) exts.splice(0, exts.length, ...shape('client_hello', exts, { retry: !first }));
    const psk = this.offeredPsk;
    if (psk) {
      const age = (Math.max(0, this.now() - psk.session.receivedAt) + psk.session.ticketAgeAdd) >>> 0;
      exts.push({ extension_type: ExtensionType.pre_shared_key, body: { offered_psks: {
        identities: { items: [{ identity: psk.session.ticket, obfuscated_ticket_age: age }] },
        binders: { items: [{ binder: new Uint8Array(psk.suite.hashLength) }] },
      } } });
    }
    for (const e of exts) this.offeredExtensions.add(e.extension_type);
    const body = encode('ClientHello', () => encodeClientHello({
      legacy_version: 0x0303, random: this.random!, legacy_session_id: this.sessionId, cipher_suites: { items: this.suites },
      legacy_compression_methods: Uint8Array.of(0), extensions: { items: exts },
    }));
    if (psk) {
      // Binder over the transcript so far plus the ClientHello truncated before the binders list
      // (RFC 8446 §4.2.11.2); the binders list (2-byte length, 1-byte length, binder) ends the message.
      const hl = psk.suite.hashLength;
      const framed = frameHandshake(1, body);
      const truncated = framed.subarray(0, framed.length - (2 + 1 + hl));
      const th = this.transcript.ready ? this.transcript.hashWith(truncated) : this.crypto.hash(psk.suite.hash, truncated);
      const early = await KeySchedule.start(this.crypto, psk.suite.hash, psk.psk);
      this.pskSchedule = early;
      const binder = await finishedVerifyData(this.crypto, psk.suite.hash, await early.binderKey('resumption'), th);
      body.set(binder, body.length - hl);
      if (this.helloOffersEarly) {
        this.earlyTrafficSecret = await early.clientEarlyTrafficSecret(this.crypto.hash(psk.suite.hash, frameHandshake(1, body)));
      }
    }
    this.queueHandshake(1, body);
  }

  private earlyTrafficSecret: Uint8Array | undefined;

  private preparePsk(): void {
    const s = this.config.session;
    if (!s) return;
    const suite = suiteParams(s.cipherSuite);
    const ageMs = this.now() - s.receivedAt;
    if (ageMs < 0 || ageMs > Math.min(s.lifetimeSeconds, MAX_TICKET_LIFETIME) * 1000) return; // expired: full handshake
    if (!this.suites.includes(s.cipherSuite) && !this.suites.some((x) => suiteParams(x).hash === suite.hash)) return;
    if (this.config.serverName !== undefined && s.serverName !== undefined && s.serverName !== this.config.serverName) return;
    this.offeredPsk = { session: s, psk: s.resumptionSecret, suite };
    this.earlyOffered = this.config.earlyData !== undefined && s.maxEarlyData > 0 && this.suites.includes(s.cipherSuite);
  }

  private async installEarlyWriteKeys(): Promise<void> {
    const psk = this.offeredPsk!;
    this.keyLog(KeyLogLabel.clientEarlyTraffic, this.earlyTrafficSecret!);
    await this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, suiteParams(psk.session.cipherSuite), this.earlyTrafficSecret!));
  }

  private async sendEarlyData(): Promise<void> {
    const d = this.currentData ?? new Uint8Array(0);
    this.currentData = undefined;
    const max = this.offeredPsk?.session.maxEarlyData ?? 0;
    if (this.earlySent + d.length > max) throw new TlsUsageError('TLS_BAD_ARGUMENT', `0-RTT data of ${this.earlySent + d.length} bytes exceeds the server's max_early_data_size ${max}; send the rest after the handshake`);
    this.earlySent += d.length;
    await this.flushHandshake();
    if (d.length > 0) await this.sendContent(ContentType.application_data, d);
  }

  // ---- ServerHello / HelloRetryRequest -----------------------------------------------------------

  /** Decodes a ServerHello or HelloRetryRequest. A block of extensions that is absent or too short to hold
   *  supported_versions is a TLS 1.2 (or older) ServerHello: protocol_version (RFC 8446 App. D.1). */
  private decodeHello(what: 'ServerHello' | 'HelloRetryRequest'): ServerHello & { extensions: Extensions } {
    let sh: ServerHello;
    try {
      sh = decode(what, () => decodeServerHello(this.current!.body));
    } catch (e) {
      if (e instanceof TlsPeerError && e.code === 'TLS_PROTOCOL_VERSION') throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', `${TLS12_SERVER} (${e.message})`, { cause: e });
      throw e;
    }
    if (sh.extensions === undefined) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', `${TLS12_SERVER} (its ${what} has no extensions, so no supported_versions)`);
    return sh as ServerHello & { extensions: Extensions };
  }

  private checkHelloCommon(sh: ServerHello & { extensions: Extensions }, what: string): void {
    checkNoDuplicates(sh.extensions, what);
    // The version first: a TLS 1.2 server fails every other check too, and the version says why.
    const v = findExt(sh.extensions, ExtensionType.supported_versions)?.selected_version;
    if (v === undefined) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', `${TLS12_SERVER} (its ${what} has no supported_versions extension)`);
    if (v !== 0x0304) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `${what} selected version 0x${v.toString(16)}; only TLS 1.3 (0x0304) was offered`);
    if (!bytesEqual(sh.legacy_session_id_echo, this.sessionId)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `${what}.legacy_session_id_echo does not echo the ClientHello's session id (RFC 8446 §4.1.3)`);
    if (!this.suites.includes(sh.cipher_suite)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `${what} selected cipher suite 0x${sh.cipher_suite.toString(16)}, which was not offered`);
    for (const e of sh.extensions.items) {
      if (!this.offeredExtensions.has(e.extension_type) && e.extension_type !== ExtensionType.cookie) throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', `${what} carries extension ${e.extension_type}, which the client did not offer (RFC 8446 §4.2)`);
    }
  }

  private processHelloRetryRequest(): void {
    const sh = this.decodeHello('HelloRetryRequest');
    this.checkHelloCommon(sh, 'HelloRetryRequest');
    const allowed = new Set<number>([ExtensionType.key_share, ExtensionType.cookie, ExtensionType.supported_versions]);
    for (const e of sh.extensions.items) if (!allowed.has(e.extension_type)) throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', `HelloRetryRequest carries extension ${e.extension_type}; only key_share, cookie and supported_versions are allowed`);
    let changed = false;
    const g = findExt(sh.extensions, ExtensionType.key_share)?.selected_group;
    if (g !== undefined) {
      if (!this.groups.includes(g) || this.shares.has(g)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `HelloRetryRequest selected group 0x${g.toString(16)}, which was ${this.shares.has(g) ? 'already given a key share' : 'not offered'} (RFC 8446 §4.2.8)`);
      this.pendingGroup = g;
      changed = true;
    }
    const cookie = findExt(sh.extensions, ExtensionType.cookie)?.cookie;
    if (cookie !== undefined) {
      if (cookie.length === 0) throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', 'HelloRetryRequest cookie is empty (RFC 8446 §4.2.2: cookie<1..2^16-1>)');
      this.cookie = cookie.slice();
      changed = true;
    }
    if (!changed) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'HelloRetryRequest would not change the ClientHello (RFC 8446 §4.1.4)');
    const suite = suiteParams(sh.cipher_suite);
    this.retrySuite = sh.cipher_suite;
    this.suite = suite;
    this.transcript.replaceWithMessageHash(suite.hash);
    this.transcript.add(this.current!.raw);
    // The second ClientHello offers no early data (sendSecondClientHello); drop a PSK whose hash does not match.
    if (this.offeredPsk && this.offeredPsk.suite.hash !== suite.hash) this.offeredPsk = undefined;
  }

  private pendingGroup: number | undefined;

  /** Facts the table's guards read for `event`, computed only when the table asks (its candidates are guarded). */
  protected override async prepare(event: ClientEvent): Promise<void> {
    if (event === 'Start') {
      this.preparePsk();
      this.helloOffersEarly = this.earlyOffered; // the ClientHello about to be sent
    }
    if (event === 'Certificate') {
      const c = decode('Certificate', () => decodeCertificate(this.current!.body));
      this.certificateEmpty = c.certificate_list.items.length === 0;
    }
  }

  private async processServerHello(): Promise<void> {
    const sh = this.decodeHello('ServerHello');
    this.checkHelloCommon(sh, 'ServerHello');
    for (const e of sh.extensions.items) {
      if (e.extension_type !== ExtensionType.key_share && e.extension_type !== ExtensionType.pre_shared_key && e.extension_type !== ExtensionType.supported_versions) {
        throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', `ServerHello carries extension ${e.extension_type}; only key_share, pre_shared_key and supported_versions belong there (RFC 8446 §4.2)`);
      }
    }
    const suite = suiteParams(sh.cipher_suite);
    const psk = findExt(sh.extensions, ExtensionType.pre_shared_key);
    if (psk) {
      if (!this.offeredPsk) throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', 'ServerHello selects a PSK but none was offered');
      if (psk.selected_identity !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `ServerHello selected PSK identity ${String(psk.selected_identity)}; only identity 0 was offered`);
      if (this.offeredPsk.suite.hash !== suite.hash) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ServerHello selected a PSK with a cipher suite whose hash differs from the ticket\'s (RFC 8446 §4.2.11)');
      this.pskAccepted = true;
    }
    const entry = findExt(sh.extensions, ExtensionType.key_share)?.server_share;
    if (!entry) throw new TlsPeerError('TLS_MISSING_EXTENSION', 'missing_extension', 'ServerHello has no key_share: protosmith only does (EC)DHE key exchange (psk_dhe_ke)');
    const share = this.shares.get(entry.group);
    if (!share) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `ServerHello key_share uses group 0x${entry.group.toString(16)}, for which the client sent no share (RFC 8446 §4.2.8)`);
    this.sharedSecret = await this.providerCall(() => share.agree(entry.key_exchange), 'ServerHello key_share');
    this.group = entry.group;
    this.suite = suite;
    this.transcript.setHash(suite.hash);
  }

  private checkServerHelloMatchesRetry(): void {
    const sh = decode('ServerHello', () => decodeServerHello(this.current!.body));
    if (sh.cipher_suite !== this.retrySuite) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ServerHello cipher suite differs from the HelloRetryRequest\'s (RFC 8446 §4.1.4)');
  }

  private async installHandshakeReadKeys(): Promise<void> {
    const suite = this.suite!;
    const schedule = this.pskAccepted ? this.pskSchedule! : await KeySchedule.start(this.crypto, suite.hash);
    this.pskSchedule = undefined;
    await schedule.enterHandshake(this.sharedSecret);
    const h = this.transcript.hash();
    this.cHs = await schedule.clientHandshakeTrafficSecret(h);
    this.sHs = await schedule.serverHandshakeTrafficSecret(h);
    this.hsSchedule = schedule;
    this.keyLog(KeyLogLabel.clientHandshakeTraffic, this.cHs);
    this.keyLog(KeyLogLabel.serverHandshakeTraffic, this.sHs);
    this.setReadCipher(await RecordProtection.fromSecret(this.crypto, suite, this.sHs));
  }

  // ---- server's encrypted flight -------------------------------------------------------------------

  private processEncryptedExtensions(): void {
    const ee = decode('EncryptedExtensions', () => decodeEncryptedExtensions(this.current!.body));
    const exts = ee.extensions;
    checkNoDuplicates(exts, 'EncryptedExtensions');
    const forbidden = new Set<number>([ExtensionType.key_share, ExtensionType.pre_shared_key, ExtensionType.supported_versions, ExtensionType.cookie,
      ExtensionType.psk_key_exchange_modes, ExtensionType.signature_algorithms, ExtensionType.signature_algorithms_cert, ExtensionType.certificate_authorities, ExtensionType.post_handshake_auth, ExtensionType.padding]);
    for (const e of exts.items) {
      if (forbidden.has(e.extension_type)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `EncryptedExtensions carries extension ${e.extension_type}, which is not allowed there (RFC 8446 §4.2)`);
      if (!this.offeredExtensions.has(e.extension_type)) throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', `EncryptedExtensions carries extension ${e.extension_type}, which the client did not offer`);
    }
    const alpn = findExt(exts, ExtensionType.application_layer_protocol_negotiation);
    if (alpn) {
      const list = alpn.protocol_name_list.items.map((p) => utf8.decode(p.name));
      if (list.length !== 1 || !(this.config.alpn ?? []).includes(list[0]!)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `EncryptedExtensions selects ALPN ${JSON.stringify(list)}; exactly one of the offered protocols is required (RFC 7301 §3.1)`);
      this.alpn = list[0];
    }
    const ed = findExt(exts, ExtensionType.early_data);
    if (ed) {
      if (ed.max_early_data_size !== undefined || !this.helloOffersEarly || !this.pskAccepted) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'EncryptedExtensions accepts early data that was not offered, or without accepting the PSK (RFC 8446 §4.2.10)');
      this.earlyAccepted = true;
    }
    const rsl = findExt(exts, ExtensionType.record_size_limit);
    if (rsl) {
      const v = rsl.record_size_limit;
      if (v < 64) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `record_size_limit ${v} is below 64 (RFC 8449 §4)`);
      this.sendLimit = Math.min(16384, v - 1);
      if (this.config.recordSizeLimit !== undefined) this.recvLimit = Math.min(16384, this.config.recordSizeLimit - 1);
    }
  }

  private processCertificateRequest(): void {
    const cr = decode('CertificateRequest', () => decodeCertificateRequest(this.current!.body));
    checkNoDuplicates(cr.extensions, 'CertificateRequest');
    if (cr.certificate_request_context.length !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'CertificateRequest during the handshake must have an empty certificate_request_context (RFC 8446 §4.3.2)');
    const sa = findExt(cr.extensions, ExtensionType.signature_algorithms);
    if (!sa) throw new TlsPeerError('TLS_MISSING_EXTENSION', 'missing_extension', 'CertificateRequest lacks signature_algorithms (RFC 8446 §4.3.2)');
    const serverSchemes: number[] = sa.supported_signature_algorithms.items;
    let scheme: number | undefined;
    if (this.clientChain.length > 0 && this.config.signingKey) {
      scheme = this.config.signingKey.schemes.find((x) => serverSchemes.includes(x) && MODERN_SCHEMES.includes(x));
    }
    this.certRequest = { context: cr.certificate_request_context, scheme };
  }

  private async verifyServerCertificate(): Promise<void> {
    const c = decode('Certificate', () => decodeCertificate(this.current!.body));
    if (c.certificate_request_context.length !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'server Certificate has a non-empty certificate_request_context (RFC 8446 §4.4.2)');
    this.peerCertificates = c.certificate_list.items.map((x) => x.cert_data.slice());
    this.leafSpki = await verifyPeerChain({
      crypto: this.crypto, chain: this.peerCertificates, role: 'client', serverName: this.config.serverName, now: this.now(),
      verifier: this.verifier, expert: this.config.expert,
    });
  }

  private async verifyServerCertificateVerify(): Promise<void> {
    const cv = decode('CertificateVerify', () => decodeCertificateVerify(this.current!.body));
    await checkCertificateVerify(this.crypto, this.leafSpki!, cv.algorithm, this.schemes, cv.signature, certificateVerifyContent(true, this.transcriptBefore!), 'server');
    this.serverScheme = cv.algorithm;
  }

  private async verifyServerFinished(): Promise<void> {
    const fin = decode('Finished', () => decodeFinished(this.current!.body));
    const expected = await finishedVerifyData(this.crypto, this.suite!.hash, this.sHs!, this.transcriptBefore!);
    checkFinished(fin.verify_data, expected, 'server');
    await this.deriveApplicationSecrets(this.hsSchedule!);
  }

  // ---- client's second flight ----------------------------------------------------------------------

  private sendCertificate(): void {
    const cr = this.certRequest!;
    const chain = cr.scheme !== undefined ? this.clientChain : [];
    this.queueHandshake(11, encode('Certificate', () => encodeCertificate({
      certificate_request_context: cr.context, certificate_list: { items: chain.map((c) => ({ cert_data: c, extensions: { items: [] } })) },
    })));
  }

  private async sendCertificateVerify(): Promise<void> {
    const scheme = this.certRequest!.scheme!;
    const content = certificateVerifyContent(false, this.transcript.hash());
    const sig = await this.providerCall(() => this.config.signingKey!.sign(scheme, content), 'signing the client CertificateVerify');
    this.queueHandshake(15, encode('CertificateVerify', () => encodeCertificateVerify({ algorithm: scheme, signature: sig })));
  }

  private async sendFinished(): Promise<void> {
    const vd = await finishedVerifyData(this.crypto, this.suite!.hash, this.cHs!, this.transcript.hash());
    this.queueHandshake(20, encode('Finished', () => encodeFinished({ verify_data: vd })));
  }

  private async installApplicationWriteKeys(): Promise<void> {
    this.resumptionMaster = await this.hsSchedule!.resumptionMasterSecret(this.transcript.hash());
    await this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.cAp!));
  }

  protected override alertHint(description: number): string {
    // protocol_version before any ServerHello: the server refused the only version offered (RFC 8446 App. D.1).
    return description === AlertDescription.protocol_version && this.suite === undefined ? `: ${TLS12_SERVER}` : '';
  }

  protected override async alertCipher(): Promise<RecordProtection | undefined> {
    // After ServerHello the server reads handshake-protected records; a plaintext alert would be unreadable.
    return this.cHs && this.suite ? RecordProtection.fromSecret(this.crypto, this.suite, this.cHs) : undefined;
  }

  protected handshakeCompleteEvent(): TlsEvent {
    return ({
      type: 'handshakeComplete', version: 'TLSv1.3', cipherSuite: this.suite!.id, group: this.group,
      signatureScheme: this.serverScheme, alpn: this.alpn, serverName: this.config.serverName,
      resumed: this.pskAccepted, earlyDataAccepted: this.earlyAccepted, peerCertificates: this.peerCertificates,
    });
  }

  protected override releaseHandshakeState(): void {
    super.releaseHandshakeState();
    // Handshake-only (nothing after CONNECTED reads them; tickets need only resumptionMaster, suite and
    // alpn): the key shares' private keys, the offered session, handshake secrets and schedule, the
    // server's certificates (the handshakeComplete event carries them) and the CertificateRequest.
    this.random = undefined;
    this.shares.clear();
    this.offeredExtensions.clear();
    this.cookie = undefined;
    this.offeredPsk = undefined;
    this.sharedSecret = undefined;
    this.hsSchedule = undefined;
    this.cHs = undefined;
    this.sHs = undefined;
    this.earlyTrafficSecret = undefined;
    this.peerCertificates = [];
    this.leafSpki = undefined;
    this.certRequest = undefined;
  }

  // ---- post-handshake ----------------------------------------------------------------------------

  private async storeTicket(): Promise<void> {
    const nst = decode('NewSessionTicket', () => decodeNewSessionTicket(this.current!.body));
    checkNoDuplicates(nst.extensions, 'NewSessionTicket');
    const maxEarly = findExt(nst.extensions, ExtensionType.early_data)?.max_early_data_size ?? 0;
    if (nst.ticket.length === 0) throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', 'NewSessionTicket has an empty ticket (RFC 8446 §4.6.1: ticket<1..2^16-1>)');
    if (nst.ticket_lifetime > MAX_TICKET_LIFETIME) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `NewSessionTicket lifetime ${nst.ticket_lifetime}s exceeds 7 days (RFC 8446 §4.6.1)`);
    if (nst.ticket_lifetime === 0) return;
    const psk = await resumptionPsk(this.crypto, this.suite!.hash, this.resumptionMaster!, nst.ticket_nonce);
    const ticket: ClientSession = {
      version: 0x0304, serverName: this.config.serverName, cipherSuite: this.suite!.id, ticket: nst.ticket.slice(),
      resumptionSecret: psk, ticketAgeAdd: nst.ticket_age_add, lifetimeSeconds: nst.ticket_lifetime, receivedAt: this.now(),
      maxEarlyData: maxEarly, alpn: this.alpn,
    };
    this.emit({ type: 'newSessionTicket', ticket });
  }

}
