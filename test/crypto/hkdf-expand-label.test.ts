// HKDF-Expand-Label (RFC 8446 §7.1) through the engine's key schedule: outputs of at most one hash block
// (secrets, keys, IVs) are one provider HMAC over HkdfLabel || 0x01; longer ones go through hkdfExpand. Both
// paths are checked against RFC 8448 §3 values and an RFC 5869 reference, with every provider.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac } from 'node:crypto';
import { compose } from '../../runtime/crypto/compose.ts';
import { createNobleProvider } from '../../runtime/crypto/noble/index.ts';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { createWebCryptoProvider } from '../../runtime/crypto/webcrypto/index.ts';
import type { CryptoProvider, HashAlgorithm } from '../../runtime/crypto/provider.ts';
import { deriveSecret, exportKeyingMaterial, hkdfExpandLabel, trafficKeys } from '../../runtime/tls/keyschedule.ts';
import { cipherSuiteParams } from '../../runtime/crypto/provider.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 8448 §3 (Simple 1-RTT Handshake).
const EARLY_SECRET = hex('33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a');
const DERIVED = '6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba';
const HANDSHAKE_SECRET = hex('1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac');
const HELLO_HASH = hex('860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8');
const C_HS_TRAFFIC = 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21';
const S_HS_TRAFFIC = 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38';
const S_HS_KEY = '3fce516009c21727d0f2e4e86ee403bc';
const S_HS_IV = '5d313eb2671276ee13000b30';

const providers: [string, () => CryptoProvider][] = [
  ['node', () => createNodeProvider()],
  ['noble', () => createNobleProvider()],
  ['webcrypto', () => createWebCryptoProvider()],
];

/** The provider, with a count of its hmac (async or, where it has one, sync form) and hkdfExpand calls. */
function counted(p: CryptoProvider): { p: CryptoProvider; calls: { hmac: number; hmacSync: number; hkdfExpand: number } } {
  const calls = { hmac: 0, hmacSync: 0, hkdfExpand: 0 };
  const hmacSync = p.hmacSync?.bind(p);
  return {
    calls,
    p: compose(p, {
      name: p.name,
      hmac: (a, k, d) => { calls.hmac++; return p.hmac(a, k, d); },
      ...(hmacSync ? { hmacSync: (a: HashAlgorithm, k: Uint8Array, d: Uint8Array) => { calls.hmacSync++; return hmacSync(a, k, d); } } : {}),
      hkdfExpand: (a, k, i, l) => { calls.hkdfExpand++; return p.hkdfExpand(a, k, i, l); },
    }),
  };
}

/** Whether `name`'s provider has the synchronous forms (the key schedule then makes no promise per step). */
const synchronous = (name: string): boolean => name !== 'webcrypto';

for (const [name, make] of providers) {
  test(`${name}: RFC 8448 §3 derived, handshake traffic secrets, and the server handshake key and IV, each one HMAC`, async () => {
    const { p, calls } = counted(make());
    const empty = createHash('sha256').digest();
    // A synchronous provider's schedule returns values, an asynchronous one's promises; both are awaited alike.
    assert.is(deriveSecret(p, 'sha256', EARLY_SECRET, 'derived', empty) instanceof Promise, !synchronous(name));
    calls.hmac = calls.hmacSync = 0;
    assert.is(toHex(await deriveSecret(p, 'sha256', EARLY_SECRET, 'derived', empty)), DERIVED);
    assert.is(toHex(await deriveSecret(p, 'sha256', HANDSHAKE_SECRET, 'c hs traffic', HELLO_HASH)), C_HS_TRAFFIC);
    assert.is(toHex(await deriveSecret(p, 'sha256', HANDSHAKE_SECRET, 's hs traffic', HELLO_HASH)), S_HS_TRAFFIC);
    const keys = await trafficKeys(p, cipherSuiteParams(0x1301)!, hex(S_HS_TRAFFIC));
    assert.is(toHex(keys.key), S_HS_KEY);
    assert.is(toHex(keys.iv), S_HS_IV);
    assert.is(keys.key.length, 16);
    assert.is(keys.iv.length, 12);
    assert.equal(calls, synchronous(name) ? { hmac: 0, hmacSync: 5, hkdfExpand: 0 } : { hmac: 5, hmacSync: 0, hkdfExpand: 0 },
      'each output of at most Hash.length bytes is one HMAC, in the synchronous form where the provider has it');
  });

  test(`${name}: outputs longer than one hash block go through hkdfExpand and equal RFC 5869's T(1) || T(2) || ...`, async () => {
    const { p, calls } = counted(make());
    for (const [hash, length] of [['sha256', 33], ['sha256', 100], ['sha384', 49], ['sha384', 200]] as const) {
      const secret = new Uint8Array(hash === 'sha256' ? 32 : 48).fill(0x42);
      const context = Uint8Array.of(1, 2, 3);
      const got = await hkdfExpandLabel(p, hash, secret, 'exporter', context, length);
      const label = Buffer.from('tls13 exporter');
      const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, label.length]), label, Buffer.from([context.length]), context]);
      let t = Buffer.alloc(0);
      let okm = Buffer.alloc(0);
      for (let i = 1; okm.length < length; i++) {
        t = createHmac(hash, secret).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
        okm = Buffer.concat([okm, t]);
      }
      assert.is(toHex(got), toHex(okm.subarray(0, length)), `${hash} L=${length}`);
    }
    assert.equal(calls, { hmac: 0, hmacSync: 0, hkdfExpand: 4 });
  });

  test(`${name}: a one-block output shorter than the hash (key, IV) and an exporter of 1..Hash.length bytes match RFC 5869`, async () => {
    const p = make();
    const secret = new Uint8Array(48).fill(7);
    for (const length of [1, 12, 16, 32, 47, 48]) {
      const got = await exportKeyingMaterial(p, 'sha384', secret, 'EXPERIMENTAL test', Uint8Array.of(9), length);
      assert.is(got.length, length);
      // RFC 5869 reference: Derive-Secret(secret, label, "") then one HMAC block cut to `length` (Length is part
      // of HkdfLabel, so each length is its own derivation).
      const label = Buffer.from('tls13 EXPERIMENTAL test');
      const emptyHash = createHash('sha384').digest();
      const info1 = Buffer.concat([Buffer.from([0, 48, label.length]), label, Buffer.from([emptyHash.length]), emptyHash, Buffer.from([1])]);
      const derived = createHmac('sha384', secret).update(info1).digest();
      const ctxHash = createHash('sha384').update(Uint8Array.of(9)).digest();
      const exp = Buffer.from('tls13 exporter');
      const info2 = Buffer.concat([Buffer.from([length >> 8, length & 0xff, exp.length]), exp, Buffer.from([ctxHash.length]), ctxHash, Buffer.from([1])]);
      assert.is(toHex(got), createHmac('sha384', derived).update(info2).digest().subarray(0, length).toString('hex'), `L=${length}`);
    }
  });
}

test('compose(): a synchronous form comes with its operation, never around an override of it', async () => {
  const base = createNodeProvider();
  const kept = compose(base, { name: 'kept' });
  assert.type(kept.hmacSync, 'function');
  assert.type(kept.hkdfExtractSync, 'function');
  assert.is(toHex(await deriveSecret(kept, 'sha256', EARLY_SECRET, 'derived', createHash('sha256').digest())), DERIVED);
  // An overridden hmac: the base's hmacSync would bypass it, so the composed provider has none.
  let wrapped = 0;
  const hmacOnly = compose(base, { name: 'hmac-only', hmac: (a, k, d) => { wrapped++; return base.hmac(a, k, d); } });
  assert.is(hmacOnly.hmacSync, undefined);
  assert.type(hmacOnly.hkdfExtractSync, 'function', 'hkdfExtract was not overridden');
  assert.is(toHex(await deriveSecret(hmacOnly, 'sha256', EARLY_SECRET, 'derived', createHash('sha256').digest())), DERIVED);
  assert.is(wrapped, 1, 'the override was used');
  const extractOnly = compose(base, { name: 'extract-only', hkdfExtract: (a, s, i) => base.hkdfExtract(a, s, i) });
  assert.is(extractOnly.hkdfExtractSync, undefined);
  // Overrides that give the synchronous form too keep it.
  const both = compose(base, { name: 'both', hmac: (a, k, d) => base.hmac(a, k, d), hmacSync: (a, k, d) => { wrapped++; return base.hmacSync!(a, k, d); } });
  assert.is(toHex(await deriveSecret(both, 'sha256', EARLY_SECRET, 'derived', createHash('sha256').digest())), DERIVED);
  assert.is(wrapped, 2);
});

test('a provider HMAC of the wrong length is a typed provider failure, not a short key', async () => {
  const base = createNodeProvider();
  for (const broken of [
    compose(base, { name: 'broken', hmac: async () => new Uint8Array(31) }),
    compose(base, { name: 'broken-sync', hmacSync: () => new Uint8Array(31) }),
  ]) {
    try {
      await deriveSecret(broken, 'sha256', EARLY_SECRET, 'derived', new Uint8Array(32));
      assert.unreachable(`${broken.name}: a 31-byte HMAC was accepted`);
    } catch (e) {
      assert.is((e as { code?: string }).code, 'TLS_PROVIDER_FAILURE', broken.name);
      assert.is((e as { blame?: string }).blame, 'provider', broken.name);
    }
  }
});

test.run();
