// The interop harness itself, checked with real peers talking to each other (no protosmith code):
// if these fail, interop failures elsewhere say nothing about our engine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { opensslServer, opensslClient, gnutlsServer, gnutlsClient, withPeer, stopAll, freePort } from './harness.ts';
import { testPki } from '../support/pki.ts';

const pki = testPki();
const srv = pki.servers.p256;

test.after(stopAll);

test('openssl s_server is ready on ACCEPT and echoes s_client data both ways; both stop by pid', async () => {
  await withPeer(() => opensslServer(['-cert', srv.certPath, '-key', srv.keyPath, '-cert_chain', pki.intermediate.certPath]), async (server) => {
    await withPeer(() => opensslClient(server.port, ['-CAfile', pki.root.certPath, '-verify_return_error', '-servername', 'localhost', '-quiet']), async (client) => {
      await server.waitFor(/CIPHER is TLS_/);
      client.send('hello from s_client\n');
      await server.waitFor(/hello from s_client/);
      server.send('hello from s_server\n');
      await client.waitFor(/hello from s_server/);
    });
  });
});

test('a stopped peer is really gone (its pid no longer exists)', async () => {
  const server = await opensslServer(['-cert', srv.certPath, '-key', srv.keyPath]);
  await server.stop();
  await server.exited;
  assert.throws(() => process.kill(server.pid, 0));
});

test('gnutls-serv is ready when it prints listening and serves openssl s_client', async () => {
  await withPeer(() => gnutlsServer(['--echo', '--x509certfile', srv.chainPath, '--x509keyfile', srv.keyPath, '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.3']), async (server) => {
    await withPeer(() => opensslClient(server.port, ['-CAfile', pki.root.certPath, '-verify_return_error', '-quiet']), async (client) => {
      client.send('echo me\n');
      await client.waitFor(/echo me/);
    });
  });
});

test('gnutls-cli verifies the openssl s_server chain against the test root', async () => {
  await withPeer(() => opensslServer(['-cert', srv.certPath, '-key', srv.keyPath, '-cert_chain', pki.intermediate.certPath]), async (server) => {
    await withPeer(() => gnutlsClient(server.port, ['--x509cafile', pki.root.certPath, '--sni-hostname', 'localhost', '--verify-hostname', 'localhost']), async (client) => {
      await client.waitFor(/Handshake was completed/);
      assert.match(client.output(), /TLS1\.3/);
    });
  });
});

test('waitFor names the peer and its output when the peer exits early', async () => {
  const port = await freePort();
  const client = opensslClient(port, []);
  try {
    await client.waitFor(/never printed/, 5000);
    assert.unreachable('should have rejected');
  } catch (e) {
    assert.match((e as Error).message, /openssl s_client .* exited/);
  } finally {
    await client.stop();
  }
});

test.run();
