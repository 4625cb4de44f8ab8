// Policy through the TLS configuration: weak keys refused in a real handshake, and revocation, with a CRL made by the real `openssl ca -revoke / -gencrl`,
// and a check that test/support/x509-builder.ts makes what OpenSSL itself accepts (openssl verify -x509_strict,
// openssl crl -verify), so the policy tests run on real certificates.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsConfigError, type ProtosmithError } from '../../runtime/tls/index.ts';
import { clientConfig, serverConfig, connect, pki } from '../tls/harness.ts';
import { makeRoot, makeIntermediate, makeLeaf, makeCrl, makeKey } from '../support/x509-builder.ts';
import { nodeSigningKey } from '../../runtime/crypto/node/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'protosmith-crl-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A CRL from `openssl ca` for the test PKI's intermediate, revoking the given certificate files. */
function opensslCrl(revoke: string[]): string {
  const db = join(dir, `db-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkdir', ['-p', db]);
  writeFileSync(join(db, 'index.txt'), '');
  writeFileSync(join(db, 'crlnumber'), '1000\n');
  const conf = join(db, 'ca.cnf');
  writeFileSync(conf, `[ ca ]\ndefault_ca = this\n[ this ]\ndatabase = ${db}/index.txt\ncrlnumber = ${db}/crlnumber\n` +
    `certificate = ${pki.intermediate.certPath}\nprivate_key = ${pki.intermediate.keyPath}\ndefault_md = sha256\ndefault_crl_days = 7\n`);
  for (const f of revoke) openssl(['ca', '-config', conf, '-revoke', f]);
  openssl(['ca', '-config', conf, '-gencrl', '-out', join(db, 'crl.pem')]);
  return readFileSync(join(db, 'crl.pem'), 'utf8');
}

test('TLS config crls: the client refuses a server certificate revoked by an openssl-made CRL (certificate_revoked alert)', async () => {
  const crl = opensslCrl([pki.servers.p256.certPath]);
  const p = await connect(clientConfig({ crls: [crl] }), serverConfig('p256'));
  const err = p.client.error as ProtosmithError | undefined;
  assert.ok(err, 'client failed');
  assert.is(err!.code, 'CERT_REVOKED');
  assert.is(err!.alert, 'certificate_revoked');
  assert.match(err!.message, /CN=server-p256/);
  // The same CRL does not stop a certificate it does not list.
  const ok = await connect(clientConfig({ crls: [crl] }), serverConfig('p384'));
  assert.is(ok.client.error, undefined);
});

test('TLS config crls: the server refuses a revoked client certificate (clientAuth require)', async () => {
  const crl = opensslCrl([pki.clients.p256.certPath]);
  const client = clientConfig({ certificateChain: [pki.clients.p256.chainPem], signingKey: nodeSigningKey(pki.clients.p256.keyPem) });
  const p = await connect(client, serverConfig('p256', { clientAuth: 'require', trustAnchors: [pki.root.certPem], crls: [crl] }));
  assert.is((p.server.error as ProtosmithError | undefined)?.code, 'CERT_REVOKED');
});

test('TLS config crls: garbage CRL text is a TlsConfigError at construction', async () => {
  try {
    await connect(clientConfig({ crls: ['not a crl'] }), serverConfig('p256'));
    assert.unreachable('construction should throw');
  } catch (e) {
    assert.instance(e, TlsConfigError);
    assert.is((e as TlsConfigError).code, 'TLS_CONFIG_INVALID');
    assert.match((e as Error).message, /crls/);
  }
});

test('CABF BR §6.1.5 over a handshake: the client refuses a server chain whose intermediate has an RSA-1024 key (CERT_WEAK_KEY, bad_certificate)', async () => {
  const root = makeRoot({ subject: ['Handshake Root'] });
  const weak = makeIntermediate(root, { subject: ['Weak RSA-1024 CA'], key: makeKey({ rsa: 1024 }) });
  const leaf = makeLeaf(weak, {}, 'localhost');
  const keyPem = leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const p = await connect(clientConfig({ trustAnchors: [root.pem] }), serverConfig('p256', { certificateChain: [leaf.pem, weak.pem], signingKey: nodeSigningKey(keyPem) }));
  const err = p.client.error as ProtosmithError | undefined;
  assert.is(err?.code, 'CERT_WEAK_KEY');
  assert.is(err?.alert, 'bad_certificate');
  assert.match(err!.message, /certificate 1 \(subject "CN=Weak RSA-1024 CA"\) has an RSA key of 1024 bits/);
});

test('x509-builder output is accepted by openssl verify -x509_strict and openssl crl -verify', () => {
  const root = makeRoot();
  const inter = makeIntermediate(root);
  const leaf = makeLeaf(inter);
  writeFileSync(join(dir, 'b-root.pem'), root.pem);
  writeFileSync(join(dir, 'b-inter.pem'), inter.pem);
  writeFileSync(join(dir, 'b-leaf.pem'), leaf.pem);
  writeFileSync(join(dir, 'b-crl.pem'), makeCrl({ issuer: inter, revoked: [leaf.serial] }).pem);
  assert.match(openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'b-root.pem', '-untrusted', 'b-inter.pem', 'b-leaf.pem']), /b-leaf\.pem: OK/);
  const out = execFileSync('openssl', ['crl', '-in', 'b-crl.pem', '-CAfile', 'b-inter.pem', '-noout', '-text'], { cwd: dir, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  assert.match(out, /CRL Number/);
  const verified = execFileSync('sh', ['-c', 'openssl crl -in b-crl.pem -CAfile b-inter.pem -noout 2>&1'], { cwd: dir, encoding: 'utf8' });
  assert.match(verified, /verify OK/);
  // openssl agrees that the leaf is revoked.
  const crlCheck = execFileSync('sh', ['-c', 'cat b-root.pem b-inter.pem > b-ca.pem; openssl verify -crl_check -CAfile b-ca.pem -CRLfile b-crl.pem b-leaf.pem 2>&1 || true'], { cwd: dir, encoding: 'utf8' });
  assert.match(crlCheck, /certificate revoked/);
});

test.run();
