// What a TlsSocket (runtime/node) keeps per connection: its transport listeners are functions shared by
// every socket, and a server's sockets share their error listener, so an idle connection carries no
// closures of its own for them (each closure is an object, with a context, per connection).
import { once } from 'node:events';
import * as net from 'node:net';
import { type AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { createHook } from 'node:async_hooks';
import { getHeapSnapshot } from 'node:v8';
import { createServer, TlsSocket, type SansIoEngine } from '../../runtime/node/index.ts';
import { idleQueueSize } from '../../runtime/node/tls-socket.ts';
import type { HandshakeCompleteEvent, TlsEvent } from '../../runtime/tls/index.ts';
import { TlsUsageError } from '../../runtime/tls/index.ts';
import { testPki } from '../support/pki.ts';

const pki = testPki();

test('two connected server sockets share their transport listeners and carry no error listener of their own', async () => {
  const sockets: TlsSocket[] = [];
  const server = createServer({ certificateChain: [pki.servers.p256.chainPem], signingKey: pki.servers.p256.keyPem }, (s) => { sockets.push(s); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const clients: tls.TLSSocket[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const c = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.root.certPem, minVersion: 'TLSv1.3' });
      c.on('error', () => { /* torn down at the end */ });
      clients.push(c);
      await once(c, 'secureConnect');
    }
    await Promise.all(sockets.map((s) => s.secureConnect()));
    const [a, b] = sockets as [TlsSocket, TlsSocket];
    for (const event of ['data', 'end', 'error', 'close']) {
      const theirs = b.transport.listeners(event);
      assert.ok(a.transport.listeners(event).length >= 1, `the TCP socket has '${event}' listeners`);
      const own = a.transport.listeners(event).filter((f) => !theirs.includes(f)).map((f) => f.name || '(anonymous)');
      assert.equal(own, [], `'${event}' listeners of one connection's TCP socket that another connection's lacks`);
    }
    assert.equal([a.listeners('error'), b.listeners('error')], [[], []], 'no error listener on a server socket (errors go to tlsClientError)');
  } finally {
    for (const c of clients) c.destroy();
    server.close();
  }
});

test('a transport carries one TlsSocket: wrapping it a second time is refused (the shared listeners would feed both its events to the second)', () => {
  const engine: SansIoEngine = {
    receive: async () => [], takeOutput: () => new Uint8Array(0), write: async () => [], requestKeyUpdate: async () => [],
    close: async () => [], exportKeyingMaterial: async () => new Uint8Array(0), isClosed: false,
  };
  const transport = new PassThrough();
  const first = new TlsSocket(engine, transport, { handshakeTimeout: 0 });
  let err: unknown;
  try { new TlsSocket(engine, transport, { handshakeTimeout: 0 }); } catch (e) { err = e; }
  assert.instance(err, TlsUsageError);
  assert.is((err as TlsUsageError).code, 'TLS_BAD_ARGUMENT');
  assert.is(transport.listeners('data').length, 1, 'the refused socket added no listener');
  first.destroy();
  transport.destroy();
});

/** An engine whose handshake completes on the first bytes received; it echoes nothing. */
function instantEngine(): SansIoEngine {
  let done = false;
  const complete: HandshakeCompleteEvent = {
    type: 'handshakeComplete', version: 'TLSv1.3', cipherSuite: 0x1301, group: 0x1d, signatureScheme: 0x0403,
    alpn: undefined, serverName: undefined, resumed: false, earlyDataAccepted: false, peerCertificates: [],
  };
  return {
    receive: async (): Promise<TlsEvent[]> => (done ? [] : (done = true, [complete])),
    takeOutput: () => new Uint8Array(0), write: async () => [], requestKeyUpdate: async () => [],
    close: async () => [], exportKeyingMaterial: async () => new Uint8Array(0), isClosed: false,
  };
}

test('idle sockets share one idle timer (no Timeout per connection), it still closes each of them, and closed sockets leave its queue', async () => {
  const ms = 700; // a value no other test uses: its queue holds only these sockets
  let timeouts = 0;
  const hook = createHook({ init: (_id, type) => { if (type === 'Timeout') timeouts++; } }).enable();
  const pairs: Array<{ socket: TlsSocket; transport: PassThrough }> = [];
  try {
    for (let i = 0; i < 20; i++) {
      const transport = new PassThrough();
      const socket = new TlsSocket(instantEngine(), transport, { handshakeTimeout: 0, idleTimeout: ms, closeTimeout: 50 });
      socket.on('error', () => { /* none expected; asserted below through .error */ });
      transport.write(Buffer.from([22]));
      pairs.push({ socket, transport });
    }
    await Promise.all(pairs.map((p) => p.socket.secureConnect()));
    assert.ok(timeouts <= 1, `idle timers made for 20 idle connections: ${timeouts} (expected one shared)`);
  } finally { hook.disable(); }
  assert.is(idleQueueSize(ms), 20);
  // The shared timer closes every one of them politely (end(): 'finish' on the writable side). It is
  // unref'd, like a server socket's timers: something else keeps the process alive meanwhile.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await Promise.all(pairs.map((p) => (p.socket.writableFinished ? undefined : once(p.socket, 'finish'))));
  } finally { clearInterval(keepAlive); }
  for (const p of pairs) assert.is(p.socket.error, undefined);
  assert.is(idleQueueSize(ms), 0, 'the queue keeps no closed socket');
  // A socket destroyed before it idles out leaves the queue at once.
  const transport = new PassThrough();
  const socket = new TlsSocket(instantEngine(), transport, { handshakeTimeout: 0, idleTimeout: ms });
  transport.write(Buffer.from([22]));
  await socket.secureConnect();
  assert.is(idleQueueSize(ms), 1);
  socket.destroy();
  assert.is(idleQueueSize(ms), 0, 'a destroyed socket leaves the idle queue');
  for (const p of [...pairs, { socket, transport }]) { p.socket.destroy(); p.transport.destroy(); }
});

test('a connected socket keeps the handshake facts as fields, not the event object: socket.handshake is rebuilt from them and equals the event', async () => {
  const transport = new PassThrough();
  const engine = instantEngine();
  const socket = new TlsSocket(engine, transport, { handshakeTimeout: 0 });
  let delivered: HandshakeCompleteEvent | undefined;
  socket.on('secure', (ev: HandshakeCompleteEvent) => { delivered = ev; });
  transport.write(Buffer.from([22]));
  const got = await socket.secureConnect();
  assert.ok(delivered !== undefined, "'secure' delivered the event");
  assert.equal(got, delivered, 'secureConnect() resolves with the same facts');
  assert.equal(socket.handshake, delivered, 'socket.handshake has the same facts');
  assert.ok(socket.handshake !== delivered, 'the delivered event object itself is not kept by the socket');
  assert.not.ok(Object.hasOwn(socket, 'handshake'), 'handshake is a getter, not an own field holding an object');
  assert.is(socket.alpnProtocol, undefined);
  socket.destroy();
  transport.destroy();
});

/** A reference object for the heap snapshot below: its fields point to the heap's `true` and `false`. */
class BooleanProbe { yes = true; no = false; }

/** The private fields of every `className` object in the heap, each with the heap node it points to (its
 *  class name, or 'boolean' for true and false), read from a V8 heap snapshot (booleans are two shared
 *  heap objects; small integers are no edges). */
async function privateFields(className: string): Promise<Array<Map<string, string>>> {
  const probe = new BooleanProbe();
  const chunks: Buffer[] = [];
  for await (const c of getHeapSnapshot()) chunks.push(c as Buffer);
  void probe;
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] } };
    nodes: number[]; edges: number[]; strings: string[];
  };
  const { node_fields: nfs, edge_fields: efs, node_types: [nodeTypes], edge_types: [edgeTypes] } = snap.snapshot.meta;
  const nf = nfs.length, ef = efs.length, ti = nfs.indexOf('type'), ni = nfs.indexOf('name'), ci = nfs.indexOf('edge_count');
  const objects: Array<{ name: string; fields: Map<string, number> }> = [];
  const wanted = new Set([className, 'BooleanProbe']);
  let e = 0;
  for (let at = 0; at < snap.nodes.length; at += nf) {
    const count = snap.nodes[at + ci]!;
    const name = snap.strings[snap.nodes[at + ni]!]!;
    const mine = nodeTypes[snap.nodes[at + ti]!] === 'object' && wanted.has(name) ? new Map<string, number>() : undefined;
    if (mine) objects.push({ name, fields: mine });
    for (let j = 0; j < count; j++, e += ef) {
      if (mine && edgeTypes[snap.edges[e]!] === 'property') mine.set(snap.strings[snap.edges[e + 1]!]!, snap.edges[e + 2]!);
    }
  }
  const probeFields = objects.find((o) => o.name === 'BooleanProbe')!.fields;
  const booleans = new Set([probeFields.get('yes'), probeFields.get('no')]);
  return objects.filter((o) => o.name === className).map((o) => new Map([...o.fields]
    .filter(([f]) => f.startsWith('#'))
    .map(([f, to]) => [f, booleans.has(to) ? 'boolean' : snap.strings[snap.nodes[to + ni]!]!])));
}

test('a connected socket keeps its yes/no state in one integer: no private field of TlsSocket holds true or false', async () => {
  const transport = new PassThrough();
  const socket = new TlsSocket(instantEngine(), transport, { handshakeTimeout: 0 });
  transport.write(Buffer.from([22]));
  await socket.secureConnect();
  const sockets = await privateFields('TlsSocket');
  assert.ok(sockets.length >= 1, 'the snapshot shows the socket');
  for (const f of sockets) assert.equal([...f].filter(([, to]) => to === 'boolean').map(([name]) => name), [], 'TlsSocket private fields holding a boolean (Duplex has its own)');
  socket.destroy();
  transport.destroy();
});

test('an idle socket holds no promise for its operation queue once every operation has settled', async () => {
  const transport = new PassThrough();
  const socket = new TlsSocket(instantEngine(), transport, { handshakeTimeout: 0 });
  transport.write(Buffer.from([22]));
  await socket.secureConnect();
  await new Promise((r) => setImmediate(r));
  const sockets = await privateFields('TlsSocket');
  assert.ok(sockets.length >= 1, 'the snapshot shows the socket');
  for (const f of sockets) assert.ok(f.get('#chain') !== 'Promise', 'TlsSocket#chain holds a settled promise while idle');
  socket.destroy();
  transport.destroy();
});

test('a server socket drops the stand-in engine it had before the first byte: once connected it calls its TlsServer, and data, KeyUpdate, the exporter and close go on', async () => {
  let socket: TlsSocket | undefined;
  const server = createServer({ certificateChain: [pki.servers.p256.chainPem], signingKey: pki.servers.p256.keyPem }, (s) => { socket = s; });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const c = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.root.certPem, minVersion: 'TLSv1.3' });
  try {
    await once(c, 'secureConnect');
    const s = socket!;
    assert.ok(s.engine.constructor.name !== 'TlsServer', 'before the handshake completes the socket holds a stand-in');
    await s.secureConnect();
    assert.is(s.engine.constructor.name, 'TlsServer', 'the socket calls the engine itself once connected');
    assert.is(s.engine.engine, undefined);
    s.write('from server');
    const [got] = await once(c, 'data') as [Buffer];
    assert.is(got.toString(), 'from server');
    const ours = Buffer.from(await s.exportKeyingMaterial('EXPORTER-x', undefined, 16)).toString('hex');
    assert.is(ours, c.exportKeyingMaterial(16, 'EXPORTER-x', undefined as unknown as Buffer).toString('hex'), 'exporter agrees with node:tls');
    await s.keyUpdate(true);
    c.write('from client');
    const [back] = await once(s, 'data') as [Buffer];
    assert.is(back.toString(), 'from client', 'read under the client\'s updated keys');
    s.end();
    await once(c, 'end');
  } finally {
    c.destroy();
    server.close();
  }
});

test('a server socket without any error listener never crashes the server: a peer that does not speak TLS is reported through tlsClientError', async () => {
  const server = createServer({ certificateChain: [pki.servers.p256.chainPem], signingKey: pki.servers.p256.keyPem }, () => { /* no listeners at all */ });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const reported = once(server, 'tlsClientError');
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => { /* the server hangs up */ });
  try {
    c.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const [err, socket] = await reported as [Error & { code?: string }, TlsSocket];
    assert.is(err.code, 'TLS_UNEXPECTED_MESSAGE', err.message);
    if (!socket.destroyed) await once(socket, 'close');
    assert.ok(socket.destroyed, 'the socket was destroyed with the error, which nobody listened to, and the process lives on');
  } finally {
    c.destroy();
    server.close();
  }
});

test.run();
