// protosmith's client against a real `openssl s_server -tls1_2` (TLS 1.2 only): the handshake fails
// with an error that says the server only speaks TLS 1.2, not a decoding complaint.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, spawnPeer, stopAll, withPeer } from './harness.ts';
import { handshake, ourClient } from './ours.ts';
import { testPki } from '../support/pki.ts';
import { ProtosmithError } from '../../runtime/tls/index.ts';

const pki = testPki();
test.after(stopAll);

test('a_tls12_only_openssl_server_is_reported_as_speaking_only_tls12', async () => {
  await withPeer(async () => {
    const port = await freePort();
    const peer = spawnPeer('openssl s_server -tls1_2', 'openssl', ['s_server', '-tls1_2', '-accept', `127.0.0.1:${port}`, '-naccept', '1',
      '-cert', pki.servers.p256.certPath, '-key', pki.servers.p256.keyPath, '-cert_chain', pki.intermediate.certPath], port);
    await peer.waitFor(/^ACCEPT$/m);
    return peer;
  }, async (server) => {
    const c = ourClient(server.port);
    let err: unknown;
    try { await handshake(c.socket); } catch (e) { err = e; }
    assert.instance(err, ProtosmithError);
    assert.match((err as Error).message, /the server only speaks TLS 1\.2 \(or lower\); protosmith requires TLS 1\.3/);
    assert.not.match((err as Error).message, /malformed ServerHello/);
    await server.waitFor(/unsupported protocol|version/i);
    c.socket.destroy();
  });
});

test.run();
