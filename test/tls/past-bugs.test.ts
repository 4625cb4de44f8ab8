// Regression tests named after past TLS implementation bugs (see docs/engine-design.md, "Past TLS
// bugs"). A misbehaving peer is our own engine with one table action or guard replaced, so the
// bytes it sends are otherwise well-formed and correctly encrypted: only the message order is wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { ProtosmithError, TlsClient, TlsServer } from '../../runtime/tls/index.ts';
import { clientConfig, connect, ofType, pki, pump, serverConfig, type Pair } from './harness.ts';

type Hooks = { actions: Record<string, () => unknown>; guards: Record<string, () => boolean> };
// The engine's generated <Role>Implementations (protected `implementations`, one frozen object shared by
// every engine of its class): the engine is given its own copy, in which replacing one entry seeds a bug.
const hooks = (x: TlsClient | TlsServer): Hooks => {
  const engine = x as unknown as { implementations: Hooks };
  engine.implementations = { actions: { ...engine.implementations.actions }, guards: { ...engine.implementations.guards } };
  return engine.implementations;
};

async function run(client: TlsClient, server: TlsServer): Promise<Pair> {
  const p: Pair = { client, server, clientEvents: [], serverEvents: [], serverWire: [], clientWire: [] };
  p.clientEvents.push(...await client.start());
  await pump(p);
  return p;
}

function expectUnexpected(err: ProtosmithError | undefined, state: RegExp): void {
  assert.ok(err, 'the victim failed');
  assert.is(err!.code, 'TLS_UNEXPECTED_MESSAGE', err!.message);
  assert.is(err!.alert, 'unexpected_message');
  assert.match(err!.message, state);
}

test('skip_tls_client_rejects_a_server_that_skips_certificate_verify', async () => {
  const server = new TlsServer(serverConfig());
  hooks(server).actions.sendCertificateVerify = () => undefined;
  const p = await run(new TlsClient(clientConfig()), server);
  expectUnexpected(p.client.error, /Finished in state WAIT_CERT_VERIFY/);
  assert.is(ofType(p.clientEvents, 'handshakeComplete').length, 0);
});

test('skip_tls_client_rejects_a_server_that_skips_certificate_and_certificate_verify', async () => {
  const server = new TlsServer(serverConfig());
  hooks(server).actions.sendCertificate = () => undefined;
  hooks(server).actions.sendCertificateVerify = () => undefined;
  const p = await run(new TlsClient(clientConfig()), server);
  expectUnexpected(p.client.error, /Finished in state WAIT_CERT_CR/);
});

test('wolfssl_cve_2022_25640_server_requiring_client_auth_rejects_a_client_that_skips_certificate', async () => {
  const client = new TlsClient(clientConfig({ certificateChain: [pki.clients.p256.chainPem], signingKey: nodeSigningKey(pki.clients.p256.keyPem) }));
  hooks(client).guards.clientAuthRequested = () => false;
  hooks(client).guards.clientCertificateSelected = () => false;
  const p = await run(client, new TlsServer(serverConfig('p256', { clientAuth: 'require', trustAnchors: [pki.root.certPem] })));
  expectUnexpected(p.server.error, /Finished in state WAIT_CERT/);
  assert.is(ofType(p.serverEvents, 'handshakeComplete').length, 0);
});

test('wolfssl_cve_2022_25640_server_rejects_a_client_certificate_without_certificate_verify', async () => {
  const client = new TlsClient(clientConfig({ certificateChain: [pki.clients.p256.chainPem], signingKey: nodeSigningKey(pki.clients.p256.keyPem) }));
  hooks(client).actions.sendCertificateVerify = () => undefined;
  const p = await run(client, new TlsServer(serverConfig('p256', { clientAuth: 'request', trustAnchors: [pki.root.certPem] })));
  expectUnexpected(p.server.error, /Finished in state WAIT_CERT_VERIFY/);
});

test('early_ccs_a_change_cipher_spec_mid_handshake_changes_no_keys', async () => {
  // CVE-2014-0224 made OpenSSL derive keys on an early CCS. Here CCS is dropped where RFC 8446 §5
  // allows it and keys change only through the table's install* actions.
  const client = new TlsClient(clientConfig());
  const server = new TlsServer(serverConfig());
  await client.start();
  await server.receive(client.takeOutput());
  const ccs = Uint8Array.of(20, 3, 3, 0, 1, 1);
  await client.receive(ccs);
  await client.receive(ccs);
  const ev = await client.receive(server.takeOutput());
  assert.ok(ofType(ev, 'handshakeComplete').length === 1, 'handshake unaffected');
});

test('jdk_8366244_server_rejects_ccs_after_the_client_finished', async () => {
  const p = await connect(clientConfig(), serverConfig());
  const ev = await p.server.receive(Uint8Array.of(20, 3, 3, 0, 1, 1));
  const err = ofType(ev, 'error')[0]?.error;
  expectUnexpected(err, /ChangeCipherSpec in state CONNECTED/);
});

test('heartbleed_heartbeat_records_are_not_a_content_type_we_read', async () => {
  // Heartbeat (content type 24) with a length claiming more than was sent: never echoed, never read.
  const p = await connect(clientConfig(), serverConfig());
  const ev = await p.server.receive(Uint8Array.of(24, 3, 3, 0, 3, 1, 0x40, 0x00));
  const err = ofType(ev, 'error')[0]?.error;
  assert.is(err?.alert, 'unexpected_message');
});

test.run();
