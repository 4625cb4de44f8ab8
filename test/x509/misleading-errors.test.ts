// A CA certificate in the leaf position is usually one of two mistakes, and the error says which:
// a self-signed certificate nobody trusts, or a chain sent intermediate first. Neither is reported as
// "a CA certificate used as an end-entity" with advice to reissue the leaf.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { CertificateConfigError, CertificateError, CertificateVerifier } from '../../runtime/x509/index.ts';
import { testPki } from '../support/pki.ts';
import { selfSigned } from '../support/self-signed.ts';

const pki = testPki();
const verifier = new CertificateVerifier({ crypto: createNodeProvider(), trustAnchors: pki.root.certPem });

async function failure(chain: readonly Uint8Array[]): Promise<CertificateError> {
  try {
    await verifier.verify({ chain, now: Date.now(), purpose: 'serverAuth', serverName: 'localhost' });
  } catch (e) {
    assert.instance(e, CertificateError);
    return e as CertificateError;
  }
  assert.unreachable('verification succeeded');
  throw new Error('unreachable');
}

test('a_self_signed_ca_true_leaf_is_reported_as_self_signed_and_untrusted_with_the_trust_anchor_advice', async () => {
  const leaf = selfSigned(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], true);
  const e = await failure([leaf.certDer]);
  assert.is(e.code, 'CERT_UNTRUSTED', e.message);
  assert.is(e.alert, 'unknown_ca');
  assert.match(e.message, /is self-signed and is not one of the trust anchors; to trust it, add this exact certificate to trustAnchors/);
  assert.not.match(e.message, /used as an end-entity/);
});

test('an_intermediate_first_chain_is_reported_as_out_of_order_not_as_a_ca_used_as_a_leaf', async () => {
  const leaf = pki.servers.p256;
  const e = await failure([pki.intermediate.certDer, leaf.certDer]);
  assert.is(e.alert, 'bad_certificate');
  assert.match(e.message, /leaf certificate 0 .* is the CA that issued certificate 1 .*, an end-entity certificate: the peer.s chain is out of order/);
  assert.match(e.message, /must send its own certificate first/);
  assert.not.match(e.message, /issue a leaf certificate with CA:FALSE/);
});

test('a_lone_ca_certificate_as_the_leaf_is_still_a_ca_used_as_an_end_entity', async () => {
  const e = await failure([pki.intermediate.certDer]);
  assert.is(e.code, 'CERT_CA_AS_LEAF');
  assert.match(e.message, /used as an end-entity certificate/);
});

test('bad_base64_in_a_trust_anchor_pem_block_is_a_config_error_not_a_domexception', () => {
  // valid base64 characters, invalid base64: a lone trailing character (length % 4 == 1)
  const broken = pki.root.certPem.replace(/\n-----END CERTIFICATE-----/, 'A\n-----END CERTIFICATE-----');
  let err: unknown;
  try { new CertificateVerifier({ crypto: createNodeProvider(), trustAnchors: broken }); } catch (e) { err = e; }
  assert.instance(err, CertificateConfigError, String(err));
  assert.is((err as CertificateConfigError).code, 'CERT_BAD_TRUST_ANCHOR');
  assert.match((err as Error).message, /not valid base64/);
});

test.run();
