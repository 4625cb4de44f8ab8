// protosmith against node:tls (OpenSSL inside Node), both directions: over real loopback TCP,
// and once over an in-memory Duplex pair (tls.TLSSocket on one end, our TlsSocket on the other).
// Key log lines and exporter values must agree byte for byte between the two implementations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ourClient, ourServer, handshake, watch, duplexPair } from './ours.ts';
import { connect } from '../../runtime/node/index.ts';
import { testPki, type KeyKind } from '../support/pki.ts';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../runtime/tls/index.ts';

const pki = testPki();
const NODE_SUITE: Record<number, string> = { 0x1301: 'TLS_AES_128_GCM_SHA256', 0x1302: 'TLS_AES_256_GCM_SHA384', 0x1303: 'TLS_CHACHA20_POLY1305_SHA256' };
const NODE_CURVE: Record<number, string> = { 0x001d: 'X25519', 0x0017: 'P-256', 0x0018: 'P-384' };

function nodeServer(kind: KeyKind, options: tls.TlsOptions = {}): Promise<{ server: tls.Server; port: number; sockets: tls.TLSSocket[]; text: () => string; close: () => Promise<void> }> {
  const c = pki.servers[kind];
  const sockets: tls.TLSSocket[] = [];
  let text = '';
  const server = tls.createServer({ minVersion: 'TLSv1.3', cert: c.chainPem, key: c.keyPem, ...options }, (s) => {
    sockets.push(s);
    s.on('data', (d: Buffer) => { text += d.toString(); s.write(`echo:${d.toString()}`); });
    s.on('error', () => { /* the test asserts on our side */ });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    server, port: (server.address() as AddressInfo).port, sockets, text: () => text,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  })));
}

function nodeClient(port: number, options: tls.ConnectionOptions = {}): Promise<{ socket: tls.TLSSocket; text: () => string; keylog: string[]; sessions: Buffer[] }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const keylog: string[] = [];
    const sessions: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('node:tls client did not connect within 5 s')), 5000);
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.root.certPem, minVersion: 'TLSv1.3', ...options }, () => { clearTimeout(timer); resolve({ socket, text: () => text, keylog, sessions }); });
    socket.on('session', (sess: Buffer) => sessions.push(sess));
    socket.on('keylog', (line: Buffer) => keylog.push(line.toString().trim()));
    socket.on('data', (d: Buffer) => { text += d.toString(); });
    socket.once('error', reject);
  });
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const waitText = (get: () => string, s: string): Promise<void> => until(() => get().includes(s), `${JSON.stringify(s)} (got ${JSON.stringify(get())})`);

const PAIRS: [number, number, KeyKind][] = [
  [CipherSuite.TLS_AES_128_GCM_SHA256, NamedGroup.x25519, 'p256'],
  [CipherSuite.TLS_AES_256_GCM_SHA384, NamedGroup.secp256r1, 'rsa2048'],
  [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, NamedGroup.secp384r1, 'ed25519'],
];

for (const [suite, group, kind] of PAIRS) {
  test(`our client -> node:tls server: ${NODE_SUITE[suite]}, ${NODE_CURVE[group]}, ${kind} certificate, data both ways`, async () => {
    const ns = await nodeServer(kind, { ciphers: NODE_SUITE[suite], ecdhCurve: NODE_CURVE[group] });
    try {
      const c = ourClient(ns.port, { cipherSuites: [suite], groups: [group] });
      const hs = await handshake(c.socket);
      assert.is(hs.cipherSuite, suite);
      assert.is(hs.group, group);
      c.socket.write('hello node');
      await c.waitFor('echo:hello node');
      assert.is(ns.sockets[0]!.getCipher().standardName, NODE_SUITE[suite]);
      c.socket.destroy();
    } finally { await ns.close(); }
  });

  test(`node:tls client -> our server: ${NODE_SUITE[suite]}, ${NODE_CURVE[group]}, ${kind} certificate, data both ways`, async () => {
    const s = await ourServer(kind, {}, true);
    try {
      const nc = await nodeClient(s.port, { ciphers: NODE_SUITE[suite], ecdhCurve: NODE_CURVE[group] });
      assert.ok(nc.socket.authorized, 'node verified our chain and name');
      const conn = await s.connection();
      const hs = await handshake(conn.socket);
      assert.is(hs.cipherSuite, suite);
      assert.is(hs.group, group);
      nc.socket.write('ping');
      await waitText(nc.text, 'ping');
      nc.socket.destroy();
    } finally { await s.close(); }
  });
}

test('key log lines and exporter values agree between node:tls client and our server', async () => {
  const ours: string[] = [];
  const s = await ourServer('p256', { onKeyLog: (l) => ours.push(l) }, true);
  try {
    const nc = await nodeClient(s.port);
    const conn = await s.connection();
    await handshake(conn.socket);
    nc.socket.write('x');
    await waitText(nc.text, 'x');
    const labels = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET'];
    for (const label of labels) {
      const theirs = nc.keylog.find((l) => l.startsWith(`${label} `));
      assert.ok(theirs, `node logged ${label}`);
      assert.ok(ours.includes(theirs!), `our server logged the same ${label} line`);
    }
    const context = new TextEncoder().encode('ctx');
    const a = nc.socket.exportKeyingMaterial(32, 'EXPORTER-protosmith-test', Buffer.from(context));
    const b = await conn.socket.exportKeyingMaterial('EXPORTER-protosmith-test', context, 32);
    assert.equal(Buffer.from(b).toString('hex'), a.toString('hex'));
    nc.socket.destroy();
  } finally { await s.close(); }
});

test('node:tls client resumes with our ticket; our client resumes with node\'s ticket', async () => {
  const s = await ourServer('p256', { ticketKey: new Uint8Array(32).fill(3) }, true);
  try {
    const first = await nodeClient(s.port);
    first.socket.write('a');
    await waitText(first.text, 'a');
    await until(() => first.sessions.length > 0, 'a session from node:tls');
    const session = first.sessions[first.sessions.length - 1]!;
    first.socket.end();
    const second = await nodeClient(s.port, { session });
    assert.ok(second.socket.isSessionReused(), 'node reused the session');
    const hs = await handshake((await s.connection(2)).socket);
    assert.is(hs.resumed, true);
    second.socket.destroy();
  } finally { await s.close(); }

  const ns = await nodeServer('p256');
  try {
    const first = ourClient(ns.port);
    await handshake(first.socket);
    first.socket.write('hi');
    await first.until(() => first.sessions.length > 0, 'a ticket from node');
    first.socket.destroy();
    const second = ourClient(ns.port, { session: first.sessions[0]! });
    const hs = await handshake(second.socket);
    assert.is(hs.resumed, true);
    second.socket.write('again');
    await second.waitFor('echo:again');
    second.socket.destroy();
  } finally { await ns.close(); }
});

test('client certificates both ways: node requires ours, we require node\'s', async () => {
  const ns = await nodeServer('p256', { requestCert: true, rejectUnauthorized: true, ca: pki.root.certPem });
  try {
    const cc = pki.clients.p384;
    const c = ourClient(ns.port, { certificateChain: [cc.certPem, pki.intermediate.certPem], signingKey: cc.keyPem });
    await handshake(c.socket);
    c.socket.write('with cert');
    await c.waitFor('echo:with cert');
    const peer = ns.sockets[0]!.getPeerCertificate();
    assert.is(peer.subject.CN, 'client-p384');
    c.socket.destroy();
  } finally { await ns.close(); }

  const s = await ourServer('p256', { clientAuth: 'require', trustAnchors: [pki.root.certPem] }, true);
  try {
    const cc = pki.clients.rsa2048;
    const nc = await nodeClient(s.port, { cert: cc.chainPem, key: cc.keyPem });
    const hs = await handshake((await s.connection()).socket);
    assert.is(hs.peerCertificates.length, 2);
    nc.socket.write('mutual');
    await waitText(nc.text, 'mutual');
    nc.socket.destroy();
  } finally { await s.close(); }
});

test('ALPN both ways with node:tls', async () => {
  const ns = await nodeServer('p256', { ALPNProtocols: ['h2', 'http/1.1'] });
  try {
    const c = ourClient(ns.port, { alpn: ['http/1.1'] });
    assert.is((await handshake(c.socket)).alpn, 'http/1.1');
    c.socket.destroy();
  } finally { await ns.close(); }
  const s = await ourServer('p256', { alpn: ['h2'] }, true);
  try {
    const nc = await nodeClient(s.port, { ALPNProtocols: ['http/1.1', 'h2'] });
    assert.is(nc.socket.alpnProtocol, 'h2');
    nc.socket.destroy();
  } finally { await s.close(); }
});

test('in memory: tls.TLSSocket server over a Duplex pair talks to our client (no TCP)', async () => {
  const [ours, theirs] = duplexPair();
  const c = pki.servers.p256;
  const server = new tls.TLSSocket(theirs, { isServer: true, secureContext: tls.createSecureContext({ cert: c.chainPem, key: c.keyPem, minVersion: 'TLSv1.3' }) });
  server.on('data', (d: Buffer) => server.write(`echo:${d.toString()}`));
  server.on('error', () => { /* asserted on our side */ });
  const w = watch(connect({ socket: ours, serverName: 'localhost', trustAnchors: [pki.root.certPem] }));
  const hs = await handshake(w.socket);
  assert.is(hs.signatureScheme, SignatureScheme.ecdsa_secp256r1_sha256);
  w.socket.write('in memory');
  await w.waitFor('echo:in memory');
  w.socket.destroy();
  server.destroy();
});

test.run();
