// The PKCS#11 provider against a real SoftHSM2 token (Debian softhsm2 + opensc, installed by
// scripts/test.sh): keys generated in the token sign TLS 1.3 CertificateVerify content for every
// scheme SoftHSM offers, the private keys cannot be read out, and every failure is a typed error
// that names the token and the key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { openPkcs11, openPkcs11Uri, type Pkcs11Provider } from '../../runtime/crypto/pkcs11/index.ts';
import { SignatureScheme, isCryptoError } from '../../runtime/crypto/provider.ts';
import { softHsm, type SoftHsm } from '../support/softhsm.ts';
import { until } from '../interop/harness.ts';
import { handshake, ourClient, ourServer } from '../interop/ours.ts';

const pkcs11js = createRequire(import.meta.url)('pkcs11js') as typeof import('pkcs11js');
const node = createNodeProvider();

async function caught(f: () => Promise<unknown>): Promise<{ code: string; blame: string; message: string }> {
  try { await f(); } catch (e) {
    assert.ok(isCryptoError(e), `expected a CryptoError, got ${String(e)}`);
    return e as { code: string; blame: string; message: string };
  }
  assert.unreachable('expected an error');
  throw new Error('unreachable');
}

async function withToken(body: (hsm: SoftHsm, p: Pkcs11Provider) => Promise<void>, keys: [Parameters<SoftHsm['genKey']>[0], string, string][] = []): Promise<void> {
  const hsm = softHsm();
  for (const k of keys) hsm.genKey(...k);
  const p = await openPkcs11({ module: hsm.module, token: hsm.label, pin: hsm.pin });
  try { await body(hsm, p); } finally { await p.close(); hsm.cleanup(); }
}

test('keys made in the token sign every scheme they offer (P-256, P-384, RSA-PSS x3, Ed25519) and the node provider verifies each signature with the token public key', async () => {
  await withToken(async (_hsm, p) => {
    const msg = new TextEncoder().encode(' '.repeat(64) + 'TLS 1.3, server CertificateVerify\0' + 'x'.repeat(48));
    const expect: Record<string, number[]> = {
      p256: [SignatureScheme.ecdsa_secp256r1_sha256], p384: [SignatureScheme.ecdsa_secp384r1_sha384],
      rsa: [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512], ed: [SignatureScheme.ed25519],
    };
    for (const [label, schemes] of Object.entries(expect)) {
      const key = await p.signingKey({ label });
      assert.equal([...key.schemes], schemes, `${label} schemes`);
      assert.ok(key.publicKeySpki, `${label}: public key read from the token`);
      for (const s of schemes) {
        const sig = await key.sign(s, msg);
        assert.ok(await node.verify(key.publicKeySpki!, s, msg, sig), `${label} 0x${s.toString(16)} verifies`);
        const tampered = msg.slice(); tampered[0] = tampered[0]! ^ 1;
        assert.not.ok(await node.verify(key.publicKeySpki!, s, tampered, sig), `${label} 0x${s.toString(16)} does not verify other content`);
        if (label === 'p256' || label === 'p384') assert.is(sig[0], 0x30, 'ECDSA signature is DER (SEQUENCE), not raw r||s');
      }
    }
    const p256 = await p.signingKey({ label: 'p256' });
    const wrong = await caught(() => p256.sign(SignatureScheme.ed25519, msg));
    assert.is(wrong.code, 'CRYPTO_SCHEME_NOT_SUPPORTED_BY_KEY');
    assert.match(wrong.message, /token "protosmith-test"/);
  }, [['p256', 'p256', '01'], ['p384', 'p384', '02'], ['rsa2048', 'rsa', '03'], ['ed25519', 'ed', '04']]);
});

test('private keys in the token are sensitive and never extractable: CKA_VALUE / CKA_PRIVATE_EXPONENT cannot be read and wrapping them out is refused', async () => {
  await withToken(async (_hsm, p) => {
    const lib = p.token.lib;
    const session = await p.token.acquire();
    try {
      for (const [label, secretAttr] of [['p256', pkcs11js.CKA_VALUE], ['rsa', pkcs11js.CKA_PRIVATE_EXPONENT]] as const) {
        lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: label }]);
        const [h] = lib.C_FindObjects(session, 1);
        lib.C_FindObjectsFinal(session);
        assert.ok(h, `${label} found`);
        const [sens, ext, never] = lib.C_GetAttributeValue(session, h!, [{ type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_NEVER_EXTRACTABLE }]);
        assert.is((sens!.value as Buffer)[0], 1, `${label} CKA_SENSITIVE`);
        assert.is((ext!.value as Buffer)[0], 0, `${label} CKA_EXTRACTABLE is false`);
        assert.is((never!.value as Buffer)[0], 1, `${label} CKA_NEVER_EXTRACTABLE`);
        assert.throws(() => lib.C_GetAttributeValue(session, h!, [{ type: secretAttr }]), /CKR_ATTRIBUTE_SENSITIVE/, `${label} secret attribute unreadable`);
        // A session AES key to wrap with: wrapping an unextractable key must fail.
        const wrapKey = lib.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
          { type: pkcs11js.CKA_VALUE_LEN, value: 32 }, { type: pkcs11js.CKA_WRAP, value: true }, { type: pkcs11js.CKA_TOKEN, value: false }]);
        assert.throws(() => lib.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD }, wrapKey, h!, Buffer.alloc(4096)), /CKR_KEY_UNEXTRACTABLE|CKR_KEY_NOT_WRAPPABLE/, `${label} cannot be wrapped out`);
      }
    } finally { p.token.release(session); }
  }, [['p256', 'p256', '01'], ['rsa2048', 'rsa', '03']]);
});

test('a wrong PIN is CRYPTO_HSM_PIN_REJECTED (blame config) naming the token, without echoing the PIN; no PIN at all names the environment variable', async () => {
  const hsm = softHsm();
  try {
    const e = await caught(() => openPkcs11({ module: hsm.module, token: hsm.label, pin: '987654' }));
    assert.is(e.code, 'CRYPTO_HSM_PIN_REJECTED');
    assert.is(e.blame, 'config');
    assert.match(e.message, /Token "protosmith-test".*PIN is wrong/);
    assert.not.match(e.message, /987654/);
    const saved = process.env['PROTOSMITH_PKCS11_PIN'];
    delete process.env['PROTOSMITH_PKCS11_PIN'];
    const none = await caught(() => openPkcs11({ module: hsm.module, token: hsm.label }));
    if (saved !== undefined) process.env['PROTOSMITH_PKCS11_PIN'] = saved;
    assert.is(none.code, 'CRYPTO_HSM_PIN_REJECTED');
    assert.match(none.message, /PROTOSMITH_PKCS11_PIN/);
    // The right PIN from the environment works after the failures (the module was released and re-initialised).
    process.env['PROTOSMITH_PKCS11_PIN'] = hsm.pin;
    const ok = await openPkcs11({ module: hsm.module, token: hsm.label });
    await ok.close();
    if (saved === undefined) delete process.env['PROTOSMITH_PKCS11_PIN']; else process.env['PROTOSMITH_PKCS11_PIN'] = saved;
  } finally { hsm.cleanup(); }
});

test('a missing module, token or key is a typed config error that says what exists and what to do', async () => {
  await withToken(async (hsm, p) => {
    const mod = await caught(() => openPkcs11({ module: '/nonexistent/libnope.so', token: hsm.label, pin: hsm.pin }));
    assert.is(mod.code, 'CRYPTO_HSM_MODULE_FAILED');
    assert.match(mod.message, /\/nonexistent\/libnope\.so/);
    const tok = await caught(() => openPkcs11({ module: hsm.module, token: 'no-such-token', pin: hsm.pin }));
    assert.is(tok.code, 'CRYPTO_HSM_TOKEN_NOT_FOUND');
    assert.match(tok.message, /No token labelled "no-such-token".*"protosmith-test".*softhsm2-util --init-token/);
    const key = await caught(() => p.signingKey({ label: 'sevrer' }));
    assert.is(key.code, 'CRYPTO_HSM_KEY_NOT_FOUND');
    assert.match(key.message, /label "sevrer" on token "protosmith-test".*"server" \(id 01\)/);
    const byId = await caught(() => p.signingKey('pkcs11:id=%09'));
    assert.is(byId.code, 'CRYPTO_HSM_KEY_NOT_FOUND');
    // The provider still works after the failures.
    const k = await p.signingKey('pkcs11:object=server;id=%01');
    assert.ok(await node.verify(k.publicKeySpki!, SignatureScheme.ecdsa_secp256r1_sha256, Uint8Array.of(1), await k.sign(SignatureScheme.ecdsa_secp256r1_sha256, Uint8Array.of(1))));
  }, [['p256', 'server', '01']]);
});

test('a token without the mechanism a key needs (CKM_EDDSA removed from the token mechanism list, as on SoftHSM < 2.5) gives CRYPTO_HSM_MECHANISM_UNSUPPORTED naming mechanism, key and token', async () => {
  await withToken(async (_hsm, p) => {
    (p.token.mechanisms as Set<number>).delete(0x1057);
    const e = await caught(() => p.signingKey({ label: 'ed' }));
    assert.is(e.code, 'CRYPTO_HSM_MECHANISM_UNSUPPORTED');
    assert.match(e.message, /Token "protosmith-test" does not offer CKM_EDDSA.*label "ed"/);
  }, [['ed25519', 'ed', '04']]);
});

test('after every session is closed behind the provider (C_CloseAllSessions from another pkcs11js instance, which also logs out) signing logs in again and succeeds', async () => {
  await withToken(async (hsm, p) => {
    const key = await p.signingKey({ label: 'server' });
    const msg = Uint8Array.of(1, 2, 3);
    await Promise.all(Array.from({ length: 8 }, () => key.sign(SignatureScheme.ecdsa_secp256r1_sha256, msg)));
    const other = new pkcs11js.PKCS11();
    other.load(hsm.module);
    try { other.C_Initialize(); } catch (e) { assert.match(String(e), /CKR_CRYPTOKI_ALREADY_INITIALIZED/); }
    other.C_CloseAllSessions(p.token.slot);
    other.close();
    const before = p.token.generation;
    const sigs = await Promise.all(Array.from({ length: 8 }, () => key.sign(SignatureScheme.ecdsa_secp256r1_sha256, msg)));
    for (const s of sigs) assert.ok(await node.verify(key.publicKeySpki!, SignatureScheme.ecdsa_secp256r1_sha256, msg, s));
    assert.ok(p.token.generation > before, 'the lost sessions were noticed and replaced');
  }, [['p256', 'server', '01']]);
});

test('when the module is finalised under the provider, a handshake needing a signature fails with CRYPTO_HSM_SESSION_LOST (internal_error to the client) and the server keeps serving', async () => {
  await withToken(async (hsm, p) => {
    const key = await p.signingKey({ label: 'server' });
    const cert = hsm.issue('server', key.publicKeySpki!, 'v3_server');
    const s = await ourServer('p256', { crypto: p.provider, signingKey: key, certificateChain: [cert.chainPem] });
    try {
      const ok = ourClient(s.port);
      await handshake(ok.socket);
      ok.socket.destroy();
      const other = new pkcs11js.PKCS11();
      other.load(hsm.module);
      other.C_Finalize(); // as if the module were torn down (or the device gone): every session and the login are lost
      other.close();
      const c = ourClient(s.port);
      const err = await handshake(c.socket).then(() => undefined, (e: unknown) => e as { code?: string; message: string });
      assert.ok(err, 'the handshake failed');
      assert.match(err!.message, /internal_error/);
      const conn = await s.connection(2);
      await until(() => conn.errors.length > 0, 'the server-side error');
      const serverErr = conn.errors[0] as Error & { code?: string };
      assert.is(serverErr.code, 'CRYPTO_HSM_SESSION_LOST');
      assert.match(serverErr.message, /signing the server CertificateVerify: Lost the session to PKCS#11 token "protosmith-test"/);
      assert.ok(s.server.listening, 'the server is still listening');
    } finally { await s.close(); }
  }, [['p256', 'server', '01']]);
});

test('with one session and the module gone, five queued signatures all fail with CRYPTO_HSM_SESSION_LOST; none is left waiting', async () => {
  const hsm = softHsm();
  hsm.genKey('p256', 'server', '01');
  const p = await openPkcs11({ module: hsm.module, token: hsm.label, pin: hsm.pin, maxSessions: 1 });
  try {
    const key = await p.signingKey({ label: 'server' });
    const other = new pkcs11js.PKCS11();
    other.load(hsm.module);
    other.C_Finalize();
    other.close();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => key.sign(SignatureScheme.ecdsa_secp256r1_sha256, Uint8Array.of(1))));
    assert.is(results.length, 5);
    for (const r of results) {
      assert.is(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as { code?: string; message: string };
      assert.is(e.code, 'CRYPTO_HSM_SESSION_LOST', e.message);
      assert.match(e.message, /token "protosmith-test"/);
    }
  } finally { await p.close(); hsm.cleanup(); }
});

test('openPkcs11Uri takes module, token, PIN and key from one RFC 7512 URI (pin-value, or the PIN from the environment)', async () => {
  const hsm = softHsm();
  hsm.genKey('p384', 'srv key', 'a1b2');
  try {
    const a = await openPkcs11Uri(hsm.uri('srv key', true));
    assert.equal([...a.key.schemes], [SignatureScheme.ecdsa_secp384r1_sha384]);
    assert.match(a.provider.name, /^pkcs11\(protosmith-test\)\+node$/);
    await a.close();
    const b = await openPkcs11Uri(`pkcs11:token=protosmith-test;id=%a1%b2?module-path=${hsm.module}`, { pin: hsm.pin });
    assert.match(b.key.description, /id a1b2/);
    await b.close();
  } finally { hsm.cleanup(); }
});

test.run();
