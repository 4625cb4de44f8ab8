// The TLS 1.3 client: implementations of the named actions and guards of the generated client table
// (specs/tls13/machines/client.json). Nothing here decides message order; each method does the one
// thing its name says, when the table says so.
import type { CipherSuiteParams, KeyShare } from '../crypto/provider.ts';
import type { ClientSession, TlsClientConfig } from './config.ts';
import { Connection, type Actions, type Guards } from './connection.ts';
import { asProtosmithError, TlsConfigError, TlsPeerError, TlsUsageError } from './errors.ts';
import type { TlsEvent } from './events.ts';
import { finishedVerifyData, KeyLogLabel, KeySchedule, nextTrafficSecret, resumptionPsk } from './keyschedule.ts';
import {
  certificateVerifyContent, checkCertificateVerify, MODERN_GROUPS, MODERN_SCHEMES, MODERN_SUITES, pick, suiteParams,
  toDerList, verifyPeerChain,
} from './negotiation.ts';
import { RecordProtection } from './record-protection.ts';
import { clientTable, type ClientAction, type ClientGuard } from './tables.ts';
import {
  bytesEqual, ContentType, decodeAlpnList, decodeCertificate, decodeCertificateRequest, decodeCertificateVerify,
  decodeExtensionsOnly, decodeKeyUpdate, decodeNewSessionTicket, decodeServerHello, enc, encodeAlpnList,
  encodeCertificate, encodeCertificateVerify, encodeClientHello, ext, ExtensionType, findExt, Reader, u16List,
  type Extension, type ServerHello,
} from './wire.ts';

const MAX_TICKET_LIFETIME = 604800;

export class TlsClient extends Connection {
  readonly role = 'client' as const;
  protected readonly middleboxCompat: boolean;
  private readonly config: TlsClientConfig;
  private readonly suites: number[];
  private readonly groups: number[];
  private readonly schemes: number[];
  private readonly anchors: Uint8Array[] | undefined;
  private readonly clientChain: Uint8Array[];

  // negotiation state
  private random: Uint8Array | undefined;
  private sessionId: Uint8Array = new Uint8Array(0);
  private shares = new Map<number, KeyShare>();
  private cookie: Uint8Array | undefined;
  private hrrSeen = false;
  private hrrSuite: number | undefined;
  private offeredPsk: { session: ClientSession; psk: Uint8Array; suite: CipherSuiteParams } | undefined;
  private earlyOffered = false;
  private earlyAccepted = false;
  private earlySent = 0;
  private pskAccepted = false;
  private sharedSecret: Uint8Array | undefined;
  private group: number | undefined;
  private serverHello: ServerHello | undefined;
  private hsSchedule: KeySchedule | undefined;
  private cHs: Uint8Array | undefined;
  private sHs: Uint8Array | undefined;
  private cAp: Uint8Array | undefined;
  private sAp: Uint8Array | undefined;
  private resumptionMaster: Uint8Array | undefined;
  private alpn: string | undefined;
  private offeredExtensions = new Set<number>();
  private peerCertificates: Uint8Array[] = [];
  private leafSpki: Uint8Array | undefined;
  private certificateEmpty = false;
  private certRequest: { context: Uint8Array; scheme: number | undefined } | undefined;
  private serverScheme: number | undefined;
  private peerKeyUpdateRequested = false;

  constructor(config: TlsClientConfig) {
    super(config, clientTable);
    this.config = config;
    const caps = config.crypto.capabilities();
    this.suites = pick('cipher suite', config.cipherSuites, MODERN_SUITES, caps.cipherSuites);
    this.groups = pick('group', config.groups, MODERN_GROUPS, caps.groups);
    this.schemes = pick('signature scheme', config.signatureSchemes, MODERN_SCHEMES, caps.signatureSchemes);
    this.middleboxCompat = config.middleboxCompat !== false;
    const expert = config.expert?.dangerouslyVerifyPeer !== undefined;
    if (!expert && (config.serverName === undefined || config.serverName === '')) {
      throw new TlsConfigError('TLS_CONFIG_MISSING', 'serverName is required: it is sent in SNI and the server certificate is checked against it (there is no switch to skip this)');
    }
    if (!expert && (!config.trustAnchors || config.trustAnchors.length === 0)) {
      throw new TlsConfigError('TLS_CONFIG_MISSING', 'trustAnchors are required to verify the server certificate (PEM or DER of the issuing CA); verification cannot be disabled');
    }
    this.anchors = config.trustAnchors ? toDerList(config.trustAnchors, 'trustAnchors') : undefined;
    this.clientChain = config.certificateChain ? toDerList(config.certificateChain, 'certificateChain') : [];
    if (this.clientChain.length > 0 && !config.signingKey) throw new TlsConfigError('TLS_CONFIG_MISSING', 'certificateChain is set but signingKey is missing');
    for (const p of config.alpn ?? []) if (p.length === 0 || enc(p).length > 255) throw new TlsConfigError('TLS_CONFIG_INVALID', `ALPN protocol "${p}" must be 1..255 bytes`);
    if (config.earlyData && !config.session) throw new TlsConfigError('TLS_CONFIG_INVALID', 'earlyData needs a session (0-RTT is only possible when resuming)');
    if (config.keyShareCount !== undefined && (!Number.isInteger(config.keyShareCount) || config.keyShareCount < 0)) throw new TlsConfigError('TLS_CONFIG_INVALID', 'keyShareCount must be a non-negative integer');
  }

  /** Queue the ClientHello (and 0-RTT data when configured and possible). */
  start(): Promise<TlsEvent[]> {
    return this.serial(async () => {
      if (this.random) throw new TlsUsageError('TLS_ALREADY_STARTED', 'start() was already called');
      this.preparePsk(); // decides earlyDataOffered, which the table reads on Start
      await this.local('Start');
      if (this.config.earlyData && this.earlyOffered) {
        this.currentData = this.config.earlyData;
        await this.local('AppWrite');
      }
    });
  }

  /** True once the server accepted 0-RTT data (known after EncryptedExtensions). */
  get earlyDataAccepted(): boolean { return this.earlyAccepted; }

  protected readonly guards: Guards = {
    earlyDataOffered: () => this.earlyOffered,
    pskAccepted: () => this.pskAccepted,
    certificateEmpty: () => this.certificateEmpty,
    earlyDataAccepted: () => this.earlyAccepted,
    clientCertificateSelected: () => this.certRequest?.scheme !== undefined,
    clientAuthRequested: () => this.certRequest !== undefined,
  } satisfies Record<ClientGuard, () => boolean>;

  protected readonly actions: Actions = {
    sendClientHello: () => this.sendClientHello(),
    sendChangeCipherSpec: () => this.sendCcs(),
    installEarlyWriteKeys: () => this.installEarlyWriteKeys(),
    discardEarlyWriteKeys: () => this.setWriteCipher(undefined),
    sendEarlyData: () => this.sendEarlyData(),
    processHelloRetryRequest: () => this.processHelloRetryRequest(),
    processServerHello: () => this.processServerHello(),
    installHandshakeReadKeys: () => this.installHandshakeReadKeys(),
    processEncryptedExtensions: () => this.processEncryptedExtensions(),
    processCertificateRequest: () => this.processCertificateRequest(),
    verifyServerCertificate: () => this.verifyServerCertificate(),
    verifyServerCertificateVerify: () => this.verifyServerCertificateVerify(),
    verifyServerFinished: () => this.verifyServerFinished(),
    sendEndOfEarlyData: () => { this.queueHandshake(5, new Uint8Array(0)); },
    installHandshakeWriteKeys: async () => this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.cHs!)),
    sendCertificate: () => this.sendCertificate(),
    sendCertificateVerify: () => this.sendCertificateVerify(),
    sendFinished: () => this.sendFinished(),
    installApplicationWriteKeys: () => this.installApplicationWriteKeys(),
    installApplicationReadKeys: async () => this.setReadCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.sAp!)),
    deliverApplicationData: () => this.deliverApplicationData(),
    storeTicket: () => this.storeTicket(),
    updateReadKeys: () => this.updateReadKeys(),
    answerKeyUpdateIfRequested: () => this.answerKeyUpdate(),
    sendApplicationData: () => this.sendApplicationData(),
    sendKeyUpdate: () => this.sendKeyUpdate(this.keyUpdateRequestPeer),
    updateWriteKeys: () => this.updateWriteKeys(),
    sendCloseNotify: () => this.sendCloseNotify(),
  } satisfies Record<ClientAction, () => Promise<void> | void>;

  // ---- ClientHello -------------------------------------------------------------------------------

  private async sendClientHello(): Promise<void> {
    const first = !this.random;
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
    if (this.config.serverName && !/^[0-9.]+$/.test(this.config.serverName) && !this.config.serverName.includes(':')) {
      const name = enc(this.config.serverName);
      exts.push(ext(ExtensionType.server_name, (w) => w.nested(2, (l) => l.u8(0).vec(2, name))));
    }
    exts.push(ext(ExtensionType.supported_groups, (w) => w.nested(2, (l) => { for (const g of this.groups) l.u16(g); })));
    exts.push(ext(ExtensionType.signature_algorithms, (w) => w.nested(2, (l) => { for (const s of this.schemes) l.u16(s); })));
    if (this.config.alpn && this.config.alpn.length > 0) exts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpnList(this.config.alpn) });
    if (this.config.recordSizeLimit !== undefined) exts.push(ext(ExtensionType.record_size_limit, (w) => w.u16(this.config.recordSizeLimit!)));
    exts.push(ext(ExtensionType.supported_versions, (w) => w.nested(1, (l) => l.u16(0x0304))));
    exts.push(ext(ExtensionType.psk_key_exchange_modes, (w) => w.nested(1, (l) => l.u8(1))));
    exts.push(ext(ExtensionType.key_share, (w) => w.nested(2, (l) => { for (const s of this.shares.values()) l.u16(s.group).vec(2, s.publicKey); })));
    if (this.cookie) exts.push(ext(ExtensionType.cookie, (w) => w.vec(2, this.cookie!)));
    if (first && this.earlyOffered) exts.push({ type: ExtensionType.early_data, data: new Uint8Array(0) });
    const psk = this.offeredPsk;
    if (psk) {
      const age = (Math.max(0, this.now() - psk.session.receivedAt) + psk.session.ticketAgeAdd) >>> 0;
      const hl = psk.suite.hashLength;
      exts.push(ext(ExtensionType.pre_shared_key, (w) => {
        w.nested(2, (l) => l.vec(2, psk.session.ticket).u32(age));
        w.nested(2, (l) => l.vec(1, new Uint8Array(hl)));
      }));
    }
    for (const e of exts) this.offeredExtensions.add(e.type);
    const body = encodeClientHello({ random: this.random!, legacy_session_id: this.sessionId, cipher_suites: this.suites, extensions: exts });
    if (psk) {
      // Binder over the transcript so far plus the ClientHello truncated before the binders list (RFC 8446 §4.2.11.2).
      const hl = psk.suite.hashLength;
      const framedLen = 4 + body.length;
      const header = Uint8Array.of(1, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff);
      const framed = new Uint8Array(framedLen);
      framed.set(header, 0); framed.set(body, 4);
      const truncated = framed.subarray(0, framedLen - (2 + 1 + hl));
      const th = this.transcript.ready ? this.transcript.hashWith(truncated) : this.crypto.hash(psk.suite.hash, truncated);
      const early = await KeySchedule.start(this.crypto, psk.suite.hash, psk.psk);
      const binder = await finishedVerifyData(this.crypto, psk.suite.hash, await early.binderKey('resumption'), th);
      body.set(binder, body.length - hl);
      if (first && this.earlyOffered) {
        const chHash = this.crypto.hash(psk.suite.hash, concatFramed(1, body));
        this.earlyTrafficSecret = await early.clientEarlyTrafficSecret(chHash);
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

  private checkHelloCommon(sh: ServerHello, what: string): void {
    if (!bytesEqual(sh.legacy_session_id_echo, this.sessionId)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `${what}.legacy_session_id_echo does not echo the ClientHello's session id (RFC 8446 §4.1.3)`);
    if (!this.suites.includes(sh.cipher_suite)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `${what} selected cipher suite 0x${sh.cipher_suite.toString(16)}, which was not offered`);
    const sv = findExt(sh.extensions, ExtensionType.supported_versions);
    if (!sv) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', `${what} has no supported_versions extension: the server does not speak TLS 1.3 (protosmith supports TLS 1.3 only)`);
    const r = new Reader(sv.data, `${what}.supported_versions`);
    const v = r.u16('selected_version'); r.end_('selected_version');
    if (v !== 0x0304) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `${what} selected version 0x${v.toString(16)}; only TLS 1.3 (0x0304) was offered`);
    for (const e of sh.extensions) {
      if (!this.offeredExtensions.has(e.type) && e.type !== ExtensionType.cookie) throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', `${what} carries extension ${e.type}, which the client did not offer (RFC 8446 §4.2)`);
    }
  }

  private processHelloRetryRequest(): void {
    const sh = decodeServerHello(this.current!.body);
    this.checkHelloCommon(sh, 'HelloRetryRequest');
    const allowed = new Set<number>([ExtensionType.key_share, ExtensionType.cookie, ExtensionType.supported_versions]);
    for (const e of sh.extensions) if (!allowed.has(e.type)) throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', `HelloRetryRequest carries extension ${e.type}; only key_share, cookie and supported_versions are allowed`);
    let changed = false;
    const ks = findExt(sh.extensions, ExtensionType.key_share);
    if (ks) {
      const r = new Reader(ks.data, 'HelloRetryRequest.key_share');
      const g = r.u16('selected_group'); r.end_('selected_group');
      if (!this.groups.includes(g) || this.shares.has(g)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `HelloRetryRequest selected group 0x${g.toString(16)}, which was ${this.shares.has(g) ? 'already given a key share' : 'not offered'} (RFC 8446 §4.2.8)`);
      this.pendingGroup = g;
      changed = true;
    }
    const ck = findExt(sh.extensions, ExtensionType.cookie);
    if (ck) {
      const r = new Reader(ck.data, 'HelloRetryRequest.cookie');
      this.cookie = r.vec(2, 'cookie', 1).slice(); r.end_('cookie');
      changed = true;
    }
    if (!changed) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'HelloRetryRequest would not change the ClientHello (RFC 8446 §4.1.4)');
    const suite = suiteParams(sh.cipher_suite);
    this.hrrSeen = true;
    this.hrrSuite = sh.cipher_suite;
    this.suite = suite;
    this.transcript.replaceWithMessageHash(suite.hash);
    this.transcript.add(this.current!.raw);
    // Early data is never accepted after a HelloRetryRequest; drop a PSK whose hash does not match.
    this.earlyOffered = false;
    if (this.offeredPsk && this.offeredPsk.suite.hash !== suite.hash) this.offeredPsk = undefined;
  }

  private pendingGroup: number | undefined;

  protected override async prepare(event: string): Promise<void> {
    if (event === 'Certificate') {
      const c = decodeCertificate(this.current!.body);
      this.certificateEmpty = c.certificates.length === 0;
    }
  }

  private async processServerHello(): Promise<void> {
    const sh = decodeServerHello(this.current!.body);
    this.checkHelloCommon(sh, 'ServerHello');
    if (this.hrrSuite !== undefined && sh.cipher_suite !== this.hrrSuite) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ServerHello cipher suite differs from the HelloRetryRequest\'s (RFC 8446 §4.1.4)');
    for (const e of sh.extensions) {
      if (e.type !== ExtensionType.key_share && e.type !== ExtensionType.pre_shared_key && e.type !== ExtensionType.supported_versions) {
        throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', `ServerHello carries extension ${e.type}; only key_share, pre_shared_key and supported_versions belong there (RFC 8446 §4.2)`);
      }
    }
    const suite = suiteParams(sh.cipher_suite);
    const psk = findExt(sh.extensions, ExtensionType.pre_shared_key);
    if (psk) {
      if (!this.offeredPsk) throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', 'ServerHello selects a PSK but none was offered');
      const r = new Reader(psk.data, 'ServerHello.pre_shared_key');
      const idx = r.u16('selected_identity'); r.end_('selected_identity');
      if (idx !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `ServerHello selected PSK identity ${idx}; only identity 0 was offered`);
      if (this.offeredPsk.suite.hash !== suite.hash) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ServerHello selected a PSK with a cipher suite whose hash differs from the ticket\'s (RFC 8446 §4.2.11)');
      this.pskAccepted = true;
    }
    const ks = findExt(sh.extensions, ExtensionType.key_share);
    if (!ks) throw new TlsPeerError('TLS_MISSING_EXTENSION', 'missing_extension', 'ServerHello has no key_share: protosmith only does (EC)DHE key exchange (psk_dhe_ke)');
    const r = new Reader(ks.data, 'ServerHello.key_share');
    const group = r.u16('group');
    const key = r.vec(2, 'key_exchange', 1);
    r.end_('key_share');
    const share = this.shares.get(group);
    if (!share) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `ServerHello key_share uses group 0x${group.toString(16)}, for which the client sent no share (RFC 8446 §4.2.8)`);
    this.sharedSecret = await this.providerCall(() => share.agree(key), 'ServerHello key_share');
    this.group = group;
    this.suite = suite;
    this.serverHello = sh;
    this.transcript.setHash(suite.hash);
  }

  private async installHandshakeReadKeys(): Promise<void> {
    const suite = this.suite!;
    const schedule = await KeySchedule.start(this.crypto, suite.hash, this.pskAccepted ? this.offeredPsk!.psk : undefined);
    await schedule.enterHandshake(this.sharedSecret);
    const h = this.transcript.hash();
    this.cHs = await schedule.clientHandshakeTrafficSecret(h);
    this.sHs = await schedule.serverHandshakeTrafficSecret(h);
    this.hsSchedule = schedule;
    this.schedule = schedule;
    this.keyLog(KeyLogLabel.clientHandshakeTraffic, this.cHs);
    this.keyLog(KeyLogLabel.serverHandshakeTraffic, this.sHs);
    this.setReadCipher(await RecordProtection.fromSecret(this.crypto, suite, this.sHs));
  }

  // ---- server's encrypted flight -------------------------------------------------------------------

  private processEncryptedExtensions(): void {
    const exts = decodeExtensionsOnly(this.current!.body, 'EncryptedExtensions');
    const forbidden = new Set<number>([ExtensionType.key_share, ExtensionType.pre_shared_key, ExtensionType.supported_versions, ExtensionType.cookie,
      ExtensionType.psk_key_exchange_modes, ExtensionType.signature_algorithms, ExtensionType.signature_algorithms_cert, ExtensionType.certificate_authorities, ExtensionType.post_handshake_auth, ExtensionType.padding]);
    for (const e of exts) {
      if (forbidden.has(e.type)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `EncryptedExtensions carries extension ${e.type}, which is not allowed there (RFC 8446 §4.2)`);
      if (!this.offeredExtensions.has(e.type)) throw new TlsPeerError('TLS_UNSUPPORTED_EXTENSION', 'unsupported_extension', `EncryptedExtensions carries extension ${e.type}, which the client did not offer`);
    }
    const alpn = findExt(exts, ExtensionType.application_layer_protocol_negotiation);
    if (alpn) {
      const list = decodeAlpnList(alpn.data, 'EncryptedExtensions.alpn');
      if (list.length !== 1 || !(this.config.alpn ?? []).includes(list[0]!)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `EncryptedExtensions selects ALPN ${JSON.stringify(list)}; exactly one of the offered protocols is required (RFC 7301 §3.1)`);
      this.alpn = list[0];
    }
    const ed = findExt(exts, ExtensionType.early_data);
    if (ed) {
      if (ed.data.length !== 0 || !this.earlyOffered || !this.pskAccepted) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'EncryptedExtensions accepts early data that was not offered, or without accepting the PSK (RFC 8446 §4.2.10)');
      this.earlyAccepted = true;
    } else if (this.earlyOffered) {
      // rejected: stop writing 0-RTT records; the handshake keys take over after the server's Finished
      this.earlyOffered = false;
    }
    const rsl = findExt(exts, ExtensionType.record_size_limit);
    if (rsl) {
      const r = new Reader(rsl.data, 'EncryptedExtensions.record_size_limit');
      const v = r.u16('record_size_limit'); r.end_('record_size_limit');
      if (v < 64) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `record_size_limit ${v} is below 64 (RFC 8449 §4)`);
      this.sendLimit = Math.min(16384, v - 1);
      if (this.config.recordSizeLimit !== undefined) this.recvLimit = Math.min(16384, this.config.recordSizeLimit - 1);
    }
  }

  private processCertificateRequest(): void {
    const cr = decodeCertificateRequest(this.current!.body);
    if (cr.context.length !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'CertificateRequest during the handshake must have an empty certificate_request_context (RFC 8446 §4.3.2)');
    const sa = findExt(cr.extensions, ExtensionType.signature_algorithms);
    if (!sa) throw new TlsPeerError('TLS_MISSING_EXTENSION', 'missing_extension', 'CertificateRequest lacks signature_algorithms (RFC 8446 §4.3.2)');
    const serverSchemes = u16List(sa.data, 'CertificateRequest.signature_algorithms');
    let scheme: number | undefined;
    if (this.clientChain.length > 0 && this.config.signingKey) {
      scheme = this.config.signingKey.schemes.find((s) => serverSchemes.includes(s) && MODERN_SCHEMES.includes(s));
    }
    this.certRequest = { context: cr.context, scheme };
  }

  private async verifyServerCertificate(): Promise<void> {
    const c = decodeCertificate(this.current!.body);
    if (c.context.length !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'server Certificate has a non-empty certificate_request_context (RFC 8446 §4.4.2)');
    this.peerCertificates = c.certificates.map((x) => x.slice());
    this.leafSpki = await verifyPeerChain({
      crypto: this.crypto, chain: this.peerCertificates, role: 'client', serverName: this.config.serverName, now: this.now(),
      trustAnchors: this.anchors, expert: this.config.expert,
    });
  }

  private async verifyServerCertificateVerify(): Promise<void> {
    const cv = decodeCertificateVerify(this.current!.body);
    await checkCertificateVerify(this.crypto, this.leafSpki!, cv.algorithm, this.schemes, cv.signature, certificateVerifyContent(true, this.transcriptBefore!), 'server');
    this.serverScheme = cv.algorithm;
  }

  private async verifyServerFinished(): Promise<void> {
    const body = this.current!.body;
    const expected = await finishedVerifyData(this.crypto, this.suite!.hash, this.sHs!, this.transcriptBefore!);
    if (!bytesEqual(body, expected)) throw new TlsPeerError('TLS_BAD_FINISHED', 'decrypt_error', 'server Finished verify_data does not match the transcript (RFC 8446 §4.4.4): the handshake was tampered with or keys differ');
    const schedule = this.hsSchedule!;
    await schedule.enterMaster();
    const h = this.transcript.hash();
    this.cAp = await schedule.clientApplicationTrafficSecret0(h);
    this.sAp = await schedule.serverApplicationTrafficSecret0(h);
    this.exporterSecret = await schedule.exporterMasterSecret(h);
    this.keyLog(KeyLogLabel.clientTraffic0, this.cAp);
    this.keyLog(KeyLogLabel.serverTraffic0, this.sAp);
    this.keyLog(KeyLogLabel.exporter, this.exporterSecret);
  }

  // ---- client's second flight ----------------------------------------------------------------------

  private sendCertificate(): void {
    const cr = this.certRequest!;
    this.queueHandshake(11, encodeCertificate({ context: cr.context, certificates: cr.scheme !== undefined ? this.clientChain : [] }));
  }

  private async sendCertificateVerify(): Promise<void> {
    const scheme = this.certRequest!.scheme!;
    const content = certificateVerifyContent(false, this.transcript.hash());
    const sig = await this.providerCall(() => this.config.signingKey!.sign(scheme, content), 'signing the client CertificateVerify');
    this.queueHandshake(15, encodeCertificateVerify({ algorithm: scheme, signature: sig }));
  }

  private async sendFinished(): Promise<void> {
    const vd = await finishedVerifyData(this.crypto, this.suite!.hash, this.cHs!, this.transcript.hash());
    this.queueHandshake(20, vd);
  }

  private async installApplicationWriteKeys(): Promise<void> {
    this.resumptionMaster = await this.hsSchedule!.resumptionMasterSecret(this.transcript.hash());
    await this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.cAp!));
  }

  protected onConnected(): void {
    this.emit({
      type: 'handshakeComplete', version: 'TLSv1.3', cipherSuite: this.suite!.id, group: this.group,
      signatureScheme: this.serverScheme, alpn: this.alpn, serverName: this.config.serverName,
      resumed: this.pskAccepted, earlyDataAccepted: this.earlyAccepted, peerCertificates: this.peerCertificates,
    });
  }

  // ---- post-handshake ----------------------------------------------------------------------------

  private async storeTicket(): Promise<void> {
    const nst = decodeNewSessionTicket(this.current!.body);
    let maxEarly = 0;
    for (const e of nst.extensions) {
      if (e.type === ExtensionType.early_data) {
        const r = new Reader(e.data, 'NewSessionTicket.early_data');
        maxEarly = r.u32('max_early_data_size'); r.end_('max_early_data_size');
      }
    }
    if (nst.lifetime > MAX_TICKET_LIFETIME) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `NewSessionTicket lifetime ${nst.lifetime}s exceeds 7 days (RFC 8446 §4.6.1)`);
    if (nst.lifetime === 0) return;
    const psk = await resumptionPsk(this.crypto, this.suite!.hash, this.resumptionMaster!, nst.nonce);
    const ticket: ClientSession = {
      version: 0x0304, serverName: this.config.serverName, cipherSuite: this.suite!.id, ticket: nst.ticket.slice(),
      resumptionSecret: psk, ticketAgeAdd: nst.age_add, lifetimeSeconds: nst.lifetime, receivedAt: this.now(),
      maxEarlyData: maxEarly, alpn: this.alpn,
    };
    this.emit({ type: 'newSessionTicket', ticket });
  }

  private readSecret(): Uint8Array { return this.rSecret ?? this.sAp!; }
  private writeSecret(): Uint8Array { return this.wSecret ?? this.cAp!; }
  private rSecret: Uint8Array | undefined;
  private wSecret: Uint8Array | undefined;

  private async updateReadKeys(): Promise<void> {
    const ku = decodeKeyUpdate(this.current!.body);
    this.peerKeyUpdateRequested = ku.update_requested;
    this.rSecret = await nextTrafficSecret(this.crypto, this.suite!.hash, this.readSecret());
    this.setReadCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.rSecret));
    this.emit({ type: 'keyUpdate', direction: 'read' });
  }

  private async answerKeyUpdate(): Promise<void> {
    if (!this.peerKeyUpdateRequested) return;
    this.peerKeyUpdateRequested = false;
    await this.sendKeyUpdate(false);
    await this.updateWriteKeys();
  }

  private async sendKeyUpdate(requestPeer: boolean): Promise<void> {
    this.queueHandshake(24, Uint8Array.of(requestPeer ? 1 : 0), { transcript: false });
    await this.flushHandshake();
  }

  private async updateWriteKeys(): Promise<void> {
    this.wSecret = await nextTrafficSecret(this.crypto, this.suite!.hash, this.writeSecret());
    await this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.wSecret));
    this.emit({ type: 'keyUpdate', direction: 'write' });
  }

  private async providerCall<T>(f: () => Promise<T>, what: string): Promise<T> {
    try { return await f(); } catch (e) { throw asProtosmithError(e, what); }
  }
}

function concatFramed(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type; out[1] = (body.length >> 16) & 0xff; out[2] = (body.length >> 8) & 0xff; out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}
