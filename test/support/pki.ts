// Test PKIs made at test time with the real `openssl` CLI, in a temp dir removed when the process exits.
// One PKI per test process (cached): a root CA, an intermediate CA, server leaves for localhost and
// 127.0.0.1 with ECDSA P-256, P-384, RSA-2048 (usable for rsa_pss_rsae_*) and Ed25519 keys, client
// certificates, and the broken cases verification must refuse (expired, wrong host, no serverAuth,
// an untrusted root, a non-CA issuer).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeyKind = 'p256' | 'p384' | 'rsa2048' | 'ed25519';
export const KEY_KINDS: readonly KeyKind[] = ['p256', 'p384', 'rsa2048', 'ed25519'];

export interface PkiCert {
  readonly name: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly certDer: Uint8Array;
  /** leaf + intermediate, PEM (what a server sends). */
  readonly chainPem: string;
  readonly chainPath: string;
  /** leaf + intermediate, DER list (what a Certificate message carries). */
  readonly chainDer: readonly Uint8Array[];
}

export interface TestPki {
  readonly dir: string;
  readonly root: PkiCert;
  readonly intermediate: PkiCert;
  readonly servers: Readonly<Record<KeyKind, PkiCert>>;
  readonly clients: Readonly<Record<KeyKind, PkiCert>>;
  /** notAfter in 2020. */
  readonly expired: PkiCert;
  /** SAN is only wrong.example. */
  readonly wrongHost: PkiCert;
  /** EKU clientAuth only (not a server certificate). */
  readonly noServerAuth: PkiCert;
  /** Issued by a leaf (CA:FALSE) certificate: chain is leaf <- leaf <- intermediate. */
  readonly issuedByLeaf: PkiCert;
  /** Leaf under a sub-CA under the intermediate (whose pathlen is 0): chain leaf, sub-CA, intermediate. */
  readonly tooDeep: PkiCert;
  /** Under an intermediate with nameConstraints (permitted DNS:allowed.test, IP:127.0.0.0/8; excluded DNS:bad.allowed.test). */
  readonly constrained: { readonly inside: PkiCert; readonly outside: PkiCert; readonly excluded: PkiCert };
  /** A leaf with a critical private extension (1.3.6.1.4.1.55555.1) nobody processes. */
  readonly unknownCritical: PkiCert;
  /** Under a CA whose nameConstraints use directoryName (a form not enforced). */
  readonly dirNameConstrained: PkiCert;
  /** A second, unrelated root and a leaf under it. */
  readonly otherRoot: PkiCert;
  readonly untrustedLeaf: PkiCert;
  /** SAN *.wild.test, localhost. */
  readonly wildcard: PkiCert;
}

let cached: TestPki | undefined;

function openssl(cwd: string, args: string[], input?: string): string {
  try {
    return execFileSync('openssl', args, { cwd, encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

export function pemToDerList(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem); m !== null; m = re.exec(pem)) {
    out.push(new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

const EXT = `
[ v3_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_inter ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_subca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[ v3_ncca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
nameConstraints = critical, permitted;DNS:allowed.test, permitted;IP:127.0.0.0/255.0.0.0, excluded;DNS:bad.allowed.test
[ v3_nc_inside ]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.allowed.test, IP:127.0.0.1
[ v3_nc_outside ]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.allowed.test, DNS:evil.test
[ v3_nc_excluded ]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.allowed.test, DNS:x.bad.allowed.test
[ v3_unknown_critical ]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
1.3.6.1.4.1.55555.1 = critical, ASN1:UTF8String:must understand
[ v3_dirnca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
nameConstraints = critical, permitted;dirName:nc_dir
[ nc_dir ]
O = Allowed Org
[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[ v3_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:client.test
[ v3_wrong ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
[ v3_wild ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:*.wild.test, DNS:localhost
[ v3_leafca ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
`;

/** Builds (once per process) and returns the test PKI. */
export function testPki(): TestPki {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-pki-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ext.cnf'), EXT);

  // Each CA gets a tiny `openssl ca` database so start/end dates can be set (expired leaf).
  // ECDSA issuers sign with the hash that matches their curve (the TLS scheme binds the two).
  const caConf = (ca: string, md = 'sha256'): string => {
    const d = join(dir, `${ca}.db`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'index.txt'), '');
    writeFileSync(join(d, 'serial'), `${(0x10000000 + Math.floor(Math.random() * 0x6fffffff)).toString(16)}\n`);
    const conf = join(dir, `${ca}.cnf`);
    writeFileSync(conf, `[ ca ]\ndefault_ca = this\n[ this ]\ndir = ${d}\ndatabase = ${d}/index.txt\nserial = ${d}/serial\n` +
      `new_certs_dir = ${d}\ncertificate = ${dir}/${ca}.crt\nprivate_key = ${dir}/${ca}.key\ndefault_md = ${md}\n` +
      `policy = any\nunique_subject = no\ncopy_extensions = none\n[ any ]\ncommonName = supplied\n` + EXT);
    return conf;
  };

  // Keys are made by `req -newkey` together with the request (one openssl run instead of two).
  const pendingKind = new Map<string, KeyKind>();
  const genKey = (name: string, kind: KeyKind): void => { pendingKind.set(name, kind); };
  const keySource = (name: string): string[] => {
    const kind = pendingKind.get(name);
    pendingKind.delete(name);
    if (kind === undefined) return ['-key', `${name}.key`];
    const spec = kind === 'p256' ? ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : kind === 'p384' ? ['ec', '-pkeyopt', 'ec_paramgen_curve:P-384']
      : kind === 'rsa2048' ? ['rsa:2048'] : ['ed25519'];
    return ['-newkey', ...spec, '-noenc', '-keyout', `${name}.key`];
  };
  const csr = (name: string): void => {
    openssl(dir, ['req', '-new', ...keySource(name), '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
  };
  const sign = (name: string, ca: string, ext: string, dates?: { start: string; end: string }): void => {
    csr(name);
    const dateArgs = dates ? ['-startdate', dates.start, '-enddate', dates.end] : ['-days', '30'];
    openssl(dir, ['ca', '-batch', '-notext', '-config', join(dir, `${ca}.cnf`), '-extensions', ext,
      '-in', `${name}.csr`, '-out', `${name}.crt`, ...dateArgs]);
  };
  const selfSigned = (name: string, kind: KeyKind): void => {
    genKey(name, kind);
    const md = kind === 'p384' ? 'sha384' : 'sha256';
    openssl(dir, ['req', '-new', '-x509', `-${md}`, ...keySource(name), '-subj', `/CN=${name}`, '-days', '30',
      '-config', join(dir, 'ext.cnf'), '-extensions', 'v3_root', '-out', `${name}.crt`]);
    caConf(name, md);
  };
  const load = (name: string, chain: string[]): PkiCert => {
    const certPath = join(dir, `${name}.crt`);
    const keyPath = join(dir, `${name}.key`);
    const certPem = readFileSync(certPath, 'utf8');
    const chainPem = [certPem, ...chain.map((c) => readFileSync(join(dir, `${c}.crt`), 'utf8'))].join('');
    const chainPath = join(dir, `${name}.chain.pem`);
    writeFileSync(chainPath, chainPem);
    return {
      name, certPath, keyPath, certPem, keyPem: readFileSync(keyPath, 'utf8'),
      certDer: pemToDerList(certPem)[0]!, chainPem, chainPath, chainDer: pemToDerList(chainPem),
    };
  };

  selfSigned('root', 'p384');
  genKey('intermediate', 'p256');
  sign('intermediate', 'root', 'v3_inter');
  caConf('intermediate');
  const leaf = (name: string, kind: KeyKind, ext: string, dates?: { start: string; end: string }): PkiCert => {
    genKey(name, kind);
    sign(name, 'intermediate', ext, dates);
    return load(name, ['intermediate']);
  };
  const servers = {} as Record<KeyKind, PkiCert>;
  const clients = {} as Record<KeyKind, PkiCert>;
  for (const k of KEY_KINDS) {
    servers[k] = leaf(`server-${k}`, k, 'v3_server');
    clients[k] = leaf(`client-${k}`, k, 'v3_client');
  }
  const expired = leaf('expired', 'p256', 'v3_server', { start: '20200101000000Z', end: '20200201000000Z' });
  const wrongHost = leaf('wrong-host', 'p256', 'v3_wrong');
  const noServerAuth = leaf('no-server-auth', 'p256', 'v3_client');
  const wildcard = leaf('wildcard', 'p256', 'v3_wild');
  // A CA:FALSE certificate that nonetheless issues another one.
  leaf('leaf-issuer', 'p256', 'v3_leafca');
  caConf('leaf-issuer');
  genKey('issued-by-leaf', 'p256');
  sign('issued-by-leaf', 'leaf-issuer', 'v3_server');
  const issuedByLeaf = load('issued-by-leaf', ['leaf-issuer', 'intermediate']);
  genKey('sub-ca', 'p256');
  sign('sub-ca', 'intermediate', 'v3_subca');
  caConf('sub-ca');
  genKey('too-deep', 'p256');
  sign('too-deep', 'sub-ca', 'v3_server');
  const tooDeep = load('too-deep', ['sub-ca', 'intermediate']);
  genKey('constrained-ca', 'p256');
  sign('constrained-ca', 'root', 'v3_ncca');
  caConf('constrained-ca');
  const underNc = (name: string, ext: string): PkiCert => {
    genKey(name, 'p256');
    sign(name, 'constrained-ca', ext);
    return load(name, ['constrained-ca']);
  };
  const constrained = { inside: underNc('nc-inside', 'v3_nc_inside'), outside: underNc('nc-outside', 'v3_nc_outside'), excluded: underNc('nc-excluded', 'v3_nc_excluded') };
  const unknownCritical = leaf('unknown-critical', 'p256', 'v3_unknown_critical');
  genKey('dirname-ca', 'p256');
  sign('dirname-ca', 'root', 'v3_dirnca');
  caConf('dirname-ca');
  genKey('dirname-leaf', 'p256');
  sign('dirname-leaf', 'dirname-ca', 'v3_server');
  const dirNameConstrained = load('dirname-leaf', ['dirname-ca']);
  selfSigned('other-root', 'p256');
  genKey('untrusted-leaf', 'p256');
  sign('untrusted-leaf', 'other-root', 'v3_server');
  const untrustedLeaf = load('untrusted-leaf', []);

  cached = {
    dir, root: load('root', []), intermediate: load('intermediate', ['root']), servers, clients,
    expired, wrongHost, noServerAuth, issuedByLeaf, tooDeep, constrained, unknownCritical, dirNameConstrained, otherRoot: load('other-root', []), untrustedLeaf, wildcard,
  };
  return cached;
}
