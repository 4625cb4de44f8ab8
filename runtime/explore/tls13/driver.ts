// The explorer's driver for TLS 1.3 (specs/tls13/machines/{client,server}.json): drives the REAL
// TlsClient or TlsServer through its public API only (start, receive, takeOutput, write,
// requestKeyUpdate, close, state, error) against a scripted peer.
//
// The scripted peer: a real engine of the other role (the source of legitimate flights, so that
// transcripts, signatures and Finished MACs are right) whose output is taken apart record by record
// with the secrets of its NSS key log, message by message, and re-sent to the engine under test one
// message per record, each protected with the keys the engine under test must be reading in its
// current state (RecordProtection, the key schedule's nextTrafficSecret). Every message the peer
// engine never sends (an out-of-order Certificate, a replayed ClientHello, an empty Certificate, a
// KeyUpdate, a ticket, a CCS, alerts of each level, application data) is built with the generated
// codecs (generated/tls13/messages) and protected the same way.
//
// Scenarios are the configurations that make the table's guards hold: session offered (and whether
// the server accepts it), 0-RTT offered/accepted, HelloRetryRequest forced by the groups, client
// authentication requested, client certificate present.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Driver, Expected, Infeasible, Observed, PlannedStep } from '../index.ts';
import type { MachineTable } from '../../machine/index.ts';
import { clientTable as generatedClient } from '../../../generated/tls13/machines/client.ts';
import { serverTable as generatedServer } from '../../../generated/tls13/machines/server.ts';
import {
  encodeCertificate, encodeCertificateRequest, encodeCertificateVerify, encodeClientHello, encodeEncryptedExtensions,
  encodeEndOfEarlyData, encodeFinished, encodeKeyUpdate, encodeNewSessionTicket, encodeServerHello, decodeServerHello,
  decodeClientHello, decodeEncryptedExtensions, decodeCertificateRequest, decodeNewSessionTicket,
} from '../../../generated/tls13/messages/handshake.ts';
import { createNodeProvider, nodeSigningKey } from '../../crypto/node/index.ts';
import { cipherSuiteParams, type CipherSuiteParams, type CryptoProvider } from '../../crypto/provider.ts';
import { TlsClient, TlsServer, TlsUsageError, AlertDescription, alertName, type ClientSession, type TlsClientConfig, type TlsEvent, type TlsServerConfig } from '../../tls/index.ts';
import { RecordProtection } from '../../tls/record-protection.ts';
import { nextTrafficSecret } from '../../tls/keyschedule.ts';

export type Role = 'client' | 'server';

export interface Scenario {
  readonly session: 'none' | 'accepted' | 'rejected';
  readonly early: boolean;
  readonly serverEarly: boolean;
  readonly hrr: boolean;
  readonly clientAuth: boolean;
  readonly clientCert: boolean;
  /** The server requires a client certificate (clientAuth 'require'), when the table has that guard. */
  readonly requireAuth?: boolean;
  /** The server issues no tickets (ticketCount 0), when the table has a guard for it. */
  readonly noTickets?: boolean;
  /** Server under test: the client's first ClientHello went to another server of the fleet, which answered
   *  with a HelloRetryRequest and a cookie; the engine under test first sees the retried ClientHello. */
  readonly stateless?: boolean;
}

type Engine = TlsClient | TlsServer;

/** Where the engine under test keeps what a seeded bug changes (runtime/tls/connection.ts members: the
 *  generated table it steps, and its implementation of the generated <Role>Implementations, whose members
 *  take the engine as their context). */
export interface EngineSeams {
  table: MachineTable;
  implementations: {
    guards: Record<string, (ctx: unknown, msg: unknown) => boolean>;
    actions: Record<string, (ctx: unknown, msg: unknown) => Promise<void> | void>;
  };
}

/** The engine's implementations are one frozen object shared by every engine of its class: a seeded bug
 *  patches a copy that belongs to the engine under test alone. */
function ownSeams(engine: Engine): EngineSeams {
  const seams = engine as unknown as EngineSeams;
  seams.implementations = { guards: { ...seams.implementations.guards }, actions: { ...seams.implementations.actions } };
  return seams;
}

export interface TlsDriverOptions {
  /** Change one behaviour of every engine under test (seeded bugs); see runtime/explore/seeded.ts. */
  readonly patch?: (engine: EngineSeams) => void;
}

const CT = { ccs: 20, alert: 21, handshake: 22, appdata: 23 } as const;
const HRR_RANDOM = Uint8Array.from(Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'));
const HS_EVENT: Record<number, string> = { 1: 'ClientHello', 2: 'ServerHello', 4: 'NewSessionTicket', 5: 'EndOfEarlyData', 8: 'EncryptedExtensions', 11: 'Certificate', 13: 'CertificateRequest', 15: 'CertificateVerify', 20: 'Finished', 24: 'KeyUpdate' };
const HS_TYPE: Record<string, number> = { ClientHello: 1, SecondClientHello: 1, ServerHello: 2, HelloRetryRequest: 2, NewSessionTicket: 4, EndOfEarlyData: 5, EncryptedExtensions: 8, Certificate: 11, CertificateRequest: 13, CertificateVerify: 15, Finished: 20, KeyUpdate: 24 };
const K1 = new Uint8Array(32).fill(0x11);
const K2 = new Uint8Array(32).fill(0x22);
const KC = new Uint8Array(32).fill(0x33);
const P256 = 0x0017;

// ---- PKI (in memory, @peculiar/x509) --------------------------------------------------------------

interface Pki { caPem: string; serverChain: string; serverKey: string; serverDer: Uint8Array; clientChain: string; clientKey: string }
let pkiPromise: Promise<Pki> | undefined;

async function makePki(): Promise<Pki> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const notBefore = new Date(Date.now() - 3600_000);
  const notAfter = new Date(Date.now() + 7 * 86400_000);
  const gen = async (): Promise<webcrypto.CryptoKeyPair> => webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
  const caKeys = await gen();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=protosmith explore CA', notBefore, notAfter, signingAlgorithm: alg, keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey)],
  });
  const leaf = async (serial: string, cn: string, eku: string): Promise<{ pem: string; der: Uint8Array; key: string }> => {
    const keys = await gen();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial, subject: `CN=${cn}`, issuer: ca.subject, notBefore, notAfter, signingAlgorithm: alg, publicKey: keys.publicKey, signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([eku]), new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: cn }]),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    return { pem: cert.toString('pem'), der: new Uint8Array(cert.rawData), key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n` };
  };
  const s = await leaf('02', 'localhost', x509.ExtendedKeyUsage.serverAuth);
  const c = await leaf('03', 'client.example', x509.ExtendedKeyUsage.clientAuth);
  return { caPem: ca.toString('pem'), serverChain: s.pem, serverKey: s.key, serverDer: s.der, clientChain: c.pem, clientKey: c.key };
}

// ---- records ------------------------------------------------------------------------------------

interface Item { readonly ct: number; readonly content: Uint8Array; readonly sealed: boolean }

/** Reads one direction's record stream; protected records are opened with the first epoch (from the
 *  current one on) whose keys authenticate them. Handshake messages are split out one by one. */
class StreamReader {
  private buf: Uint8Array = new Uint8Array(0);
  private hs: Uint8Array = new Uint8Array(0);
  private ciphers: (RecordProtection | undefined)[] = [];
  private at = 0;
  constructor(private readonly secrets: () => (Uint8Array | undefined)[], private readonly suite: () => CipherSuiteParams | undefined, private readonly crypto: CryptoProvider,
    private readonly onMessage: (m: Uint8Array) => void = () => undefined) {}

  async read(bytes: Uint8Array): Promise<Item[]> {
    this.buf = cat(this.buf, bytes);
    const out: Item[] = [];
    while (this.buf.length >= 5) {
      const len = (this.buf[3]! << 8) | this.buf[4]!;
      if (this.buf.length < 5 + len) break;
      const header = this.buf.slice(0, 5);
      const frag = this.buf.slice(5, 5 + len);
      this.buf = this.buf.slice(5 + len);
      if (header[0] !== CT.appdata) { this.push(out, header[0]!, frag, false); continue; }
      const opened = await this.open(header, frag);
      if (opened === undefined) out.push({ ct: -1, content: frag, sealed: true });
      else this.push(out, opened.type, opened.content, true);
    }
    return out;
  }

  private push(out: Item[], ct: number, content: Uint8Array, sealed: boolean): void {
    if (ct !== CT.handshake) { out.push({ ct, content, sealed }); return; }
    this.hs = cat(this.hs, content);
    while (this.hs.length >= 4) {
      const n = (this.hs[1]! << 16) | (this.hs[2]! << 8) | this.hs[3]!;
      if (this.hs.length < 4 + n) break;
      const m = this.hs.slice(0, 4 + n);
      this.onMessage(m);
      out.push({ ct, content: m, sealed });
      this.hs = this.hs.slice(4 + n);
    }
  }

  private async open(header: Uint8Array, frag: Uint8Array): Promise<{ type: number; content: Uint8Array } | undefined> {
    const suite = this.suite();
    if (!suite) return undefined;
    const base = this.secrets();
    // epochs: the base secrets in order, then up to 3 KeyUpdate generations after the last one
    const list: (Uint8Array | undefined)[] = [...base];
    let last = base[base.length - 1];
    for (let i = 0; i < 3 && last; i++) { last = await nextTrafficSecret(this.crypto, suite.hash, last); list.push(last); }
    for (let i = this.at; i < list.length; i++) {
      const s = list[i];
      if (!s) continue;
      const c = this.ciphers[i] ??= await RecordProtection.fromSecret(this.crypto, suite, s);
      try {
        const r = await c.open(header, frag);
        this.at = i;
        return r;
      } catch { /* not this epoch */ }
    }
    return undefined;
  }
}

function cat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a, 0); o.set(b, a.length);
  return o;
}
const record = (ct: number, content: Uint8Array): Uint8Array => { const r = new Uint8Array(5 + content.length); r[0] = ct; r[1] = 3; r[2] = 3; r[3] = content.length >> 8; r[4] = content.length & 0xff; r.set(content, 5); return r; };
const frame = (type: number, body: Uint8Array): Uint8Array => { const m = new Uint8Array(4 + body.length); m[0] = type; m[1] = body.length >> 16; m[2] = (body.length >> 8) & 0xff; m[3] = body.length & 0xff; m.set(body, 4); return m; };
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

// ---- runs ------------------------------------------------------------------------------------------

interface Queued { readonly event: string; readonly bytes: Uint8Array; readonly ct: number }

export interface TlsRun {
  readonly role: Role;
  readonly scenario: Scenario;
  readonly sut: Engine;
  readonly peer: Engine;
  readonly secrets: Map<string, Uint8Array>;
  suite: CipherSuiteParams | undefined;
  /** Legitimate messages the peer engine produced, not yet sent. */
  queue: Queued[];
  /** Raw first ClientHello (server under test), for replays. */
  firstClientHello: Uint8Array | undefined;
  /** Peer write protection per epoch label ('plain' has none), sequence numbers continuing. */
  readonly writers: Map<string, RecordProtection>;
  peerKeyUpdates: number;
  readonly sutReader: StreamReader;
  readonly peerReader: StreamReader;
}

/** The peer's write secret (its NSS key log label) for each protected read level of the spec
 *  (meta.readKeys.levels): the engine under test is a client, it reads the server's; and the reverse. */
const SECRETS: Record<Role, Readonly<Record<string, string>>> = {
  client: { handshake: 'SERVER_HANDSHAKE_TRAFFIC_SECRET', application: 'SERVER_TRAFFIC_SECRET_0' },
  server: { early: 'CLIENT_EARLY_TRAFFIC_SECRET', handshake: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', application: 'CLIENT_TRAFFIC_SECRET_0' },
};

/** The protection level the table names for `state` (states.<S>.meta.readKeys); undefined in absorbing states. */
function levelOf(role: Role, state: string): string | undefined {
  const rk = (role === 'client' ? generatedClient : generatedServer).readKeys;
  return (rk?.states as Readonly<Record<string, string | undefined>> | undefined)?.[state];
}

/** The peer's write secret the engine under test reads in `state`, from the table's read level
 *  (undefined where the table reads plaintext, and in the absorbing states). */
function epochOf(role: Role, state: string): string | undefined {
  const rk = (role === 'client' ? generatedClient : generatedServer).readKeys;
  const level = levelOf(role, state);
  if (level === undefined || !rk?.protected.includes(level)) return undefined;
  const label = SECRETS[role][level];
  if (label === undefined) throw new TypeError(`explore: the ${role} table reads level '${level}' in ${state}, and the driver knows no secret for it (runtime/explore/tls13/driver.ts SECRETS)`);
  return label;
}

export function tlsDriver(role: Role, options: TlsDriverOptions = {}): Driver<TlsRun> & { randomScenarios(): Scenario[] } {
  const crypto = createNodeProvider();
  const now = (): number => Date.now();
  const table = (role === 'client' ? generatedClient : generatedServer) as unknown as MachineTable;
  const spec = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'specs', 'tls13', 'machines', `${role}.json`), 'utf8')) as object;
  let sessionPromise: Promise<ClientSession> | undefined;

  const pki = (): Promise<Pki> => (pkiPromise ??= makePki());

  const serverConfig = (p: Pki, sc: Scenario, keyLog: boolean): TlsServerConfig => ({
    crypto, now, certificateChain: [p.serverChain], signingKey: nodeSigningKey(p.serverKey), trustAnchors: [p.caPem],
    ticketKey: sc.session === 'rejected' ? K2 : K1, maxEarlyData: sc.serverEarly ? 16384 : 0, cookieKey: KC,
    clientAuth: sc.clientAuth ? (sc.requireAuth ? 'require' : 'request') : 'none', keyLog, ...(sc.hrr || sc.stateless ? { groups: [P256] } : {}),
    // Tickets after every handshake, resumed ones too (resumptionTicketCount), unless the scenario has none.
    ...(sc.noTickets ? { ticketCount: 0 } : { resumptionTicketCount: 1 }),
  });
  const clientConfig = async (p: Pki, sc: Scenario, keyLog: boolean): Promise<TlsClientConfig> => ({
    crypto, now, serverName: 'localhost', trustAnchors: [p.caPem], keyLog,
    ...(sc.session !== 'none' ? { session: await mintSession() } : {}),
    ...(sc.early ? { earlyData: utf8('early data') } : {}),
    ...(sc.clientCert ? { certificateChain: [p.clientChain], signingKey: nodeSigningKey(p.clientKey) } : {}),
  });

  /** A resumable session (ticket sealed under K1, 0-RTT allowed) from one real handshake. */
  const mintSession = (): Promise<ClientSession> => (sessionPromise ??= (async () => {
    const p = await pki();
    const c = new TlsClient({ crypto, now, serverName: 'localhost', trustAnchors: [p.caPem] });
    const s = new TlsServer(serverConfig(p, { session: 'accepted', early: false, serverEarly: true, hrr: false, clientAuth: false, clientCert: false }, false));
    const evs: TlsEvent[] = [...await c.start()];
    for (let i = 0; i < 10; i++) {
      const a = c.takeOutput(); const b = s.takeOutput();
      if (a.length === 0 && b.length === 0) break;
      if (a.length) await s.receive(a);
      if (b.length) evs.push(...await c.receive(b));
    }
    const t = evs.find((e): e is Extract<TlsEvent, { type: 'newSessionTicket' }> => e.type === 'newSessionTicket');
    if (!t) throw new TypeError('explore: the session-minting handshake produced no ticket');
    return t.ticket;
  })());

  /** Feed what the engine under test sent to the peer engine; queue what the peer sends back. */
  const pull = async (run: TlsRun, sutOut: Uint8Array): Promise<void> => {
    if (sutOut.length === 0 && run.queue.length > 0) return;
    // learn the suite from a plaintext ServerHello before the peer's answer (protected with it) is read
    for (let o = 0; !run.suite && o + 5 <= sutOut.length; o += 5 + ((sutOut[o + 3]! << 8) | sutOut[o + 4]!)) {
      if (sutOut[o] === CT.handshake && sutOut[o + 5] === 2) run.suite = cipherSuiteParams(decodeServerHello(sutOut.subarray(o + 9, o + 5 + ((sutOut[o + 3]! << 8) | sutOut[o + 4]!))).cipher_suite as never);
    }
    if (sutOut.length > 0 && run.peer.error === undefined) {
      try { learn(run, await run.peer.receive(sutOut)); } catch { /* the peer engine rejected it; nothing more from it */ }
    }
    const out = run.peer.takeOutput();
    if (out.length === 0) return;
    for (const it of await run.peerReader.read(out)) {
      if (it.ct === CT.handshake) {
        const t = it.content[0]!;
        let ev = HS_EVENT[t] ?? 'Unknown';
        if (t === 2 && it.content.length >= 4 + 34 && Buffer.from(it.content.subarray(6, 38)).equals(Buffer.from(HRR_RANDOM))) ev = 'HelloRetryRequest';
        if (t === 1 && table.events.includes('SecondClientHello') && hasCookie(it.content)) ev = 'SecondClientHello';
        if (t === 1 && ev === 'ClientHello' && !run.firstClientHello) run.firstClientHello = it.content;
        run.queue.push({ event: ev, bytes: it.content, ct: CT.handshake });
      } else if (it.ct === CT.appdata) run.queue.push({ event: 'ApplicationData', bytes: it.content, ct: CT.appdata });
    }
  };

  const learn = (run: TlsRun, events: TlsEvent[]): void => {
    for (const e of events) if (e.type === 'keyLog') {
      const [label, , secret] = e.line.split(' ');
      if (label && secret) run.secrets.set(label, Uint8Array.from(Buffer.from(secret, 'hex')));
    }
  };

  /** Protect `content` of type `ct` as the engine under test must read it in state `state`. */
  const seal = async (run: TlsRun, state: string, ct: number, content: Uint8Array): Promise<Uint8Array> => {
    const label = epochOf(run.role, state);
    if (label === undefined) {
      if (ct === CT.appdata) {
        // application data before any keys exist: a protected record under keys the engine cannot have
        return record(CT.appdata, crypto.randomBytes(content.length + 17));
      }
      return record(ct, content);
    }
    const gen = label.endsWith('TRAFFIC_SECRET_0') ? run.peerKeyUpdates : 0;
    const key = `${label}#${gen}`;
    let w = run.writers.get(key);
    if (!w) {
      let secret = run.secrets.get(label);
      if (!secret || !run.suite) throw new TypeError(`explore: no ${label} known yet to protect a record in ${state}`);
      for (let i = 0; i < gen; i++) secret = await nextTrafficSecret(crypto, run.suite.hash, secret);
      w = await RecordProtection.fromSecret(crypto, run.suite, secret);
      run.writers.set(key, w);
    }
    return w.seal(ct, content, 0);
  };

  /** A message of `event`'s type built with the generated codecs (not from the peer engine). */
  const craft = async (run: TlsRun, step: PlannedStep): Promise<{ ct: number; content: Uint8Array } | undefined> => {
    const p = await pki();
    const e = step.event;
    const hl = run.suite?.hashLength ?? 32;
    switch (e) {
      case 'ClientHello':
        if (run.firstClientHello) return { ct: CT.handshake, content: run.firstClientHello };
        return { ct: CT.handshake, content: frame(1, encodeClientHello({ legacy_version: 0x0303, random: new Uint8Array(32).fill(7), legacy_session_id: new Uint8Array(0), cipher_suites: { items: [0x1301] }, legacy_compression_methods: Uint8Array.of(0), extensions: { items: [{ extension_type: 43, body: { versions: { items: [0x0304] } } }, { extension_type: 10, body: { named_group_list: { items: [P256] } } }] } } as never)) };
      case 'ServerHello':
      case 'HelloRetryRequest':
        return { ct: CT.handshake, content: frame(2, encodeServerHello({ legacy_version: 0x0303, random: e === 'ServerHello' ? new Uint8Array(32).fill(9) : HRR_RANDOM, legacy_session_id_echo: new Uint8Array(0), cipher_suite: 0x1301, legacy_compression_method: 0, extensions: { items: [{ extension_type: 43, body: { selected_version: 0x0304 } }, e === 'ServerHello' ? { extension_type: 51, body: { server_share: { group: P256, key_exchange: new Uint8Array(65).fill(4) } } } : { extension_type: 51, body: { selected_group: P256 } }] } } as never)) };
      case 'EncryptedExtensions': return { ct: CT.handshake, content: frame(8, encodeEncryptedExtensions({ extensions: { items: [] } })) };
      case 'CertificateRequest': return { ct: CT.handshake, content: frame(13, encodeCertificateRequest({ certificate_request_context: new Uint8Array(0), extensions: { items: [{ extension_type: 13, body: { supported_signature_algorithms: { items: [0x0403] } } }] } } as never)) };
      case 'Certificate': {
        const empty = step.facts.certificateEmpty === true || step.facts.requiredCertificateMissing === true;
        return { ct: CT.handshake, content: frame(11, encodeCertificate({ certificate_request_context: new Uint8Array(0), certificate_list: { items: empty ? [] : [{ cert_data: p.serverDer, extensions: { items: [] } }] } })) };
      }
      case 'CertificateVerify': return { ct: CT.handshake, content: frame(15, encodeCertificateVerify({ algorithm: 0x0403, signature: new Uint8Array(70).fill(1) } as never)) };
      case 'Finished': return { ct: CT.handshake, content: frame(20, encodeFinished({ verify_data: new Uint8Array(hl).fill(3) })) };
      case 'NewSessionTicket': return { ct: CT.handshake, content: frame(4, encodeNewSessionTicket({ ticket_lifetime: 60, ticket_age_add: 1, ticket_nonce: Uint8Array.of(9), ticket: Uint8Array.of(1, 2, 3), extensions: { items: [] } })) };
      case 'EndOfEarlyData': return { ct: CT.handshake, content: frame(5, encodeEndOfEarlyData({})) };
      case 'KeyUpdate': return { ct: CT.handshake, content: frame(24, encodeKeyUpdate({ request_update: 0 } as never)) };
      case 'ChangeCipherSpec': return { ct: CT.ccs, content: Uint8Array.of(1) };
      case 'ApplicationData': return { ct: CT.appdata, content: utf8('application data from the peer') };
      case 'CloseNotify': return { ct: CT.alert, content: Uint8Array.of(1, AlertDescription.close_notify) };
      case 'UserCanceled': return { ct: CT.alert, content: Uint8Array.of(1, AlertDescription.user_canceled) };
      case 'SecondClientHello': {
        // a ClientHello carrying a cookie (content irrelevant where the table rejects it outright)
        const ch = decodeClientHello((run.firstClientHello ?? frame(1, encodeClientHello({ legacy_version: 0x0303, random: new Uint8Array(32).fill(7), legacy_session_id: new Uint8Array(0), cipher_suites: { items: [0x1301] }, legacy_compression_methods: Uint8Array.of(0), extensions: { items: [{ extension_type: 43, body: { versions: { items: [0x0304] } } }, { extension_type: 10, body: { named_group_list: { items: [P256] } } }] } } as never))).subarray(4));
        const items = (ch.extensions?.items ?? []).filter((x) => x.extension_type !== 41);
        return { ct: CT.handshake, content: frame(1, encodeClientHello({ ...ch, extensions: { items: [...items, { extension_type: 44, body: { cookie: Uint8Array.of(1, 2, 3, 4) } }] } } as never)) };
      }
      case 'Alert': return { ct: CT.alert, content: Uint8Array.of(2, AlertDescription.handshake_failure) };
      default: return undefined;
    }
  };

  /** Events whose message must come from the peer engine when the table accepts them (transcript, MACs). */
  const needsLegit = (step: PlannedStep): boolean => {
    const e = step.event;
    if (step.expect.kind !== 'transition' || step.free) return false;
    if (e === 'NewSessionTicket' || e === 'KeyUpdate' || e === 'ApplicationData') return false;
    // a message the table ignores (stays, no actions: e.g. data after a closure alert) may be any message
    const c = table.transitions[step.from]?.[e]?.[step.candidate];
    if (c && c.target === step.from && c.actions.length === 0) return false;
    return HS_TYPE[e] !== undefined || table.events.includes(e) && e.endsWith('ClientHello');
  };

  const observe = async (run: TlsRun, before: string, events: TlsEvent[], refused: string | undefined, absorbedCall: boolean): Promise<Observed> => {
    const sut = run.sut;
    const out = sut.takeOutput();
    await pull(run, out);
    const items = await run.sutReader.read(out);
    const effects: string[] = [];
    let alert: string | undefined;
    for (const it of items) {
      if (it.ct === CT.alert && it.content[0] === 2) alert = alertName(it.content[1]!);
      else if (it.ct === CT.alert) effects.push(`sent alert ${alertName(it.content[1]!)} (level ${it.content[0]})`);
      else if (it.ct === CT.handshake) effects.push(`sent handshake message ${HS_EVENT[it.content[0]!] ?? it.content[0]}`);
      else if (it.ct === CT.appdata) effects.push(`sent ${it.content.length} bytes of application data`);
      else if (it.ct === CT.ccs) effects.push('sent change_cipher_spec');
      // an alert-sized record (2 + type + 16-byte tag) under keys the peer does not hold: counted as the alert below
      else if (!(it.content.length === 19 && sut.error?.alert)) effects.push(`sent a record the peer cannot read (${it.content.length} bytes)`);
    }
    for (const e of events) {
      if (e.type === 'data' || e.type === 'earlyData') effects.push(`delivered ${e.data.length} bytes of ${e.type === 'data' ? 'application' : 'early'} data`);
      else if (e.type === 'keyLog') effects.push('emitted a secret (keyLog)');
      else if (e.type === 'handshakeComplete') effects.push('reported handshakeComplete');
      else if (e.type === 'newSessionTicket') effects.push('stored a ticket');
    }
    let unreadable = false;
    if (alert === undefined && items.some((i) => i.ct === -1 && i.content.length === 19) && sut.error?.alert) { alert = sut.error.alert; unreadable = true; } // unreadable alert record: the engine's own error names it
    const state = sut.state;
    if (table.absorbing.includes(before) && absorbedCall && alert === undefined && state === before) return { state, answer: { kind: 'absorbed' }, effects };
    if (refused !== undefined) return { state, answer: { kind: 'refused', detail: refused }, effects: effects.filter((x) => !x.startsWith('sent change_cipher_spec')) };
    if (alert !== undefined) {
      const detail = sut.error ? `${unreadable ? 'sent under keys the peer does not hold; ' : ''}${sut.error.code}: ${sut.error.message}` : undefined;
      return { state, answer: { kind: 'alert', alert, ...(detail ? { detail } : {}) }, effects: effects.filter((x) => !x.startsWith('sent change_cipher_spec')) };
    }
    if (table.absorbing.includes(before)) return { state, answer: { kind: 'absorbed' }, effects };
    return { state, answer: { kind: 'ok' }, effects };
  };

  const deliver = async (run: TlsRun, step: PlannedStep, mutate?: (b: Uint8Array) => Uint8Array): Promise<Observed | Infeasible> => {
    const sut = run.sut;
    const before = sut.state;
    const e = step.event;
    // local requests
    if (table.eventSources[e] === 'local') {
      let refused: string | undefined;
      let absorbed = false;
      try {
        if (e === 'Start') {
          if (!(sut instanceof TlsClient)) return { infeasible: 'a TlsServer has no start()' };
          await sut.start();
        } else if (e === 'AppWrite') await sut.write(utf8('local application data'));
        else if (e === 'RequestKeyUpdate') await sut.requestKeyUpdate(false);
        else if (e === 'Close') await sut.close();
        else return { infeasible: `the TLS driver has no API call for the local event ${e} (teach deliver() in runtime/explore/tls13/driver.ts)` };
      } catch (err) {
        if (err instanceof TlsUsageError) refused = `${err.code}: ${err.message}`;
        else if (table.absorbing.includes(before)) absorbed = true;
        else return { state: sut.state, answer: { kind: 'crash', detail: String(err) }, effects: [] };
      }
      if (e === 'Start') await pull(run, new Uint8Array(0));
      return observe(run, before, [], refused, absorbed || table.absorbing.includes(before));
    }
    // peer events
    await pull(run, new Uint8Array(0));
    let msg: { ct: number; content: Uint8Array } | undefined;
    const legit = (): Queued | undefined => {
      while (run.queue.length > 0 && run.queue[0]!.event === 'ApplicationData' && e !== 'ApplicationData') run.queue.shift();
      return run.queue[0]?.event === e ? run.queue.shift() : undefined;
    };
    if (role === 'server' && e === 'ClientHello' && step.facts.helloRetryRequired === true && before === 'WAIT_SECOND_CLIENT_HELLO') {
      if (!run.firstClientHello) return { infeasible: 'no first ClientHello to replay' };
      msg = { ct: CT.handshake, content: run.firstClientHello };
    } else if (role === 'server' && e === 'SecondClientHello' && step.facts.helloRetryRequired === true) {
      const q = legit();
      if (!q) return { infeasible: 'no retried ClientHello from the peer engine to strip of its key shares' };
      msg = { ct: CT.handshake, content: withExtensions(q.bytes, (items) => items.map((x) => (x.extension_type === 51 ? { ...x, body: { client_shares: { items: [] } } } : x))) };
    } else if (role === 'client' && e === 'Certificate' && step.facts.certificateEmpty === true) {
      msg = await craft(run, step);
    } else if (step.expect.kind !== 'transition' && Object.keys(step.facts).some((g) => step.facts[g] === true) && run.queue.some((q) => q.event === e)) {
      // a guarded rejection: the peer engine's own message, when it is the one that makes the guard hold
      const q = legit();
      if (!q) return { infeasible: `the peer engine's next message is ${run.queue[0]?.event ?? 'nothing'}, not ${e}` };
      msg = { ct: q.ct, content: q.bytes };
    } else if (needsLegit(step)) {
      const q = legit();
      if (!q) return { infeasible: `the peer engine's next message is ${run.queue[0]?.event ?? 'nothing'}, not ${e}` };
      msg = { ct: q.ct, content: q.bytes };
    } else if (e === 'ApplicationData' && run.queue[0]?.event === 'ApplicationData' && before === 'WAIT_EOED') {
      const q = run.queue.shift()!;
      msg = { ct: q.ct, content: q.bytes };
    } else if (step.free && HS_TYPE[e] !== undefined && e !== 'KeyUpdate' && e !== 'NewSessionTicket') {
      // a random step: the peer engine's message when it is next; a built one only where the table rejects
      // the event anyway (a built message the table accepts would fail its MAC or signature, proving nothing)
      const q = legit();
      const accepted = (table.transitions[before]?.[e] ?? []).some((c) => c.alert === undefined && c.refuse === undefined && (c.target !== before || c.actions.length > 0)) && !table.absorbing.includes(before);
      if (!q && accepted) return { infeasible: `no legitimate ${e} from the peer engine now` };
      msg = q ? { ct: q.ct, content: q.bytes } : await craft(run, step);
    } else {
      msg = await craft(run, step);
    }
    if (msg === undefined) return { infeasible: `the TLS driver has no way to build event ${e} (a new event in the spec? teach craft() in runtime/explore/tls13/driver.ts)` };
    const content = mutate ? mutate(msg.content) : msg.content;
    if (mutate && Buffer.from(content).equals(Buffer.from(msg.content))) return { infeasible: `the mutation does not change this ${e} (e.g. no extensions to reorder)` };
    let bytes: Uint8Array;
    if (msg.ct === CT.ccs) bytes = record(CT.ccs, content);
    else {
      try { bytes = await seal(run, before, msg.ct, content); } catch (err) { return { infeasible: String(err) }; }
    }
    if (e === 'KeyUpdate' && epochOf(role, before)?.endsWith('TRAFFIC_SECRET_0') && step.expect.kind === 'transition' && !mutate) run.peerKeyUpdates++; // the peer now writes with the next generation
    let events: TlsEvent[] = [];
    let absorbed = false;
    try { events = await sut.receive(bytes); } catch (err) {
      if (table.absorbing.includes(before)) absorbed = true;
      else return { state: sut.state, answer: { kind: 'crash', detail: String(err) }, effects: [] };
    }
    return observe(run, before, events, undefined, absorbed || table.absorbing.includes(before));
  };

  const all: Scenario[] = [];
  const hasGuard = (g: string): boolean => table.guards.includes(g);
  const optional = (on: boolean): boolean[] => (on ? [false, true] : [false]);
  for (const session of ['none', 'accepted', 'rejected'] as const) for (const early of [false, true]) for (const serverEarly of [false, true]) for (const hrr of [false, true]) for (const clientAuth of [false, true]) for (const clientCert of [false, true]) {
    if (early && session === 'none') continue;
    for (const requireAuth of optional(hasGuard('requiredCertificateMissing') && clientAuth)) for (const noTickets of optional(hasGuard('ticketsIssued'))) for (const stateless of optional(role === 'server' && table.events.includes('SecondClientHello') && !hrr)) {
      all.push({ session, early, serverEarly, hrr, clientAuth, clientCert, requireAuth, noTickets, stateless });
    }
  }
  const weight = (s: Scenario): number => (s.session !== 'none' ? 1 : 0) + +s.early + +s.serverEarly + +s.hrr + +s.clientAuth + +s.clientCert + +(s.requireAuth ?? false) + +(s.noTickets ?? false) + +(s.stateless ?? false);
  all.sort((a, b) => weight(a) - weight(b));

  /** The guard values the real engines will produce along `plan` in scenario `sc` (undefined: free per message). */
  const predict = (sc: Scenario, plan: readonly PlannedStep[]): boolean => {
    let hrrSeen = false; let eeSeen = false; let crSeen = false;
    const earlyAccepted = sc.early && sc.session === 'accepted' && sc.serverEarly && !sc.hrr && !sc.stateless;
    for (const s of plan) {
      const g: Record<string, boolean | undefined> = role === 'client' ? {
        earlyDataOffered: sc.early && !hrrSeen && !(eeSeen && !earlyAccepted),
        pskAccepted: sc.session === 'accepted',
        certificateEmpty: undefined,
        earlyDataAccepted: earlyAccepted,
        clientCertificateSelected: crSeen && sc.clientCert,
        clientAuthRequested: crSeen,
      } : {
        helloRetryRequired: s.from === 'START' && s.event === 'ClientHello' ? sc.hrr : undefined,
        earlyDataAccepted: earlyAccepted,
        pskAccepted: sc.session === 'accepted',
        clientAuthRequested: sc.clientAuth && sc.session !== 'accepted',
        certificateEmpty: !sc.clientCert,
        requiredCertificateMissing: (sc.requireAuth ?? false) && !sc.clientCert,
        ticketsIssued: !(sc.noTickets ?? false),
      };
      for (const [k, v] of Object.entries(s.facts)) if (g[k] !== undefined && g[k] !== v) return false;
      // which message the peer engine sends next, where the plan needs a legitimate one
      if (role === 'client' && s.expect.kind === 'transition') {
        if (s.from === 'WAIT_SERVER_HELLO' && ((s.event === 'HelloRetryRequest') !== sc.hrr) && (s.event === 'HelloRetryRequest' || s.event === 'ServerHello')) return false;
        if (s.from === 'WAIT_CERT_CR' && s.event === 'CertificateRequest' && !(sc.clientAuth && sc.session !== 'accepted')) return false;
        if (s.from === 'WAIT_CERT_CR' && s.event === 'Certificate' && sc.clientAuth) return false;
        if (s.event === 'EncryptedExtensions' && (s.facts.pskAccepted === true) !== (sc.session === 'accepted')) return false;
      }
      if (role === 'server' && s.expect.kind === 'transition') {
        if (s.from === 'START' && s.event === 'ClientHello' && s.expect.target !== 'WAIT_SECOND_CLIENT_HELLO' && sc.hrr) return false;
        // the first ClientHello reaches this server only without a stateless retry, the retried one only with it
        if (s.from === 'START' && s.event === 'ClientHello' && sc.stateless) return false;
        if ((s.from === 'START' || s.from === 'WAIT_RETRIED_CLIENT_HELLO') && s.event === 'SecondClientHello' && !sc.stateless) return false;
        if (s.from === 'START' && s.event === 'ChangeCipherSpec' && s.expect.target !== 'START' && !sc.stateless) return false;
      }
      if (s.event === 'HelloRetryRequest') hrrSeen = true;
      if (s.event === 'EncryptedExtensions') eeSeen = true;
      if (s.event === 'CertificateRequest') crSeen = true;
    }
    if (sc.clientCert && !sc.clientAuth) return false; // a client certificate nobody asks for adds nothing
    return true;
  };

  const begin = async (scenario: unknown): Promise<TlsRun> => {
    const sc = scenario as Scenario;
    const p = await pki();
    let sut: Engine; let peer: Engine;
    if (role === 'client') { sut = new TlsClient(await clientConfig(p, sc, false)); peer = new TlsServer(serverConfig(p, sc, true)); }
    else { sut = new TlsServer(serverConfig(p, sc, false)); peer = new TlsClient(await clientConfig(p, sc, true)); }
    if (options.patch) options.patch(ownSeams(sut));
    const secrets = new Map<string, Uint8Array>();
    const run: TlsRun = {
      role, scenario: sc, sut, peer, secrets, suite: undefined, queue: [], firstClientHello: undefined, writers: new Map(), peerKeyUpdates: 0,
      sutReader: undefined as unknown as StreamReader, peerReader: undefined as unknown as StreamReader,
    };
    const sutLabels = role === 'client' ? ['CLIENT_EARLY_TRAFFIC_SECRET', 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0'] : ['SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'];
    const peerLabels = role === 'client' ? ['SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'] : ['CLIENT_EARLY_TRAFFIC_SECRET', 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0'];
    Object.assign(run, {
      sutReader: new StreamReader(() => sutLabels.map((l) => secrets.get(l)), () => run.suite, crypto, (m) => {
        if (m[0] === 2 && !run.suite) run.suite = cipherSuiteParams(decodeServerHello(m.subarray(4)).cipher_suite as never);
      }),
      peerReader: new StreamReader(() => peerLabels.map((l) => secrets.get(l)), () => run.suite, crypto, (m) => {
        if (m[0] === 2 && !run.suite) run.suite = cipherSuiteParams(decodeServerHello(m.subarray(4)).cipher_suite as never);
      }),
    });
    // 0-RTT records are protected with the session's suite before any ServerHello names one
    if (sc.session !== 'none') run.suite = cipherSuiteParams((await mintSession()).cipherSuite as never);
    if (peer instanceof TlsClient) {
      learn(run, await peer.start());
      if (sc.stateless) {
        // the first flight goes to another server of the fleet (same cookie key, requires a retry)
        const helper = new TlsServer({ ...serverConfig(p, sc, false), requireCookie: true } as TlsServerConfig);
        await helper.receive(peer.takeOutput());
        learn(run, await peer.receive(helper.takeOutput()));
        run.firstClientHello = undefined;
      }
    }
    return run;
  };

  const MUTATIONS: Record<string, (b: Uint8Array) => Uint8Array> = {
    // the handshake length one byte short / long
    'length-short': (b) => { const c = b.slice(0, b.length - 1); c[3] = (c[3]! - 1) & 0xff; return c; },
    'length-long': (b) => { const c = cat(b, Uint8Array.of(0)); const n = c.length - 4; c[1] = n >> 16; c[2] = (n >> 8) & 0xff; c[3] = n & 0xff; return c; },
    // another handshake type on the same body
    'type': (b) => { const c = b.slice(); c[0] = c[0] === 20 ? 15 : 20; return c; },
    // the last byte flipped (a MAC, a signature, an extension or a ticket)
    'flip-last': (b) => { const c = b.slice(); c[c.length - 1] = c[c.length - 1]! ^ 0x01; return c; },
    // the extension block reversed / its first extension twice (messages with extensions, re-encoded by the codecs)
    'reorder-extensions': (b) => withExtensions(b, (items) => [...items].reverse()),
    'duplicate-extension': (b) => withExtensions(b, (items) => (items.length > 0 ? [items[0]!, ...items] : items)),
  };

  // Records under the wrong protection, from the table's read levels (spec meta.readKeys): the alert for
  // a record whose protection differs from the state's level is the table's (readKeys.alert).
  const readsProtected = (state: string): boolean => epochOf(role, state) !== undefined;
  const toError = (alert: string): Expected => ({ kind: 'alert', alert, target: 'ERROR' });
  const wrongKeys = (): Expected => toError(table.readKeys?.alert ?? 'unexpected_message');
  const otherLevel = (st: string): string | undefined => {
    const level = levelOf(role, st);
    return level === undefined ? undefined : table.readKeys?.protected.find((l) => l !== level && SECRETS[role][l] !== undefined);
  };
  const PROBES = [
    { name: 'record-under-wrong-keys', rule: 'RFC 8446 §5.2: a record that fails deprotection is bad_record_mac; where the table reads plaintext, a protected record gets the table\'s readKeys alert', expect: (st: string): Expected => (readsProtected(st) ? toError('bad_record_mac') : wrongKeys()) },
    { name: 'record-under-another-level', rule: 'RFC 8446 §5.2: a record protected at another level than the table names for the state (e.g. handshake keys once application keys are read) fails deprotection: bad_record_mac', expect: (st: string): Expected | undefined => (readsProtected(st) && otherLevel(st) !== undefined ? toError('bad_record_mac') : undefined) },
    { name: 'plaintext-handshake-after-keys', rule: 'RFC 8446 §5: where the table reads a protected level, an unprotected handshake record gets the table\'s readKeys alert', expect: (st: string): Expected | undefined => (readsProtected(st) ? wrongKeys() : undefined) },
    { name: 'plaintext-alert-after-keys', rule: 'RFC 8446 §5: where the table reads a protected level, an unprotected alert record gets the table\'s readKeys alert', expect: (st: string): Expected | undefined => (readsProtected(st) ? wrongKeys() : undefined) },
    { name: 'unknown-inner-content-type', rule: 'RFC 8446 §5.4: a protected record with an unknown inner content type is unexpected_message', expect: (st: string): Expected | undefined => (readsProtected(st) ? toError('unexpected_message') : undefined) },
    { name: 'alert-at-warning-level', rule: 'RFC 8446 §6.2: an error alert at warning level is still fatal: the table\'s Alert answer', expect: (st: string): Expected => {
      const c = table.transitions[st]!.Alert![0]!;
      return c.alert !== undefined ? toError(c.alert) : { kind: 'transition', target: c.target };
    } },
    { name: 'ccs-with-wrong-body', rule: 'RFC 8446 §5: a change_cipher_spec record other than the single byte 0x01 is unexpected_message', expect: (): Expected => toError('unexpected_message') },
  ];

  const injectProbe = async (run: TlsRun, state: string, probe: string): Promise<Observed | Infeasible> => {
    const before = run.sut.state;
    let bytes: Uint8Array;
    const fin = frame(20, encodeFinished({ verify_data: new Uint8Array(run.suite?.hashLength ?? 32).fill(5) }));
    switch (probe) {
      case 'record-under-wrong-keys': {
        const suite = run.suite ?? cipherSuiteParams(0x1301 as never)!;
        const w = await RecordProtection.fromSecret(crypto, suite, crypto.randomBytes(suite.hashLength));
        bytes = await w.seal(CT.handshake, fin, 0);
        break;
      }
      case 'record-under-another-level': {
        const other = otherLevel(state);
        const label = other === undefined ? undefined : SECRETS[role][other];
        const secret = label === undefined ? undefined : run.secrets.get(label);
        if (!secret || !run.suite) return { infeasible: `no other protected level with a known secret in ${state}` };
        const w = await RecordProtection.fromSecret(crypto, run.suite, secret);
        bytes = await w.seal(CT.handshake, fin, 0);
        break;
      }
      case 'plaintext-handshake-after-keys': bytes = record(CT.handshake, fin); break;
      case 'plaintext-alert-after-keys': bytes = record(CT.alert, Uint8Array.of(2, AlertDescription.handshake_failure)); break;
      case 'unknown-inner-content-type': try { bytes = await seal(run, state, 99, Uint8Array.of(1, 2, 3)); } catch (e) { return { infeasible: String(e) }; } break;
      case 'alert-at-warning-level': try { bytes = await seal(run, state, CT.alert, Uint8Array.of(1, AlertDescription.handshake_failure)); } catch (e) { return { infeasible: String(e) }; } break;
      case 'ccs-with-wrong-body': bytes = record(CT.ccs, Uint8Array.of(2)); break;
      default: return { infeasible: `no probe ${probe}` };
    }
    let events: TlsEvent[] = [];
    try { events = await run.sut.receive(bytes); } catch (err) { return { state: run.sut.state, answer: { kind: 'crash', detail: String(err) }, effects: [] }; }
    return observe(run, before, events, undefined, false);
  };

  /** Handshake messages a send action always sends / may send (conditional on configuration or the message). */
  const SENDS: Record<string, string> = {
    sendClientHello: 'ClientHello', sendSecondClientHello: 'ClientHello', sendServerHello: 'ServerHello', sendHelloRetryRequest: 'ServerHello',
    sendEncryptedExtensions: 'EncryptedExtensions', sendCertificateRequest: 'CertificateRequest', sendCertificate: 'Certificate',
    sendCertificateVerify: 'CertificateVerify', sendFinished: 'Finished', sendEndOfEarlyData: 'EndOfEarlyData', sendKeyUpdate: 'KeyUpdate',
  };
  const MAY_SEND: Record<string, string> = { sendNewSessionTicket: 'NewSessionTicket', answerKeyUpdateIfRequested: 'KeyUpdate' };
  const checkTransition = (_step: PlannedStep, c: { actions: readonly string[] }, o: Observed): string | undefined => {
    const sent = o.effects.filter((x) => x.startsWith('sent handshake message ')).map((x) => x.slice('sent handshake message '.length));
    const must = c.actions.map((a) => SENDS[a]).filter((m): m is string => m !== undefined);
    const may = new Set(c.actions.map((a) => MAY_SEND[a]).filter((m): m is string => m !== undefined));
    const missing = must.filter((m) => !sent.includes(m));
    const extra = sent.filter((m) => !must.includes(m) && !may.has(m));
    if (missing.length === 0 && extra.length === 0) return undefined;
    return `the table's actions (${c.actions.join(', ') || 'none'}) send ${must.join(', ') || 'no handshake message'}; the engine sent ${sent.join(', ') || 'none'}`;
  };

  return {
    name: `tls13/${role}`,
    checkTransition,
    probes: PROBES,
    injectProbe,
    mutationVerdict: (event: string, mutation: string): Expected | undefined => {
      if (mutation === 'flip-last' && (event === 'Finished' || event === 'CertificateVerify')) return toError('decrypt_error');
      if (mutation === 'length-short' || mutation === 'length-long') return HS_TYPE[event] !== undefined && event !== 'EndOfEarlyData' ? toError('decode_error') : undefined;
      // RFC 8446 §4.2: no extension type twice in one block
      if (mutation === 'duplicate-extension' && ['ClientHello', 'ServerHello', 'HelloRetryRequest', 'EncryptedExtensions', 'CertificateRequest'].includes(event)) return toError('illegal_parameter');
      return undefined;
    },
    table,
    spec,
    impossible: role === 'server' ? { Start: 'TlsServer has no start(): a server waits for a ClientHello by construction' } : {},
    scenarios: (plan) => all.filter((sc) => predict(sc, plan)),
    randomScenarios: () => all.filter((s) => weight(s) <= 2),
    begin,
    inject: (run, step) => deliver(run, step),
    injectMutated: (run, step, mutation) => {
      const m = MUTATIONS[mutation];
      // mutations of an empty body would only make the message incomplete (the engine rightly waits for the rest)
      const emptyBody = step.event === 'EndOfEarlyData';
      if (!m || HS_TYPE[step.event] === undefined || (emptyBody && mutation !== 'length-long' && mutation !== 'type')) return Promise.resolve({ infeasible: `no mutation ${mutation} for ${step.event}` });
      return deliver(run, step, m);
    },
  };
}

export const TLS_MUTATIONS = ['length-short', 'length-long', 'type', 'flip-last', 'reorder-extensions', 'duplicate-extension'] as const;

type Ext = { extension_type: number };
/** Does this framed ClientHello carry a cookie extension (a retried ClientHello)? */
function hasCookie(framed: Uint8Array): boolean {
  try { return (decodeClientHello(framed.subarray(4)).extensions?.items ?? []).some((x) => x.extension_type === 44); } catch { return false; }
}
/** Decode a handshake message that has an extension block, change the block, encode it again; other messages unchanged. */
function withExtensions(framed: Uint8Array, change: (items: Ext[]) => Ext[]): Uint8Array {
  const body = framed.subarray(4);
  const again = <T extends { extensions?: { items: Ext[] } | undefined }>(decodeF: (b: Uint8Array) => T, encodeF: (v: T) => Uint8Array): Uint8Array => {
    const v = decodeF(body);
    if (!v.extensions) return framed;
    return frame(framed[0]!, encodeF({ ...v, extensions: { items: change(v.extensions.items) } }));
  };
  switch (framed[0]) {
    case 1: return again(decodeClientHello as never, encodeClientHello as never);
    case 2: return again(decodeServerHello as never, encodeServerHello as never);
    case 8: return again(decodeEncryptedExtensions as never, encodeEncryptedExtensions as never);
    case 13: return again(decodeCertificateRequest as never, encodeCertificateRequest as never);
    case 4: return again(decodeNewSessionTicket as never, encodeNewSessionTicket as never);
    default: return framed;
  }
}
