// runtime/node adapters over real loopback sockets: connect/createServer, close_notify, queued
// writes, large transfers, key log hook, default trust anchors, and transport failures turning
// into typed errors (never crashes or hangs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer as netServer, connect as netConnect, type AddressInfo, type Server } from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { ourClient, ourServer, handshake, watch, duplexPair } from './ours.ts';
import { connect, acceptTls, TlsTransportError } from '../../runtime/node/index.ts';
import { Duplex } from 'node:stream';
import { ProtosmithError, TlsClient } from '../../runtime/tls/index.ts';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { testPki } from '../support/pki.ts';

const pki = testPki();

async function rawServer(onConn: (s: import('node:net').Socket) => void): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = netServer((sock) => {
    sock.on('error', () => { /* a reset from our side of the test is expected */ });
    onConn(sock);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function errorOf(w: ReturnType<typeof ourClient>): Promise<Error> {
  return w.until(() => w.errors.length > 0, 'an error').then(() => w.errors[0]!);
}

test('our client and our server over loopback: data both ways, then close_notify ends both sides cleanly', async () => {
  const s = await ourServer('p256');
  try {
    const c = ourClient(s.port);
    await handshake(c.socket);
    const conn = await s.connection();
    c.socket.write('client says hi');
    await conn.waitFor('client says hi');
    conn.socket.write('server says hi');
    await c.waitFor('server says hi');
    let serverEnded = false;
    let clientEnded = false;
    conn.socket.once('end', () => { serverEnded = true; });
    c.socket.once('end', () => { clientEnded = true; });
    c.socket.end();
    await conn.until(() => serverEnded, 'the server to see our close_notify');
    await c.until(() => clientEnded, 'our readable side to end after close()');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.errors, []);
    assert.equal(conn.errors, []);
  } finally { await s.close(); }
});

test('in memory: connect({socket}) and acceptTls(duplex) talk over a Duplex pair, no TCP at all', async () => {
  const [a, b] = duplexPair();
  const c = pki.servers.ed25519;
  const server = watch(acceptTls(b, { certificateChain: [c.certPem, pki.intermediate.certPem], signingKey: c.keyPem, alpn: ['mem'] }));
  const client = watch(connect({ socket: a, serverName: 'localhost', trustAnchors: [pki.root.certPem], alpn: ['mem'] }));
  const hs = await handshake(client.socket);
  assert.is(hs.alpn, 'mem');
  client.socket.write('over memory');
  await server.waitFor('over memory');
  server.socket.write('and back');
  await client.waitFor('and back');
  client.socket.end();
  await server.until(() => server.socket.readableEnded, 'the server to read our close_notify');
  assert.equal(client.errors, []);
  assert.equal(server.errors, []);
});

test('in memory: the ticket and the close_notify that answer one read leave in one transport write', async () => {
  // A transport that records each write operation the stream machinery makes (a writev counts as one).
  const ops: Uint8Array[][] = [];
  const transport = new Duplex({
    read() { /* fed below */ },
    write(chunk: Buffer, _e, cb) { ops.push([chunk]); cb(); },
    writev(chunks: { chunk: Buffer }[], cb) { ops.push(chunks.map((c) => c.chunk)); cb(); },
    final(cb) { cb(); },
  });
  const c = pki.servers.p256;
  const server = watch(acceptTls(transport, { certificateChain: [c.chainPem], signingKey: c.keyPem, ticketKey: new Uint8Array(32).fill(7) }));
  server.socket.resume();
  const client = new TlsClient({ crypto: createNodeProvider(), now: Date.now, serverName: 'localhost', trustAnchors: [pki.root.certPem] });
  await client.start();
  transport.push(client.takeOutput());
  await server.until(() => ops.length > 0, 'the server flight');
  await client.receive(Buffer.concat(ops.splice(0).flat()));
  await client.close();
  transport.push(client.takeOutput()); // CCS + Finished + close_notify in one read
  await server.until(() => server.socket.writableFinished, 'the server to close');
  assert.is(ops.length, 1, 'one write operation after the client finished');
  // The write may carry each record in the pieces the provider made (header, ciphertext, tag): count records.
  const written = Buffer.concat(ops[0]!);
  let records = 0;
  for (let at = 0; at + 5 <= written.length; at += 5 + written.readUInt16BE(at + 3)) records++;
  assert.is(records, 2, 'holding the ticket and the close_notify');
  const events = await client.receive(written);
  assert.ok(events.some((e) => e.type === 'newSessionTicket'));
  assert.ok(events.some((e) => e.type === 'closed'));
  assert.equal(server.errors, []);
  transport.push(null);
});

test('writes made before the handshake completes are sent once it does', async () => {
  const s = await ourServer('p384');
  try {
    const c = ourClient(s.port);
    c.socket.write('early write 1;');
    c.socket.write('early write 2');
    const conn = await s.connection();
    await conn.waitFor('early write 1;early write 2');
    c.socket.destroy();
  } finally { await s.close(); }
});

test('1 MiB through an echo server arrives intact (record splitting and backpressure)', async () => {
  const s = await ourServer('p256', {}, true);
  try {
    const c = ourClient(s.port);
    await handshake(c.socket);
    const payload = randomBytes(1 << 20);
    const chunks: Buffer[] = [];
    let got = 0;
    c.socket.on('data', (d: Buffer) => { chunks.push(d); got += d.length; });
    c.socket.write(payload);
    await c.until(() => got >= payload.length, '1 MiB echoed', 20_000);
    const back = Buffer.concat(chunks);
    assert.is(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(payload).digest('hex'));
    c.socket.destroy();
  } finally { await s.close(); }
});

test('a paused reader stops the transport: a 4 MiB burst is not buffered in memory, then arrives intact', async () => {
  const s = await ourServer('p256');
  try {
    const c = ourClient(s.port);
    await handshake(c.socket);
    const conn = await s.connection();
    await handshake(conn.socket);
    c.socket.pause();
    const payload = randomBytes(4 << 20);
    void (async () => {
      for (let off = 0; off < payload.length; off += 65536) {
        if (!conn.socket.write(payload.subarray(off, off + 65536))) await new Promise((r) => conn.socket.once('drain', r));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    const readWhilePaused = (c.socket.transport as import('node:net').Socket).bytesRead;
    assert.ok(readWhilePaused < 1 << 20, `read ${readWhilePaused} bytes from the kernel while paused`);
    const chunks: Buffer[] = [];
    let got = 0;
    c.socket.on('data', (d: Buffer) => { chunks.push(d); got += d.length; });
    c.socket.resume();
    await c.until(() => got >= payload.length, '4 MiB after resume', 20_000);
    assert.ok(Buffer.concat(chunks).equals(payload));
    c.socket.destroy();
  } finally { await s.close(); }
});

test('onKeyLog receives NSS key log lines for both sides, and they agree', async () => {
  const serverLines: string[] = [];
  const clientLines: string[] = [];
  const s = await ourServer('p256', { onKeyLog: (l) => serverLines.push(l) });
  try {
    const c = ourClient(s.port, { onKeyLog: (l) => clientLines.push(l) });
    await handshake(c.socket);
    await handshake((await s.connection()).socket);
    const re = /^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) [0-9a-f]{64} [0-9a-f]{64}$/;
    const wanted = clientLines.filter((l) => re.test(l));
    assert.ok(wanted.length >= 4, `client logged ${clientLines.length} lines: ${clientLines.join(' | ')}`);
    for (const l of wanted) assert.ok(serverLines.includes(l), `server logged ${l.split(' ')[0]} identically`);
    c.socket.destroy();
  } finally { await s.close(); }
});

test('without trustAnchors the client uses Node\'s bundled CA list, so the test PKI is untrusted', async () => {
  const s = await ourServer('p256');
  try {
    const c = watch(connect({ host: '127.0.0.1', port: s.port, serverName: 'localhost' }));
    const e = await errorOf(c);
    assert.is((e as ProtosmithError).code, 'CERT_UNTRUSTED');
  } finally { await s.close(); }
});

test('host defaults the server name: connecting to 127.0.0.1 checks the IP SAN', async () => {
  const s = await ourServer('rsa2048');
  try {
    const c = watch(connect({ host: '127.0.0.1', port: s.port, trustAnchors: [pki.root.certPem] }));
    const hs = await handshake(c.socket);
    assert.is(hs.cipherSuite > 0, true);
    c.socket.destroy();
  } finally { await s.close(); }
});

test('connection refused becomes TlsTransportError TLS_TRANSPORT_ERROR', async () => {
  const r = await rawServer(() => undefined);
  const port = r.port;
  await r.close();
  const c = ourClient(port);
  const e = await errorOf(c);
  assert.instance(e, TlsTransportError);
  assert.is((e as TlsTransportError).code, 'TLS_TRANSPORT_ERROR');
});

test('a server that hangs up mid-handshake gives TLS_TRUNCATED, not a hang', async () => {
  const r = await rawServer((sock) => { sock.once('data', () => sock.destroy()); });
  try {
    const c = ourClient(r.port);
    const e = await errorOf(c);
    assert.is((e as ProtosmithError).code, 'TLS_TRUNCATED');
  } finally { await r.close(); }
});

test('an HTTP server answering our ClientHello gives a typed peer error', async () => {
  const r = await rawServer((sock) => { sock.once('data', () => sock.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')); });
  try {
    const c = ourClient(r.port);
    const e = await errorOf(c);
    assert.instance(e, ProtosmithError);
    assert.is((e as ProtosmithError).blame, 'peer');
  } finally { await r.close(); }
});

test('our server survives a client sending garbage and serves the next client', async () => {
  const s = await ourServer('p256');
  const clientErrors: unknown[] = [];
  s.server.on('tlsClientError', (e) => clientErrors.push(e));
  try {
    const raw = netConnect({ host: '127.0.0.1', port: s.port });
    raw.on('error', () => undefined);
    raw.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const bad = await s.connection(1);
    await bad.until(() => bad.errors.length > 0, 'the garbage to be refused');
    assert.instance(bad.errors[0], ProtosmithError);
    raw.destroy();
    const c = ourClient(s.port);
    await handshake(c.socket);
    c.socket.destroy();
    assert.ok(clientErrors.length >= 1, 'the server reported the bad client on tlsClientError');
  } finally { await s.close(); }
});

test.run();
