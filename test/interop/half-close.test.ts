// Half-close over loopback TCP (RFC 8446 §6.1): each side closes only its own writing direction.
// A reply written after receiving the peer's close_notify still arrives, with our client and server
// and against node:tls in both roles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer as tlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { ourClient, ourServer } from './ours.ts';
import { until } from './harness.ts';
import { testPki } from '../support/pki.ts';

const pki = testPki();

test("write('ping'); end() still receives the reply our server writes after our close_notify", async () => {
  const s = await ourServer('p256');
  try {
    s.server.on('secureConnection', (sock) => {
      sock.on('data', (d: Buffer) => { if (d.toString().includes('ping')) sock.write('pong'); });
    });
    const c = ourClient(s.port);
    c.socket.write('ping');
    c.socket.end();
    await c.waitFor('pong');
    await c.until(() => c.socket.readableEnded, "the server's close_notify after its reply");
    assert.equal(c.errors, []);
    const conn = await s.connection();
    assert.equal(conn.errors, []);
  } finally { await s.close(); }
});

test('the server closes first; the client still answers and the server reads the answer', async () => {
  const s = await ourServer('p256', { allowHalfOpen: true });
  try {
    s.server.on('secureConnection', (sock) => { sock.end('question'); });
    const c = ourClient(s.port);
    c.socket.on('data', (d: Buffer) => { if (d.toString().includes('question')) c.socket.write('answer'); });
    const conn = await s.connection();
    await conn.waitFor('answer');
    await conn.until(() => conn.socket.readableEnded, "the client's close_notify after its answer");
    assert.equal(c.errors, []);
    assert.equal(conn.errors, []);
  } finally { await s.close(); }
});

test("our client: write('ping'); end() against a node:tls echo server still receives the echo", async () => {
  const cert = pki.servers.p256;
  const server = tlsServer({ cert: cert.chainPem, key: cert.keyPem, minVersion: 'TLSv1.3' }, (sock: TLSSocket) => {
    sock.on('error', () => undefined);
    sock.on('data', (d) => sock.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const c = ourClient((server.address() as AddressInfo).port);
    c.socket.write('ping');
    c.socket.end();
    await c.waitFor('ping');
    await c.until(() => c.socket.readableEnded, "node's close_notify");
    assert.equal(c.errors, []);
  } finally { await new Promise<void>((r) => server.close(() => r())); }
});

test("a node:tls client: write('ping'); end() against our echo server still receives the echo", async () => {
  const s = await ourServer('p256', {}, true);
  try {
    const got: Buffer[] = [];
    let ended = false;
    const sock = tlsConnect({ host: '127.0.0.1', port: s.port, servername: 'localhost', ca: pki.root.certPem, minVersion: 'TLSv1.3' });
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('end', () => { ended = true; });
    sock.once('secureConnect', () => { sock.write('ping'); sock.end(); });
    await until(() => Buffer.concat(got).toString().includes('ping'), 'the echo after our end()');
    await until(() => ended, "our server's close_notify / FIN");
    const conn = await s.connection();
    assert.equal(conn.errors, []);
  } finally { await s.close(); }
});

test('allowHalfOpen: true keeps our writable side open after the peer closed: a late reply still arrives', async () => {
  const s = await ourServer('p256', { allowHalfOpen: true });
  try {
    s.server.on('secureConnection', (sock) => {
      sock.on('data', () => undefined);
      sock.on('end', () => { setTimeout(() => sock.end('late reply'), 50); });
    });
    const c = ourClient(s.port);
    c.socket.end('bye');
    await c.waitFor('late reply');
    await c.until(() => c.socket.readableEnded, "the server's close_notify after its late reply");
    assert.equal(c.errors, []);
  } finally { await s.close(); }
});

test('a peer that resets the TCP connection after our end() is hanging up, not an error (browsers do this)', async () => {
  const s = await ourServer('p256');
  try {
    s.server.on('secureConnection', (sock) => { sock.end('response'); });
    let got = '';
    const tcp = netConnect({ host: '127.0.0.1', port: s.port });
    tcp.on('error', () => undefined);
    const peer = tlsConnect({ socket: tcp, servername: 'localhost', ca: pki.root.certPem, minVersion: 'TLSv1.3' });
    peer.on('error', () => undefined);
    peer.on('data', (d: Buffer) => { got += d.toString(); if (got.includes('response')) tcp.resetAndDestroy(); });
    await until(() => got.includes('response'), 'the response');
    const conn = await s.connection();
    await until(() => conn.socket.destroyed || conn.socket.readableEnded, 'our socket to finish after the reset');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(conn.errors, [], 'a reset after our close_notify and FIN is not reported');
  } finally { await s.close(); }
});

test.run();
