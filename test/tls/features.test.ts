// Protocol features end to end, in memory: HelloRetryRequest (group and cookie, incl. a stateless
// cookie answered by another server of the fleet), resumption, 0-RTT accepted/rejected/limited,
// client authentication, KeyUpdate, ALPN/SNI, exporters, padding, record_size_limit, close_notify,
// key log; the server's group selection policy and application ticket/cookie codecs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import {
  TlsClient, TlsConfigError, TlsServer, TlsPeerError, type ClientSession, type HelloRetryCookieCodec, type HelloRetryCookieState,
  type ServerSessionState, type SessionTicketCodec,
} from '../../runtime/tls/index.ts';
import { clientConfig, connect, dataOf, ofType, pki, pump, serverConfig, str, text, type Pair } from './harness.ts';

const ticketKey = new Uint8Array(32).fill(0x42);

function wireRecords(chunks: Uint8Array[]): { type: number; length: number }[] {
  const all = Buffer.concat(chunks);
  const out: { type: number; length: number }[] = [];
  for (let i = 0; i + 5 <= all.length;) {
    const length = all.readUInt16BE(i + 3);
    out.push({ type: all[i]!, length });
    i += 5 + length;
  }
  return out;
}

async function ticketFrom(extra: Parameters<typeof serverConfig>[1] = {}): Promise<ClientSession> {
  const p = await connect(clientConfig(), serverConfig('p256', { ticketKey, ...extra }));
  const t = ofType(p.clientEvents, 'newSessionTicket')[0];
  assert.ok(t, 'server issued a ticket');
  return t.ticket;
}

test('hello_retry_request_when_the_client_guessed_the_wrong_group', async () => {
  const p = await connect(clientConfig({ groups: [0x001d, 0x0018] }), serverConfig('p256', { groups: [0x0018] }));
  assert.is(p.client.state, 'CONNECTED');
  assert.is(ofType(p.clientEvents, 'handshakeComplete')[0]?.group, 0x0018);
  // the server sent a HelloRetryRequest: its first flight is a ServerHello with the special random
  const first = p.serverWire[0]!;
  assert.is(Buffer.from(first.subarray(11, 43)).toString('hex'), 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
});

test('hello_retry_request_with_cookie_when_the_server_requires_one', async () => {
  const p = await connect(clientConfig(), serverConfig('p256', { requireCookie: true, cookieKey: new Uint8Array(32).fill(9) }));
  assert.is(p.client.state, 'CONNECTED');
  assert.is(p.server.state, 'CONNECTED');
  assert.is(Buffer.from(p.serverWire[0]!.subarray(11, 43)).toString('hex').slice(0, 8), 'cf21ad74');
});

// Without middlebox compatibility the second ClientHello is the first record server B sees (START).
test('stateless_cookie_lets_a_second_server_of_the_fleet_finish_the_handshake', async () => {
  const cookieKey = new Uint8Array(32).fill(5);
  const client = new TlsClient(clientConfig({ middleboxCompat: false }));
  const a = new TlsServer(serverConfig('p256', { requireCookie: true, cookieKey }));
  const b = new TlsServer(serverConfig('p256', { requireCookie: true, cookieKey }));
  await client.start();
  await a.receive(client.takeOutput());
  await client.receive(a.takeOutput()); // HelloRetryRequest with cookie from server A
  const p: Pair = { client, server: b, clientEvents: [], serverEvents: [], serverWire: [], clientWire: [] };
  await pump(p); // second ClientHello goes to server B, which never saw the first
  assert.is(client.state, 'CONNECTED');
  assert.is(b.state, 'CONNECTED');
});

// With middlebox compatibility (the default) the client sends its change_cipher_spec before the second
// ClientHello: server B, which never saw the first, meets the CCS first (table: START --ChangeCipherSpec-->
// WAIT_RETRIED_CLIENT_HELLO --SecondClientHello--> ...).
test('stateless_cookie_retry_works_when_the_client_sends_the_compat_ccs_first', async () => {
  const cookieKey = new Uint8Array(32).fill(6);
  const client = new TlsClient(clientConfig());
  const a = new TlsServer(serverConfig('p256', { requireCookie: true, cookieKey }));
  const b = new TlsServer(serverConfig('p256', { requireCookie: true, cookieKey }));
  await client.start();
  await a.receive(client.takeOutput());
  assert.is(a.state, 'WAIT_SECOND_CLIENT_HELLO');
  await client.receive(a.takeOutput());
  const second = client.takeOutput();
  assert.is(second[0], 20, 'the retry starts with a change_cipher_spec record');
  const p: Pair = { client, server: b, clientEvents: [], serverEvents: [], serverWire: [], clientWire: [] };
  p.serverEvents.push(...await b.receive(second.subarray(0, 6)));
  assert.is(b.state, 'WAIT_RETRIED_CLIENT_HELLO');
  p.serverEvents.push(...await b.receive(second.subarray(6)));
  await pump(p);
  assert.is(client.state, 'CONNECTED');
  assert.is(b.state, 'CONNECTED');
  await client.write(text('over the retry'));
  await pump(p);
  assert.is(dataOf(p.serverEvents), 'over the retry');
});

test('a_ccs_then_a_first_client_hello_is_rejected_with_unexpected_message', async () => {
  const client = new TlsClient(clientConfig());
  const b = new TlsServer(serverConfig('p256'));
  await client.start();
  await b.receive(Uint8Array.of(20, 3, 3, 0, 1, 1));
  const ev = await b.receive(client.takeOutput());
  const err = ofType(ev, 'error')[0]?.error;
  assert.instance(err, TlsPeerError);
  assert.is(err!.alert, 'unexpected_message');
  assert.match(err!.message, /ClientHello in state WAIT_RETRIED_CLIENT_HELLO/);
});

// A replayed first ClientHello where the second (with the cookie) is due: the table's handshake_failure
// (it used to be an illegal_parameter from hand-written code beside the table).
test('a_replayed_first_client_hello_after_hello_retry_request_gets_handshake_failure_from_the_table', async () => {
  const client = new TlsClient(clientConfig());
  const server = new TlsServer(serverConfig('p256', { requireCookie: true }));
  await client.start();
  const first = client.takeOutput();
  await server.receive(first);
  assert.is(server.state, 'WAIT_SECOND_CLIENT_HELLO');
  const ev = await server.receive(first);
  const err = ofType(ev, 'error')[0]?.error;
  assert.instance(err, TlsPeerError);
  assert.is(err!.alert, 'handshake_failure');
  assert.is(err!.code, 'TLS_HANDSHAKE_FAILURE');
  assert.match(err!.message, /ClientHello in state WAIT_SECOND_CLIENT_HELLO/);
  assert.is(server.state, 'ERROR');
});

test('forged_cookie_is_rejected_with_illegal_parameter', async () => {
  const client = new TlsClient(clientConfig({ middleboxCompat: false }));
  const a = new TlsServer(serverConfig('p256', { requireCookie: true, cookieKey: new Uint8Array(32).fill(1) }));
  const b = new TlsServer(serverConfig('p256', { requireCookie: true, cookieKey: new Uint8Array(32).fill(2) }));
  await client.start();
  await a.receive(client.takeOutput());
  await client.receive(a.takeOutput());
  const ev = await b.receive(client.takeOutput());
  const err = ofType(ev, 'error')[0]?.error;
  assert.instance(err, TlsPeerError);
  assert.is(err!.alert, 'illegal_parameter');
});

test('resumption_with_a_ticket_skips_certificates', async () => {
  const session = await ticketFrom();
  const p = await connect(clientConfig({ session }), serverConfig('p256', { ticketKey }));
  const c = ofType(p.clientEvents, 'handshakeComplete')[0]!;
  const s = ofType(p.serverEvents, 'handshakeComplete')[0]!;
  assert.is(c.resumed, true);
  assert.is(s.resumed, true);
  assert.is(c.peerCertificates.length, 0);
  assert.is(c.signatureScheme, undefined);
});

test('resumed_handshake_issues_no_new_ticket_by_default_as_openssl_does', async () => {
  const session = await ticketFrom({ ticketCount: 2 });
  const p = await connect(clientConfig({ session }), serverConfig('p256', { ticketKey, ticketCount: 2 }));
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]?.resumed, true);
  assert.is(ofType(p.clientEvents, 'newSessionTicket').length, 0, 'ticketCount applies to full handshakes only');
  // the session it resumed with still resumes
  const again = await connect(clientConfig({ session }), serverConfig('p256', { ticketKey }));
  assert.is(ofType(again.serverEvents, 'handshakeComplete')[0]?.resumed, true);
});

test('resumption_ticket_count_gives_a_fresh_ticket_after_each_resumed_handshake', async () => {
  const session = await ticketFrom();
  const p = await connect(clientConfig({ session }), serverConfig('p256', { ticketKey, resumptionTicketCount: 2 }));
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]?.resumed, true);
  const fresh = ofType(p.clientEvents, 'newSessionTicket').map((e) => e.ticket);
  assert.is(fresh.length, 2);
  assert.is.not(Buffer.from(fresh[0]!.ticket).toString('hex'), Buffer.from(session.ticket).toString('hex'));
  const next = await connect(clientConfig({ session: fresh[1]! }), serverConfig('p256', { ticketKey }));
  assert.is(ofType(next.serverEvents, 'handshakeComplete')[0]?.resumed, true);
});

test('resumption_ticket_count_out_of_range_is_a_config_error', () => {
  for (const bad of [-1, 1.5, 65537]) {
    assert.throws(() => new TlsServer(serverConfig('p256', { ticketKey, resumptionTicketCount: bad })), (e: unknown) => e instanceof TlsConfigError && e.code === 'TLS_CONFIG_INVALID' && /resumptionTicketCount/.test(e.message));
  }
});

test('ticket_sealed_by_one_server_is_accepted_by_another_with_the_same_key', async () => {
  const session = await ticketFrom();
  const p = await connect(clientConfig({ session }), serverConfig('ed25519', { ticketKey: ticketKey.slice() }));
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]?.resumed, true);
});

test('ticket_under_another_key_falls_back_to_a_full_handshake', async () => {
  const session = await ticketFrom();
  const p = await connect(clientConfig({ session }), serverConfig('p256', { ticketKey: new Uint8Array(32).fill(1) }));
  assert.is(p.client.state, 'CONNECTED');
  assert.is(ofType(p.clientEvents, 'handshakeComplete')[0]?.resumed, false);
});

test('zero_rtt_data_is_accepted_and_delivered_before_the_handshake_completes', async () => {
  const session = await ticketFrom({ maxEarlyData: 1024 });
  assert.is(session.maxEarlyData, 1024);
  const p = await connect(clientConfig({ session, earlyData: text('GET / early') }), serverConfig('p256', { ticketKey, maxEarlyData: 1024 }));
  const types = p.serverEvents.map((e) => e.type);
  assert.ok(types.indexOf('earlyData') >= 0 && types.indexOf('earlyData') < types.indexOf('handshakeComplete'), `order: ${types.join(',')}`);
  assert.is(str(ofType(p.serverEvents, 'earlyData')[0]!.data), 'GET / early');
  assert.is(ofType(p.clientEvents, 'handshakeComplete')[0]?.earlyDataAccepted, true);
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]?.earlyDataAccepted, true);
});

test('zero_rtt_data_is_rejected_and_skipped_when_the_server_disallows_it', async () => {
  const session = await ticketFrom({ maxEarlyData: 1024 });
  const p = await connect(clientConfig({ session, earlyData: text('replayable') }), serverConfig('p256', { ticketKey, maxEarlyData: 0 }));
  assert.is(p.server.state, 'CONNECTED');
  assert.is(ofType(p.serverEvents, 'earlyData').length, 0);
  assert.is(ofType(p.clientEvents, 'handshakeComplete')[0]?.earlyDataAccepted, false);
  assert.is(ofType(p.clientEvents, 'handshakeComplete')[0]?.resumed, true);
});

test('zero_rtt_is_rejected_after_hello_retry_request', async () => {
  const session = await ticketFrom({ maxEarlyData: 1024 });
  const p = await connect(clientConfig({ session, earlyData: text('x') }), serverConfig('p256', { ticketKey, maxEarlyData: 1024, requireCookie: true }));
  assert.is(p.server.state, 'CONNECTED');
  assert.is(ofType(p.serverEvents, 'earlyData').length, 0);
  assert.is(ofType(p.clientEvents, 'handshakeComplete')[0]?.earlyDataAccepted, false);
});

test('zero_rtt_over_max_early_data_size_is_refused_locally', async () => {
  const session = await ticketFrom({ maxEarlyData: 16 });
  const client = new TlsClient(clientConfig({ session, earlyData: new Uint8Array(17) }));
  let err: unknown;
  try { await client.start(); } catch (e) { err = e; }
  assert.ok(err && (err as { code?: string }).code === 'TLS_BAD_ARGUMENT', String(err));
});

test('server_enforces_max_early_data_size_with_unexpected_message', async () => {
  const session = await ticketFrom({ maxEarlyData: 4096 });
  // The ticket allows 4096 bytes; this server instance only accepts 10: it must abort, not buffer.
  const p = await connect(clientConfig({ session, earlyData: new Uint8Array(2000) }), serverConfig('p256', { ticketKey, maxEarlyData: 4096 }));
  assert.is(p.server.state, 'CONNECTED'); // within limit: fine
  const q = await connect(clientConfig({ session, earlyData: new Uint8Array(2000) }), serverConfig('p256', { ticketKey, maxEarlyData: 10 }));
  const err = ofType(q.serverEvents, 'error')[0]?.error;
  assert.ok(err, 'server failed');
  assert.is(err!.code, 'TLS_EARLY_DATA_LIMIT');
  assert.is(err!.alert, 'unexpected_message');
});

const clientCert = { certificateChain: [pki.clients.p256.chainPem], signingKey: nodeSigningKey(pki.clients.p256.keyPem) };

test('client_certificate_is_verified_when_required', async () => {
  const p = await connect(clientConfig(clientCert), serverConfig('p256', { clientAuth: 'require', trustAnchors: [pki.root.certPem] }));
  assert.is(p.server.state, 'CONNECTED');
  assert.ok(ofType(p.serverEvents, 'handshakeComplete')[0]!.peerCertificates.length >= 1);
});

test('empty_client_certificate_is_accepted_when_only_requested', async () => {
  const p = await connect(clientConfig(), serverConfig('p256', { clientAuth: 'request', trustAnchors: [pki.root.certPem] }));
  assert.is(p.server.state, 'CONNECTED');
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]!.peerCertificates.length, 0);
});

test('empty_client_certificate_is_refused_with_certificate_required_when_required', async () => {
  const p = await connect(clientConfig(), serverConfig('p256', { clientAuth: 'require', trustAnchors: [pki.root.certPem] }));
  const err = ofType(p.serverEvents, 'error')[0]?.error;
  assert.instance(err, TlsPeerError);
  assert.is(err!.code, 'TLS_CERTIFICATE_REQUIRED');
  assert.is(err!.alert, 'certificate_required');
  assert.is(ofType(p.clientEvents, 'alert')[0]?.description, 116);
});

test('server_signature_schemes_limit_what_a_client_may_sign_with', async () => {
  // the client's only key is P-256; a server that accepts only Ed25519 gets an empty Certificate
  const p = await connect(clientConfig(clientCert), serverConfig('p256', { clientAuth: 'request', trustAnchors: [pki.root.certPem], signatureSchemes: [0x0807] }));
  assert.is(p.server.state, 'CONNECTED');
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]!.peerCertificates.length, 0);
});

test('client_certificate_from_an_unknown_ca_is_refused', async () => {
  const other = { certificateChain: [pki.untrustedLeaf.chainPem], signingKey: nodeSigningKey(pki.untrustedLeaf.keyPem) };
  const p = await connect(clientConfig(other), serverConfig('p256', { clientAuth: 'require', trustAnchors: [pki.root.certPem] }));
  assert.is(p.server.state, 'ERROR');
  assert.is(p.server.error?.blame, 'peer');
});

test('key_update_both_ways_with_update_requested_honoured', async () => {
  const p = await connect(clientConfig(), serverConfig());
  p.clientEvents.push(...await p.client.requestKeyUpdate(true));
  await pump(p);
  assert.equal(ofType(p.serverEvents, 'keyUpdate').map((e) => e.direction), ['read', 'write'], 'server updated both directions');
  assert.equal(ofType(p.clientEvents, 'keyUpdate').map((e) => e.direction), ['write', 'read']);
  p.serverEvents.push(...await p.server.requestKeyUpdate(false));
  await pump(p);
  await p.client.write(text('after'));
  await p.server.write(text('updates'));
  await pump(p);
  assert.is(dataOf(p.serverEvents), 'after');
  assert.is(dataOf(p.clientEvents), 'updates');
  assert.is(ofType(p.clientEvents, 'keyUpdate').length, 3);
});

test('key_update_before_the_handshake_is_a_usage_error', async () => {
  const client = new TlsClient(clientConfig());
  await client.start();
  let err: unknown;
  try { await client.requestKeyUpdate(false); } catch (e) { err = e; }
  assert.is((err as { code?: string }).code, 'TLS_NOT_CONNECTED');
  assert.is(client.state, 'WAIT_SERVER_HELLO', 'a refused local request does not kill the connection');
});

test('alpn_and_sni_are_negotiated', async () => {
  const p = await connect(clientConfig({ alpn: ['h2', 'http/1.1'] }), serverConfig('p256', { alpn: ['http/1.1', 'h2'], serverNames: ['localhost'] }));
  const c = ofType(p.clientEvents, 'handshakeComplete')[0]!;
  const s = ofType(p.serverEvents, 'handshakeComplete')[0]!;
  assert.is(c.alpn, 'http/1.1');
  assert.is(s.alpn, 'http/1.1');
  assert.is(s.serverName, 'localhost');
});

test('no_common_alpn_protocol_fails_with_no_application_protocol', async () => {
  const p = await connect(clientConfig({ alpn: ['h2'] }), serverConfig('p256', { alpn: ['http/1.1'] }));
  assert.is(p.server.error?.alert, 'no_application_protocol');
  assert.is(ofType(p.clientEvents, 'alert')[0]?.description, 120);
});

test('unknown_server_name_fails_with_unrecognized_name', async () => {
  const p = await connect(clientConfig(), serverConfig('p256', { serverNames: ['example.org'] }));
  assert.is(p.server.error?.alert, 'unrecognized_name');
});

test('exporters_agree_on_both_sides_and_differ_by_label_and_context', async () => {
  const p = await connect(clientConfig(), serverConfig());
  const a = await p.client.exportKeyingMaterial('EXPORTER-test', text('ctx'), 48);
  const b = await p.server.exportKeyingMaterial('EXPORTER-test', text('ctx'), 48);
  const c = await p.server.exportKeyingMaterial('EXPORTER-test', text('ctx2'), 48);
  const d = await p.server.exportKeyingMaterial('EXPORTER-other', text('ctx'), 48);
  assert.equal(a, b);
  assert.is(a.length, 48);
  assert.not.equal(b, c);
  assert.not.equal(b, d);
});

test('record_padding_pads_every_protected_record_to_the_block', async () => {
  const p = await connect(clientConfig({ recordPadding: 64 }), serverConfig());
  await p.client.write(text('x'));
  await p.client.write(new Uint8Array(300));
  await pump(p);
  const protectedRecords = wireRecords(p.clientWire).filter((r) => r.type === 23);
  assert.ok(protectedRecords.length >= 3);
  for (const r of protectedRecords) assert.is((r.length - 16) % 64, 0, `record of ${r.length} bytes is padded to 64`);
  assert.is(dataOf(p.serverEvents).length, 301);
});

test('record_size_limit_bounds_the_records_the_peer_sends', async () => {
  const p = await connect(clientConfig({ recordSizeLimit: 100 }), serverConfig('p256', { recordSizeLimit: 2000 }));
  await p.server.write(new Uint8Array(1000));
  await p.client.write(new Uint8Array(5000));
  await pump(p);
  const fromServer = wireRecords(p.serverWire).filter((r) => r.type === 23).slice(-11);
  for (const r of fromServer) assert.ok(r.length - 16 <= 100, `server record inner plaintext ${r.length - 16} <= 100`);
  const fromClient = wireRecords(p.clientWire).filter((r) => r.type === 23);
  assert.ok(fromClient.some((r) => r.length - 16 > 1000), 'client records up to the server limit');
  assert.is(dataOf(p.clientEvents).length, 1000);
  assert.is(dataOf(p.serverEvents).length, 5000);
});

// Half-close (RFC 8446 §6.1): the tables' LOCAL_CLOSED / PEER_CLOSED states.
test('client_close_half_closes_and_the_server_still_replies_until_it_closes', async () => {
  const p = await connect(clientConfig(), serverConfig());
  p.clientEvents.length = 0;
  p.serverEvents.length = 0;
  p.clientEvents.push(...await p.client.write(text('ping')));
  p.clientEvents.push(...await p.client.close());
  await pump(p);
  assert.is(p.client.state, 'LOCAL_CLOSED');
  assert.is(p.server.state, 'PEER_CLOSED');
  assert.is(dataOf(p.serverEvents), 'ping');
  assert.is(ofType(p.serverEvents, 'peerClosed').length, 1);
  assert.is(ofType(p.serverEvents, 'closed').length, 0);
  let err: unknown;
  try { await p.client.write(text('late')); } catch (e) { err = e; }
  assert.is((err as { code?: string }).code, 'TLS_CLOSED');
  // the server answers after the client's close_notify, and the client reads it
  p.serverEvents.push(...await p.server.write(text('pong')));
  await pump(p);
  assert.is(dataOf(p.clientEvents), 'pong');
  p.serverEvents.push(...await p.server.close());
  await pump(p);
  assert.is(p.client.state, 'CLOSED');
  assert.is(p.server.state, 'CLOSED');
  assert.is(ofType(p.clientEvents, 'closed').length, 1);
  assert.is(ofType(p.serverEvents, 'closed').length, 1);
  assert.is(p.client.error, undefined);
  assert.is(p.server.error, undefined);
});

test('server_close_half_closes_and_keeps_reading_data_and_key_updates_without_answering', async () => {
  const p = await connect(clientConfig(), serverConfig());
  p.serverEvents.length = 0;
  await p.server.close();
  await pump(p);
  assert.is(p.server.state, 'LOCAL_CLOSED');
  assert.is(p.client.state, 'PEER_CLOSED');
  // the client may still write and update its keys; the server reads both but sends nothing back
  await p.client.requestKeyUpdate(true);
  await p.client.write(text('after'));
  await pump(p);
  assert.is(dataOf(p.serverEvents), 'after');
  assert.equal(ofType(p.serverEvents, 'keyUpdate').map((e) => e.direction), ['read']);
  assert.is(p.server.takeOutput().length, 0);
  await p.client.close();
  await pump(p);
  assert.is(p.client.state, 'CLOSED');
  assert.is(p.server.state, 'CLOSED');
});

test('records_after_the_peers_close_notify_are_ignored', async () => {
  const p = await connect(clientConfig(), serverConfig());
  await p.client.close();
  // a misbehaving client: one more correctly protected record after its close_notify
  const cipher = (p.client as unknown as { writeCipher: { seal(type: number, data: Uint8Array, pad: number): Promise<Uint8Array> } }).writeCipher;
  const late = await cipher.seal(23, text('late'), 0);
  p.serverEvents.length = 0;
  p.serverEvents.push(...await p.server.receive(p.client.takeOutput()));
  p.serverEvents.push(...await p.server.receive(late));
  assert.is(p.server.state, 'PEER_CLOSED');
  assert.is(dataOf(p.serverEvents), '');
  assert.is(p.server.error, undefined);
});

test('a_second_close_stops_reading_without_waiting_for_the_peer', async () => {
  const p = await connect(clientConfig(), serverConfig());
  await p.client.close();
  assert.is(p.client.state, 'LOCAL_CLOSED');
  const ev = await p.client.close();
  assert.is(p.client.state, 'CLOSED');
  assert.is(ofType(ev, 'closed').length, 1);
  assert.is(p.client.takeOutput().length > 0, true, 'the first close_notify is still queued');
});

test('key_log_lines_are_emitted_in_nss_format_only_when_asked', async () => {
  const p = await connect(clientConfig({ keyLog: true }), serverConfig());
  const lines = ofType(p.clientEvents, 'keyLog').map((e) => e.line);
  const labels = lines.map((l) => l.split(' ')[0]);
  assert.equal(labels, ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET']);
  for (const l of lines) assert.match(l, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}$/);
  assert.is(ofType(p.serverEvents, 'keyLog').length, 0);
});

test('middlebox_compatibility_sends_a_session_id_and_one_ccs_each_way', async () => {
  const p = await connect(clientConfig(), serverConfig());
  const ccsFromClient = wireRecords(p.clientWire).filter((r) => r.type === 20).length;
  const ccsFromServer = wireRecords(p.serverWire).filter((r) => r.type === 20).length;
  assert.is(ccsFromClient, 1);
  assert.is(ccsFromServer, 1);
  const ch = p.clientWire[0]!;
  assert.is(ch[5 + 4 + 2 + 32], 32, 'legacy_session_id of 32 bytes');
  const q = await connect(clientConfig({ middleboxCompat: false }), serverConfig('p256', { middleboxCompat: false }));
  assert.is(wireRecords(q.clientWire).filter((r) => r.type === 20).length, 0);
  assert.is(q.client.state, 'CONNECTED');
});

test('one_compat_ccs_each_way_on_every_path_though_the_engine_keeps_no_ccs_sent_flag', async () => {
  // The tables name sendChangeCipherSpec at most once on every path (prove: <role>_change_cipher_spec_sent_at_most_once):
  // with HelloRetryRequest, with 0-RTT offered (accepted, rejected, and cut short by a HelloRetryRequest).
  const session = await ticketFrom({ maxEarlyData: 1024 });
  const paths: Array<[string, Pair]> = [
    ['full', await connect(clientConfig(), serverConfig())],
    ['hello retry', await connect(clientConfig({ groups: [0x001d, 0x0017] }), serverConfig('p256', { groups: [0x0017] }))],
    ['0-RTT accepted', await connect(clientConfig({ session, earlyData: text('a') }), serverConfig('p256', { ticketKey, maxEarlyData: 1024 }))],
    ['0-RTT rejected', await connect(clientConfig({ session, earlyData: text('r') }), serverConfig('p256', { ticketKey, maxEarlyData: 0 }))],
    ['0-RTT and hello retry', await connect(clientConfig({ session, earlyData: text('h') }), serverConfig('p256', { ticketKey, maxEarlyData: 1024, requireCookie: true }))],
  ];
  for (const [name, p] of paths) {
    assert.is(p.client.state, 'CONNECTED', name);
    assert.is(p.server.state, 'CONNECTED', name);
    assert.is(wireRecords(p.clientWire).filter((r) => r.type === 20).length, 1, `${name}: CCS records from the client`);
    assert.is(wireRecords(p.serverWire).filter((r) => r.type === 20).length, 1, `${name}: CCS records from the server`);
  }
  // the client's CCS comes right before its second flight: the last plaintext record before its first protected one
  // (or before the second ClientHello)
  const full = wireRecords(paths[0]![1].clientWire).map((r) => r.type);
  assert.equal(full.slice(0, 3), [22, 20, 23], `client records: ${full.join(',')}`);
});

test('server_sends_half_rtt_data_before_the_client_finishes', async () => {
  const client = new TlsClient(clientConfig());
  const server = new TlsServer(serverConfig());
  await client.start();
  await server.receive(client.takeOutput());
  await server.write(text('0.5-rtt'));
  const ev = await client.receive(server.takeOutput());
  assert.is(dataOf(ev), '0.5-rtt');
});

// ---- group selection policy (config.groupSelection)

const HRR_RANDOM_PREFIX = 'cf21ad74';
const sentRetry = (p: Pair): boolean => Buffer.from(p.serverWire[0]!.subarray(11, 15)).toString('hex') === HRR_RANDOM_PREFIX;

test('default_group_selection_takes_an_offered_share_without_a_retry', async () => {
  const p = await connect(clientConfig({ groups: [0x001d, 0x0017] }), serverConfig('p256', { groups: [0x0017, 0x001d] }));
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]?.group, 0x001d);
  assert.not.ok(sentRetry(p), 'no HelloRetryRequest');
});

test('server_preference_retries_for_the_servers_first_group_although_the_client_sent_another_share', async () => {
  const p = await connect(clientConfig({ groups: [0x001d, 0x0017] }), serverConfig('p256', { groups: [0x0017, 0x001d], groupSelection: 'server-preference' }));
  assert.is(p.client.state, 'CONNECTED');
  assert.is(ofType(p.clientEvents, 'handshakeComplete')[0]?.group, 0x0017);
  assert.ok(sentRetry(p), 'HelloRetryRequest asked for secp256r1');
});

test('server_preference_uses_the_clients_share_when_it_is_already_the_servers_choice', async () => {
  const p = await connect(clientConfig({ groups: [0x0017, 0x001d] }), serverConfig('p256', { groups: [0x0017, 0x001d], groupSelection: 'server-preference' }));
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]?.group, 0x0017);
  assert.not.ok(sentRetry(p), 'no HelloRetryRequest');
});

test('server_preference_skips_groups_the_client_does_not_support', async () => {
  const p = await connect(clientConfig({ groups: [0x001d, 0x0017] }), serverConfig('p256', { groups: [0x0018, 0x0017, 0x001d], groupSelection: 'server-preference' }));
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]?.group, 0x0017);
  assert.ok(sentRetry(p));
});

test('unknown_group_selection_is_a_config_error', () => {
  assert.throws(() => new TlsServer(serverConfig('p256', { groupSelection: 'client-preference' as never })), (e: unknown) => e instanceof TlsConfigError && e.code === 'TLS_CONFIG_INVALID');
});

// ---- application ticket codec (config.ticketCodec)

/** A server-side session cache: the ticket is a random lookup key, the state stays on the server. */
function sessionCache(): SessionTicketCodec & { store: Map<string, ServerSessionState> } {
  const store = new Map<string, ServerSessionState>();
  return {
    store,
    seal(state) { const id = crypto.getRandomValues(new Uint8Array(16)); store.set(Buffer.from(id).toString('hex'), state); return id; },
    open(ticket) { return store.get(Buffer.from(ticket).toString('hex')); },
  };
}

test('ticket_codec_session_cache_resumes_with_the_ticket_as_a_lookup_key', async () => {
  const cache = sessionCache();
  const first = await connect(clientConfig({ alpn: ['h2'] }), serverConfig('p256', { ticketCodec: cache, alpn: ['h2'], ticketCount: 2 }));
  const tickets = ofType(first.clientEvents, 'newSessionTicket');
  assert.is(tickets.length, 2);
  assert.is(cache.store.size, 2);
  const [state] = [...cache.store.values()];
  assert.is(state!.alpn, 'h2');
  assert.is(state!.serverName, 'localhost');
  assert.is(tickets[0]!.ticket.ticket.length, 16, 'the ticket is the codec\'s lookup key');
  assert.is.not(Buffer.from(tickets[0]!.ticket.resumptionSecret).toString('hex'), Buffer.from(tickets[1]!.ticket.resumptionSecret).toString('hex'), 'distinct ticket nonces give distinct PSKs');
  const p = await connect(clientConfig({ session: tickets[1]!.ticket, alpn: ['h2'] }), serverConfig('p256', { ticketCodec: cache, alpn: ['h2'] }));
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]?.resumed, true);
});

test('ticket_codec_cannot_bypass_the_binder_a_wrong_psk_is_decrypt_error', async () => {
  const cache = sessionCache();
  const first = await connect(clientConfig(), serverConfig('p256', { ticketCodec: cache }));
  const session = ofType(first.clientEvents, 'newSessionTicket')[0]!.ticket;
  const lying: SessionTicketCodec = {
    seal: cache.seal,
    open(t) { const s = cache.open(t) as ServerSessionState | undefined; return s && { ...s, psk: s.psk.map((b) => b ^ 1) }; },
  };
  const p = await connect(clientConfig({ session }), serverConfig('p256', { ticketCodec: lying }));
  const err = ofType(p.serverEvents, 'error')[0]?.error;
  assert.is(err?.code, 'TLS_UNKNOWN_PSK');
  assert.is(err?.alert, 'decrypt_error');
});

test('ticket_codec_that_does_not_know_the_ticket_gives_a_full_handshake', async () => {
  const first = await connect(clientConfig(), serverConfig('p256', { ticketCodec: sessionCache() }));
  const session = ofType(first.clientEvents, 'newSessionTicket')[0]!.ticket;
  const p = await connect(clientConfig({ session }), serverConfig('p256', { ticketCodec: sessionCache() }));
  assert.is(p.client.state, 'CONNECTED');
  assert.is(ofType(p.serverEvents, 'handshakeComplete')[0]?.resumed, false);
});

test('ticket_codec_that_throws_fails_the_handshake_as_a_provider_failure', async () => {
  const cache = sessionCache();
  const first = await connect(clientConfig(), serverConfig('p256', { ticketCodec: cache }));
  const session = ofType(first.clientEvents, 'newSessionTicket')[0]!.ticket;
  const broken: SessionTicketCodec = { seal: cache.seal, open() { throw new Error('cache unreachable'); } };
  const p = await connect(clientConfig({ session }), serverConfig('p256', { ticketCodec: broken }));
  const err = ofType(p.serverEvents, 'error')[0]?.error;
  assert.is(err?.code, 'TLS_PROVIDER_FAILURE');
  assert.is(err?.alert, 'internal_error');
});

test('ticket_key_and_ticket_codec_together_are_a_config_error', () => {
  assert.throws(() => new TlsServer(serverConfig('p256', { ticketKey, ticketCodec: sessionCache() })), (e: unknown) => e instanceof TlsConfigError && e.code === 'TLS_CONFIG_INVALID');
  assert.throws(() => new TlsServer(serverConfig('p256', { ticketCodec: { seal: () => new Uint8Array(1) } as never })), (e: unknown) => e instanceof TlsConfigError);
  assert.throws(() => new TlsServer(serverConfig('p256', { ticketCount: 65537, ticketKey })), (e: unknown) => e instanceof TlsConfigError);
});

// ---- application cookie codec (config.cookieCodec)

function cookieStore(): HelloRetryCookieCodec & { sealed: HelloRetryCookieState[] } {
  const store = new Map<string, HelloRetryCookieState>();
  const sealed: HelloRetryCookieState[] = [];
  return {
    sealed,
    seal(state) { sealed.push(state); const id = crypto.getRandomValues(new Uint8Array(8)); store.set(Buffer.from(id).toString('hex'), state); return id; },
    open(cookie) { return store.get(Buffer.from(cookie).toString('hex')); },
  };
}

test('cookie_codec_replaces_the_built_in_cookie_in_a_required_retry', async () => {
  const codec = cookieStore();
  const p = await connect(clientConfig(), serverConfig('p256', { requireCookie: true, cookieCodec: codec }));
  assert.is(p.server.state, 'CONNECTED');
  assert.is(codec.sealed.length, 1);
  assert.is(codec.sealed[0]!.newShare, false, 'the client\'s share was fine; the retry only asked for the cookie');
});

test('cookie_that_the_codec_does_not_open_is_rejected_with_illegal_parameter', async () => {
  const client = new TlsClient(clientConfig({ middleboxCompat: false }));
  const a = new TlsServer(serverConfig('p256', { requireCookie: true, cookieCodec: cookieStore() }));
  const b = new TlsServer(serverConfig('p256', { requireCookie: true, cookieCodec: cookieStore() }));
  await client.start();
  await a.receive(client.takeOutput());
  await client.receive(a.takeOutput());
  const err = ofType(await b.receive(client.takeOutput()), 'error')[0]?.error;
  assert.instance(err, TlsPeerError);
  assert.is(err!.alert, 'illegal_parameter');
});

test('cookie_key_and_cookie_codec_together_are_a_config_error', () => {
  assert.throws(() => new TlsServer(serverConfig('p256', { cookieKey: ticketKey, cookieCodec: cookieStore() })), (e: unknown) => e instanceof TlsConfigError && e.code === 'TLS_CONFIG_INVALID');
});

test.run();
