// Chain verification against PKIs made by the real openssl CLI (test/support/pki.ts), with the
// node crypto provider doing every signature check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { createNobleProvider } from '../../runtime/crypto/noble/index.ts';
import { CertificateVerifier, CertificateError, CertificateConfigError, pemCertificates, type VerifyRequest } from '../../runtime/x509/index.ts';
import { testPki, KEY_KINDS, type PkiCert } from '../support/pki.ts';

const pki = testPki();
const crypto = createNodeProvider();
const verifier = new CertificateVerifier({ crypto, trustAnchors: pki.root.certPem });
const NOW = Date.now();

function server(cert: PkiCert, serverName = 'localhost', extra: Partial<VerifyRequest> = {}): VerifyRequest {
  return { chain: cert.chainDer, now: NOW, purpose: 'serverAuth', serverName, ...extra };
}

async function rejects(p: Promise<unknown>, code: string, alert?: string, index?: number): Promise<CertificateError | CertificateConfigError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof CertificateError) && !(e instanceof CertificateConfigError)) throw e;
    assert.is(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (alert !== undefined) assert.is(e.alert, alert);
    if (index !== undefined && e instanceof CertificateError) assert.is(e.certificateIndex, index);
    return e;
  }
  assert.unreachable(`expected rejection ${code}, but verification succeeded`);
  throw new Error('unreachable');
}

function spkiOf(certPath: string): Uint8Array {
  const pem = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-pubkey'], { encoding: 'utf8' });
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

for (const kind of KEY_KINDS) {
  test(`accepts the ${kind} server chain for localhost and returns the leaf SPKI openssl reports`, async () => {
    const r = await verifier.verify(server(pki.servers[kind]));
    assert.equal(Buffer.from(r.leafSpki), Buffer.from(spkiOf(pki.servers[kind].certPath)));
    assert.is(r.path.length, 3);
    assert.is(r.anchorSubject, 'CN=root');
  });
}

test('signature checks go through the provider: the pure-JS noble provider gives the same verdicts', async () => {
  const noble = new CertificateVerifier({ crypto: createNobleProvider(), trustAnchors: pki.root.certPem });
  for (const kind of KEY_KINDS) await noble.verify(server(pki.servers[kind]));
  const der = new Uint8Array(pki.servers.p256.certDer);
  der[der.length - 5]! ^= 0x01;
  await rejects(noble.verify({ ...server(pki.servers.p256), chain: [der, pki.intermediate.certDer] }), 'CERT_BAD_SIGNATURE', 'bad_certificate', 0);
});

test('accepts 127.0.0.1 and ::1 through iPAddress SAN entries', async () => {
  await verifier.verify(server(pki.servers.p256, '127.0.0.1'));
  await verifier.verify(server(pki.servers.p256, '::1'));
  await verifier.verify(server(pki.servers.p256, '[0:0:0:0:0:0:0:1]'));
  await rejects(verifier.verify(server(pki.servers.p256, '127.0.0.2')), 'CERT_HOSTNAME_MISMATCH', 'certificate_unknown', 0);
});

test('host names compare case-insensitively and ignore one trailing dot', async () => {
  await verifier.verify(server(pki.servers.p256, 'LocalHost.'));
});

test('accepts client certificates for clientAuth without a server name', async () => {
  for (const kind of KEY_KINDS) await verifier.verify({ chain: pki.clients[kind].chainDer, now: NOW, purpose: 'clientAuth' });
});

test('rejects_client_certificate_used_as_server (EKU lacks serverAuth)', async () => {
  const e = await rejects(verifier.verify(server(pki.noServerAuth)), 'CERT_EXTENDED_KEY_USAGE', 'certificate_unknown', 0);
  assert.match(e.message, /serverAuth/);
});

test('rejects_server_certificate_used_as_client (EKU lacks clientAuth)', async () => {
  await rejects(verifier.verify({ chain: pki.servers.p256.chainDer, now: NOW, purpose: 'clientAuth' }), 'CERT_EXTENDED_KEY_USAGE', undefined, 0);
});

test('rejects_expired_leaf with certificate_expired naming the leaf', async () => {
  const e = await rejects(verifier.verify(server(pki.expired)), 'CERT_EXPIRED', 'certificate_expired', 0);
  assert.match(e.message, /CN=expired/);
  assert.match(e.message, /2020-02-01/);
});

test('validity follows the caller clock: a valid chain is expired 60 days later and not yet valid a day before', async () => {
  await rejects(verifier.verify(server(pki.servers.p256, 'localhost', { now: NOW + 60 * 86400_000 })), 'CERT_EXPIRED', 'certificate_expired', 0);
  await rejects(verifier.verify(server(pki.servers.p256, 'localhost', { now: NOW - 86400_000 })), 'CERT_NOT_YET_VALID', 'bad_certificate', 0);
});

test('rejects_wrong_host: SAN wrong.example does not cover localhost', async () => {
  const e = await rejects(verifier.verify(server(pki.wrongHost)), 'CERT_HOSTNAME_MISMATCH', 'certificate_unknown', 0);
  assert.match(e.message, /wrong\.example/);
  await verifier.verify(server(pki.wrongHost, 'wrong.example'));
});

test('never_falls_back_to_common_name: CN=wrong-host is not a usable name', async () => {
  await rejects(verifier.verify(server(pki.wrongHost, 'wrong-host')), 'CERT_HOSTNAME_MISMATCH');
});

test('wildcard covers exactly one leftmost label', async () => {
  await verifier.verify(server(pki.wildcard, 'a.wild.test'));
  await verifier.verify(server(pki.wildcard, 'XN--BCHER-KVA.wild.test'));
  await rejects(verifier.verify(server(pki.wildcard, 'wild.test')), 'CERT_HOSTNAME_MISMATCH');
  await rejects(verifier.verify(server(pki.wildcard, 'a.b.wild.test')), 'CERT_HOSTNAME_MISMATCH');
});

test('rejects_untrusted_root with unknown_ca', async () => {
  const e = await rejects(verifier.verify(server(pki.untrustedLeaf)), 'CERT_UNTRUSTED', 'unknown_ca', 0);
  assert.match(e.message, /other-root/);
});

test('rejects a chain missing its intermediate', async () => {
  await rejects(verifier.verify({ ...server(pki.servers.p256), chain: [pki.servers.p256.certDer] }), 'CERT_UNTRUSTED', 'unknown_ca');
});

test('trusting the intermediate directly is enough for a leaf-only chain', async () => {
  const v = new CertificateVerifier({ crypto, trustAnchors: [pki.intermediate.certDer] });
  const r = await v.verify({ ...server(pki.servers.p256), chain: [pki.servers.p256.certDer] });
  assert.is(r.path.length, 2);
});

test('path building tolerates a shuffled chain with the root and unrelated certificates in it', async () => {
  const c = pki.servers.ed25519;
  const chain = [c.certDer, pki.otherRoot.certDer, pki.root.certDer, pki.wrongHost.certDer, pki.intermediate.certDer];
  const r = await verifier.verify({ ...server(c), chain });
  assert.is(r.path.length, 3);
});

test('rejects_non_ca_issuer: a CA:FALSE certificate cannot issue', async () => {
  await rejects(verifier.verify(server(pki.issuedByLeaf)), 'CERT_NOT_A_CA', 'bad_certificate', 1);
});

test('rejects a path longer than the intermediate pathlen:0 allows', async () => {
  await rejects(verifier.verify(server(pki.tooDeep)), 'CERT_PATH_LEN_EXCEEDED', 'bad_certificate', 2);
});

test('nameConstraints: names inside the permitted subtrees pass, others and excluded ones are refused', async () => {
  await verifier.verify(server(pki.constrained.inside, 'www.allowed.test'));
  await verifier.verify(server(pki.constrained.inside, '127.0.0.1'));
  const out = await rejects(verifier.verify(server(pki.constrained.outside, 'www.allowed.test')), 'CERT_NAME_CONSTRAINTS', 'bad_certificate', 0);
  assert.match(out.message, /evil\.test/);
  const ex = await rejects(verifier.verify(server(pki.constrained.excluded, 'www.allowed.test')), 'CERT_NAME_CONSTRAINTS', 'bad_certificate', 0);
  assert.match(ex.message, /x\.bad\.allowed\.test/);
});

test('nameConstraints of a form not enforced (directoryName) make the CA refused, not ignored', async () => {
  const e = await rejects(verifier.verify(server(pki.dirNameConstrained)), 'CERT_NAME_CONSTRAINTS', 'bad_certificate', 1);
  assert.match(e.message, /directoryName/);
});

test('rejects_unknown_critical_extension naming its OID', async () => {
  const e = await rejects(verifier.verify(server(pki.unknownCritical)), 'CERT_UNSUPPORTED_CRITICAL_EXTENSION', 'unsupported_certificate', 0);
  assert.match(e.message, /1\.3\.6\.1\.4\.1\.55555\.1/);
});

test('rejects_bad_signature: one flipped bit in the leaf signature', async () => {
  const der = new Uint8Array(pki.servers.p256.certDer);
  der[der.length - 5]! ^= 0x01;
  await rejects(verifier.verify({ ...server(pki.servers.p256), chain: [der, pki.intermediate.certDer] }), 'CERT_BAD_SIGNATURE', 'bad_certificate', 0);
});

test('rejects a CA certificate presented as the leaf', async () => {
  await rejects(verifier.verify({ ...server(pki.intermediate), chain: [pki.intermediate.certDer] }), 'CERT_CA_AS_LEAF', 'bad_certificate', 0);
});

test('rejects_malformed_certificate: garbage and truncated DER are CERT_MALFORMED with the index', async () => {
  await rejects(verifier.verify({ ...server(pki.servers.p256), chain: [new Uint8Array([0x30, 0x03, 1, 2, 3])] }), 'CERT_MALFORMED', 'bad_certificate', 0);
  const leaf = pki.servers.p256.certDer;
  await rejects(verifier.verify({ ...server(pki.servers.p256), chain: [leaf, pki.intermediate.certDer.subarray(0, 100)] }), 'CERT_MALFORMED', 'bad_certificate', 1);
});

test('rejects an empty chain, and a chain longer than maxChainLength (default 256, not a fixed 10)', async () => {
  await rejects(verifier.verify({ ...server(pki.servers.p256), chain: [] }), 'CERT_EMPTY_CHAIN', 'bad_certificate');
  const many = Array.from({ length: 11 }, () => pki.intermediate.certDer);
  await verifier.verify({ ...server(pki.servers.p256), chain: [pki.servers.p256.certDer, ...many] });
  const short = new CertificateVerifier({ crypto, trustAnchors: pki.root.certPem, maxChainLength: 10 });
  await rejects(short.verify({ ...server(pki.servers.p256), chain: [pki.servers.p256.certDer, ...many] }), 'CERT_CHAIN_TOO_LONG');
  await rejects(verifier.verify({ ...server(pki.servers.p256), chain: [pki.servers.p256.certDer, ...Array.from({ length: 256 }, () => pki.intermediate.certDer)] }), 'CERT_CHAIN_TOO_LONG');
});

test('configuration errors: no anchors, a non-PEM anchor string, a missing server name', async () => {
  assert.throws(() => new CertificateVerifier({ crypto, trustAnchors: [] }), (e: unknown) => e instanceof CertificateConfigError && e.code === 'CERT_NO_TRUST_ANCHORS');
  assert.throws(() => new CertificateVerifier({ crypto, trustAnchors: '/etc/ssl/ca.pem' }), (e: unknown) => e instanceof CertificateConfigError && e.code === 'CERT_BAD_TRUST_ANCHOR');
  const e = await rejects(verifier.verify({ chain: pki.servers.p256.chainDer, now: NOW, purpose: 'serverAuth' }), 'CERT_BAD_SERVER_NAME');
  assert.is(e.blame, 'config');
});

test('pemCertificates splits a PEM bundle into DER certificates', () => {
  const ders = pemCertificates(pki.servers.rsa2048.chainPem);
  assert.is(ders.length, 2);
  assert.equal(Buffer.from(ders[1]!), Buffer.from(pki.intermediate.certDer));
});

test('mutated certificates never escape as anything but CertificateError (property)', async () => {
  const leaf = pki.servers.p256.certDer;
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(fc.nat({ max: leaf.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    fc.option(fc.nat({ max: leaf.length }), { nil: undefined }),
    async (edits, cut) => {
      const der = new Uint8Array(leaf);
      for (const [i, v] of edits) der[i] = v;
      const input = cut === undefined ? der : der.subarray(0, cut);
      try {
        await verifier.verify({ ...server(pki.servers.p256), chain: [input, pki.intermediate.certDer] });
      } catch (e) {
        if (!(e instanceof CertificateError)) throw e;
      }
    },
  ), { numRuns: 300 });
});

test.run();
