// protosmith against GnuTLS: our client to `gnutls-serv`, `gnutls-cli` to our server. Each peer
// process is started on a free 127.0.0.1 port and stopped by its pid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gnutlsServer, gnutlsClient, stopAll, withPeer } from './harness.ts';
import { ourClient, ourServer, handshake } from './ours.ts';
import { testPki } from '../support/pki.ts';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../runtime/tls/index.ts';

const pki = testPki();
const TLS13 = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';

test.after(stopAll);

test('our client -> gnutls-serv --echo (P-384 certificate, ChaCha20, secp384r1): data comes back', async () => {
  const c = pki.servers.p384;
  await withPeer(() => gnutlsServer(['--echo', '--x509certfile', c.chainPath, '--x509keyfile', c.keyPath, '--priority', TLS13]), async (server) => {
    const w = ourClient(server.port, { cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256], groups: [NamedGroup.secp384r1] });
    const hs = await handshake(w.socket);
    assert.is(hs.cipherSuite, CipherSuite.TLS_CHACHA20_POLY1305_SHA256);
    assert.is(hs.group, NamedGroup.secp384r1);
    assert.is(hs.signatureScheme, SignatureScheme.ecdsa_secp384r1_sha384);
    w.socket.write('hello gnutls\n');
    await w.waitFor('hello gnutls');
    w.socket.destroy();
  });
});

test('our client -> gnutls-serv: HelloRetryRequest when gnutls allows only SECP256R1', async () => {
  const c = pki.servers.rsa2048;
  await withPeer(() => gnutlsServer(['--echo', '--x509certfile', c.chainPath, '--x509keyfile', c.keyPath, '--priority', `${TLS13}:-GROUP-ALL:+GROUP-SECP256R1`]), async (server) => {
    const w = ourClient(server.port, { groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
    const hs = await handshake(w.socket);
    assert.is(hs.group, NamedGroup.secp256r1);
    assert.is(hs.signatureScheme, SignatureScheme.rsa_pss_rsae_sha256);
    w.socket.write('after hrr\n');
    await w.waitFor('after hrr');
    w.socket.destroy();
  });
});

test('gnutls-cli -> our server: verifies our Ed25519 chain for localhost and exchanges data', async () => {
  const s = await ourServer('ed25519', { alpn: ['x-proto'] });
  try {
    await withPeer(() => gnutlsClient(s.port, ['--x509cafile', pki.root.certPath, '--sni-hostname', 'localhost', '--verify-hostname', 'localhost', '--alpn', 'x-proto', '--priority', TLS13]), async (client) => {
      const conn = await s.connection();
      const hs = await handshake(conn.socket);
      assert.is(hs.signatureScheme, SignatureScheme.ed25519);
      assert.is(hs.alpn, 'x-proto');
      assert.is(hs.serverName, 'localhost');
      await client.waitFor(/Handshake was completed/);
      client.send('from gnutls-cli\n');
      await conn.waitFor('from gnutls-cli');
      conn.socket.write('from protosmith\n');
      await client.waitFor(/from protosmith/);
    });
  } finally { await s.close(); }
});

test('gnutls-cli refuses our wrong-host certificate (it verifies names too)', async () => {
  const s = await ourServer('p256', { certificateChain: [pki.wrongHost.certPem, pki.intermediate.certPem], signingKey: pki.wrongHost.keyPem });
  try {
    await withPeer(() => gnutlsClient(s.port, ['--x509cafile', pki.root.certPath, '--verify-hostname', 'localhost', '--priority', TLS13]), async (client) => {
      await client.waitFor(/does not match|not match|hostname/i);
      await client.exited;
      assert.is.not(await client.exited, 0);
    });
  } finally { await s.close(); }
});

test.run();
