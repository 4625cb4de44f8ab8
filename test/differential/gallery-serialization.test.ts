// Differential test on serialization specs of the Kaitai format gallery (test/differential/gallery/
// serialization, adapted with their licenses noted in gallery/README.md): kaitai-struct-compiler 0.11
// (JavaScript) and protosmith compile the same .ksy files; on hand-built sample bytes both decoders must agree
// on every field and value instance, and encode(decode(x)) must give x back. fast-check then round-trips
// values drawn from the IR, and mutated samples, through both decoders.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { join } from 'node:path';
import type { TypeDef } from '../../generator/codec/ir.ts';
import { DecodeError, EncodeError, Reader } from '../../runtime/codec/index.ts';
import { arbitraryBounded, sameOn } from '../codec/arbitrary.ts';
import { loadKaitaiSpecs, type KaitaiModules, type KaitaiObject } from './kaitai.ts';
import { compileGallery, derivedFields, GALLERY, hex, makeAgree, assertMutatedSamples, type Decode, type Encode } from './gallery-support.ts';

const SPECS = ['msgpack', 'bson', 'ruby_marshal', 'php_serialized_value', 'python_pickle', 'asn1_der', 'google_protobuf'];
// microsoft_cfb is decode-only (pos instances) and reads past its seq: tested on its own below
const paths = [...SPECS, 'microsoft_cfb'].map((s) => join(GALLERY, 'serialization', `${s}.ksy`));

fc.configureGlobal({ endOnFailure: process.env.FC_SHRINK === undefined });

const { program, problems, modules } = await compileGallery(paths, 'gallery-ser-');
const ours = new Map<string, { decode: Decode; encode: Encode; type: TypeDef }>();
let cfbModule: { readMicrosoftCfb: (r: Reader) => unknown; encodeMicrosoftCfb: (v: unknown) => Uint8Array } | undefined;
for (const spec of program.specs) {
  const mod = modules.get(spec.id)!;
  const type = program.types.get(spec.root!)!;
  ours.set(spec.id, { decode: mod[`decode${type.tsName}`] as Decode, encode: mod[`encode${type.tsName}`] as Encode, type });
  if (spec.id === 'microsoft_cfb') cfbModule = mod as unknown as typeof cfbModule;
}

let kaitai: KaitaiModules;
test.before(async () => {
  kaitai = await loadKaitaiSpecs(paths, GALLERY);
});
test.after(() => kaitai.dispose());

/**
 * What Kaitai's JavaScript runtime returns for a u8/s8 we read as the exact bigint x: a number, from its own
 * arithmetic on the two 32-bit halves. (Rounded beyond 2^53; and a negative s8 whose low half is below 2^31
 * comes out 2^32 too high, -2^32 as 0: its `lo ^ 0xffffffff` is a negative int32 there.)
 */
function kaitaiInt64(x: bigint): number {
  const u = BigInt.asUintN(64, x);
  const hi = Number(u >> 32n);
  const lo = Number(u & 0xffffffffn);
  return x < 0n ? -(0x100000000 * (hi ^ 0xffffffff) + (lo ^ 0xffffffff)) - 1 : 0x100000000 * hi + lo;
}

// (NaN: PHP's `i:y2;` gives NaN in both, from the same parseInt)
const agree = makeAgree({ derived: derivedFields(program, { params: false }), bigint: kaitaiInt64, nanEqual: true });

function both(id: string, bytes: Uint8Array): { o: Record<string, unknown>; k: KaitaiObject } {
  const cls = kaitai.classes[id]!;
  return { o: ours.get(id)!.decode(bytes), k: new cls(kaitai.stream(bytes), null, null) };
}

// ---- samples, built here from their parts
const b = (s: string): string => s.replace(/\s+/g, '');
const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const le32 = (n: number): string => { const x = Buffer.alloc(4); x.writeInt32LE(n); return x.toString('hex'); };
const le64 = (n: bigint): string => { const x = Buffer.alloc(8); x.writeBigInt64LE(n); return x.toString('hex'); };
const f64le = (n: number): string => { const x = Buffer.alloc(8); x.writeDoubleLE(n); return x.toString('hex'); };

// msgpack (https://github.com/msgpack/msgpack/blob/master/spec.md): one value per sample
const msgpack: [string, string][] = [
  ['positive fixint 1', '01'],
  ['negative fixint -32 (0xe0)', 'e0'],
  ['uint 8/16/32 in an array', '93 cc c8 cd 1234 ce deadbeef'],
  ['uint 64, the largest', 'cf ffffffffffffffff'],
  ['int 8/16/32/64 in an array', '94 d0 80 d1 ff85 d2 80000000 d3 ffffffffffffff85'],
  ['float 32 and float 64 (pi)', '92 ca 40490fdb cb 400921fb54442d18'],
  ['nil, false, true', '93 c0 c2 c3'],
  ['fixstr, str 8/16/32 (UTF-8)', `94 a5 ${utf8('hello')} d9 03 ${utf8('éx')} da 0002 ${utf8('hi')} db 00000001 ${utf8('A')}`],
  ['array 16 and array 32, nested', '92 dc 0002 c0 e1 dd 00000001 90'],
  ['fixmap {"a": 1, "b": [false, 1.5]}', `82 a1 ${utf8('a')} 01 a1 ${utf8('b')} 92 c2 cb 3ff8000000000000`],
  ['map 16 and map 32', 'de 0002 a0 80 df 00000001 01 02 01'],
  ['a byte this spec gives no case (0xc1): nothing more read', 'c1'],
];

// BSON (https://bsonspec.org/spec.html): documents with their lengths computed from their parts
const cstr = (s: string): string => `${utf8(s)}00`;
const bstr = (s: string): string => `${le32(Buffer.byteLength(s) + 1)}${cstr(s)}`;
const el = (type: number, name: string, content = ''): string => `${type.toString(16).padStart(2, '0')}${cstr(name)}${b(content)}`;
const doc = (...els: string[]): string => { const body = els.join(''); return `${le32(body.length / 2 + 5)}${body}00`; };
const objectId = '5f1d7a3b 0a1b2c 3d4e 5f6071';
const scopeDoc = doc(el(0x10, 'x', le32(1)));
const bson: [string, string][] = [
  ['{"hello": "world"}', doc(el(0x02, 'hello', bstr('world')))],
  ['scalars: double, int32, int64, bool, UTC datetime, timestamp, object id', doc(
    el(0x01, 'pi', f64le(3.14159)), el(0x10, 'i', le32(-7)), el(0x12, 'l', le64(1n << 40n)), el(0x08, 't', '01'),
    el(0x09, 'when', le64(1700000000000n)), el(0x11, 'ts', `${le32(3)}${le32(1700000000)}`), el(0x07, '_id', objectId))],
  ['types with no content: null, undefined, min key (0xff), max key', doc(el(0x0a, 'n'), el(0x06, 'u'), el(0xff, 'min'), el(0x7f, 'max'))],
  ['strings: JavaScript, symbol, regex, UTF-8 name and value', doc(
    el(0x0d, 'js', bstr('x => x + 1')), el(0x0e, 'sym', bstr('s')), el(0x0b, 're', `${cstr('^a.*$')}${cstr('im')}`), el(0x02, 'grüße', bstr('naïve')))],
  ['nested document and array', doc(el(0x03, 'd', doc(el(0x10, 'a', le32(1)))), el(0x04, 'arr', doc(el(0x02, '0', bstr('red')), el(0x02, '1', bstr('blue')))))],
  ['binary data: generic, UUID, and the deprecated byte array with its own length', doc(
    el(0x05, 'g', `${le32(3)} 00 010203`), el(0x05, 'u', `${le32(16)} 04 00112233445566778899aabbccddeeff`), el(0x05, 'old', `${le32(6)} 02 ${le32(2)} abcd`))],
  ['DB pointer and code with scope', doc(
    el(0x0c, 'ptr', `${bstr('db.coll')}${objectId}`),
    el(0x0f, 'code', `${le32(4 + bstr('f(x)').length / 2 + scopeDoc.length / 2)}${bstr('f(x)')}${scopeDoc}`))],
  ['an empty document', doc()],
];

// Ruby Marshal 4.8 (https://docs.ruby-lang.org/en/2.4.0/marshal_rdoc.html)
const ruby: [string, string][] = [
  ['nil', '0408 30'],
  ['true in an array with false', '0408 5b 07 54 46'],
  ['fixnums 0, 1, 122, -1, -123', '0408 5b 0a 69 00 69 06 69 7f 69 fa 69 80'],
  ['fixnums of 1, 2, 3 and 4 extra bytes, both signs', '0408 5b 0d 69 01 c8 69 02 3412 69 03 563412 69 04 78563412 69 ff 38 69 fe 00ff 69 fd 000000 69 fc 00000040'],
  ['a string with its encoding as an instance variable', '0408 49 22 08 616263 06 3a 06 45 54'],
  ['a hash {:a => 1, "b" => [nil]} and symbol and object links', '0408 5b 08 7b 07 3a 06 61 69 06 22 06 62 5b 06 30 3b 00 40 06'],
  ['a bignum (+2^30)', '0408 6c 2b 07 00000040'],
  ['a struct Foo with member a = 1', '0408 53 3a 08 466f6f 06 3a 06 61 69 06'],
];

// PHP serialize() output, written as text
const php: string[] = ['i:42;', 'i:-7;', 'b:1;', 'b:0;', 'N;', 'd:0.5;', 'd:INF;', 's:5:"hello";', 's:2:"é";', 'S:2:"hi";',
  'a:2:{i:0;s:1:"a";i:1;b:0;}', 'O:3:"Foo":1:{s:1:"x";i:5;}', 'C:3:"Bar":4:{abcd}', 'R:2;', 'r:1;', 'o:0:{}',
  'a:1:{s:1:"k";a:1:{i:0;N;}}'];

// Python pickles of [1, -300, 2**70, 'abc', None, True, 1.5, (1, 2), {'k': 2}] (protocols 0, 1) and of a richer
// list (protocols 2 to 5), as CPython 3 writes them; and a protocol 5 bytearray (BYTEARRAY8, FRAME)
const pickles: [string, string][] = [
  ['protocol 0 (text opcodes, newline-terminated arguments)', '286c70300a49310a61492d3330300a614c313138303539313632303731373431313330333432344c0a61566162630a70310a614e614930310a6146312e350a612849310a49320a7470320a61286470330a566b0a70340a49320a73612e'],
  ['protocol 1', '5d7100284b014ad4feffff4c313138303539313632303731373431313330333432344c0a580300000061626371014e4930310a473ff8000000000000284b014b027471027d710358010000006b71044b0273652e'],
  ['protocol 2', '80025d7100284b014ad4feffff4a701101008a0900000000000000004058010000006171015806000000c3a9c3a9c3a971024e8889473ff8000000000000635f636f646563730a656e636f64650a710358020000007879710458060000006c6174696e3171058671065271074b018571084b014b028671094b014b024b0387710a7d710b58010000006b710c635f5f6275696c74696e5f5f0a7365740a710d5d710e284b014b026585710f52711073635f5f6275696c74696e5f5f0a66726f7a656e7365740a71115d71124b0361857113527114652e'],
  ['protocol 3', '80035d7100284b014ad4feffff4a701101008a0900000000000000004058010000006171015806000000c3a9c3a9c3a971024e8889473ff80000000000004302787971034b018571044b014b028671054b014b024b038771067d710758010000006b7108636275696c74696e730a7365740a71095d710a284b014b026585710b52710c73636275696c74696e730a66726f7a656e7365740a710d5d710e4b036185710f527110652e'],
  ['protocol 4 (FRAME, MEMOIZE, EMPTY_SET)', '80049560000000000000005d94284b014ad4feffff4a701101008a090000000000000000408c0161948c06c3a9c3a9c3a9944e8889473ff800000000000043027879944b0185944b014b0286944b014b024b0387947d948c016b948f94284b014b029073284b039194652e'],
  ['protocol 5 bytearray', '8005950d000000000000009602000000000000006162942e'],
];

// ASN.1 DER: SEQUENCE { OID 1.2.840.113549, UTF8String "hello!", PrintableString "Hi", INTEGER 5, SET { NULL } },
// and the two long length forms (0x81 nn, 0x82 nnnn)
const asn1: [string, string][] = [
  ['a sequence of an OID, two strings, an integer and a set', '30 1b 06 06 2a864886f70d 0c 06 68656c6c6f21 13 02 4869 02 01 05 31 02 05 00'],
  ['an OCTET STRING of 128 bytes (length 0x81 0x80)', `04 81 80 ${'ab'.repeat(128)}`],
  ['a UTF8String of 256 bytes (length 0x82 0x0100)', `0c 82 0100 ${utf8('é'.repeat(128))}`],
];

// Protocol Buffers wire format: key (field << 3 | wire type) then the value, as varints where the format says
const varint = (n: bigint): string => { let h = ''; do { const g = Number(n & 0x7fn); n >>= 7n; h += (n > 0n ? g | 0x80 : g).toString(16).padStart(2, '0'); } while (n > 0n); return h; };
const pbKey = (field: number, wire: number): string => varint(BigInt(field * 8 + wire));
const protobuf: [string, string][] = [
  ['field 1 = 150 (the encoding guide\'s example)', '08 96 01'],
  ['a string, a fixed64, a fixed32', `${pbKey(2, 2)} 03 ${utf8('abc')} ${pbKey(3, 1)} ffffffffffffff7f ${pbKey(4, 5)} 78563412`],
  ['a two-byte key (field 100) and varints of 2 to 8 groups', `${pbKey(100, 0)} 01 ${[2, 3, 4, 5, 6, 7, 8].map((g) => `${pbKey(1, 0)}${varint((1n << BigInt(7 * g - 7)) + 5n)}`).join('')}`],
  ['an embedded message as length-delimited bytes', `${pbKey(5, 2)} 05 ${pbKey(1, 0)} 2a ${pbKey(2, 2)} 01 ff`],
  ['group start and end keys (no case: nothing more read)', `${pbKey(6, 3)} ${pbKey(6, 4)} ${pbKey(1, 0)} 00`],
  ['an empty message', ''],
];

const samples: [string, string, string][] = [
  ...msgpack.map(([what, h]): [string, string, string] => ['msgpack', what, b(h)]),
  ...bson.map(([what, h]): [string, string, string] => ['bson', what, b(h)]),
  ...ruby.map(([what, h]): [string, string, string] => ['ruby_marshal', what, b(h)]),
  ...php.map((x): [string, string, string] => ['php_serialized_value', x, Buffer.from(x, 'utf8').toString('hex')]),
  ...pickles.map(([what, h]): [string, string, string] => ['python_pickle', what, b(h)]),
  ...asn1.map(([what, h]): [string, string, string] => ['asn1_der', what, b(h)]),
  ...protobuf.map(([what, h]): [string, string, string] => ['google_protobuf', what, b(h)]),
];

test('the serialization specs compile with protosmith, without warnings', () => {
  assert.equal(problems, []);
  assert.equal(program.specs.map((s) => s.id).sort(), [...SPECS, 'microsoft_cfb', 'vlq_base128_le'].sort()); // google_protobuf imports it
});

for (const [id, what, h] of samples) {
  test(`${id}, ${what}: ours and Kaitai agree on every field and instance, and encode(decode(x)) == x`, () => {
    const bytes = Uint8Array.from(Buffer.from(h, 'hex'));
    const { o, k } = both(id, bytes);
    assert.ok(agree(o, k, id) >= (h === '' ? 0 : 1));
    assert.is(hex(ours.get(id)!.encode(o)), h);
  });
}

test('spot checks against values read off the bytes by hand', () => {
  type Mp = { b1: number; int_extra?: number | bigint; int_value?: number; str_value?: string; float_value?: number; array_elements?: Mp[]; map_elements?: { key: Mp; value: Mp }[] };
  const mp = (h: string): Mp => ours.get('msgpack')!.decode(Uint8Array.from(Buffer.from(b(h), 'hex'))) as Mp;
  assert.is(mp('cf ffffffffffffffff').int_extra, 2n ** 64n - 1n); // exact, where Kaitai's JavaScript rounds
  assert.equal(mp(msgpack[4]![1]).array_elements!.map((e) => e.int_extra), [-128, -123, -(2 ** 31), -123n]);
  assert.equal(mp(msgpack[7]![1]).array_elements!.map((e) => e.str_value), ['hello', 'éx', 'hi', 'A']);
  const map = mp(msgpack[9]![1]).map_elements!;
  assert.equal(map.map((e) => e.key.str_value), ['a', 'b']);
  assert.is(map[1]!.value.array_elements![1]!.float_value, 1.5);
  assert.is(mp('c1').int_extra, undefined);
  type Bs = { len: number; fields: { elements: { type_byte: number; name: { str: string }; content?: unknown }[] } };
  assert.is(kaitaiInt64(-(2n ** 32n)), 0); // the Kaitai runtime's s8 arithmetic, as seen on 'd3 ffffffff00000000'
  assert.is(both('msgpack', Uint8Array.from(Buffer.from('d3ffffffff00000000', 'hex'))).k.intExtra, 0);
  const bs = ours.get('bson')!.decode(Uint8Array.from(Buffer.from(b(bson[1]![1]), 'hex'))) as Bs;
  assert.equal(bs.fields.elements.map((e) => e.name.str), ['pi', 'i', 'l', 't', 'when', 'ts', '_id']);
  assert.equal(bs.fields.elements.slice(0, 4).map((e) => e.content), [3.14159, -7, 1n << 40n, 1]);
  assert.equal((bs.fields.elements[6]!.content as { machine_id: { value: number } }).machine_id.value, 0x2c1b0a);
  type Rb = { records: { code: number; body?: { elements: { body?: { value: number } }[] } } };
  const rb = ours.get('ruby_marshal')!.decode(Uint8Array.from(Buffer.from(b(ruby[3]![1]), 'hex'))) as Rb;
  assert.equal(rb.records.body!.elements.map((e) => e.body!.value), [200, 0x1234, 0x123456, 0x12345678, -200, -256, -0x1000000, 0x40000000]); // 0xfc: the spec gives `encoded` unsigned
});

// A compound file (CFB 3, 512-byte sectors): header, one FAT sector, one directory sector holding the root
// entry, a stream 'a' (its child) and a stream 'b' (the right sibling of 'a'). The root reads `fat` and `dir`
// at positions given by its value instance sector_size; entries read siblings through `_root.sector_size` and
// `_root.header.ofs_dir`.
function cfbFile(): Uint8Array {
  const f = Buffer.alloc(1536);
  Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(f, 0);
  f.writeUInt16LE(0x3e, 24); f.writeUInt16LE(3, 26); f.writeUInt16LE(0xfffe, 28); f.writeUInt16LE(9, 30); f.writeUInt16LE(6, 32);
  f.writeInt32LE(1, 44); f.writeInt32LE(1, 48); f.writeInt32LE(4096, 56); f.writeInt32LE(-2, 60); f.writeInt32LE(-2, 68);
  for (let i = 0; i < 109; i++) f.writeInt32LE(i === 0 ? 0 : -1, 76 + 4 * i);
  for (let i = 0; i < 128; i++) f.writeInt32LE(i < 2 ? -3 : -1, 512 + 4 * i);
  const entry = (at: number, name: string, type: number, right: number, child: number, size: number): void => {
    f.write(name, at, 'utf16le');
    f.writeUInt16LE(2 * name.length + 2, at + 64);
    f[at + 66] = type;
    f[at + 67] = 1;
    f.writeInt32LE(-1, at + 68);
    f.writeInt32LE(right, at + 72);
    f.writeInt32LE(child, at + 76);
    f.writeBigUInt64LE(BigInt(size), at + 120);
  };
  entry(1024, 'Root Entry', 5, -1, 1, 4);
  entry(1152, 'a', 2, 2, -1, 3);
  entry(1280, 'b', 2, -1, -1, 0);
  return Uint8Array.from(f);
}
test('microsoft_cfb (decode-only): a hand-built compound file reads alike in ours and Kaitai; encoding is refused', () => {
  const bytes = cfbFile();
  const mod = cfbModule!;
  const o = mod.readMicrosoftCfb(new Reader(bytes, 'MicrosoftCfb')) as Record<string, unknown>;
  const k = new kaitai.classes.microsoft_cfb!(kaitai.stream(bytes), null, null);
  assert.ok(agree(o, k, 'microsoft_cfb') > 300);
  type Dir = { name: string; mini_stream?: Uint8Array; child?: Dir; right_sibling?: Dir };
  const dir = o.dir as Dir;
  const name = (d: Dir | undefined): string | undefined => d?.name.replace(/\0+$/, '');
  assert.equal([name(dir), name(dir.child), name(dir.child?.right_sibling), dir.mini_stream?.length], ['Root Entry', 'a', 'b', 4]);
  assert.is(o.sector_size, 512);
  try {
    mod.encodeMicrosoftCfb(o);
    assert.unreachable('encoded');
  } catch (e) {
    assert.instance(e, EncodeError);
    assert.is((e as EncodeError).code, 'decode_only');
  }
});

// ---- fast-check
for (const id of SPECS) {
  const seeds = samples.filter(([s]) => s === id).map(([, , h]) => Uint8Array.from(Buffer.from(h, 'hex')));
  test(`${id}: mutated samples decode to a DecodeError, or to the fields Kaitai reads and the same bytes again`, () => {
    assertMutatedSamples({ id, seeds, codec: ours.get(id)!, kaitai, agree, numRuns: 200 });
  });
}
for (const id of ['msgpack', 'ruby_marshal']) {
  test(`${id}: IR-drawn values round-trip through our codec and Kaitai reads their encodings the same way`, () => {
    const c = ours.get(id)!;
    let encoded = 0;
    fc.assert(fc.property(arbitraryBounded(program, c.type.key, 40, { maxElements: 2 }), (v) => {
      if (v === undefined) return true; // grew too large: counts here come from drawn bytes
      let bytes: Uint8Array;
      try {
        bytes = c.encode(v);
      } catch {
        return true; // a drawn value the spec cannot express (e.g. a size expression it does not satisfy)
      }
      encoded++;
      const { o, k } = both(id, bytes);
      assert.ok(sameOn(v, o), `${id}: decode(encode(v)) differs from v for ${hex(bytes)}`);
      agree(o, k, id);
      assert.is(hex(c.encode(o)), hex(bytes));
    }), { numRuns: 150 });
    assert.ok(encoded >= 50, `${id}: only ${encoded} of 150 drawn values could be encoded`);
  });
}

// Well-formed encodings drawn as a tree of values and written here from the format's own rules (not from the
// spec): both decoders must agree on them, and ours must give the same bytes back.
const hx = (n: number, width = 1): string => n.toString(16).padStart(2 * width, '0');
const bytesHex = (w: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: w, maxLength: w }).map((x) => hex(x));
const text = (o: { maxLength: number; noNul?: true }): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', maxLength: o.maxLength }).filter((x) => Buffer.from(x, 'utf8').toString('utf8') === x && !(o.noNul && x.includes('\0')));
const f32be = (n: number): string => { const x = Buffer.alloc(4); x.writeFloatBE(n); return x.toString('hex'); };
const f64be = (n: number): string => { const x = Buffer.alloc(8); x.writeDoubleBE(n); return x.toString('hex'); };
const { mpValue } = fc.letrec<{ mpValue: string }>((tie) => ({
  mpValue: fc.oneof({ depthSize: 'small', maxDepth: 4 },
    fc.integer({ min: 0, max: 127 }).map((n) => hx(n)),
    fc.integer({ min: 0xe0, max: 0xff }).map((n) => hx(n)),
    fc.constantFrom('c0', 'c2', 'c3'),
    fc.constantFrom(['cc', 1], ['cd', 2], ['ce', 4], ['cf', 8], ['d0', 1], ['d1', 2], ['d2', 4], ['d3', 8] as const).chain(([h, w]) => bytesHex(w).map((x) => `${h}${x}`)),
    fc.float({ noNaN: true }).map((x) => `ca${f32be(x)}`),
    fc.double({ noNaN: true }).map((x) => `cb${f64be(x)}`),
    fc.tuple(text({ maxLength: 40 }), fc.integer({ min: 0, max: 3 })).map(([x, form]) => {
      const body = utf8(x);
      const n = body.length / 2;
      if (form === 0 && n < 32) return `${hx(0xa0 | n)}${body}`;
      return form <= 1 && n < 256 ? `d9${hx(n)}${body}` : form === 2 && n < 65536 ? `da${hx(n, 2)}${body}` : `db${hx(n, 4)}${body}`;
    }),
    fc.tuple(fc.array(tie('mpValue'), { maxLength: 4 }), fc.integer({ min: 0, max: 2 })).map(([els, form]) =>
      `${form === 0 ? hx(0x90 | els.length) : form === 1 ? `dc${hx(els.length, 2)}` : `dd${hx(els.length, 4)}`}${els.join('')}`),
    fc.tuple(fc.array(fc.tuple(tie('mpValue'), tie('mpValue')), { maxLength: 3 }), fc.integer({ min: 0, max: 2 })).map(([kv, form]) =>
      `${form === 0 ? hx(0x80 | kv.length) : form === 1 ? `de${hx(kv.length, 2)}` : `df${hx(kv.length, 4)}`}${kv.map(([k, v]) => k + v).join('')}`),
  ),
}));
const name = text({ maxLength: 8, noNul: true });
const { bsonDoc } = fc.letrec<{ bsonDoc: string; bsonEl: string }>((tie) => ({
  bsonDoc: fc.array(tie('bsonEl'), { maxLength: 4 }).map((els) => doc(...els)),
  bsonEl: fc.oneof({ depthSize: 'small', maxDepth: 3 },
    fc.tuple(name, fc.double({ noNaN: true })).map(([n, x]) => el(0x01, n, f64le(x))),
    fc.tuple(fc.constantFrom(0x02, 0x0d, 0x0e), name, text({ maxLength: 20 })).map(([t, n, x]) => el(t, n, bstr(x))),
    fc.tuple(fc.constantFrom(0x06, 0x0a, 0x7f, 0xff), name).map(([t, n]) => el(t, n)),
    fc.tuple(fc.constantFrom(0x07, 0x08, 0x09, 0x10, 0x11, 0x12), name).chain(([t, n]) => bytesHex(({ 7: 12, 8: 1, 16: 4 } as Record<number, number>)[t] ?? 8).map((x) => el(t, n, x))),
    fc.tuple(name, fc.constantFrom(0, 1, 3, 4, 5, 0x80, 0xc3), fc.uint8Array({ maxLength: 16 })).map(([n, sub, x]) => el(0x05, n, `${le32(x.length)}${hx(sub)}${hex(x)}`)),
    fc.tuple(name, fc.uint8Array({ maxLength: 16 })).map(([n, x]) => el(0x05, n, `${le32(x.length + 4)}02${le32(x.length)}${hex(x)}`)),
    fc.tuple(name, name, name).map(([n, p, o]) => el(0x0b, n, `${cstr(p)}${cstr(o)}`)),
    fc.tuple(name, text({ maxLength: 10 }), bytesHex(12)).map(([n, ns, id]) => el(0x0c, n, `${bstr(ns)}${id}`)),
    fc.tuple(fc.constantFrom(0x03, 0x04), name, tie('bsonDoc')).map(([t, n, d]) => el(t, n, d)),
    fc.tuple(name, fc.integer(), text({ maxLength: 10 }), tie('bsonDoc')).map(([n, id, src, scope]) => el(0x0f, n, `${le32(id)}${bstr(src)}${scope}`)),
  ),
}));
const pbMessage = fc.array(fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom(0, 1, 2, 3, 4, 5)).chain(([field, wire]) => {
  const key = pbKey(field, wire);
  if (wire === 0) return fc.bigInt({ min: 0n, max: (1n << 56n) - 1n }).map((n) => `${key}${varint(n)}`); // the spec reads up to 8 groups
  if (wire === 1) return bytesHex(8).map((x) => `${key}${x}`);
  if (wire === 5) return bytesHex(4).map((x) => `${key}${x}`);
  if (wire === 2) return fc.uint8Array({ maxLength: 20 }).map((x) => `${key}${varint(BigInt(x.length))}${hex(x)}`);
  return fc.constant(key); // group start/end: no value
}), { maxLength: 6 }).map((pairs) => pairs.join(''));
for (const [id, arb] of [['msgpack', mpValue], ['bson', bsonDoc], ['google_protobuf', pbMessage]] as const) {
  test(`${id}: well-formed encodings drawn as value trees decode alike in ours and Kaitai, and re-encode to the same bytes`, () => {
    const c = ours.get(id)!;
    fc.assert(fc.property(arb, (h) => {
      const { o, k } = both(id, Uint8Array.from(Buffer.from(h, 'hex')));
      agree(o, k, id);
      assert.is(hex(c.encode(o)), h);
    }), { numRuns: 200 });
  });
}
test('msgpack: random bytes decode to a DecodeError or to a value that re-encodes to the same bytes', () => {
  const c = ours.get('msgpack')!;
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
    let v: Record<string, unknown>;
    try { v = c.decode(bytes); } catch (e) { if (e instanceof DecodeError) return; throw e; }
    assert.is(hex(c.encode(v)), hex(bytes));
  }), { numRuns: 300 });
});

test.run();
