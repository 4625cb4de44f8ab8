// Wycheproof vectors against a provider, through the provider interface only (used by
// test/crypto/wycheproof-<provider>.test.ts, one file per provider so they run in parallel). Every test
// case of every applicable file runs; a case is excluded only when its parameters cannot occur in
// TLS 1.3 (AES-192, truncated tags), and the exclusions are counted and asserted, never silent.
// Private key-share scalars are served through a pinned random source, which is how the engine
// would receive them too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NamedGroup, SignatureScheme, isCryptoError, type AeadAlgorithm, type CryptoProvider, type HashAlgorithm } from '../../../runtime/crypto/provider.ts';
import { pinnedRandom } from '../../../runtime/crypto/testing/pinned-random.ts';

const dir = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'vectors', 'wycheproof');

interface Case { tcId: number; comment: string; flags: string[]; result: 'valid' | 'invalid' | 'acceptable'; [k: string]: unknown }
interface Group { tests: Case[]; [k: string]: unknown }
function load(file: string): Group[] {
  return (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { testGroups: Group[] }).testGroups;
}
const hex = (v: unknown): Uint8Array => Uint8Array.from(Buffer.from(String(v), 'hex'));
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const id = (file: string, c: Case): string => `${file} tcId ${c.tcId} (${c.comment || c.flags.join(',')})`;

export type Make = (options?: { randomBytes?: (n: number) => Uint8Array }) => CryptoProvider;

async function errorCode(f: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await f();
    return undefined;
  } catch (e) {
    assert.ok(isCryptoError(e), `threw a non-CryptoError: ${String(e)}`);
    return (e as { code: string }).code;
  }
}

/** Registers every Wycheproof test for one provider on uvu's default suite. */
export function wycheproofSuite(pname: string, make: Make): void {
  const provider = make();

  // ---------------------------------------------------------------- AEAD
  for (const [file, algOf] of [
    ['aes_gcm_test.json', (keySize: number): AeadAlgorithm | undefined => keySize === 128 ? 'aes-128-gcm' : keySize === 256 ? 'aes-256-gcm' : undefined],
    ['chacha20_poly1305_test.json', (): AeadAlgorithm | undefined => 'chacha20-poly1305'],
  ] as const) {
    test(`[${pname}] ${file}: every case with a TLS key size and 16-byte tag seals/opens as the vector says; other nonce sizes are refused`, async () => {
      let ran = 0;
      let excluded = 0;
      for (const g of load(file)) {
        const alg = algOf(g.keySize as number);
        for (const c of g.tests) {
          if (alg === undefined || g.tagSize !== 128) {
            assert.ok(g.keySize === 192 || g.tagSize !== 128, 'only AES-192 or truncated tags are excluded');
            excluded++;
            continue;
          }
          ran++;
          const key = await provider.importAeadKey(alg, hex(c.key));
          const [iv, aad, msg, ct, tag] = [hex(c.iv), hex(c.aad), hex(c.msg), hex(c.ct), hex(c.tag)];
          const sealedInput = new Uint8Array([...ct, ...tag]);
          if (iv.length !== 12) {
            // TLS 1.3 nonces are always 12 bytes (RFC 8446 §5.3); the provider refuses others as misuse.
            assert.is(await errorCode(() => key.seal(iv, aad, msg)), 'CRYPTO_INVALID_ARGUMENT', id(file, c));
            assert.is(await errorCode(() => key.open(iv, aad, sealedInput)), 'CRYPTO_INVALID_ARGUMENT', id(file, c));
            continue;
          }
          if (c.result === 'valid') {
            assert.ok(same(await key.seal(iv, aad, msg), sealedInput), `${id(file, c)}: seal`);
            assert.ok(same(await key.open(iv, aad, sealedInput), msg), `${id(file, c)}: open`);
          } else if (c.result === 'invalid') {
            assert.is(await errorCode(() => key.open(iv, aad, sealedInput)), 'CRYPTO_AEAD_OPEN_FAILED', id(file, c));
          }
        }
      }
      assert.ok(ran > 200, `ran ${ran} cases`);
      console.log(`  ${file}: ${ran} cases run, ${excluded} excluded (AES-192 / truncated tag)`);
    });
  }

  // ---------------------------------------------------------------- key exchange
  test(`[${pname}] x25519_test.json: every case — shared secrets match, every all-zero result is refused with CRYPTO_ZERO_SHARED_SECRET`, async () => {
    let ran = 0;
    let zero = 0;
    for (const g of load('x25519_test.json')) {
      for (const c of g.tests) {
        ran++;
        const p = make({ randomBytes: pinnedRandom(hex(c.private)).take });
        const share = await p.generateKeyShare(NamedGroup.x25519);
        const shared = hex(c.shared);
        if (shared.every((b) => b === 0)) {
          assert.ok(c.flags.includes('ZeroSharedSecret'), id('x25519', c));
          const err = await (async () => { try { await share.agree(hex(c.public)); return undefined; } catch (e) { return e; } })();
          assert.ok(isCryptoError(err, 'CRYPTO_ZERO_SHARED_SECRET'), `${id('x25519', c)}: zero secret refused`);
          assert.is((err as { alert?: string }).alert, 'illegal_parameter');
          zero++;
        } else {
          assert.ok(c.result !== 'invalid', 'x25519 vectors have no invalid non-zero cases');
          assert.ok(same(await share.agree(hex(c.public)), shared), id('x25519', c));
        }
      }
    }
    assert.is(ran, 518);
    assert.is(zero, 31, 'all 31 ZeroSharedSecret cases refused');
  });

  test(`[${pname}] x25519 key shares refuse peer values that are not 32 bytes`, async () => {
    const share = await provider.generateKeyShare(NamedGroup.x25519);
    for (const n of [0, 31, 33, 65]) {
      assert.is(await errorCode(() => share.agree(new Uint8Array(n).fill(9))), 'CRYPTO_INVALID_PEER_KEY_SHARE', `length ${n}`);
    }
  });

  for (const [file, group, size] of [
    ['ecdh_secp256r1_ecpoint_test.json', NamedGroup.secp256r1, 32],
    ['ecdh_secp384r1_ecpoint_test.json', NamedGroup.secp384r1, 48],
  ] as const) {
    test(`[${pname}] ${file}: every case — valid points agree, invalid and compressed points are refused (illegal_parameter)`, async () => {
      let ran = 0;
      for (const g of load(file)) {
        for (const c of g.tests) {
          ran++;
          // Wycheproof private keys are big-endian integers, sometimes with a sign byte or shorter: fit to the field size.
          const raw = hex(c.private);
          const scalar = new Uint8Array(size);
          const trimmed = raw.length > size ? raw.subarray(raw.length - size) : raw;
          scalar.set(trimmed, size - trimmed.length);
          const p = make({ randomBytes: pinnedRandom(scalar).take });
          const share = await p.generateKeyShare(group);
          if (c.result === 'valid') {
            assert.ok(same(await share.agree(hex(c.public)), hex(c.shared)), id(file, c));
          } else {
            // invalid: off-curve / wrong-curve / malformed; acceptable: compressed points, which TLS 1.3 forbids.
            assert.is(await errorCode(() => share.agree(hex(c.public))), 'CRYPTO_INVALID_PEER_KEY_SHARE', id(file, c));
          }
        }
      }
      assert.ok(ran > 300, `ran ${ran}`);
    });
  }

  // ---------------------------------------------------------------- signatures
  for (const [file, scheme] of [
    ['ecdsa_secp256r1_sha256_test.json', SignatureScheme.ecdsa_secp256r1_sha256],
    ['ecdsa_secp384r1_sha384_test.json', SignatureScheme.ecdsa_secp384r1_sha384],
    ['ed25519_test.json', SignatureScheme.ed25519],
    ['rsa_pss_2048_sha256_mgf1_32_test.json', SignatureScheme.rsa_pss_rsae_sha256],
    ['rsa_pss_2048_sha384_mgf1_48_test.json', SignatureScheme.rsa_pss_rsae_sha384],
    ['rsa_signature_2048_sha256_test.json', SignatureScheme.rsa_pkcs1_sha256],
  ] as const) {
    test(`[${pname}] ${file}: every case verifies exactly when the vector says valid (scheme 0x${scheme.toString(16)}, SPKI DER input), or the scheme is refused as unsupported when capabilities() omit it`, async () => {
      let ran = 0;
      if (!provider.capabilities().certificateSignatureSchemes.includes(scheme)) {
        const g = load(file)[0]!;
        assert.is(await errorCode(() => provider.verify(hex(g.publicKeyDer), scheme, hex(g.tests[0]!.msg), hex(g.tests[0]!.sig))), 'CRYPTO_UNSUPPORTED_ALGORITHM');
        return;
      }
      for (const g of load(file)) {
        const spki = hex(g.publicKeyDer);
        const handle = await provider.importPublicKey(spki);
        assert.ok(handle.schemes.includes(scheme), `${file}: key type fits the scheme`);
        for (const c of g.tests) {
          ran++;
          const ok = await provider.verify(ran % 2 === 0 ? spki : handle, scheme, hex(c.msg), hex(c.sig));
          if (c.result === 'valid') assert.ok(ok, id(file, c));
          else if (c.result === 'invalid') assert.not.ok(ok, id(file, c));
        }
      }
      assert.ok(ran > 100, `ran ${ran}`);
    });
  }

  test(`[${pname}] verify refuses a key that does not fit the scheme (P-256 key for ecdsa_secp384r1_sha384, RSA key for ed25519)`, async () => {
    const p256 = hex(load('ecdsa_secp256r1_sha256_test.json')[0]!.publicKeyDer);
    const rsa = hex(load('rsa_pss_2048_sha256_mgf1_32_test.json')[0]!.publicKeyDer);
    const ed = hex(load('ed25519_test.json')[0]!.publicKeyDer);
    assert.is(await errorCode(() => provider.verify(p256, SignatureScheme.ecdsa_secp384r1_sha384, new Uint8Array(1), new Uint8Array(8))), 'CRYPTO_INVALID_PUBLIC_KEY');
    assert.is(await errorCode(() => provider.verify(rsa, SignatureScheme.ed25519, new Uint8Array(1), new Uint8Array(64))), 'CRYPTO_INVALID_PUBLIC_KEY');
    assert.is(await errorCode(() => provider.verify(ed, SignatureScheme.ecdsa_secp256r1_sha256, new Uint8Array(1), new Uint8Array(64))), 'CRYPTO_INVALID_PUBLIC_KEY');
    assert.is(await errorCode(() => provider.verify(Uint8Array.of(0x30, 0x03, 1, 2, 3), SignatureScheme.ed25519, new Uint8Array(1), new Uint8Array(64))), 'CRYPTO_INVALID_PUBLIC_KEY');
    assert.is(await errorCode(() => provider.verify(rsa, 0x0201, new Uint8Array(1), new Uint8Array(64))), 'CRYPTO_UNSUPPORTED_ALGORITHM', 'rsa_pkcs1_sha1 is not offered');
  });

  // ---------------------------------------------------------------- HKDF / HMAC
  for (const [file, hash] of [['hkdf_sha256_test.json', 'sha256'], ['hkdf_sha384_test.json', 'sha384']] as const) {
    test(`[${pname}] ${file}: extract+expand gives okm for every valid case; oversize outputs are refused`, async () => {
      let ran = 0;
      for (const g of load(file)) {
        for (const c of g.tests) {
          ran++;
          const prk = await provider.hkdfExtract(hash as HashAlgorithm, hex(c.salt), hex(c.ikm));
          // The synchronous form, where the provider has one, gives the same PRK.
          if (provider.hkdfExtractSync) assert.ok(same(provider.hkdfExtractSync(hash as HashAlgorithm, hex(c.salt), hex(c.ikm)), prk), `${id(file, c)} hkdfExtractSync`);
          if (c.result === 'valid') {
            assert.ok(same(await provider.hkdfExpand(hash, prk, hex(c.info), c.size as number), hex(c.okm)), id(file, c));
          } else {
            assert.is(await errorCode(() => provider.hkdfExpand(hash, prk, hex(c.info), c.size as number)), 'CRYPTO_INVALID_ARGUMENT', id(file, c));
          }
        }
      }
      assert.ok(ran > 80, `ran ${ran}`);
    });
  }

  for (const [file, hash] of [['hmac_sha256_test.json', 'sha256'], ['hmac_sha384_test.json', 'sha384']] as const) {
    test(`[${pname}] ${file}: the MAC (truncated to the vector's tag size) matches exactly for valid cases only`, async () => {
      let ran = 0;
      for (const g of load(file)) {
        for (const c of g.tests) {
          ran++;
          const mac = await provider.hmac(hash as HashAlgorithm, hex(c.key), hex(c.msg));
          const tag = hex(c.tag);
          assert.is(same(mac.subarray(0, (g.tagSize as number) / 8), tag), c.result === 'valid', id(file, c));
          if (provider.hmacSync) assert.ok(same(provider.hmacSync(hash as HashAlgorithm, hex(c.key), hex(c.msg)), mac), `${id(file, c)} hmacSync`);
        }
      }
      assert.ok(ran > 150, `ran ${ran}`);
    });
  }
}

