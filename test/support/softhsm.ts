// A throwaway SoftHSM2 token per test: its own token directory and SOFTHSM2_CONF, a token initialised
// with softhsm2-util, key pairs generated inside it with pkcs11-tool (OpenSC; private keys are
// sensitive and never extractable), and certificates for those keys issued by the test PKI's
// intermediate CA with the openssl CLI. `cleanup()` removes the directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPki } from './pki.ts';

/** Where Debian's softhsm2 puts the module (the first path that exists). */
export const SOFTHSM_MODULE = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so']
  .find((p) => existsSync(p)) ?? '/usr/lib/softhsm/libsofthsm2.so';

export type HsmKeyKind = 'p256' | 'p384' | 'rsa2048' | 'ed25519';
const KEY_TYPE: Record<HsmKeyKind, string> = { p256: 'EC:prime256v1', p384: 'EC:secp384r1', rsa2048: 'rsa:2048', ed25519: 'EC:edwards25519' };

export interface HsmCert { certPath: string; chainPath: string; chainPem: string }

export interface SoftHsm {
  readonly dir: string;
  readonly conf: string;
  readonly module: string;
  readonly label: string;
  readonly pin: string;
  /** Environment for child processes (SOFTHSM2_CONF). process.env gets it too. */
  readonly env: NodeJS.ProcessEnv;
  /** Generates a key pair in the token (private key: sign, sensitive, not extractable). */
  genKey(kind: HsmKeyKind, label: string, idHex: string): void;
  /** Issues a leaf certificate (v3_server or v3_client of the test PKI) for an SPKI (DER). */
  issue(name: string, spki: Uint8Array, ext: 'v3_server' | 'v3_client'): HsmCert;
  /** pkcs11: URI of a key on this token (with module-path; no PIN unless withPin). */
  uri(label: string, withPin?: boolean): string;
  cleanup(): void;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr ?? ''}${err.stdout ?? ''}${err.message}`);
  }
}

/** A fresh token named `label` in a new directory; sets process.env.SOFTHSM2_CONF to it. */
export function softHsm(label = 'protosmith-test', pin = '1234'): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  const tokens = join(dir, 'tokens');
  execFileSync('mkdir', ['-p', tokens]);
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env['SOFTHSM2_CONF'] = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  run('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '0000', '--pin', pin], env);
  const pki = testPki();
  return {
    dir, conf, module: SOFTHSM_MODULE, label, pin, env,
    genKey(kind, keyLabel, idHex) {
      run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', label, '--login', '--pin', pin, '--keypairgen',
        '--key-type', KEY_TYPE[kind], '--label', keyLabel, '--id', idHex, '--usage-sign'], env);
    },
    issue(name, spki, ext) {
      const pub = join(dir, `${name}.pub.pem`);
      writeFileSync(pub, `-----BEGIN PUBLIC KEY-----\n${Buffer.from(spki).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`);
      const certPath = join(dir, `${name}.crt`);
      run('openssl', ['x509', '-new', '-subj', `/CN=${name}`, '-force_pubkey', pub, '-CA', pki.intermediate.certPath, '-CAkey', pki.intermediate.keyPath,
        '-days', '30', '-sha256', '-extfile', join(pki.dir, 'ext.cnf'), '-extensions', ext, '-out', certPath], env);
      const chainPem = readFileSync(certPath, 'utf8') + pki.intermediate.certPem;
      const chainPath = join(dir, `${name}.chain.pem`);
      writeFileSync(chainPath, chainPem);
      return { certPath, chainPath, chainPem };
    },
    uri(keyLabel, withPin = false) {
      return `pkcs11:token=${encodeURIComponent(label)};object=${encodeURIComponent(keyLabel)};type=private?module-path=${SOFTHSM_MODULE}${withPin ? `&pin-value=${pin}` : ''}`;
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}
