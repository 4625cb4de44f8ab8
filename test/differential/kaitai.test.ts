// Differential harness: the reference kaitai-struct-compiler (0.11, JavaScript target) and protosmith's
// generated codecs read the same .ksy files; on the same bytes they must agree on every field we expose.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { basename } from 'node:path';
import { compileKsy, loadKaitai, specFiles, type KaitaiModules, type KaitaiObject } from './kaitai.ts';
import { HRR_RANDOM, samples, toHex } from '../tls13-messages/vectors.ts';
import fc from 'fast-check';
import * as wire from '../tls13-messages/wire-arbitraries.ts';
import { arbitraryFor, loadProgram } from '../codec/arbitrary.ts';
import { decodeHandshake, encodeHandshake, type Handshake } from '../../generated/tls13/messages/handshake.ts';
import { decodeTlsPlaintext, decodeTlsCiphertext, decodeRecord, encodeRecord, type Record as Records } from '../../generated/tls13/messages/record.ts';
import { decodeExtensions, encodeExtensions, type Extensions } from '../../generated/tls13/messages/extensions.ts';
import type { HandshakeType } from '../../generated/tls13/messages/common.ts';

// No shrinking by default: these inputs are large and shrinking a failure can outlast the runner's timeout.
// FC_SHRINK=1 shrinks the counterexample.
fc.configureGlobal({ endOnFailure: process.env.FC_SHRINK === undefined });

let kaitai: KaitaiModules;
test.before(async () => {
  kaitai = await loadKaitai('tls13');
});
test.after(() => kaitai.dispose());

const parseWithKaitai = (id: string, bytes: Uint8Array, ...params: unknown[]): KaitaiObject => {
  const cls = kaitai.classes[id];
  if (!cls) throw new Error(`no Kaitai class for ${id}`);
  return new cls(kaitai.stream(bytes), null, null, ...params);
};
const consumed = (o: KaitaiObject): boolean => {
  const io = o['_io'] as { pos: number; size: number };
  return io.pos === io.size;
};

test('the TLS 1.3 specs are the five files common, alert, record, extensions, handshake', () => {
  assert.equal(specFiles('tls13').map((p) => basename(p)), ['alert.ksy', 'common.ksy', 'extensions.ksy', 'handshake.ksy', 'record.ksy']);
});

for (const path of specFiles('tls13')) {
  test(`${basename(path)} compiles with kaitai-struct-compiler to a JavaScript module per imported spec`, async () => {
    const files = await compileKsy(path);
    const names = Object.keys(files);
    assert.ok(names.length >= 1, 'no output');
    for (const [name, code] of Object.entries(files)) {
      assert.match(name, /^[A-Z][A-Za-z]*\.js$/);
      assert.match(code, /KaitaiStream/);
    }
  });
}

test('Kaitai parses every RFC 8448 handshake message in the clear and consumes it whole', () => {
  const { handshakeMessages } = samples();
  assert.ok(handshakeMessages.length >= 40, `only ${handshakeMessages.length} messages`);
  for (const m of handshakeMessages) {
    const h = parseWithKaitai('handshake', m.bytes);
    assert.ok(consumed(h), `${m.name}: bytes left over`);
    assert.is(h['msgType'], m.bytes[0], m.name);
    assert.not.ok(h['body'] instanceof Uint8Array, `${m.name}: body of type ${m.bytes[0]} left raw`);
  }
});

test('Kaitai reads the HelloRetryRequest as HRR: key_share is selected_group secp256r1, and a cookie', () => {
  const hrr = samples().handshakeMessages.find((m) => m.key === 'Record_HelloRetryRequest');
  assert.ok(hrr);
  const body = parseWithKaitai('handshake', hrr.bytes)['body'] as KaitaiObject;
  assert.equal(body['random'], HRR_RANDOM);
  const items = (body['extensions'] as KaitaiObject)['items'] as KaitaiObject[];
  const keyShare = items.find((e) => e['extensionType'] === 51)?.['body'] as KaitaiObject;
  assert.is(keyShare['selectedGroup'], 23);
  assert.is(keyShare['serverShare'], undefined);
  const cookie = items.find((e) => e['extensionType'] === 44)?.['body'] as KaitaiObject;
  assert.is((cookie['cookie'] as Uint8Array).length, 0x72);
});

test('Kaitai reads every plaintext record and every TLSCiphertext record whole', () => {
  const { plaintextRecords, ciphertextRecords } = samples();
  for (const r of plaintextRecords) {
    const rec = parseWithKaitai('record', r.bytes);
    assert.ok(consumed(rec), r.name);
    assert.is((rec['records'] as unknown[]).length, 1, r.name);
  }
  const cipher = kaitai.classes['record']!['TlsCiphertext'] as unknown as new (io: unknown) => KaitaiObject;
  for (const r of ciphertextRecords) {
    const rec = new cipher(kaitai.stream(r.bytes));
    assert.ok(consumed(rec), r.name);
    assert.is((rec['encryptedRecord'] as Uint8Array).length, r.bytes.length - 5, r.name);
  }
});


// ---- field-by-field comparison ------------------------------------------------------------------------
const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
/** Params are stored on Kaitai objects as fields; ours take them as arguments. */
const KAITAI_PARAMS = new Set(['msgType', 'contentLength']);

/**
 * Compares our decoded value with Kaitai's object: every field we expose must equal Kaitai's field of the
 * camelCase name (numbers as numbers, bytes byte for byte, lists element-wise). Kaitai fields we do not
 * expose must be length/count fields we derive, or params; anything else is a field we lost.
 * Returns the number of leaf values compared.
 */
function agree(ours: unknown, theirs: unknown, path: string): number {
  if (ours instanceof Uint8Array) {
    assert.ok(theirs instanceof Uint8Array, `${path}: Kaitai has ${typeof theirs}, ours bytes`);
    assert.is(toHex(ours), toHex(theirs as Uint8Array), path);
    return 1;
  }
  if (typeof ours === 'number' || typeof ours === 'bigint' || typeof ours === 'boolean') {
    assert.is(typeof ours === 'bigint' ? Number(ours) : ours, theirs, path);
    return 1;
  }
  if (ours === undefined) {
    assert.is(theirs, undefined, `${path}: absent in ours, present in Kaitai`);
    return 1;
  }
  if (Array.isArray(ours)) {
    assert.ok(Array.isArray(theirs), `${path}: Kaitai has no list`);
    assert.is(ours.length, (theirs as unknown[]).length, `${path}.length`);
    return ours.reduce<number>((n, x, i) => n + agree(x, (theirs as unknown[])[i], `${path}[${i}]`), 0);
  }
  if (typeof ours === 'object' && ours !== null) {
    assert.ok(typeof theirs === 'object' && theirs !== null && !(theirs instanceof Uint8Array), `${path}: Kaitai has ${String(theirs)}`);
    const t = theirs as KaitaiObject;
    let n = 0;
    const seen = new Set<string>();
    for (const [k, v] of Object.entries(ours)) {
      seen.add(camel(k));
      n += agree(v, t[camel(k)], `${path}.${k}`);
    }
    for (const k of Object.keys(t)) {
      if (k.startsWith('_') || seen.has(k) || KAITAI_PARAMS.has(k) || t[k] === undefined) continue;
      assert.ok(/(^l|L)ength$/.test(k), `${path}: Kaitai field ${k} has no counterpart in ours`);
    }
    return n;
  }
  throw new Error(`${path}: unexpected value ${String(ours)}`);
}

test('ours and Kaitai agree on every field of every RFC 8448 handshake message', () => {
  let leaves = 0;
  for (const m of samples().handshakeMessages) leaves += agree(decodeHandshake(m.bytes), parseWithKaitai('handshake', m.bytes), m.name);
  assert.ok(leaves > 500, `only ${leaves} values compared`);
});

test('ours and Kaitai agree on every RFC 8448 record: plaintext, ciphertext and whole runs', () => {
  const { plaintextRecords, ciphertextRecords, recordRuns } = samples();
  const recordCls = kaitai.classes['record']!;
  const sub = (name: string) => recordCls[name] as unknown as new (io: unknown) => KaitaiObject;
  for (const r of plaintextRecords) agree(decodeTlsPlaintext(r.bytes), new (sub('TlsPlaintext'))(kaitai.stream(r.bytes)), r.name);
  for (const r of ciphertextRecords) agree(decodeTlsCiphertext(r.bytes), new (sub('TlsCiphertext'))(kaitai.stream(r.bytes)), r.name);
  for (const r of recordRuns) agree(decodeRecord(r.bytes), parseWithKaitai('record', r.bytes), r.name);
});

const RUNS = Number(process.env.PROPERTY_RUNS ?? 500);

test('ours and Kaitai agree on fast-check generated handshake messages of every type', () => {
  fc.assert(fc.property(wire.handshake, (bytes) => {
    const k = parseWithKaitai('handshake', bytes);
    assert.ok(consumed(k), 'Kaitai left bytes');
    agree(decodeHandshake(bytes), k, 'Handshake');
  }), { numRuns: RUNS });
});

test('ours and Kaitai agree on fast-check generated records and extension blocks in every message context', () => {
  fc.assert(fc.property(wire.tlsPlaintext, (bytes) => { agree(decodeRecord(bytes), parseWithKaitai('record', bytes), 'Record'); }), { numRuns: RUNS });
  for (const ctx of [wire.CH, wire.SH, wire.HRR, wire.EE, wire.CT, wire.CR, wire.NST] as const) {
    fc.assert(fc.property(wire.extensionsBlock(ctx).map((b) => b.subarray(2)), (bytes) => {
      agree(decodeExtensions(bytes, ctx as HandshakeType), parseWithKaitai('extensions', bytes, ctx), `Extensions(${ctx})`);
    }), { numRuns: Math.ceil(RUNS / 2) });
  }
});

test('ours and Kaitai agree on encodings of IR-drawn values: handshake messages, record runs, extension blocks', () => {
  const program = loadProgram(specFiles('tls13'));
  fc.assert(fc.property(arbitraryFor(program, 'Handshake'), (v) => {
    const bytes = encodeHandshake(v as unknown as Handshake);
    agree(decodeHandshake(bytes), parseWithKaitai('handshake', bytes), 'Handshake');
  }), { numRuns: RUNS });
  fc.assert(fc.property(arbitraryFor(program, 'Record'), (v) => {
    const bytes = encodeRecord(v as unknown as Records);
    agree(decodeRecord(bytes), parseWithKaitai('record', bytes), 'Record');
  }), { numRuns: Math.ceil(RUNS / 2) });
  for (const ctx of [1, 2, 4, 6, 8, 11, 13]) {
    fc.assert(fc.property(arbitraryFor(program, 'Extensions', { msg_type: ctx }), (v) => {
      const bytes = encodeExtensions(v as unknown as Extensions, ctx as HandshakeType);
      agree(decodeExtensions(bytes, ctx as HandshakeType), parseWithKaitai('extensions', bytes, ctx), `Extensions(${ctx})`);
    }), { numRuns: Math.ceil(RUNS / 4) });
  }
});

test('on mutated RFC 8448 messages, whatever our decoder accepts Kaitai parses to the same fields', () => {
  // Kaitai ignores bytes left inside a sized field, so it accepts some inputs we reject; the reverse must
  // never happen: whatever we accept, Kaitai parses to the same fields.
  const { handshakeMessages } = samples();
  let both = 0;
  fc.assert(fc.property(fc.constantFrom(...handshakeMessages), fc.nat(), fc.integer({ min: 0, max: 255 }), (m, at, b) => {
    const bytes = Uint8Array.from(m.bytes);
    bytes[at % bytes.length] = b;
    let ours: unknown;
    try { ours = decodeHandshake(bytes); } catch { return; }
    both++;
    agree(ours, parseWithKaitai('handshake', bytes), m.name);
  }), { numRuns: RUNS });
  assert.ok(both > 0);
});

test.run();
