// fast-check arbitraries of WIRE BYTES for TLS 1.3 messages, written from RFC 8446 (not from the specs),
// so they can check both the generated codecs and Kaitai's parsers: every value they produce is an in-bounds
// encoding of the named structure. Known code points are favoured, unknown ones appear too (open enums).
import fc from 'fast-check';

type Bytes = fc.Arbitrary<Uint8Array>;

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const be = (width: number, v: number): Uint8Array => {
  const out = new Uint8Array(width);
  for (let i = width - 1; i >= 0; i--) { out[i] = v & 0xff; v = Math.floor(v / 256); }
  return out;
};

export const cat = (...parts: Bytes[]): Bytes => fc.tuple(...parts).map(concat);
export const fixed = (...b: number[]): Bytes => fc.constant(Uint8Array.from(b));
export const uint = (width: number, arb: fc.Arbitrary<number>): Bytes => arb.map((v) => be(width, v));
export const u8 = (min = 0, max = 0xff): Bytes => uint(1, fc.integer({ min, max }));
export const u16 = (min = 0, max = 0xffff): Bytes => uint(2, fc.integer({ min, max }));
export const u32 = (): Bytes => uint(4, fc.integer({ min: 0, max: 0xffffffff }));
/** An open enum: mostly registered values, sometimes any value of the width. */
export const openEnum = (width: number, known: readonly number[]): Bytes =>
  uint(width, fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** (8 * width) - 1 }) }));
export const opaque = (min: number, max: number): Bytes => fc.uint8Array({ minLength: min, maxLength: max });
/** A length-prefixed vector `<min..max>`: length field of `width` bytes, then the body. */
export const vec = (width: number, body: Bytes, min = 0, max = 2 ** (8 * width) - 1): Bytes =>
  body.filter((b) => b.length >= min && b.length <= max).map((b) => concat([be(width, b.length), b]));
/** A vector of items, with at least `minItems` items. */
export const list = (width: number, item: Bytes, minItems: number, maxItems: number, minBytes = 0, maxBytes = 2 ** (8 * width) - 1): Bytes =>
  vec(width, fc.array(item, { minLength: minItems, maxLength: maxItems }).map(concat), minBytes, maxBytes);

export const CH = 1, SH = 2, NST = 4, EE = 8, CT = 11, CR = 13, HRR = 6;
export type Context = typeof CH | typeof SH | typeof NST | typeof EE | typeof CT | typeof CR | typeof HRR;

const GROUPS = [23, 24, 25, 29, 30, 256, 257, 0x11ec];
const SCHEMES = [0x0401, 0x0403, 0x0501, 0x0503, 0x0601, 0x0804, 0x0805, 0x0806, 0x0807, 0x0808, 0x0809, 0x0203];
const SUITES = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];
const empty = fc.constant(new Uint8Array(0));

const keyShareEntry = cat(openEnum(2, GROUPS), vec(2, opaque(1, 70), 1));

/** extension_data of extension `type` in message context `ctx` (RFC 8446 §4.2 and the RFCs it cites). */
function extensionData(type: number, ctx: Context): Bytes {
  switch (type) {
    case 0: return ctx === CH ? list(2, cat(fixed(0), vec(2, opaque(1, 20), 1)), 1, 3, 1) : empty;
    case 5:
      if (ctx === CH) return fc.oneof(cat(fixed(1), list(2, vec(2, opaque(1, 8), 1), 0, 2), vec(2, opaque(0, 8))), u8(2, 255));
      if (ctx === CT) return fc.oneof(cat(fixed(1), vec(3, opaque(1, 40), 1)), u8(2, 255));
      return empty;
    case 10: return list(2, openEnum(2, GROUPS), 1, 8, 2);
    case 13: case 50: return list(2, openEnum(2, SCHEMES), 1, 12, 2, 65534);
    case 16: return list(2, vec(1, opaque(1, 12), 1), 1, 3, 2);
    case 21: return fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => b.fill(0));
    case 28: return u16(64);
    case 0xff01: return vec(1, opaque(0, 24));
    case 41:
      if (ctx === CH) return cat(list(2, cat(vec(2, opaque(1, 40), 1), u32()), 1, 3, 7), list(2, vec(1, opaque(32, 48), 32), 1, 3, 33));
      return ctx === SH ? u16() : empty;
    case 42: return ctx === NST ? u32() : empty;
    case 43:
      if (ctx === CH) return list(1, openEnum(2, [0x0304, 0x0303, 0x0302]), 1, 6, 2, 254);
      return ctx === SH || ctx === HRR ? openEnum(2, [0x0304]) : empty;
    case 44: return vec(2, opaque(1, 60), 1);
    case 45: return list(1, openEnum(1, [0, 1]), 1, 3, 1);
    case 47: return list(2, vec(2, opaque(1, 30), 1), 1, 3, 3);
    case 49: return empty;
    case 51:
      if (ctx === CH) return list(2, keyShareEntry, 0, 3);
      if (ctx === SH) return keyShareEntry;
      return ctx === HRR ? openEnum(2, GROUPS) : empty;
    case 19: case 20:
      if (ctx === CH) return list(1, openEnum(1, [0, 2]), 1, 4, 1);
      return ctx === EE ? openEnum(1, [0, 2]) : empty;
    default: return opaque(0, 30); // not described by the specs: kept raw
  }
}

/** Extension types the specs describe, and some they keep raw (session_ticket, GREASE, SCT, ECH, QUIC...). */
const KNOWN_TYPES = [0, 5, 10, 13, 16, 19, 20, 21, 28, 41, 42, 43, 44, 45, 47, 49, 50, 51, 0xff01];
const RAW_TYPES = [35, 18, 57, 0x0a0a, 0x1a1a, 0xfe0d, 0xfd00, 48];

export const extension = (ctx: Context): Bytes =>
  fc.constantFrom(...KNOWN_TYPES, ...RAW_TYPES).chain((type) => cat(u16(type, type), vec(2, extensionData(type, ctx))));

export const extensionsBlock = (ctx: Context, minBytes = 0, maxItems = 6): Bytes =>
  list(2, extension(ctx), 0, maxItems, minBytes);

export const HRR_RANDOM_BYTES = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

export const clientHello: Bytes = cat(
  fixed(3, 3), opaque(32, 32), vec(1, opaque(0, 32), 0, 32),
  list(2, openEnum(2, SUITES), 1, 6, 2, 65534), vec(1, opaque(1, 3), 1), extensionsBlock(CH, 8),
);

export const serverHello: Bytes = fc.boolean().chain((hrr) => cat(
  fixed(3, 3), hrr ? fc.constant(HRR_RANDOM_BYTES) : opaque(32, 32), vec(1, opaque(0, 32), 0, 32),
  openEnum(2, SUITES), fixed(0), extensionsBlock(hrr ? HRR : SH, 6),
));

export const encryptedExtensions: Bytes = extensionsBlock(EE);
export const certificateRequest: Bytes = cat(vec(1, opaque(0, 8)), extensionsBlock(CR, 2));
export const certificate: Bytes = cat(vec(1, opaque(0, 8)), list(3, cat(vec(3, opaque(1, 120), 1), extensionsBlock(CT, 0, 2)), 0, 3));
export const certificateVerify: Bytes = cat(openEnum(2, SCHEMES), vec(2, opaque(0, 80)));
export const finished: Bytes = opaque(0, 64);
export const newSessionTicket: Bytes = cat(u32(), u32(), vec(1, opaque(0, 8)), vec(2, opaque(1, 60), 1), list(2, extension(NST), 0, 3, 0, 65534));
export const keyUpdate: Bytes = u8(0, 1);
export const messageHash: Bytes = opaque(0, 48);

/** A whole handshake message: msg_type, uint24 length, body. Unknown types carry raw bytes. */
export const handshake: Bytes = fc.oneof(
  ...([
    [1, clientHello], [2, serverHello], [4, newSessionTicket], [5, empty], [8, encryptedExtensions],
    [11, certificate], [13, certificateRequest], [15, certificateVerify], [20, finished], [24, keyUpdate],
    [254, messageHash], [fc.constantFrom(3, 7, 9, 30, 200), opaque(0, 40)],
  ] as const).map(([type, body]) => cat(typeof type === 'number' ? fixed(type) : u8().chain(() => type.map((t) => Uint8Array.of(t))), vec(3, body))),
);

export const alert: Bytes = cat(openEnum(1, [1, 2]), openEnum(1, [0, 10, 40, 42, 47, 50, 70, 80, 109, 116]));

/** A TLSPlaintext record: handshake bytes, an alert, ChangeCipherSpec, or opaque application data. */
export const tlsPlaintext: Bytes = fc.oneof(
  cat(fixed(22), u16(0x0301, 0x0303), vec(2, handshake, 0, 16640)),
  cat(fixed(21), fixed(3, 3), vec(2, alert)),
  cat(fixed(20), fixed(3, 3), fixed(0, 1, 1)),
  cat(uint(1, fc.oneof(fc.constantFrom(23, 24, 25), fc.integer({ min: 0, max: 255 }).filter((t) => t < 20 || t > 22))), fixed(3, 3), vec(2, opaque(0, 80))),
);

export const tlsCiphertext: Bytes = cat(fixed(23, 3, 3), vec(2, opaque(0, 300), 0, 16640));
