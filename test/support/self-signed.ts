// One-off self-signed certificates made by the openssl CLI, for cases the shared test PKI does not
// hold (e.g. an RSA-1024 key that configuration must refuse).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed end-entity certificate for localhost and its key; `keyArg` as for `openssl req`, e.g. ['-newkey', 'rsa:1024']. */
export function selfSigned(keyArg: string[]): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-cfg-'));
  try {
    execFileSync('openssl', ['req', '-x509', ...keyArg, '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE', '-days', '2'], { stdio: 'pipe' });
    return { certPem: readFileSync(join(dir, 'c.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'k.pem'), 'utf8') };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}
