// `protosmith demo` (what `npm start` runs): the whole pipeline in one go, each part reporting
// honestly whether it worked.
//   1. regenerate generated/ from specs/
//   2. an in-memory TLS 1.3 handshake between protosmith's client and server (fresh demo PKI), once per
//      crypto provider (node, native, webcrypto, noble), each named in the output
//   3. protosmith's client against a local `openssl s_server`, started and stopped by its pid
//   4. the state-machine drawings copied to out/ (and the viz command's HTML, when it exists)
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { projectRoot } from '../root.ts';
import { PROVIDERS, providerByName, signingKeyFromPemText, type ProviderName } from '../tls-options.ts';

const SUITES: Record<number, string> = { 0x1301: 'TLS_AES_128_GCM_SHA256', 0x1302: 'TLS_AES_256_GCM_SHA384', 0x1303: 'TLS_CHACHA20_POLY1305_SHA256' };
const GROUPS: Record<number, string> = { 0x001d: 'x25519', 0x0017: 'secp256r1', 0x0018: 'secp384r1' };
const SCHEMES: Record<number, string> = {
  0x0403: 'ecdsa_secp256r1_sha256', 0x0503: 'ecdsa_secp384r1_sha384', 0x0804: 'rsa_pss_rsae_sha256',
  0x0805: 'rsa_pss_rsae_sha384', 0x0806: 'rsa_pss_rsae_sha512', 0x0807: 'ed25519',
};
const name = (table: Record<number, string>, v: number | undefined): string =>
  v === undefined ? '-' : table[v] ?? `0x${v.toString(16).padStart(4, '0')}`;

/** A demo step that did not produce what it should; reported, never thrown out of run(). */
class DemoStepError extends Error {
  readonly code = 'DEMO_STEP_FAILED';
  readonly blame = 'local';
}

interface HandshakeFacts {
  cipherSuite: number; group: number | undefined; signatureScheme?: number | undefined; alpn?: string | undefined;
  serverName?: string | undefined; resumed: boolean; earlyDataAccepted: boolean; peerCertificates: readonly Uint8Array[];
}

function describe(h: HandshakeFacts): string {
  return [
    `suite=${name(SUITES, h.cipherSuite)}`, `group=${name(GROUPS, h.group)}`, `signature=${name(SCHEMES, h.signatureScheme)}`,
    `alpn=${h.alpn ?? '-'}`, `sni=${h.serverName ?? '-'}`, `resumed=${h.resumed}`, `0rtt=${h.earlyDataAccepted}`,
    `peer certs=${h.peerCertificates.length}`,
  ].join(' ');
}

const out = (s: string): void => { process.stdout.write(`${s}\n`); };
const fmtErr = (e: unknown): string => {
  const x = e as { code?: unknown; message?: unknown };
  return `${typeof x.code === 'string' ? `[${x.code}] ` : ''}${x.message ?? String(e)}`;
};

interface DemoPki { caPem: string; certPem: string; keyPem: string }

/** A throwaway CA and a localhost/127.0.0.1 leaf, made in memory with @peculiar/x509 (WebCrypto keys). */
async function makePki(): Promise<DemoPki> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 86400_000);
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=protosmith demo CA', notBefore, notAfter, signingAlgorithm: alg, keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey)],
  });
  const leafKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02', subject: 'CN=localhost', issuer: ca.subject, notBefore, notAfter, signingAlgorithm: alg,
    publicKey: leafKeys.publicKey, signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // RFC 5280 §4.2.1.1: the verifier refuses a leaf without authorityKeyIdentifier.
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { caPem: ca.toString('pem'), certPem: leaf.toString('pem'), keyPem };
}

async function partGenerate(root: string, check: boolean): Promise<boolean> {
  out(check ? '== 1. check generated/ against specs/ (--check: nothing written)' : '== 1. regenerate generated/ from specs/');
  try {
    const { generate } = await import('../../../generator/generate.ts');
    const r = await generate(root, check);
    if (check) {
      out(r.stale.length ? `   FAILED: ${r.stale.length} stale file(s): ${r.stale.slice(0, 5).join(', ')}` : '   ok: generated/ is up to date');
      return r.stale.length === 0;
    }
    out(`   ok: ${r.written ?? 0} file(s) written${r.stale.length ? ` (${r.stale.length} were stale: ${r.stale.slice(0, 5).join(', ')}${r.stale.length > 5 ? ', ...' : ''})` : ', everything was up to date'}`);
    return true;
  } catch (e) {
    out(`   FAILED: ${fmtErr(e)}`);
    return false;
  }
}

async function partInMemory(pki: DemoPki, providerName: ProviderName): Promise<boolean> {
  out(`== 2. in-memory TLS 1.3 handshake: protosmith client <-> protosmith server, crypto provider "${providerName}"`);
  try {
    const { TlsClient, TlsServer } = await import('../../tls/index.ts');
    const crypto = await providerByName(providerName);
    const signingKey = await signingKeyFromPemText(providerName, pki.keyPem, 'the demo key');
    const ticketKey = crypto.randomBytes(32);
    const server = new TlsServer({
      crypto, now: Date.now, certificateChain: [pki.certPem], signingKey, alpn: ['demo/1'], ticketKey, maxEarlyData: 1024,
    });
    const client = new TlsClient({ crypto, now: Date.now, serverName: 'localhost', trustAnchors: [pki.caPem], alpn: ['demo/1'] });
    type Ev = { type: string; [k: string]: unknown };
    const cEvents: Ev[] = [];
    const sEvents: Ev[] = [];
    const pump = async (): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        const toServer = client.takeOutput();
        if (toServer.length) sEvents.push(...(await server.receive(toServer)) as Ev[]);
        const toClient = server.takeOutput();
        if (toClient.length) cEvents.push(...(await client.receive(toClient)) as Ev[]);
        if (!toServer.length && !toClient.length) return;
      }
    };
    const started = performance.now();
    await client.start();
    await pump();
    const err = [...cEvents, ...sEvents].find((e) => e.type === 'error');
    if (err) throw err['error'];
    const hc = cEvents.find((e) => e.type === 'handshakeComplete') as unknown as HandshakeFacts | undefined;
    if (!hc) throw new DemoStepError(`no handshakeComplete on the client (client events: ${cEvents.map((e) => e.type).join(', ') || 'none'})`);
    const ms = performance.now() - started;
    await client.write(new TextEncoder().encode('ping from the protosmith client'));
    await pump();
    const got = sEvents.filter((e) => e.type === 'data').map((e) => new TextDecoder().decode(e['data'] as Uint8Array)).join('');
    const tickets = cEvents.filter((e) => e.type === 'newSessionTicket').map((e) => e['ticket']) as import('../../tls/index.ts').ClientSession[];
    out(`   ok in ${ms.toFixed(1)} ms: ${describe(hc)}`);
    out(`   server received: "${got}"; tickets to client: ${tickets.length}`);
    if (got !== 'ping from the protosmith client' || tickets.length === 0) return false;

    // Second connection: resume with the ticket and send 0-RTT data.
    const server2 = new TlsServer({
      crypto, now: Date.now, certificateChain: [pki.certPem], signingKey, alpn: ['demo/1'], ticketKey, maxEarlyData: 1024,
    });
    const session = tickets[tickets.length - 1]!;
    const client2 = new TlsClient({ crypto, now: Date.now, serverName: 'localhost', trustAnchors: [pki.caPem], alpn: ['demo/1'], session,
      earlyData: session.maxEarlyData > 0 ? new TextEncoder().encode('0-RTT hello') : undefined });
    const c2: Ev[] = [];
    const s2: Ev[] = [];
    const t2 = performance.now();
    await client2.start();
    for (let i = 0; i < 50; i++) {
      const a = client2.takeOutput();
      if (a.length) s2.push(...(await server2.receive(a)) as Ev[]);
      const b = server2.takeOutput();
      if (b.length) c2.push(...(await client2.receive(b)) as Ev[]);
      if (!a.length && !b.length) break;
    }
    const err2 = [...c2, ...s2].find((e) => e.type === 'error');
    if (err2) throw err2['error'];
    const hc2 = c2.find((e) => e.type === 'handshakeComplete') as unknown as HandshakeFacts | undefined;
    if (!hc2) throw new DemoStepError('the resumed handshake did not complete');
    const early = s2.filter((e) => e.type === 'earlyData').map((e) => new TextDecoder().decode(e['data'] as Uint8Array)).join('');
    out(`   resumed in ${(performance.now() - t2).toFixed(1)} ms: ${describe(hc2)}`);
    out(`   server received 0-RTT data: "${early}" (replayable: only for idempotent requests)`);
    return hc2.resumed;
  } catch (e) {
    out(`   FAILED: ${fmtErr(e)}`);
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
  });
}

async function partOpenssl(pki: DemoPki): Promise<boolean> {
  out('== 3. protosmith client (runtime/node connect) against a local openssl s_server');
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-demo-'));
  writeFileSync(join(dir, 'cert.pem'), pki.certPem);
  writeFileSync(join(dir, 'key.pem'), pki.keyPem);
  const port = await freePort();
  const child = spawn('openssl', ['s_server', '-tls1_3', '-accept', `127.0.0.1:${port}`, '-naccept', '1', '-cert', join(dir, 'cert.pem'),
    '-key', join(dir, 'key.pem'), '-alpn', 'demo/1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  child.stdin.on('error', () => { /* exited */ });
  const waitLog = async (re: RegExp, ms: number): Promise<boolean> => {
    const end = Date.now() + ms;
    while (!re.test(log)) {
      if (Date.now() > end || child.exitCode !== null) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  };
  try {
    if (child.pid === undefined) throw new DemoStepError('could not start openssl');
    if (!(await waitLog(/^ACCEPT$/m, 5000))) throw new DemoStepError(`openssl s_server did not start: ${log.trim()}`);
    out(`   openssl s_server pid ${child.pid} listening on 127.0.0.1:${port}`);
    const { connect } = await import('../../node/index.ts');
    const socket = connect({ host: '127.0.0.1', port, serverName: 'localhost', trustAnchors: [pki.caPem], alpn: ['demo/1'] });
    const failure = new Promise<never>((_, reject) => socket.once('error', reject));
    const hc = await Promise.race([socket.secureConnect(), failure, new Promise<never>((_, r) => setTimeout(() => r(new DemoStepError('handshake timed out after 5 s')), 5000))]);
    out(`   ok: ${describe(hc)}`);
    socket.write('hello openssl\n');
    const echoed = await waitLog(/hello openssl/, 3000);
    out(`   s_server ${echoed ? 'printed' : 'did NOT print'} our data`);
    socket.destroy();
    return echoed;
  } catch (e) {
    out(`   FAILED: ${fmtErr(e)}`);
    return false;
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    out(`   openssl s_server pid ${child.pid} stopped`);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function partDrawings(root: string): Promise<boolean> {
  out('== 4. state-machine drawings -> out/');
  const src = join(root, 'generated', 'tls13', 'machines');
  const dest = join(root, 'out');
  mkdirSync(dest, { recursive: true });
  const svgs = existsSync(src) ? readdirSync(src).filter((f) => f.endsWith('.svg')) : [];
  for (const f of svgs) copyFileSync(join(src, f), join(dest, f));
  out(svgs.length ? `   copied ${svgs.map((f) => `out/${f}`).join(', ')}` : `   FAILED: no SVG drawings under ${src}`);
  let html = 0;
  try {
    const viz = await import('./viz.ts');
    for (const machine of ['client', 'server']) {
      const target = join(dest, `${machine}.html`);
      const silent = process.stderr.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      let code: number;
      try { code = await viz.run([`tls13/${machine}`, '--format', 'html', '--out', target]); } finally { process.stderr.write = silent; }
      if (code === 0 && existsSync(target)) html++;
    }
  } catch { /* viz not available */ }
  out(html ? `   viz wrote ${html} HTML page(s) to out/` : '   (no HTML: `protosmith viz --format html` is not available in this build)');
  return svgs.length > 0;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    out('usage: protosmith demo [--check]\n  regenerate (--check: only verify generated/ is current), run TLS 1.3 handshakes (in memory, resumed with 0-RTT, and against openssl s_server), draw the machines to out/');
    return 0;
  }
  const root = projectRoot();
  const results: [string, boolean][] = [];
  results.push(['generate', await partGenerate(root, args.includes('--check'))]);
  let pki: DemoPki | undefined;
  try { pki = await makePki(); } catch (e) { out(`   demo PKI could not be made: ${fmtErr(e)}`); }
  // Once per software provider, each on both sides of the connection.
  for (const p of PROVIDERS) results.push([`in-memory handshake [${p}]`, pki ? await partInMemory(pki, p) : false]);
  results.push(['openssl s_server', pki ? await partOpenssl(pki) : false]);
  results.push(['drawings', await partDrawings(root)]);
  out(`\n${results.map(([n, ok]) => `${ok ? 'ok  ' : 'FAIL'} ${n}`).join('\n')}`);
  return results.every(([, ok]) => ok) ? 0 : 1;
}
