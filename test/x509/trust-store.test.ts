// One trust store per configuration: connect() shares one parsed copy of Node's roots per process, TLS
// configs that reuse an anchors array (as createServer does for every connection) share one TrustStore,
// and a TrustStore object can be passed as `trustAnchors` directly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rootCertificates } from 'node:tls';
import { defaultTrustStore } from '../../runtime/node/connect.ts';
import { peerVerifier } from '../../runtime/tls/negotiation.ts';
import { TrustStore } from '../../runtime/tls/index.ts';
import { clientConfig, serverConfig, connect, crypto, pki } from '../tls/harness.ts';

test('connect() default roots: one TrustStore per process holding every bundled root', () => {
  const s = defaultTrustStore();
  assert.is(defaultTrustStore(), s);
  assert.is(s.length, rootCertificates.length);
});

test('configs reusing one anchors array share one TrustStore; a different array with the same few PEM texts does too', () => {
  const anchors = [pki.root.certPem];
  const a = peerVerifier({ crypto, trustAnchors: anchors })!;
  const b = peerVerifier({ crypto, trustAnchors: anchors })!;
  assert.is.not(a, b);
  assert.is(a.store, b.store);
  assert.is(peerVerifier({ crypto, trustAnchors: [pki.root.certPem] })!.store, a.store);
  assert.is(peerVerifier({ crypto, trustAnchors: [pki.otherRoot.certPem] })!.store === a.store, false);
});

test('a TrustStore passed as trustAnchors verifies the handshake, and a wrong one refuses it', async () => {
  const good = await connect(clientConfig({ trustAnchors: new TrustStore([pki.root.certPem]) }), serverConfig('p256'));
  assert.is(good.client.error, undefined);
  const bad = await connect(clientConfig({ trustAnchors: new TrustStore([pki.otherRoot.certPem]) }), serverConfig('p256'));
  assert.is((bad.client.error as { code?: string } | undefined)?.code, 'CERT_UNTRUSTED');
});

test.run();
