// The certificate policy rules of docs/tls.md ("Certificate policy"), one test per rule, each built from
// certificates made here (test/support/x509-builder.ts: a good chain, then one field changed). Every
// refusal is checked for its code, the rule it cites, and the certificate it names (position, subject).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { CertificateVerifier, CertificateError, CertificateConfigError, TrustStore, type VerifyRequest } from '../../runtime/x509/index.ts';
import {
  makeRoot, makeIntermediate, makeLeaf, makeCert, makeKey, makeCrl, seq, tlv, ipv4, EKU,
  type TestCert, type CertSpec,
} from '../support/x509-builder.ts';

const crypto = createNodeProvider();
const DAY = 86400_000;
const NOW = Date.now();
const root = makeRoot();
const inter = makeIntermediate(root);
const verifier = new CertificateVerifier({ crypto, trustAnchors: [root.der] });

function req(chain: readonly TestCert[], serverName = 'www.example.com', extra: Partial<VerifyRequest> = {}): VerifyRequest {
  return { chain: chain.map((c) => c.der), now: NOW, purpose: 'serverAuth', serverName, ...extra };
}

async function refuses(p: Promise<unknown>, code: string, rule: string | RegExp, index: number | undefined, subject?: string): Promise<CertificateError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof CertificateError)) throw e;
    assert.is(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (typeof rule === 'string') assert.ok(e.rule?.includes(rule), `rule "${e.rule}" should cite ${rule} (${e.message})`);
    else assert.match(e.rule ?? '', rule);
    assert.is(e.certificateIndex, index, `certificate index (${e.message})`);
    if (subject !== undefined) {
      assert.is(e.subject, subject);
      assert.ok(e.message.includes(`"${subject}"`), `message names the subject: ${e.message}`);
    }
    return e;
  }
  assert.unreachable(`expected ${code}, but verification succeeded`);
  throw new Error('unreachable');
}

/** A leaf under `inter` with one field changed. */
const leafWith = (spec: CertSpec, dns = 'www.example.com'): TestCert => makeLeaf(inter, spec, dns);

test('baseline: the builder chain root > intermediate > leaf is accepted (every rule test changes one field of it)', async () => {
  const r = await verifier.verify(req([leafWith({}), inter]));
  assert.is(r.path.length, 3);
  assert.is(r.anchorSubject, 'CN=Test Root');
});

// --- Name constraints -------------------------------------------------------------------------------

test('RFC 5280 §4.2.1.10: wildcard SAN *.example.com is refused under an intermediate excluding bar.example.com (CVE-2025-61727 pattern)', async () => {
  const nc = makeIntermediate(root, { subject: ['NC excluded bar'], nameConstraints: { excluded: [{ dns: 'bar.example.com' }] } });
  const leaf = makeLeaf(nc, { san: [{ dns: '*.example.com' }] });
  const e = await refuses(verifier.verify(req([leaf, nc], 'bar.example.com')), 'CERT_NAME_CONSTRAINTS', '§4.2.1.10', 0, 'CN=leaf');
  assert.match(e.message, /excluded subtree "bar\.example\.com"/);
  // The same wildcard is refused whatever name the client asked for, and a wildcard that cannot reach the subtree passes.
  await refuses(verifier.verify(req([leaf, nc], 'foo.example.com')), 'CERT_NAME_CONSTRAINTS', '§4.2.1.10', 0);
  await verifier.verify(req([makeLeaf(nc, { san: [{ dns: '*.foo.example.com' }] }), nc], 'a.foo.example.com'));
});

test('RFC 5280 §4.2.1.10: a wildcard is inside a permitted subtree only when every name it matches is', async () => {
  const nc = makeIntermediate(root, { subject: ['NC permitted example.com'], nameConstraints: { permitted: [{ dns: 'example.com' }] } });
  await verifier.verify(req([makeLeaf(nc, { san: [{ dns: '*.example.com' }] }), nc], 'a.example.com'));
  await refuses(verifier.verify(req([makeLeaf(nc, { san: [{ dns: '*.example.org' }] }), nc], 'a.example.org')), 'CERT_NAME_CONSTRAINTS', '§4.2.1.10', 0);
  await refuses(verifier.verify(req([makeLeaf(nc, { san: [{ dns: 'www.example.com' }, { dns: 'evil.test' }] }), nc])), 'CERT_NAME_CONSTRAINTS', '§4.2.1.10', 0);
});

test('RFC 5280 §4.2.1.6: a malformed dNSName SAN ".example.com" is refused, not counted inside a permitted example.com', async () => {
  const nc = makeIntermediate(root, { subject: ['NC permitted example.com'], nameConstraints: { permitted: [{ dns: 'example.com' }] } });
  const leaf = makeLeaf(nc, { san: [{ dns: 'www.example.com' }, { dns: '.example.com' }] });
  const e = await refuses(verifier.verify(req([leaf, nc])), 'CERT_PROFILE', '§4.2.1.6', 0, 'CN=leaf');
  assert.match(e.message, /"\.example\.com"/);
});

test('RFC 5280 §4.2.1.6: an iPAddress SAN of 8 bytes is refused, not dropped', async () => {
  const leaf = leafWith({ san: [{ dns: 'www.example.com' }, { ip: ipv4(10, 0, 0, 1, 255, 255, 255, 255) }] });
  const e = await refuses(verifier.verify(req([leaf, inter])), 'CERT_PROFILE', '§4.2.1.6', 0, 'CN=leaf');
  assert.match(e.message, /8 bytes/);
});

test('RFC 5280 §4.2.1.10: nameConstraints with no subtrees, or an empty permitted/excluded sequence, is refused', async () => {
  for (const [what, value] of [['empty SEQUENCE', seq()], ['empty permittedSubtrees', seq(tlv(0xa0))], ['empty excludedSubtrees', seq(tlv(0xa1))]] as const) {
    const nc = makeIntermediate(root, { subject: ['NC empty'], nameConstraints: value });
    const e = await refuses(verifier.verify(req([leafWith({}), nc])), 'CERT_MALFORMED', '§4.1', 1);
    assert.match(e.message, /§4\.2\.1\.10/, what);
  }
});

test('RFC 5280 §6.1.1, §4.2.1.10: the trust anchor\'s own nameConstraints apply (DNS and IP, permitted and excluded)', async () => {
  const ncRoot = makeRoot({
    subject: ['Constrained Root'],
    nameConstraints: { permitted: [{ dns: 'example.com' }, { ip: ipv4(10, 0, 0, 0, 255, 0, 0, 0) }], excluded: [{ dns: 'bad.example.com' }, { ip: ipv4(10, 9, 0, 0, 255, 255, 0, 0) }] },
  });
  const v = new CertificateVerifier({ crypto, trustAnchors: [ncRoot.der] });
  const i = makeIntermediate(ncRoot);
  await v.verify(req([makeLeaf(i, { san: [{ dns: 'www.example.com' }, { ip: ipv4(10, 1, 2, 3) }] }), i]));
  const cases: [string, CertSpec][] = [
    ['DNS outside permitted', { san: [{ dns: 'www.example.org' }] }],
    ['DNS inside excluded', { san: [{ dns: 'x.bad.example.com' }] }],
    ['IP outside permitted', { san: [{ dns: 'www.example.com' }, { ip: ipv4(192, 168, 0, 1) }] }],
    ['IP inside excluded', { san: [{ dns: 'www.example.com' }, { ip: ipv4(10, 9, 1, 1) }] }],
  ];
  for (const [what, spec] of cases) {
    const e = await refuses(v.verify(req([makeLeaf(i, spec), i])), 'CERT_NAME_CONSTRAINTS', '§4.2.1.10', 0);
    assert.match(e.message, /trust anchor 0 \(subject "CN=Constrained Root"\)/, what);
  }
});

// --- Path building ----------------------------------------------------------------------------------

test('RFC 5280 §6.1 path building backtracks: an intermediate whose name constraints exclude the leaf is passed over for another issuer', async () => {
  const key = makeKey('p256');
  const constrained = makeIntermediate(root, { key, nameConstraints: { excluded: [{ dns: 'example.com' }] } });
  const plain = makeIntermediate(root, { key });
  const leaf = makeLeaf(plain);
  const r = await verifier.verify(req([leaf, constrained, plain]));
  assert.equal(Buffer.from(r.path[1]!), Buffer.from(plain.der));
  await refuses(verifier.verify(req([leaf, constrained])), 'CERT_NAME_CONSTRAINTS', '§4.2.1.10', 0);
});

test('RFC 5280 §6.1 path building backtracks over trust anchors: an expired anchor is passed over for a current one with the same name and key', async () => {
  const key = makeKey('p256');
  const old = makeRoot({ key, notBefore: new Date(NOW - 400 * DAY), notAfter: new Date(NOW - DAY) });
  const current = makeRoot({ key });
  const i = makeIntermediate(current);
  const v = new CertificateVerifier({ crypto, trustAnchors: [old.der, current.der] });
  const r = await v.verify(req([makeLeaf(i), i]));
  assert.equal(Buffer.from(r.path[2]!), Buffer.from(current.der));
});

test('path building: a 36-certificate chain with a valid path inside builds (34 look-alike issuers tried and refused, no fixed length limit)', async () => {
  const decoys = Array.from({ length: 34 }, () => makeIntermediate(root, { keyId: inter.keyId })); // same name and key id as `inter`, other keys
  const leaf = leafWith({});
  const chain = [leaf, ...decoys, inter];
  assert.is(chain.length, 36);
  const r = await verifier.verify(req(chain));
  assert.is(r.path.length, 3);
  assert.equal(Buffer.from(r.path[1]!), Buffer.from(inter.der));
  assert.ok(r.signatureChecks >= 36 && r.signatureChecks <= 40, `signature checks: ${r.signatureChecks}`);
});

test('path building is bounded by a signature-check budget (as rustls-webpki), not by the chain length', async () => {
  const decoys = Array.from({ length: 12 }, () => makeIntermediate(root, { keyId: inter.keyId }));
  const small = new CertificateVerifier({ crypto, trustAnchors: [root.der], maxSignatureChecks: 10 });
  const e = await refuses(small.verify(req([leafWith({}), ...decoys, inter])), 'CERT_PATH_BUDGET_EXCEEDED', 'budget', 0);
  assert.match(e.message, /10 signature checks/);
});

test('path building is bounded in depth (maxIntermediates, default 8): a 5-intermediate path builds, a limit of 3 refuses it', async () => {
  const cas: TestCert[] = [];
  let issuer = root;
  for (let n = 0; n < 5; n++) { issuer = makeIntermediate(issuer, { subject: [`Level ${n}`] }); cas.push(issuer); }
  const leaf = makeLeaf(issuer);
  const chain = [leaf, ...cas.reverse()];
  const r = await verifier.verify(req(chain));
  assert.is(r.path.length, 7);
  const shallow = new CertificateVerifier({ crypto, trustAnchors: [root.der], maxIntermediates: 3 });
  const e = await refuses(shallow.verify(req(chain)), 'CERT_PATH_BUDGET_EXCEEDED', 'maxIntermediates', 0);
  assert.match(e.message, /within 3 intermediates/);
});

// --- Trust anchor constraints ----------------------------------------------------------------------

test('RFC 5280 §4.1.2.5: an expired trust anchor is refused, naming the anchor', async () => {
  const old = makeRoot({ subject: ['Old Root'], notBefore: new Date(NOW - 400 * DAY), notAfter: new Date(NOW - DAY) });
  const i = makeIntermediate(old);
  const e = await refuses(new CertificateVerifier({ crypto, trustAnchors: [old.der] }).verify(req([makeLeaf(i), i])), 'CERT_EXPIRED', '§4.1.2.5', undefined, 'CN=Old Root');
  assert.match(e.message, /trust anchor 0/);
  assert.match(e.message, /replace the expired root/);
});

test('RFC 5280 §4.2: a trust anchor with an unknown critical extension is refused', async () => {
  const r = makeRoot({ subject: ['Odd Root'], extra: [{ oid: '1.3.6.1.4.1.55555.9', critical: true, value: seq() }] });
  const i = makeIntermediate(r);
  const e = await refuses(new CertificateVerifier({ crypto, trustAnchors: [r.der] }).verify(req([makeLeaf(i), i])), 'CERT_UNSUPPORTED_CRITICAL_EXTENSION', '§4.2', undefined, 'CN=Odd Root');
  assert.match(e.message, /1\.3\.6\.1\.4\.1\.55555\.9/);
});

test('CABF BR §6.1.5: a trust anchor with an RSA-1024 key is refused', async () => {
  const r = makeRoot({ subject: ['Weak Root'], key: makeKey({ rsa: 1024 }, 'weak-root') });
  const i = makeIntermediate(r);
  const e = await refuses(new CertificateVerifier({ crypto, trustAnchors: [r.der] }).verify(req([makeLeaf(i), i])), 'CERT_WEAK_KEY', '§6.1.5', undefined, 'CN=Weak Root');
  assert.match(e.message, /1024 bits/);
});

test('RFC 5480 §2.1.1 / CABF BR §7.1.3.1: a trust anchor with explicit EC curve parameters is refused', async () => {
  const r = makeRoot({ subject: ['Explicit Root'], key: makeKey('p256-explicit') });
  const i = makeIntermediate(r);
  const e = await refuses(new CertificateVerifier({ crypto, trustAnchors: [r.der] }).verify(req([makeLeaf(i), i])), 'CERT_WEAK_KEY', '§7.1.3.1', undefined, 'CN=Explicit Root');
  assert.match(e.message, /explicit curve parameters/);
});

test('RFC 5280 §4.2.1.9, §4.2.1.2, §4.2.1.1, §4.1.2.4: a trust anchor outside the CA profile is refused (no or non-critical basicConstraints, no or critical SKI, critical AKI, empty issuer)', async () => {
  const key = makeKey('p256');
  const cases: [string, CertSpec, string][] = [
    ['no basicConstraints', { ca: undefined }, '§4.2.1.9'],
    ['non-critical basicConstraints', { bcCritical: false }, '§4.2.1.9'],
    ['no SKI', { ski: 'omit' }, '§4.2.1.2'],
    ['critical SKI', { ski: 'critical' }, '§4.2.1.2'],
    ['critical AKI', { extra: [{ oid: '2.5.29.35', critical: true, value: seq(tlv(0x80, Uint8Array.of(1, 2, 3))) }] }, '§4.2.1.1'],
    ['empty issuer', { issuerName: [] }, '§4.1.2.4'],
  ];
  for (const [what, spec, rule] of cases) {
    const r = makeRoot({ subject: ['Odd Root'], key, ...spec });
    const i = makeIntermediate(r);
    const e = await refuses(new CertificateVerifier({ crypto, trustAnchors: [r.der] }).verify(req([makeLeaf(i), i])), spec.ca === undefined && 'ca' in spec ? 'CERT_NOT_A_CA' : 'CERT_PROFILE', rule, undefined, 'CN=Odd Root');
    assert.match(e.message, /trust anchor 0/, what);
  }
  // A self-signed root without AKI is fine (RFC 5280 §4.2.1.1 exception).
  const plainRoot = makeRoot({ subject: ['Plain Root'] });
  const pi = makeIntermediate(plainRoot);
  await new CertificateVerifier({ crypto, trustAnchors: [plainRoot.der] }).verify(req([makeLeaf(pi), pi]));
});

// --- RFC 5280 profile ------------------------------------------------------------------------------

test('RFC 5280 §4.2.1.1 / §4.2.1.2: a critical authorityKeyIdentifier (leaf) or subjectKeyIdentifier (intermediate) is refused', async () => {
  await refuses(verifier.verify(req([leafWith({ aki: 'critical' }), inter])), 'CERT_PROFILE', '§4.2.1.1', 0, 'CN=leaf');
  const i = makeIntermediate(root, { subject: ['Critical SKI'], ski: 'critical' });
  await refuses(verifier.verify(req([makeLeaf(i), i])), 'CERT_PROFILE', '§4.2.1.2', 1, 'CN=Critical SKI');
});

test('RFC 5280 §4.2.1.1: a leaf or intermediate without authorityKeyIdentifier is refused', async () => {
  await refuses(verifier.verify(req([leafWith({ aki: 'omit' }), inter])), 'CERT_PROFILE', '§4.2.1.1', 0, 'CN=leaf');
  const i = makeIntermediate(root, { subject: ['No AKI'], aki: 'omit' });
  await refuses(verifier.verify(req([makeLeaf(i), i])), 'CERT_PROFILE', '§4.2.1.1', 1, 'CN=No AKI');
});

test('RFC 5280 §4.2.1.2: a CA certificate without subjectKeyIdentifier is refused', async () => {
  const i = makeIntermediate(root, { subject: ['No SKI'], ski: 'omit' });
  await refuses(verifier.verify(req([makeLeaf(i), i])), 'CERT_PROFILE', '§4.2.1.2', 1, 'CN=No SKI');
});

test('RFC 5280 §4.1.2.2: a serial number of zero or longer than 20 octets is refused; 20 octets are accepted', async () => {
  await refuses(verifier.verify(req([leafWith({ serial: Uint8Array.of(0) }), inter])), 'CERT_PROFILE', '§4.1.2.2', 0, 'CN=leaf');
  const long = new Uint8Array(21).fill(0x11);
  await refuses(verifier.verify(req([leafWith({ serial: long }), inter])), 'CERT_PROFILE', '§4.1.2.2', 0);
  await refuses(verifier.verify(req([leafWith({ serial: Uint8Array.of(0xff, 0x01) }), inter])), 'CERT_PROFILE', '§4.1.2.2', 0); // negative
  const twenty = new Uint8Array(21).fill(0xaa);
  twenty[0] = 0; // 20 significant octets with the high bit set need a leading zero
  await verifier.verify(req([leafWith({ serial: twenty }), inter]));
});

test('RFC 5280 §4.1.2.6: a CA certificate with an empty subject is refused', async () => {
  const i = makeIntermediate(root, { subject: [] });
  const e = await refuses(verifier.verify(req([makeLeaf(i), i])), 'CERT_PROFILE', '§4.1.2.6', 1, '');
  assert.match(e.message, /empty subject/);
});

test('RFC 5280 §4.2.1.6: a leaf with an empty subject needs a critical subjectAltName', async () => {
  await refuses(verifier.verify(req([leafWith({ subject: [] }), inter])), 'CERT_PROFILE', '§4.2.1.6', 0);
  await verifier.verify(req([leafWith({ subject: [], sanCritical: true }), inter]));
});

test('RFC 5280 §4.2.1.6: a dNSName with an underscore is refused', async () => {
  const e = await refuses(verifier.verify(req([leafWith({ san: [{ dns: 'www.example.com' }, { dns: 'my_host.example.com' }] }), inter])), 'CERT_PROFILE', '§4.2.1.6', 0);
  assert.match(e.message, /underscore/);
});

test('RFC 5280 §4.2.1.10: nameConstraints on an end-entity certificate is refused', async () => {
  await refuses(verifier.verify(req([leafWith({ nameConstraints: { permitted: [{ dns: 'example.com' }] } }), inter])), 'CERT_PROFILE', '§4.2.1.10', 0, 'CN=leaf');
});

test('RFC 5280 §4.2.1.3: keyCertSign on a leaf (CA:FALSE) is refused', async () => {
  await refuses(verifier.verify(req([leafWith({ keyUsage: [0, 5] }), inter])), 'CERT_PROFILE', '§4.2.1.3', 0, 'CN=leaf');
});

test('RFC 5280 §4.2.1.9: an intermediate with a non-critical basicConstraints, or without keyUsage, is refused', async () => {
  const a = makeIntermediate(root, { subject: ['BC not critical'], bcCritical: false });
  await refuses(verifier.verify(req([makeLeaf(a), a])), 'CERT_PROFILE', '§4.2.1.9', 1, 'CN=BC not critical');
  const b = makeIntermediate(root, { subject: ['No KU'], keyUsage: undefined });
  await refuses(verifier.verify(req([makeLeaf(b), b])), 'CERT_PROFILE', '§4.2.1.3', 1, 'CN=No KU');
});

// --- Server certificate rules (CA/Browser Forum) -----------------------------------------------------

test('CABF BR §7.1.2.7.10: a server leaf with anyExtendedKeyUsage only, or with no EKU, is refused', async () => {
  const e = await refuses(verifier.verify(req([leafWith({ eku: [EKU.any] }), inter])), 'CERT_EXTENDED_KEY_USAGE', '§7.1.2.7.10', 0, 'CN=leaf');
  assert.match(e.message, /anyExtendedKeyUsage alone/);
  await refuses(verifier.verify(req([leafWith({ eku: undefined }), inter])), 'CERT_EXTENDED_KEY_USAGE', '§7.1.2.7.10', 0);
});

test('CABF BR §7.1.2.7.6: a server leaf with a critical extendedKeyUsage is refused', async () => {
  await refuses(verifier.verify(req([leafWith({ ekuCritical: true }), inter])), 'CERT_EXTENDED_KEY_USAGE', '§7.1.2.7.6', 0, 'CN=leaf');
});

test('CABF BR §3.2.2.6: a wildcard directly under a public suffix is refused (built-in list), under a registered domain it is not', async () => {
  for (const w of ['*.co.uk', '*.github.io', '*.com']) {
    await refuses(verifier.verify(req([leafWith({ san: [{ dns: w }, { dns: 'www.example.com' }] }), inter])), 'CERT_PROFILE', '§3.2.2.6', 0);
  }
  await verifier.verify(req([leafWith({ san: [{ dns: '*.example.co.uk' }] }), inter], 'www.example.co.uk'));
});

test('CABF BR §6.1.5 / §7.1.3.1: leaf keys P-192, DSA, RSA-1024 and an RSA modulus not a multiple of 8 are refused; RSA-2048 is accepted', async () => {
  const cases: [string, Parameters<typeof makeKey>[0], RegExp][] = [
    ['P-192', 'p192', /P-192/], ['DSA', 'dsa', /DSA/], ['RSA-1024', { rsa: 1024 }, /1024 bits/], ['RSA-2052', { rsa: 2052 }, /not a multiple of 8/],
  ];
  for (const [what, type, msg] of cases) {
    const e = await refuses(verifier.verify(req([leafWith({ key: makeKey(type, 'leaf') }), inter])), 'CERT_WEAK_KEY', '§6.1.5', 0, 'CN=leaf');
    assert.match(e.message, msg, what);
  }
  await verifier.verify(req([leafWith({ key: makeKey({ rsa: 2048 }, 'leaf') }), inter]));
});

test('CABF BR §6.1.5: an intermediate with an RSA-1024 key is refused (issue 8: weak server keys)', async () => {
  const i = makeIntermediate(root, { subject: ['Weak Intermediate'], key: makeKey({ rsa: 1024 }, 'weak-inter') });
  await refuses(verifier.verify(req([makeLeaf(i), i])), 'CERT_WEAK_KEY', '§6.1.5', 1, 'CN=Weak Intermediate');
});

// --- Client certificates --------------------------------------------------------------------------

test('RFC 5280 §4.2.1.12: a server verifying a client certificate needs clientAuth (serverAuth-only and anyEKU-only are refused; no EKU is accepted)', async () => {
  const client = (eku: readonly string[] | undefined): VerifyRequest => ({ chain: [makeLeaf(inter, { eku }).der, inter.der], now: NOW, purpose: 'clientAuth' });
  await verifier.verify(client([EKU.clientAuth]));
  await verifier.verify(client(undefined));
  await refuses(verifier.verify(client([EKU.serverAuth])), 'CERT_EXTENDED_KEY_USAGE', '§4.2.1.12', 0);
  await refuses(verifier.verify(client([EKU.any])), 'CERT_EXTENDED_KEY_USAGE', '§4.2.1.12', 0);
  const serverOnlyCa = makeIntermediate(root, { subject: ['Server-only CA'], eku: [EKU.serverAuth] });
  await refuses(verifier.verify({ chain: [makeLeaf(serverOnlyCa, { eku: [EKU.clientAuth] }).der, serverOnlyCa.der], now: NOW, purpose: 'clientAuth' }), 'CERT_EXTENDED_KEY_USAGE', '§7.1.2.2', 1, 'CN=Server-only CA');
});

// --- Revocation -------------------------------------------------------------------------------------

test('RFC 5280 §6.3: a leaf or intermediate revoked by a supplied CRL is refused with certificate_revoked; others pass', async () => {
  const leaf = leafWith({});
  const other = leafWith({});
  const interCrl = makeCrl({ issuer: inter, revoked: [leaf.serial], crlNumber: 7 });
  const v = new CertificateVerifier({ crypto, trustAnchors: [root.der], crls: [interCrl.pem] });
  const e = await refuses(v.verify(req([leaf, inter])), 'CERT_REVOKED', '§6.3', 0, 'CN=leaf');
  assert.is(e.alert, 'certificate_revoked');
  assert.match(e.message, /number 7/);
  await v.verify(req([other, inter]));
  const rootCrl = makeCrl({ issuer: root, revoked: [inter.serial] });
  const v2 = new CertificateVerifier({ crypto, trustAnchors: [root.der], crls: [rootCrl.der, interCrl.der] });
  await refuses(v2.verify(req([other, inter])), 'CERT_REVOKED', '§6.3', 1, 'CN=Test Intermediate');
});

test('RFC 5280 §6.3.3: the newest CRL (highest cRLNumber) decides; a CRL signed by another key with the same issuer name is ignored', async () => {
  const leaf = leafWith({});
  const older = makeCrl({ issuer: inter, revoked: [leaf.serial], crlNumber: 1 });
  const newer = makeCrl({ issuer: inter, revoked: [], crlNumber: 2 });
  await new CertificateVerifier({ crypto, trustAnchors: [root.der], crls: [older.der, newer.der] }).verify(req([leaf, inter]));
  const forged = makeCrl({ issuer: inter, signer: makeKey('p256'), revoked: [leaf.serial], crlNumber: 9 });
  await new CertificateVerifier({ crypto, trustAnchors: [root.der], crls: [forged.der] }).verify(req([leaf, inter]));
});

test('RFC 5280 §5.1.2.4-5 / §5.2.3 / §5.2: an expired, not-yet-valid, unnumbered or critically-extended CRL makes the status unknown (refused, not ignored)', async () => {
  const leaf = leafWith({});
  const cases: [string, Parameters<typeof makeCrl>[0], RegExp][] = [
    ['expired', { issuer: inter, thisUpdate: new Date(NOW - 10 * DAY), nextUpdate: new Date(NOW - DAY) }, /expired at/],
    ['not yet valid', { issuer: inter, thisUpdate: new Date(NOW + DAY) }, /not valid before/],
    ['no cRLNumber', { issuer: inter, crlNumber: null }, /no cRLNumber/],
    ['critical issuingDistributionPoint', { issuer: inter, extra: [{ oid: '2.5.29.28', critical: true, value: seq() }] }, /issuingDistributionPoint/],
    ['critical unknown entry extension', { issuer: inter, revoked: [Uint8Array.of(1)], entryExtensions: [{ oid: '1.3.6.1.4.1.55555.2', critical: true, value: seq() }] }, /55555\.2/],
  ];
  for (const [what, spec, msg] of cases) {
    const v = new CertificateVerifier({ crypto, trustAnchors: [root.der], crls: [makeCrl(spec).der] });
    const e = await refuses(v.verify(req([leaf, inter])), 'CERT_REVOCATION_UNKNOWN', '§6.3', 0, 'CN=leaf');
    assert.match(e.message, msg, what);
  }
});

test('a malformed CRL is a configuration error (CERT_BAD_CRL) at construction', () => {
  const good = makeCrl({ issuer: inter }).der;
  for (const bad of [good.subarray(0, 40), Uint8Array.of(0x30, 0), '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----']) {
    assert.throws(() => new CertificateVerifier({ crypto, trustAnchors: [root.der], crls: [bad] }), (e: unknown) => e instanceof CertificateConfigError && e.code === 'CERT_BAD_CRL');
  }
});

// --- Pinned certificates and chain order -----------------------------------------------------------

test('a pinned self-signed leaf (itself a trust anchor) is accepted without EKU, but not with an EKU lacking serverAuth, nor once expired', async () => {
  const pinned = makeCert({ subject: ['pinned.example'], san: [{ dns: 'pinned.example' }] });
  const v = new CertificateVerifier({ crypto, trustAnchors: [pinned.der] });
  await v.verify(req([pinned], 'pinned.example'));
  const clientOnly = makeCert({ subject: ['pinned.example'], san: [{ dns: 'pinned.example' }], eku: [EKU.clientAuth] });
  await refuses(new CertificateVerifier({ crypto, trustAnchors: [clientOnly.der] }).verify(req([clientOnly], 'pinned.example')), 'CERT_EXTENDED_KEY_USAGE', '§4.2.1.12', 0);
  const old = makeCert({ subject: ['pinned.example'], san: [{ dns: 'pinned.example' }], notBefore: new Date(NOW - 10 * DAY), notAfter: new Date(NOW - DAY) });
  await refuses(new CertificateVerifier({ crypto, trustAnchors: [old.der] }).verify(req([old], 'pinned.example')), 'CERT_EXPIRED', '§4.1.2.5', 0);
});

test('RFC 5280 §4.2.1.9: an untrusted self-signed certificate (CA or not) sent as the leaf, or an intermediate sent first, is refused with advice for that case', async () => {
  const selfCa = makeRoot({ subject: ['Self CA'] });
  const a = await refuses(verifier.verify(req([selfCa])), 'CERT_UNTRUSTED', '§6.1', 0, 'CN=Self CA');
  assert.match(a.message, /self-signed and is not one of the trust anchors.*add this exact certificate to trustAnchors/);
  const b = await refuses(verifier.verify(req([inter, leafWith({})])), 'CERT_CA_AS_LEAF', '§4.2.1.9', 0, 'CN=Test Intermediate');
  assert.match(b.message, /chain is out of order \(RFC 5280 §4.2.1.9, RFC 8446 §4.4.2\); the peer must send its own certificate first/);
  const selfLeaf = makeCert({ subject: ['self.example'], ca: false, keyUsage: [0], eku: [EKU.serverAuth], san: [{ dns: 'self.example' }] });
  const c = await refuses(verifier.verify(req([selfLeaf], 'self.example')), 'CERT_UNTRUSTED', '§6.1', 0, 'CN=self.example');
  assert.match(c.message, /self-signed: to trust exactly this certificate, add it to the trust anchors/);
});

test('mutated CRLs are either a CERT_BAD_CRL configuration error or a usable CRL, never another exception (property)', () => {
  const good = makeCrl({ issuer: inter, revoked: [Uint8Array.of(1), Uint8Array.of(2)] }).der;
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    fc.option(fc.nat({ max: good.length }), { nil: undefined }),
    (edits, cut) => {
      const der = new Uint8Array(good);
      for (const [i, v] of edits) der[i] = v;
      try {
        new CertificateVerifier({ crypto, trustAnchors: [root.der], crls: [cut === undefined ? der : der.subarray(0, cut)] });
      } catch (e) {
        if (!(e instanceof CertificateConfigError) || e.code !== 'CERT_BAD_CRL') throw e;
      }
    },
  ), { numRuns: 500 });
});

test('mutated certificates carrying every extension the verifier decodes never escape as anything but CertificateError (property)', async () => {
  const nc = makeIntermediate(root, { subject: ['NC fuzz'], nameConstraints: { permitted: [{ dns: 'example.com' }, { ip: ipv4(10, 0, 0, 0, 255, 0, 0, 0) }], excluded: [{ dns: 'bad.example.com' }] } });
  const leaf = makeLeaf(nc, { san: [{ dns: 'www.example.com' }, { ip: ipv4(10, 0, 0, 1) }] });
  await verifier.verify(req([leaf, nc]));
  const crl = makeCrl({ issuer: nc, revoked: [Uint8Array.of(5)] });
  const v = new CertificateVerifier({ crypto, trustAnchors: [root.der], crls: [crl.der] });
  await fc.assert(fc.asyncProperty(
    fc.boolean(),
    fc.array(fc.tuple(fc.nat({ max: 10_000 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
    async (which, edits) => {
      const target = new Uint8Array(which ? leaf.der : nc.der);
      for (const [i, b] of edits) target[i % target.length] = b;
      const chain = which ? [target, nc.der] : [leaf.der, target];
      try {
        await v.verify({ chain, now: NOW, purpose: 'serverAuth', serverName: 'www.example.com' });
      } catch (e) {
        if (!(e instanceof CertificateError)) throw e;
      }
    },
  ), { numRuns: 400 });
});

test('DER lengths must be minimal: a long-form length for a short element is CERT_MALFORMED', async () => {
  const leaf = leafWith({});
  // Re-encode the outer SEQUENCE length with one extra leading zero octet (82 xx xx -> 83 00 xx xx).
  const d = leaf.der;
  assert.is(d[1], 0x82);
  const bad = Uint8Array.from([0x30, 0x83, 0x00, d[2]!, d[3]!, ...d.subarray(4)]);
  await refuses(verifier.verify({ ...req([leaf, inter]), chain: [bad, inter.der] }), 'CERT_MALFORMED', '§4.1', 0);
});

// --- Trust store ----------------------------------------------------------------------------------

test('TrustStore: one store per anchors array, anchors decoded once and shared by every verifier built on it', async () => {
  const anchors = [root.der, makeRoot({ subject: ['Unused'] }).der];
  const a = TrustStore.of(anchors);
  assert.is(TrustStore.of(anchors), a);
  const v1 = new CertificateVerifier({ crypto, trustAnchors: anchors });
  const v2 = new CertificateVerifier({ crypto, trustAnchors: a });
  assert.is(v1.store, a);
  assert.is(v2.store, a);
  await v1.verify(req([leafWith({}), inter]));
  const parsed = a.anchors[0]!.full();
  await v2.verify(req([leafWith({}), inter]));
  assert.is(a.anchors[0]!.full(), parsed);
  assert.is(a.issuersOf(root.subjectDer).length, 1);
});

test.run();
