// Real peers for interop tests: `openssl s_server`, `openssl s_client`, `gnutls-serv`, `gnutls-cli`
// started on a free 127.0.0.1 port, waited for until ready, their output captured, and stopped by
// the pid we spawned (never by name). Every spawned peer is registered; `stopAll()` and a process
// 'exit' hook kill whatever a failing test left behind.
//
// s_server/s_client keep running only while their stdin is open, so stdin is always a pipe we own.
// Lines written to stdin are sent as application data; a line that is just `k` / `K` makes OpenSSL
// send a KeyUpdate (update_not_requested / update_requested), `Q` ends the connection.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, connect } from 'node:net';

export interface Peer {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** Everything the peer printed so far (stdout + stderr interleaved). */
  output(): string;
  /** Resolves with the first match of `re` in the output (waiting for more output up to timeoutMs). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Write to the peer's stdin. */
  send(text: string): void;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Kill the process we spawned (SIGTERM, then SIGKILL after 1 s) and wait for it to exit. */
  stop(): Promise<void>;
}

const live = new Map<number, ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const [pid] of live) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
});

/** Stops every peer this process started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live.values()].map((c) => stopChild(c)));
}

function stopChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { live.delete(child.pid!); resolve(); return; }
    const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 1000);
    child.once('exit', () => { clearTimeout(t); live.delete(child.pid!); resolve(); });
    try { process.kill(child.pid!, 'SIGTERM'); } catch { clearTimeout(t); live.delete(child.pid!); resolve(); }
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function spawnPeer(name: string, command: string, args: readonly string[], port: number): Peer {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  live.set(child.pid, child);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => { out += d.toString('latin1'); for (const l of [...listeners]) l(); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.stdin.on('error', () => { /* peer exited while we were writing */ });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => { live.delete(child.pid!); for (const l of [...listeners]) l(); resolve(code ?? signal ?? 'unknown'); });
  });
  return {
    name, pid: child.pid, port,
    output: () => out,
    send: (text) => { if (child.stdin.writable) child.stdin.write(text); },
    exited,
    stop: () => stopChild(child),
    waitFor(re, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out);
          if (m) { done(); resolve(m); return; }
          if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${name} (pid ${child.pid}) exited (${child.exitCode ?? child.signalCode}) before printing ${re}; output:\n${out}`));
          }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`${name} (pid ${child.pid}) did not print ${re} within ${timeoutMs} ms; output:\n${out}`)); }, timeoutMs);
        const done = (): void => { clearTimeout(timer); listeners.delete(check); };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Starts `openssl s_server -tls1_3 -accept 127.0.0.1:<port> <args>` and waits for ACCEPT. Retries on a lost port race. */
export async function opensslServer(args: readonly string[]): Promise<Peer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const peer = spawnPeer('openssl s_server', 'openssl', ['s_server', '-tls1_3', '-accept', `127.0.0.1:${port}`, '-naccept', '1', ...args], port);
    try {
      await peer.waitFor(/^ACCEPT$/m);
      return peer;
    } catch (e) {
      await peer.stop();
      if (attempt < 2 && /Address already in use|bind/i.test(peer.output())) continue;
      throw e;
    }
  }
}

/** Starts `openssl s_client -tls1_3 -connect 127.0.0.1:<port> <args>` (does not wait). */
export function opensslClient(port: number, args: readonly string[]): Peer {
  return spawnPeer('openssl s_client', 'openssl', ['s_client', '-tls1_3', '-connect', `127.0.0.1:${port}`, ...args], port);
}

/** Resolves once a TCP connection to 127.0.0.1:port is accepted (the probe is closed at once). */
export async function waitListening(port: number, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing accepted connections on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts `gnutls-serv --port <port> <args>` and waits until it accepts connections. */
export async function gnutlsServer(args: readonly string[]): Promise<Peer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const peer = spawnPeer('gnutls-serv', 'gnutls-serv', ['--port', String(port), ...args], port);
    try {
      // It prints "listening ... done" around bind/listen; a probe connection is the real proof.
      await peer.waitFor(/IPv4 .*done/i);
      await waitListening(port);
      return peer;
    } catch (e) {
      await peer.stop();
      if (attempt < 2 && /in use|bind/i.test(peer.output())) continue;
      throw e;
    }
  }
}

/** Starts `gnutls-cli --port <port> 127.0.0.1 <args>` (does not wait). */
export function gnutlsClient(port: number, args: readonly string[]): Peer {
  return spawnPeer('gnutls-cli', 'gnutls-cli', ['--port', String(port), ...args, '127.0.0.1'], port);
}

/** Runs `fn` with a fresh peer and always stops it afterwards (also when `fn` throws). */
export async function withPeer<T>(start: () => Promise<Peer> | Peer, fn: (peer: Peer) => Promise<T>): Promise<T> {
  const peer = await start();
  try {
    return await fn(peer);
  } finally {
    await peer.stop();
  }
}

/** OpenSSL names for the TLS 1.3 suites and groups, indexed by IANA number. */
export const OPENSSL_SUITE: Readonly<Record<number, string>> = {
  0x1301: 'TLS_AES_128_GCM_SHA256', 0x1302: 'TLS_AES_256_GCM_SHA384', 0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
};
export const OPENSSL_GROUP: Readonly<Record<number, string>> = { 0x001d: 'X25519', 0x0017: 'P-256', 0x0018: 'P-384' };

/** Resolves when `cond()` is true (polled every 10 ms), rejects after timeoutMs with `what`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
