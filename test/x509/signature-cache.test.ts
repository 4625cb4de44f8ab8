// The verifier's memory of certificate signatures that verified (runtime/x509/verify.ts VerifiedSignatures):
// a chain seen again costs no provider verification, and the memory answers only the byte-identical
// question. Each refusal below would be an acceptance if an entry were matched by its signature alone, or
// by anything less than all of issuer key, scheme, signed bytes and signature.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { compose } from '../../runtime/crypto/compose.ts';
import type { CryptoProvider } from '../../runtime/crypto/provider.ts';
import { CertificateError, CertificateVerifier } from '../../runtime/x509/index.ts';
import { children, single } from '../../runtime/x509/der.ts';
import { VERIFIED_SIGNATURES_KEPT, verifiedSignaturesHeld } from '../../runtime/x509/verify.ts';
import { makeIntermediate, makeLeaf, makeRoot, seq, type TestCert } from '../support/x509-builder.ts';

const NOW = Date.now();
const root = makeRoot();
const inter = makeIntermediate(root);
const leaf = makeLeaf(inter);

/** A node provider of its own (its own memory), counting the verifications it is asked for. */
function counting(): { crypto: CryptoProvider; calls: () => number } {
  const base = createNodeProvider();
  let n = 0;
  const crypto = compose(base, {
    importPublicKey: (spki) => base.importPublicKey(spki),
    verify: (key, scheme, message, signature) => { n++; return base.verify(key, scheme, message, signature); },
  });
  return { crypto, calls: () => n };
}

const request = (chain: readonly Uint8Array[]) => ({ chain, now: NOW, purpose: 'serverAuth' as const, serverName: 'www.example.com' });

async function refusedWith(v: CertificateVerifier, chain: readonly Uint8Array[], code: string): Promise<void> {
  try {
    await v.verify(request(chain));
  } catch (e) {
    assert.instance(e, CertificateError);
    assert.is((e as CertificateError).code, code, (e as Error).message);
    return;
  }
  assert.unreachable(`expected ${code}, but the chain was accepted`);
}

/** `cert` with its signed part (TBSCertificate) replaced by `tbsFrom`'s, keeping `cert`'s algorithm and signature. */
function withTbsOf(cert: TestCert, tbsFrom: TestCert): Uint8Array {
  const [, alg, sig] = children(single(cert.der).value);
  const [tbs] = children(single(tbsFrom.der).value);
  return seq(tbs!.full, alg!.full, sig!.full);
}

test('a chain verified once is verified again without asking the provider; each verifier of the same provider shares it', async () => {
  const { crypto, calls } = counting();
  await new CertificateVerifier({ crypto, trustAnchors: [root.der] }).verify(request([leaf.der, inter.der]));
  assert.is(calls(), 2, 'leaf by intermediate, intermediate by root');
  assert.is(verifiedSignaturesHeld(crypto), 2);
  // A new verifier per connection (as the engine makes), same provider: no verification at all.
  await new CertificateVerifier({ crypto, trustAnchors: [root.der] }).verify(request([leaf.der, inter.der]));
  assert.is(calls(), 2);
  // A new leaf under the same intermediate: only its own signature is verified.
  await new CertificateVerifier({ crypto, trustAnchors: [root.der] }).verify(request([makeLeaf(inter).der, inter.der]));
  assert.is(calls(), 3);
});

test('the remembered signature does not vouch for other signed bytes: a certificate with altered contents and the old signature is refused', async () => {
  const { crypto } = counting();
  const v = new CertificateVerifier({ crypto, trustAnchors: [root.der] });
  await v.verify(request([leaf.der, inter.der]));
  // Same signature bytes over a different TBSCertificate (same name, the attacker's key): CERT_BAD_SIGNATURE, not a hit.
  const forged = withTbsOf(leaf, makeLeaf(inter));
  await refusedWith(new CertificateVerifier({ crypto, trustAnchors: [root.der] }), [forged, inter.der], 'CERT_BAD_SIGNATURE');
  // Same for the intermediate's signature by the root.
  const forgedInter = withTbsOf(inter, makeIntermediate(root, { subject: ['Test Intermediate'], key: leaf.key }));
  await refusedWith(new CertificateVerifier({ crypto, trustAnchors: [root.der] }), [leaf.der, forgedInter], 'CERT_BAD_SIGNATURE');
});

test('the remembered signature does not vouch for another issuer key: the same chain under a same-named root with another key is refused', async () => {
  const { crypto } = counting();
  await new CertificateVerifier({ crypto, trustAnchors: [root.der] }).verify(request([leaf.der, inter.der]));
  const impostor = makeRoot(); // 'CN=Test Root' again, a new key
  await refusedWith(new CertificateVerifier({ crypto, trustAnchors: [impostor.der] }), [leaf.der, inter.der], 'CERT_BAD_SIGNATURE');
});

test('failures are not remembered: a bad signature is put to the provider every time', async () => {
  const { crypto, calls } = counting();
  const forged = withTbsOf(leaf, makeLeaf(inter, {}, 'evil.example.com'));
  const v = new CertificateVerifier({ crypto, trustAnchors: [root.der] });
  await refusedWith(v, [forged, inter.der], 'CERT_BAD_SIGNATURE');
  const after1 = calls();
  await refusedWith(v, [forged, inter.der], 'CERT_BAD_SIGNATURE');
  assert.ok(calls() > after1, 'asked again');
  assert.is(verifiedSignaturesHeld(crypto), 0, 'nothing held (the path is checked from the leaf up, and the leaf failed)');
});

test('the memory is bounded: the least recently used signature is dropped first', async () => {
  const { crypto, calls } = counting();
  const v = new CertificateVerifier({ crypto, trustAnchors: [root.der] });
  await v.verify(request([leaf.der, inter.der]));
  for (let i = 0; i < VERIFIED_SIGNATURES_KEPT; i++) {
    await v.verify(request([makeLeaf(inter).der, inter.der])); // the intermediate's entry is used (and kept fresh) each time
  }
  assert.is(verifiedSignaturesHeld(crypto), VERIFIED_SIGNATURES_KEPT);
  const before = calls();
  await v.verify(request([leaf.der, inter.der]));
  assert.is(calls(), before + 1, 'the first leaf was dropped (asked again); its intermediate was not');
});

test.run();
