// The native provider (runtime/crypto/native, addon native/aead.c and native/hmac.c): the same bytes as the node
// provider for every suite, HMAC and entry point, typed errors (never a crash) for every misuse the addon could be
// handed, and TLS over it, in memory against the node provider and itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { createNativeProvider } from '../../runtime/crypto/native/index.ts';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { CryptoError, cipherSuiteParams, type AeadKey } from '../../runtime/crypto/provider.ts';
import { RecordProtection } from '../../runtime/tls/record-protection.ts';
import { clientConfig, connect, dataOf, pump, serverConfig, text } from '../tls/harness.ts';

const native = createNativeProvider();
const node = createNodeProvider();
const SUITES = [0x1301, 0x1302, 0x1303] as const;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function err(f: () => unknown): Promise<CryptoError> {
  try { await f(); } catch (e) { assert.instance(e, CryptoError); return e as CryptoError; }
  assert.unreachable('expected a CryptoError');
  throw new Error('unreachable');
}

async function keys(suite: number): Promise<{ ours: AeadKey; ref: AeadKey; alg: string }> {
  const params = cipherSuiteParams(suite as 0x1301)!;
  const raw = new Uint8Array(params.keyLength).map((_, i) => (i * 7 + suite) & 0xff);
  return { ours: await native.importAeadKey(params.aead, raw), ref: await node.importAeadKey(params.aead, raw), alg: params.aead };
}

test('the native provider is the node provider except for the record AEADs, whose keys have every synchronous form, and HMAC', async () => {
  assert.is(native.name, 'native+node');
  for (const f of ['hmacSync', 'hkdfExtractSync'] as const) assert.type(native[f], 'function', f);
  for (const suite of SUITES) {
    const { ours } = await keys(suite);
    for (const f of ['sealSync', 'openSync', 'sealInto', 'sealIntoSync'] as const) assert.type(ours[f], 'function', f);
  }
});

test('seal, sealSync, sealInto and sealIntoSync give node:crypto\'s bytes for every suite and length; open and openSync give the plaintext back', async () => {
  const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
  const aad = Uint8Array.of(23, 3, 3, 0x40, 0x11);
  for (const suite of SUITES) {
    const { ours, ref, alg } = await keys(suite);
    for (const length of [0, 1, 15, 16, 17, 4096, 16385]) {
      const plaintext = new Uint8Array(length).map((_, i) => (i * 31) & 0xff);
      const want = hex(await ref.seal(nonce, aad, plaintext));
      assert.is(hex(await ours.seal(nonce, aad, plaintext)), want, `${alg} seal ${length}`);
      assert.is(hex(Buffer.concat(ours.sealSync!(nonce, aad, plaintext))), want, `${alg} sealSync ${length}`);
      // Two parts, at an offset, in a larger buffer: only the record's range is written.
      const cut = length >> 1;
      const out = new Uint8Array(length + 16 + 9).fill(0xaa);
      ours.sealIntoSync!(nonce, aad, [plaintext.subarray(0, cut), plaintext.subarray(cut)], out, 4);
      assert.is(hex(out.subarray(4, 4 + length + 16)), want, `${alg} sealIntoSync ${length}`);
      assert.ok(out.subarray(0, 4).every((b) => b === 0xaa) && out.subarray(4 + length + 16).every((b) => b === 0xaa), 'nothing written outside the record');
      const out2 = new Uint8Array(length + 16);
      await ours.sealInto!(nonce, aad, [plaintext], out2, 0);
      assert.is(hex(out2), want, `${alg} sealInto ${length}`);
      const sealed = Buffer.from(want, 'hex');
      assert.is(hex(await ours.open(nonce, aad, sealed)), hex(plaintext), `${alg} open ${length}`);
      assert.is(hex(ours.openSync!(nonce, aad, sealed)), hex(plaintext), `${alg} openSync ${length}`);
      assert.is(hex(await ref.open(nonce, aad, Buffer.from(ours.sealSync!(nonce, aad, plaintext)[0]!))), hex(plaintext), 'node:crypto opens what the addon sealed');
    }
  }
});

test('a tag that does not verify, altered AAD or ciphertext, a short input: CRYPTO_AEAD_OPEN_FAILED with bad_record_mac; the key keeps working', async () => {
  const nonce = new Uint8Array(12).fill(3);
  const aad = Uint8Array.of(23, 3, 3, 0, 116);
  for (const suite of SUITES) {
    const { ours } = await keys(suite);
    const sealed = await ours.seal(nonce, aad, new Uint8Array(100).fill(9));
    const altered = [...[0, 50, 99, 100, 115].map((i) => { const t = sealed.slice(); t[i]! ^= 1; return t; }), sealed.subarray(0, 15), sealed.subarray(0, 116 - 1)];
    for (const bad of altered) {
      const e = await err(() => ours.openSync!(nonce, aad, bad));
      assert.is(e.code, 'CRYPTO_AEAD_OPEN_FAILED');
      assert.is(e.alert, 'bad_record_mac');
    }
    assert.is((await err(() => ours.open(nonce, Uint8Array.of(23, 3, 3, 0, 117), sealed))).code, 'CRYPTO_AEAD_OPEN_FAILED', 'the AAD is authenticated');
    assert.is((await err(() => ours.open(new Uint8Array(12), aad, sealed))).code, 'CRYPTO_AEAD_OPEN_FAILED', 'the nonce is authenticated');
    assert.equal([...ours.openSync!(nonce, aad, sealed)], new Array(100).fill(9), 'a failed open leaves the key usable');
  }
});

test('misuse is refused with CRYPTO_INVALID_ARGUMENT before the addon touches memory: nonce length, output range, offset, overlap, key length, algorithm', async () => {
  const { ours } = await keys(0x1301);
  const aad = new Uint8Array(5);
  const nonce = new Uint8Array(12);
  const pt = new Uint8Array(32);
  for (const bad of [new Uint8Array(0), new Uint8Array(8), new Uint8Array(13)]) {
    assert.is((await err(() => ours.sealSync!(bad, aad, pt))).code, 'CRYPTO_INVALID_ARGUMENT');
    assert.is((await err(() => ours.openSync!(bad, aad, new Uint8Array(48)))).code, 'CRYPTO_INVALID_ARGUMENT');
  }
  const out = new Uint8Array(48);
  for (const [o, off] of [[new Uint8Array(47), 0], [out, 1], [out, -1], [out, 0.5], [out, Number.NaN], [out, 2 ** 53]] as const) {
    assert.is((await err(() => ours.sealIntoSync!(nonce, aad, [pt], o, off))).code, 'CRYPTO_INVALID_ARGUMENT', `out ${o.length} at ${off}`);
  }
  // The output overlapping the plaintext (sealing a buffer into itself) would read what it already wrote.
  const shared = new Uint8Array(100);
  assert.is((await err(() => ours.sealIntoSync!(nonce, aad, [shared.subarray(0, 32)], shared, 10))).code, 'CRYPTO_INVALID_ARGUMENT');
  assert.is((await err(() => native.importAeadKey('aes-128-gcm', new Uint8Array(32)))).code, 'CRYPTO_INVALID_ARGUMENT');
  assert.is((await err(() => native.importAeadKey('chacha20-poly1305', new Uint8Array(16)))).code, 'CRYPTO_INVALID_ARGUMENT');
  assert.is((await err(() => native.importAeadKey('aes-192-gcm' as never, new Uint8Array(24)))).code, 'CRYPTO_UNSUPPORTED_ALGORITHM');
});

test('the addon itself refuses wrong types and ranges with a JavaScript error (no crash), whatever it is handed', () => {
  const addon = createRequire(import.meta.url)('../../native/build/Release/protosmith_aead.node') as Record<string, (...a: unknown[]) => unknown>;
  const ctx = addon.create!(0, new Uint8Array(16));
  const u = (n: number): Uint8Array => new Uint8Array(n);
  const calls: [string, unknown[]][] = [
    ['create', []], ['create', [3, u(16)]], ['create', [0, u(15)]], ['create', [0, 'key']], ['create', [-1, u(16)]], ['create', [2, new Uint16Array(16)]],
    ['seal', [{}, u(12), u(5), [u(1)], u(17), 0]], ['seal', [ctx, u(11), u(5), [u(1)], u(17), 0]], ['seal', [ctx, u(12), 'aad', [u(1)], u(17), 0]],
    ['seal', [ctx, u(12), u(5), u(1), u(17), 0]], ['seal', [ctx, u(12), u(5), [u(1), 'x'], u(33), 0]], ['seal', [ctx, u(12), u(5), [u(1)], u(16), 0]],
    ['seal', [ctx, u(12), u(5), [u(1)], u(17), 1]], ['seal', [ctx, u(12), u(5), [u(1)], u(17), -1]], ['seal', [ctx, u(12), u(5), [u(1)], u(17), 0.5]],
    ['seal', [ctx, u(12), u(5), new Array(65).fill(u(0)), u(16), 0]], ['seal', [ctx, u(12), u(5), [u(1)], u(17)]],
    ['open', [ctx, u(12), u(5), u(10), u(15), u(10)]], ['open', [ctx, u(12), u(5), u(10), u(16), u(9)]], ['open', [ctx, u(13), u(5), u(10), u(16), u(10)]],
    ['open', [null, u(12), u(5), u(10), u(16), u(10)]], ['open', [ctx, u(12), u(5), new DataView(new ArrayBuffer(10)), u(16), u(10)]],
  ];
  for (const [name, args] of calls) {
    let threw: unknown;
    try { addon[name]!(...args); } catch (e) { threw = e; }
    assert.ok(threw instanceof TypeError || threw instanceof RangeError, `${name}(${args.map((a) => (a instanceof Uint8Array ? `u8[${a.length}]` : typeof a)).join(', ')}) threw ${String(threw)}`);
  }
  const ct = new Uint8Array(26);
  const overlapping = ct.subarray(1, 11);
  let threw: unknown;
  try { addon.open!(ctx, u(12), u(5), ct.subarray(0, 10), u(16), overlapping); } catch (e) { threw = e; }
  assert.instance(threw, RangeError, 'an output that partly overlaps the ciphertext is refused');
  assert.is(addon.open!(ctx, u(12), u(5), u(10), u(16), u(10)), false, 'a wrong tag is false, not an exception');
});

test('HMAC and HKDF-Extract (async and sync) give node:crypto\'s bytes for SHA-256 and SHA-384 at every key and data length, the fallbacks included', async () => {
  const bytes = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
  // Keys from 0 (the base answers) past both block sizes; data up to past the 960 bytes the scratch holds with the key.
  for (const hash of ['sha256', 'sha384'] as const) {
    for (const keyLength of [0, 1, 31, 32, 48, 64, 65, 128, 129, 300]) {
      for (const dataLength of [0, 1, 55, 64, 500, 960 - keyLength, 961 - keyLength, 5000]) {
        if (dataLength < 0) continue;
        const key = bytes(keyLength, keyLength), data = bytes(dataLength, dataLength + 1);
        const want = hex(await node.hmac(hash, key, data));
        const what = `${hash} key ${keyLength} data ${dataLength}`;
        assert.is(hex(await native.hmac(hash, key, data)), want, `${what} hmac`);
        assert.is(hex(native.hmacSync!(hash, key, data)), want, `${what} hmacSync`);
        assert.is(hex(await native.hkdfExtract(hash, key, data)), hex(await node.hkdfExtract(hash, key, data)), `${what} hkdfExtract`);
        assert.is(hex(native.hkdfExtractSync!(hash, key, data)), hex(await node.hkdfExtract(hash, key, data)), `${what} hkdfExtractSync`);
      }
    }
  }
  // The inputs are the caller's to keep: nothing is written into them.
  const key = bytes(32, 7), data = bytes(40, 9);
  native.hmacSync!('sha256', key, data);
  assert.is(hex(key), hex(bytes(32, 7)));
  assert.is(hex(data), hex(bytes(40, 9)));
});

test('HMAC: the addon answers what fits its scratch, the base provider the rest (empty key, long input, other algorithms); misuse stays the base\'s typed error', async () => {
  const refused = (): never => { throw new CryptoError('CRYPTO_UNSUPPORTED_ALGORITHM', 'local', 'base asked'); };
  const base = { ...createNodeProvider(), hmac: async () => refused(), hmacSync: refused, hkdfExtract: async () => refused(), hkdfExtractSync: refused };
  const p = createNativeProvider({ base });
  const key = new Uint8Array(32).fill(1), data = new Uint8Array(100).fill(2);
  assert.is(hex(p.hmacSync!('sha384', key, data)), hex(await node.hmac('sha384', key, data)), 'the addon, not the base');
  assert.is(hex(await p.hkdfExtract('sha256', new Uint8Array(0), data)), hex(await node.hkdfExtract('sha256', new Uint8Array(0), data)), 'an empty salt is HashLen zeros, by the addon');
  assert.is((await err(() => p.hmacSync!('sha256', new Uint8Array(0), data))).message, 'base asked');
  assert.is((await err(() => p.hmac('sha256', key, new Uint8Array(2000)))).message, 'base asked');
  assert.is((await err(() => p.hmacSync!('sha512' as never, key, data))).message, 'base asked');
  assert.is((await err(() => native.hmacSync!('md5' as never, key, data))).code, 'CRYPTO_UNSUPPORTED_ALGORITHM', 'the node base refuses an unknown hash with its own code');
  // Without synchronous forms in the base, none in the composition (the base could not answer synchronously).
  const asyncBase = { ...createNodeProvider(), hmacSync: undefined, hkdfExtractSync: undefined };
  const q = createNativeProvider({ base: asyncBase });
  assert.is(q.hmacSync, undefined);
  assert.is(q.hkdfExtractSync, undefined);
  assert.is(hex(await q.hmac('sha256', key, data)), hex(await node.hmac('sha256', key, data)));
});

test('HMAC in a worker thread: each thread has the addon\'s HMAC contexts of its own, and gets the same bytes', async () => {
  const url = new URL('../../runtime/crypto/native/index.ts', import.meta.url).href;
  const code = `
    const { parentPort } = require('node:worker_threads');
    import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); }).then(({ createNativeProvider }) => {
      const p = createNativeProvider();
      const out = [];
      for (let i = 0; i < 200; i++) out.push(Buffer.from(p.hmacSync(i % 2 ? 'sha384' : 'sha256', new Uint8Array(32).fill(i), new Uint8Array(i).fill(3))).toString('hex'));
      parentPort.postMessage(out);
    });`;
  const worker = new Worker(code, { eval: true });
  const fromWorker = new Promise<string[]>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  // The main thread keeps computing while the worker does (two environments, one addon).
  const here: string[] = [];
  for (let i = 0; i < 200; i++) here.push(hex(native.hmacSync!(i % 2 ? 'sha384' : 'sha256', new Uint8Array(32).fill(i), new Uint8Array(i).fill(3))));
  const there = await fromWorker;
  await worker.terminate();
  assert.equal(there, here);
  assert.is(here[5], hex(await node.hmac('sha384', new Uint8Array(32).fill(5), new Uint8Array(5).fill(3))));
});

test('record protection over the native provider: sealIntoSync writes seal()\'s records (padding too) and shares one sequence number with the other forms', async () => {
  for (const suite of SUITES) {
    const params = cipherSuiteParams(suite)!;
    const secret = new Uint8Array(params.hashLength).fill(suite & 0xff);
    const a = await RecordProtection.fromSecret(native, params, secret);
    const b = await RecordProtection.fromSecret(node, params, secret);
    assert.ok(a.synchronousInto, 'native keys seal into the caller\'s buffer');
    assert.not.ok(b.synchronousInto, 'node keys do not (node:crypto returns fresh buffers)');
    const reader = await RecordProtection.fromSecret(node, params, secret);
    const content = new Uint8Array(3000).map((_, i) => i & 0xff);
    for (const [type, pad] of [[23, 0], [22, 7], [21, 100]] as const) {
      const want = hex(await b.seal(type, content, pad));
      const out = new Uint8Array(a.recordLength(content.length, pad) + 2);
      assert.is(a.sealIntoSync(type, content, pad, out, 1), want.length / 2);
      assert.is(hex(out.subarray(1, 1 + want.length / 2)), want, `type ${type}, padding ${pad}`);
      const opened = reader.openSync(out.subarray(1, 6), out.subarray(6, 1 + want.length / 2));
      assert.is(opened.type, type);
      assert.is(hex(opened.content), hex(content));
      const next = await a.seal(type, content, pad);
      assert.is(hex(next), hex(await b.seal(type, content, pad)), 'next sequence number, same bytes');
      assert.is(reader.openSync(next.subarray(0, 5), next.subarray(5)).type, type);
    }
    assert.is(a.sequence, 6n);
  }
});

test('TLS in memory: native client with node server, node client with native server, native with native; every suite, data both ways across many records', async () => {
  const big = new Uint8Array(200_000).map((_, i) => (i * 13) & 0xff);
  for (const suite of SUITES) {
    for (const [cp, sp] of [[native, node], [node, native], [native, native]] as const) {
      const p = await connect(clientConfig({ crypto: cp, cipherSuites: [suite] }), serverConfig('p256', { crypto: sp }));
      assert.is(p.client.state, 'CONNECTED', `${cp.name} client, ${sp.name} server, suite ${suite}`);
      p.serverEvents.length = 0;
      p.clientEvents.push(...await p.client.write(big));
      await pump(p);
      const got = Buffer.concat(p.serverEvents.filter((e) => e.type === 'data').map((e) => (e as { data: Uint8Array }).data));
      assert.is(got.length, big.length);
      assert.ok(got.equals(big), 'the server read what the client wrote');
      p.clientEvents.length = 0;
      p.serverEvents.push(...await p.server.write(text('pong')));
      await p.server.requestKeyUpdate(true);
      p.serverEvents.push(...await p.server.write(text(' after key update')));
      await pump(p);
      assert.is(dataOf(p.clientEvents), 'pong after key update');
    }
  }
});

test.run();
