// Bad input: each case gets the RFC 8446 §6 alert, a typed error naming what was wrong, one alert
// record in the output, and a connection that stays in ERROR (later calls fail with the same error).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  ProtosmithError, TlsAlertReceivedError, TlsClient, TlsPeerError, TlsServer, type TlsEvent,
} from '../../runtime/tls/index.ts';
import { clientConfig, connect, ofType, pump, serverConfig, text } from './harness.ts';

const record = (type: number, body: Uint8Array | number[], version = 0x0303): Uint8Array => {
  const b = body instanceof Uint8Array ? body : Uint8Array.from(body);
  return Uint8Array.from([type, version >> 8, version & 0xff, b.length >> 8, b.length & 0xff, ...b]);
};
const handshake = (type: number, body: Uint8Array | number[]): Uint8Array => {
  const b = body instanceof Uint8Array ? body : Uint8Array.from(body);
  return Uint8Array.from([type, b.length >> 16, (b.length >> 8) & 0xff, b.length & 0xff, ...b]);
};

async function startedClient(extra = {}): Promise<TlsClient> {
  const c = new TlsClient(clientConfig(extra));
  await c.start();
  c.takeOutput();
  return c;
}

/** Feeds bytes, expects a fatal error with the alert; checks the one-alert-record and stays-failed rules. */
async function expectFatal(conn: TlsClient | TlsServer, bytes: Uint8Array, alert: string, code?: string, alertSent = true): Promise<ProtosmithError> {
  const ev = await conn.receive(bytes);
  const errs = ofType(ev, 'error');
  assert.is(errs.length, 1, `one error event, got ${JSON.stringify(ev.map((e) => e.type))}`);
  const err = errs[0]!.error;
  assert.instance(err, ProtosmithError);
  assert.is(err.alert, alert, err.message);
  if (code) assert.is(err.code, code, err.message);
  assert.is(conn.state, 'ERROR');
  const out = conn.takeOutput();
  if (alertSent) {
    // exactly one alert record: plaintext (5 + 2 bytes) or protected (5 + 2 + 1 + 16 bytes)
    assert.ok(out.length === 7 || out.length === 24, `one alert record, got ${out.length} bytes`);
    if (out.length === 7) assert.equal(Array.from(out), [21, 3, 3, 0, 2, 2, AlertDescriptionOf(alert)]);
  } else {
    assert.is(out.length, 0, 'no alert answers a received alert');
  }
  // the connection stays failed, with the same error
  let again: unknown;
  try { await conn.receive(text('more')); } catch (e) { again = e; }
  assert.is(again, err);
  let w: unknown;
  try { await conn.write(text('x')); } catch (e) { w = e; }
  assert.is(w, err);
  return err;
}

const ALERTS: Record<string, number> = { unexpected_message: 10, bad_record_mac: 20, record_overflow: 22, handshake_failure: 40, illegal_parameter: 47, decode_error: 50, decrypt_error: 51, protocol_version: 70, missing_extension: 109 };
function AlertDescriptionOf(name: string): number { return ALERTS[name] ?? -1; }

/** A client that has read the server's plaintext ServerHello record (state WAIT_ENCRYPTED_EXTENSIONS), and that record. */
async function clientAfterServerHello(): Promise<{ c: TlsClient; serverHello: Uint8Array }> {
  const c = new TlsClient(clientConfig());
  const s = new TlsServer(serverConfig());
  await c.start();
  await s.receive(c.takeOutput());
  const flight = s.takeOutput();
  const serverHello = flight.slice(0, 5 + ((flight[3]! << 8) | flight[4]!));
  return { c, serverHello };
}

test('a_protected_record_where_the_table_reads_plaintext_gets_the_tables_read_keys_alert', async () => {
  const c = await startedClient();
  const err = await expectFatal(c, record(23, new Uint8Array(40).fill(7)), 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
  assert.match(err.message, /where the table reads plaintext records/);
});

test('an_unprotected_handshake_record_after_encryption_started_gets_the_tables_read_keys_alert', async () => {
  const { c, serverHello } = await clientAfterServerHello();
  await c.receive(serverHello);
  assert.is(c.state, 'WAIT_ENCRYPTED_EXTENSIONS');
  c.takeOutput(); // the compat CCS, queued on the ServerHello edge
  const err = await expectFatal(c, record(22, handshake(8, [0, 0])), 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
  assert.match(err.message, /unprotected handshake record .* where the table reads handshake records/);
});

test('an_unprotected_alert_after_encryption_started_is_refused_not_obeyed', async () => {
  const { c, serverHello } = await clientAfterServerHello();
  await c.receive(serverHello);
  c.takeOutput();
  const err = await expectFatal(c, record(21, [1, 0]), 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
  assert.match(err.message, /unprotected alert record/);
});

test('a_handshake_message_straddling_a_change_of_read_keys_is_unexpected_message', async () => {
  // ServerHello and the start of EncryptedExtensions in one plaintext record: the ServerHello edge installs
  // handshake read keys (readKeys.changes), so the rest of the record was read under the wrong keys
  const { c, serverHello } = await clientAfterServerHello();
  const both = record(22, Uint8Array.from([...serverHello.subarray(5), ...handshake(8, [0, 0])]));
  const err = await expectFatal(c, both, 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
  assert.match(err.message, /straddles the change of read keys on ServerHello/);
});

test('rejects_record_longer_than_2^14+256_with_record_overflow', async () => {
  const c = await startedClient();
  const hdr = Uint8Array.from([22, 3, 3, 0x41, 0x01]); // 16641 = 2^14 + 257
  await expectFatal(c, hdr, 'record_overflow', 'TLS_RECORD_OVERFLOW');
});

test('rejects_plaintext_record_longer_than_2^14_with_record_overflow', async () => {
  const c = await startedClient();
  await expectFatal(c, record(22, new Uint8Array(16385)), 'record_overflow', 'TLS_RECORD_OVERFLOW');
});

test('rejects_oversized_plaintext_record_from_its_header_alone', async () => {
  const s = new TlsServer(serverConfig());
  await expectFatal(s, Uint8Array.from([22, 3, 3, 0x40, 0x01]), 'record_overflow', 'TLS_RECORD_OVERFLOW');
});

test('rejects_unknown_content_type_garbage_with_unexpected_message', async () => {
  const s = new TlsServer(serverConfig());
  await expectFatal(s, text('GET / HTTP/1.1\r\n\r\n'), 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
});

test('rejects_a_truncated_client_hello_with_decode_error', async () => {
  const s = new TlsServer(serverConfig());
  await expectFatal(s, record(22, handshake(1, [3, 3, 1, 2, 3])), 'decode_error', 'TLS_DECODE_ERROR');
});

test('rejects_client_hello_without_tls13_with_protocol_version', async () => {
  // a TLS 1.2-style ClientHello: supported_groups but no supported_versions
  const body = [3, 3, ...new Array(32).fill(1), 0, 0, 2, 0x13, 0x01, 1, 0, 0, 8, 0, 10, 0, 4, 0, 2, 0, 0x1d];
  const s = new TlsServer(serverConfig());
  await expectFatal(s, record(22, handshake(1, body)), 'protocol_version', 'TLS_PROTOCOL_VERSION');
});

test('rejects_client_hello_without_any_extensions_with_protocol_version_not_decode_error', async () => {
  // a TLS 1.2 ClientHello may omit the extensions block entirely (RFC 5246 §7.4.1.2); it still offers
  // no TLS 1.3, so the answer is protocol_version (RFC 8446 §4.2.1), not a decoding failure
  const body = [3, 3, ...new Array(32).fill(1), 0, 0, 2, 0xc0, 0x2f, 1, 0];
  const s = new TlsServer(serverConfig());
  const err = await expectFatal(s, record(22, handshake(1, body)), 'protocol_version', 'TLS_PROTOCOL_VERSION');
  assert.match(err.message, /no extensions/);
});

test('rejects_handshake_message_over_the_configured_maximum_before_buffering_it', async () => {
  const s = new TlsServer(serverConfig('p256', { maxHandshakeMessageSize: 1024 }));
  // announces 1 MiB; only the 4-byte header has arrived
  await expectFatal(s, record(22, [1, 0x10, 0, 0]), 'illegal_parameter', 'TLS_MESSAGE_TOO_LARGE');
});

test('out_of_order_finished_is_rejected_by_the_table_with_unexpected_message', async () => {
  const c = await startedClient();
  const err = await expectFatal(c, record(22, handshake(20, new Uint8Array(32))), 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
  assert.match(err.message, /Finished in state WAIT_SERVER_HELLO/);
});

test('second_hello_retry_request_is_rejected_with_unexpected_message', async () => {
  const c = new TlsClient(clientConfig({ groups: [0x001d, 0x0018] }));
  const s = new TlsServer(serverConfig('p256', { groups: [0x0018] }));
  await c.start();
  await s.receive(c.takeOutput());
  const hrr = s.takeOutput();
  await c.receive(hrr);
  c.takeOutput();
  const firstRecord = hrr.subarray(0, 5 + ((hrr[3]! << 8) | hrr[4]!));
  await expectFatal(c, firstRecord, 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
});

test('change_cipher_spec_after_finished_is_rejected', async () => {
  const p = await connect(clientConfig(), serverConfig());
  const err = await expectFatal(p.client, record(20, [1]), 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
  assert.match(err.message, /ChangeCipherSpec in state CONNECTED/);
});

test('change_cipher_spec_with_a_wrong_value_is_rejected', async () => {
  const c = await startedClient();
  await expectFatal(c, record(20, [2]), 'unexpected_message');
});

test('application_data_before_keys_is_rejected', async () => {
  const c = await startedClient();
  await expectFatal(c, record(23, text('early app data')), 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
  const s = new TlsServer(serverConfig());
  await expectFatal(s, record(23, text('hello?')), 'unexpected_message');
});

test('tampered_protected_record_fails_with_bad_record_mac', async () => {
  const p = await connect(clientConfig(), serverConfig());
  await p.server.write(text('secret'));
  const out = p.server.takeOutput();
  out[out.length - 1]! ^= 1;
  await expectFatal(p.client, out, 'bad_record_mac', 'TLS_BAD_RECORD_MAC');
});

test('tampered_server_finished_fails_with_decrypt_error_or_bad_record_mac', async () => {
  // flip a bit inside the encrypted flight: authentication fails before Finished is even read
  const c = new TlsClient(clientConfig());
  const s = new TlsServer(serverConfig());
  await c.start();
  await s.receive(c.takeOutput());
  const flight = s.takeOutput();
  flight[flight.length - 20]! ^= 0x80;
  await expectFatal(c, flight, 'bad_record_mac');
});

test('malformed_alert_record_is_a_decode_error', async () => {
  const c = await startedClient();
  await expectFatal(c, record(21, [2, 40, 0]), 'decode_error', 'TLS_DECODE_ERROR');
});

test('a_fatal_alert_from_the_peer_ends_the_connection_without_answering', async () => {
  const c = await startedClient();
  const ev = await c.receive(record(21, [2, 40]));
  assert.equal(ev.map((e) => e.type), ['alert', 'error']);
  const err = ofType(ev, 'error')[0]!.error;
  assert.instance(err, TlsAlertReceivedError);
  assert.is((err as TlsAlertReceivedError).description, 40);
  assert.is(c.takeOutput().length, 0);
  assert.is(c.state, 'ERROR');
});

test('server_certificate_for_another_host_is_refused', async () => {
  const p = await connect(clientConfig({ serverName: 'example.com' }), serverConfig());
  const err = p.client.error;
  assert.ok(err, 'client failed');
  assert.is(err!.blame, 'peer');
  assert.match(err!.code, /HOSTNAME|NAME/);
});

test('untrusted_server_certificate_is_refused_with_a_certificate_alert', async () => {
  const { pki } = await import('./harness.ts');
  const p = await connect(clientConfig({ trustAnchors: [pki.otherRoot.certPem] }), serverConfig());
  assert.is(p.client.state, 'ERROR');
  assert.is(p.client.error!.alert, 'unknown_ca');
  // the alert went out under the client's handshake keys, so the server could read it
  assert.instance(p.server.error, TlsAlertReceivedError);
  assert.is((p.server.error as TlsAlertReceivedError).description, 48);
});

test('empty_server_certificate_is_rejected_by_the_table_with_decode_error', async () => {
  // A misbehaving server: the same engine with its chain emptied behind the config checks.
  const c = new TlsClient(clientConfig());
  const s = new TlsServer(serverConfig());
  Object.defineProperty(s, 'chain', { value: [] }); // shadows the getter that reads the checked config
  await c.start();
  await s.receive(c.takeOutput());
  const err = await expectFatal(c, s.takeOutput(), 'decode_error', 'TLS_DECODE_ERROR');
  assert.match(err.message, /Certificate in state WAIT_CERT_CR/);
});

test('garbage_never_throws_anything_but_protosmith_errors_and_never_hangs', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.boolean(), async (bytes, asServer) => {
    const conn = asServer ? new TlsServer(serverConfig()) : await startedClient();
    let events: TlsEvent[] = [];
    try {
      events = await conn.receive(bytes);
    } catch (e) {
      assert.unreachable(`receive threw ${String(e)}`);
    }
    const errs = ofType(events, 'error');
    if (errs.length > 0) {
      assert.instance(errs[0]!.error, ProtosmithError);
      assert.ok(errs[0]!.error.alert !== undefined || errs[0]!.error instanceof TlsAlertReceivedError);
      assert.is(conn.state, 'ERROR');
    }
  }), { numRuns: 300 });
});

test('mutated_client_hello_gets_an_alert_or_a_handshake_never_a_crash', async () => {
  const c = new TlsClient(clientConfig());
  await c.start();
  const ch = c.takeOutput();
  await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: ch.length - 1 }), fc.integer({ min: 1, max: 255 }), async (pos, x) => {
    const m = ch.slice();
    m[pos]! ^= x;
    const s = new TlsServer(serverConfig());
    const ev = await s.receive(m);
    const err = ofType(ev, 'error')[0]?.error;
    if (err) {
      assert.instance(err, ProtosmithError);
      assert.ok(err.alert, 'an alert is named');
    } else {
      assert.ok(['START', 'WAIT_FINISHED', 'WAIT_SECOND_CLIENT_HELLO'].includes(s.state) || s.takeOutput().length >= 0);
    }
  }), { numRuns: 200 });
});

test('received_bytes_are_bounded_by_max_buffered_bytes', async () => {
  const s = new TlsServer(serverConfig());
  // a full-size plaintext record, its body dribbling in: nothing is decided before it is complete
  const big = new Uint8Array(5 + 16384);
  big.set([22, 3, 3, 0x40, 0x00]);
  big.set([1, 0, 0x3f, 0xfc], 5); // ClientHello of 16380 bytes: all zeros after the header
  let ev: TlsEvent[] = [];
  for (let i = 0; i < big.length; i += 4096) ev.push(...await s.receive(big.subarray(i, i + 4096)));
  const err = ofType(ev, 'error')[0]?.error;
  assert.instance(err, TlsPeerError);
  assert.is(err!.alert, 'protocol_version', err!.message); // legacy_version 0x0000
});

test('write_before_the_handshake_is_a_usage_error_that_does_not_kill_the_connection', async () => {
  const c = new TlsClient(clientConfig());
  const s = new TlsServer(serverConfig());
  await c.start();
  let err: unknown;
  try { await c.write(text('too soon')); } catch (e) { err = e; }
  assert.is((err as ProtosmithError).code, 'TLS_NOT_CONNECTED');
  assert.is((err as ProtosmithError).blame, 'local');
  const p = { client: c, server: s, clientEvents: [] as TlsEvent[], serverEvents: [] as TlsEvent[], serverWire: [] as Uint8Array[], clientWire: [] as Uint8Array[] };
  await pump(p);
  assert.is(c.state, 'CONNECTED', 'the refused write left the handshake intact');
});

test('configuration_errors_are_typed_and_blame_the_config', async () => {
  const { crypto } = await import('./harness.ts');
  for (const bad of [
    () => new TlsClient({ crypto, now: Date.now, trustAnchors: [] } as never),
    () => new TlsClient({ crypto, now: Date.now, serverName: 'x' } as never),
    () => new TlsClient({ now: Date.now, serverName: 'x', trustAnchors: ['x'] } as never),
    () => new TlsServer({ crypto, now: Date.now, certificateChain: [] } as never),
    () => new TlsServer({ ...serverConfig(), ticketKey: new Uint8Array(5) }),
    () => new TlsClient({ ...clientConfig(), cipherSuites: [0x009c] }),
  ]) {
    let err: unknown;
    try { bad(); } catch (e) { err = e; }
    assert.instance(err, ProtosmithError);
    assert.is((err as ProtosmithError).blame, 'config', String(err));
  }
});

test.run();
