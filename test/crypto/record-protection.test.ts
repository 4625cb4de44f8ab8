// Record protection limits and properties (RFC 8446 §5.2–§5.4) and key-schedule misuse guards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { cipherSuiteParams, type CryptoProvider } from '../../runtime/crypto/provider.ts';
import { hkdfExpandLabel, KeySchedule, exportKeyingMaterial } from '../../runtime/tls/keyschedule.ts';
import { RecordProtection } from '../../runtime/tls/record-protection.ts';
import { compose } from '../../runtime/crypto/compose.ts';
import { CryptoError } from '../../runtime/crypto/errors.ts';

const p = createNodeProvider();
const suites = [0x1301, 0x1302, 0x1303].map((s) => cipherSuiteParams(s)!);

async function code(f: () => unknown): Promise<{ code?: string; alert?: string; blame?: string } | undefined> {
  try { await f(); return undefined; } catch (e) { return e as { code?: string; alert?: string; blame?: string }; }
}

function header(length: number, type = 23): Uint8Array {
  return Uint8Array.of(type, 3, 3, length >> 8, length & 0xff);
}

test('seal/open round-trips any content type, content and padding at any sequence number, for every suite', async () => {
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...suites), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 200 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 2n }),
    async (suite, content, type, padding, seq) => {
      const secret = new Uint8Array(suite.hashLength).fill(3);
      const a = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: seq });
      const b = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: seq });
      const rec = await a.seal(type, content, padding);
      assert.is(rec.length, 5 + content.length + 1 + padding + 16);
      const out = await b.open(rec.subarray(0, 5), rec.subarray(5));
      assert.is(out.type, type);
      assert.equal(Array.from(out.content), Array.from(content));
      assert.is(b.sequence, seq + 1n);
    }), { numRuns: 150 });
});

test('the nonce is iv XOR the 64-bit sequence number: a record opens only at the sequence it was sealed at', async () => {
  const suite = suites[0]!;
  const secret = new Uint8Array(32).fill(9);
  const sealer = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: 0x0102030405060708n });
  const rec = await sealer.seal(23, Uint8Array.of(1, 2, 3), 0);
  for (const seq of [0n, 0x0102030405060707n, 0x0102030405060709n, 0x8102030405060708n]) {
    const opener = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: seq });
    assert.is((await code(() => opener.open(rec.subarray(0, 5), rec.subarray(5))))?.code, 'TLS_BAD_RECORD_MAC', `seq ${seq}`);
  }
  // Independent nonce computation with the raw AEAD: iv XOR seq (left-padded).
  const keyBytes = await hkdfExpandLabel(p, suite.hash, secret, 'key', new Uint8Array(0), 16);
  const iv = await hkdfExpandLabel(p, suite.hash, secret, 'iv', new Uint8Array(0), 12);
  const nonce = iv.slice();
  const seqBytes = [1, 2, 3, 4, 5, 6, 7, 8];
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seqBytes[i]!;
  const key = await p.importAeadKey('aes-128-gcm', keyBytes);
  assert.equal(Array.from(await key.open(nonce, rec.subarray(0, 5), rec.subarray(5))), [1, 2, 3, 23]);
});

test('sequence number 2^64-1 is the last one usable; the next seal or open is refused (TLS_SEQUENCE_OVERFLOW, blame local)', async () => {
  const suite = suites[2]!;
  const secret = new Uint8Array(32).fill(1);
  const last = (1n << 64n) - 1n;
  const a = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: last });
  const b = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: last });
  const rec = await a.seal(23, Uint8Array.of(7), 0);
  await b.open(rec.subarray(0, 5), rec.subarray(5));
  const e1 = await code(() => a.seal(23, Uint8Array.of(7), 0));
  assert.is(e1?.code, 'TLS_SEQUENCE_OVERFLOW');
  assert.is(e1?.blame, 'local');
  assert.is((await code(() => b.open(rec.subarray(0, 5), rec.subarray(5))))?.code, 'TLS_SEQUENCE_OVERFLOW');
  assert.is((await code(() => RecordProtection.fromSecret(p, suite, secret, { initialSequence: 1n << 64n })))?.code, 'TLS_BAD_ARGUMENT');
});

test('sealing more than 2^14 content bytes, or content+type+padding over 2^14+1, is refused as API misuse', async () => {
  const rp = await RecordProtection.fromSecret(p, suites[0]!, new Uint8Array(32));
  assert.is((await code(() => rp.seal(23, new Uint8Array(16385), 0)))?.code, 'TLS_BAD_ARGUMENT');
  assert.is((await code(() => rp.seal(23, new Uint8Array(16384), 1)))?.code, 'TLS_BAD_ARGUMENT');
  assert.is((await code(() => rp.seal(23, new Uint8Array(1), -1)))?.code, 'TLS_BAD_ARGUMENT');
  const max = await rp.seal(23, new Uint8Array(16384), 0);
  assert.is(max.length, 5 + 16384 + 1 + 16);
  assert.is(rp.sequence, 1n, 'refused seals do not consume sequence numbers');
});

test('open refuses: oversize fragment (record_overflow), non-application_data outer type (unexpected_message), short fragment (bad_record_mac)', async () => {
  const rp = await RecordProtection.fromSecret(p, suites[0]!, new Uint8Array(32));
  const big = await code(() => rp.open(header(16384 + 257), new Uint8Array(16384 + 257)));
  assert.is(big?.code, 'TLS_RECORD_OVERFLOW');
  assert.is(big?.alert, 'record_overflow');
  const wrongType = await code(() => rp.open(header(20, 22), new Uint8Array(20)));
  assert.is(wrongType?.code, 'TLS_UNEXPECTED_MESSAGE');
  assert.is(wrongType?.alert, 'unexpected_message');
  for (const n of [0, 1, 15, 16]) {
    const e = await code(() => rp.open(header(n), new Uint8Array(n)));
    assert.is(e?.code, 'TLS_BAD_RECORD_MAC', `fragment of ${n} bytes`);
    assert.is(e?.alert, 'bad_record_mac');
  }
});

test('a decrypted inner plaintext of only zeros (no content type) is unexpected_message; one over 2^14+1 bytes is record_overflow', async () => {
  const suite = suites[0]!;
  const secret = new Uint8Array(32).fill(5);
  const keyBytes = await hkdfExpandLabel(p, suite.hash, secret, 'key', new Uint8Array(0), 16);
  const iv = await hkdfExpandLabel(p, suite.hash, secret, 'iv', new Uint8Array(0), 12);
  const key = await p.importAeadKey('aes-128-gcm', keyBytes);
  for (const [inner, want, alert] of [[new Uint8Array(40), 'TLS_UNEXPECTED_MESSAGE', 'unexpected_message'], [new Uint8Array(16386).fill(23), 'TLS_RECORD_OVERFLOW', 'record_overflow']] as const) {
    const h = header(inner.length + 16);
    const body = await key.seal(iv, h, inner);
    const rp = await RecordProtection.fromSecret(p, suite, secret);
    const e = await code(() => rp.open(h, body));
    assert.is(e?.code, want);
    assert.is(e?.alert, alert);
  }
});

test('arbitrary bytes given to open() or to a key share only ever produce typed peer errors (never a crash or an untyped throw)', async () => {
  const rp = await RecordProtection.fromSecret(p, suites[2]!, new Uint8Array(32));
  const shares = await Promise.all([0x001d, 0x0017, 0x0018].map((g) => p.generateKeyShare(g)));
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 5, maxLength: 5 }), fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 120 }), async (hdr, frag, point) => {
    const e = await code(() => rp.open(hdr, frag));
    assert.ok(e !== undefined && ['TLS_BAD_RECORD_MAC', 'TLS_UNEXPECTED_MESSAGE', 'TLS_RECORD_OVERFLOW'].includes(e.code!), `open: ${String(e?.code)}`);
    assert.is(e!.blame, 'peer');
    for (const share of shares) {
      const k = await code(() => share.agree(point));
      // A random string can be a valid X25519 input (all 32-byte strings are); EC points essentially never are.
      if (k !== undefined) assert.ok(k.code === 'CRYPTO_INVALID_PEER_KEY_SHARE' || k.code === 'CRYPTO_ZERO_SHARED_SECRET', `agree: ${String(k.code)}`);
    }
  }), { numRuns: 300 });
});

test('the key schedule refuses secrets out of RFC 8446 §7.1 order and stages entered twice', async () => {
  const ks = await KeySchedule.start(p, 'sha256');
  const h = new Uint8Array(32);
  assert.is((await code(() => ks.clientHandshakeTrafficSecret(h)))?.code, 'TLS_KEY_SCHEDULE_STAGE');
  assert.is((await code(() => ks.enterMaster()))?.code, 'TLS_KEY_SCHEDULE_STAGE');
  await ks.enterHandshake(new Uint8Array(32).fill(1));
  assert.is((await code(() => ks.binderKey('resumption')))?.code, 'TLS_KEY_SCHEDULE_STAGE');
  assert.is((await code(() => ks.enterHandshake(new Uint8Array(32))))?.code, 'TLS_KEY_SCHEDULE_STAGE');
  await ks.enterMaster();
  assert.is(ks.stage, 'master');
  assert.is((await code(() => ks.serverHandshakeTrafficSecret(h)))?.code, 'TLS_KEY_SCHEDULE_STAGE');
  assert.is((await ks.resumptionMasterSecret(h)).length, 32);
});

test('HKDF-Expand-Label and the exporter refuse labels, contexts and lengths that do not fit their encodings', async () => {
  const secret = new Uint8Array(48);
  assert.is((await code(() => hkdfExpandLabel(p, 'sha384', secret, 'x'.repeat(250), new Uint8Array(0), 16)))?.code, 'TLS_BAD_ARGUMENT');
  assert.is((await hkdfExpandLabel(p, 'sha384', secret, 'x'.repeat(249), new Uint8Array(0), 16)).length, 16);
  assert.is((await code(() => hkdfExpandLabel(p, 'sha384', secret, 'key', new Uint8Array(256), 16)))?.code, 'TLS_BAD_ARGUMENT');
  assert.is((await code(() => hkdfExpandLabel(p, 'sha384', secret, 'key', new Uint8Array(0), 70000)))?.code, 'TLS_BAD_ARGUMENT');
  assert.is((await code(() => exportKeyingMaterial(p, 'sha256', new Uint8Array(32), 'EXPORTER-x', new Uint8Array(0), 255 * 32 + 1)))?.code, 'TLS_BAD_ARGUMENT');
  // A long exporter context is fine: it is hashed first.
  assert.is((await exportKeyingMaterial(p, 'sha256', new Uint8Array(32), 'EXPORTER-x', new Uint8Array(5000), 8)).length, 8);
});

test('the sequence number carries across 32-bit boundaries: each record opens at exactly its own sequence number', async () => {
  const suite = suites[1]!;
  const secret = new Uint8Array(48).fill(4);
  for (const start of [0xfffffffen, 0x1fffffffen, 0xfffffffffffffffen - 1n]) {
    const a = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: start });
    const recs: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) recs.push(await a.seal(23, Uint8Array.of(i), 0));
    assert.is(a.sequence, start + 3n);
    for (let i = 0; i < 3; i++) {
      const b = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: start + BigInt(i) });
      assert.equal(Array.from((await b.open(recs[i]!.subarray(0, 5), recs[i]!.subarray(5))).content), [i], `record ${i} after ${start}`);
      const wrong = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: (start + BigInt(i)) ^ (1n << 32n) });
      assert.is((await code(() => wrong.open(recs[i]!.subarray(0, 5), recs[i]!.subarray(5))))?.code, 'TLS_BAD_RECORD_MAC', 'the high half of the sequence number is in the nonce');
    }
  }
});

test('a provider without the sealInto fast path produces byte-identical records through seal()', async () => {
  const plain: CryptoProvider = {
    ...p,
    async importAeadKey(alg, key) {
      const k = await p.importAeadKey(alg, key);
      return { algorithm: k.algorithm, seal: (n, a, t) => k.seal(n, a, t), open: (n, a, c) => k.open(n, a, c) };
    },
  };
  await fc.assert(fc.asyncProperty(fc.constantFrom(...suites), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 40 }), async (suite, content, type, padding) => {
    const secret = new Uint8Array(suite.hashLength).fill(8);
    const fast = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: 5n });
    const slow = await RecordProtection.fromSecret(plain, suite, secret, { initialSequence: 5n });
    const r1 = await fast.seal(type, content, padding);
    assert.equal(Array.from(await slow.seal(type, content, padding)), Array.from(r1));
    const opener = await RecordProtection.fromSecret(plain, suite, secret, { initialSequence: 5n });
    assert.equal(Array.from((await opener.open(r1.subarray(0, 5), r1.subarray(5))).content), Array.from(content));
  }), { numRuns: 60 });
});

test('sealInto writes the same record as seal() at an offset of a shared buffer and returns its length; a record that does not fit is refused', async () => {
  for (const suite of suites) {
    const secret = new Uint8Array(suite.hashLength).fill(6);
    const a = await RecordProtection.fromSecret(p, suite, secret);
    const b = await RecordProtection.fromSecret(p, suite, secret);
    const contents = [new Uint8Array(100).fill(1), new Uint8Array(0), new Uint8Array(16384).fill(2)];
    const pads = [3, 0, 0];
    const total = contents.reduce((n, c, i) => n + b.recordLength(c.length, pads[i]!), 0);
    const shared = new Uint8Array(total + 2);
    let at = 1;
    for (let i = 0; i < contents.length; i++) {
      const want = await a.seal(23, contents[i]!, pads[i]!);
      const n = await b.sealInto(23, contents[i]!, pads[i]!, shared, at);
      assert.is(n, want.length);
      assert.equal(Buffer.from(shared.subarray(at, at + n)).toString('hex'), Buffer.from(want).toString('hex'), `${suite.name} record ${i}`);
      at += n;
    }
    assert.is(b.sequence, 3n);
    const small = new Uint8Array(b.recordLength(10, 0) - 1);
    assert.is((await code(() => b.sealInto(23, new Uint8Array(10), 0, small, 0)))?.code, 'TLS_BAD_ARGUMENT');
    assert.is(b.sequence, 3n, 'a refused seal consumes no sequence number');
  }
});

test('sealSync/openSync (synchronous provider) make the same records as seal/open and share one sequence number with them', async () => {
  await fc.assert(fc.asyncProperty(fc.constantFrom(...suites), fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 40 }), async (suite, first, content, type, padding) => {
    const secret = new Uint8Array(suite.hashLength).fill(4);
    const a = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: 0xfffffffen });
    const b = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: 0xfffffffen });
    assert.ok(b.synchronous);
    // A longer record first, so that where the second one's padding goes held other bytes before.
    const records: Uint8Array[] = [];
    for (const [c, pad] of [[new Uint8Array(first.length + 500).fill(0xff), 0], [content, padding]] as const) {
      const want = await a.seal(type, c, pad);
      const pieces = b.sealSync(type, c, pad);
      assert.is(pieces[0]!.length, 5, 'the header comes first, on its own');
      const got = Buffer.concat(pieces);
      assert.is(got.toString('hex'), Buffer.from(want).toString('hex'));
      records.push(got);
    }
    const r = await RecordProtection.fromSecret(p, suite, secret, { initialSequence: 0xfffffffen });
    const one = r.openSync(records[0]!.subarray(0, 5), records[0]!.subarray(5));
    const two = await r.open(records[1]!.subarray(0, 5), records[1]!.subarray(5));
    assert.is(one.content.length, first.length + 500);
    assert.is(two.type, type);
    assert.equal(Array.from(two.content), Array.from(content));
    assert.is(r.sequence, 0x100000000n);
  }), { numRuns: 60 });
});

test('sealSync leaves no plaintext behind: the shared buffer the inner plaintext is laid out in is zero once the call returns, also when the provider fails', async () => {
  const suite = suites[0]!;
  let seen: Uint8Array | undefined;
  let fail = false;
  const watching: CryptoProvider = {
    ...p,
    async importAeadKey(alg, key) {
      const k = await p.importAeadKey(alg, key);
      return {
        algorithm: k.algorithm, seal: (n, a, t) => k.seal(n, a, t), open: (n, a, c) => k.open(n, a, c), openSync: (n, a, c) => k.openSync!(n, a, c),
        sealSync: (n, a, t) => { seen = t; if (fail) throw new TypeError('provider failed'); return k.sealSync!(n, a, t); },
      };
    },
  };
  const rp = await RecordProtection.fromSecret(watching, suite, new Uint8Array(suite.hashLength).fill(6));
  const secretText = new Uint8Array(300).fill(0x41);
  rp.sealSync(23, secretText, 7);
  assert.ok(seen !== undefined && seen.length === 308);
  assert.ok(seen.every((b) => b === 0), 'the plaintext was wiped from the shared buffer');
  fail = true;
  assert.throws(() => rp.sealSync(23, secretText, 0));
  assert.ok(seen.every((b) => b === 0), 'wiped when the provider throws too');
});

test('openSync refuses what open() refuses, with the same typed errors, and a refused record consumes no sequence number', async () => {
  const suite = suites[2]!;
  const secret = new Uint8Array(suite.hashLength).fill(5);
  const a = await RecordProtection.fromSecret(p, suite, secret);
  const rec = await a.seal(23, new Uint8Array(10), 0);
  const tampered = rec.slice();
  tampered[9]! ^= 0x80;
  const cases: [Uint8Array, Uint8Array, string][] = [
    [tampered.subarray(0, 5), tampered.subarray(5), 'TLS_BAD_RECORD_MAC'],
    [rec.subarray(0, 5), rec.subarray(5, 15), 'TLS_BAD_RECORD_MAC'],
    [header(rec.length - 5, 22), rec.subarray(5), 'TLS_UNEXPECTED_MESSAGE'],
    [header(20000), new Uint8Array(20000), 'TLS_RECORD_OVERFLOW'],
  ];
  for (const [h, f, want] of cases) {
    const r = await RecordProtection.fromSecret(p, suite, secret);
    let sync: string | undefined;
    try { r.openSync(h, f); } catch (e) { sync = (e as { code?: string }).code; }
    assert.is(sync, want);
    assert.is((await code(() => r.open(h, f)))?.code, want);
    assert.is(r.sequence, 0n);
  }
});

test('a provider AEAD without synchronous forms is not synchronous: sealSync/openSync are refused as misuse, the async path serves', async () => {
  const asyncOnly: CryptoProvider = {
    ...p,
    async importAeadKey(alg, key) {
      const k = await p.importAeadKey(alg, key);
      return { algorithm: k.algorithm, seal: (n, a, t) => k.seal(n, a, t), open: (n, a, c) => k.open(n, a, c), sealInto: (n, a, parts, o, off) => k.sealInto!(n, a, parts, o, off) };
    },
  };
  const suite = suites[0]!;
  const r = await RecordProtection.fromSecret(asyncOnly, suite, new Uint8Array(32));
  assert.not.ok(r.synchronous);
  const out = new Uint8Array(r.recordLength(3, 0));
  for (const f of [() => r.sealSync(23, new Uint8Array(3), 0), () => r.openSync(header(20), new Uint8Array(20))]) {
    let c: string | undefined;
    try { f(); } catch (e) { c = (e as { code?: string }).code; }
    assert.is(c, 'TLS_BAD_ARGUMENT');
  }
  assert.is(r.sequence, 0n);
  assert.is(await r.sealInto(23, new Uint8Array(3), 0, out, 0), out.length);
});

test('fromSecret() reports a failing synchronous key schedule as a rejected promise, as its type says, not a throw', async () => {
  const broken = compose(p, { name: 'broken', hmacSync: () => { throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', 'HMAC failed'); } });
  const suite = cipherSuiteParams(0x1301)!;
  let r: Promise<RecordProtection> | undefined;
  try { r = RecordProtection.fromSecret(broken, suite, new Uint8Array(32)); } catch { assert.unreachable('fromSecret threw instead of returning a promise'); }
  assert.instance(r, Promise);
  assert.is((await code(() => r))?.code, 'CRYPTO_PROVIDER_FAILURE');
});

test.run();
