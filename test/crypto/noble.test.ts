// The noble (pure JavaScript) provider against the node provider: same outputs for the same inputs,
// signatures that verify across providers, and a bounded SPKI parser that only fails with typed errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { X509Certificate } from 'node:crypto';
import { createNobleProvider, nobleSigningKey } from '../../runtime/crypto/noble/index.ts';
import { createNodeProvider, nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { NamedGroup, SignatureScheme, isCryptoError } from '../../runtime/crypto/provider.ts';
import { pinnedRandom } from '../../runtime/crypto/testing/pinned-random.ts';
import { testPki } from '../support/pki.ts';

const node = createNodeProvider();
const noble = createNobleProvider();
const pki = testPki();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const spkiOf = (der: Uint8Array): Uint8Array => Uint8Array.from(new X509Certificate(Buffer.from(der)).publicKey.export({ format: 'der', type: 'spki' }));

test('same pool, same key shares and shared secrets in both providers, for every group', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 48, maxLength: 48 }), fc.constantFrom(NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1), async (seed, group) => {
    const pool = new Uint8Array(48 * 3);
    pool.set(seed, 0); pool.set(seed.map((x) => x ^ 0x5a), 48); pool.set(seed.map((x) => x ^ 0xa5), 96);
    pool[0] = 1; // keep the first draw a valid scalar for P-384 (and P-256) with overwhelming probability
    const a = await createNodeProvider({ randomBytes: pinnedRandom(pool).take }).generateKeyShare(group);
    const b = await createNobleProvider({ randomBytes: pinnedRandom(pool).take }).generateKeyShare(group);
    assert.is(hex(a.publicKey), hex(b.publicKey));
    const peer = await node.generateKeyShare(group);
    assert.is(hex(await a.agree(peer.publicKey)), hex(await b.agree(peer.publicKey)));
  }), { numRuns: 12 });
});

test('same HKDF, HMAC, AEAD and transcript outputs in both providers', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), fc.constantFrom('sha256', 'sha384' as const), async (a, b, h) => {
    assert.is(hex(await node.hmac(h, a, b)), hex(await noble.hmac(h, a, b)));
    const prk1 = await node.hkdfExtract(h, a, b);
    assert.is(hex(prk1), hex(await noble.hkdfExtract(h, a, b)));
    assert.is(hex(await node.hkdfExpand(h, prk1, a, 77)), hex(await noble.hkdfExpand(h, prk1, a, 77)));
    const t1 = node.createHash(h); const t2 = noble.createHash(h);
    t1.update(a); t2.update(a);
    assert.is(hex(t1.snapshot()), hex(t2.snapshot()));
    t1.update(b); t2.update(b);
    assert.is(hex(t1.clone().snapshot()), hex(t2.clone().snapshot()));
    for (const alg of ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305'] as const) {
      const key = new Uint8Array(alg === 'aes-128-gcm' ? 16 : 32).fill(a.length);
      const nonce = new Uint8Array(12).fill(b.length);
      const sealed = await (await node.importAeadKey(alg, key)).seal(nonce, a, b);
      assert.is(hex(await (await noble.importAeadKey(alg, key)).seal(nonce, a, b)), hex(sealed));
      assert.is(hex(await (await noble.importAeadKey(alg, key)).open(nonce, a, sealed)), hex(b));
    }
  }), { numRuns: 40 });
});

test('signatures cross providers: noble verifies node-made ECDSA/Ed25519 signatures over the test PKI keys, node verifies noble-made ones', async () => {
  const msg = new TextEncoder().encode('cross-provider');
  for (const kind of ['p256', 'p384', 'ed25519'] as const) {
    const cert = pki.servers[kind];
    const spki = spkiOf(cert.certDer);
    const nk = nodeSigningKey(cert.keyPem);
    const scheme = nk.schemes[0]!;
    assert.ok(await noble.verify(spki, scheme, msg, await nk.sign(scheme, msg)), `noble verifies node ${kind}`);
    assert.not.ok(await noble.verify(spki, scheme, msg.subarray(1), await nk.sign(scheme, msg)), `noble rejects ${kind} over other bytes`);
  }
  for (const [scheme, size] of [[SignatureScheme.ecdsa_secp256r1_sha256, 32], [SignatureScheme.ecdsa_secp384r1_sha384, 48], [SignatureScheme.ed25519, 32]] as const) {
    const sk = new Uint8Array(size).fill(7);
    const key = nobleSigningKey(scheme, sk);
    const sig = await key.sign(scheme, msg);
    // Derive the SPKI with node from the same private key (PKCS#8 via JWK).
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    const jwk = scheme === SignatureScheme.ed25519
      ? { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(sk).toString('base64url'), x: '' }
      : undefined;
    let spki: Uint8Array;
    if (jwk) {
      const { ed25519 } = await import('@noble/curves/ed25519.js');
      jwk.x = Buffer.from(ed25519.getPublicKey(sk)).toString('base64url');
      spki = Uint8Array.from(createPublicKey(createPrivateKey({ key: jwk, format: 'jwk' })).export({ format: 'der', type: 'spki' }));
    } else {
      const ecdh = (await import('node:crypto')).createECDH(size === 32 ? 'prime256v1' : 'secp384r1');
      ecdh.setPrivateKey(sk);
      const pub = ecdh.getPublicKey();
      const prefix = size === 32 ? '3059301306072a8648ce3d020106082a8648ce3d030107034200' : '3076301006072a8648ce3d020106052b81040022036200';
      spki = Uint8Array.from(Buffer.concat([Buffer.from(prefix, 'hex'), pub]));
    }
    assert.ok(await node.verify(spki, scheme, msg, sig), `node verifies noble 0x${scheme.toString(16)}`);
  }
});

test('noble refuses what it does not implement with typed errors (RSA, unknown groups, bad signing keys)', async () => {
  const rsa = spkiOf(pki.servers.rsa2048.certDer);
  const e1 = await noble.verify(rsa, SignatureScheme.rsa_pss_rsae_sha256, new Uint8Array(1), new Uint8Array(256)).catch((e: unknown) => e);
  assert.ok(isCryptoError(e1, 'CRYPTO_UNSUPPORTED_ALGORITHM'));
  assert.not.ok(noble.capabilities().signatureSchemes.includes(SignatureScheme.rsa_pss_rsae_sha256));
  const e2 = await noble.generateKeyShare(0x001e).catch((e: unknown) => e);
  assert.ok(isCryptoError(e2, 'CRYPTO_UNSUPPORTED_ALGORITHM'));
  assert.throws(() => nobleSigningKey(SignatureScheme.ecdsa_secp256r1_sha256, new Uint8Array(32)), (e: unknown) => isCryptoError(e, 'CRYPTO_INVALID_KEY'));
  assert.throws(() => nobleSigningKey(SignatureScheme.rsa_pss_rsae_sha256, new Uint8Array(32)), (e: unknown) => isCryptoError(e, 'CRYPTO_INVALID_KEY'));
});

test('the SPKI parser takes arbitrary and mutated DER without crashing: only CRYPTO_INVALID_PUBLIC_KEY', async () => {
  const good = [spkiOf(pki.servers.p256.certDer), spkiOf(pki.servers.p384.certDer), spkiOf(pki.servers.ed25519.certDer)];
  await fc.assert(fc.asyncProperty(fc.constantFrom(...good), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 100 }), async (base, pos, val, junk) => {
    for (const input of [junk, (() => { const m = base.slice(); m[pos % m.length] = val; return m; })(), base.subarray(0, pos % base.length)]) {
      try {
        await noble.importPublicKey(input);
      } catch (e) {
        assert.ok(isCryptoError(e, 'CRYPTO_INVALID_PUBLIC_KEY'), `unexpected ${String(e)}`);
      }
    }
  }), { numRuns: 400 });
});

test.run();
