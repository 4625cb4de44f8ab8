// Reader: a bounded cursor over one input buffer. Every read checks the remaining bytes BEFORE it
// touches or allocates anything, so a hostile length can only ever produce a DecodeError.
// `sub(n, field)` gives a reader limited to the next n bytes (a length-prefixed part); the parent
// skips past them at once. Byte fields are zero-copy views into the input.
// Integers: u1..u4 and u3 (TLS uint24) as number, u8 (64-bit) as bigint, big-endian unless the method
// name ends in `le`; s1..s8 are signed (s8 a bigint); f4/f8 are IEEE 754 floats.
import { DecodeError, formatPath, type AlertDescription, type DecodeErrorCode } from './errors.ts';

/** Bytes without the pad bytes at their end (Kaitai `pad-right`). */
export function stripRight(b: Uint8Array, pad: number): Uint8Array {
  let n = b.length;
  while (n > 0 && b[n - 1] === pad) n--;
  return n === b.length ? b : b.subarray(0, n);
}

/** Bytes before the first terminator (with it, if `include`); all of them when there is none. */
export function cutAt(b: Uint8Array, term: number, include: boolean): Uint8Array {
  const i = b.indexOf(term);
  return i < 0 ? b : b.subarray(0, include ? i + 1 : i);
}

/** The value of every empty byte field (one shared zero-length array: nothing to copy or view). */
const EMPTY = new Uint8Array(0);

export class Reader {
  /** The whole input; offsets in errors are indices into it. */
  readonly buf: Uint8Array;
  /** Absolute position of the next byte to read. */
  pos: number;
  /** Absolute position just past the last byte this reader may read (moved by limit/unlimit). */
  end: number;
  /** Absolute position where the current window started (for `_io.size` and `_io.pos`). */
  start: number;
  /** Saved (start, end) pairs of the windows that limit() narrowed. */
  private readonly saved: number[] = [];
  // Views are made with the Uint8Array constructor on the underlying buffer: several times cheaper
  // than subarray(), which looks up the species constructor on every call.
  private readonly ab: ArrayBufferLike;
  private readonly base: number;
  /** Schema path down to the struct being read (shared with sub-readers). */
  readonly trail: (string | number)[];
  /** Bit-sized integers (Kaitai b1..b32, big-endian bit order): the partly read byte and its unread bits. */
  private bitByte = 0;
  private bitsLeft = 0;
  /** The whole stream this reader was made for (Kaitai `_root._io`). */
  readonly rootStart: number;
  readonly rootEnd: number;

  constructor(buf: Uint8Array, root: string, start = 0, end = buf.length, trail?: (string | number)[]) {
    this.buf = buf;
    this.pos = start;
    this.start = start;
    this.end = end;
    this.trail = trail ?? [root];
    this.rootStart = start;
    this.rootEnd = end;
    this.ab = buf.buffer;
    this.base = buf.byteOffset;
  }

  /** Bytes left in this (sub-)reader. */
  get remaining(): number {
    return this.end - this.pos;
  }
  get eof(): boolean {
    return this.pos >= this.end;
  }
  /** Size of this reader's window (Kaitai `_io.size`). */
  get size(): number {
    return this.end - this.start;
  }

  /** The path of `field` inside the current struct, e.g. `ClientHello.extensions[3].extension_data`. */
  path(field?: string | number): string {
    return formatPath(field === undefined ? this.trail : [...this.trail, field]);
  }

  fail(code: DecodeErrorCode, field: string | number | undefined, offset: number, expected: string, actual: string, alert: AlertDescription = 'decode_error'): never {
    throw new DecodeError({ code, path: this.path(field), offset, expected, actual, alert });
  }

  private need(n: number, field: string | number): void {
    if (n > this.end - this.pos) {
      this.fail('truncated', field, this.pos, `${n} byte${n === 1 ? '' : 's'}`, `${this.end - this.pos} remaining`);
    }
  }

  u1(field: string | number): number {
    if (this.pos >= this.end) this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u2(field: string | number): number {
    const p = this.pos;
    if (p + 2 > this.end) this.need(2, field);
    this.pos = p + 2;
    return (this.buf[p]! << 8) | this.buf[p + 1]!;
  }

  /** TLS uint24 (Kaitai `b24`). */
  u3(field: string | number): number {
    const p = this.pos;
    if (p + 3 > this.end) this.need(3, field);
    this.pos = p + 3;
    const b = this.buf;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }

  u4(field: string | number): number {
    const p = this.pos;
    if (p + 4 > this.end) this.need(4, field);
    this.pos = p + 4;
    const b = this.buf;
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  u8(field: string | number): bigint {
    const p = this.pos;
    if (p + 8 > this.end) this.need(8, field);
    const hi = this.u4(field);
    const lo = this.u4(field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  // Little-endian, signed and floating-point numbers (Kaitai u2le..u8le, s1..s8(be|le), f4/f8(be|le)).
  // Signed 64-bit values are bigint, as u8; everything else is a number.

  u2le(field: string | number): number {
    const p = this.pos;
    if (p + 2 > this.end) this.need(2, field);
    this.pos = p + 2;
    return this.buf[p]! | (this.buf[p + 1]! << 8);
  }

  u4le(field: string | number): number {
    const p = this.pos;
    if (p + 4 > this.end) this.need(4, field);
    this.pos = p + 4;
    const b = this.buf;
    return b[p + 3]! * 0x1000000 + ((b[p + 2]! << 16) | (b[p + 1]! << 8) | b[p]!);
  }

  u8le(field: string | number): bigint {
    const p = this.pos;
    if (p + 8 > this.end) this.need(8, field);
    const lo = this.u4le(field);
    const hi = this.u4le(field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  s1(field: string | number): number {
    return (this.u1(field) << 24) >> 24;
  }
  s2(field: string | number): number {
    return (this.u2(field) << 16) >> 16;
  }
  s2le(field: string | number): number {
    return (this.u2le(field) << 16) >> 16;
  }
  s4(field: string | number): number {
    return this.u4(field) | 0;
  }
  s4le(field: string | number): number {
    return this.u4le(field) | 0;
  }
  s8(field: string | number): bigint {
    return BigInt.asIntN(64, this.u8(field));
  }
  s8le(field: string | number): bigint {
    return BigInt.asIntN(64, this.u8le(field));
  }

  private view(n: number, field: string | number): DataView {
    const p = this.pos;
    if (p + n > this.end) this.need(n, field);
    this.pos = p + n;
    return new DataView(this.ab, this.base + p, n);
  }
  f4(field: string | number): number {
    return this.view(4, field).getFloat32(0, false);
  }
  f4le(field: string | number): number {
    return this.view(4, field).getFloat32(0, true);
  }
  f8(field: string | number): number {
    return this.view(8, field).getFloat64(0, false);
  }
  f8le(field: string | number): number {
    return this.view(8, field).getFloat64(0, true);
  }

  /** The next n bits (1..53), most significant first; a byte is taken from the input when its first bit is. */
  bitsBe(n: number, field: string | number): number {
    let v = 0;
    let need = n;
    while (need > 0) {
      if (this.bitsLeft === 0) {
        if (this.pos >= this.end) this.need(1, field);
        this.bitByte = this.buf[this.pos++]!;
        this.bitsLeft = 8;
      }
      const take = need < this.bitsLeft ? need : this.bitsLeft;
      this.bitsLeft -= take;
      v = v * (1 << take) + ((this.bitByte >>> this.bitsLeft) & ((1 << take) - 1));
      need -= take;
    }
    return v;
  }

  /** The next n bits (54..64), most significant first, as a bigint (beyond what a number holds exactly). */
  bitsBeBig(n: number, field: string | number): bigint {
    const hi = this.bitsBe(n - 32, field);
    return (BigInt(hi) << 32n) | BigInt(this.bitsBe(32, field));
  }

  /** Drops the unread bits of a partly read byte (before a byte-aligned field, or at the end of a type). */
  alignToByte(): void {
    this.bitsLeft = 0;
  }

  /**
   * Bytes up to a terminator byte (Kaitai `terminator`, and `strz`): the terminator is part of the result only
   * with `include`, and is left in the input without `consume`. A missing terminator is a DecodeError.
   */
  bytesTerm(term: number, include: boolean, consume: boolean, field: string | number): Uint8Array {
    const p = this.pos;
    const i = this.buf.indexOf(term, p);
    if (i < 0 || i >= this.end) this.fail('bad_string', field, p, `a terminator byte 0x${term.toString(16).padStart(2, '0')}`, 'the end of the input');
    this.pos = consume ? i + 1 : i;
    return new Uint8Array(this.ab, this.base + p, (include ? i + 1 : i) - p);
  }

  /** Bytes decoded as text in `encoding` (UTF-8, ASCII, ISO-8859-1, UTF-16LE/BE); invalid bytes are a DecodeError. */
  str(bytes: Uint8Array, encoding: string, field: string | number): string {
    const at = this.pos - bytes.length;
    if (encoding === 'ASCII') {
      for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) this.fail('bad_string', field, at + i, 'ASCII (bytes below 0x80)', `0x${bytes[i]!.toString(16)}`);
      return String.fromCharCode(...bytes);
    }
    if (encoding === 'ISO-8859-1') {
      let s = '';
      for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
      return s;
    }
    try {
      return new TextDecoder(encoding === 'UTF-16LE' ? 'utf-16le' : encoding === 'UTF-16BE' ? 'utf-16be' : 'utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return this.fail('bad_string', field, at, `valid ${encoding}`, 'bytes that are not');
    }
  }

  /**
   * Reads at another position (Kaitai pos instances): `read` runs with the window [start, end) and the
   * cursor at start + pos; afterwards position, window and bit state are as before, even on an error.
   */
  at<T>(start: number, end: number, pos: number, field: string | number, read: () => T): T {
    if (!Number.isSafeInteger(pos) || pos < 0 || pos > end - start) this.fail('bad_length', field, this.pos, `a position within 0..${end - start}`, String(pos));
    const p = this.pos;
    const s = this.start;
    const e = this.end;
    const bits = this.bitsLeft;
    const depth = this.saved.length;
    this.pos = start + pos;
    this.start = start;
    this.end = end;
    this.bitsLeft = 0;
    try {
      return read();
    } finally {
      this.pos = p;
      this.start = s;
      this.end = e;
      this.bitsLeft = bits;
      this.saved.length = depth;
    }
  }

  /** Checks a size from the wire (or an expression) before it is used for anything. */
  private checkLength(n: number, field: string | number): void {
    if ((n | 0) === n && n >= 0 && n <= this.end - this.pos) return; // the common case, cheaply
    if (!Number.isSafeInteger(n) || n < 0) {
      this.fail('bad_length', field, this.pos, 'a size of 0 or more bytes', String(n));
    }
    if (n > this.end - this.pos) {
      this.fail('truncated', field, this.pos, `${n} bytes`, `${this.end - this.pos} remaining`);
    }
  }

  /** The next n bytes as a zero-copy view. */
  bytes(n: number, field: string | number): Uint8Array {
    this.checkLength(n, field);
    if (n === 0) return EMPTY;
    const p = this.pos;
    this.pos = p + n;
    return new Uint8Array(this.ab, this.base + p, n);
  }

  /** Everything left in this reader (Kaitai `size-eos: true`), zero-copy. */
  rest(): Uint8Array {
    const p = this.pos;
    this.pos = this.end;
    return new Uint8Array(this.ab, this.base + p, this.end - p);
  }

  /** A reader bounded to the next n bytes; this reader moves past them. */
  sub(n: number, field: string | number): Reader {
    this.checkLength(n, field);
    const p = this.pos;
    this.pos = p + n;
    return new Reader(this.buf, '', p, p + n, this.trail);
  }

  /**
   * Narrows this reader to the next n bytes (a length-prefixed part) without allocating; every read
   * until the matching unlimit() stays inside them. What generated codecs use instead of sub().
   */
  limit(n: number, field: string | number): void {
    this.checkLength(n, field);
    this.saved.push(this.start, this.end);
    this.start = this.pos;
    this.end = this.pos + n;
  }

  /** Ends the window opened by limit(): it must have been read to its end (else trailing_bytes). */
  unlimit(): void {
    if (this.pos !== this.end) this.done();
    this.end = this.saved.pop()!;
    this.start = this.saved.pop()!;
  }

  /** A reader over the rest of this one (for a typed `size-eos` field); this reader is then at its end. */
  subRest(): Reader {
    const p = this.pos;
    this.pos = this.end;
    return new Reader(this.buf, '', p, this.end, this.trail);
  }

  /** Checks that a repeat count read from the wire can possibly fit: each element takes at least `minSize` bytes. */
  count(n: number, minSize: number, field: string | number): number {
    if (!Number.isSafeInteger(n) || n < 0) this.fail('bad_length', field, this.pos, 'a count of 0 or more', String(n));
    if (minSize > 0 && n * minSize > this.end - this.pos) {
      this.fail('truncated', field, this.pos, `${n} elements of at least ${minSize} bytes`, `${this.end - this.pos} bytes remaining`);
    }
    return n;
  }

  /** Rejects anything left over: after a whole message, or at the end of a length-prefixed part. */
  done(field?: string | number): void {
    if (this.pos !== this.end) {
      this.fail('trailing_bytes', field, this.pos, 'end of data', `${this.end - this.pos} more bytes`);
    }
  }

  /** Expects the magic bytes of a `contents` field. */
  expect(magic: Uint8Array, field: string | number): void {
    const at = this.pos;
    const got = this.bytes(magic.length, field);
    for (let i = 0; i < magic.length; i++) {
      if (got[i] !== magic[i]) this.fail('contents_mismatch', field, at, hex(magic), hex(got));
    }
  }

  /** A failed `valid` check on the field that started at `offset`. */
  invalid(field: string | number, offset: number, expected: string, actual: unknown, alert: AlertDescription = 'illegal_parameter'): never {
    this.fail('invalid_value', field, offset, expected, show(actual), alert);
  }

  /** A `switch-on` value that matched no case, for a field with no fallback. */
  noCase(field: string | number, offset: number, expected: string, actual: unknown, alert: AlertDescription = 'illegal_parameter'): never {
    this.fail('no_switch_case', field, offset, expected, show(actual), alert);
  }
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s === '' ? '(empty)' : s;
}

/** A short readable rendering of a value for an error message. */
export function show(v: unknown): string {
  if (v instanceof Uint8Array) return v.length > 32 ? `${hex(v.subarray(0, 32))}… (${v.length} bytes)` : hex(v);
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? `${v} (0x${v.toString(16)})` : String(v);
  if (typeof v === 'bigint') return `${v}`;
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'object') return Array.isArray(v) ? `an array of ${v.length}` : 'an object';
  return String(v);
}

/** Equality of byte arrays (Kaitai `==` on byte arrays). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
