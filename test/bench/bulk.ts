// `npm run bench -- bulk [--rounds N] [--mib N] [--warm N]`: application-data throughput per TLS 1.3 cipher suite,
// protosmith beside node:tls in the same run:
//   in memory: client writes `--mib` (64) MiB in 1 MiB writes, the server reads them (both sides in this process;
//              protosmith engines passing bytes directly, node:tls sockets over an in-memory stream pair);
//   native:    the same protosmith rows with the native provider (runtime/crypto/native: record AEADs by the
//              addon native/aead.c), beside the node provider's;
//   over TCP:  the server (child process: protosmith runtime/node server or node:tls) sends `--mib` MiB to the
//              same node:tls client in this process over loopback.
//              Beside it, the server child's CPU time per MiB sent (process.cpuUsage, V8's threads included).
//   floor:     bare node:crypto for the same bytes, no engine: per 16 KiB record (16,384 content bytes and the
//              content type) createCipheriv + setAAD + update + final + getAuthTag, then the same to open
//              (createDecipheriv + setAuthTag + setAAD + update + final), MiB/s, beside each in-memory row (and,
//              in its note, the same with the records of each 1 MiB copied into one fresh buffer and opened from
//              there, which is what takeOutput() returning one buffer per write adds); the
//              sealing half alone, CPU ms per MiB in the (idle) protosmith server child, beside each server CPU row. protosmith vs
//              floor is the engine's own overhead, floor vs node:tls what node:crypto's API (a new context per
//              nonce, a new output buffer per update) allows at best.
// MiB/s of the whole transfer (seal + open); rounds interleaved (`--rounds`, 7), medians reported, each ratio the median of the rounds' own
// ratios (support.ts figure()). Before the TCP
// rounds each server makes `--warm` (1) unmeasured transfers of `--mib` MiB per suite to the same client, so that the figures are a
// running server's steady state (protosmith's server is JavaScript that V8 compiles over its first transfers;
// node:tls's record path is native code).
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import * as tls from 'node:tls';
import { protosmithHandshake, nodeHandshake } from './handshake.ts';
import { benchPki, figure, interleave, median, nodeContexts, numberOption, protosmithConfigs, SUITES, type Figure } from './support.ts';
import { connectClient, startServer, type ServerChild } from './tcp-harness.ts';
import { NODE_AEAD, RECORD } from './aead-floor.ts';
import { createNativeProvider } from '../../runtime/crypto/native/index.ts';

const CHUNK = new Uint8Array(1 << 20).fill(0x5a);

async function inMemoryProtosmith(cfg: ReturnType<typeof protosmithConfigs>, suite: number, mib: number): Promise<number> {
  const { c, s } = await protosmithHandshake(cfg, undefined, suite);
  let got = 0;
  const t = performance.now();
  for (let i = 0; i < mib; i++) {
    await c.write(CHUNK);
    for (const e of await s.receive(c.takeOutput())) if (e.type === 'data') got += e.data.length;
  }
  const secs = (performance.now() - t) / 1000;
  if (got !== mib << 20) throw new Error(`protosmith bulk: received ${got} of ${mib << 20} bytes`);
  return mib / secs;
}


/**
 * The floor: node:crypto's AEAD alone sealing and opening `mib` MiB as 16 KiB records (MiB/s). With `joined`, the
 * sealed records of each 1 MiB are laid out in one fresh buffer (header, ciphertext, tag) and opened from there:
 * what takeOutput()'s contract (one buffer of the caller's own per write) adds to the bare calls.
 */
function floorNodeCrypto(suite: keyof typeof NODE_AEAD, mib: number, joined = false): number {
  const alg = NODE_AEAD[suite];
  const key = randomBytes(alg === 'aes-128-gcm' ? 16 : 32);
  const nonce = new Uint8Array(randomBytes(12));
  const nonceView = new DataView(nonce.buffer);
  const nonceTail = nonceView.getUint32(8);
  const options = { authTagLength: 16 } as never;
  const header = Uint8Array.of(23, 3, 3, (RECORD + 17) >> 8, (RECORD + 17) & 0xff);
  const recordLength = 5 + RECORD + 17;
  const inner = new Uint8Array(RECORD + 1);
  let seq = 0;
  const open = (ct: Uint8Array, tag: Uint8Array, aad: Uint8Array): void => {
    const d = createDecipheriv(alg, key, nonce, options) as unknown as DecipherGCM;
    d.setAuthTag(tag);
    d.setAAD(aad);
    const pt = d.update(ct);
    d.final();
    if (pt.length !== RECORD + 1) throw new Error(`floor: opened ${pt.length} bytes, expected ${RECORD + 1}`);
  };
  const t = performance.now();
  for (let i = 0; i < mib; i++) {
    const records = CHUNK.length / RECORD;
    const out = joined ? new Uint8Array(records * recordLength) : undefined;
    const first = seq;
    for (let r = 0; r < records; r++) {
      inner.set(CHUNK.subarray(r * RECORD, (r + 1) * RECORD), 0);
      inner[RECORD] = 23;
      nonceView.setUint32(8, (nonceTail ^ seq++) >>> 0); // a distinct nonce per record, as the engine's
      const c = createCipheriv(alg, key, nonce, options) as unknown as CipherGCM;
      c.setAAD(header);
      const ct = c.update(inner);
      c.final();
      const tag = c.getAuthTag();
      if (!out) { open(ct, tag, header); continue; }
      const at = r * recordLength;
      out.set(header, at);
      out.set(ct, at + 5);
      out.set(tag, at + 5 + ct.length);
    }
    if (out) {
      seq = first;
      for (let r = 0; r < records; r++) {
        nonceView.setUint32(8, (nonceTail ^ seq++) >>> 0);
        const at = r * recordLength;
        open(out.subarray(at + 5, at + recordLength - 16), out.subarray(at + recordLength - 16, at + recordLength), out.subarray(at, at + 5));
      }
    }
  }
  return mib / ((performance.now() - t) / 1000);
}

async function inMemoryNode(ctx: ReturnType<typeof nodeContexts>, suite: string, mib: number): Promise<number> {
  const { client, server } = await nodeHandshake(ctx, undefined, suite);
  const total = mib << 20;
  let got = 0;
  const t = performance.now();
  const done = new Promise<void>((resolve) => server.on('data', (d: Buffer) => { got += d.length; if (got >= total) resolve(); }));
  for (let i = 0; i < mib; i++) if (!client.write(CHUNK)) await new Promise((r) => client.once('drain', r));
  await done;
  const secs = (performance.now() - t) / 1000;
  client.destroy(); server.destroy();
  return mib / secs;
}

/** One download over TCP: MiB/s at the client, and the server child's CPU ms per MiB sent. */
export async function overTcp(server: ServerChild, ctx: tls.SecureContext, suite: string, mib: number): Promise<{ mibs: number; cpuPerMib: number }> {
  const { socket } = await connectClient(server.port, ctx, { ciphersuites: suite });
  const cpu0 = await server.cpuMs();
  const total = mib << 20;
  let got = 0;
  const t = performance.now();
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => { got += d.length; if (got >= total) resolve(); });
    socket.once('close', () => reject(new Error(`${server.kind} server closed after ${got} of ${total} bytes`)));
  });
  socket.write('d');
  await done;
  const secs = (performance.now() - t) / 1000;
  socket.destroy();
  return { mibs: mib / secs, cpuPerMib: ((await server.cpuMs()) - cpu0) / mib };
}

export async function run(args: string[]): Promise<Figure[]> {
  const rounds = numberOption(args, '--rounds', 7);
  const mib = numberOption(args, '--mib', 64);
  const warm = numberOption(args, '--warm', 1);
  const pki = benchPki();
  const ours = protosmithConfigs(pki);
  const oursNative = protosmithConfigs(pki, createNativeProvider());
  const theirs = nodeContexts(pki);
  const figs: Figure[] = [];
  for (const suite of SUITES) {
    // Warm-up, the same for every contender: two transfers of `--mib` each. protosmith's record path is JavaScript that
    // V8 optimizes over its first tens of MiB (after an 8 MiB warm-up the first 64 MiB ran at ~60% of the rate of the
    // following ones, measured on this machine); node:tls's is native code.
    for (let i = 0; i < 2; i++) {
      await inMemoryProtosmith(ours, suite.id, mib); await inMemoryProtosmith(oursNative, suite.id, mib); await inMemoryNode(theirs, suite.node, mib);
      floorNodeCrypto(suite.id, mib); floorNodeCrypto(suite.id, mib, true);
    }
    // node:tls between the two protosmith contenders, so that each of them runs right next to it in every round.
    const [v, n, o, f, j] = await interleave(rounds, [
      () => inMemoryProtosmith(oursNative, suite.id, mib), () => inMemoryNode(theirs, suite.node, mib),
      () => inMemoryProtosmith(ours, suite.id, mib),
      async () => floorNodeCrypto(suite.id, mib), async () => floorNodeCrypto(suite.id, mib, true),
    ]);
    figs.push(figure({
      bench: 'bulk', row: `bulk ${mib} MiB in memory, ${suite.name}, native provider`, unit: 'MiB/s', rounds: { protosmith: v!, baseline: n! }, against: 'node:tls', better: 'higher', target: 0.8,
      note: 'the native provider (runtime/crypto/native): record AEADs by the addon on node\'s OpenSSL, one context per key, records sealed into the engine\'s buffer',
    }));
    figs.push(figure({
      bench: 'bulk', row: `bulk ${mib} MiB in memory, ${suite.name}`, unit: 'MiB/s', rounds: { protosmith: o!, baseline: n! }, against: 'node:tls', better: 'higher', target: 0.8,
      floor: median(f!), floorWhat: 'node:crypto AEAD alone, no engine; in memory: seal + open, MiB/s; server CPU: seal only, no I/O, CPU ms per MiB',
      note: `node:crypto alone with takeOutput()'s one fresh buffer per 1 MiB write (records copied in, opened from it): ${median(j!).toFixed(0)} MiB/s; protosmith ${(median(o!) / median(j!)).toFixed(2)}x of that`,
    }));
  }
  const oursTcp = await startServer('protosmith', pki, mib << 20);
  const nativeTcp = await startServer('native', pki, mib << 20);
  const theirsTcp = await startServer('node', pki, mib << 20);
  try {
    // Warm-up, the same for every server and suite, with the client that is measured afterwards.
    for (let i = 0; i < warm; i++) for (const suite of SUITES) for (const s of [oursTcp, nativeTcp, theirsTcp]) await overTcp(s, theirs.client, suite.node, mib);
    for (const suite of SUITES) await oursTcp.sealFloorCpu(suite.id, 8);
    for (const suite of SUITES) {
      const cpu = { ours: [] as number[], native: [] as number[], theirs: [] as number[] };
      // cpu.* are pushed in the order the transfers ran; interleave() returns each contender's figures likewise.
      const [v, n, o, f] = await interleave(rounds, [
        async () => { const r = await overTcp(nativeTcp, theirs.client, suite.node, mib); cpu.native.push(r.cpuPerMib); return r.mibs; },
        async () => { const r = await overTcp(theirsTcp, theirs.client, suite.node, mib); cpu.theirs.push(r.cpuPerMib); return r.mibs; },
        async () => { const r = await overTcp(oursTcp, theirs.client, suite.node, mib); cpu.ours.push(r.cpuPerMib); return r.mibs; },
        async () => oursTcp.sealFloorCpu(suite.id, mib),
      ]);
      figs.push(figure({ bench: 'bulk', row: `bulk ${mib} MiB over TCP (server sends), ${suite.name}, native provider`, unit: 'MiB/s', rounds: { protosmith: v!, baseline: n! }, against: 'node:tls', better: 'higher', target: 0.8 }));
      figs.push(figure({ bench: 'bulk', row: `server CPU per MiB sent over TCP, ${suite.name}, native provider`, unit: 'ms', rounds: { protosmith: cpu.native, baseline: cpu.theirs }, against: 'node:tls', better: 'lower' }));
      figs.push(figure({ bench: 'bulk', row: `bulk ${mib} MiB over TCP (server sends), ${suite.name}`, unit: 'MiB/s', rounds: { protosmith: o!, baseline: n! }, against: 'node:tls', better: 'higher', target: 0.8 }));
      figs.push(figure({
        bench: 'bulk', row: `server CPU per MiB sent over TCP, ${suite.name}`, unit: 'ms', rounds: { protosmith: cpu.ours, baseline: cpu.theirs }, against: 'node:tls', better: 'lower',
        floor: median(f!), floorWhat: 'node:crypto AEAD alone, no engine; in memory: seal + open, MiB/s; server CPU: seal only, no I/O, CPU ms per MiB',
      }));
    }
  } finally {
    for (const s of [oursTcp, nativeTcp, theirsTcp]) {
      const p = await s.exit();
      if (p) {
        console.log(`\nCPU profile of the ${s.kind} server child (${p.totalMs.toFixed(0)} ms sampled): top self time`);
        for (const row of p.top) console.log(`  ${row.ms.toFixed(0).padStart(7)} ms ${row.percent.toFixed(1).padStart(5)}%  ${row.fn}`);
      }
    }
  }
  return figs;
}
