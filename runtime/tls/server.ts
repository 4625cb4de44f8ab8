// The TLS 1.3 server: implementations of the named actions and guards of the generated server table
// (specs/tls13/machines/server.json). Negotiation of a ClientHello happens in `prepare` (before the
// table's guards are read: guards are negotiated facts); the actions then commit and emit.
import type { CipherSuiteParams, KeyShare } from '../crypto/provider.ts';
import type { TlsServerConfig } from './config.ts';
import { Connection, type Actions, type Guards } from './connection.ts';
import { asProtosmithError, TlsConfigError, TlsPeerError } from './errors.ts';
import { finishedVerifyData, KeyLogLabel, KeySchedule, nextTrafficSecret, resumptionPsk } from './keyschedule.ts';
import {
  certificateVerifyContent, checkCertificateVerify, MODERN_GROUPS, MODERN_SCHEMES, MODERN_SUITES, pick, suiteParams,
  toDerList, verifyPeerChain,
} from './negotiation.ts';
import { RecordProtection } from './record-protection.ts';
import { serverTable, type ServerAction, type ServerGuard } from './tables.ts';
import { checkKey, openCookie, openTicket, sealCookie, sealTicket } from './tickets.ts';
import {
  bytesEqual, decodeAlpnList, decodeCertificate, decodeCertificateVerify, decodeClientHello, decodeClientKeyShares,
  decodeKeyUpdate, decodeServerName, encodeAlpnList, encodeCertificate, encodeCertificateRequest, encodeCertificateVerify,
  encodeExtensionsOnly, encodeNewSessionTicket, encodeServerHello, ext, ExtensionType, findExt, frameHandshake, HRR_RANDOM,
  Reader, u16List, type ClientHello, type Extension,
} from './wire.ts';

const AGE_TOLERANCE_MS = 10_000;

interface Negotiated {
  readonly ch: ClientHello;
  readonly suite: CipherSuiteParams;
  readonly group: number;
  readonly peerShare: Uint8Array | undefined; // undefined => HRR needed
  readonly scheme: number | undefined;
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
  readonly psk: { psk: Uint8Array; ageAdd: number; maxEarly: number } | undefined;
  readonly earlyAccepted: boolean;
  readonly earlyOffered: boolean;
  readonly cookieNeeded: boolean;
  readonly peerRecordLimit: number | undefined;
}

export class TlsServer extends Connection {
  readonly role = 'server' as const;
  protected readonly middleboxCompat: boolean;
  private readonly config: TlsServerConfig;
  private readonly suites: number[];
  private readonly groups: number[];
  private readonly chain: Uint8Array[];
  private readonly anchors: Uint8Array[] | undefined;
  private readonly cookieKey: Uint8Array;

  private neg: Negotiated | undefined;
  private hrrSent = false;
  private share: KeyShare | undefined;
  private shared: Uint8Array | undefined;
  private schedule_: KeySchedule | undefined;
  private earlySecret: Uint8Array | undefined;
  private cHs: Uint8Array | undefined;
  private sHs: Uint8Array | undefined;
  private cAp: Uint8Array | undefined;
  private sAp: Uint8Array | undefined;
  private resumptionMaster: Uint8Array | undefined;
  private earlyReceived = 0;
  private peerCertificates: Uint8Array[] = [];
  private clientSpki: Uint8Array | undefined;
  private clientScheme: number | undefined;
  private certificateEmpty = false;
  private peerKeyUpdateRequested = false;
  private ticketCounter = 0;

  constructor(config: TlsServerConfig) {
    super(config, serverTable);
    this.config = config;
    const caps = config.crypto.capabilities();
    this.suites = pick('cipher suite', config.cipherSuites, MODERN_SUITES, caps.cipherSuites);
    this.groups = pick('group', config.groups, MODERN_GROUPS, caps.groups);
    this.middleboxCompat = config.middleboxCompat !== false;
    if (!config.certificateChain || config.certificateChain.length === 0) throw new TlsConfigError('TLS_CONFIG_MISSING', 'certificateChain (leaf first, PEM or DER) is required for a server');
    if (!config.signingKey) throw new TlsConfigError('TLS_CONFIG_MISSING', 'signingKey (the leaf certificate\'s private key handle) is required for a server');
    this.chain = toDerList(config.certificateChain, 'certificateChain');
    checkKey(config.ticketKey, 'ticketKey');
    checkKey(config.cookieKey, 'cookieKey');
    const auth = config.clientAuth ?? 'none';
    if (auth !== 'none' && auth !== 'request' && auth !== 'require') throw new TlsConfigError('TLS_CONFIG_INVALID', `clientAuth must be 'none', 'request' or 'require', not ${String(auth)}`);
    if (auth !== 'none' && !config.expert?.dangerouslyVerifyPeer && (!config.trustAnchors || config.trustAnchors.length === 0)) {
      throw new TlsConfigError('TLS_CONFIG_MISSING', `clientAuth '${auth}' needs trustAnchors to verify client certificates`);
    }
    this.anchors = config.trustAnchors ? toDerList(config.trustAnchors, 'trustAnchors') : undefined;
    const me = config.maxEarlyData ?? 0;
    if (!Number.isInteger(me) || me < 0 || me > 0xffffffff) throw new TlsConfigError('TLS_CONFIG_INVALID', 'maxEarlyData must be a non-negative 32-bit integer');
    const lt = config.ticketLifetimeSeconds ?? 7200;
    if (!Number.isInteger(lt) || lt < 1 || lt > 604800) throw new TlsConfigError('TLS_CONFIG_INVALID', 'ticketLifetimeSeconds must be in 1..604800 (RFC 8446 §4.6.1)');
    this.cookieKey = config.cookieKey ?? config.ticketKey ?? config.crypto.randomBytes(32);
  }

  protected readonly guards: Guards = {
    helloRetryRequired: () => this.neg !== undefined && (this.neg.peerShare === undefined || this.neg.cookieNeeded),
    earlyDataAccepted: () => this.neg?.earlyAccepted === true,
    pskAccepted: () => this.neg?.psk !== undefined,
    clientAuthRequested: () => (this.config.clientAuth ?? 'none') !== 'none' && this.neg?.psk === undefined,
    certificateEmpty: () => this.certificateEmpty,
  } satisfies Record<ServerGuard, () => boolean>;

  protected readonly actions: Actions = {
    processClientHello: () => this.processClientHello(),
    sendHelloRetryRequest: () => this.sendHelloRetryRequest(),
    sendChangeCipherSpec: () => this.sendCcs(),
    sendServerHello: () => this.sendServerHello(),
    installHandshakeWriteKeys: () => this.installHandshakeWriteKeys(),
    sendEncryptedExtensions: () => this.sendEncryptedExtensions(),
    sendCertificateRequest: () => this.sendCertificateRequest(),
    sendCertificate: () => { this.queueHandshake(11, encodeCertificate({ context: new Uint8Array(0), certificates: this.chain })); },
    sendCertificateVerify: () => this.sendCertificateVerify(),
    sendFinished: () => this.sendFinished(),
    installApplicationWriteKeys: async () => this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.sAp!)),
    installEarlyReadKeys: () => this.installEarlyReadKeys(),
    installHandshakeReadKeys: async () => this.setReadCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.cHs!)),
    deliverEarlyData: () => this.deliverEarlyData(),
    applyEmptyClientCertificatePolicy: () => this.applyEmptyClientCertificatePolicy(),
    verifyClientCertificate: () => this.verifyClientCertificate(),
    verifyClientCertificateVerify: () => this.verifyClientCertificateVerify(),
    verifyClientFinished: () => this.verifyClientFinished(),
    installApplicationReadKeys: async () => this.setReadCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.cAp!)),
    sendNewSessionTicket: () => this.sendNewSessionTickets(),
    deliverApplicationData: () => this.deliverApplicationData(),
    updateReadKeys: () => this.updateReadKeys(),
    answerKeyUpdateIfRequested: () => this.answerKeyUpdate(),
    sendApplicationData: () => this.sendApplicationData(),
    sendKeyUpdate: () => this.sendKeyUpdate(this.keyUpdateRequestPeer),
    updateWriteKeys: () => this.updateWriteKeys(),
    sendCloseNotify: () => this.sendCloseNotify(),
  } satisfies Record<ServerAction, () => Promise<void> | void>;

  // ---- ClientHello negotiation (runs before the guards are read) ---------------------------------

  protected override async prepare(event: string): Promise<void> {
    if (event === 'ClientHello') this.neg = await this.negotiate();
    else if (event === 'Certificate') this.certificateEmpty = decodeCertificate(this.current!.body).certificates.length === 0;
  }

  private async negotiate(): Promise<Negotiated> {
    const raw = this.current!.raw;
    const ch = decodeClientHello(this.current!.body);
    if (ch.extensions.length === 0) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', 'ClientHello has no extensions: the client does not offer TLS 1.3 (protosmith supports TLS 1.3 only)');
    const sv = findExt(ch.extensions, ExtensionType.supported_versions);
    if (!sv) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', 'ClientHello has no supported_versions: the client does not offer TLS 1.3 (protosmith supports TLS 1.3 only)');
    const svr = new Reader(sv.data, 'ClientHello.supported_versions');
    const vl = svr.sub(1, 'versions', 2);
    let has13 = false;
    while (vl.remaining > 0) if (vl.u16('version') === 0x0304) has13 = true;
    svr.end_('versions');
    if (!has13) throw new TlsPeerError('TLS_PROTOCOL_VERSION', 'protocol_version', 'ClientHello.supported_versions does not include TLS 1.3 (0x0304)');
    const last = ch.extensions[ch.extensions.length - 1]!;
    const pskExt = findExt(ch.extensions, ExtensionType.pre_shared_key);
    if (pskExt && last.type !== ExtensionType.pre_shared_key) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'pre_shared_key is not the last extension of the ClientHello (RFC 8446 §4.2.11)');

    // cipher suite: server preference
    const prev = this.neg;
    let suiteId = this.suites.find((s) => ch.cipher_suites.includes(s));
    if (suiteId === undefined) throw new TlsPeerError('TLS_HANDSHAKE_FAILURE', 'handshake_failure', `no common cipher suite: client offers ${ch.cipher_suites.map((x) => '0x' + x.toString(16)).join(',')}, server allows ${this.suites.map((x) => '0x' + x.toString(16)).join(',')}`);
    if (prev && this.hrrSent) {
      if (!ch.cipher_suites.includes(prev.suite.id)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'second ClientHello no longer offers the cipher suite chosen in the HelloRetryRequest');
      suiteId = prev.suite.id;
      if (!bytesEqual(ch.random, prev.ch.random)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'second ClientHello changed its random (RFC 8446 §4.1.2)');
      if (findExt(ch.extensions, ExtensionType.early_data)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'second ClientHello offers early_data (RFC 8446 §4.2.10)');
    }

    // cookie (stateless HelloRetryRequest)
    let cookieOk = false;
    let cookieGroup: number | undefined;
    const ck = findExt(ch.extensions, ExtensionType.cookie);
    if (ck) {
      if (this.hrrSent === false && prev !== undefined) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello carries a cookie that was never sent');
      const r = new Reader(ck.data, 'ClientHello.cookie');
      const c = r.vec(2, 'cookie', 1); r.end_('cookie');
      const contents = await openCookie(this.crypto, this.cookieKey, c);
      if (!contents) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello cookie does not verify: it was not issued by this server (or its fleet) or was altered');
      if (!ch.cipher_suites.includes(contents.cipherSuite)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'ClientHello after HelloRetryRequest no longer offers the chosen suite');
      suiteId = contents.cipherSuite;
      cookieGroup = contents.group;
      cookieOk = true;
      if (!this.hrrSent) {
        // A retry answered to another server of the fleet: rebuild message_hash + HelloRetryRequest.
        const suite = suiteParams(contents.cipherSuite);
        this.transcript.resetWithMessageHash(suite.hash, contents.clientHello1Hash);
        this.transcript.add(frameHandshake(2, this.hrrBody(ch.legacy_session_id, contents.cipherSuite, contents.newShare ? contents.group : undefined, c)));
        this.hrrSent = true;
        this.hrrNewShare = contents.newShare;
      }
    }
    const suite = suiteParams(suiteId);

    // key exchange
    const sg = findExt(ch.extensions, ExtensionType.supported_groups);
    const ks = findExt(ch.extensions, ExtensionType.key_share);
    if (!sg || !ks) throw new TlsPeerError('TLS_MISSING_EXTENSION', 'missing_extension', `ClientHello lacks ${!sg ? 'supported_groups' : 'key_share'}; protosmith requires (EC)DHE (RFC 8446 §9.2)`);
    const clientGroups = u16List(sg.data, 'ClientHello.supported_groups');
    const shares = decodeClientKeyShares(ks.data);
    const seen = new Set<number>();
    for (const s of shares) {
      if (seen.has(s.group)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `ClientHello key_share has two shares for group 0x${s.group.toString(16)} (RFC 8446 §4.2.8)`);
      if (!clientGroups.includes(s.group)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `ClientHello key_share for group 0x${s.group.toString(16)} not listed in supported_groups (RFC 8446 §4.2.8)`);
      seen.add(s.group);
    }
    let group: number | undefined;
    let peerShare: Uint8Array | undefined;
    if (this.hrrSent) {
      const want = cookieGroup ?? prev?.group;
      const s = shares.find((x) => x.group === want);
      if (!s || (this.hrrNewShare && shares.length !== 1)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `second ClientHello must carry exactly one key share, for the group 0x${(want ?? 0).toString(16)} the HelloRetryRequest selected (RFC 8446 §4.1.4)`);
      group = s.group; peerShare = s.key;
    } else {
      for (const g of this.groups) {
        const s = shares.find((x) => x.group === g);
        if (s) { group = g; peerShare = s.key; break; }
      }
      if (group === undefined) group = this.groups.find((g) => clientGroups.includes(g));
      if (group === undefined) throw new TlsPeerError('TLS_HANDSHAKE_FAILURE', 'handshake_failure', 'no common key exchange group between client supported_groups and server groups');
    }
    const cookieNeeded = this.config.requireCookie === true && !cookieOk && !this.hrrSent;

    // signature scheme for our CertificateVerify
    const sa = findExt(ch.extensions, ExtensionType.signature_algorithms);
    const clientSchemes = sa ? u16List(sa.data, 'ClientHello.signature_algorithms') : [];
    const scheme = this.config.signingKey.schemes.find((s) => clientSchemes.includes(s) && MODERN_SCHEMES.includes(s));

    // ALPN
    let alpn: string | undefined;
    const alpnExt = findExt(ch.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpnExt && this.config.alpn && this.config.alpn.length > 0) {
      const offered = decodeAlpnList(alpnExt.data, 'ClientHello.alpn');
      alpn = this.config.alpn.find((p) => offered.includes(p));
      if (alpn === undefined) throw new TlsPeerError('TLS_NO_APPLICATION_PROTOCOL', 'no_application_protocol', `no common ALPN protocol: client offers ${JSON.stringify(offered)}, server supports ${JSON.stringify(this.config.alpn)} (RFC 7301 §3.2)`);
    }
    // SNI
    const sni = findExt(ch.extensions, ExtensionType.server_name);
    const serverName = sni ? decodeServerName(sni.data) : undefined;
    if (serverName !== undefined && this.config.serverNames && this.config.serverNames.length > 0 && !this.config.serverNames.map((n) => n.toLowerCase()).includes(serverName)) {
      throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'unrecognized_name', `client asked for server name "${serverName}", which this server does not serve (serverNames)`);
    }
    // record_size_limit
    let peerRecordLimit: number | undefined;
    const rsl = findExt(ch.extensions, ExtensionType.record_size_limit);
    if (rsl) {
      const r = new Reader(rsl.data, 'ClientHello.record_size_limit');
      peerRecordLimit = r.u16('record_size_limit'); r.end_('record_size_limit');
      if (peerRecordLimit < 64) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `record_size_limit ${peerRecordLimit} is below 64 (RFC 8449 §4)`);
    }

    // PSK resumption
    const earlyOffered = findExt(ch.extensions, ExtensionType.early_data) !== undefined;
    let psk: Negotiated['psk'];
    let earlyAccepted = false;
    let pskSuite = suite;
    if (pskExt && this.config.ticketKey && !cookieNeeded && peerShare) {
      const modes = findExt(ch.extensions, ExtensionType.psk_key_exchange_modes);
      const modeList = modes ? (() => { const r = new Reader(modes.data, 'psk_key_exchange_modes'); const v = r.vec(1, 'ke_modes', 1); r.end_('ke_modes'); return Array.from(v); })() : [];
      if (!modes) throw new TlsPeerError('TLS_MISSING_EXTENSION', 'missing_extension', 'ClientHello offers pre_shared_key without psk_key_exchange_modes (RFC 8446 §4.2.9)');
      const r = new Reader(pskExt.data, 'ClientHello.pre_shared_key');
      const ids = r.sub(2, 'identities', 7);
      const identities: { ticket: Uint8Array; age: number }[] = [];
      while (ids.remaining > 0) identities.push({ ticket: ids.vec(2, 'identity', 1), age: ids.u32('obfuscated_ticket_age') });
      const bindersLen = r.u16('binders_length');
      const bl = new Reader(r.bytes(bindersLen, 'binders'), 'ClientHello.pre_shared_key.binders');
      const binders: Uint8Array[] = [];
      while (bl.remaining > 0) binders.push(bl.vec(1, 'binder', 32));
      r.end_('binders');
      if (binders.length !== identities.length) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `pre_shared_key has ${identities.length} identities but ${binders.length} binders (RFC 8446 §4.2.11)`);
      if (modeList.includes(1)) {
        for (let i = 0; i < identities.length && i < 8; i++) {
          const t = await openTicket(this.crypto, this.config.ticketKey, identities[i]!.ticket);
          if (!t) continue;
          const tSuite = suiteParams(t.cipherSuite);
          if (tSuite.hash !== suite.hash) continue;
          const age = this.now() - t.createdAt;
          if (age < 0 || age > (this.config.ticketLifetimeSeconds ?? 7200) * 1000) continue;
          // binder (RFC 8446 §4.2.11.2): transcript so far + ClientHello truncated before the binders
          const truncated = raw.subarray(0, raw.length - 2 - bindersLen);
          const th = this.transcript.ready ? this.transcript.hashWith(truncated) : this.crypto.hash(tSuite.hash, truncated);
          const early = await KeySchedule.start(this.crypto, tSuite.hash, t.psk);
          const expect = await finishedVerifyData(this.crypto, tSuite.hash, await early.binderKey('resumption'), th);
          if (!bytesEqual(expect, binders[i]!)) throw new TlsPeerError('TLS_UNKNOWN_PSK', 'decrypt_error', `PSK binder ${i} does not verify (RFC 8446 §4.2.11): the ClientHello was altered or the client holds a different secret`);
          psk = { psk: t.psk, ageAdd: t.ageAdd, maxEarly: t.maxEarlyData };
          this.pskIndex = i;
          pskSuite = tSuite;
          const clientAge = (identities[i]!.age - t.ageAdd) >>> 0;
          earlyAccepted = i === 0 && earlyOffered && !this.hrrSent && (this.config.maxEarlyData ?? 0) > 0 && t.maxEarlyData > 0
            && ch.cipher_suites[0] !== undefined && t.cipherSuite === suite.id && (alpn ?? '') === t.alpn
            && Math.abs(clientAge - age) <= AGE_TOLERANCE_MS;
          if (earlyAccepted) {
            const chHash = this.crypto.hash(tSuite.hash, raw);
            this.earlySecret = await early.clientEarlyTrafficSecret(chHash);
          }
          break;
        }
      }
    }
    void pskSuite;
    return { ch, suite, group, peerShare, scheme, alpn, serverName, psk, earlyAccepted, earlyOffered, cookieNeeded, peerRecordLimit };
  }

  private pskIndex = 0;
  private hrrNewShare = true;

  /** HelloRetryRequest body; key_share only when the client must send a new share (group undefined otherwise). */
  private hrrBody(sessionId: Uint8Array, suite: number, group: number | undefined, cookie: Uint8Array | undefined): Uint8Array {
    const exts: Extension[] = [ext(ExtensionType.supported_versions, (w) => w.u16(0x0304))];
    if (group !== undefined) exts.push(ext(ExtensionType.key_share, (w) => w.u16(group)));
    if (cookie) exts.push(ext(ExtensionType.cookie, (w) => w.vec(2, cookie)));
    return encodeServerHello({ random: HRR_RANDOM, legacy_session_id_echo: sessionId, cipher_suite: suite, extensions: exts });
  }

  private processClientHello(): void {
    const n = this.neg!;
    this.suite = n.suite;
    if (!this.clientRandom) this.clientRandom = n.ch.random;
    if (!n.psk && n.scheme === undefined && !(n.peerShare === undefined || n.cookieNeeded)) {
      throw new TlsPeerError('TLS_HANDSHAKE_FAILURE', 'handshake_failure', `no signature scheme in common: the client's signature_algorithms exclude every scheme the server key can produce (${this.config.signingKey.schemes.map((s) => '0x' + s.toString(16)).join(',')})`);
    }
    if (n.earlyOffered && !n.earlyAccepted) this.earlySkipBudget = Math.max(this.config.maxEarlyData ?? 0, 16384);
    if (!(n.peerShare === undefined || n.cookieNeeded)) this.transcript.setHash(n.suite.hash);
    if (n.peerRecordLimit !== undefined) this.sendLimit = Math.min(16384, n.peerRecordLimit - 1);
    if (n.peerRecordLimit !== undefined && this.config.recordSizeLimit !== undefined) this.recvLimit = Math.min(16384, this.config.recordSizeLimit - 1);
  }

  private async sendHelloRetryRequest(): Promise<void> {
    const n = this.neg!;
    const ch1Hash = this.transcript.pendingDigest(n.suite.hash);
    const newShare = n.peerShare === undefined;
    const cookie = await sealCookie(this.crypto, this.cookieKey, { cipherSuite: n.suite.id, group: n.group, newShare, clientHello1Hash: ch1Hash });
    this.transcript.replaceWithMessageHash(n.suite.hash);
    this.hrrSent = true;
    this.hrrNewShare = newShare;
    this.queueHandshake(2, this.hrrBody(n.ch.legacy_session_id, n.suite.id, newShare ? n.group : undefined, cookie));
  }

  private async sendServerHello(): Promise<void> {
    const n = this.neg!;
    this.share = await this.providerCall(() => this.crypto.generateKeyShare(n.group), 'generating the server key share');
    this.shared = await this.providerCall(() => this.share!.agree(n.peerShare!), 'ClientHello key_share');
    const exts: Extension[] = [
      ext(ExtensionType.supported_versions, (w) => w.u16(0x0304)),
      ext(ExtensionType.key_share, (w) => w.u16(n.group).vec(2, this.share!.publicKey)),
    ];
    if (n.psk) exts.push(ext(ExtensionType.pre_shared_key, (w) => w.u16(this.pskIndex)));
    this.queueHandshake(2, encodeServerHello({ random: this.crypto.randomBytes(32), legacy_session_id_echo: n.ch.legacy_session_id, cipher_suite: n.suite.id, extensions: exts }));
  }

  private async installHandshakeWriteKeys(): Promise<void> {
    const n = this.neg!;
    const schedule = await KeySchedule.start(this.crypto, n.suite.hash, n.psk?.psk);
    await schedule.enterHandshake(this.shared);
    const h = this.transcript.hash();
    this.cHs = await schedule.clientHandshakeTrafficSecret(h);
    this.sHs = await schedule.serverHandshakeTrafficSecret(h);
    this.schedule_ = schedule;
    this.schedule = schedule;
    this.keyLog(KeyLogLabel.clientHandshakeTraffic, this.cHs);
    this.keyLog(KeyLogLabel.serverHandshakeTraffic, this.sHs);
    await this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, n.suite, this.sHs));
  }

  private sendEncryptedExtensions(): void {
    const n = this.neg!;
    const exts: Extension[] = [];
    if (n.serverName !== undefined) exts.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    if (n.alpn !== undefined) exts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpnList([n.alpn]) });
    if (n.earlyAccepted) exts.push({ type: ExtensionType.early_data, data: new Uint8Array(0) });
    if (n.peerRecordLimit !== undefined && this.config.recordSizeLimit !== undefined) exts.push(ext(ExtensionType.record_size_limit, (w) => w.u16(this.config.recordSizeLimit!)));
    this.queueHandshake(8, encodeExtensionsOnly(exts));
  }

  private sendCertificateRequest(): void {
    const exts: Extension[] = [ext(ExtensionType.signature_algorithms, (w) => w.nested(2, (l) => { for (const s of MODERN_SCHEMES) l.u16(s); }))];
    this.queueHandshake(13, encodeCertificateRequest({ context: new Uint8Array(0), extensions: exts }));
  }

  private async sendCertificateVerify(): Promise<void> {
    const scheme = this.neg!.scheme!;
    const content = certificateVerifyContent(true, this.transcript.hash());
    const sig = await this.providerCall(() => this.config.signingKey.sign(scheme, content), 'signing the server CertificateVerify');
    this.queueHandshake(15, encodeCertificateVerify({ algorithm: scheme, signature: sig }));
  }

  private async sendFinished(): Promise<void> {
    const n = this.neg!;
    const vd = await finishedVerifyData(this.crypto, n.suite.hash, this.sHs!, this.transcript.hash());
    this.queueHandshake(20, vd);
    const schedule = this.schedule_!;
    await schedule.enterMaster();
    const h = this.transcript.hash();
    this.cAp = await schedule.clientApplicationTrafficSecret0(h);
    this.sAp = await schedule.serverApplicationTrafficSecret0(h);
    this.exporterSecret = await schedule.exporterMasterSecret(h);
    this.keyLog(KeyLogLabel.clientTraffic0, this.cAp);
    this.keyLog(KeyLogLabel.serverTraffic0, this.sAp);
    this.keyLog(KeyLogLabel.exporter, this.exporterSecret);
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

  private applyEmptyClientCertificatePolicy(): void {
    if (this.config.clientAuth === 'require') throw new TlsPeerError('TLS_CERTIFICATE_REQUIRED', 'certificate_required', 'the client sent no certificate, but this server requires client authentication (clientAuth: \'require\')');
  }

  private async verifyClientCertificate(): Promise<void> {
    const c = decodeCertificate(this.current!.body);
    if (c.context.length !== 0) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', 'client Certificate context differs from the CertificateRequest\'s (empty) context (RFC 8446 §4.4.2)');
    this.peerCertificates = c.certificates.map((x) => x.slice());
    this.clientSpki = await verifyPeerChain({
      crypto: this.crypto, chain: this.peerCertificates, role: 'server', serverName: undefined, now: this.now(),
      trustAnchors: this.anchors, expert: this.config.expert,
    });
  }

  private async verifyClientCertificateVerify(): Promise<void> {
    const cv = decodeCertificateVerify(this.current!.body);
    await checkCertificateVerify(this.crypto, this.clientSpki!, cv.algorithm, MODERN_SCHEMES, cv.signature, certificateVerifyContent(false, this.transcriptBefore!), 'client');
    this.clientScheme = cv.algorithm;
  }

  private async verifyClientFinished(): Promise<void> {
    const expected = await finishedVerifyData(this.crypto, this.suite!.hash, this.cHs!, this.transcriptBefore!);
    if (!bytesEqual(this.current!.body, expected)) throw new TlsPeerError('TLS_BAD_FINISHED', 'decrypt_error', 'client Finished verify_data does not match the transcript (RFC 8446 §4.4.4)');
    this.resumptionMaster = await this.schedule_!.resumptionMasterSecret(this.transcript.hash());
  }

  private async sendNewSessionTickets(): Promise<void> {
    const key = this.config.ticketKey;
    if (!key) return;
    const count = this.config.ticketCount ?? 1;
    const lifetime = this.config.ticketLifetimeSeconds ?? 7200;
    const n = this.neg!;
    for (let i = 0; i < count; i++) {
      const nonce = Uint8Array.of(this.ticketCounter++ & 0xff);
      const ageAddBytes = this.crypto.randomBytes(4);
      const ageAdd = ((ageAddBytes[0]! << 24) >>> 0) + ((ageAddBytes[1]! << 16) | (ageAddBytes[2]! << 8) | ageAddBytes[3]!);
      const psk = await resumptionPsk(this.crypto, n.suite.hash, this.resumptionMaster!, nonce);
      const maxEarly = this.config.maxEarlyData ?? 0;
      const ticket = await sealTicket(this.crypto, key, { cipherSuite: n.suite.id, createdAt: this.now(), ageAdd, maxEarlyData: maxEarly, alpn: n.alpn ?? '', serverName: n.serverName ?? '', psk });
      const exts: Extension[] = maxEarly > 0 ? [ext(ExtensionType.early_data, (w) => w.u32(maxEarly))] : [];
      this.queueHandshake(4, encodeNewSessionTicket({ lifetime, age_add: ageAdd, nonce, ticket, extensions: exts }), { transcript: false });
    }
  }

  protected onConnected(): void {
    const n = this.neg!;
    this.emit({
      type: 'handshakeComplete', version: 'TLSv1.3', cipherSuite: n.suite.id, group: n.group,
      signatureScheme: n.psk ? undefined : n.scheme, alpn: n.alpn, serverName: n.serverName,
      resumed: n.psk !== undefined, earlyDataAccepted: n.earlyAccepted, peerCertificates: this.peerCertificates,
    });
    void this.clientScheme;
  }

  // ---- post-handshake ----------------------------------------------------------------------------

  private rSecret: Uint8Array | undefined;
  private wSecret: Uint8Array | undefined;

  private async updateReadKeys(): Promise<void> {
    const ku = decodeKeyUpdate(this.current!.body);
    this.peerKeyUpdateRequested = ku.update_requested;
    this.rSecret = await nextTrafficSecret(this.crypto, this.suite!.hash, this.rSecret ?? this.cAp!);
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
    this.wSecret = await nextTrafficSecret(this.crypto, this.suite!.hash, this.wSecret ?? this.sAp!);
    await this.setWriteCipher(await RecordProtection.fromSecret(this.crypto, this.suite!, this.wSecret));
    this.emit({ type: 'keyUpdate', direction: 'write' });
  }

  private async providerCall<T>(f: () => Promise<T>, what: string): Promise<T> {
    try { return await f(); } catch (e) { throw asProtosmithError(e, what); }
  }
}
