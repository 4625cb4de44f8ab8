// Parent side of the TCP benchmarks: starts a server child (server-child.ts), asks it for its CPU time
// and memory, and connects node:tls clients (the same client for both servers) over loopback.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { FromChild, ServerKind, ToChild } from './server-child.ts';
import type { AllocRow, GcSummary, ProfileRow } from './profile.ts';
import type { BenchPki } from './support.ts';
import type { NODE_AEAD } from './aead-floor.ts';
import type { TransportStep } from './floor.ts';

export interface ServerChild {
  readonly kind: ServerKind;
  readonly port: number;
  /** Server process CPU time (user + system), ms. */
  cpuMs(): Promise<number>;
  /** Memory after forced GC; with settle, first waits until V8 has given back the young generation (server-child.ts). */
  mem(settle?: boolean): Promise<Extract<FromChild, { op: 'mem' }>>;
  /** CPU ms per MiB for node:crypto alone sealing `mib` MiB as 16 KiB records in this (idle) child (aead-floor.ts). */
  sealFloorCpu(suite: keyof typeof NODE_AEAD, mib: number): Promise<number>;
  /** Starts counting the bytes the child allocates on its JS heap (profile.ts startAllocationSampling). */
  allocStart(interval: number): Promise<void>;
  /** Stops counting: bytes allocated since allocStart (garbage included) and the `top` functions that allocated most. */
  allocStop(top: number): Promise<{ bytes: number; top: AllocRow[] }>;
  /** Starts recording what the child's collector does (profile.ts startGcRecording); gcStop sums it up. */
  gcStart(): Promise<void>;
  gcStop(): Promise<GcSummary>;
  exit(): Promise<{ top: ProfileRow[]; totalMs: number } | undefined>;
  /** SIGKILL, for a child that need not end cleanly (a valgrind run once its counters are read). */
  kill(): Promise<void>;
  /** The process's pid: node's, or with `under`, that program's (which runs node). */
  readonly pid: number;
}

/** A program the child's node runs under, e.g. valgrind: `execPath` with `args` before node's own command line. */
export interface Under { execPath: string; args: readonly string[] }

export async function startServer(kind: ServerKind, pki: BenchPki, bulkBytes = 0, transport?: readonly TransportStep[], under?: Under): Promise<ServerChild> {
  const nodeArgs = [...process.execArgv.filter((a) => !a.startsWith('--cpu-prof')), '--expose-gc'];
  const child: ChildProcess = fork(join(import.meta.dirname, 'server-child.ts'), [], {
    ...(under ? { execPath: under.execPath, execArgv: [...under.args, process.execPath, ...nodeArgs] } : { execArgv: nodeArgs }),
    stdio: ['ignore', under ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
  const ask = async <O extends FromChild['op']>(m: ToChild, op: O): Promise<Extract<FromChild, { op: O }>> => {
    const reply = new Promise<Extract<FromChild, { op: O }>>((resolve, reject) => {
      const onMessage = (r: FromChild): void => { if (r.op === op) { child.off('message', onMessage); child.off('exit', onExit); resolve(r as Extract<FromChild, { op: O }>); } };
      const onExit = (code: number | null): void => { child.off('message', onMessage); reject(new Error(`${kind} bench server exited (${code}) before answering ${m.op}`)); };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    child.send(m);
    return reply;
  };
  const { port } = await ask({ op: 'listen', kind, pki, bulkBytes, ...(transport ? { transport } : {}) }, 'listening');
  return {
    kind, port, pid: child.pid!,
    async cpuMs() { const c = await ask({ op: 'cpu' }, 'cpu'); return (c.user + c.system) / 1000; },
    mem: (settle = false) => ask({ op: 'mem', settle }, 'mem'),
    async sealFloorCpu(suite, mib) { return (await ask({ op: 'sealFloor', suite, mib }, 'sealFloor')).ms; },
    async allocStart(interval) { await ask({ op: 'allocStart', interval }, 'allocStarted'); },
    async allocStop(top) { const r = await ask({ op: 'allocStop', top }, 'allocStopped'); return { bytes: r.bytes, top: r.top }; },
    async gcStart() { await ask({ op: 'gcStart' }, 'gcStarted'); },
    async gcStop() { return (await ask({ op: 'gcStop' }, 'gcStopped')).gc; },
    async exit() {
      const r = await ask({ op: 'exit' }, 'exit');
      if (child.exitCode === null) await once(child, 'exit');
      return r.profile;
    },
    async kill() {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

/** Runs `one` `total` times, at most `width` at once (each of `width` workers takes the next until all started). */
export async function inFlight(total: number, width: number, one: () => Promise<void>): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => { while (started < total) { started++; await one(); } };
  await Promise.all(Array.from({ length: width }, worker));
}

/** `total` handshakes with the bench server, at most `width` at once, each client ending its connection (close_notify,
 *  FIN) as soon as its handshake is done: the load of the handshake benches. */
export async function handshakeLoad(port: number, ctx: tls.SecureContext, total: number, width: number): Promise<void> {
  await inFlight(total, width, async () => { (await connectClient(port, ctx)).socket.end(); });
}

/** A node:tls client connection to the bench server; resolves once the client's handshake is done. */
export async function connectClient(port: number, ctx: tls.SecureContext, options: { ciphersuites?: string; session?: Buffer; waitForTicket?: boolean } = {}): Promise<{ socket: tls.TLSSocket; ticket?: Buffer }> {
  const socket = tls.connect({
    host: '127.0.0.1', port, servername: 'localhost', secureContext: ctx,
    ...(options.session ? { session: options.session } : {}), ...(options.ciphersuites ? { ciphersuites: options.ciphersuites } as object : {}),
  });
  socket.setNoDelay(true);
  let ticket: Buffer | undefined;
  const gotTicket = options.waitForTicket ? new Promise<void>((resolve) => socket.once('session', (s: Buffer) => { ticket = s; resolve(); })) : undefined;
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => { /* reported by the bench that uses it */ });
  if (gotTicket) await gotTicket;
  return { socket, ...(ticket ? { ticket } : {}) };
}
