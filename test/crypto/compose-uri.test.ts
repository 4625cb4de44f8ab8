// Pure pieces behind the PKCS#11 and WebCrypto providers: compose(), RFC 7512 URI parsing, the
// ECDSA DER <-> r||s conversion, and webCryptoSigningKey against the node provider's verify.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { compose } from '../../runtime/crypto/compose.ts';
import { ecdsaDerToRaw, ecdsaRawToDer } from '../../runtime/crypto/ecdsa-signature.ts';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { createNobleProvider } from '../../runtime/crypto/noble/index.ts';
import { parsePkcs11Uri } from '../../runtime/crypto/pkcs11/uri.ts';
import { SignatureScheme, isCryptoError } from '../../runtime/crypto/provider.ts';
import { WEBCRYPTO_FALLBACKS, createWebCryptoProvider, webCryptoSigningKey } from '../../runtime/crypto/webcrypto/index.ts';

test('compose takes the overridden operations from the overrides and every other one from the base, bound to it', async () => {
  const base = createNodeProvider();
  const calls: number[] = [];
  const p = compose(base, { name: 'test+node', randomBytes: (n) => { calls.push(n); return new Uint8Array(n).fill(7); } });
  assert.is(p.name, 'test+node');
  assert.equal(p.randomBytes(3), Uint8Array.of(7, 7, 7));
  assert.equal(calls, [3]);
  assert.equal(p.capabilities(), base.capabilities());
  assert.equal(p.hash('sha256', Uint8Array.of(1)), base.hash('sha256', Uint8Array.of(1)));
  assert.equal(await p.hkdfExtract('sha256', new Uint8Array(0), Uint8Array.of(1)), await base.hkdfExtract('sha256', new Uint8Array(0), Uint8Array.of(1)));
  assert.is(compose(base, {}).name, 'node+custom');
});

test('compose refuses to override only one of importPublicKey / verify (handles are provider-specific)', () => {
  const noble = createNobleProvider();
  try {
    compose(createNodeProvider(), { importPublicKey: noble.importPublicKey });
    assert.unreachable('should throw');
  } catch (e) {
    assert.ok(isCryptoError(e, 'CRYPTO_INVALID_ARGUMENT'));
  }
});

test('RFC 7512 URIs: path and query attributes are percent-decoded, id is bytes, unknown attributes and non-private types are refused, pin-value never echoed', () => {
  const u = parsePkcs11Uri('pkcs11:token=My%20Token;object=srv;id=%01%a2;type=private;x-vendor=1?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=12%2534');
  assert.is(u.token, 'My Token');
  assert.is(u.object, 'srv');
  assert.equal([...u.id!], [1, 0xa2]);
  assert.is(u.modulePath, '/usr/lib/softhsm/libsofthsm2.so');
  assert.is(u.pinValue, '12%34');
  for (const [bad, why] of [
    ['pkcs11:token=a;colour=red', /unknown path attribute "colour"/],
    ['pkcs11:object=a;type=cert', /type=cert does not name a private key/],
    ['pkcs11:object=%zz', /"%zz" is not a percent-encoded byte/],
    ['pkcs11:object=a;object=b', /given twice/],
    ['pkcs11:object?pin-value=secret99', /no name=value form/],
    ['file:/key.pem', /does not start with "pkcs11:"/],
  ] as const) {
    try {
      parsePkcs11Uri(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.ok(isCryptoError(e, 'CRYPTO_INVALID_ARGUMENT'), bad);
      assert.match((e as Error).message, why);
      assert.not.match((e as Error).message, /secret99/);
    }
  }
});

test('ECDSA r||s -> DER -> r||s round-trips for high-bit and leading-zero values; non-DER encodings are refused', () => {
  for (const size of [32, 48]) {
    for (const [r0, s0] of [[0x80, 0x01], [0x00, 0x00], [0x7f, 0xff]]) {
      const raw = new Uint8Array(2 * size).map((_, i) => (i * 37 + 11) & 0xff);
      raw[0] = r0!; raw[1] = 0x00; raw[size] = s0!;
      const der = ecdsaRawToDer(raw);
      assert.is(der[0], 0x30);
      assert.equal(ecdsaDerToRaw(der, size), raw, `size ${size} r0 ${r0}`);
    }
  }
  const ok = ecdsaRawToDer(new Uint8Array(64).fill(1));
  assert.is(ecdsaDerToRaw(Uint8Array.from([...ok, 0]), 32), undefined, 'trailing byte');
  assert.is(ecdsaDerToRaw(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01), 32), undefined, 'negative r');
  assert.is(ecdsaDerToRaw(Uint8Array.of(0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01), 32), undefined, 'non-minimal r');
  assert.is(ecdsaDerToRaw(Uint8Array.of(0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01), 32), undefined, 'non-minimal length');
});

test('webCryptoSigningKey signs every scheme of P-256, P-384, RSA and Ed25519 PKCS#8 keys so that the node provider verifies; SEC1 PEM is refused with advice', async () => {
  const node = createNodeProvider();
  const msg = new TextEncoder().encode('CertificateVerify content');
  for (const [type, opts, schemes] of [
    ['ec', { namedCurve: 'P-256' }, [SignatureScheme.ecdsa_secp256r1_sha256]],
    ['ec', { namedCurve: 'P-384' }, [SignatureScheme.ecdsa_secp384r1_sha384]],
    ['rsa', { modulusLength: 2048 }, [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512]],
    ['ed25519', {}, [SignatureScheme.ed25519]],
  ] as const) {
    const { privateKey, publicKey } = generateKeyPairSync(type as 'ec', opts as { namedCurve: string });
    const key = await webCryptoSigningKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    assert.equal([...key.schemes], [...schemes]);
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    for (const s of schemes) assert.ok(await node.verify(spki, s, msg, await key.sign(s, msg)), `${type} 0x${s.toString(16)}`);
    if (type === 'ec') {
      try {
        await webCryptoSigningKey(privateKey.export({ format: 'pem', type: 'sec1' }) as string);
        assert.unreachable('SEC1 accepted');
      } catch (e) { assert.ok(isCryptoError(e, 'CRYPTO_INVALID_KEY')); assert.match((e as Error).message, /openssl pkcs8 -topk8/); }
    }
  }
});

test('the webcrypto provider says in capabilities() which operations come from @noble, and does not offer rsa_pss_pss_*', () => {
  const caps = createWebCryptoProvider().capabilities();
  assert.equal(caps.fallbacks, WEBCRYPTO_FALLBACKS);
  assert.ok(caps.fallbacks!.some((f) => /chacha20/.test(f.operation) && /@noble\/ciphers/.test(f.from)));
  assert.ok(caps.fallbacks!.some((f) => /createHash/.test(f.operation)));
  assert.not.ok(caps.signatureSchemes.includes(SignatureScheme.rsa_pss_pss_sha256));
});

test.run();
