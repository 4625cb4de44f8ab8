// Run by native-asan.test.ts in a node process with AddressSanitizer preloaded, against an ASan build of
// native/aead.c and native/hmac.c (path in argv[2]): every entry point with many lengths, splits and offsets, checked against
// node:crypto, then every kind of wrong argument. Any out-of-bounds access aborts the process with an ASan
// report; otherwise it prints what it ran and exits 0.
import { createRequire } from 'node:module';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';

const addon = createRequire(import.meta.url)(process.argv[2]);
const ALGS = [['aes-128-gcm', 16], ['aes-256-gcm', 32], ['chacha20-poly1305', 32]];
let seeded = 1;
const rand = (n) => { seeded = (seeded * 1103515245 + 12345) & 0x7fffffff; return seeded % n; };
let roundTrips = 0;
for (let id = 0; id < ALGS.length; id++) {
  const [name, keyLength] = ALGS[id];
  const key = randomBytes(keyLength);
  const ctx = addon.create(id, key);
  for (let i = 0; i < 300; i++) {
    const length = i < 40 ? i : rand(i % 10 === 0 ? 70000 : 17000);
    const pt = randomBytes(length);
    const nonce = randomBytes(12);
    const aad = randomBytes(rand(30));
    const c = createCipheriv(name, key, nonce, { authTagLength: 16 });
    c.setAAD(aad);
    const want = Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
    // The plaintext in up to four parts, sealed at an offset into a larger buffer.
    const cuts = [0, rand(length + 1), rand(length + 1), rand(length + 1), length].sort((a, b) => a - b);
    const parts = cuts.slice(1).map((end, k) => pt.subarray(cuts[k], end));
    const offset = rand(64);
    const out = new Uint8Array(offset + length + 16 + rand(64));
    addon.seal(ctx, nonce, aad, parts, out, offset);
    if (Buffer.compare(Buffer.from(out.subarray(offset, offset + length + 16)), want) !== 0) throw new Error(`${name}: seal differs at length ${length}`);
    const back = new Uint8Array(length + rand(16));
    if (!addon.open(ctx, nonce, aad, want.subarray(0, length), want.subarray(length), back)) throw new Error(`${name}: open failed at length ${length}`);
    if (Buffer.compare(Buffer.from(back.subarray(0, length)), pt) !== 0) throw new Error(`${name}: open differs at length ${length}`);
    // In place (the output is the ciphertext itself).
    const inPlace = Uint8Array.from(want.subarray(0, length));
    if (!addon.open(ctx, nonce, aad, inPlace, want.subarray(length), inPlace)) throw new Error(`${name}: in-place open failed`);
    const bad = Uint8Array.from(want);
    if (length > 0) bad[rand(length)] ^= 1; else bad[length] ^= 1;
    if (addon.open(ctx, nonce, aad, bad.subarray(0, length), bad.subarray(length), new Uint8Array(length))) throw new Error(`${name}: a tampered record opened`);
    roundTrips++;
  }
}
// HMAC through a scratch buffer (key || data at its start, the result in its last 64 bytes): keys of 1 to 200
// bytes (longer than SHA-256's and SHA-384's blocks too), data up to what the scratch holds, scratches of several
// sizes, each result checked against node:crypto.
let hmacs = 0;
for (const size of [128, 200, 1024, 4096]) {
  const scratch = new Uint8Array(size);
  for (let i = 0; i < 150; i++) {
    const alg = i % 2;
    const room = size - 64;
    const keyLength = 1 + rand(Math.min(200, room));
    const dataLength = i === 0 ? room - keyLength : rand(room - keyLength + 1);
    const key = randomBytes(keyLength);
    const data = randomBytes(dataLength);
    scratch.set(key, 0);
    scratch.set(data, keyLength);
    addon.hmac(scratch, alg, keyLength, dataLength);
    const want = createHmac(alg === 0 ? 'sha256' : 'sha384', key).update(data).digest();
    if (Buffer.compare(Buffer.from(scratch.subarray(size - 64, size - 64 + want.length)), want) !== 0) throw new Error(`hmac ${alg} differs: key ${keyLength}, data ${dataLength}, scratch ${size}`);
    hmacs++;
  }
}

// Each length and range check, crossed by one byte with every other argument right. The buffers are views at
// the very end of their own ArrayBuffers of more than 64 bytes (V8 keeps smaller ones inside its heap, where
// ASan cannot see an overrun): without the check, the addon would read or write one byte past the end.
const tail = (n) => new Uint8Array(200).subarray(200 - n);
const directed = [
  ['seal: out one byte short', () => addon.seal(ctx0(), tail(12), tail(5), [tail(100)], tail(115), 0)],
  ['seal: offset pushes the tag past the end', () => addon.seal(ctx0(), tail(12), tail(5), [tail(100)], tail(116), 1)],
  ['seal: 11-byte nonce', () => addon.seal(ctx0(), tail(11), tail(5), [tail(100)], tail(116), 0)],
  ['open: out one byte short', () => addon.open(ctx0(), tail(12), tail(5), tail(100), tail(16), tail(99))],
  ['open: 15-byte tag', () => addon.open(ctx0(), tail(12), tail(5), tail(100), tail(15), tail(100))],
  ['open: 11-byte nonce', () => addon.open(ctx0(), tail(11), tail(5), tail(100), tail(16), tail(100))],
  ['create: 15-byte key for AES-128', () => addon.create(0, tail(15))],
  ['create: 31-byte key for ChaCha20', () => addon.create(2, tail(31))],
  ['hmac: key and data one byte past the room before the result', () => addon.hmac(tail(200), 0, 100, 37)],
  ['hmac: empty key', () => addon.hmac(tail(200), 1, 0, 10)],
  ['hmac: scratch one byte under 128', () => addon.hmac(tail(127), 0, 1, 1)],
];
function ctx0() { return addon.create(0, new Uint8Array(16)); }
for (const [what, call] of directed) {
  let threw;
  try { call(); } catch (e) { threw = e; }
  if (!(threw instanceof TypeError || threw instanceof RangeError)) throw new Error(`${what}: not refused (${threw})`);
}

// Wrong arguments of every kind: each must be a thrown TypeError/RangeError, never a memory access.
const u = (n) => new Uint8Array(n);
const ctx = addon.create(0, u(16));
const values = [undefined, null, 0, -1, 1.5, NaN, 2 ** 40, 'x', {}, [], u(0), u(5), u(11), u(12), u(13), u(16), u(17), u(128), u(200), new Uint16Array(8), new DataView(new ArrayBuffer(16)), ctx];
let refused = 0;
for (let i = 0; i < 4000; i++) {
  const fn = ['create', 'seal', 'open', 'hmac'][i % 4];
  const n = fn === 'create' ? 2 : fn === 'hmac' ? 4 : 6;
  const args = Array.from({ length: n }, () => values[rand(values.length)]);
  if (fn === 'seal' && rand(2)) args[3] = Array.from({ length: rand(4) }, () => values[rand(values.length)]);
  if ((fn === 'seal' || fn === 'open') && rand(2)) args[0] = ctx;
  if (fn === 'hmac' && rand(2)) args[0] = u(128 + rand(200));
  try { addon[fn](...args); } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) throw new Error(`${fn} threw ${e}`);
    refused++;
  }
}
console.log(`asan driver: ${roundTrips} round trips, ${hmacs} hmacs, ${directed.length} one-byte-over calls refused, ${refused} of 4000 wrong calls refused`);
