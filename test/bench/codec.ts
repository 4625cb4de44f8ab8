// Codec benchmark: decode and encode throughput of protosmith's generated TLS 1.3 codecs against the
// JavaScript that kaitai-struct-compiler 0.11 emits for the SAME .ksy files, on the RFC 8448 ClientHello and
// server Certificate messages (whole handshake messages, header included). Every figure is measured in the
// same process and run: calibration doubles as warm-up, then interleaved timed rounds (ours, Kaitai, encode,
// repeated) so machine load hits all alike; each contender's best round, and the median per-round ratio, are reported.
//   npm run bench -- codec [--rounds N] [--ms PER_ROUND]
import { decodeHandshake, encodeHandshake } from '../../generated/tls13/messages/handshake.ts';
import { loadKaitai } from '../differential/kaitai.ts';
import { samples } from '../tls13-messages/vectors.ts';
import { figure, type Figure } from './support.ts';

interface Throughput { usPerOp: number; mbPerS: number }

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** How many calls of fn fill about `ms` milliseconds (also serves as warm-up). */
function calibrate(fn: () => unknown, ms: number): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const dt = performance.now() - t0;
    if (dt > ms / 4) return Math.max(1, Math.round((n * ms) / dt));
    n *= 2;
  }
}

function timeRound(fn: () => unknown, n: number): number {
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) { if (fn() !== undefined) sink++; }
  const us = ((performance.now() - t0) * 1000) / n;
  if (sink < 0) console.log(sink);
  return us;
}

/**
 * Runs the contenders in interleaved rounds (A B C, A B C, ...) so that load on the machine hits all of
 * them alike; returns each one's best round (µs per call) and every round's figures.
 */
function race(fns: readonly (() => unknown)[], rounds: number, ms: number): { us: number[]; perRound: number[][] } {
  // us: best round of each (the least disturbed by other processes); perRound: every round, for ratios.
  const ns = fns.map((fn) => calibrate(fn, ms));
  fns.forEach((fn, i) => timeRound(fn, ns[i]!)); // warm-up round, not counted
  const perRound: number[][] = [];
  for (let r = 0; r < rounds; r++) perRound.push(fns.map((fn, i) => timeRound(fn, ns[i]!)));
  return { us: fns.map((_, i) => Math.min(...perRound.map((row) => row[i]!))), perRound };
}

export async function run(args: string[]): Promise<Figure[]> {
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
  };
  const rounds = opt('--rounds', 25);
  const ms = opt('--ms', 60);
  const kaitai = await loadKaitai('tls13');
  const Handshake = kaitai.classes['handshake']!;
  const { handshakeMessages } = samples();
  const inputs = [
    { name: 'ClientHello (RFC 8448 §3)', bytes: handshakeMessages.find((m) => m.section === 'Simple_1RTT_Handshake' && m.key === 'Record_ClientHello_1')!.bytes },
    { name: 'Certificate (RFC 8448 §3)', bytes: handshakeMessages.find((m) => m.section === 'Simple_1RTT_Handshake' && m.key === 'Message_Server_Certificate')!.bytes },
  ];
  console.log(`codec benchmark: ${rounds} interleaved rounds of ~${ms} ms per contender after warm-up; times are each contender's best round, ratios best/best (and the median of per-round ratios); node ${process.version}`);
  const rows: string[][] = [['message', 'bytes', 'ours decode', 'kaitai decode', 'ours encode', 'decode ours/kaitai', 'encode/decode (ours)']];
  const figs: Figure[] = [];
  const fmt = (f: Throughput): string => `${f.usPerOp.toFixed(2)} µs  ${f.mbPerS.toFixed(0)} MB/s`;
  for (const input of inputs) {
    const value = decodeHandshake(input.bytes);
    const { us, perRound } = race([
      () => decodeHandshake(input.bytes),
      () => new Handshake(kaitai.stream(input.bytes)),
      () => encodeHandshake(value),
    ], rounds, ms);
    const fig = (u: number): Throughput => ({ usPerOp: u, mbPerS: input.bytes.length / u });
    const decodeRatio = median(perRound.map(([o, k]) => k! / o!));
    const encodeRatio = median(perRound.map(([o, , e]) => o! / e!));
    figs.push(figure({ bench: 'codec', row: `decode ${input.name}`, unit: 'µs', protosmith: us[0]!, baseline: us[1]!, against: 'Kaitai JS', better: 'lower', target: 3, note: `median of per-round ratios ${decodeRatio.toFixed(2)}x` }));
    rows.push([
      input.name, String(input.bytes.length), fmt(fig(us[0]!)), fmt(fig(us[1]!)), fmt(fig(us[2]!)),
      `${(us[1]! / us[0]!).toFixed(2)}x (median ${decodeRatio.toFixed(2)}x)`, `${(us[0]! / us[2]!).toFixed(2)}x (median ${encodeRatio.toFixed(2)}x)`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log('decode ours/kaitai > 1 means ours is faster (target >= 3x); encode/decode is our encode throughput over our decode throughput.');
  kaitai.dispose();
  return figs;
}
