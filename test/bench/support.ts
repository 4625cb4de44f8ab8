// Shared pieces of the side-by-side benchmarks (protosmith vs node:tls in the same process and run):
// the PKI both sides use, ready-made configs for each, an in-memory stream pair for node:tls, timing
// helpers, and the Figure record every bench returns (printed as a table, written by --json).
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { createNodeProvider, nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import type { CryptoProvider } from '../../runtime/crypto/provider.ts';
import type { TlsClientConfig, TlsServerConfig } from '../../runtime/tls/index.ts';
import { testPki } from '../support/pki.ts';

/** One measured row: our figure, the baseline's (node:tls, or Kaitai JS for codecs), and how they compare. */
export interface Figure {
  readonly bench: string;
  readonly row: string;
  readonly unit: string;
  readonly protosmith: number;
  readonly baseline: number;
  /** What the baseline is: 'node:tls' or 'Kaitai JS'. */
  readonly against: string;
  /** 'higher' when more is better (throughput), 'lower' when less is better (time, CPU, bytes). */
  readonly better: 'higher' | 'lower';
  /** protosmith relative to the baseline; >= 1 means protosmith is at least as good. With `rounds`, the median of
   *  the per-round ratios (each round's two figures were measured one right after the other), else the ratio of the
   *  two figures. */
  readonly ratio: number;
  /** With `rounds`: the per-round ratios' range without the best and the worst round (all of them below 5 rounds),
   *  how far one round's verdict can be from another's on this machine. */
  readonly ratioRange?: readonly [number, number];
  /** Each round's figures, in the order measured; `protosmith` and `baseline` above are their medians. */
  readonly rounds?: { readonly protosmith: readonly number[]; readonly baseline: readonly number[] };
  readonly target?: number;
  readonly note?: string;
  /** What the primitives alone achieve for the same work (same unit), measured in the same run: e.g. bare
   *  node:crypto AEAD calls for a bulk row. Printed beside the row with `floorWhat`. */
  readonly floor?: number;
  readonly floorWhat?: string;
  /** protosmith relative to the floor, read like `ratio` (the engine's own overhead: 1 = none), with `floor`. */
  readonly vsFloor?: number;
  /** The floor relative to the baseline, read like `ratio` (what the primitives' API allows at best), with `floor`. */
  readonly floorVsBaseline?: number;
}

type FigureInput = Omit<Figure, 'ratio' | 'ratioRange' | 'vsFloor' | 'floorVsBaseline' | 'protosmith' | 'baseline'>
  & ({ protosmith: number; baseline: number } | { protosmith?: undefined; baseline?: undefined; rounds: NonNullable<Figure['rounds']> });

/** A row. Given `rounds` (each contender's figure per interleaved round, paired by index), the figures are their
 *  medians and the ratio is the median of the per-round ratios: the machine's slow swings (other tenants of the
 *  VM, CPU frequency) move both figures of a round together and cancel out of its ratio. */
export function figure(f: FigureInput): Figure {
  const rel = (a: number, b: number): number => (f.better === 'higher' ? a / b : b / a);
  let base: Omit<Figure, 'vsFloor' | 'floorVsBaseline'>;
  if (f.protosmith === undefined) {
    const { protosmith: ours, baseline: theirs } = f.rounds;
    if (ours.length === 0 || ours.length !== theirs.length) throw new Error(`figure ${f.row}: ${ours.length} protosmith rounds and ${theirs.length} baseline rounds; paired rounds are needed`);
    const ratios = ours.map((o, i) => rel(o, theirs[i]!)).sort((a, b) => a - b);
    const inner = ratios.length >= 5 ? ratios.slice(1, -1) : ratios;
    base = { ...f, protosmith: median(ours), baseline: median(theirs), ratio: median(ratios), ratioRange: [inner[0]!, inner[inner.length - 1]!] };
  } else {
    base = { ...f, protosmith: f.protosmith, baseline: f.baseline, ratio: rel(f.protosmith, f.baseline) };
  }
  if (f.floor === undefined) return base;
  return { ...base, vsFloor: rel(base.protosmith, f.floor), floorVsBaseline: rel(f.floor, base.baseline) };
}

export const SUITES = [
  { name: 'AES-128-GCM', id: 0x1301, node: 'TLS_AES_128_GCM_SHA256' },
  { name: 'AES-256-GCM', id: 0x1302, node: 'TLS_AES_256_GCM_SHA384' },
  { name: 'ChaCha20-Poly1305', id: 0x1303, node: 'TLS_CHACHA20_POLY1305_SHA256' },
] as const;

/** The PEMs both sides use: ECDSA P-256 leaf and intermediate under a P-384 root (test/support/pki.ts). */
export interface BenchPki { rootPem: string; chainPem: string; keyPem: string }

export function benchPki(): BenchPki {
  const pki = testPki();
  return { rootPem: pki.root.certPem, chainPem: pki.servers.p256.chainPem, keyPem: pki.servers.p256.keyPem };
}

export const TICKET_KEY = new Uint8Array(32).fill(1);
/** node:tls ticket keys: 48 bytes (name, HMAC and AES keys). */
export const NODE_TICKET_KEYS = Buffer.alloc(48, 1);

/** Configs made once and shared by every connection, as a server or a long-lived client would. */
export function protosmithConfigs(p: BenchPki, crypto: CryptoProvider = createNodeProvider()): { client: TlsClientConfig; server: TlsServerConfig } {
  return {
    client: { crypto, now: Date.now, serverName: 'localhost', trustAnchors: [p.rootPem] },
    server: { crypto, now: Date.now, certificateChain: [p.chainPem], signingKey: nodeSigningKey(p.keyPem), ticketKey: TICKET_KEY },
  };
}

/** node:tls secure contexts made once (node's equivalent of reusing a config), TLS 1.3 only. */
export function nodeContexts(p: BenchPki): { client: tls.SecureContext; server: tls.SecureContext } {
  const server = tls.createSecureContext({ cert: p.chainPem, key: p.keyPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: 'X25519' });
  server.context.setTicketKeys(NODE_TICKET_KEYS);
  const client = tls.createSecureContext({ ca: p.rootPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: 'X25519' });
  return { client, server };
}

/** Two connected in-memory Duplex streams (what one writes, the other reads), for node:tls without sockets. */
export function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const make = (other: () => Duplex): Duplex => new Duplex({
    read() { /* data is pushed by the peer's write */ },
    write(chunk: Buffer, _enc, cb) { other().push(chunk); cb(); },
    final(cb) { other().push(null); cb(); },
  });
  sides.push(make(() => sides[1]!), make(() => sides[0]!));
  return [sides[0]!, sides[1]!];
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Parses `--name value` options with numeric defaults. */
export function numberOption(args: readonly string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  if (i < 0 || args[i + 1] === undefined) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number, got ${args[i + 1]}`);
  return v;
}

/**
 * Interleaved rounds so machine load hits every contender alike, in one order and then the reverse (A B C, C B A,
 * A B C, ...): a machine that speeds up or slows down during a round favours no contender's position in it. `fns`
 * return the figure of one round (e.g. ms per op); returns each contender's rounds, in the order they ran.
 */
export async function interleave(rounds: number, fns: readonly (() => Promise<number>)[]): Promise<number[][]> {
  const out: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < fns.length; k++) {
      const i = r % 2 === 0 ? k : fns.length - 1 - k;
      out[i]!.push(await fns[i]!());
    }
  }
  return out;
}

export function printFigures(title: string, figs: readonly Figure[]): void {
  const rows = [['row', 'protosmith', 'baseline', 'unit', 'ratio', 'target'], ...figs.map((f) => [
    f.row, fmt(f.protosmith), `${fmt(f.baseline)} ${f.against}`, f.unit, `${f.ratio.toFixed(2)}x${f.ratioRange ? ` (${f.ratioRange[0].toFixed(2)}–${f.ratioRange[1].toFixed(2)})` : ''}`, f.target === undefined ? '' : `>= ${f.target}x${f.ratio >= f.target ? '' : '  (not met)'}`,
  ])];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`\n${title}`);
  const paired = figs.find((f) => f.rounds !== undefined);
  if (paired) console.log(`  ratio: the median of the ${paired.rounds!.protosmith.length} rounds' own ratios (each round measures both one after the other); in brackets the range of those ratios without the best and the worst round`);
  for (const r of rows) console.log('  ' + r.map((cell, c) => (c === 0 || c === 3 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join('  '));
  const floors = figs.filter((f) => f.floor !== undefined);
  if (floors.length) {
    console.log(`  floors (${floors[0]!.floorWhat ?? 'the primitives alone'}), ratios read as above (>= 1: at least as good):`);
    console.log(`  "protosmith vs floor" is the engine's own overhead (1 = none), "floor vs baseline" what the primitives allow at best`);
    const fw = Math.max(...floors.map((f) => f.row.length));
    for (const f of floors) {
      console.log(`  ${f.row.padEnd(fw)}  floor ${fmt(f.floor!).padStart(6)} ${f.unit.padEnd(5)}  protosmith vs floor ${f.vsFloor!.toFixed(2)}x  floor vs ${f.against} ${f.floorVsBaseline!.toFixed(2)}x`);
    }
  }
  for (const f of figs) if (f.note) console.log(`  note (${f.row}): ${f.note}`);
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
