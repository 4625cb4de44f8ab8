// protosmith's client (runtime/node connect over TCP) against a real `openssl s_server -tls1_3`,
// one s_server process per case, stopped by pid. Data is echoed both ways in every case:
// what we write must appear in s_server's output, what s_server sends (its stdin) must reach us.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { opensslServer, stopAll, withPeer, OPENSSL_SUITE, OPENSSL_GROUP, type Peer } from './harness.ts';
import { ourClient, handshake, type Watched } from './ours.ts';
import { testPki, type KeyKind } from '../support/pki.ts';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../runtime/tls/index.ts';
import { createNobleProvider } from '../../runtime/crypto/noble/index.ts';
import { createNativeProvider } from '../../runtime/crypto/native/index.ts';

const pki = testPki();
const serverArgs = (kind: KeyKind = 'p256'): string[] =>
  ['-cert', pki.servers[kind].certPath, '-key', pki.servers[kind].keyPath, '-cert_chain', pki.intermediate.certPath];

test.after(stopAll);

async function echo(client: Watched, server: Peer, tag: string): Promise<void> {
  client.socket.write(`to-openssl-${tag}\n`);
  await server.waitFor(new RegExp(`to-openssl-${tag}`));
  server.send(`to-protosmith-${tag}\n`);
  await client.waitFor(`to-protosmith-${tag}`);
}

const SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

for (const suite of SUITES) {
  for (const group of GROUPS) {
    test(`client negotiates ${OPENSSL_SUITE[suite]} with ${OPENSSL_GROUP[group]} against s_server and echoes data`, async () => {
      await withPeer(() => opensslServer([...serverArgs(), '-ciphersuites', OPENSSL_SUITE[suite]!, '-groups', OPENSSL_GROUP[group]!]), async (server) => {
        const c = ourClient(server.port, { cipherSuites: [suite], groups: [group] });
        const hs = await handshake(c.socket);
        assert.is(hs.cipherSuite, suite);
        assert.is(hs.group, group);
        assert.is(hs.resumed, false);
        await echo(c, server, `${suite}-${group}`);
        assert.match(server.output(), new RegExp(`CIPHER is ${OPENSSL_SUITE[suite]}`));
        c.socket.destroy();
      });
    });
  }
}

test('HelloRetryRequest: s_server accepts only P-384, our x25519 share is retried as P-384', async () => {
  await withPeer(() => opensslServer([...serverArgs(), '-groups', 'P-384', '-msg']), async (server) => {
    const c = ourClient(server.port, { groups: [NamedGroup.x25519, NamedGroup.secp384r1] });
    const hs = await handshake(c.socket);
    assert.is(hs.group, NamedGroup.secp384r1);
    await echo(c, server, 'hrr');
    assert.is((server.output().match(/<<< TLS 1.3, Handshake \[length [0-9a-f]+\], ClientHello/g) ?? []).length, 2, 'two ClientHellos reached s_server');
    c.socket.destroy();
  });
});

const SERVER_KEYS: [KeyKind, number][] = [
  ['p384', SignatureScheme.ecdsa_secp384r1_sha384], ['rsa2048', SignatureScheme.rsa_pss_rsae_sha256], ['ed25519', SignatureScheme.ed25519],
];
for (const [kind, scheme] of SERVER_KEYS) {
  test(`verifies s_server's ${kind} certificate and CertificateVerify (scheme 0x${scheme.toString(16)})`, async () => {
    await withPeer(() => opensslServer(serverArgs(kind)), async (server) => {
      const c = ourClient(server.port);
      const hs = await handshake(c.socket);
      assert.is(hs.signatureScheme, scheme);
      assert.is(hs.peerCertificates.length, 2);
      await echo(c, server, kind);
      c.socket.destroy();
    });
  });
}

for (const kind of ['ed25519', 'p384'] as const) {
  test(`the pure-JS noble provider drives our client against s_server (${kind} leaf; chain and CertificateVerify checked through noble)`, async () => {
    await withPeer(() => opensslServer(serverArgs(kind)), async (server) => {
      const c = ourClient(server.port, { crypto: createNobleProvider() });
      const hs = await handshake(c.socket);
      assert.is(hs.signatureScheme, kind === 'ed25519' ? SignatureScheme.ed25519 : SignatureScheme.ecdsa_secp384r1_sha384);
      await echo(c, server, `noble-${kind}`);
      c.socket.destroy();
    });
  });
}

for (const suite of SUITES) {
  test(`the native provider (record AEAD by the addon) drives our client against s_server, 0x${suite.toString(16)}, data both ways`, async () => {
    await withPeer(() => opensslServer(serverArgs()), async (server) => {
      const c = ourClient(server.port, { crypto: createNativeProvider(), cipherSuites: [suite] });
      const hs = await handshake(c.socket);
      assert.is(hs.cipherSuite, suite);
      await echo(c, server, `native-${suite}`);
      c.socket.destroy();
    });
  });
}

test('resumes with a ticket from s_server (second connection is a PSK handshake)', async () => {
  await withPeer(() => opensslServer([...serverArgs(), '-naccept', '2']), async (server) => {
    const first = ourClient(server.port);
    await handshake(first.socket);
    await echo(first, server, 'first');
    await first.until(() => first.sessions.length > 0, 'a NewSessionTicket');
    first.socket.end();
    const second = ourClient(server.port, { session: first.sessions[0]! });
    const hs = await handshake(second.socket);
    assert.is(hs.resumed, true);
    assert.is(hs.peerCertificates.length, 0);
    await echo(second, server, 'second');
    second.socket.destroy();
  });
});

test('0-RTT: s_server -early_data accepts our early data on resumption', async () => {
  await withPeer(() => opensslServer([...serverArgs(), '-naccept', '2', '-early_data']), async (server) => {
    const first = ourClient(server.port);
    await handshake(first.socket);
    await first.until(() => first.sessions.some((s) => s.maxEarlyData > 0), 'a ticket allowing early data');
    first.socket.end();
    const session = first.sessions.find((s) => s.maxEarlyData > 0)!;
    const second = ourClient(server.port, { session, earlyData: new TextEncoder().encode('early-bird-0rtt\n') });
    const hs = await handshake(second.socket);
    assert.is(hs.resumed, true);
    assert.is(hs.earlyDataAccepted, true);
    await server.waitFor(/early-bird-0rtt/);
    await echo(second, server, 'after-0rtt');
    second.socket.destroy();
  });
});

test('client authentication: s_server -Verify 1 accepts our P-256 client certificate', async () => {
  await withPeer(() => opensslServer([...serverArgs(), '-Verify', '1', '-CAfile', pki.root.certPath, '-verify_return_error']), async (server) => {
    const cc = pki.clients.p256;
    const c = ourClient(server.port, { certificateChain: [cc.certPem, pki.intermediate.certPem], signingKey: cc.keyPem });
    await handshake(c.socket);
    await echo(c, server, 'client-auth');
    assert.match(server.output(), /subject=CN ?= ?client-p256/);
    c.socket.destroy();
  });
});

test('client authentication required but no certificate: s_server refuses and our client reports the alert', async () => {
  await withPeer(() => opensslServer([...serverArgs(), '-Verify', '1', '-CAfile', pki.root.certPath, '-verify_return_error']), async (server) => {
    const c = ourClient(server.port);
    // TLS 1.3: our handshake completes before the server judges our (empty) Certificate; the alert follows.
    c.socket.write('x\n');
    await c.until(() => c.errors.length > 0 || c.socket.destroyed, 'the server to refuse us').catch(() => undefined);
    assert.ok(c.errors.length > 0, 'our socket reported an error');
    assert.is((c.errors[0] as { code?: string }).code, 'TLS_PEER_ALERT');
    assert.is((c.errors[0] as { description?: number }).description, 116, 'alert certificate_required');
  });
});

test('KeyUpdate both ways: s_server K (update_requested) and our keyUpdate(true), data flows after each', async () => {
  await withPeer(() => opensslServer(serverArgs()), async (server) => {
    const c = ourClient(server.port);
    await handshake(c.socket);
    await echo(c, server, 'before');
    server.send('K\n');
    await c.until(() => c.keyUpdates.includes('read') && c.keyUpdates.includes('write'), 'our read and write key updates after s_server K');
    await echo(c, server, 'after-server-K');
    const before = c.keyUpdates.length;
    await c.socket.keyUpdate(true);
    assert.ok(c.keyUpdates.slice(before).includes('write'), 'we switched our write keys');
    // OpenSSL answers update_requested with its own KeyUpdate just before its next application data.
    await echo(c, server, 'after-our-K');
    assert.ok(c.keyUpdates.slice(before).includes('read'), 's_server answered with a KeyUpdate and we switched our read keys');
    c.socket.destroy();
  });
});

test('ALPN: s_server picks http/1.1 from our list', async () => {
  await withPeer(() => opensslServer([...serverArgs(), '-alpn', 'http/1.1']), async (server) => {
    const c = ourClient(server.port, { alpn: ['h2', 'http/1.1'] });
    const hs = await handshake(c.socket);
    assert.is(hs.alpn, 'http/1.1');
    await echo(c, server, 'alpn');
    c.socket.destroy();
  });
});

test('SNI: s_server serves its localhost certificate only because our SNI says localhost', async () => {
  // Default certificate is for wrong.example; -servername localhost switches to the second one.
  const args = ['-cert', pki.wrongHost.certPath, '-key', pki.wrongHost.keyPath, '-cert_chain', pki.intermediate.certPath,
    '-servername', 'localhost', '-cert2', pki.wildcard.certPath, '-key2', pki.wildcard.keyPath];
  await withPeer(() => opensslServer(args), async (server) => {
    const c = ourClient(server.port, { serverName: 'localhost', trustAnchors: [pki.root.certPem, pki.intermediate.certPem] });
    await handshake(c.socket);
    await echo(c, server, 'sni');
    c.socket.destroy();
  });
  await withPeer(() => opensslServer(args), async (server) => {
    const c = ourClient(server.port, { serverName: 'a.wild.test', trustAnchors: [pki.root.certPem, pki.intermediate.certPem] });
    const err = await handshake(c.socket).then(() => undefined, (e: unknown) => e as { code?: string });
    assert.is(err?.code, 'CERT_HOSTNAME_MISMATCH', 'SNI a.wild.test gets the default (wrong.example) certificate');
  });
});

test('refuses s_server\'s expired certificate with certificate_expired, and s_server sees the alert', async () => {
  await withPeer(() => opensslServer(['-cert', pki.expired.certPath, '-key', pki.expired.keyPath, '-cert_chain', pki.intermediate.certPath]), async (server) => {
    const c = ourClient(server.port);
    const err = await handshake(c.socket).then(() => undefined, (e: unknown) => e as { code?: string; alert?: string });
    assert.is(err?.code, 'CERT_EXPIRED');
    assert.is(err?.alert, 'certificate_expired');
    await server.waitFor(/certificate expired/i);
  });
});

test.run();
