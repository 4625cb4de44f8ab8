// Codec benchmark: decode and encode throughput of protosmith's generated TLS 1.3 codecs against the
// JavaScript that kaitai-struct-compiler 0.11 emits for the SAME .ksy files, on the RFC 8448 ClientHello and
// server Certificate messages (whole handshake messages, header included). Every figure is measured in the
// same process and run: warm-up, then several timed rounds; the median round is reported.
//   npm run bench -- codec [--rounds N] [--ms PER_ROUND]
import { decodeHandshake, encodeHandshake } from '../../generated/tls13/messages/handshake.ts';
import { loadKaitai } from '../differential/kaitai.ts';
import { samples } from '../tls13-messages/vectors.ts';

interface Figure { usPerOp: number; mbPerS: number }

function measure(fn: () => unknown, bytes: number, rounds: number, msPerRound: number): Figure {
  // Calibrate: how many calls fill one round.
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const dt = performance.now() - t0;
    if (dt > msPerRound / 4) { n = Math.max(1, Math.round((n * msPerRound) / dt)); break; }
    n *= 2;
  }
  // Warm-up round, not counted.
  for (let i = 0; i < n; i++) fn();
  const perOp: number[] = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) { if (fn() !== undefined) sink++; }
    perOp.push(((performance.now() - t0) * 1000) / n);
  }
  if (sink < 0) console.log(sink);
  perOp.sort((a, b) => a - b);
  const usPerOp = perOp[Math.floor(perOp.length / 2)]!;
  return { usPerOp, mbPerS: bytes / usPerOp };
}

export async function run(args: string[]): Promise<void> {
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
  };
  const rounds = opt('--rounds', 9);
  const ms = opt('--ms', 200);
  const kaitai = await loadKaitai('tls13');
  const Handshake = kaitai.classes['handshake']!;
  const { handshakeMessages } = samples();
  const inputs = [
    { name: 'ClientHello (RFC 8448 §3)', bytes: handshakeMessages.find((m) => m.section === 'Simple_1RTT_Handshake' && m.key === 'Record_ClientHello_1')!.bytes },
    { name: 'Certificate (RFC 8448 §3)', bytes: handshakeMessages.find((m) => m.section === 'Simple_1RTT_Handshake' && m.key === 'Message_Server_Certificate')!.bytes },
  ];
  console.log(`codec benchmark: ${rounds} rounds of ~${ms} ms after warm-up, median round; node ${process.version}`);
  const rows: string[][] = [['message', 'bytes', 'ours decode', 'kaitai decode', 'ours encode', 'decode ours/kaitai', 'encode/decode (ours)']];
  const fmt = (f: Figure): string => `${f.usPerOp.toFixed(2)} µs  ${f.mbPerS.toFixed(0)} MB/s`;
  for (const input of inputs) {
    const value = decodeHandshake(input.bytes);
    const ours = measure(() => decodeHandshake(input.bytes), input.bytes.length, rounds, ms);
    const theirs = measure(() => new Handshake(kaitai.stream(input.bytes)), input.bytes.length, rounds, ms);
    const enc = measure(() => encodeHandshake(value), input.bytes.length, rounds, ms);
    rows.push([
      input.name, String(input.bytes.length), fmt(ours), fmt(theirs), fmt(enc),
      `${(theirs.usPerOp / ours.usPerOp).toFixed(2)}x`, `${(enc.mbPerS / ours.mbPerS).toFixed(2)}x`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log('decode ours/kaitai > 1 means ours is faster (target >= 3x); encode/decode is our encode throughput over our decode throughput.');
  kaitai.dispose();
}
