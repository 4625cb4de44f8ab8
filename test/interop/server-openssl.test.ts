// protosmith's server (runtime/node createServer on 127.0.0.1) against a real `openssl s_client
// -tls1_3`, which verifies our chain against the test root and the name localhost. One s_client
// per connection, stopped by pid. Data goes both ways in every case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { opensslClient, stopAll, withPeer, OPENSSL_SUITE, OPENSSL_GROUP, type Peer } from './harness.ts';
import { ourServer, handshake, type OurServer, type Watched } from './ours.ts';
import { testPki, type KeyKind } from '../support/pki.ts';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../runtime/tls/index.ts';
import { createNativeProvider } from '../../runtime/crypto/native/index.ts';

const pki = testPki();
const verifyArgs = ['-CAfile', pki.root.certPath, '-verify_return_error', '-verify_hostname', 'localhost', '-servername', 'localhost'];

test.after(stopAll);

async function echo(server: Watched, client: Peer, tag: string): Promise<void> {
  client.send(`to-protosmith-${tag}\n`);
  await server.waitFor(`to-protosmith-${tag}`);
  server.socket.write(`to-openssl-${tag}\n`);
  await client.waitFor(new RegExp(`to-openssl-${tag}`));
}

async function withServer(kind: KeyKind, options: Parameters<typeof ourServer>[1], fn: (s: OurServer) => Promise<void>): Promise<void> {
  const s = await ourServer(kind, options);
  try { await fn(s); } finally { await s.close(); }
}

const SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

for (const suite of SUITES) {
  for (const group of GROUPS) {
    test(`server negotiates ${OPENSSL_SUITE[suite]} with ${OPENSSL_GROUP[group]} for s_client and echoes data`, async () => {
      await withServer('p256', {}, async (s) => {
        await withPeer(() => opensslClient(s.port, [...verifyArgs, '-ciphersuites', OPENSSL_SUITE[suite]!, '-groups', OPENSSL_GROUP[group]!]), async (client) => {
          const conn = await s.connection();
          const hs = await handshake(conn.socket);
          assert.is(hs.cipherSuite, suite);
          assert.is(hs.group, group);
          assert.is(hs.serverName, 'localhost');
          await echo(conn, client, `${suite}-${group}`);
          assert.match(client.output(), new RegExp(`Cipher is ${OPENSSL_SUITE[suite]}`));
          assert.match(client.output(), /Verify return code: 0 \(ok\)/);
        });
      });
    });
  }
}

for (const suite of SUITES) {
  test(`the native provider (record AEAD by the addon) serves s_client with ${OPENSSL_SUITE[suite]}: 300 KB in 16 KiB records one way, data back`, async () => {
    await withServer('p256', { crypto: createNativeProvider() }, async (s) => {
      await withPeer(() => opensslClient(s.port, [...verifyArgs, '-ciphersuites', OPENSSL_SUITE[suite]!]), async (client) => {
        const conn = await s.connection();
        const hs = await handshake(conn.socket);
        assert.is(hs.cipherSuite, suite);
        await echo(conn, client, `native-${suite}`);
        // One write of many records, sealed into one buffer by the native provider, read back by OpenSSL.
        const line = 'native-bulk-0123456789abcdefghijklmnopqrstuvwxyz\n';
        conn.socket.write(line.repeat(6000) + `native-bulk-end-${suite}\n`);
        await client.waitFor(new RegExp(`native-bulk-end-${suite}`));
        assert.ok(client.output().split(line).length > 6000, 's_client printed every line');
      });
    });
  });
}

test('HelloRetryRequest: our server wants P-384, s_client sent an X25519 share first', async () => {
  await withServer('p256', { groups: [NamedGroup.secp384r1] }, async (s) => {
    await withPeer(() => opensslClient(s.port, [...verifyArgs, '-groups', 'X25519:P-384', '-msg']), async (client) => {
      const conn = await s.connection();
      const hs = await handshake(conn.socket);
      assert.is(hs.group, NamedGroup.secp384r1);
      await echo(conn, client, 'hrr');
      assert.is((client.output().match(/>>> TLS 1.3, Handshake \[length [0-9a-f]+\], ClientHello/g) ?? []).length, 2, 's_client sent two ClientHellos');
    });
  });
});

test('stateless HRR cookie: with requireCookie our server always retries, and s_client echoes the cookie', async () => {
  await withServer('p256', { requireCookie: true, cookieKey: new Uint8Array(32).fill(5) }, async (s) => {
    await withPeer(() => opensslClient(s.port, [...verifyArgs, '-msg']), async (client) => {
      const conn = await s.connection();
      const hs = await handshake(conn.socket);
      assert.is(hs.group, NamedGroup.x25519);
      await echo(conn, client, 'cookie');
      assert.is((client.output().match(/>>> TLS 1.3, Handshake \[length [0-9a-f]+\], ClientHello/g) ?? []).length, 2, 's_client sent a second ClientHello');
    });
  });
});

const KEYS: [KeyKind, number][] = [
  ['p384', SignatureScheme.ecdsa_secp384r1_sha384], ['rsa2048', SignatureScheme.rsa_pss_rsae_sha256], ['ed25519', SignatureScheme.ed25519],
];
for (const [kind, scheme] of KEYS) {
  test(`s_client verifies our ${kind} chain and CertificateVerify (scheme 0x${scheme.toString(16)})`, async () => {
    await withServer(kind, {}, async (s) => {
      await withPeer(() => opensslClient(s.port, verifyArgs), async (client) => {
        const conn = await s.connection();
        const hs = await handshake(conn.socket);
        assert.is(hs.signatureScheme, scheme);
        await echo(conn, client, kind);
        assert.match(client.output(), /Verify return code: 0 \(ok\)/);
      });
    });
  });
}

async function firstConnectionSession(s: OurServer, sess: string, extra: string[] = []): Promise<void> {
  await withPeer(() => opensslClient(s.port, [...verifyArgs, '-sess_out', sess, ...extra]), async (client) => {
    const conn = await s.connection(1);
    await handshake(conn.socket);
    await echo(conn, client, 'first');
    const end = Date.now() + 5000;
    while (!existsSync(sess)) {
      if (Date.now() > end) throw new Error('s_client wrote no session file');
      await new Promise((r) => setTimeout(r, 10));
    }
  });
}

test('resumption: s_client -sess_out / -sess_in resumes with our ticket', async () => {
  const sess = join(pki.dir, `resume-${process.pid}.sess`);
  await withServer('p256', { ticketKey: new Uint8Array(32).fill(7) }, async (s) => {
    await firstConnectionSession(s, sess);
    await withPeer(() => opensslClient(s.port, [...verifyArgs, '-sess_in', sess]), async (client) => {
      const conn = await s.connection(2);
      const hs = await handshake(conn.socket);
      assert.is(hs.resumed, true);
      await echo(conn, client, 'resumed');
      assert.match(client.output(), /Reused, TLSv1\.3/);
    });
  });
});

test('0-RTT: our server accepts s_client -early_data on resumption', async () => {
  const sess = join(pki.dir, `early-${process.pid}.sess`);
  const early = join(pki.dir, `early-${process.pid}.txt`);
  writeFileSync(early, 'early-bird-0rtt\n');
  await withServer('p256', { ticketKey: new Uint8Array(32).fill(9), maxEarlyData: 16384 }, async (s) => {
    await firstConnectionSession(s, sess);
    await withPeer(() => opensslClient(s.port, [...verifyArgs, '-sess_in', sess, '-early_data', early]), async (client) => {
      const conn = await s.connection(2);
      const hs = await handshake(conn.socket);
      assert.is(hs.resumed, true);
      assert.is(hs.earlyDataAccepted, true);
      await conn.until(() => conn.earlyData.join('').includes('early-bird-0rtt'), 'the early data');
      await echo(conn, client, 'after-0rtt');
    });
  });
});

test('client authentication: our server (require) verifies s_client\'s certificate chain', async () => {
  await withServer('p256', { clientAuth: 'require', trustAnchors: [pki.root.certPem] }, async (s) => {
    const cc = pki.clients.ed25519;
    await withPeer(() => opensslClient(s.port, [...verifyArgs, '-cert', cc.certPath, '-key', cc.keyPath, '-cert_chain', pki.intermediate.certPath]), async (client) => {
      const conn = await s.connection();
      const hs = await handshake(conn.socket);
      assert.is(hs.peerCertificates.length, 2);
      await echo(conn, client, 'client-auth');
    });
  });
});

test('client authentication required: s_client without a certificate is refused with certificate_required', async () => {
  await withServer('p256', { clientAuth: 'require', trustAnchors: [pki.root.certPem] }, async (s) => {
    await withPeer(() => opensslClient(s.port, verifyArgs), async (client) => {
      const conn = await s.connection();
      const err = await handshake(conn.socket).then(() => undefined, (e: unknown) => e as { code?: string; alert?: string });
      assert.is(err?.code, 'TLS_CERTIFICATE_REQUIRED');
      await client.waitFor(/certificate required/i);
    });
  });
});

test('KeyUpdate both ways: s_client K and our keyUpdate(true), data flows after each', async () => {
  await withServer('p256', {}, async (s) => {
    await withPeer(() => opensslClient(s.port, verifyArgs), async (client) => {
      const conn = await s.connection();
      await handshake(conn.socket);
      await echo(conn, client, 'before');
      client.send('K\n');
      // s_client sends its KeyUpdate (update_requested) right away; we answer with ours.
      await conn.until(() => conn.keyUpdates.includes('read') && conn.keyUpdates.includes('write'), 'our key updates after s_client K');
      await echo(conn, client, 'after-client-K');
      const before = conn.keyUpdates.length;
      await conn.socket.keyUpdate(true);
      // s_client reads our KeyUpdate along with our next data, and answers before its next write.
      await echo(conn, client, 'after-our-K');
      await echo(conn, client, 'after-our-K-2');
      assert.ok(conn.keyUpdates.slice(before).includes('read'), 's_client answered our update_requested');
    });
  });
});

test('ALPN: our server selects http/1.1 from s_client\'s list', async () => {
  await withServer('p256', { alpn: ['http/1.1'] }, async (s) => {
    await withPeer(() => opensslClient(s.port, [...verifyArgs, '-alpn', 'h2,http/1.1']), async (client) => {
      const conn = await s.connection();
      const hs = await handshake(conn.socket);
      assert.is(hs.alpn, 'http/1.1');
      await echo(conn, client, 'alpn');
      assert.match(client.output(), /ALPN protocol: http\/1\.1/);
    });
  });
});

test('SNI: our server sees localhost, and refuses a name outside serverNames with unrecognized_name', async () => {
  await withServer('p256', { serverNames: ['localhost'] }, async (s) => {
    await withPeer(() => opensslClient(s.port, verifyArgs), async (client) => {
      const conn = await s.connection(1);
      const hs = await handshake(conn.socket);
      assert.is(hs.serverName, 'localhost');
      await echo(conn, client, 'sni');
    });
    await withPeer(() => opensslClient(s.port, ['-servername', 'other.example', '-CAfile', pki.root.certPath]), async (client) => {
      const conn = await s.connection(2);
      const err = await handshake(conn.socket).then(() => undefined, (e: unknown) => e as { alert?: string });
      assert.is(err?.alert, 'unrecognized_name');
      await client.waitFor(/unrecognized name/i);
    });
  });
});

test.run();
