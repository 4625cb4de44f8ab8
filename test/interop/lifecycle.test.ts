// Connection lifecycle of runtime/node over real loopback TCP: who reports a failed handshake
// (secureConnect() or 'error', never a crash), end() delivering every byte (our server, openssl
// s_server), half-close both ways, handshake/idle timeouts and setTimeout, floods of records that
// carry no progress, and bounded buffering for a peer that never reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createServer as netServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { randomBytes, createHash } from 'node:crypto';
import { ourClient, ourServer, handshake, watch } from './ours.ts';
import { opensslServer, stopAll, withPeer, until } from './harness.ts';
import { connect, createServer, TlsTransportError, type TlsSocket } from '../../runtime/node/index.ts';
import { ProtosmithError, TlsClient } from '../../runtime/tls/index.ts';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { testPki } from '../support/pki.ts';

const pki = testPki();
test.after(stopAll);

async function rawServer(onConn: (s: Socket) => void): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = netServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => { /* resets are part of these tests */ });
    sock.on('close', () => sockets.delete(sock));
    onConn(sock);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server, port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** A raw TCP client that records what it receives and when the server closed on it. */
async function rawClient(port: number): Promise<{ sock: Socket; received: () => Buffer; closed: Promise<void> }> {
  const sock = netConnect({ host: '127.0.0.1', port });
  sock.on('error', () => undefined);
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  return { sock, received: () => Buffer.concat(chunks), closed };
}

/** A real ClientHello from our engine (so the server answers it), as record bytes. */
async function clientHelloBytes(): Promise<Uint8Array> {
  const c = new TlsClient({ crypto: createNodeProvider(), now: Date.now, serverName: 'localhost', trustAnchors: [pki.root.certPem] });
  await c.start();
  return c.takeOutput();
}

const CCS = Buffer.from([20, 3, 3, 0, 1, 1]);
const USER_CANCELED = Buffer.from([21, 3, 3, 0, 2, 1, 90]);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// ---- who reports a failure ----------------------------------------------------------------------

test('try { await connect().secureConnect() } catch {} without an error listener survives refused, reset and non-TLS peers', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'secure-connect-no-listener.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.is(code, 0, `the child process died:\n${out}`);
  const report = JSON.parse(out.trim().split('\n').pop()!) as { survived: boolean; codes: Record<string, string> };
  assert.ok(report.survived);
  assert.is(report.codes.refused, 'TLS_TRANSPORT_ERROR');
  assert.ok(['TLS_TRANSPORT_ERROR', 'TLS_TRUNCATED'].includes(report.codes.reset!), `reset gave ${report.codes.reset}`);
  assert.is(report.codes.notTls, 'TLS_UNEXPECTED_MESSAGE');
});

test('a failed handshake is reported once: to a pending secureConnect() and then not as an error event', async () => {
  const r = await rawServer(() => undefined);
  const port = r.port;
  await r.close();
  const socket = connect({ host: '127.0.0.1', port, serverName: 'localhost' });
  const errorEvents: Error[] = [];
  socket.on('error', (e) => errorEvents.push(e));
  const e = await socket.secureConnect().then(() => undefined, (x: Error) => x);
  assert.instance(e, TlsTransportError);
  if (!socket.closed) await new Promise((res) => socket.once('close', res));
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(errorEvents, [], 'no error event besides the rejected promise');
  assert.is(socket.error, e, 'socket.error keeps the failure');
});

test('a failed handshake nobody awaits is reported as an error event', async () => {
  const r = await rawServer(() => undefined);
  const port = r.port;
  await r.close();
  const socket = connect({ host: '127.0.0.1', port, serverName: 'localhost' });
  const e = await new Promise<Error>((res) => socket.once('error', res));
  assert.is((e as ProtosmithError).code, 'TLS_TRANSPORT_ERROR');
});

test('the server reports a failed handshake on tlsClientError whether or not the handler awaited secureConnect()', async () => {
  const awaited: Error[] = [];
  const s = await ourServer('p256');
  const reported: Error[] = [];
  s.server.on('tlsClientError', (e: Error) => reported.push(e));
  try {
    const raw = await rawClient(s.port);
    const conn = await s.connection();
    conn.socket.secureConnect().catch((e: Error) => awaited.push(e));
    raw.sock.write('GET / HTTP/1.1\r\n\r\n');
    await until(() => reported.length > 0 && awaited.length > 0, 'both reports');
    assert.is(reported[0], awaited[0]);
    assert.equal(conn.errors, [], 'no error event for an awaited handshake');
    raw.sock.destroy();
  } finally { await s.close(); }
});

// ---- end() delivers every byte --------------------------------------------------------------------

test('write(1 MiB) then end() against our server that sends a ticket: every byte arrives, no reset (5 runs)', async () => {
  const s = await ourServer('p256', { ticketKey: randomBytes(32) });
  try {
    for (let run = 1; run <= 5; run++) {
      const payload = randomBytes(1 << 20);
      const c = ourClient(s.port);
      c.socket.on('data', () => undefined);
      c.socket.write(payload);
      c.socket.end();
      const conn = await s.connection(run);
      await conn.until(() => conn.socket.readableEnded, `run ${run}: the server to read our close_notify`, 20_000);
      // Every byte the server socket emitted since it was accepted (watch() listens from the first event;
      // a listener added here, after the polling in connection(), would miss what arrived meanwhile).
      const all = Buffer.from(conn.text(), 'latin1');
      assert.is(all.length, payload.length, `run ${run}: received ${all.length} of ${payload.length}`);
      assert.is(sha(all), sha(payload));
      await c.until(() => (c.socket.transport as Socket).closed, `run ${run}: our TCP socket to close`);
      assert.equal(c.errors, []);
      assert.equal(conn.errors, []);
    }
  } finally { await s.close(); }
});

test('the server writes 1 MiB then end(): the client reads every byte, then end, no error (3 runs)', async () => {
  const payload = randomBytes(1 << 20);
  const s = await ourServer('p256');
  try {
    s.server.on('secureConnection', (sock: TlsSocket) => { sock.end(payload); });
    for (let run = 1; run <= 3; run++) {
      const c = ourClient(s.port);
      const got: Buffer[] = [];
      c.socket.on('data', (d: Buffer) => got.push(d));
      await c.until(() => c.socket.readableEnded, `run ${run}: the server's close_notify`, 20_000);
      assert.is(sha(Buffer.concat(got)), sha(payload), `run ${run}: received ${Buffer.concat(got).length} bytes`);
      await c.until(() => (c.socket.transport as Socket).closed, `run ${run}: the TCP connection to close`);
      assert.equal(c.errors, []);
    }
  } finally { await s.close(); }
});

test('write(1 MiB) then end() against openssl s_server: every byte arrives', async () => {
  const cert = pki.servers.p256;
  await withPeer(() => opensslServer(['-cert', cert.certPath, '-key', cert.keyPath, '-cert_chain', pki.intermediate.certPath]), async (server) => {
    const line = `${'x'.repeat(1023)}\n`;
    const payload = Buffer.from(line.repeat(1024));
    const c = ourClient(server.port);
    c.socket.on('data', () => undefined);
    c.socket.write(payload);
    c.socket.end();
    // s_server prints what it receives; count our complete lines in its output.
    const count = (): number => (server.output().match(/x{1023}\n/g) ?? []).length;
    await until(() => count() >= 1024 || (c.socket.transport as Socket).closed, 'the data or the end of the connection', 20_000);
    await until(() => count() >= 1024, `s_server to print all 1024 lines (has ${count()})`, 5_000);
    assert.is(count(), 1024);
    assert.equal(c.errors, []);
  });
});

// ---- timeouts ------------------------------------------------------------------------------------

for (const [what, first] of [['sends nothing', undefined], ['sends a ClientHello and goes silent', 'hello']] as const) {
  test(`a client that ${what} is closed after handshakeTimeout with TLS_HANDSHAKE_TIMEOUT`, async () => {
    const s = await ourServer('p256', { handshakeTimeout: 300 });
    const reported: ProtosmithError[] = [];
    s.server.on('tlsClientError', (e: ProtosmithError) => reported.push(e));
    try {
      const raw = await rawClient(s.port);
      if (first) raw.sock.write(await clientHelloBytes());
      await raw.closed;
      assert.is(reported[0]?.code, 'TLS_HANDSHAKE_TIMEOUT');
      assert.is(reported.length, 1);
    } finally { await s.close(); }
  });
}

test('our client gives up on a silent server after handshakeTimeout, and closes the TCP connection', async () => {
  let serverSide: Socket | undefined;
  const r = await rawServer((sock) => { serverSide = sock; sock.resume(); });
  try {
    const c = ourClient(r.port, { handshakeTimeout: 300 });
    const e = await handshake(c.socket, 5000).then(() => undefined, (x: Error) => x);
    assert.is((e as ProtosmithError | undefined)?.code, 'TLS_HANDSHAKE_TIMEOUT');
    await until(() => serverSide?.readableEnded === true || serverSide?.destroyed === true, 'the silent server to see our FIN');
  } finally { await r.close(); }
});

test('idleTimeout: the server closes an idle connection with close_notify, no error on either side', async () => {
  const s = await ourServer('p256', { idleTimeout: 300 });
  try {
    const c = ourClient(s.port);
    await handshake(c.socket);
    c.socket.write('one message, then silence');
    const conn = await s.connection();
    await conn.waitFor('one message');
    await c.until(() => c.socket.readableEnded, 'the server to close the idle connection', 5000);
    await c.until(() => (c.socket.transport as Socket).closed, 'the TCP connection to close');
    assert.equal(c.errors, []);
    assert.equal(conn.errors, []);
  } finally { await s.close(); }
});

test('setTimeout(ms) emits timeout after silence like net.Socket and closes nothing', async () => {
  const s = await ourServer('p256', {}, true);
  try {
    const c = ourClient(s.port);
    await handshake(c.socket);
    let timeouts = 0;
    c.socket.setTimeout(150, () => { timeouts++; });
    await c.until(() => timeouts === 1, 'the timeout event');
    c.socket.setTimeout(0);
    c.socket.write('still open');
    await c.waitFor('still open');
    assert.is(timeouts, 1);
    c.socket.destroy();
  } finally { await s.close(); }
});

test('unusable timeout options are refused up front with TlsConfigError, before any TCP connection', async () => {
  for (const bad of [-1, Number.NaN, 2 ** 31, '30' as unknown as number]) {
    assert.throws(() => connect({ host: '127.0.0.1', port: 1, handshakeTimeout: bad }), (e: ProtosmithError) => e.code === 'TLS_CONFIG_INVALID' && /handshakeTimeout/.test(e.message));
    assert.throws(() => createServer({ certificateChain: [pki.servers.p256.chainPem], signingKey: pki.servers.p256.keyPem, idleTimeout: bad }, () => undefined), (e: ProtosmithError) => e.code === 'TLS_CONFIG_INVALID' && /idleTimeout/.test(e.message));
  }
});

// ---- records without progress --------------------------------------------------------------------

test('a ChangeCipherSpec flood after ClientHello over TCP is closed with unexpected_message', async () => {
  const s = await ourServer('p256');
  const reported: ProtosmithError[] = [];
  s.server.on('tlsClientError', (e: ProtosmithError) => reported.push(e));
  try {
    const raw = await rawClient(s.port);
    raw.sock.write(await clientHelloBytes());
    const flood = Buffer.concat(Array.from({ length: 2000 }, () => CCS));
    raw.sock.write(flood);
    await raw.closed;
    assert.is(reported[0]?.code, 'TLS_NO_PROGRESS');
    assert.is(reported[0]?.alert, 'unexpected_message');
  } finally { await s.close(); }
});

test('our client facing a server that answers with endless user_canceled alerts fails with TLS_NO_PROGRESS', async () => {
  const r = await rawServer((sock) => {
    sock.once('data', () => { sock.write(Buffer.concat(Array.from({ length: 2000 }, () => USER_CANCELED))); });
  });
  try {
    const c = ourClient(r.port);
    const e = await handshake(c.socket).then(() => undefined, (x: Error) => x);
    assert.is((e as ProtosmithError | undefined)?.code, 'TLS_NO_PROGRESS');
  } finally { await r.close(); }
});

test('a client sending KeyUpdates without end over TCP is cut by the server with unexpected_message', async () => {
  const s = await ourServer('p256');
  const reported: ProtosmithError[] = [];
  s.server.on('tlsClientError', (e: ProtosmithError) => reported.push(e));
  try {
    const c = ourClient(s.port);
    await handshake(c.socket);
    for (let i = 0; i < 100 && !c.socket.destroyed; i++) await c.socket.keyUpdate(false).catch(() => undefined);
    await until(() => reported.length > 0, 'the server to cut the KeyUpdate flood');
    assert.is(reported[0]?.code, 'TLS_NO_PROGRESS');
    const e = await c.until(() => false, 'our client to see the alert').then(() => undefined, (x: Error) => x);
    assert.is((e as ProtosmithError).code, 'TLS_PEER_ALERT', `client error: ${String(e)}`);
    assert.match(e!.message, /unexpected_message/);
  } finally { await s.close(); }
});

// ---- bounded buffering -----------------------------------------------------------------------------

test('a server piping to a client that never reads stops reading too: its buffers stay bounded', async () => {
  const s = await ourServer('p256');
  try {
    s.server.on('secureConnection', (sock: TlsSocket) => { pipeline(sock, sock, () => undefined); });
    const c = ourClient(s.port);
    await handshake(c.socket);
    c.socket.pause();
    (c.socket.transport as Socket).pause();
    const chunk = randomBytes(64 * 1024);
    let written = 0;
    let stalled = false;
    while (!stalled && written < 64 << 20) {
      written += chunk.length;
      if (!c.socket.write(chunk)) {
        stalled = await new Promise<boolean>((res) => {
          const t = setTimeout(() => res(true), 1000);
          c.socket.once('drain', () => { clearTimeout(t); res(false); });
        });
      }
    }
    assert.ok(stalled, `the client could write ${written} bytes without the server pushing back`);
    const conn = await s.connection();
    const t = conn.socket.transport as Socket;
    const held = conn.socket.writableLength + conn.socket.readableLength + t.writableLength + t.readableLength;
    assert.ok(held < 1 << 20, `the server holds ${held} bytes for a client that does not read`);
    c.socket.destroy();
  } finally { await s.close(); }
});

test('write() returns false while the transport is full and drain follows once the peer reads', async () => {
  const s = await ourServer('p256');
  try {
    const c = ourClient(s.port);
    await handshake(c.socket);
    const conn = await s.connection();
    conn.socket.pause();
    let ok = true;
    let n = 0;
    while (ok && n < 4096) { ok = c.socket.write(Buffer.alloc(16384)); n++; }
    assert.is(ok, false, 'write() eventually returns false');
    const drained = new Promise<void>((res) => c.socket.once('drain', () => res()));
    conn.socket.resume();
    await drained;
    c.socket.destroy();
  } finally { await s.close(); }
});

test.run();
