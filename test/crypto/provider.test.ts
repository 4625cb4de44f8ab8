// The node provider through its interface: signing-key handles, randomness pinning, transcript
// hashes, key shares and the typed errors each misuse produces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createNodeProvider, nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { CryptoError, NamedGroup, SignatureScheme, cipherSuiteParams } from '../../runtime/crypto/provider.ts';
import { pinnedRandom } from '../../runtime/crypto/testing/pinned-random.ts';
import { testPki, KEY_KINDS } from '../support/pki.ts';

const p = createNodeProvider();
const pki = testPki();

async function err(f: () => unknown): Promise<CryptoError> {
  try { await f(); } catch (e) { assert.instance(e, CryptoError); return e as CryptoError; }
  assert.unreachable('expected a CryptoError');
  throw new Error('unreachable');
}

const expectedSchemes = {
  p256: [SignatureScheme.ecdsa_secp256r1_sha256],
  p384: [SignatureScheme.ecdsa_secp384r1_sha384],
  rsa2048: [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512],
  ed25519: [SignatureScheme.ed25519],
} as const;

test('nodeSigningKey: each key type offers exactly its TLS 1.3 schemes, and every signature verifies with the certificate key (and not over other bytes)', async () => {
  for (const kind of KEY_KINDS) {
    const cert = pki.servers[kind];
    const key = nodeSigningKey(cert.keyPem);
    assert.equal([...key.schemes], [...expectedSchemes[kind]], kind);
    const spki = Uint8Array.from(new X509Certificate(Buffer.from(cert.certDer)).publicKey.export({ format: 'der', type: 'spki' }));
    const msg = new TextEncoder().encode(`${' '.repeat(64)}TLS 1.3, server CertificateVerify\0${kind}`);
    for (const scheme of key.schemes) {
      const sig = await key.sign(scheme, msg);
      if (kind === 'p256' || kind === 'p384') assert.is(sig[0], 0x30, 'ECDSA signatures are DER SEQUENCEs');
      assert.ok(await p.verify(spki, scheme, msg, sig), `${kind} 0x${scheme.toString(16)} verifies`);
      assert.not.ok(await p.verify(spki, scheme, msg.subarray(1), sig), `${kind} 0x${scheme.toString(16)} fails on other bytes`);
    }
  }
});

test('RSA-PSS (id-RSASSA-PSS) keys sign and verify only the rsa_pss_pss_* schemes; rsaEncryption keys only rsa_pss_rsae_*', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
  const key = nodeSigningKey(privateKey);
  assert.equal([...key.schemes], [SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512]);
  const spki = Uint8Array.from(publicKey.export({ format: 'der', type: 'spki' }));
  const msg = new TextEncoder().encode('pss');
  for (const scheme of key.schemes) assert.ok(await p.verify(spki, scheme, msg, await key.sign(scheme, msg)));
  assert.is((await err(() => p.verify(spki, SignatureScheme.rsa_pss_rsae_sha256, msg, new Uint8Array(256)))).code, 'CRYPTO_INVALID_PUBLIC_KEY');
  const rsaSpki = Uint8Array.from(new X509Certificate(Buffer.from(pki.servers.rsa2048.certDer)).publicKey.export({ format: 'der', type: 'spki' }));
  assert.is((await err(() => p.verify(rsaSpki, SignatureScheme.rsa_pss_pss_sha256, msg, new Uint8Array(256)))).code, 'CRYPTO_INVALID_PUBLIC_KEY');
});

test('a signing key refuses schemes it cannot produce (CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY, blame local); unreadable keys are config errors', async () => {
  const ec = nodeSigningKey(pki.servers.p256.keyPem);
  const e = await err(() => ec.sign(SignatureScheme.rsa_pss_rsae_sha256, new Uint8Array(1)));
  assert.is(e.code, 'CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY');
  assert.is(e.blame, 'local');
  assert.match(e.message, /ecdsa_secp256r1_sha256/);
  const rsa = nodeSigningKey(pki.servers.rsa2048.keyPem);
  assert.is((await err(() => rsa.sign(SignatureScheme.rsa_pkcs1_sha256, new Uint8Array(1)))).code, 'CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY', 'PKCS#1 v1.5 is never used for CertificateVerify');
  const bad = await err(() => nodeSigningKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'));
  assert.is(bad.code, 'CRYPTO_INVALID_KEY');
  assert.is(bad.blame, 'config');
  assert.is((await err(() => nodeSigningKey(pki.servers.p256.certPem))).code, 'CRYPTO_INVALID_KEY', 'a certificate is not a private key');
});

test('a pinned random source serves its pool in order, logs each draw, and fails loudly when exhausted', async () => {
  const pool = pinnedRandom('000102030405');
  const rp = createNodeProvider({ randomBytes: pool.take });
  assert.equal(Array.from(rp.randomBytes(2)), [0, 1]);
  assert.equal(Array.from(rp.randomBytes(3)), [2, 3, 4]);
  assert.equal(pool.log, [{ offset: 0, length: 2 }, { offset: 2, length: 3 }]);
  const e = await err(() => rp.randomBytes(2));
  assert.is(e.code, 'CRYPTO_PROVIDER_FAILURE');
  assert.match(e.message, /exhausted/);
  assert.is(pool.remaining, 1);
});

test('key shares draw their private scalar from the provider random source: the same pool gives the same public key', async () => {
  for (const group of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]) {
    const pool = new Uint8Array(48).fill(0x42);
    const a = await createNodeProvider({ randomBytes: pinnedRandom(pool).take }).generateKeyShare(group);
    const b = await createNodeProvider({ randomBytes: pinnedRandom(pool).take }).generateKeyShare(group);
    assert.equal(Array.from(a.publicKey), Array.from(b.publicKey));
    assert.is(a.publicKey.length, group === NamedGroup.x25519 ? 32 : group === NamedGroup.secp256r1 ? 65 : 97);
    const c = await p.generateKeyShare(group);
    assert.equal(Array.from(await a.agree(c.publicKey)), Array.from(await c.agree(a.publicKey)));
  }
});

test('EC scalars out of range (0 or >= n) are redrawn, not used', async () => {
  // First draw all-0xff (>= n for P-256), second all-zero (0), third valid.
  const pool = new Uint8Array(96);
  pool.fill(0xff, 0, 32);
  pool.fill(0x01, 64, 96);
  const src = pinnedRandom(pool);
  const share = await createNodeProvider({ randomBytes: src.take }).generateKeyShare(NamedGroup.secp256r1);
  assert.is(src.consumed, 96);
  const again = await createNodeProvider({ randomBytes: pinnedRandom(new Uint8Array(32).fill(1)).take }).generateKeyShare(NamedGroup.secp256r1);
  assert.equal(Array.from(share.publicKey), Array.from(again.publicKey));
});

test('ECDH key shares refuse compressed, truncated, wrong-curve and off-curve points with illegal_parameter', async () => {
  const mine = await p.generateKeyShare(NamedGroup.secp256r1);
  const other384 = await p.generateKeyShare(NamedGroup.secp384r1);
  const offCurve = mine.publicKey.slice();
  offCurve[64]! ^= 1;
  const compressed = Uint8Array.of(2 + (mine.publicKey[64]! & 1), ...mine.publicKey.subarray(1, 33));
  for (const [what, bad] of [['compressed', compressed], ['truncated', mine.publicKey.subarray(0, 64)], ['P-384 point', other384.publicKey], ['off-curve', offCurve], ['empty', new Uint8Array(0)]] as const) {
    const e = await err(() => mine.agree(bad));
    assert.is(e.code, 'CRYPTO_INVALID_PEER_KEY_SHARE', what);
    assert.is(e.alert, 'illegal_parameter', what);
    assert.is(e.blame, 'peer', what);
  }
});

test('unsupported groups, hashes and AEAD key sizes are typed errors, and capabilities list only what works', async () => {
  assert.is((await err(() => p.generateKeyShare(0x001e))).code, 'CRYPTO_UNSUPPORTED_ALGORITHM', 'x448');
  assert.is((await err(() => p.importAeadKey('aes-128-gcm', new Uint8Array(32)))).code, 'CRYPTO_INVALID_ARGUMENT');
  assert.is((await err(() => p.createHash('md5' as never))).code, 'CRYPTO_UNSUPPORTED_ALGORITHM');
  const caps = p.capabilities();
  for (const s of caps.cipherSuites) assert.ok(cipherSuiteParams(s), `suite 0x${s.toString(16)}`);
  for (const g of caps.groups) await p.generateKeyShare(g);
  for (const s of caps.signatureSchemes) assert.ok(caps.certificateSignatureSchemes.includes(s));
  assert.not.ok(caps.signatureSchemes.includes(SignatureScheme.rsa_pkcs1_sha256), 'rsa_pkcs1 is certificate-only');
});

test('transcript hash: snapshot does not finalise, clone is independent, results equal a one-shot hash', () => {
  for (const alg of ['sha256', 'sha384'] as const) {
    const t = p.createHash(alg);
    t.update(Uint8Array.of(1, 2));
    const s1 = t.snapshot();
    const fork = t.clone();
    t.update(Uint8Array.of(3));
    fork.update(Uint8Array.of(9));
    assert.equal(Array.from(s1), Array.from(createHash(alg).update(Uint8Array.of(1, 2)).digest()));
    assert.equal(Array.from(t.snapshot()), Array.from(p.hash(alg, Uint8Array.of(1, 2, 3))));
    assert.equal(Array.from(fork.snapshot()), Array.from(p.hash(alg, Uint8Array.of(1, 2, 9))));
    assert.is(t.outputLength, alg === 'sha256' ? 32 : 48);
  }
});

test('x25519 shares (raw private import, raw peer import) match RFC 7748 §6.1: public values and the shared secret', async () => {
  const alicePriv = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
  const alicePub = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
  const bobPriv = '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb';
  const bobPub = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const alice = await createNodeProvider({ randomBytes: pinnedRandom(alicePriv).take }).generateKeyShare(NamedGroup.x25519);
  const bob = await createNodeProvider({ randomBytes: pinnedRandom(bobPriv).take }).generateKeyShare(NamedGroup.x25519);
  assert.is(hex(alice.publicKey), alicePub);
  assert.is(hex(bob.publicKey), bobPub);
  assert.is(hex(await alice.agree(Buffer.from(bobPub, 'hex'))), shared);
  assert.is(hex(await bob.agree(Buffer.from(alicePub, 'hex'))), shared);
  // A peer value that is a view into a larger buffer is read at its offset, not from the buffer start.
  const padded = Buffer.concat([Buffer.alloc(7, 0xee), Buffer.from(bobPub, 'hex'), Buffer.alloc(3, 0xee)]);
  assert.is(hex(await alice.agree(new Uint8Array(padded.buffer, padded.byteOffset + 7, 32))), shared);
});

test('verification keys are parsed once per provider: the same SPKI gives the same handle; a bounded cache still verifies correctly after evictions', async () => {
  const spkiOf = (kind: 'p256' | 'p384' | 'ed25519'): Uint8Array => new Uint8Array(new X509Certificate(pki.servers[kind].certPem).publicKey.export({ format: 'der', type: 'spki' }));
  const a = await p.importPublicKey(spkiOf('p256'));
  assert.ok(a === await p.importPublicKey(spkiOf('p256')), 'a second import of equal bytes reuses the parsed key');
  assert.ok(a !== await createNodeProvider().importPublicKey(spkiOf('p256')), 'another provider instance has its own cache (no global state)');
  const msg = new TextEncoder().encode('cache');
  for (const size of [0, 1, 2]) {
    const small = createNodeProvider({ publicKeyCacheSize: size });
    for (let round = 0; round < 3; round++) {
      for (const kind of ['p256', 'p384', 'ed25519'] as const) {
        const key = nodeSigningKey(pki.servers[kind].keyPem);
        const scheme = key.schemes[0]!;
        const sig = await key.sign(scheme, msg);
        assert.ok(await small.verify(spkiOf(kind), scheme, msg, sig), `cache ${size}, ${kind} verifies`);
        assert.not.ok(await small.verify(spkiOf(kind), scheme, msg.subarray(1), sig), `cache ${size}, ${kind} rejects other bytes`);
      }
    }
  }
  assert.is((await err(() => createNodeProvider({ publicKeyCacheSize: -1 }))).code, 'CRYPTO_INVALID_ARGUMENT');
  // A malformed SPKI is never cached as a key: each attempt fails the same typed way.
  for (let i = 0; i < 2; i++) assert.is((await err(() => p.verify(Uint8Array.of(0x30, 0x03, 1, 2, 3), SignatureScheme.ed25519, msg, new Uint8Array(64)))).code, 'CRYPTO_INVALID_PUBLIC_KEY');
});

test('AEAD sealInto (record-layer fast path) writes exactly what seal() returns, at the offset, for split plaintext; a too-small output is refused', async () => {
  for (const suite of [0x1301, 0x1302, 0x1303]) {
    const params = cipherSuiteParams(suite)!;
    const key = await p.importAeadKey(params.aead, new Uint8Array(params.keyLength).fill(suite & 0xff));
    const nonce = new Uint8Array(12).fill(7);
    const aad = Uint8Array.of(23, 3, 3, 0, 50);
    const parts = [new Uint8Array(20).fill(1), new Uint8Array(0), Uint8Array.of(22, 0, 0, 0)];
    const joined = Uint8Array.from([...parts[0]!, ...parts[2]!]);
    const want = await key.seal(nonce, aad, joined);
    const out = new Uint8Array(3 + want.length + 2).fill(0xaa);
    await key.sealInto!(nonce, aad, parts, out, 3);
    assert.equal(Array.from(out.subarray(3, 3 + want.length)), Array.from(want));
    assert.equal([out[0], out[1], out[2], out[out.length - 2], out[out.length - 1]], [0xaa, 0xaa, 0xaa, 0xaa, 0xaa], 'bytes outside the span are untouched');
    assert.equal(Array.from(await key.open(nonce, aad, out.subarray(3, 3 + want.length))), Array.from(joined));
    assert.is((await err(() => key.sealInto!(nonce, aad, parts, new Uint8Array(want.length), 1))).code, 'CRYPTO_INVALID_ARGUMENT');
  }
});

test('AEAD sealSync/openSync (synchronous bulk path) give the bytes of seal()/open(); sealSync keeps nothing of the plaintext; tampering and short input are bad_record_mac', async () => {
  for (const suite of [0x1301, 0x1302, 0x1303]) {
    const params = cipherSuiteParams(suite)!;
    const key = await p.importAeadKey(params.aead, new Uint8Array(params.keyLength).fill(suite & 0x7f));
    assert.type(key.sealSync, 'function');
    assert.type(key.openSync, 'function');
    const nonce = new Uint8Array(12).fill(3);
    const aad = Uint8Array.of(23, 3, 3, 0x40, 0x11);
    for (const length of [0, 1, 16385]) {
      const plaintext = new Uint8Array(length).map((_, i) => i & 0xff);
      const want = Buffer.from(await key.seal(nonce, aad, plaintext)).toString('hex');
      const pieces = key.sealSync!(nonce, aad, plaintext);
      plaintext.fill(0xee); // the caller reuses its buffer at once
      assert.is(Buffer.concat(pieces).toString('hex'), want, `${params.aead}, ${length} bytes`);
      const opened = key.openSync!(nonce, aad, Buffer.concat(pieces));
      assert.is(opened.length, length);
      if (length > 0) assert.is(opened[length - 1], (length - 1) & 0xff);
    }
    const sealed = await key.seal(nonce, aad, new Uint8Array(100).fill(9));
    const tampered = sealed.slice();
    tampered[50]! ^= 1;
    for (const bad of [tampered, sealed.subarray(0, 15)]) {
      const e = await err(() => key.openSync!(nonce, aad, bad));
      assert.is(e.code, 'CRYPTO_AEAD_OPEN_FAILED');
      assert.is(e.alert, 'bad_record_mac');
    }
    assert.is((await err(() => key.openSync!(nonce, Uint8Array.of(23, 3, 3, 0x40, 0x12), sealed))).code, 'CRYPTO_AEAD_OPEN_FAILED', 'the AAD is authenticated');
    assert.is((await err(() => key.sealSync!(new Uint8Array(8), aad, sealed))).code, 'CRYPTO_INVALID_ARGUMENT');
  }
});

test('the default random source never hands out the same bytes twice, across its 4 KiB refills, and serves large requests', () => {
  const q = createNodeProvider();
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i < 600; i++) {
    const n = [1, 12, 32, 48, 255][i % 5]!;
    const b = q.randomBytes(n);
    assert.is(b.length, n);
    total += n;
    if (n >= 12) {
      const k = Buffer.from(b).toString('hex');
      assert.not.ok(seen.has(k), `draw ${i} repeated earlier bytes`);
      seen.add(k);
    }
  }
  assert.ok(total > 3 * 4096, 'the pool was refilled several times');
  const big = q.randomBytes(5000);
  assert.is(big.length, 5000);
  assert.ok(big.some((x) => x !== 0) && big.subarray(2500).some((x) => x !== 0));
  assert.is(q.randomBytes(0).length, 0);
});

test.run();
