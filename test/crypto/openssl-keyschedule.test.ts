// The parts of the key schedule RFC 8448 has no vectors for — exporter, KeyUpdate, NSS key-log
// labels, and the SHA-384 / ChaCha20 suites — checked against a real OpenSSL connection: s_client
// talks to s_server through a 127.0.0.1 relay in this test that records every byte. From OpenSSL's
// key log we rebuild record protection with our code and decrypt the captured traffic, follow
// KeyUpdates with our nextTrafficSecret, and recompute OpenSSL's printed exporter value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { cipherSuiteParams, type CipherSuiteParams } from '../../runtime/crypto/provider.ts';
import { exportKeyingMaterial, KeyLogLabel, nextTrafficSecret } from '../../runtime/tls/keyschedule.ts';
import { RecordProtection } from '../../runtime/tls/record-protection.ts';
import { opensslClient, opensslServer, stopAll, until, withPeer, OPENSSL_SUITE } from '../interop/harness.ts';
import { testPki } from '../support/pki.ts';
import { splitRecords, toHex } from './support/rfc8448.ts';

const pki = testPki();
const srv = pki.servers.p256;
const p = createNodeProvider();
const tmp = mkdtempSync(join(tmpdir(), 'protosmith-ks-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
test.after(stopAll);

interface Relay { port: number; toServer: Buffer[]; toClient: Buffer[]; close(): Promise<void> }

function relay(targetPort: number): Promise<Relay> {
  const toServer: Buffer[] = [];
  const toClient: Buffer[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((down) => {
    const up = connect(targetPort, '127.0.0.1');
    sockets.push(down, up);
    down.on('data', (d: Buffer) => { toServer.push(d); up.write(d); });
    up.on('data', (d: Buffer) => { toClient.push(d); down.write(d); });
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    down.on('close', () => up.end());
    up.on('close', () => down.end());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({
      port: typeof a === 'object' && a !== null ? a.port : 0, toServer, toClient,
      close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
    });
  }));
}

function keyLog(path: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [label, , secret] = line.trim().split(' ');
    if (label && secret) out.set(label, Uint8Array.from(Buffer.from(secret, 'hex')));
  }
  return out;
}

/** Opens the protected records of one direction; switches keys on KeyUpdate; returns (type, content) in order. */
async function openDirection(suite: CipherSuiteParams, bytes: Buffer, hsSecret: Uint8Array, appSecret: Uint8Array): Promise<{ type: number; content: Uint8Array; epoch: number }[]> {
  const out: { type: number; content: Uint8Array; epoch: number }[] = [];
  let cipher = await RecordProtection.fromSecret(p, suite, hsSecret);
  let secret = appSecret;
  let epoch = -1; // -1: handshake keys; 0..n: application_traffic_secret_N
  let pendingHandshake = new Uint8Array(0);
  for (const r of splitRecords(Uint8Array.from(bytes))) {
    if (r.type !== 23) continue; // plaintext hellos and middlebox change_cipher_spec
    const { type, content } = await cipher.open(r.header, r.fragment);
    out.push({ type, content, epoch });
    if (type !== 22) continue;
    pendingHandshake = Uint8Array.from([...pendingHandshake, ...content]);
    while (pendingHandshake.length >= 4) {
      const len = (pendingHandshake[1]! << 16) | (pendingHandshake[2]! << 8) | pendingHandshake[3]!;
      if (pendingHandshake.length < 4 + len) break;
      const msgType = pendingHandshake[0]!;
      pendingHandshake = pendingHandshake.slice(4 + len);
      if (msgType === 20 && epoch === -1) { // Finished: switch to application_traffic_secret_0
        cipher = await RecordProtection.fromSecret(p, suite, secret);
        epoch = 0;
      } else if (msgType === 24) { // KeyUpdate: application_traffic_secret_N+1
        secret = await nextTrafficSecret(p, suite.hash, secret);
        cipher = await RecordProtection.fromSecret(p, suite, secret);
        epoch++;
      }
    }
  }
  return out;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

for (const suiteId of [0x1301, 0x1302, 0x1303]) {
  const suite = cipherSuiteParams(suiteId)!;
  test(`${suite.name}: OpenSSL's traffic decrypts with our record protection from its key log, across KeyUpdates both ways, and our exporter equals OpenSSL's`, async () => {
    const logPath = join(tmp, `keys-${suiteId}.log`);
    const label = 'EXPERIMENTAL-protosmith';
    await withPeer(() => opensslServer(['-cert', srv.certPath, '-key', srv.keyPath, '-cert_chain', pki.intermediate.certPath, '-ciphersuites', OPENSSL_SUITE[suiteId]!]), async (server) => {
      const r = await relay(server.port);
      try {
        await withPeer(() => opensslClient(r.port, ['-CAfile', pki.root.certPath, '-servername', 'localhost', '-ciphersuites', OPENSSL_SUITE[suiteId]!, '-keylogfile', logPath, '-keymatexport', label, '-keymatexportlen', '40']), async (client) => {
          const km = await client.waitFor(/Keying material: ([0-9A-F]+)/);
          await server.waitFor(/CIPHER is TLS_/);
          client.send('before key update\n');
          await server.waitFor(/before key update/);
          client.send('k\n'); // client KeyUpdate, update_not_requested (s_client reads one command per stdin read)
          await client.waitFor(/KEYUPDATE/);
          client.send('after client update\n');
          await server.waitFor(/after client update/);
          client.send('K\n'); // client KeyUpdate, update_requested: server must update too
          await client.waitFor(/KEYUPDATE[\s\S]*KEYUPDATE/);
          client.send('after requested update\n');
          await server.waitFor(/after requested update/);
          server.send('server after its update\n');
          await client.waitFor(/server after its update/);
          await until(() => Buffer.concat(r.toClient).includes(Buffer.from([0x17, 0x03, 0x03])), 'server records');

          const keys = keyLog(logPath);
          for (const l of [KeyLogLabel.clientHandshakeTraffic, KeyLogLabel.serverHandshakeTraffic, KeyLogLabel.clientTraffic0, KeyLogLabel.serverTraffic0, KeyLogLabel.exporter]) {
            assert.ok(keys.has(l), `OpenSSL key log uses our label ${l}`);
          }
          const exported = await exportKeyingMaterial(p, suite.hash, keys.get(KeyLogLabel.exporter)!, label, new Uint8Array(0), 40);
          assert.is(toHex(exported).toUpperCase(), km[1], 'exporter value');

          const fromClient = await openDirection(suite, Buffer.concat(r.toServer), keys.get(KeyLogLabel.clientHandshakeTraffic)!, keys.get(KeyLogLabel.clientTraffic0)!);
          const fromServer = await openDirection(suite, Buffer.concat(r.toClient), keys.get(KeyLogLabel.serverHandshakeTraffic)!, keys.get(KeyLogLabel.serverTraffic0)!);
          const clientData = fromClient.filter((x) => x.type === 23).map((x) => [x.epoch, text(x.content)] as const);
          assert.equal(clientData, [[0, 'before key update\n'], [1, 'after client update\n'], [2, 'after requested update\n']], 'client data under secrets 0, 1, 2');
          const serverData = fromServer.filter((x) => x.type === 23).map((x) => [x.epoch, text(x.content)] as const);
          assert.equal(serverData, [[1, 'server after its update\n']], 'server data under its updated secret');
          const serverKeyUpdates = fromServer.filter((x) => x.type === 22 && x.content[0] === 24);
          assert.is(serverKeyUpdates.length, 1, 'server answered the requested update once');
          assert.is(serverKeyUpdates[0]!.content[4], 0, 'server KeyUpdate is update_not_requested');
        });
      } finally {
        await r.close();
      }
    });
  });
}

test.run();
