// The alert each malformed input gets is the one RFC 8446 names (§6: decode_error for a message that
// does not parse or a length out of range, unexpected_message for a forbidden record, protocol_version
// for a peer that does not speak TLS 1.3), and the limits admit every legal message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProtosmithError, TlsClient, TlsServer, type ClientSession } from '../../runtime/tls/index.ts';
import type { Extension } from '../../runtime/tls/messages.ts';
import { clientConfig, connect, ofType, pump, serverConfig, text, type Pair } from './harness.ts';

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const vec8 = (b: number[]): number[] => [b.length, ...b];
const vec16 = (b: number[]): number[] => [...u16(b.length), ...b];
const ext = (type: number, data: number[]): number[] => [...u16(type), ...vec16(data)];
const record = (type: number, body: number[]): Uint8Array => Uint8Array.from([type, 3, 3, ...u16(body.length), ...body]);
const handshake = (type: number, body: number[]): number[] => [type, 0, (body.length >> 8) & 0xff, body.length & 0xff, ...body];

/** Extensions of a minimal TLS 1.3 ClientHello, by type; a test replaces one with malformed bytes. */
function tls13Extensions(): Map<number, number[]> {
  return new Map([
    [43, ext(43, vec8([3, 4]))], // supported_versions: TLS 1.3
    [10, ext(10, vec16([0, 0x1d]))], // supported_groups: x25519
    [13, ext(13, vec16([4, 3]))], // signature_algorithms: ecdsa_secp256r1_sha256
    [51, ext(51, vec16([0, 0x1d, ...vec16(new Array<number>(32).fill(9))]))], // key_share: x25519
  ]);
}
function clientHello(exts: number[] | undefined): Uint8Array {
  const body = [3, 3, ...new Array<number>(32).fill(1), 0, ...vec16([0x13, 0x01]), 1, 0, ...(exts === undefined ? [] : vec16(exts))];
  return record(22, handshake(1, body));
}
function withExtension(type: number, bytes: number[]): Uint8Array {
  const m = tls13Extensions();
  m.set(type, bytes);
  return clientHello([...m.values()].flat());
}

async function fatalOn(conn: TlsClient | TlsServer, bytes: Uint8Array): Promise<ProtosmithError> {
  const ev = await conn.receive(bytes);
  const err = ofType(ev, 'error')[0]?.error;
  assert.ok(err, `expected a fatal error, got events ${JSON.stringify(ev.map((e) => e.type))}`);
  assert.is(conn.state, 'ERROR');
  return err!;
}

function expectAlert(err: ProtosmithError | undefined, alert: string, code?: string): void {
  assert.ok(err, 'the connection failed');
  assert.is(err!.alert, alert, err!.message);
  if (code) assert.is(err!.code, code, err!.message);
}

// ---- Finished (RFC 8446 §4.4.4: verify_data[Hash.length]) ---------------------------------------

type Action = (ctx: unknown, msg: unknown) => unknown;
type Internals = { implementations: { actions: Record<string, Action> }; queueHandshake(type: number, body: Uint8Array, o?: object): Uint8Array };
/** The engine's internals, with its own copy of the (class-wide, frozen) implementations to patch. */
const internals = (x: TlsClient | TlsServer): Internals => {
  const inner = x as unknown as Internals;
  inner.implementations = { ...inner.implementations, actions: { ...inner.implementations.actions } };
  return inner;
};

/** Makes `x` send its Finished with one byte of verify_data missing (correctly encrypted otherwise). */
function shortFinished(x: TlsClient | TlsServer): void {
  const inner = internals(x);
  const send = inner.implementations.actions.sendFinished!;
  inner.implementations.actions.sendFinished = async (ctx, msg) => {
    const queue = inner.queueHandshake;
    inner.queueHandshake = (type, body, o) => queue.call(x, type, type === 20 ? body.subarray(0, body.length - 1) : body, o);
    try { await send(ctx, msg); } finally { inner.queueHandshake = queue; }
  };
}

async function run(client: TlsClient, server: TlsServer): Promise<Pair> {
  const p: Pair = { client, server, clientEvents: [], serverEvents: [], serverWire: [], clientWire: [] };
  p.clientEvents.push(...await client.start());
  await pump(p);
  return p;
}

test('a_server_finished_of_the_wrong_length_is_decode_error_not_decrypt_error', async () => {
  const server = new TlsServer(serverConfig());
  shortFinished(server);
  const p = await run(new TlsClient(clientConfig()), server);
  expectAlert(p.client.error, 'decode_error', 'TLS_DECODE_ERROR');
  assert.match(p.client.error!.message, /31 bytes of verify_data.*exactly 32/);
});

test('a_client_finished_of_the_wrong_length_is_decode_error_not_decrypt_error', async () => {
  const client = new TlsClient(clientConfig());
  shortFinished(client);
  const p = await run(client, new TlsServer(serverConfig()));
  expectAlert(p.server.error, 'decode_error', 'TLS_DECODE_ERROR');
});

test('a_finished_of_the_right_length_but_wrong_value_is_still_decrypt_error', async () => {
  const server = new TlsServer(serverConfig());
  const inner = internals(server);
  const send = inner.implementations.actions.sendFinished!;
  inner.implementations.actions.sendFinished = async (ctx, msg) => {
    const queue = inner.queueHandshake;
    inner.queueHandshake = (type, body, o) => { const b = body.slice(); if (type === 20) b[0]! ^= 1; return queue.call(server, type, b, o); };
    try { await send(ctx, msg); } finally { inner.queueHandshake = queue; }
  };
  const p = await run(new TlsClient(clientConfig()), server);
  expectAlert(p.client.error, 'decrypt_error', 'TLS_BAD_FINISHED');
});

// ---- empty protected Alert (RFC 8446 §5.4) -------------------------------------------------------

test('a_zero_length_protected_alert_record_is_unexpected_message', async () => {
  const p = await connect(clientConfig(), serverConfig());
  assert.ok(p.client.isConnected && p.server.isConnected);
  const cipher = (p.server as unknown as { writeCipher: { seal(type: number, content: Uint8Array, pad: number): Promise<Uint8Array> } }).writeCipher;
  const err = await fatalOn(p.client, await cipher.seal(21, new Uint8Array(0), 0));
  expectAlert(err, 'unexpected_message', 'TLS_UNEXPECTED_MESSAGE');
  assert.match(err.message, /§5\.4/);
});

// ---- vector lengths out of range in ClientHello extensions (RFC 8446 §6: decode_error) ------------

const BAD_VECTORS: [string, number, number[]][] = [
  ['signature_algorithms of length 0', 13, ext(13, vec16([]))],
  ['signature_algorithms of length 1', 13, ext(13, [0, 1, 4])],
  ['an empty supported_groups list', 10, ext(10, vec16([]))],
  ['an empty psk_key_exchange_modes list', 45, ext(45, vec8([]))],
  ['an empty ALPN protocol_name_list', 16, ext(16, vec16([]))],
  ['an empty server_name list', 0, ext(0, vec16([]))],
];
for (const [what, type, bytes] of BAD_VECTORS) {
  test(`a_client_hello_with_${what.replace(/ /g, '_')}_is_decode_error`, async () => {
    const s = new TlsServer(serverConfig());
    const ok = await s.receive(withExtension(type, ext(type, type === 13 ? vec16([4, 3]) : type === 10 ? vec16([0, 0x1d]) : type === 45 ? vec8([1]) : type === 16 ? vec16(vec8([0x68, 0x32])) : vec16([0, ...vec16([0x61])]))));
    assert.is(ofType(ok, 'error').length, 0, 'the same ClientHello with a well-formed extension is accepted');
    const err = await fatalOn(new TlsServer(serverConfig()), withExtension(type, bytes));
    expectAlert(err, 'decode_error', 'TLS_DECODE_ERROR');
  });
}

// ---- TLS 1.2 ClientHello (RFC 8446 App. D.2: protocol_version) ------------------------------------

test('a_tls12_client_hello_with_a_short_extensions_block_is_protocol_version', async () => {
  // only extended_master_secret (4 bytes): too short to hold supported_versions
  const err = await fatalOn(new TlsServer(serverConfig()), clientHello(ext(23, [])));
  expectAlert(err, 'protocol_version', 'TLS_PROTOCOL_VERSION');
});

test('a_tls12_client_hello_with_an_empty_extensions_block_is_protocol_version', async () => {
  const err = await fatalOn(new TlsServer(serverConfig()), clientHello([]));
  expectAlert(err, 'protocol_version', 'TLS_PROTOCOL_VERSION');
});

// ---- TLS 1.2 ServerHello (RFC 8446 App. D.1): a clear message, protocol_version ----------------------

async function startedClient(): Promise<TlsClient> {
  const c = new TlsClient(clientConfig());
  await c.start();
  c.takeOutput();
  return c;
}
const tls12ServerHello = (exts: number[] | undefined): Uint8Array =>
  record(22, handshake(2, [3, 3, ...new Array<number>(32).fill(5), 0, 0xc0, 0x2f, 0, ...(exts === undefined ? [] : vec16(exts))]));

for (const [what, exts] of [['no extensions', undefined], ['only renegotiation_info', ext(0xff01, [0])], ['extensions but no supported_versions', [...ext(0xff01, [0]), ...ext(23, [])]]] as const) {
  test(`a_tls12_server_hello_with_${what.replace(/ /g, '_')}_says_the_server_only_speaks_tls12`, async () => {
    const err = await fatalOn(await startedClient(), tls12ServerHello(exts as number[] | undefined));
    expectAlert(err, 'protocol_version', 'TLS_PROTOCOL_VERSION');
    assert.match(err.message, /the server only speaks TLS 1\.2 \(or lower\); protosmith requires TLS 1\.3/);
  });
}

test('a_protocol_version_alert_before_the_server_hello_says_the_server_only_speaks_tls12', async () => {
  const err = await fatalOn(await startedClient(), record(21, [2, 70]));
  assert.is(err.code, 'TLS_PEER_ALERT');
  assert.match(err.message, /the server only speaks TLS 1\.2 \(or lower\); protosmith requires TLS 1\.3/);
});

// ---- after a HelloRetryRequest, undecryptable records are bad_record_mac (§4.2.10, §5.2) -----------

test('after_a_hello_retry_request_an_undecryptable_client_record_is_bad_record_mac_not_skipped_as_0rtt', async () => {
  const ticketKey = new Uint8Array(32).fill(7);
  const first = await connect(clientConfig(), serverConfig('p256', { ticketKey, maxEarlyData: 1024 }));
  const session: ClientSession = ofType(first.clientEvents, 'newSessionTicket')[0]!.ticket;
  // requireCookie forces a HelloRetryRequest, after which the client's 0-RTT offer is void
  const client = new TlsClient(clientConfig({ session, earlyData: text('early') }));
  const server = new TlsServer(serverConfig('p256', { ticketKey, maxEarlyData: 1024, requireCookie: true }));
  await client.start();
  assert.is(ofType(await server.receive(client.takeOutput()), 'error').length, 0); // ClientHello1 + 0-RTT record
  await client.receive(server.takeOutput()); // HelloRetryRequest
  assert.is(ofType(await server.receive(client.takeOutput()), 'error').length, 0); // ClientHello2
  await client.receive(server.takeOutput()); // ServerHello .. Finished
  const flight = client.takeOutput(); // [CCS] + client Finished under handshake keys
  assert.ok(flight.length > 0 && client.isConnected);
  flight[flight.length - 1]! ^= 1;
  const err = await fatalOn(server, flight);
  expectAlert(err, 'bad_record_mac', 'TLS_BAD_RECORD_MAC');
});

// ---- the handshake message limit admits the largest legal ClientHello ----------------------------

test('the_default_handshake_limit_admits_a_client_hello_with_32715_signature_schemes', async () => {
  const many = Array.from({ length: 32_715 }, (_, i) => (i < 6 ? [0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0807][i]! : 0xfe00 + (i % 256)));
  const shapeExtensions = (message: string, exts: readonly Extension[]): Extension[] => message !== 'client_hello' ? [...exts]
    : exts.map((e) => (e.extension_type === 13 ? { extension_type: 13, body: { supported_signature_algorithms: { items: many } } } as Extension : e));
  const p = await connect(clientConfig({ expert: { shapeExtensions } }), serverConfig());
  assert.ok(p.clientWire[0]!.length > 65_536 + 5, `the ClientHello is ${p.clientWire[0]!.length} bytes on the wire`);
  assert.is(p.server.error, undefined, p.server.error?.message);
  assert.is(ofType(p.serverEvents, 'handshakeComplete').length, 1);
  assert.is(ofType(p.clientEvents, 'handshakeComplete').length, 1);
});

test('a_handshake_message_over_the_largest_legal_client_hello_is_still_refused_by_default', async () => {
  const s = new TlsServer(serverConfig());
  const err = await fatalOn(s, record(22, [1, 0x02, 0x01, 0x45])); // announces 131,397 bytes
  assert.is(err.code, 'TLS_MESSAGE_TOO_LARGE');
});

test.run();
