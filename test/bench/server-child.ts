// The server side of the TCP and memory benchmarks, in its own process so that its CPU time and memory
// are its own (process.cpuUsage / memoryUsage), driven by the parent over IPC (see tcp-harness.ts).
// One server per child: protosmith (runtime/node createServer) or node:tls, same PKI, same behaviour:
// after the handshake the first byte from the client picks what the connection does:
//   'd' the server sends `bulkBytes` bytes;  'u' the server reads `bulkBytes` bytes, then answers 'k';
//   nothing: the connection stays idle (handshake and memory benches).
// Kind 'bare' is protosmith's server engine (node provider) behind the least adapter that completes the TCP bench's
// exchange, no TlsSocket: the adapter floor of the TCP bench (the difference to 'protosmith' is what TlsSocket costs).
// Kind 'duplex' is the same engine behind the least node Duplex that completes the exchange (the adapter bench: what
// being a stream costs, apart from what TlsSocket adds).
// Kind 'net' is no TLS server: the socket-layer floor of the TCP bench (floor.ts), a plain node net server
// (same options as protosmith's) that answers each recorded client flight with the recorded number of bytes
// and, after the last, ends its side and closes, as protosmith's server does.
import { createServer as netCreateServer, type Server, type Socket } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { createServer } from '../../runtime/node/index.ts';
import { TlsServer, type TlsServerConfig } from '../../runtime/tls/index.ts';
import { createNodeProvider, nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { createNativeProvider } from '../../runtime/crypto/native/index.ts';
import { profiled, startAllocationSampling, startGcRecording, type AllocRow, type GcSummary, type ProfileRow } from './profile.ts';
import { sealFloorCpu, type NODE_AEAD } from './aead-floor.ts';
import { NODE_TICKET_KEYS, TICKET_KEY, type BenchPki } from './support.ts';
import type { TransportStep } from './floor.ts';

/** 'native': protosmith with the native provider (record AEADs and HMAC by the addon); 'bare': the engine without TlsSocket;
 *  'duplex': the engine behind the least Duplex. */
export type ServerKind = 'protosmith' | 'native' | 'node' | 'net' | 'bare' | 'duplex';
export type ToChild =
  | { op: 'listen'; kind: ServerKind; pki: BenchPki; bulkBytes: number; transport?: readonly TransportStep[] }
  | { op: 'cpu' } | { op: 'mem'; settle?: boolean } | { op: 'sealFloor'; suite: keyof typeof NODE_AEAD; mib: number }
  | { op: 'allocStart'; interval: number } | { op: 'allocStop'; top: number } | { op: 'gcStart' } | { op: 'gcStop' } | { op: 'exit' };
export type FromChild =
  | { op: 'listening'; port: number }
  | { op: 'cpu'; user: number; system: number }
  | { op: 'sealFloor'; ms: number }
  | { op: 'allocStarted' }
  | { op: 'allocStopped'; bytes: number; top: AllocRow[] }
  | { op: 'gcStarted' }
  | { op: 'gcStopped'; gc: GcSummary }
  | { op: 'mem'; rss: number; heapUsed: number; external: number; arrayBuffers: number; connections: number; youngBytes: number; settledMs?: number }
  | { op: 'exit'; profile?: { top: ProfileRow[]; totalMs: number } };

const send = (m: FromChild): void => { process.send!(m); };
const CHUNK = Buffer.alloc(1 << 20, 0x5a);
let open = 0;

function serve(socket: Duplex, bulkBytes: number): void {
  open++;
  let mode: 'idle' | 'u' | 'd' = 'idle';
  let received = 0;
  socket.on('error', () => { /* a client that goes away abruptly is not the server's failure here */ });
  socket.on('close', () => { open--; });
  socket.on('data', (chunk: Uint8Array) => {
    if (mode === 'idle') {
      mode = chunk[0] === 0x64 ? 'd' : 'u';
      chunk = chunk.subarray(1);
      if (mode === 'd') { void download(socket, bulkBytes); return; }
    }
    if (mode === 'u') {
      received += chunk.length;
      if (received >= bulkBytes) { received = -Infinity; socket.write(Uint8Array.of(0x6b)); }
    }
  });
}

async function download(socket: Duplex, n: number): Promise<void> {
  for (let sent = 0; sent < n && !socket.destroyed; sent += CHUNK.length) {
    const part = n - sent >= CHUNK.length ? CHUNK : CHUNK.subarray(0, n - sent);
    if (!socket.write(part)) {
      await new Promise<void>((resolve) => {
        const done = (): void => { socket.off('drain', done); socket.off('close', done); resolve(); };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
  }
}

/** The 'net' floor: after the client's bytes of each recorded 'in' step, the recorded 'out' bytes, in one write. */
function serveRecorded(socket: Socket, transport: readonly TransportStep[]): void {
  open++;
  let received = 0;
  let step = 0;
  socket.on('error', () => { /* as serve() */ });
  socket.on('close', () => { open--; });
  socket.on('end', () => { socket.end(); });
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    for (;;) {
      const s = transport[step];
      if (s === undefined) return;
      if (s.dir === 'in') {
        if (received < s.bytes) return;
        received -= s.bytes;
        step++;
      } else {
        socket.write(Buffer.alloc(s.bytes, 0x17));
        step++;
        // After the last flight, as protosmith's server after both close_notify alerts: FIN, and the socket
        // is destroyed once it has left (no read for the client's FIN).
        if (step === transport.length) { socket.end(); socket.once('finish', () => socket.destroy()); }
      }
    }
  });
}

/** The 'bare' adapter: each chunk read goes to the engine, in order; what the engine queued goes out in one write.
 *  At the peer's close_notify the engine answers with its own, then FIN, and the socket is destroyed once that has
 *  left (as TlsSocket does once both close_notify alerts have crossed). No timers, no stream of its own, no events. */
function serveBare(tcp: Socket, config: TlsServerConfig): void {
  const engine = new TlsServer(config);
  let chain: Promise<void> = Promise.resolve();
  tcp.on('error', () => { /* as serve() */ });
  tcp.on('data', (chunk: Buffer) => {
    chain = chain.then(async () => {
      let closing = false;
      try {
        for (const e of await engine.receive(chunk)) if (e.type === 'peerClosed' || e.type === 'closed') closing = true;
        if (closing && !engine.isClosed) await engine.close();
      } catch {
        closing = true; // a fatal error: its alert is in the output
      }
      const out = engine.takeOutput();
      if (out.length > 0) tcp.write(out);
      if (closing) { tcp.end(); tcp.once('finish', () => tcp.destroy()); }
    });
  });
}

/** The 'duplex' adapter: the bare pump's exchange behind the least node Duplex that does it (data pushed, 'secure'
 *  emitted, the peer's close_notify ending the readable side, end() answering it with close_notify and FIN): what
 *  being a stream costs, without TlsSocket's timers, held writes, backpressure and lifecycle rules. */
class MinimalDuplex extends Duplex {
  readonly #engine: TlsServer;
  readonly #tcp: Socket;
  #chain: Promise<void> = Promise.resolve();
  constructor(tcp: Socket, config: TlsServerConfig) {
    super({ allowHalfOpen: false });
    this.#engine = new TlsServer(config);
    this.#tcp = tcp;
    tcp.on('error', () => { /* as serve() */ });
    tcp.on('data', (chunk: Buffer) => { this.#chain = this.#chain.then(() => this.#receive(chunk)); });
  }
  async #receive(chunk: Buffer): Promise<void> {
    let closing = false;
    try {
      for (const e of await this.#engine.receive(chunk)) {
        if (e.type === 'data') this.push(e.data);
        else if (e.type === 'handshakeComplete') this.emit('secure', e);
        else if (e.type === 'peerClosed' || e.type === 'closed') closing = true;
      }
    } catch {
      this.#flush(); // a fatal error: its alert is in the output
      this.#tcp.end();
      this.destroy();
      return;
    }
    this.#flush();
    if (closing) this.push(null);
  }
  #flush(): void {
    const out = this.#engine.takeOutput();
    if (out.length > 0) this.#tcp.write(out);
  }
  override _read(): void { /* data is pushed as it is opened */ }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#chain = this.#chain.then(async () => { await this.#engine.write(chunk); this.#flush(); cb(); }, cb);
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.#chain = this.#chain.then(async () => {
      if (!this.#engine.isClosed) await this.#engine.close();
      this.#flush();
      this.#tcp.end();
      this.#tcp.once('finish', () => this.#tcp.destroy());
      cb();
    }, cb);
  }
}

function listen(kind: ServerKind, pki: BenchPki, bulkBytes: number, transport: readonly TransportStep[] = []): Server {
  if (kind === 'net') return netCreateServer({ allowHalfOpen: true, noDelay: true }, (s) => serveRecorded(s, transport));
  if (kind === 'bare') {
    const config: TlsServerConfig = { crypto: createNodeProvider(), now: Date.now, certificateChain: [pki.chainPem], signingKey: nodeSigningKey(pki.keyPem), ticketKey: TICKET_KEY };
    return netCreateServer({ allowHalfOpen: true, noDelay: true }, (s) => serveBare(s, config));
  }
  if (kind === 'duplex') {
    const config: TlsServerConfig = { crypto: createNodeProvider(), now: Date.now, certificateChain: [pki.chainPem], signingKey: nodeSigningKey(pki.keyPem), ticketKey: TICKET_KEY };
    return netCreateServer({ allowHalfOpen: true, noDelay: true }, (s) => serve(new MinimalDuplex(s, config), bulkBytes));
  }
  if (kind === 'protosmith' || kind === 'native') {
    const crypto = kind === 'native' ? createNativeProvider() : createNodeProvider();
    return createServer({ crypto, certificateChain: [pki.chainPem], signingKey: nodeSigningKey(pki.keyPem), ticketKey: TICKET_KEY }, (s) => serve(s, bulkBytes));
  }
  const server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: 'X25519', ticketKeys: NODE_TICKET_KEYS }, (s) => serve(s, bulkBytes));
  server.on('tlsClientError', () => { /* counted by the client side */ });
  return server;
}

/** V8's young generation (new space), committed bytes. */
function youngBytes(): number {
  return getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')?.space_size ?? 0;
}

/** Waits (up to SETTLE_MAX_MS) until V8 has shrunk the young generation of this now idle process, as its
 *  memory reducer does a few seconds after a burst of allocation (here: the handshakes) ends: the young
 *  generation grows with the allocation rate of the burst and is given back once idle, so it is not a cost
 *  of the idle connections. Resolves with how long it waited. */
async function settle(): Promise<number> {
  const start = Date.now();
  while (youngBytes() > SETTLED_YOUNG_BYTES && Date.now() - start < SETTLE_MAX_MS) await new Promise((r) => setTimeout(r, 250));
  return Date.now() - start;
}
const SETTLED_YOUNG_BYTES = 4 << 20;
const SETTLE_MAX_MS = 40_000;

let server: Server | undefined;
let sampling: ReturnType<typeof startAllocationSampling> | undefined;
let gcRecording: ReturnType<typeof startGcRecording> | undefined;
let finished: (() => void) | undefined;
const profileTop = Number(process.env.PROTOSMITH_BENCH_PROFILE ?? 0);
const life = new Promise<void>((resolve) => { finished = resolve; });
const profiling = profileTop > 0 ? profiled(() => life, profileTop) : undefined;

process.on('message', (m: ToChild) => {
  switch (m.op) {
    case 'listen':
      server = listen(m.kind, m.pki, m.bulkBytes, m.transport);
      server.on('error', (e) => { console.error(`bench server: ${e.message}`); process.exit(1); });
      server.listen(0, '127.0.0.1', () => {
        const a = server!.address();
        send({ op: 'listening', port: typeof a === 'object' && a ? a.port : 0 });
      });
      return;
    case 'cpu': {
      const u = process.cpuUsage();
      send({ op: 'cpu', user: u.user, system: u.system });
      return;
    }
    case 'sealFloor':
      send({ op: 'sealFloor', ms: sealFloorCpu(m.suite, m.mib) });
      return;
    case 'mem':
      void (async () => {
        const settledMs = m.settle ? await settle() : undefined;
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.(); gc?.();
        const u = process.memoryUsage();
        send({ op: 'mem', rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers, connections: open, youngBytes: youngBytes(), ...(settledMs === undefined ? {} : { settledMs }) });
      })();
      return;
    case 'allocStart':
      sampling = startAllocationSampling(m.interval);
      void sampling.started.then(() => send({ op: 'allocStarted' }));
      return;
    case 'allocStop':
      void (async () => {
        const r = await sampling!.stop(m.top);
        sampling = undefined;
        send({ op: 'allocStopped', bytes: r.bytes, top: r.top });
      })();
      return;
    case 'gcStart':
      gcRecording = startGcRecording();
      send({ op: 'gcStarted' });
      return;
    case 'gcStop':
      send({ op: 'gcStopped', gc: gcRecording!.stop() });
      gcRecording = undefined;
      return;
    case 'exit':
      finished?.();
      void (async () => {
        const profile = profiling ? await profiling : undefined;
        send({ op: 'exit', ...(profile ? { profile: { top: profile.top, totalMs: profile.totalMs } } : {}) });
        server?.close();
        process.disconnect?.();
        setTimeout(() => process.exit(0), 200).unref();
      })();
  }
});
