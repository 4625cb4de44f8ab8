// Floors for the protosmith server's TCP handshake (used by tcp.ts): what part of the server's CPU per
// handshake is node:crypto, what part is node's socket layer, and so what is left for the engine and adapter.
//
// recordServerHandshake() runs a protosmith server (runtime/node createServer, node provider) in this process,
// connects one node:tls client as the TCP bench does (connect, handshake, end), and records
//  - every call the server makes into its CryptoProvider and signing key, with its arguments (copied at the
//    call: the record layer rewrites its nonce buffer), and the calls on what those return (transcript
//    hashes, AEAD keys, key shares): `replayCrypto` makes exactly these calls again, with the same
//    algorithms and inputs, through the node provider and no engine;
//  - the bytes the server's TCP socket received and wrote, in order: the plain net server of the floor
//    (server-child.ts, kind 'net') and `netHandshake` (its client) exchange the same byte counts in the same
//    order (client flight, server flight, client flight and FIN, server flight and FIN, close), with no TLS.
// Recorded on a warmed-up server (the second handshake), so per-provider and per-config caches are warm, as
// in the bench's measured rounds.
import { connect as netConnect, type AddressInfo } from 'node:net';
import type * as tls from 'node:tls';
import { createServer } from '../../runtime/node/index.ts';
import { createNodeProvider, nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { createNativeProvider } from '../../runtime/crypto/native/index.ts';
import type { AeadKey, CryptoProvider, HashAlgorithm, KeyShare, SigningKey, TranscriptHash } from '../../runtime/crypto/provider.ts';
import { connectClient } from './tcp-harness.ts';
import { TICKET_KEY, type BenchPki } from './support.ts';

/** One recorded call: `on` is the id of the object it was made on ('p' the provider, 'k' the signing key),
 *  `result` the id given to the object it returned (transcript hash, AEAD key, key share). */
export interface CryptoCall { readonly on: string; readonly method: string; readonly args: readonly unknown[]; readonly result?: string; readonly before?: true }

/** What the server's TCP socket did in one connection: bytes in ('in') and out ('out'), in order, merged
 *  while consecutive. */
export type TransportStep = { readonly dir: 'in' | 'out'; readonly bytes: number };

export interface ServerHandshakeRecord {
  readonly calls: readonly CryptoCall[];
  /** The calls, made before the recorded handshake, that made the objects it uses but did not make: the
   *  per-config ones (the ticket key's AEAD key, imported once). Replayed once, outside the measurement. */
  readonly setup: readonly CryptoCall[];
  readonly transport: readonly TransportStep[];
}

const copy = (a: unknown): unknown => (a instanceof Uint8Array ? a.slice() : Array.isArray(a) ? a.map(copy) : a);

function recorder(): { provider: (p: CryptoProvider) => CryptoProvider; signingKey: (k: SigningKey) => SigningKey; calls: CryptoCall[]; on: boolean } {
  const state = { calls: [] as CryptoCall[], on: false, provider, signingKey };
  let next = 0;
  const log = (on: string, method: string, args: unknown[], result?: string): void => {
    // Before recording, only the calls that make objects are kept (the recorded handshake may use them).
    if (state.on || result) state.calls.push({ on, method, args: args.map(copy), ...(result ? { result } : {}), ...(state.on ? {} : { before: true }) });
  };
  function wrapHash(h: TranscriptHash, id: string): TranscriptHash {
    return {
      algorithm: h.algorithm, outputLength: h.outputLength,
      update(d) { log(id, 'update', [d]); h.update(d); },
      snapshot() { log(id, 'snapshot', []); return h.snapshot(); },
      clone() { const r = `h${next++}`; log(id, 'clone', [], r); return wrapHash(h.clone(), r); },
    };
  }
  function wrapAead(k: AeadKey, id: string): AeadKey {
    const w: AeadKey = {
      algorithm: k.algorithm,
      seal(n, a, p) { log(id, 'seal', [n, a, p]); return k.seal(n, a, p); },
      open(n, a, c) { log(id, 'open', [n, a, c]); return k.open(n, a, c); },
    };
    const out = w as { -readonly [K in keyof AeadKey]: AeadKey[K] };
    if (k.sealInto) out.sealInto = (n, a, parts, o, off) => { log(id, 'sealInto', [n, a, parts, o.length, off]); return k.sealInto!(n, a, parts, o, off); };
    if (k.sealSync) out.sealSync = (n, a, p) => { log(id, 'sealSync', [n, a, p]); return k.sealSync!(n, a, p); };
    if (k.openSync) out.openSync = (n, a, c) => { log(id, 'openSync', [n, a, c]); return k.openSync!(n, a, c); };
    return w;
  }
  function wrapShare(s: KeyShare, id: string): KeyShare {
    return { group: s.group, publicKey: s.publicKey, agree(peer) { log(id, 'agree', [peer]); return s.agree(peer); } };
  }
  function provider(p: CryptoProvider): CryptoProvider {
    return {
      name: p.name,
      capabilities: () => p.capabilities(),
      randomBytes(n) { log('p', 'randomBytes', [n]); return p.randomBytes(n); },
      createHash(alg) { const r = `h${next++}`; log('p', 'createHash', [alg], r); return wrapHash(p.createHash(alg), r); },
      hash(alg, d) { log('p', 'hash', [alg, d]); return p.hash(alg, d); },
      hmac(alg, k, d) { log('p', 'hmac', [alg, k, d]); return p.hmac(alg, k, d); },
      hkdfExtract(alg, s, i) { log('p', 'hkdfExtract', [alg, s, i]); return p.hkdfExtract(alg, s, i); },
      // The synchronous forms where the provider has them, so that the engine calls (and the replay makes)
      // what it makes without the recorder.
      ...(p.hmacSync ? { hmacSync(alg: HashAlgorithm, k: Uint8Array, d: Uint8Array) { log('p', 'hmacSync', [alg, k, d]); return p.hmacSync!(alg, k, d); } } : {}),
      ...(p.hkdfExtractSync ? { hkdfExtractSync(alg: HashAlgorithm, s: Uint8Array, i: Uint8Array) { log('p', 'hkdfExtractSync', [alg, s, i]); return p.hkdfExtractSync!(alg, s, i); } } : {}),
      hkdfExpand(alg, k, i, l) { log('p', 'hkdfExpand', [alg, k, i, l]); return p.hkdfExpand(alg, k, i, l); },
      async importAeadKey(alg, k) { const r = `a${next++}`; log('p', 'importAeadKey', [alg, k], r); return wrapAead(await p.importAeadKey(alg, k), r); },
      async generateKeyShare(g) { const r = `s${next++}`; log('p', 'generateKeyShare', [g], r); return wrapShare(await p.generateKeyShare(g), r); },
      importPublicKey(spki) { log('p', 'importPublicKey', [spki]); return p.importPublicKey(spki); },
      verify(k, s, m, sig) { log('p', 'verify', [k, s, m, sig]); return p.verify(k, s, m, sig); },
    };
  }
  function signingKey(k: SigningKey): SigningKey {
    return { schemes: k.schemes, ...(k.spki ? { spki: k.spki } : {}), sign(s, m) { log('k', 'sign', [s, m]); return k.sign(s, m); } };
  }
  return state;
}

/** One protosmith server handshake over loopback TCP with a node:tls client, recorded (see the file comment). */
export async function recordServerHandshake(pki: BenchPki, clientCtx: tls.SecureContext): Promise<ServerHandshakeRecord> {
  const rec = recorder();
  const transport: TransportStep[] = [];
  const note = (dir: 'in' | 'out', bytes: number): void => {
    if (!rec.on || bytes === 0) return;
    const last = transport[transport.length - 1];
    if (last?.dir === dir) transport[transport.length - 1] = { dir, bytes: last.bytes + bytes };
    else transport.push({ dir, bytes });
  };
  const server = createServer({ crypto: rec.provider(createNodeProvider()), certificateChain: [pki.chainPem], signingKey: rec.signingKey(nodeSigningKey(pki.keyPem)), ticketKey: TICKET_KEY }, (s) => { s.on('error', () => { /* the client's close is not a failure here */ }); s.resume(); });
  server.on('connection', (tcp) => {
    tcp.on('data', (b: Buffer) => note('in', b.length));
    const write = tcp.write.bind(tcp) as (chunk: Uint8Array, ...rest: unknown[]) => boolean;
    tcp.write = ((chunk: Uint8Array, ...rest: unknown[]) => { note('out', chunk.length); return write(chunk, ...rest); }) as typeof tcp.write;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    for (const record of [false, true]) {
      rec.on = record;
      const closed = new Promise<void>((resolve) => server.once('connection', (tcp) => tcp.once('close', () => resolve())));
      const { socket } = await connectClient(port, clientCtx);
      socket.end();
      await closed;
    }
  } finally {
    rec.on = false;
    server.close();
  }
  const calls = rec.calls.filter((c) => !c.before);
  const made = new Set(['p', 'k', ...calls.flatMap((c) => (c.result ? [c.result] : []))]);
  const setup = rec.calls.filter((c) => c.before && c.result !== undefined && calls.some((x) => x.on === c.result) && !made.has(c.result));
  return { calls, setup, transport };
}

/** Makes the recorded calls again, in order, through `p` and `key` (no engine). */
export async function replayCrypto(calls: readonly CryptoCall[], p: CryptoProvider, key: SigningKey, made: ReadonlyMap<string, unknown> = new Map()): Promise<Map<string, unknown>> {
  const objects = new Map<string, unknown>([...made, ['p', p], ['k', key]]);
  for (const c of calls) {
    const target = objects.get(c.on) as Record<string, (...a: unknown[]) => unknown>;
    // The recorded arguments are used as they are, except sealInto's output buffer (recorded as its length).
    const args = c.method === 'sealInto' ? [c.args[0], c.args[1], c.args[2], new Uint8Array(c.args[3] as number), c.args[4]] : c.args;
    let r = target[c.method]!.apply(target, args as unknown[]);
    if (r instanceof Promise) r = await r;
    if (c.result) objects.set(c.result, r);
  }
  return objects;
}

/** CPU time (ms, this process: user + system) per replay of `calls`, over `n` replays, through the node provider or
 *  (`provider` 'native') the native one, whose HMAC and AEAD are the addon's calls into OpenSSL from C and the rest
 *  the node provider's: the difference between the two is what node:crypto's JS API costs on top of OpenSSL for
 *  the HMACs and record AEADs of one handshake. */
export async function cryptoFloorMs(rec: ServerHandshakeRecord, pki: BenchPki, n: number, provider: 'node' | 'native' = 'node'): Promise<number> {
  const p = provider === 'native' ? createNativeProvider() : createNodeProvider();
  const key = nodeSigningKey(pki.keyPem);
  const made = await replayCrypto(rec.setup, p, key);
  const calls = rec.calls;
  for (let i = 0; i < Math.min(n, 200); i++) await replayCrypto(calls, p, key, made); // warm-up
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) await replayCrypto(calls, p, key, made);
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000 / n;
}

/** The client side of the socket-layer floor: a plain TCP client (TCP_NODELAY) that sends and awaits the
 *  recorded byte counts against server-child's 'net' server, ending its side where the TLS client did. */
export async function netHandshake(port: number, transport: readonly TransportStep[]): Promise<void> {
  const socket = netConnect({ host: '127.0.0.1', port, noDelay: true });
  socket.on('error', () => { /* reported by the close below */ });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let got = 0;
  let want = 0;
  let wake: (() => void) | undefined;
  socket.on('data', (b: Buffer) => { got += b.length; if (got >= want) wake?.(); });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const lastIn = transport.map((s) => s.dir).lastIndexOf('in');
  for (let i = 0; i < transport.length; i++) {
    const step = transport[i]!;
    if (step.dir === 'in') {
      // What the server read, the client sends; with its last flight the client also ends its side (FIN).
      const bytes = Buffer.alloc(step.bytes, 0x17);
      if (i === lastIn) socket.end(bytes); else socket.write(bytes);
    } else {
      want += step.bytes;
      if (got < want) await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
  }
  await closed;
}
