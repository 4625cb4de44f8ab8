// The handshake messages RFC 8448 sends under encryption (EncryptedExtensions, CertificateRequest, both
// sides' Certificate and CertificateVerify, Finished, EndOfEarlyData), decrypted by the project's own key
// schedule and record protection (test/crypto/support/rfc8448-replay.ts), decode with the generated codecs,
// re-encode to identical bytes, and agree with the Message_* entries where the vectors have them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replay, type ReplayResult } from '../crypto/support/rfc8448-replay.ts';
import { decodeHandshake, encodeHandshake, type Certificate, type CertificateVerify } from '../../generated/tls13/messages/handshake.ts';
import { HandshakeType, SignatureScheme } from '../../generated/tls13/messages/common.ts';
import { hex, samples, toHex } from './vectors.ts';

const { sections } = samples();
const flights = new Map<string, ReplayResult>();
const entry = (section: string, key: string): string | undefined => sections.find((s) => s.name === section)?.entries.get(key);

test.before(async () => {
  for (const name of ['Simple_1RTT_Handshake', 'HelloRetryRequest_Handshake', 'Client_Authentication_Handshake', 'Middlebox_Compatibility_Mode', 'RawPublicKey_With_Client_Authentication']) {
    flights.set(name, await replay(name));
  }
  const simple = flights.get('Simple_1RTT_Handshake')!;
  flights.set('Resumed_0RTT_Handshake', await replay('Resumed_0RTT_Handshake', { secret: simple.psk!, kind: 'resumption' }, { serverFinishedField: true, clientFinished: true, applicationRecords: true }));
  flights.set('Externally_Provided_PSK_with_Ephemeral_Key', await replay('Externally_Provided_PSK_with_Ephemeral_Key', { secret: hex(entry('Externally_Provided_PSK_with_Ephemeral_Key', 'PskSecret')!), kind: 'external' }));
});

test('every decrypted RFC 8448 handshake message decodes and re-encodes to identical bytes', () => {
  let n = 0;
  const types = new Set<number>();
  for (const [name, r] of flights) {
    for (const m of [...r.serverFlight, ...r.clientFlight]) {
      const h = decodeHandshake(m);
      assert.ok(!(h.body instanceof Uint8Array), `${name}: msg_type ${m[0]} left raw`);
      assert.is(toHex(encodeHandshake(h)), toHex(m), `${name}: msg_type ${m[0]}`);
      types.add(h.msg_type);
      n++;
    }
  }
  assert.ok(n >= 30, `${n} messages`);
  for (const t of [HandshakeType.encrypted_extensions, HandshakeType.certificate_request, HandshakeType.certificate, HandshakeType.certificate_verify, HandshakeType.finished, HandshakeType.end_of_early_data]) {
    assert.ok(types.has(t), `no message of type ${t} seen`);
  }
});

test('the client Certificate of client authentication carries one certificate and its CertificateVerify is RSA-PSS', () => {
  const r = flights.get('Client_Authentication_Handshake')!;
  const cert = r.clientFlight.map(decodeHandshake).find((h) => h.msg_type === HandshakeType.certificate)!.body as Certificate;
  assert.is(cert.certificate_list.items.length, 1);
  assert.is(cert.certificate_list.items[0]!.cert_data[0], 0x30);
  const cv = r.clientFlight.map(decodeHandshake).find((h) => h.msg_type === HandshakeType.certificate_verify)!.body as CertificateVerify;
  assert.is(cv.algorithm, SignatureScheme.rsa_pss_rsae_sha256);
  assert.equal(cv.signature, hex(entry('Client_Authentication_Handshake', 'Client_MessageSignature')!));
});

test('0-RTT: the client flight starts with an empty EndOfEarlyData', () => {
  const first = decodeHandshake(flights.get('Resumed_0RTT_Handshake')!.clientFlight[0]!);
  assert.is(first.msg_type, HandshakeType.end_of_early_data);
  assert.equal(first.body, {});
});

test.run();
