// Our side of interop tests: protosmith's client/server through runtime/node, plus a collector for
// what a TlsSocket receives and the events it raises.
import type { AddressInfo, Server } from 'node:net';
import { Duplex } from 'node:stream';
import { connect, createServer, type ConnectOptions, type ServerOptions, TlsSocket } from '../../runtime/node/index.ts';
import type { HandshakeCompleteEvent, ClientSession } from '../../runtime/tls/index.ts';
import { testPki, type KeyKind } from '../support/pki.ts';

export interface Watched {
  readonly socket: TlsSocket;
  text(): string;
  readonly keyUpdates: ('read' | 'write')[];
  readonly sessions: ClientSession[];
  readonly errors: Error[];
  readonly earlyData: string[];
  /** Resolves when the received text contains `s`; rejects on socket error or timeout. */
  waitFor(s: string, timeoutMs?: number): Promise<void>;
  /** Resolves when cond() holds (polled); rejects on socket error or timeout. */
  until(cond: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

export function watch(socket: TlsSocket): Watched {
  let text = '';
  const w = {
    socket, keyUpdates: [] as ('read' | 'write')[], sessions: [] as ClientSession[], errors: [] as Error[], earlyData: [] as string[],
    text: () => text,
    async until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
      const end = Date.now() + timeoutMs;
      while (!cond()) {
        if (w.errors.length) throw w.errors[0]!;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received so far: ${JSON.stringify(text.slice(-200))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    waitFor(s: string, timeoutMs = 5000): Promise<void> {
      return w.until(() => text.includes(s), JSON.stringify(s), timeoutMs);
    },
  };
  socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  socket.on('keyUpdate', (dir: 'read' | 'write') => w.keyUpdates.push(dir));
  socket.on('session', (s: ClientSession) => w.sessions.push(s));
  socket.on('earlyData', (d: Uint8Array) => w.earlyData.push(Buffer.from(d).toString('latin1')));
  socket.on('error', (e: Error) => w.errors.push(e));
  return w;
}

/** Resolves with the handshake facts, or rejects with the socket's error (or after timeoutMs). */
export function handshake(socket: TlsSocket, timeoutMs = 5000): Promise<HandshakeCompleteEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`handshake did not complete within ${timeoutMs} ms`)), timeoutMs);
    socket.secureConnect().then((h) => { clearTimeout(t); resolve(h); }, (e: Error) => { clearTimeout(t); reject(e); });
    socket.once('error', (e: Error) => { clearTimeout(t); reject(e); });
  });
}

/** Our client to 127.0.0.1:port, trusting the test root, SNI localhost unless overridden. */
export function ourClient(port: number, options: Partial<ConnectOptions> = {}): Watched {
  const pki = testPki();
  return watch(connect({ host: '127.0.0.1', port, serverName: 'localhost', trustAnchors: [pki.root.certPem], ...options }));
}

export interface OurServer {
  readonly server: Server;
  readonly port: number;
  readonly accepted: Watched[];
  /** Waits for the n-th (1-based) accepted connection. */
  connection(n?: number, timeoutMs?: number): Promise<Watched>;
  close(): Promise<void>;
}

/** Our server on 127.0.0.1 (free port), using the test PKI's `kind` server chain. Echo mode writes back what it receives. */
export async function ourServer(kind: KeyKind, options: Partial<ServerOptions> = {}, echo = false): Promise<OurServer> {
  const pki = testPki();
  const cert = pki.servers[kind];
  const accepted: Watched[] = [];
  const server = createServer({ certificateChain: [cert.certPem, pki.intermediate.certPem], signingKey: cert.keyPem, ...options }, (socket) => {
    const w = watch(socket);
    accepted.push(w);
    if (echo) socket.on('data', (d: Buffer) => { socket.write(d); });
  });
  server.on('tlsClientError', () => { /* recorded on the socket's Watched.errors */ });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server, port, accepted,
    async connection(n = 1, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (accepted.length < n) {
        if (Date.now() > end) throw new Error(`no connection #${n} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return accepted[n - 1]!;
    },
    close: () => new Promise<void>((resolve) => {
      for (const w of accepted) w.socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Two Duplex ends wired to each other in memory (what one writes, the other reads). */
export function duplexPair(): [Duplex, Duplex] {
  const mk = (): Duplex & { peer?: Duplex } => {
    const d: Duplex & { peer?: Duplex } = new Duplex({
      read() { /* pushed by the peer */ },
      write(chunk: Buffer, _e, cb) { d.peer!.push(chunk); cb(); },
      final(cb) { d.peer!.push(null); cb(); },
    });
    return d;
  };
  const a = mk();
  const b = mk();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
