// Replays one section of Botan's RFC 8448 transcripts with our key schedule and record protection:
// rebuilds both key shares from the RNG pools, derives every secret, decrypts (and re-seals) every
// record, checks Finished, binders and CertificateVerify. Shared by test/crypto/rfc8448-keyschedule
// and test/tls/rfc8448 (which needs the decrypted flights to configure the engine).
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import { createNodeProvider } from '../../../runtime/crypto/node/index.ts';
import { cipherSuiteParams, type CipherSuiteParams, type CryptoProvider, type KeyShare } from '../../../runtime/crypto/provider.ts';
import { pinnedRandom } from '../../../runtime/crypto/testing/pinned-random.ts';
import { KeySchedule, finishedVerifyData, resumptionPsk } from '../../../runtime/tls/keyschedule.ts';
import { RecordProtection } from '../../../runtime/tls/record-protection.ts';
import {
  clientPsk, concat, derSequence, equalBytes, keyShares, loadTranscripts, need, parseHello, parseNewSessionTicket,
  splitHandshake, splitRecords, toHex, type Section,
} from './rfc8448.ts';

export const sections = loadTranscripts();
const enc = new TextEncoder();

export function eq(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (!equalBytes(actual, expected)) {
    let i = 0;
    while (i < Math.min(actual.length, expected.length) && actual[i] === expected[i]) i++;
    assert.unreachable(`${what}: differs at byte ${i} (lengths ${actual.length} vs ${expected.length})\n  got      ${toHex(actual.subarray(i, i + 24))}\n  expected ${toHex(expected.subarray(i, i + 24))}`);
  }
}

/** One direction: an opener and an independent sealer at the same sequence, to check seal(open(r)) == r. */
class Direction {
  private constructor(readonly opener: RecordProtection, readonly sealer: RecordProtection) {}
  static async of(p: CryptoProvider, suite: CipherSuiteParams, secret: Uint8Array): Promise<Direction> {
    return new Direction(await RecordProtection.fromSecret(p, suite, secret), await RecordProtection.fromSecret(p, suite, secret));
  }
  async open(record: Uint8Array, what: string): Promise<{ type: number; content: Uint8Array }> {
    const [r] = splitRecords(record);
    assert.ok(r !== undefined && r.type === 23, `${what}: protected record`);
    const out = await this.opener.open(r!.header, r!.fragment);
    const padding = r!.fragment.length - out.content.length - 1 - this.opener.suite.tagLength;
    eq(await this.sealer.seal(out.type, out.content, padding), record, `${what} re-sealed`);
    return out;
  }
}

export interface ReplayResult {
  psk?: Uint8Array;
  ticket?: Uint8Array;
  sessionPskField?: Uint8Array;
  nst?: ReturnType<typeof parseNewSessionTicket>;
  /** Decrypted handshake messages (with headers) of the server's encrypted flight and the client's last flight. */
  serverFlight: Uint8Array[];
  clientFlight: Uint8Array[];
}

const CCS = Uint8Array.of(0x14, 0x03, 0x03, 0x00, 0x01, 0x01);

function protectedRecords(bytes: Uint8Array, what: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const r of splitRecords(bytes)) {
    if (r.type === 20) { eq(r.raw, CCS, `${what}: middlebox change_cipher_spec`); continue; }
    out.push(r.raw);
  }
  return out;
}

function certificateVerifyInput(context: 'server' | 'client', hash: Uint8Array): Uint8Array {
  return concat(new Uint8Array(64).fill(0x20), enc.encode(`TLS 1.3, ${context} CertificateVerify`), Uint8Array.of(0), hash);
}

/** The first certificate_data of a Certificate message: an X.509 certificate's SPKI, or a raw public key (RFC 7250). */
export function leafSpki(certificateMsg: Uint8Array): Uint8Array {
  const ctxLen = certificateMsg[4]!;
  let o = 5 + ctxLen + 3;
  const len = (certificateMsg[o]! << 16) | (certificateMsg[o + 1]! << 8) | certificateMsg[o + 2]!;
  o += 3;
  const data = certificateMsg.slice(o, o + len);
  try {
    return Uint8Array.from(new X509Certificate(Buffer.from(data)).publicKey.export({ format: 'der', type: 'spki' }));
  } catch {
    return data; // not a certificate: a raw SubjectPublicKeyInfo
  }
}

async function checkCertificateVerify(p: CryptoProvider, s: Section, who: 'Server' | 'Client', certificate: Uint8Array, cv: Uint8Array, hashBeforeCv: Uint8Array): Promise<void> {
  const toSign = certificateVerifyInput(who === 'Server' ? 'server' : 'client', hashBeforeCv);
  eq(toSign, need(s, `${who}_MessageToSign`), `${who} CertificateVerify input`);
  const scheme = (cv[4]! << 8) | cv[5]!;
  const sig = cv.subarray(8);
  eq(sig, need(s, `${who}_MessageSignature`), `${who} CertificateVerify signature`);
  if (!p.capabilities().certificateSignatureSchemes.includes(scheme)) {
    // e.g. the noble provider has no RSA: it must refuse with a typed error, not mis-verify.
    const e = await p.verify(leafSpki(certificate), scheme, toSign, sig).then(() => undefined, (x: { code?: string }) => x.code);
    assert.is(e, 'CRYPTO_UNSUPPORTED_ALGORITHM', `${p.name} refuses scheme 0x${scheme.toString(16)} it does not list`);
    return;
  }
  assert.ok(await p.verify(leafSpki(certificate), scheme, toSign, sig), `${who} CertificateVerify (scheme 0x${scheme.toString(16)}) verifies with the certificate key`);
  const tampered = toSign.slice();
  tampered[tampered.length - 1]! ^= 1;
  assert.not.ok(await p.verify(leafSpki(certificate), scheme, tampered, sig), `${who} CertificateVerify fails on a changed transcript hash`);
}

/**
 * Parts of a section known to be inconsistent in transcripts.vec. Botan's own test stops the
 * Resumed_0RTT section after the server flight ("requires 0-RTT which is not yet implemented"),
 * so its later values were never checked; we assert the inconsistency so a fixed vector shows up.
 */
export interface KnownInconsistencies { serverFinishedField?: boolean; clientFinished?: boolean; applicationRecords?: boolean }

export type MakeProvider = (options: { randomBytes: (n: number) => Uint8Array }) => CryptoProvider;

export async function replay(name: string, psk?: { secret: Uint8Array; kind: 'external' | 'resumption' }, known: KnownInconsistencies = {}, make: MakeProvider = createNodeProvider): Promise<ReplayResult> {
  const s = sections.get(name);
  assert.ok(s, `section ${name} exists`);
  const sec = s!;
  const clientPool = pinnedRandom(need(sec, 'Client_RNG_Pool'));
  const serverPool = pinnedRandom(need(sec, 'Server_RNG_Pool'));
  const cp = make({ randomBytes: clientPool.take });
  const sp = make({ randomBytes: serverPool.take });

  // ---- ClientHello(s): Botan draws client random, then (middlebox mode) a session id, then each key share.
  const ch1 = splitRecords(need(sec, 'Record_ClientHello_1'))[0]!.fragment;
  const hello1 = parseHello(ch1);
  eq(cp.randomBytes(32), hello1.random, 'client random from the client pool');
  if (hello1.sessionId.length > 0) eq(cp.randomBytes(32), hello1.sessionId, 'legacy_session_id from the client pool');
  const clientShares: KeyShare[] = [];
  for (const ks of keyShares(hello1)) {
    const share = await cp.generateKeyShare(ks.group);
    eq(share.publicKey, ks.key, `client key share 0x${ks.group.toString(16)} from the client pool`);
    clientShares.push(share);
  }
  let clientHello = ch1;
  const preamble: Uint8Array[] = [];
  const hrrRecord = sec.get('Record_HelloRetryRequest');
  const sh = need(sec, 'Message_ServerHello');
  eq(splitRecords(need(sec, 'Record_ServerHello'))[0]!.fragment, sh, 'Record_ServerHello carries Message_ServerHello');
  const shHello = parseHello(sh);
  const suite = cipherSuiteParams(shHello.cipherSuites[0]!)!;
  assert.ok(suite, 'negotiated suite is a TLS 1.3 suite');

  if (hrrRecord !== undefined) {
    const hrr = splitRecords(hrrRecord)[0]!.fragment;
    const ch2 = splitRecords(need(sec, 'Record_ClientHello_2'))[0]!.fragment;
    const hello2 = parseHello(ch2);
    eq(hello2.random, hello1.random, 'ClientHello_2 repeats the random');
    for (const ks of keyShares(hello2)) {
      const share = await cp.generateKeyShare(ks.group);
      eq(share.publicKey, ks.key, `client key share 0x${ks.group.toString(16)} after HelloRetryRequest`);
      clientShares.push(share);
    }
    // RFC 8446 §4.4.1: ClientHello1 is replaced by message_hash(Hash(ClientHello1)).
    const h = cp.hash(suite.hash, ch1);
    preamble.push(concat(Uint8Array.of(254, 0, 0, h.length), h), hrr);
    clientHello = ch2;
  }
  assert.is(clientPool.remaining, 0, 'client consumed exactly its RNG pool');

  // ---- ServerHello: server random, then the server key share.
  eq(sp.randomBytes(32), shHello.random, 'server random from the server pool');
  const [serverKs] = keyShares(shHello);
  const serverShare = await sp.generateKeyShare(serverKs!.group);
  eq(serverShare.publicKey, serverKs!.key, 'server key share from the server pool');
  const clientShare = clientShares.find((c) => c.group === serverKs!.group)!;
  const shared = await clientShare.agree(serverShare.publicKey);
  eq(await serverShare.agree(clientShare.publicKey), shared, 'both sides agree on the (EC)DHE secret');

  const transcript = cp.createHash(suite.hash);
  for (const m of preamble) transcript.update(m);

  // ---- Early secret, PSK binder and 0-RTT data.
  const usesPsk = shHello.extensions.some((e) => e.type === 0x0029);
  assert.is(usesPsk, psk !== undefined, 'server selects a PSK exactly when the test supplies one');
  const ks = await KeySchedule.start(cp, suite.hash, usesPsk ? psk!.secret : undefined);
  let early: Direction | undefined;
  if (usesPsk) {
    const info = clientPsk(clientHello)!;
    const truncated = transcript.clone();
    truncated.update(clientHello.subarray(0, info.truncatedLength));
    const binder = await finishedVerifyData(cp, suite.hash, await ks.binderKey(psk!.kind), truncated.snapshot());
    eq(binder, info.binders[0]!, 'PSK binder in the ClientHello');
  }
  transcript.update(clientHello);
  const earlyRecord = sec.get('Record_Client_EarlyAppData');
  if (earlyRecord !== undefined) {
    early = await Direction.of(cp, suite, await ks.clientEarlyTrafficSecret(transcript.snapshot()));
    const r = await early.open(earlyRecord, 'early data record');
    assert.is(r.type, 23);
    eq(r.content, need(sec, 'Client_EarlyAppData'), '0-RTT application data');
  }

  // ---- Handshake secret: server flight.
  transcript.update(sh);
  await ks.enterHandshake(shared);
  const helloHash = transcript.snapshot();
  const chts = await ks.clientHandshakeTrafficSecret(helloHash);
  const shts = await ks.serverHandshakeTrafficSecret(helloHash);
  const serverHs = await Direction.of(cp, suite, shts);
  const serverFlight: Uint8Array[] = [];
  for (const r of protectedRecords(need(sec, 'Record_ServerHandshakeMessages'), 'server flight')) {
    const out = await serverHs.open(r, 'server handshake record');
    assert.is(out.type, 22, 'server flight records carry handshake content');
    serverFlight.push(out.content);
  }
  const expectedNames = ['Message_EncryptedExtensions', 'Message_CertificateRequest', 'Message_Server_Certificate', 'Message_Server_CertificateVerify', 'Message_Server_Finished'].filter((k) => sec.has(k));
  const expectedFlight = concat(...expectedNames.map((k) => need(sec, k)));
  if (known.serverFinishedField) {
    // Botan's test never compares this field for this section; it holds another run's value.
    const fin = need(sec, 'Message_Server_Finished');
    eq(concat(...serverFlight).subarray(0, expectedFlight.length - fin.length), expectedFlight.subarray(0, expectedFlight.length - fin.length), `server flight plaintext before Finished`);
    assert.not.ok(equalBytes(concat(...serverFlight), expectedFlight), 'known vector inconsistency still present: Message_Server_Finished differs from the record');
  } else {
    eq(concat(...serverFlight), expectedFlight, `server flight plaintext = ${expectedNames.join(' + ')}`);
  }
  let serverCert: Uint8Array | undefined;
  for (const m of splitHandshake(concat(...serverFlight))) {
    if (m[0] === 15) await checkCertificateVerify(cp, sec, 'Server', serverCert!, m, transcript.snapshot());
    if (m[0] === 20) eq(m.subarray(4), await finishedVerifyData(cp, suite.hash, shts, transcript.snapshot()), 'server Finished verify_data');
    if (m[0] === 11) serverCert = m;
    transcript.update(m);
  }

  // ---- Master secret.
  await ks.enterMaster();
  const serverFinishedHash = transcript.snapshot();
  const cats = await ks.clientApplicationTrafficSecret0(serverFinishedHash);
  const sats = await ks.serverApplicationTrafficSecret0(serverFinishedHash);

  // ---- Client flight: [EndOfEarlyData under the early key], [Certificate, CertificateVerify], Finished.
  const clientHs = await Direction.of(cp, suite, chts);
  const clientFlight: Uint8Array[] = [];
  for (const r of protectedRecords(need(sec, 'Record_ClientFinished'), 'client flight')) {
    const out = await (early !== undefined && clientFlight.length === 0 ? early : clientHs).open(r, 'client handshake record');
    assert.is(out.type, 22);
    clientFlight.push(out.content);
  }
  let clientCert: Uint8Array | undefined;
  let sawFinished = false;
  for (const m of splitHandshake(concat(...clientFlight))) {
    if (m[0] === 5) assert.ok(early !== undefined && equalBytes(m, Uint8Array.of(5, 0, 0, 0)), 'EndOfEarlyData only after 0-RTT');
    if (m[0] === 11) clientCert = m;
    if (m[0] === 15) await checkCertificateVerify(cp, sec, 'Client', clientCert!, m, transcript.snapshot());
    if (m[0] === 20) {
      const expected = await finishedVerifyData(cp, suite.hash, chts, transcript.snapshot());
      if (known.clientFinished) assert.not.ok(equalBytes(m.subarray(4), expected), 'known vector inconsistency still present: client Finished does not match the transcript');
      else eq(m.subarray(4), expected, 'client Finished verify_data');
      sawFinished = true;
    }
    transcript.update(m);
  }
  assert.ok(sawFinished, 'client flight ends with Finished');
  const rms = await ks.resumptionMasterSecret(transcript.snapshot());

  // ---- Application traffic.
  const serverApp = await Direction.of(cp, suite, sats);
  const clientApp = await Direction.of(cp, suite, cats);
  const result: ReplayResult = { serverFlight: splitHandshake(concat(...serverFlight)), clientFlight: splitHandshake(concat(...clientFlight)) };
  const sessionData = sec.get('Client_SessionData');
  if (sessionData !== undefined) {
    // Botan's session: SEQUENCE { ..., OCTET STRING (32 bytes) secret, ... } — the first 32-byte OCTET STRING.
    result.sessionPskField = derSequence(sessionData).find((e) => e.tag === 0x04 && e.value.length === 32)?.value;
  }
  if (known.applicationRecords) {
    for (const key of ['Record_Client_AppData', 'Record_Client_CloseNotify'] as const) {
      const [r] = splitRecords(need(sec, key));
      const fresh = await RecordProtection.fromSecret(cp, suite, cats);
      await fresh.open(r!.header, r!.fragment).then(
        () => assert.unreachable(`known vector inconsistency gone: ${key} now decrypts`),
        (e: { code?: string }) => assert.is(e.code, 'TLS_BAD_RECORD_MAC'));
    }
    return result;
  }
  const nstRecord = sec.get('Record_NewSessionTicket');
  if (nstRecord !== undefined) {
    const out = await serverApp.open(nstRecord, 'NewSessionTicket record');
    assert.is(out.type, 22);
    const nst = parseNewSessionTicket(out.content);
    eq(nst.ticket, need(sec, 'SessionTicket'), 'ticket in NewSessionTicket = SessionTicket');
    result.psk = await resumptionPsk(cp, suite.hash, rms, nst.nonce);
    result.nst = nst;
    result.ticket = nst.ticket;
  }
  for (const [dir, who] of [[clientApp, 'Client'], [serverApp, 'Server']] as const) {
    const rec = sec.get(`Record_${who}_AppData`);
    if (rec !== undefined) {
      const out = await dir.open(rec, `${who} application data`);
      assert.is(out.type, 23);
      eq(out.content, need(sec, `${who}_AppData`), `${who} application data plaintext`);
    }
    const close = await dir.open(need(sec, `Record_${who}_CloseNotify`), `${who} close_notify`);
    assert.is(close.type, 21);
    eq(close.content, Uint8Array.of(1, 0), `${who} close_notify alert`);
  }
  assert.is(serverPool.consumed >= 64, true, 'server drew its random and key share from the pool');
  return result;
}

