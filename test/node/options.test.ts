// createServer() and connect() (runtime/node) refuse a bad configuration when they are called, with a
// TlsConfigError, instead of accepting it and failing every connection later. No socket is opened.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, createServer, type ConnectOptions, type ServerOptions } from '../../runtime/node/index.ts';
import { TlsConfigError } from '../../runtime/tls/index.ts';
import { testPki } from '../support/pki.ts';
import { selfSigned } from '../support/self-signed.ts';

const pki = testPki();
const good: ServerOptions = { certificateChain: [pki.servers.p256.chainPem], signingKey: pki.servers.p256.keyPem };

function refused(f: () => unknown, code: string, message: RegExp): void {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  assert.instance(err, TlsConfigError, `expected a TlsConfigError, got ${String(err)}`);
  assert.is((err as TlsConfigError).code, code, (err as Error).message);
  assert.match((err as Error).message, message);
}
const server = (o: Partial<ServerOptions> & Record<string, unknown>): (() => unknown) => () => createServer({ ...good, ...o } as ServerOptions);
const client = (o: Partial<ConnectOptions> & Record<string, unknown>): (() => unknown) =>
  () => connect({ host: '127.0.0.1', port: 9, serverName: 'localhost', trustAnchors: [pki.root.certPem], ...o } as ConnectOptions);

test('create_server_with_good_options_returns_a_server_that_is_not_yet_listening', () => {
  const s = createServer(good);
  assert.is(s.listening, false);
});

test('create_server_refuses_a_missing_key_an_empty_chain_and_garbage_pem_at_once', () => {
  refused(server({ signingKey: undefined }), 'TLS_CONFIG_MISSING', /signingKey/);
  refused(server({ certificateChain: [] }), 'TLS_CONFIG_MISSING', /certificateChain/);
  refused(server({ certificateChain: ['/etc/ssl/cert.pem'] }), 'TLS_CONFIG_INVALID', /no "-----BEGIN CERTIFICATE-----" block \(pass PEM text, not a file path\)/);
  refused(server({ signingKey: 'not a key' }), 'TLS_CONFIG_INVALID', /signingKey: The private key could not be read/);
});

test('create_server_refuses_bad_base64_in_a_pem_block_with_a_config_error', () => {
  const broken = pki.servers.p256.chainPem.replace(/\n([A-Za-z0-9+/]{10})/, '\n$1@@');
  refused(server({ certificateChain: [broken] }), 'TLS_CONFIG_INVALID', /not valid base64/);
});

test('create_server_refuses_a_16_byte_ticket_key_naming_the_required_size', () => {
  refused(server({ ticketKey: new Uint8Array(16) }), 'TLS_CONFIG_INVALID', /ticketKey is 16 bytes; it must be exactly 32/);
});

test('create_server_refuses_an_unsupported_suite_and_client_auth_without_anchors', () => {
  refused(server({ cipherSuites: [0x009c] }), 'TLS_CONFIG_UNSUPPORTED', /cipher suite 0x009c/);
  refused(server({ groups: [0x0100] }), 'TLS_CONFIG_UNSUPPORTED', /group 0x0100/);
  refused(server({ clientAuth: 'require' }), 'TLS_CONFIG_MISSING', /trustAnchors/);
});

test('create_server_refuses_a_key_that_does_not_match_the_leaf_and_a_chain_in_the_wrong_order', () => {
  refused(server({ signingKey: pki.servers.p384.keyPem }), 'TLS_CONFIG_KEY_MISMATCH', /leaf certificate/);
  refused(server({ certificateChain: [pki.intermediate.certPem, pki.servers.p256.certPem] }), 'TLS_CONFIG_CHAIN_ORDER', /leaf must come first/);
});

test('create_server_refuses_an_rsa_1024_key', () => {
  const weak = selfSigned(['-newkey', 'rsa:1024']);
  refused(server({ certificateChain: [weak.certPem], signingKey: weak.keyPem }), 'TLS_CONFIG_WEAK_KEY', /RSA-1024/);
});

test('create_server_refuses_unknown_and_node_tls_option_names', () => {
  refused(server({ ticketKeys: new Uint8Array(48) }), 'TLS_CONFIG_UNKNOWN_OPTION', /createServer\(\): unknown option "ticketKeys" \(a node:tls option name\): use ticketKey/);
  refused(server({ cert: pki.servers.p256.chainPem }), 'TLS_CONFIG_UNKNOWN_OPTION', /use certificateChain/);
  refused(server({ requireCooky: true }), 'TLS_CONFIG_UNKNOWN_OPTION', /did you mean "requireCookie"/);
});

test('connect_refuses_node_tls_names_with_protosmith_equivalents_before_opening_a_socket', () => {
  refused(client({ ca: pki.root.certPem }), 'TLS_CONFIG_UNKNOWN_OPTION', /connect\(\): unknown option "ca" \(a node:tls option name\): use trustAnchors/);
  refused(client({ servername: 'localhost' }), 'TLS_CONFIG_UNKNOWN_OPTION', /use serverName/);
  refused(client({ rejectUnauthorized: false }), 'TLS_CONFIG_UNKNOWN_OPTION', /no off switch for certificate verification/);
  refused(client({ prot: 443 }), 'TLS_CONFIG_UNKNOWN_OPTION', /did you mean "port"/);
});

test('connect_refuses_a_weak_or_unreadable_client_key_before_opening_a_socket', () => {
  const weak = selfSigned(['-newkey', 'rsa:1024']);
  refused(client({ certificateChain: [weak.certPem], signingKey: weak.keyPem }), 'TLS_CONFIG_WEAK_KEY', /RSA-1024/);
  refused(client({ certificateChain: [pki.clients.p256.chainPem], signingKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }), 'TLS_CONFIG_INVALID', /signingKey/);
});

test.run();
