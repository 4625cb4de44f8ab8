// The key schedule and record protection, proven against Botan's RFC 8448 transcripts: from the
// RNG pools alone we rebuild both sides' key shares, run the key schedule over the real transcript,
// decrypt every protected record to the byte-exact handshake messages / application data, check
// Finished, PSK binders and CertificateVerify signatures, and re-seal each record to the same bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNobleProvider } from '../../runtime/crypto/noble/index.ts';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { cipherSuiteParams } from '../../runtime/crypto/provider.ts';
import { RecordProtection } from '../../runtime/tls/record-protection.ts';
import { need } from './support/rfc8448.ts';
import { eq, replay, sections, type ReplayResult } from './support/rfc8448-replay.ts';

let simple: ReplayResult | undefined;

test('Simple_1RTT_Handshake: pinned RNG gives both key shares; every record decrypts byte-exactly and re-seals identically', async () => {
  simple = await replay('Simple_1RTT_Handshake');
  assert.ok(simple.psk !== undefined, 'resumption PSK derived from the NewSessionTicket');
});

test('Simple_1RTT_Handshake: resumption PSK from res master + ticket nonce equals the secret in Botan\'s Client_SessionData', async () => {
  simple ??= await replay('Simple_1RTT_Handshake');
  assert.ok(simple.sessionPskField, 'Client_SessionData has a 32-byte secret');
  eq(simple.psk!, simple.sessionPskField!, 'PSK');
});

test('Resumed_0RTT_Handshake: PSK from the first handshake checks the binder, decrypts 0-RTT data, the server flight and EndOfEarlyData', async () => {
  simple ??= await replay('Simple_1RTT_Handshake');
  const r = await replay('Resumed_0RTT_Handshake', { secret: simple.psk!, kind: 'resumption' }, { serverFinishedField: true, clientFinished: true, applicationRecords: true });
  eq(r.sessionPskField!, simple.psk!, 'session data carries the same PSK');
});

test('HelloRetryRequest_Handshake: message_hash transcript and the second (secp256r1) key share', async () => {
  await replay('HelloRetryRequest_Handshake');
});

test('Client_Authentication_Handshake: CertificateRequest, client Certificate/CertificateVerify (ECDSA server) verify', async () => {
  await replay('Client_Authentication_Handshake');
});

test('Middlebox_Compatibility_Mode: session id from the pool, change_cipher_spec records passed through', async () => {
  await replay('Middlebox_Compatibility_Mode');
});

test('Externally_Provided_PSK_with_Ephemeral_Key: ext binder verifies and psk_dhe_ke schedule decrypts', async () => {
  const s = sections.get('Externally_Provided_PSK_with_Ephemeral_Key')!;
  await replay('Externally_Provided_PSK_with_Ephemeral_Key', { secret: need(s, 'PskSecret'), kind: 'external' });
});

test('RawPublicKey_With_Client_Authentication: raw-public-key CertificateVerify signatures verify', async () => {
  await replay('RawPublicKey_With_Client_Authentication');
});

test('the noble provider runs the same replay: every section decrypts, re-seals and verifies identically (RSA signatures refused as unsupported)', async () => {
  const first = await replay('Simple_1RTT_Handshake', undefined, {}, createNobleProvider);
  for (const name of ['HelloRetryRequest_Handshake', 'Client_Authentication_Handshake', 'Middlebox_Compatibility_Mode', 'RawPublicKey_With_Client_Authentication']) {
    await replay(name, undefined, {}, createNobleProvider);
  }
  await replay('Resumed_0RTT_Handshake', { secret: first.psk!, kind: 'resumption' }, { serverFinishedField: true, clientFinished: true, applicationRecords: true }, createNobleProvider);
  await replay('Externally_Provided_PSK_with_Ephemeral_Key', { secret: need(sections.get('Externally_Provided_PSK_with_Ephemeral_Key')!, 'PskSecret'), kind: 'external' }, {}, createNobleProvider);
  simple ??= await replay('Simple_1RTT_Handshake');
  eq(first.psk!, simple.psk!, 'noble and node derive the same resumption PSK');
});

test('a flipped bit anywhere in a protected record is refused with bad_record_mac', async () => {
  const s = sections.get('Simple_1RTT_Handshake')!;
  const p = createNodeProvider();
  const suite = cipherSuiteParams(0x1301)!;
  // Independent of the handshake: seal under a fixed secret, then corrupt header, body and tag.
  const secret = new Uint8Array(32).fill(7);
  const sealer = await RecordProtection.fromSecret(p, suite, secret);
  const rec = await sealer.seal(23, need(s, 'Client_AppData'), 0);
  for (const pos of [2, 5, rec.length - 20, rec.length - 1]) {
    const bad = rec.slice();
    bad[pos]! ^= 0x01;
    const opener = await RecordProtection.fromSecret(p, suite, secret);
    try {
      await opener.open(bad.subarray(0, 5), bad.subarray(5));
      assert.unreachable(`corruption at ${pos} accepted`);
    } catch (e) {
      assert.is((e as { code?: string }).code, 'TLS_BAD_RECORD_MAC', `byte ${pos}`);
      assert.is((e as { alert?: string }).alert, 'bad_record_mac');
    }
  }
});

test.run();
