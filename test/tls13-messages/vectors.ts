// RFC 8448 transcripts (../shared/vectors/rfc8448/transcripts.vec) as the codec tests see them: every
// record and handshake message that travels in the clear, plus the protected records (as opaque
// TLSCiphertext). Sections are `[Name]`, entries `Key = hex`, `#` starts a comment line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
export const transcriptsPath = join(root, '..', 'shared', 'vectors', 'rfc8448', 'transcripts.vec');

export interface Section {
  readonly name: string;
  /** Raw right-hand sides, in file order. */
  readonly entries: ReadonlyMap<string, string>;
}

export function parseTranscripts(text: string): Section[] {
  const sections: { name: string; entries: Map<string, string> }[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      sections.push({ name: header[1]!, entries: new Map() });
      continue;
    }
    // Values may carry stray spaces (line 105 has `…8c61 50 1b0c…` inside one hex string): drop all whitespace.
    const kv = /^([A-Za-z0-9_]+)\s*=(.*)$/.exec(line);
    const current = sections[sections.length - 1];
    if (!kv || !current) throw new Error(`transcripts.vec:${i + 1}: cannot read line ${JSON.stringify(line.slice(0, 40))}`);
    current.entries.set(kv[1]!, kv[2]!.replace(/\s+/g, ''));
  }
  return sections;
}

export function hex(s: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error(`not hex: ${s.slice(0, 20)}…`);
  return Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Splits a run of records at their 5-byte headers; throws if the run does not end on a record boundary. */
export function splitRecords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 5 > bytes.length) throw new Error(`truncated record header at ${at}`);
    const len = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    if (at + 5 + len > bytes.length) throw new Error(`truncated record at ${at}`);
    out.push(bytes.subarray(at, at + 5 + len));
    at += 5 + len;
  }
  return out;
}

export interface Sample {
  /** e.g. `HelloRetryRequest_Handshake/Record_ClientHello_2#0` */
  readonly name: string;
  readonly section: string;
  readonly key: string;
  readonly bytes: Uint8Array;
}

export interface Samples {
  /** Every record with content type handshake (22), alert (21) or change_cipher_spec (20). */
  readonly plaintextRecords: Sample[];
  /** Every application_data (23) record: protected, decoded only as TLSCiphertext. */
  readonly ciphertextRecords: Sample[];
  /** Every handshake message in the clear: Message_* entries and the bodies of the handshake records. */
  readonly handshakeMessages: Sample[];
  /** Every `Record_*` entry as a whole (a run of one or more records). */
  readonly recordRuns: Sample[];
  readonly sections: Section[];
}

let cached: Samples | undefined;

export function samples(): Samples {
  if (cached) return cached;
  const sections = parseTranscripts(readFileSync(transcriptsPath, 'utf8'));
  const plaintextRecords: Sample[] = [];
  const ciphertextRecords: Sample[] = [];
  const handshakeMessages: Sample[] = [];
  const recordRuns: Sample[] = [];
  for (const s of sections) {
    for (const [key, value] of s.entries) {
      if (key.startsWith('Record_')) {
        const run = hex(value);
        recordRuns.push({ name: `${s.name}/${key}`, section: s.name, key, bytes: run });
        splitRecords(run).forEach((rec, i) => {
          const sample = { name: `${s.name}/${key}#${i}`, section: s.name, key, bytes: rec };
          if (rec[0] === 23) ciphertextRecords.push(sample);
          else plaintextRecords.push(sample);
          // In these transcripts each plaintext handshake record carries exactly one whole message.
          if (rec[0] === 22) handshakeMessages.push({ ...sample, name: `${sample.name}/fragment`, bytes: rec.subarray(5) });
        });
      } else if (key.startsWith('Message_')) {
        handshakeMessages.push({ name: `${s.name}/${key}`, section: s.name, key, bytes: hex(value) });
      }
    }
  }
  cached = { plaintextRecords, ciphertextRecords, handshakeMessages, recordRuns, sections };
  return cached;
}

/** The HelloRetryRequest random, SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3). */
export const HRR_RANDOM = hex('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
