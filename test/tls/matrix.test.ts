// Every cipher suite x key-exchange group x CertificateVerify signature scheme completes an in-memory
// 1-RTT handshake between our client and our server, negotiates exactly what was configured, and
// carries application data both ways.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientConfig, connect, dataOf, ofType, pump, serverConfig, text } from './harness.ts';
import type { KeyKind } from '../support/pki.ts';

const SUITES = { TLS_AES_128_GCM_SHA256: 0x1301, TLS_AES_256_GCM_SHA384: 0x1302, TLS_CHACHA20_POLY1305_SHA256: 0x1303 } as const;
const GROUPS = { x25519: 0x001d, secp256r1: 0x0017, secp384r1: 0x0018 } as const;
const SCHEMES: readonly { name: string; id: number; key: KeyKind }[] = [
  { name: 'ecdsa_secp256r1_sha256', id: 0x0403, key: 'p256' },
  { name: 'ecdsa_secp384r1_sha384', id: 0x0503, key: 'p384' },
  { name: 'rsa_pss_rsae_sha256', id: 0x0804, key: 'rsa2048' },
  { name: 'rsa_pss_rsae_sha384', id: 0x0805, key: 'rsa2048' },
  { name: 'rsa_pss_rsae_sha512', id: 0x0806, key: 'rsa2048' },
  { name: 'ed25519', id: 0x0807, key: 'ed25519' },
];

for (const [suiteName, suite] of Object.entries(SUITES)) {
  for (const [groupName, group] of Object.entries(GROUPS)) {
    for (const scheme of SCHEMES) {
      test(`handshake_completes_with_${suiteName}_${groupName}_${scheme.name}`, async () => {
        const p = await connect(
          clientConfig({ cipherSuites: [suite], groups: [group], signatureSchemes: [scheme.id] }),
          serverConfig(scheme.key),
        );
        assert.is(p.client.state, 'CONNECTED');
        assert.is(p.server.state, 'CONNECTED');
        const c = ofType(p.clientEvents, 'handshakeComplete')[0];
        const s = ofType(p.serverEvents, 'handshakeComplete')[0];
        assert.ok(c && s, 'both sides report handshakeComplete');
        for (const e of [c, s]) {
          assert.is(e.cipherSuite, suite);
          assert.is(e.group, group);
          assert.is(e.resumed, false);
        }
        assert.is(c.signatureScheme, scheme.id);
        assert.ok(c.peerCertificates.length >= 1, 'client saw the server chain');
        await p.client.write(text(`ping ${suiteName}`));
        await p.server.write(text(`pong ${groupName}`));
        await pump(p);
        assert.is(dataOf(p.serverEvents), `ping ${suiteName}`);
        assert.is(dataOf(p.clientEvents), `pong ${groupName}`);
      });
    }
  }
}

test.run();
