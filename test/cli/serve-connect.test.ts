// `protosmith serve` and `protosmith connect` as processes, against real peers: openssl s_client and
// curl against serve (key in a PEM file, or in a SoftHSM2 token by pkcs11: URI), connect against
// openssl s_server and gnutls-serv. Every process is started here on 127.0.0.1 and stopped by its pid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { gnutlsServer, opensslClient, opensslServer, spawnPeer, stopAll, withPeer, type Peer } from '../interop/harness.ts';
import { testPki } from '../support/pki.ts';
import { softHsm } from '../support/softhsm.ts';

const pki = testPki();
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'protosmith.mjs');
test.after(stopAll);

/** `protosmith serve --port 0 ...`, resolved once it printed the port it listens on. */
async function serve(args: string[]): Promise<{ peer: Peer; port: number }> {
  const peer = spawnPeer('protosmith serve', process.execPath, [BIN, 'serve', '--port', '0', ...args], 0);
  const m = await peer.waitFor(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 20_000);
  return { peer, port: Number(m[1]) };
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '20', ...args], (e, stdout, stderr) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const sClientArgs = ['-CAfile', pki.root.certPath, '-verify_return_error', '-verify_hostname', 'localhost', '-servername', 'localhost'];

test('serve (PEM key) completes a handshake with openssl s_client, prints the negotiated parameters, copies received data to stdout and stdin to the client, and stops on SIGTERM with exit 0', async () => {
  const s = pki.servers.p256;
  const { peer, port } = await serve(['--cert', s.chainPath, '--key', s.keyPath, '--alpn', 'demo/1']);
  try {
    await withPeer(() => opensslClient(port, [...sClientArgs, '-alpn', 'demo/1']), async (client) => {
      await peer.waitFor(/handshake complete[\s\S]*Cipher: TLS_AES_\d+_GCM_SHA\d+[\s\S]*Signature scheme: ecdsa_secp256r1_sha256[\s\S]*ALPN: demo\/1/);
      client.send('hello-serve\n');
      await peer.waitFor(/hello-serve/);
      peer.send('hello-s_client\n');
      await client.waitFor(/hello-s_client/);
      assert.match(client.output(), /Verify return code: 0 \(ok\)/);
      assert.match(client.output(), /ALPN protocol: demo\/1/);
    });
  } finally { await peer.stop(); }
  assert.is(await peer.exited, 0);
  assert.match(peer.output(), /protosmith serve: stopped/);
});

for (const provider of ['node', 'webcrypto', 'noble'] as const) {
  test(`serve --www --provider ${provider} answers curl's GET over TLS 1.3 with a page naming the protocol, cipher and provider`, async () => {
    const s = pki.servers[provider === 'noble' ? 'ed25519' : 'p384'];
    const { peer, port } = await serve(['--cert', s.chainPath, '--key', s.keyPath, '--www', '--provider', provider]);
    try {
      const r = await curl(['--cacert', pki.root.certPath, '--tlsv1.3', `https://localhost:${port}/`, '--resolve', `localhost:${port}:127.0.0.1`]);
      assert.is(r.code, 0, `curl failed: ${r.stderr}`);
      assert.match(r.stdout, /<pre>/);
      assert.match(r.stdout, /Protocol: TLSv1\.3/);
      assert.match(r.stdout, /Cipher: TLS_/);
      assert.match(r.stdout, new RegExp(`Crypto provider: ${provider}`));
      assert.match(r.stdout, new RegExp(`Signature scheme: ${provider === 'noble' ? 'ed25519' : 'ecdsa_secp384r1_sha384'}`));
    } finally { await peer.stop(); }
  });
}

test('serve --key pkcs11:URI (key generated in SoftHSM2, PIN from PROTOSMITH_PKCS11_PIN) completes a handshake with openssl s_client, which verifies the chain', async () => {
  const hsm = softHsm();
  try {
    hsm.genKey('p256', 'web', '01');
    const { openPkcs11Uri } = await import('../../runtime/crypto/pkcs11/index.ts');
    const h = await openPkcs11Uri(hsm.uri('web', true));
    const cert = hsm.issue('web', h.key.publicKeySpki!, 'v3_server');
    await h.close();
    process.env['PROTOSMITH_PKCS11_PIN'] = hsm.pin;
    const { peer, port } = await serve(['--cert', cert.chainPath, '--key', hsm.uri('web')]);
    try {
      assert.match(peer.output(), /server key: ECDSA P-256 key label "web" on token "protosmith-test"/);
      await withPeer(() => opensslClient(port, sClientArgs), async (client) => {
        await peer.waitFor(/handshake complete[\s\S]*Signature scheme: ecdsa_secp256r1_sha256/);
        client.send('hsm-hello\n');
        await peer.waitFor(/hsm-hello/);
        assert.match(client.output(), /Verify return code: 0 \(ok\)/);
        assert.match(client.output(), /subject=CN ?= ?web/);
      });
    } finally { await peer.stop(); delete process.env['PROTOSMITH_PKCS11_PIN']; }
  } finally { hsm.cleanup(); }
});

test('serve refuses a wrong PIN for a pkcs11: key with the typed error and exit 1, before listening', async () => {
  const hsm = softHsm();
  try {
    hsm.genKey('p256', 'web', '01');
    const peer = spawnPeer('protosmith serve', process.execPath, [BIN, 'serve', '--port', '0', '--cert', pki.servers.p256.chainPath, '--key', `${hsm.uri('web')}&pin-value=0000`], 0);
    assert.is(await peer.exited, 1);
    assert.match(peer.output(), /\[CRYPTO_HSM_PIN_REJECTED\] Token "protosmith-test" refused the login: the PIN is wrong/);
    assert.not.match(peer.output(), /ACCEPT/);
  } finally { hsm.cleanup(); }
});

/** `protosmith connect ...` with its stdin under our control (endInput closes it, like ^D for s_client). */
function connectCli(args: string[]): Peer & { endInput(): void } {
  const child = spawn(process.execPath, [BIN, 'connect', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  child.stdin.on('error', () => { /* exited */ });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')));
  return {
    name: 'protosmith connect', pid: child.pid!, port: 0, exited,
    output: () => out,
    send: (t: string) => { if (child.stdin.writable) child.stdin.write(t); },
    endInput: () => { child.stdin.end(); },
    async waitFor(re: RegExp, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > end) throw new Error(`protosmith connect did not print ${re}; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) { process.kill(child.pid!, 'SIGTERM'); await exited; }
    },
  };
}

test('connect against openssl s_server prints the negotiated parameters, then pipes stdin to the server and the server to stdout; end of stdin sends close_notify and connect exits 0', async () => {
  const s = pki.servers.rsa2048;
  await withPeer(() => opensslServer(['-cert', s.certPath, '-cert_chain', pki.intermediate.certPath, '-key', s.keyPath, '-alpn', 'x/1']), async (server) => {
    const c = connectCli([`127.0.0.1:${server.port}`, '--ca', pki.root.certPath, '--servername', 'localhost', '--alpn', 'x/1,y/2']);
    try {
      await c.waitFor(/CONNECTED 127\.0\.0\.1:\d+[\s\S]*Cipher: TLS_[\s\S]*Signature scheme: rsa_pss_rsae_sha256[\s\S]*ALPN: x\/1[\s\S]*Peer certificate: CN=server-rsa2048[\s\S]*---/, 20_000);
      c.send('from-connect\n');
      await server.waitFor(/from-connect/);
      server.send('from-s_server\n');
      await c.waitFor(/from-s_server/);
      c.endInput();
      assert.is(await c.exited, 0, c.output());
      await server.waitFor(/DONE|shutting down|CONNECTION CLOSED/);
      assert.match(c.output(), /DONE/);
    } finally { await c.stop(); }
  });
});

test('connect against gnutls-serv --echo: a line typed on stdin comes back on stdout', async () => {
  const s = pki.servers.ed25519;
  await withPeer(() => gnutlsServer(['--echo', '--x509certfile', s.chainPath, '--x509keyfile', s.keyPath, '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.3']), async (server) => {
    const c = connectCli([`127.0.0.1:${server.port}`, '--ca', pki.root.certPath, '--servername', 'localhost', '--provider', 'webcrypto']);
    try {
      await c.waitFor(/Signature scheme: ed25519[\s\S]*---/, 20_000);
      c.send('echo-me-please\n');
      await c.waitFor(/echo-me-please/);
    } finally { await c.stop(); }
  });
});

test('connect --key pkcs11:URI --cert authenticates to `openssl s_server -Verify 1` with a client key in SoftHSM2', async () => {
  const hsm = softHsm();
  try {
    hsm.genKey('p384', 'me', '07');
    const { openPkcs11Uri } = await import('../../runtime/crypto/pkcs11/index.ts');
    const h = await openPkcs11Uri(hsm.uri('me', true));
    const cert = hsm.issue('me', h.key.publicKeySpki!, 'v3_client');
    await h.close();
    const s = pki.servers.p256;
    await withPeer(() => opensslServer(['-cert', s.certPath, '-cert_chain', pki.intermediate.certPath, '-key', s.keyPath,
      '-Verify', '1', '-verify_return_error', '-CAfile', pki.root.certPath, '-chainCAfile', pki.intermediate.certPath]), async (server) => {
      const c = connectCli([`127.0.0.1:${server.port}`, '--ca', pki.root.certPath, '--servername', 'localhost', '--key', hsm.uri('me', true), '--cert', cert.chainPath]);
      try {
        await c.waitFor(/CONNECTED[\s\S]*---/, 20_000);
        c.send('client-auth-ok\n');
        await server.waitFor(/client-auth-ok/);
        assert.match(server.output(), /depth=0 CN ?= ?me\s+verify return:1/);
      } finally { await c.stop(); }
    });
  } finally { hsm.cleanup(); }
});

test('connect refuses a server whose certificate does not chain to --ca with a typed error and exit 1', async () => {
  const s = pki.untrustedLeaf;
  await withPeer(() => opensslServer(['-cert', s.certPath, '-key', s.keyPath]), async (server) => {
    const c = connectCli([`127.0.0.1:${server.port}`, '--ca', pki.root.certPath, '--servername', 'localhost']);
    assert.is(await c.exited, 1);
    assert.match(c.output(), /handshake with 127\.0\.0\.1:\d+ failed: \[[A-Z_]+\]/);
  });
});

test('usage errors exit 2 and print the usage', async () => {
  const a = spawnPeer('protosmith serve', process.execPath, [BIN, 'serve', '--port', '0'], 0);
  assert.is(await a.exited, 2);
  assert.match(a.output(), /--cert and --key are required[\s\S]*usage: protosmith serve/);
  const b = connectCli(['no-port-here']);
  assert.is(await b.exited, 2);
  assert.match(b.output(), /is not host:port/);
});

test.run();
