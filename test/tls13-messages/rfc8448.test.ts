// RFC 8448 round trips: every record and handshake message that crosses the wire in the clear decodes with
// the codecs generated from specs/tls13/messages and re-encodes to the identical bytes; protected records
// decode as TLSCiphertext. The decoded fields are checked against what RFC 8448 says they are.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeError } from '../../runtime/codec/index.ts';
import { decodeHandshake, encodeHandshake, decodeClientHello, type ClientHello, type ServerHello, type Certificate, type CertificateVerify, type EncryptedExtensions, type CertificateRequest, type Finished, type Handshake } from '../../generated/tls13/messages/handshake.ts';
import { decodeRecord, encodeRecord, decodeTlsPlaintext, encodeTlsPlaintext, decodeTlsCiphertext, encodeTlsCiphertext } from '../../generated/tls13/messages/record.ts';
import { decodeAlert, encodeAlert } from '../../generated/tls13/messages/alert.ts';
import type { Extension } from '../../generated/tls13/messages/extensions.ts';
import { CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup, SignatureScheme, PskKeyExchangeMode, AlertLevel, AlertDescription, CertificateType } from '../../generated/tls13/messages/common.ts';
import { HRR_RANDOM, hex, root, samples, toHex, type Sample } from './vectors.ts';

const { handshakeMessages, plaintextRecords, ciphertextRecords, recordRuns, sections } = samples();
const entry = (section: string, key: string): Uint8Array => {
  const v = sections.find((s) => s.name === section)?.entries.get(key);
  if (v === undefined) throw new Error(`no ${section}/${key}`);
  return hex(v);
};
const msg = (section: string, key: string): Sample => {
  const m = handshakeMessages.find((x) => x.section === section && x.key === key);
  if (!m) throw new Error(`no message ${section}/${key}`);
  return m;
};
const body = <T>(m: Sample, type: number): T => {
  const h = decodeHandshake(m.bytes);
  assert.is(h.msg_type, type, `${m.name}: msg_type`);
  return h.body as T;
};
const ext = (exts: { items: readonly Extension[] } | undefined, type: number): Extension['body'] => {
  assert.ok(exts, 'the message has an extensions block');
  const found = exts!.items.filter((e) => e.extension_type === type);
  assert.is(found.length, 1, `extension ${type} appears once`);
  return found[0]!.body;
};
const ascii = (b: Uint8Array): string => String.fromCharCode(...b);
// Returns the value of an extension body as a loose record, for reading the form-dependent fields.
type Loose = Record<string, unknown>;
const loose = (x: unknown): Loose => x as Loose;
const items = <T = unknown>(x: unknown): T[] => (loose(x)['items'] as T[]);

test('the RFC 8448 vectors hold 7 handshakes with 18 clear records, 37 protected records and 49 clear messages', () => {
  assert.is(sections.length, 7);
  assert.is(plaintextRecords.length, 18);
  assert.is(ciphertextRecords.length, 37);
  assert.is(handshakeMessages.length, 49);
});

test('every RFC 8448 handshake message decodes and re-encodes to identical bytes', () => {
  for (const m of handshakeMessages) {
    const h = decodeHandshake(m.bytes);
    assert.is(h.msg_type, m.bytes[0], m.name);
    assert.ok(!(h.body instanceof Uint8Array), `${m.name}: body left as raw bytes`);
    assert.is(toHex(encodeHandshake(h)), toHex(m.bytes), m.name);
  }
});

test('every RFC 8448 plaintext record decodes as TLSPlaintext and re-encodes to identical bytes', () => {
  for (const r of plaintextRecords) {
    const rec = decodeTlsPlaintext(r.bytes);
    assert.is(rec.type, r.bytes[0], r.name);
    assert.is(toHex(encodeTlsPlaintext(rec)), toHex(r.bytes), r.name);
  }
});

test('every RFC 8448 protected record decodes as TLSCiphertext and re-encodes to identical bytes', () => {
  for (const r of ciphertextRecords) {
    const rec = decodeTlsCiphertext(r.bytes);
    assert.is(rec.opaque_type, ContentType.application_data);
    assert.is(rec.legacy_record_version, 0x0303);
    assert.is(rec.encrypted_record.length, r.bytes.length - 5, r.name);
    assert.is(toHex(encodeTlsCiphertext(rec)), toHex(r.bytes), r.name);
  }
});

test('every Record_* entry decodes as a run of records and re-encodes to identical bytes', () => {
  for (const r of recordRuns) {
    const run = decodeRecord(r.bytes);
    assert.ok(run.records.length >= 1, r.name);
    assert.is(toHex(encodeRecord(run)), toHex(r.bytes), r.name);
  }
});

test('a handshake record fragment is the handshake message that follows it', () => {
  const rec = decodeTlsPlaintext(plaintextRecords[0]!.bytes);
  assert.is(rec.type, ContentType.handshake);
  assert.ok(rec.fragment instanceof Uint8Array);
  assert.is(decodeHandshake(rec.fragment as Uint8Array).msg_type, HandshakeType.client_hello);
});

test('the simple ClientHello offers AES-128-GCM, ChaCha20, AES-256-GCM, SNI "server", an x25519 share and TLS 1.3 only', () => {
  const ch = body<ClientHello>(msg('Simple_1RTT_Handshake', 'Record_ClientHello_1'), HandshakeType.client_hello);
  assert.is(ch.legacy_version, 0x0303);
  assert.equal(ch.random, entry('Simple_1RTT_Handshake', 'Client_RNG_Pool').subarray(0, 32));
  assert.is(ch.legacy_session_id.length, 0);
  assert.equal([...ch.cipher_suites.items], [CipherSuite.tls_aes_128_gcm_sha256, CipherSuite.tls_chacha20_poly1305_sha256, CipherSuite.tls_aes_256_gcm_sha384]);
  assert.equal([...ch.legacy_compression_methods], [0]);
  const sni = loose(ext(ch.extensions, ExtensionType.server_name));
  const names = items<Loose>(sni['server_name_list']);
  assert.is(names.length, 1);
  assert.is(names[0]!['name_type'], 0);
  assert.is(ascii(names[0]!['host_name'] as Uint8Array), 'server');
  const ks = loose(ext(ch.extensions, ExtensionType.key_share));
  const shares = items<Loose>(ks['client_shares']);
  assert.is(shares.length, 1);
  assert.is(shares[0]!['group'], NamedGroup.x25519);
  assert.is((shares[0]!['key_exchange'] as Uint8Array).length, 32);
  assert.is(ks['server_share'], undefined);
  const sv = loose(ext(ch.extensions, ExtensionType.supported_versions));
  assert.equal(items(sv['versions']), [0x0304]);
  const groups = items(loose(ext(ch.extensions, ExtensionType.supported_groups))['named_group_list']);
  assert.equal(groups.slice(0, 4), [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1]);
  const sigs = items(loose(ext(ch.extensions, ExtensionType.signature_algorithms))['supported_signature_algorithms']);
  assert.is(sigs.length, 15);
  assert.ok(sigs.includes(SignatureScheme.rsa_pss_rsae_sha256));
  assert.equal(items(loose(ext(ch.extensions, ExtensionType.psk_key_exchange_modes))['ke_modes']), [PskKeyExchangeMode.psk_dhe_ke]);
  assert.is(loose(ext(ch.extensions, ExtensionType.record_size_limit))['record_size_limit'], 0x4001);
  assert.is((loose(ext(ch.extensions, ExtensionType.renegotiation_info))['renegotiated_connection'] as Uint8Array).length, 0);
  // session_ticket (35) has no case in the spec: kept as its raw (here empty) bytes.
  const ticket = ext(ch.extensions, ExtensionType.session_ticket);
  assert.ok(ticket instanceof Uint8Array);
  assert.is((ticket as Uint8Array).length, 0);
});

test('the simple ServerHello selects AES-128-GCM, TLS 1.3 and an x25519 share, and is not read as a HelloRetryRequest', () => {
  const sh = body<ServerHello>(msg('Simple_1RTT_Handshake', 'Message_ServerHello'), HandshakeType.server_hello);
  assert.is(sh.cipher_suite, CipherSuite.tls_aes_128_gcm_sha256);
  assert.is(sh.legacy_compression_method, 0);
  assert.equal(sh.random, entry('Simple_1RTT_Handshake', 'Server_RNG_Pool').subarray(0, 32));
  assert.is(loose(ext(sh.extensions, ExtensionType.supported_versions))['selected_version'], 0x0304);
  const ks = loose(ext(sh.extensions, ExtensionType.key_share));
  assert.is(ks['selected_group'], undefined);
  assert.is(loose(ks['server_share'])['group'], NamedGroup.x25519);
  assert.is((loose(ks['server_share'])['key_exchange'] as Uint8Array).length, 32);
});

test('the HelloRetryRequest is recognised by its random: selected_group secp256r1 and the cookie of the vectors', () => {
  const m = msg('HelloRetryRequest_Handshake', 'Record_HelloRetryRequest');
  const hrr = body<ServerHello>(m, HandshakeType.server_hello);
  assert.equal(hrr.random, HRR_RANDOM);
  const ks = loose(ext(hrr.extensions, ExtensionType.key_share));
  assert.is(ks['selected_group'], NamedGroup.secp256r1);
  assert.is(ks['server_share'], undefined);
  assert.equal(loose(ext(hrr.extensions, ExtensionType.cookie))['cookie'], entry('HelloRetryRequest_Handshake', 'HelloRetryRequest_Cookie'));
  assert.is(loose(ext(hrr.extensions, ExtensionType.supported_versions))['selected_version'], 0x0304);
  // The second ClientHello answers with a P-256 share and echoes the cookie.
  const ch2 = body<ClientHello>(msg('HelloRetryRequest_Handshake', 'Record_ClientHello_2'), HandshakeType.client_hello);
  const shares = items<Loose>(loose(ext(ch2.extensions, ExtensionType.key_share))['client_shares']);
  assert.equal(shares.map((s) => s['group']), [NamedGroup.secp256r1]);
  assert.is((shares[0]!['key_exchange'] as Uint8Array).length, 65);
  assert.equal(loose(ext(ch2.extensions, ExtensionType.cookie))['cookie'], entry('HelloRetryRequest_Handshake', 'HelloRetryRequest_Cookie'));
  assert.ok(ext(ch2.extensions, ExtensionType.padding) !== undefined);
});

test('the resumption ClientHello offers the session ticket as PSK identity with one 32-byte binder, and early_data', () => {
  const ch = body<ClientHello>(msg('Resumed_0RTT_Handshake', 'Record_ClientHello_1'), HandshakeType.client_hello);
  // pre_shared_key MUST be the last extension (RFC 8446 §4.2.11).
  const chExts = ch.extensions!.items;
  assert.is(chExts[chExts.length - 1]!.extension_type, ExtensionType.pre_shared_key);
  const psk = loose(loose(ext(ch.extensions, ExtensionType.pre_shared_key))['offered_psks']);
  const ids = items<Loose>(psk['identities']);
  assert.is(ids.length, 1);
  assert.equal(ids[0]!['identity'], entry('Resumed_0RTT_Handshake', 'SessionTicket'));
  assert.is(ids[0]!['obfuscated_ticket_age'], 0xfad6aacb);
  const binders = items<Loose>(psk['binders']);
  assert.equal(binders.map((b) => (b['binder'] as Uint8Array).length), [32]);
  assert.is(loose(ext(ch.extensions, ExtensionType.early_data))['max_early_data_size'], undefined);
  const sh = body<ServerHello>(msg('Resumed_0RTT_Handshake', 'Message_ServerHello'), HandshakeType.server_hello);
  assert.is(loose(ext(sh.extensions, ExtensionType.pre_shared_key))['selected_identity'], 0);
  const ee = body<EncryptedExtensions>(msg('Resumed_0RTT_Handshake', 'Message_EncryptedExtensions'), HandshakeType.encrypted_extensions);
  assert.ok(ee.extensions.items.some((e) => e.extension_type === ExtensionType.early_data));
});

test('the server Certificate carries the RFC 8448 RSA certificate, CertificateVerify its RSA-PSS signature', () => {
  const cert = body<Certificate>(msg('Simple_1RTT_Handshake', 'Message_Server_Certificate'), HandshakeType.certificate);
  assert.is(cert.certificate_request_context.length, 0);
  assert.is(cert.certificate_list.items.length, 1);
  const pem = readFileSync(join(root, '..', 'shared', 'vectors', 'rfc8448', 'server_certificate.pem'), 'utf8');
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  // The PEM body is the DER certificate (30 82 01 ac: 4 + 428 bytes) followed by 00 00, the entry's
  // empty extensions vector, as the Botan-layout file carries it.
  const derLength = 4 + ((der[2]! << 8) | der[3]!);
  assert.is(derLength, 0x1b0);
  assert.equal(cert.certificate_list.items[0]!.cert_data, new Uint8Array(der.subarray(0, derLength)));
  assert.is(cert.certificate_list.items[0]!.extensions.items.length, 0);
  const cv = body<CertificateVerify>(msg('Simple_1RTT_Handshake', 'Message_Server_CertificateVerify'), HandshakeType.certificate_verify);
  assert.is(cv.algorithm, SignatureScheme.rsa_pss_rsae_sha256);
  assert.equal(cv.signature, entry('Simple_1RTT_Handshake', 'Server_MessageSignature'));
  const fin = body<Finished>(msg('Simple_1RTT_Handshake', 'Message_Server_Finished'), HandshakeType.finished);
  assert.is(fin.verify_data.length, 32);
});

test('the EncryptedExtensions acknowledge SNI with an empty server_name and repeat the supported groups', () => {
  const ee = body<EncryptedExtensions>(msg('Simple_1RTT_Handshake', 'Message_EncryptedExtensions'), HandshakeType.encrypted_extensions);
  const sni = loose(ext(ee.extensions, ExtensionType.server_name));
  assert.is(sni['server_name_list'], undefined);
  assert.is(items(loose(ext(ee.extensions, ExtensionType.supported_groups))['named_group_list']).length, 9);
});

test('the CertificateRequest of client authentication asks for signature_algorithms with an empty context', () => {
  const cr = body<CertificateRequest>(msg('Client_Authentication_Handshake', 'Message_CertificateRequest'), HandshakeType.certificate_request);
  assert.is(cr.certificate_request_context.length, 0);
  const sigs = items(loose(ext(cr.extensions, ExtensionType.signature_algorithms))['supported_signature_algorithms']);
  assert.ok(sigs.includes(SignatureScheme.rsa_pss_rsae_sha256));
});

test('middlebox compatibility mode: a 32-byte session id echoed by the server, and ChangeCipherSpec records of one byte 1', () => {
  const ch = body<ClientHello>(msg('Middlebox_Compatibility_Mode', 'Record_ClientHello_1'), HandshakeType.client_hello);
  const sh = body<ServerHello>(msg('Middlebox_Compatibility_Mode', 'Message_ServerHello'), HandshakeType.server_hello);
  assert.is(ch.legacy_session_id.length, 32);
  assert.equal(sh.legacy_session_id_echo, ch.legacy_session_id);
  const ccs = plaintextRecords.filter((r) => r.section === 'Middlebox_Compatibility_Mode' && r.bytes[0] === ContentType.change_cipher_spec);
  assert.is(ccs.length, 2);
  for (const r of ccs) assert.equal(loose(decodeTlsPlaintext(r.bytes).fragment), { value: 1 });
});

test('the raw public key handshake: both sides offer and choose RawPublicKey certificate types, and cert_data is the SPKI', () => {
  const ch = body<ClientHello>(msg('RawPublicKey_With_Client_Authentication', 'Record_ClientHello_1'), HandshakeType.client_hello);
  for (const t of [ExtensionType.client_certificate_type, ExtensionType.server_certificate_type]) {
    assert.equal(items(loose(ext(ch.extensions, t))['certificate_types']), [CertificateType.raw_public_key]);
  }
  const ee = body<EncryptedExtensions>(msg('RawPublicKey_With_Client_Authentication', 'Message_EncryptedExtensions'), HandshakeType.encrypted_extensions);
  for (const t of [ExtensionType.client_certificate_type, ExtensionType.server_certificate_type]) {
    const chosen = loose(ext(ee.extensions, t));
    assert.is(chosen['certificate_type'], CertificateType.raw_public_key);
    assert.is(chosen['certificate_types'], undefined);
  }
  const cert = body<Certificate>(msg('RawPublicKey_With_Client_Authentication', 'Message_Server_Certificate'), HandshakeType.certificate);
  assert.is(cert.certificate_list.items[0]!.cert_data[0], 0x30);
});

test('an alert record decodes as fatal handshake_failure and re-encodes', () => {
  const bytes = hex('15030300020228');
  const rec = decodeTlsPlaintext(bytes);
  assert.is(rec.type, ContentType.alert);
  assert.equal(loose(rec.fragment), { level: AlertLevel.fatal, description: AlertDescription.handshake_failure });
  assert.equal(toHex(encodeTlsPlaintext(rec)), '15030300020228');
  assert.equal(toHex(encodeAlert(decodeAlert(hex('0100')))), '0100');
});

test('rejects_truncated_client_hello with a DecodeError naming path, offset and decode_error', () => {
  const ch = msg('Simple_1RTT_Handshake', 'Record_ClientHello_1').bytes.subarray(4);
  for (const cut of [1, 34, 40, ch.length - 1]) {
    try {
      decodeClientHello(ch.subarray(0, cut));
      assert.unreachable(`cut at ${cut} decoded`);
    } catch (e) {
      assert.instance(e, DecodeError);
      const d = e as DecodeError;
      assert.is(d.alert, 'decode_error');
      assert.ok(d.path.length > 0 && d.offset >= 0 && d.offset <= cut, `${d.path} @${d.offset}`);
    }
  }
});

test('rejects_client_hello_with_legacy_version_below_0x0303 (protocol_version) and a session id over 32 bytes', () => {
  const ch = Uint8Array.from(msg('Simple_1RTT_Handshake', 'Record_ClientHello_1').bytes.subarray(4));
  const newer = Uint8Array.from(ch); newer[1] = 0x04;
  assert.is(decodeClientHello(newer).legacy_version, 0x0304);
  const badVersion = Uint8Array.from(ch); badVersion[1] = 0x01;
  try { decodeClientHello(badVersion); assert.unreachable(); } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).alert, 'protocol_version');
    assert.is((e as DecodeError).offset, 0);
    assert.match((e as DecodeError).path, /legacy_version/);
  }
  const longId = Uint8Array.from(ch); longId[34] = 33;
  try { decodeClientHello(longId); assert.unreachable(); } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).alert, 'decode_error'); // legacy_session_id<0..32>: a length out of range (RFC 8446 §6)
    assert.match((e as DecodeError).path, /legacy_session_id/);
  }
});

test('rejects_handshake_with_trailing_bytes', () => {
  const m = msg('Simple_1RTT_Handshake', 'Message_Server_Finished').bytes;
  const longer = new Uint8Array(m.length + 1);
  longer.set(m);
  try { decodeHandshake(longer); assert.unreachable(); } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).alert, 'decode_error');
  }
  const h: Handshake = decodeHandshake(m);
  assert.is(h.msg_type, HandshakeType.finished);
});

test.run();
