// Configuration is validated when a TlsClient/TlsServer is constructed (runtime/tls/config.ts): every
// mistake below throws a TlsConfigError (blame 'config') with a stable code and a message naming the
// option, before any byte is exchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { TlsClient, TlsConfigError, TlsServer, type TlsClientConfig, type TlsServerConfig } from '../../runtime/tls/index.ts';
import { clientConfig, connect, ofType, pki, serverConfig } from './harness.ts';
import { selfSigned } from '../support/self-signed.ts';

const rsa1024 = selfSigned(['-newkey', 'rsa:1024']);

function configError(f: () => unknown, code: string, message: RegExp): TlsConfigError {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  assert.instance(err, TlsConfigError, `expected a TlsConfigError, got ${String(err)}`);
  const e = err as TlsConfigError;
  assert.is(e.blame, 'config');
  assert.is(e.code, code, e.message);
  assert.match(e.message, message);
  return e;
}
const server = (extra: Partial<TlsServerConfig>): (() => TlsServer) => () => new TlsServer({ ...serverConfig(), ...extra } as TlsServerConfig);
const client = (extra: Partial<TlsClientConfig>): (() => TlsClient) => () => new TlsClient({ ...clientConfig(), ...extra } as TlsClientConfig);

// ---- weak own keys ----------------------------------------------------------------------------------

test('a_server_refuses_an_rsa_1024_key_at_construction', () => {
  configError(server({ certificateChain: [rsa1024.certPem], signingKey: nodeSigningKey(rsa1024.keyPem) }), 'TLS_CONFIG_WEAK_KEY', /RSA-1024.*at least 2048 bits/);
});

test('a_client_refuses_an_rsa_1024_client_authentication_key_at_construction', () => {
  configError(client({ certificateChain: [rsa1024.certPem], signingKey: nodeSigningKey(rsa1024.keyPem) }), 'TLS_CONFIG_WEAK_KEY', /client key is RSA-1024/);
});

test('an_rsa_2048_server_key_is_accepted_and_handshakes', async () => {
  const p = await connect(clientConfig(), serverConfig('rsa2048'));
  assert.is(ofType(p.clientEvents, 'handshakeComplete').length, 1);
});

// ---- missing and malformed credentials ----------------------------------------------------------------

test('a_server_without_a_key_or_with_an_empty_chain_is_refused', () => {
  configError(server({ signingKey: undefined }), 'TLS_CONFIG_MISSING', /signingKey/);
  configError(server({ certificateChain: [] }), 'TLS_CONFIG_MISSING', /certificateChain/);
});

test('garbage_pem_is_a_config_error_naming_the_option', () => {
  configError(server({ certificateChain: ['not a certificate'] }), 'TLS_CONFIG_INVALID', /certificateChain\[0\] holds no "-----BEGIN CERTIFICATE-----" block/);
  configError(server({ certificateChain: [pki.servers.p256.keyPem] }), 'TLS_CONFIG_INVALID', /holds a private key, not a certificate/);
  configError(server({ certificateChain: [Uint8Array.of(1, 2, 3)] }), 'TLS_CONFIG_INVALID', /certificate 0 of certificateChain .* is not an X.509 certificate/);
  configError(client({ trustAnchors: ['-----BEGIN CERTIFICATE-----\nTWFu\n-----END CERTIFICATE-----\n'] }), 'TLS_CONFIG_INVALID', /trustAnchors: .*not an X.509 certificate/);
});

test('bad_base64_inside_a_pem_block_is_a_config_error_not_a_domexception', () => {
  const broken = pki.servers.p256.certPem.replace(/\n([A-Za-z0-9+/]{10})/, '\n$1#!');
  assert.is.not(broken, pki.servers.p256.certPem);
  configError(server({ certificateChain: [broken] }), 'TLS_CONFIG_INVALID', /certificateChain\[0\]: PEM block 1 is not valid base64/);
  configError(client({ trustAnchors: [broken] }), 'TLS_CONFIG_INVALID', /trustAnchors: entry 0: PEM block 1 is not valid base64/);
});

test('a_16_byte_ticket_key_is_refused_stating_the_required_32_bytes', () => {
  configError(server({ ticketKey: new Uint8Array(16) }), 'TLS_CONFIG_INVALID', /ticketKey is 16 bytes; it must be exactly 32 random bytes/);
});

test('an_unsupported_cipher_suite_or_group_is_refused', () => {
  configError(server({ cipherSuites: [0xc02f] }), 'TLS_CONFIG_UNSUPPORTED', /cipher suite 0xc02f/);
  configError(client({ groups: [0x0019] }), 'TLS_CONFIG_UNSUPPORTED', /group 0x0019/);
});

test('client_auth_require_without_trust_anchors_is_refused', () => {
  configError(server({ clientAuth: 'require' }), 'TLS_CONFIG_MISSING', /clientAuth 'require' needs trustAnchors/);
});

// ---- key and chain consistency ------------------------------------------------------------------------

test('a_key_that_does_not_match_the_leaf_is_refused', () => {
  // same key type (P-256) but another key: only the public keys tell
  configError(server({ signingKey: nodeSigningKey(pki.clients.p256.keyPem) }), 'TLS_CONFIG_KEY_MISMATCH', /does not belong to the leaf certificate/);
  // another key type altogether
  configError(server({ signingKey: nodeSigningKey(pki.servers.ed25519.keyPem) }), 'TLS_CONFIG_KEY_MISMATCH', /leaf certificate/);
  // a handle without its public key: the key type still has to fit the certificate
  const opaque = nodeSigningKey(pki.servers.ed25519.keyPem);
  configError(server({ signingKey: { schemes: opaque.schemes, sign: opaque.sign } }), 'TLS_CONFIG_KEY_MISMATCH', /holds a ec:P-256 key/);
});

test('a_chain_in_the_wrong_order_is_refused', () => {
  const leaf = pki.servers.p256;
  configError(server({ certificateChain: [pki.intermediate.certPem, leaf.certPem] }), 'TLS_CONFIG_CHAIN_ORDER', /certificate 1 of certificateChain .* is the certificate of signingKey, but the leaf must come first/);
  configError(server({ certificateChain: [leaf.certPem, pki.otherRoot.certPem] }), 'TLS_CONFIG_CHAIN_ORDER', /not in order: certificate 1 .* did not issue certificate 0/);
  // leaf, intermediate, root is in order
  new TlsServer(serverConfig('p256', { certificateChain: [leaf.chainPem, pki.root.certPem] }));
});

// ---- option names -------------------------------------------------------------------------------------

test('a_copy_of_a_checked_client_config_with_one_option_changed_is_checked_again', () => {
  const base = clientConfig();
  new TlsClient(base);
  new TlsClient({ ...base, session: undefined }); // same options apart from the session: accepted
  configError(() => new TlsClient({ ...base, cipherSuites: [0x1399] }), 'TLS_CONFIG_UNSUPPORTED', /cipher suite/);
  configError(() => new TlsClient({ ...base, earlyData: new Uint8Array(1) }), 'TLS_CONFIG_INVALID', /earlyData needs a session/);
  const resuming = { ...base, earlyData: new Uint8Array(1), session: {} as NonNullable<TlsClientConfig['session']> };
  new TlsClient(resuming);
  configError(() => new TlsClient({ ...resuming, session: undefined }), 'TLS_CONFIG_INVALID', /earlyData needs a session/);
  configError(() => new TlsClient({ ...base, serverName: '' }), 'TLS_CONFIG_MISSING', /serverName/);
  configError(() => new TlsClient({ ...base, cipherSute: [0x1301] } as TlsClientConfig), 'TLS_CONFIG_UNKNOWN_OPTION', /cipherSuites/);
});

test('an_unknown_option_name_is_refused_with_the_nearest_correct_one', () => {
  configError(server({ ticketkey: new Uint8Array(32) } as never), 'TLS_CONFIG_UNKNOWN_OPTION', /unknown option "ticketkey"; did you mean "ticketKey"\?/);
  configError(client({ alpnProtocols: ['h2'] } as never), 'TLS_CONFIG_UNKNOWN_OPTION', /unknown option "alpnProtocols"/);
});

test('node_tls_option_names_get_the_protosmith_equivalent', () => {
  configError(client({ ca: [pki.root.certPem] } as never), 'TLS_CONFIG_UNKNOWN_OPTION', /"ca" \(a node:tls option name\): use trustAnchors/);
  configError(client({ rejectUnauthorized: false } as never), 'TLS_CONFIG_UNKNOWN_OPTION', /no off switch/);
  configError(client({ servername: 'localhost' } as never), 'TLS_CONFIG_UNKNOWN_OPTION', /use serverName/);
});

test.run();
