// TLS 1.3 with the private key in a SoftHSM2 token: our server (key in the token) against
// `openssl s_client` and against 200 concurrent connections of our own client; our client with its
// client-auth key in the token against `openssl s_server -Verify 1`. Every peer is started by the test
// on 127.0.0.1 and stopped by its pid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openPkcs11, type Pkcs11Provider } from '../../runtime/crypto/pkcs11/index.ts';
import { SignatureScheme } from '../../runtime/crypto/provider.ts';
import { opensslClient, opensslServer, stopAll, withPeer } from '../interop/harness.ts';
import { handshake, ourClient, ourServer } from '../interop/ours.ts';
import { testPki } from '../support/pki.ts';
import { softHsm, type HsmKeyKind } from '../support/softhsm.ts';

const pki = testPki();
const hsm = softHsm();
const KEYS: [HsmKeyKind, string, string, number][] = [
  ['p256', 'server-p256', '01', SignatureScheme.ecdsa_secp256r1_sha256],
  ['p384', 'server-p384', '02', SignatureScheme.ecdsa_secp384r1_sha384],
  ['rsa2048', 'server-rsa', '03', SignatureScheme.rsa_pss_rsae_sha256],
  ['ed25519', 'server-ed25519', '04', SignatureScheme.ed25519],
];
for (const [kind, label, id] of KEYS) hsm.genKey(kind, label, id);
hsm.genKey('p256', 'client-p256', '10');
let p: Pkcs11Provider;

test.before(async () => { p = await openPkcs11({ module: hsm.module, token: hsm.label, pin: hsm.pin, maxSessions: 4 }); });
test.after(async () => { await stopAll(); await p.close(); hsm.cleanup(); });

for (const [kind, label, , scheme] of KEYS) {
  test(`our server signs CertificateVerify with its ${kind} key in the token; openssl s_client verifies the chain and the signature and data flows both ways`, async () => {
    const key = await p.signingKey({ label });
    const cert = hsm.issue(label, key.publicKeySpki!, 'v3_server');
    const s = await ourServer('p256', { crypto: p.provider, signingKey: key, certificateChain: [cert.chainPem] });
    try {
      await withPeer(() => opensslClient(s.port, ['-CAfile', pki.root.certPath, '-verify_return_error', '-verify_hostname', 'localhost', '-servername', 'localhost']), async (client) => {
        const conn = await s.connection();
        const hs = await handshake(conn.socket);
        assert.is(hs.signatureScheme, scheme);
        client.send('from-openssl\n');
        await conn.waitFor('from-openssl');
        conn.socket.write('from-hsm-server\n');
        await client.waitFor(/from-hsm-server/);
        assert.match(client.output(), /Verify return code: 0 \(ok\)/);
        assert.match(client.output(), new RegExp(`subject=CN ?= ?${label}`));
      });
    } finally { await s.close(); }
  });
}

test('200 concurrent handshakes of our client against our server, all signing on the token through a 4-session pool: every one completes and echoes', async () => {
  const key = await p.signingKey({ label: 'server-p256' });
  const cert = hsm.issue('server-p256-many', key.publicKeySpki!, 'v3_server');
  const s = await ourServer('p256', { crypto: p.provider, signingKey: key, certificateChain: [cert.chainPem] }, true);
  try {
    const results = await Promise.allSettled(Array.from({ length: 200 }, async (_, i) => {
      const c = ourClient(s.port);
      try {
        const hs = await handshake(c.socket, 60_000);
        assert.is(hs.signatureScheme, SignatureScheme.ecdsa_secp256r1_sha256);
        c.socket.write(`ping-${i}\n`);
        await c.waitFor(`ping-${i}`, 60_000);
        // Close with close_notify so the server sees an orderly end, not a truncation.
        await new Promise<void>((resolve) => { c.socket.once('close', () => resolve()); c.socket.end(); });
      } finally { c.socket.destroy(); }
    }));
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.is(failed.length, 0, `failures: ${failed.slice(0, 3).map((f) => String(f.reason)).join('; ')}`);
    assert.is(s.accepted.length, 200);
    const serverErrors = s.accepted.flatMap((w) => w.errors);
    assert.is(serverErrors.length, 0, `server-side errors: ${serverErrors.slice(0, 3).map((e) => `[${(e as { code?: string }).code}] ${e.message}`).join('; ')}`);
  } finally { await s.close(); }
});

test('our client authenticates to `openssl s_server -Verify 1` with its client key in the token (ecdsa_secp256r1_sha256 signed in SoftHSM)', async () => {
  const key = await p.signingKey({ label: 'client-p256' });
  const cert = hsm.issue('client-p256', key.publicKeySpki!, 'v3_client');
  const server = pki.servers.p256;
  await withPeer(() => opensslServer(['-cert', server.certPath, '-cert_chain', pki.intermediate.certPath, '-key', server.keyPath,
    '-Verify', '1', '-verify_return_error', '-CAfile', pki.root.certPath, '-chainCAfile', pki.intermediate.certPath]), async (peer) => {
    const c = ourClient(peer.port, { crypto: p.provider, signingKey: key, certificateChain: [cert.chainPem] });
    try {
      await handshake(c.socket);
      c.socket.write('hello-from-hsm-client\n');
      await peer.waitFor(/hello-from-hsm-client/);
      assert.match(peer.output(), /depth=0 CN ?= ?client-p256\s+verify return:1/);
      assert.match(peer.output(), /subject=CN ?= ?client-p256/);
    } finally { c.socket.destroy(); }
  });
});

test.run();
