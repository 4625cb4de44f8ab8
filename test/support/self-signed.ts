// One-off self-signed certificates made by the openssl CLI, for cases the shared test PKI does not
// hold (e.g. an RSA-1024 key that configuration must refuse).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for localhost and its key; `keyArg` as for `openssl req`, e.g. ['-newkey', 'rsa:1024'].
 *  End-entity (CA:FALSE) unless `ca` (CA:TRUE, what `openssl req -x509` makes by default). */
export function selfSigned(keyArg: string[], ca = false): { certPem: string; keyPem: string; certDer: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-cfg-'));
  try {
    execFileSync('openssl', ['req', '-x509', ...keyArg, '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-addext', `basicConstraints=critical,CA:${ca ? 'TRUE' : 'FALSE'}`, '-days', '2'], { stdio: 'pipe' });
    const certPem = readFileSync(join(dir, 'c.pem'), 'utf8');
    const der = new Uint8Array(Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
    return { certPem, keyPem: readFileSync(join(dir, 'k.pem'), 'utf8'), certDer: der };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}
