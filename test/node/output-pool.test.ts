// The socket's output pool (runtime/node/output-pool.ts): with a provider that seals into the engine's buffer
// (the native provider), a write's records go out in a buffer that is reused once the transport has written
// it. Reuse is safe only if a buffer comes back after the transport is done with it: the tests below make a
// transport that reads the bytes late (as a kernel may) and check every byte that arrives.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptTls, connect, createServer, TlsSocket } from '../../runtime/node/index.ts';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { OutputPool } from '../../runtime/node/output-pool.ts';
import { createNativeProvider } from '../../runtime/crypto/native/index.ts';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { testPki } from '../support/pki.ts';

const pki = testPki();

test('OutputPool lends exact-length views, takes back only its own lent buffers once, keeps at most `keep` free, refuses small and oversize outputs', () => {
  const pool = new OutputPool(2);
  assert.is(pool.take(1000), undefined, 'a handshake flight or a single record: the engine allocates its own');
  const a = pool.take(100_000)!;
  assert.is(a.length, 100_000);
  assert.is(a.byteOffset, 0);
  assert.ok(pool.lent(a));
  const b = pool.take(100_000)!;
  assert.is.not(b.buffer, a.buffer, 'a lent buffer is not lent again');
  pool.release(a);
  assert.not.ok(pool.lent(a));
  assert.is(pool.free, 1);
  pool.release(a); // twice: ignored
  assert.is(pool.free, 1);
  pool.release(new Uint8Array(100_000)); // not the pool's: ignored
  assert.is(pool.free, 1);
  const c = pool.take(90_000)!;
  assert.is(c.buffer, a.buffer, 'a released buffer big enough is reused');
  assert.is(c.length, 90_000);
  assert.is(pool.free, 0);
  const d = pool.take(500_000)!;
  for (const x of [b, c, d]) pool.release(x);
  assert.is(pool.free, 2, 'no more than `keep` buffers are kept');
  assert.is(pool.take((1 << 20) + (1 << 16) + 1), undefined, 'larger than a pooled buffer: the engine allocates');
});

/** Two connected transports; what one side writes reaches the other after `delayMs`, and is copied only then,
 *  just before the write's callback: a buffer reused before its callback would arrive altered. */
function latePair(delayMs: number): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  // A high-water mark above everything the tests write: the socket never waits for 'drain', so the engine
  // seals its next write while earlier ones are still in the transport (as with a fast writer and a socket
  // whose kernel buffer has room).
  const make = (peer: () => Duplex): Duplex => new Duplex({
    writableHighWaterMark: 64 << 20,
    read() { /* pushed by the peer */ },
    write(chunk: Buffer, _enc, cb) { setTimeout(() => { peer().push(Buffer.from(chunk)); cb(); }, delayMs); },
    final(cb) { setTimeout(() => { peer().push(null); cb(); }, delayMs); },
  });
  sides.push(make(() => sides[1]!), make(() => sides[0]!));
  return [sides[0]!, sides[1]!];
}

/** Writes `mib` different 1 MiB chunks from `from` (waiting for 'drain'), and checks that `to` reads exactly them. */
async function sendChecked(from: Duplex, to: Duplex, mib: number): Promise<void> {
  const want = createHash('sha256');
  const got = createHash('sha256');
  let received = 0;
  const done = new Promise<void>((resolve) => to.on('data', (d: Buffer) => { got.update(d); received += d.length; if (received >= mib << 20) resolve(); }));
  for (let i = 0; i < mib; i++) {
    // Each MiB different (its index in every byte's pattern), so that a record from a reused buffer shows.
    const chunk = Buffer.alloc(1 << 20, i * 7 + 1);
    chunk.writeUInt32BE(i, 0);
    want.update(chunk);
    if (!from.write(chunk)) await once(from, 'drain');
  }
  await done;
  assert.is(received, mib << 20);
  assert.is(got.digest('hex'), want.digest('hex'), 'the receiver read exactly what the sender wrote');
}

/** A native-provider server on loopback TCP and a node:tls client (over `tcp`, when given), both connected. */
async function nativeServerOverTcp(tcpFor: (port: number) => net.Socket | undefined = () => undefined): Promise<{ s: TlsSocket; client: tls.TLSSocket; errors: Error[]; close(): void }> {
  const sockets: TlsSocket[] = [];
  const errors: Error[] = [];
  const server = createServer({ crypto: createNativeProvider(), certificateChain: [pki.servers.p256.chainPem], signingKey: pki.servers.p256.keyPem }, (s) => {
    s.on('error', (e) => { errors.push(e); });
    sockets.push(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const tcp = tcpFor(port);
  const client = tls.connect({ ...(tcp ? { socket: tcp } : { host: '127.0.0.1', port }), servername: 'localhost', ca: pki.root.certPem, minVersion: 'TLSv1.3' });
  client.on('error', (e) => { errors.push(e); });
  const close = (): void => { client.destroy(); server.close(); };
  try {
    await once(client, 'secureConnect');
    while (sockets.length === 0) await new Promise((r) => setTimeout(r, 5));
    await sockets[0]!.secureConnect();
  } catch (e) { close(); throw e; }
  return { s: sockets[0]!, client, errors, close };
}

test('a native-provider server sends 24 MiB in 1 MiB writes over a transport that reads late: every byte arrives intact and the pool is reused', async () => {
  const [st, ct] = latePair(2);
  const server = acceptTls(st, { crypto: createNativeProvider(), certificateChain: [pki.servers.p256.chainPem], signingKey: pki.servers.p256.keyPem, handshakeTimeout: 0 });
  const client = connect({ socket: ct, crypto: createNodeProvider(), serverName: 'localhost', trustAnchors: [pki.root.certPem], handshakeTimeout: 0 });
  client.on('error', (e) => { throw e; });
  server.on('error', (e) => { throw e; });
  await Promise.all([server.secureConnect(), client.secureConnect()]);
  await sendChecked(server, client, 24);
  const pool = TlsSocket.outputPoolOf(server);
  assert.ok(pool.free > 0, 'written buffers came back to the pool');
  server.destroy(); client.destroy();
});

test('over loopback TCP, where the kernel takes each 1 MiB write at once, a native-provider server reuses its output buffers: 32 MiB sent with a handful allocated, every byte intact', async () => {
  const { s, client, errors, close } = await nativeServerOverTcp();
  try {
    await sendChecked(s, client, 32);
    assert.equal(errors, [], 'no error on either side');
    const pool = TlsSocket.outputPoolOf(s);
    // Without waiting for the transport's write callback before the next write, every write would find its
    // predecessors still lent out (their callbacks wait for the next tick) and allocate: ~32 here.
    assert.ok(pool.allocated <= 4, `${pool.allocated} output buffers allocated for 32 writes`);
  } finally {
    close();
  }
});

test('a native-provider server writing 1 MiB at a time to a client that resets mid-transfer: its socket closes, pending writes call back, nothing hangs or throws', async () => {
  let tcp: net.Socket | undefined;
  const { s, client, close } = await nativeServerOverTcp((port) => {
    tcp = net.connect({ host: '127.0.0.1', port });
    tcp.on('error', () => { /* we reset it ourselves */ });
    return tcp;
  });
  try {
    let received = 0;
    client.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= 1 << 20 && !tcp!.destroyed) tcp!.resetAndDestroy(); // RST, not FIN: the server's writes fail
    });
    const chunk = Buffer.alloc(1 << 20, 3);
    const callbacks: (Error | null | undefined)[] = [];
    const writer = (async () => {
      for (let i = 0; i < 64 && !s.destroyed; i++) {
        // (events.once would reject on the socket's 'error': the reset is reported there, as it should be.)
        if (!s.write(chunk, (e) => { callbacks.push(e); })) await new Promise((r) => { s.once('drain', r); s.once('close', r); });
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise((r) => { if (s.destroyed) r(undefined); else s.once('close', r); }),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('the server socket did not close within 5 s of the reset')), 5000); }),
    ]);
    clearTimeout(timer);
    await writer;
    assert.ok(received >= 1 << 20);
    assert.ok(s.destroyed);
    assert.ok(callbacks.length >= 1, 'the writes made before the reset called back');
  } finally {
    close();
  }
});

test('the node provider does not use the pool (node:crypto returns its own buffers), and its data is intact too', async () => {
  const [st, ct] = latePair(1);
  const server = acceptTls(st, { crypto: createNodeProvider(), certificateChain: [pki.servers.p256.chainPem], signingKey: pki.servers.p256.keyPem, handshakeTimeout: 0 });
  const client = connect({ socket: ct, crypto: createNativeProvider(), serverName: 'localhost', trustAnchors: [pki.root.certPem], handshakeTimeout: 0 });
  await Promise.all([server.secureConnect(), client.secureConnect()]);
  const data = Buffer.alloc(3 << 20, 9);
  let received = 0;
  const done = new Promise<void>((resolve) => server.on('data', (d: Buffer) => { received += d.length; if (received >= data.length) resolve(); }));
  for (let i = 0; i < 3; i++) client.write(data.subarray(i << 20, (i + 1) << 20));
  await done;
  assert.is(received, data.length);
  assert.is(TlsSocket.outputPoolOf(server).free, 0);
  assert.ok(TlsSocket.outputPoolOf(client).free > 0, 'the native client\'s writes used its pool');
  server.destroy(); client.destroy();
});

test.run();
