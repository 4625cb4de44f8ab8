// Writer: a growable output buffer. Length prefixes are written by reserving their bytes, writing
// the body, then back-patching the length (checked against the prefix's range and `valid` bounds).
// Every integer is range-checked: an out-of-range value is an EncodeError naming the field's path.
import { EncodeError, formatPath, type EncodeErrorCode } from './errors.ts';
import { show } from './reader.ts';

const MAX: Record<number, number> = { 1: 0xff, 2: 0xffff, 3: 0xffffff, 4: 0xffffffff };

// Results are carved from shared 64 KiB slabs (as Node's Buffer.allocUnsafe does): allocating a small
// ArrayBuffer per message costs more than encoding it. A Writer writes straight into the free end of the
// current slab and finish() hands that region out as the result, with no copy. One Writer at a time
// owns the slab (generated encoders release it in a finally block); any other Writer, or one whose
// message outgrows the slab, uses a buffer of its own.
const SLAB_SIZE = 65536;
const SLAB_MIN_FREE = 2048;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;
let slabBusy = false;
const EMPTY = new Uint8Array(0);

export class Writer {
  private buf: Uint8Array;
  pos = 0;
  /** Where the current sized window started (`_io.pos` in a size is `pos - ioStart`; set by generated code). */
  ioStart = 0;
  /** Whether buf is the free end of the shared slab (starting at slab offset `start`). */
  private onSlab = false;
  private start = 0;
  /** Schema path down to the struct being written. */
  readonly trail: (string | number)[];
  /** Bits written by bitsBe and not yet flushed as a whole byte (most significant first). */
  private bitAcc = 0;
  private bitCount = 0;

  constructor(root: string) {
    if (!slabBusy) {
      if (SLAB_SIZE - slabUsed < SLAB_MIN_FREE) {
        slab = new ArrayBuffer(SLAB_SIZE);
        slabUsed = 0;
      }
      this.start = slabUsed;
      this.buf = new Uint8Array(slab, slabUsed, SLAB_SIZE - slabUsed);
      this.onSlab = true;
      slabBusy = true;
    } else {
      this.buf = new Uint8Array(1024);
    }
    this.trail = [root];
  }

  path(field?: string | number): string {
    return formatPath(field === undefined ? this.trail : [...this.trail, field]);
  }

  fail(code: EncodeErrorCode, field: string | number | undefined, expected: string, actual: unknown): never {
    throw new EncodeError({ code, path: this.path(field), expected, actual: typeof actual === 'string' ? actual : show(actual) });
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = Math.max(1024, this.buf.length * 2);
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos));
    this.release();
    this.buf = next;
  }

  /** Checks that v is an integer that fits `width` bytes. */
  checkUint(v: unknown, width: 1 | 2 | 3 | 4, field: string | number): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail('wrong_type', field, `an integer (u${width === 3 ? 'int24' : width})`, v);
    if (v < 0 || v > MAX[width]!) this.fail('out_of_range', field, `0..${MAX[width]} (${width}-byte unsigned)`, v);
    return v;
  }

  /** Checks that a repeated field's value is an array. */
  array<T>(v: readonly T[], field: string | number): readonly T[] {
    if (!Array.isArray(v)) this.fail('wrong_type', field, 'an array', v);
    return v;
  }

  u1(v: number, field: string | number): void {
    if (!(v >= 0 && v <= 0xff && Number.isInteger(v))) this.checkUint(v, 1, field);
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u2(v: number, field: string | number): void {
    if (!(v >= 0 && v <= 0xffff && Number.isInteger(v))) this.checkUint(v, 2, field);
    this.ensure(2);
    const p = this.pos;
    this.buf[p] = v >>> 8;
    this.buf[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  u3(v: number, field: string | number): void {
    if (!(v >= 0 && v <= 0xffffff && Number.isInteger(v))) this.checkUint(v, 3, field);
    this.ensure(3);
    const p = this.pos;
    this.buf[p] = v >>> 16;
    this.buf[p + 1] = (v >>> 8) & 0xff;
    this.buf[p + 2] = v & 0xff;
    this.pos = p + 3;
  }

  u4(v: number, field: string | number): void {
    if (!(v >= 0 && v <= 0xffffffff && Number.isInteger(v))) this.checkUint(v, 4, field);
    this.ensure(4);
    const p = this.pos;
    this.buf[p] = v >>> 24;
    this.buf[p + 1] = (v >>> 16) & 0xff;
    this.buf[p + 2] = (v >>> 8) & 0xff;
    this.buf[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  u8(v: bigint, field: string | number): void {
    if (typeof v !== 'bigint') this.fail('wrong_type', field, 'a bigint (u8)', v);
    if (v < 0n || v > 0xffffffffffffffffn) this.fail('out_of_range', field, '0..2^64-1 (8-byte unsigned)', v);
    this.u4(Number(v >> 32n), field);
    this.u4(Number(v & 0xffffffffn), field);
  }

  // Little-endian, signed and floating-point numbers; each checks its range and type first.

  u2le(v: number, field: string | number): void {
    if (!(v >= 0 && v <= 0xffff && Number.isInteger(v))) this.checkUint(v, 2, field);
    this.ensure(2);
    const p = this.pos;
    this.buf[p] = v & 0xff;
    this.buf[p + 1] = v >>> 8;
    this.pos = p + 2;
  }

  u4le(v: number, field: string | number): void {
    if (!(v >= 0 && v <= 0xffffffff && Number.isInteger(v))) this.checkUint(v, 4, field);
    this.ensure(4);
    const p = this.pos;
    this.buf[p] = v & 0xff;
    this.buf[p + 1] = (v >>> 8) & 0xff;
    this.buf[p + 2] = (v >>> 16) & 0xff;
    this.buf[p + 3] = v >>> 24;
    this.pos = p + 4;
  }

  u8le(v: bigint, field: string | number): void {
    if (typeof v !== 'bigint') this.fail('wrong_type', field, 'a bigint (u8)', v);
    if (v < 0n || v > 0xffffffffffffffffn) this.fail('out_of_range', field, '0..2^64-1 (8-byte unsigned)', v);
    this.u4le(Number(v & 0xffffffffn), field);
    this.u4le(Number(v >> 32n), field);
  }

  /** Checks that v is an integer that fits `width` bytes as two's complement. */
  checkSint(v: unknown, width: 1 | 2 | 4, field: string | number): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail('wrong_type', field, `an integer (s${width})`, v);
    const lim = 2 ** (8 * width - 1);
    if (v < -lim || v >= lim) this.fail('out_of_range', field, `${-lim}..${lim - 1} (${width}-byte signed)`, v);
    return v;
  }
  s1(v: number, field: string | number): void {
    this.checkSint(v, 1, field);
    this.u1(v & 0xff, field);
  }
  s2(v: number, field: string | number): void {
    this.checkSint(v, 2, field);
    this.u2(v & 0xffff, field);
  }
  s2le(v: number, field: string | number): void {
    this.checkSint(v, 2, field);
    this.u2le(v & 0xffff, field);
  }
  s4(v: number, field: string | number): void {
    this.checkSint(v, 4, field);
    this.u4(v >>> 0, field);
  }
  s4le(v: number, field: string | number): void {
    this.checkSint(v, 4, field);
    this.u4le(v >>> 0, field);
  }
  private checkS8(v: unknown, field: string | number): bigint {
    if (typeof v !== 'bigint') this.fail('wrong_type', field, 'a bigint (s8)', v);
    if (v < -(1n << 63n) || v >= 1n << 63n) this.fail('out_of_range', field, '-2^63..2^63-1 (8-byte signed)', v);
    return BigInt.asUintN(64, v);
  }
  s8(v: bigint, field: string | number): void {
    this.u8(this.checkS8(v, field), field);
  }
  s8le(v: bigint, field: string | number): void {
    this.u8le(this.checkS8(v, field), field);
  }

  private float(v: number, width: 4 | 8, le: boolean, field: string | number): void {
    if (typeof v !== 'number') this.fail('wrong_type', field, `a number (f${width})`, v);
    if (width === 4 && Number.isFinite(v) && Math.fround(v) !== v) this.fail('out_of_range', field, 'a value exactly representable as a 32-bit float', v);
    this.ensure(width);
    const d = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, width);
    if (width === 4) d.setFloat32(0, v, le);
    else d.setFloat64(0, v, le);
    this.pos += width;
  }
  f4(v: number, field: string | number): void {
    this.float(v, 4, false, field);
  }
  f4le(v: number, field: string | number): void {
    this.float(v, 4, true, field);
  }
  f8(v: number, field: string | number): void {
    this.float(v, 8, false, field);
  }
  f8le(v: number, field: string | number): void {
    this.float(v, 8, true, field);
  }

  /** Writes v as n bits (1..53), most significant first (Kaitai bN, big-endian bit order). */
  bitsBe(v: number, n: number, field: string | number): void {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail('wrong_type', field, `an integer (b${n})`, v);
    if (v < 0 || v >= 2 ** n) this.fail('out_of_range', field, `0..${2 ** n - 1} (${n} bits)`, v);
    let left = n;
    while (left > 0) {
      const take = Math.min(left, 8 - this.bitCount);
      left -= take;
      const chunk = Math.floor(v / 2 ** left) & ((1 << take) - 1);
      this.bitAcc = (this.bitAcc << take) | chunk;
      this.bitCount += take;
      if (this.bitCount === 8) {
        this.ensure(1);
        this.buf[this.pos++] = this.bitAcc;
        this.bitAcc = 0;
        this.bitCount = 0;
      }
    }
  }

  /** Writes v as n bits (54..64), most significant first: a bigint, as bitsBeBig reads it. */
  bitsBeBig(v: bigint, n: number, field: string | number): void {
    if (typeof v !== 'bigint') this.fail('wrong_type', field, `a bigint (b${n})`, v);
    if (v < 0n || v >= 1n << BigInt(n)) this.fail('out_of_range', field, `0..2^${n}-1 (${n} bits)`, v);
    this.bitsBe(Number(v >> 32n), n - 32, field);
    this.bitsBe(Number(v & 0xffffffffn), 32, field);
  }

  /** A b1 field: a boolean. */
  bit(v: boolean, field: string | number): void {
    if (typeof v !== 'boolean') this.fail('wrong_type', field, 'a boolean (b1)', v);
    this.bitsBe(v ? 1 : 0, 1, field);
  }

  /** Completes a partly written byte with zero bits (before a byte-aligned field, or at the end of a type). */
  alignToByte(): void {
    if (this.bitCount === 0) return;
    this.ensure(1);
    this.buf[this.pos++] = this.bitAcc << (8 - this.bitCount);
    this.bitAcc = 0;
    this.bitCount = 0;
  }

  /** A string as bytes in `encoding` (UTF-8, ASCII, ISO-8859-1, UTF-16LE/BE). */
  encodeStr(s: string, encoding: string, field: string | number): Uint8Array {
    if (typeof s !== 'string') this.fail('wrong_type', field, 'a string', s);
    if (encoding === 'ASCII' || encoding === 'ISO-8859-1') {
      const max = encoding === 'ASCII' ? 0x7f : 0xff;
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > max) this.fail('bad_string', field, `${encoding} characters only`, `U+${c.toString(16).padStart(4, '0')} at ${i}`);
        out[i] = c;
      }
      return out;
    }
    if (encoding === 'UTF-16LE' || encoding === 'UTF-16BE') {
      const out = new Uint8Array(s.length * 2);
      const le = encoding === 'UTF-16LE';
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        out[2 * i + (le ? 0 : 1)] = c & 0xff;
        out[2 * i + (le ? 1 : 0)] = c >>> 8;
      }
      return out;
    }
    if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)) this.fail('bad_string', field, 'a well-formed string (UTF-8)', 'a lone surrogate');
    return new TextEncoder().encode(s);
  }

  /**
   * Bytes in a field of `size` bytes: then the terminator (when given and there is room), then pad bytes.
   * A terminator inside the bytes would cut them short on decoding; that is an EncodeError.
   */
  padded(b: Uint8Array, size: number, pad: number, term: number | undefined, field: string | number): void {
    if (term !== undefined && b.indexOf(term) >= 0) this.fail('bad_string', field, `no terminator byte 0x${term.toString(16)} inside the value`, b);
    if (b.length > size) this.fail('size_mismatch', field, `at most ${size} bytes`, `${b.length} bytes`);
    this.bytes(b, field);
    let n = size - b.length;
    if (term !== undefined && n > 0) { this.u1(term, field); n--; }
    this.ensure(n);
    for (let i = 0; i < n; i++) this.buf[this.pos++] = pad;
  }

  /** Bytes followed by their terminator (Kaitai `terminator`, `strz`); the terminator may not occur inside them. */
  terminated(b: Uint8Array, term: number, field: string | number): void {
    if (b.indexOf(term) >= 0) this.fail('bad_string', field, `no terminator byte 0x${term.toString(16)} inside the value`, b);
    this.bytes(b, field);
    this.u1(term, field);
  }

  bytes(b: Uint8Array, field: string | number): void {
    if (!(b instanceof Uint8Array)) this.fail('wrong_type', field, 'a Uint8Array', b);
    const n = b.length;
    this.ensure(n);
    const buf = this.buf;
    const p = this.pos;
    if (n < 32) for (let i = 0; i < n; i++) buf[p + i] = b[i]!; // set() costs more than a short loop
    else buf.set(b, p);
    this.pos = p + n;
  }

  /** Bytes whose length is fixed by the spec (a constant or an expression over other fields). */
  bytesOfSize(b: Uint8Array, size: number, field: string | number): void {
    if (!(b instanceof Uint8Array)) this.fail('wrong_type', field, 'a Uint8Array', b);
    if (b.length !== size) this.fail('size_mismatch', field, `${size} bytes`, `${b.length} bytes`);
    this.bytes(b, field);
  }

  /** A `contents` magic: written as is. */
  magic(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Reserves `width` bytes for a length prefix; returns the mark to patch. */
  reserve(width: number): number {
    this.ensure(width);
    const mark = this.pos;
    this.pos += width;
    return mark;
  }

  /**
   * Writes the byte length of everything after the reserved prefix (or after `from`) into it.
   * `max` is the smaller of the prefix's range and the spec's `valid` max; `min` the spec's `valid` min.
   */
  patchLength(mark: number, width: 1 | 2 | 3 | 4, from: number, min: number, max: number, field: string | number, lengthField: string): void {
    const n = this.pos - from;
    if (n > max || n < min) {
      this.fail(n > MAX[width]! ? 'out_of_range' : 'invalid_value', field, `a length of ${min}..${max} bytes (derived into ${lengthField})`, `${n} bytes`);
    }
    const b = this.buf;
    if (width === 1) b[mark] = n;
    else if (width === 2) { b[mark] = n >>> 8; b[mark + 1] = n & 0xff; }
    else if (width === 3) { b[mark] = n >>> 16; b[mark + 1] = (n >>> 8) & 0xff; b[mark + 2] = n & 0xff; }
    else { b[mark] = n >>> 24; b[mark + 1] = (n >>> 16) & 0xff; b[mark + 2] = (n >>> 8) & 0xff; b[mark + 3] = n & 0xff; }
  }

  /** A length or count known before the body is written, checked against its field's bounds. */
  derived(n: number, width: 1 | 2 | 3 | 4, min: number, max: number, field: string | number, what: string): void {
    if (n > max || n < min) {
      this.fail(n > MAX[width]! ? 'out_of_range' : 'invalid_value', field, `${what} of ${min}..${max}`, String(n));
    }
    if (width === 1) this.u1(n, field);
    else if (width === 2) this.u2(n, field);
    else if (width === 3) this.u3(n, field);
    else this.u4(n, field);
  }

  /**
   * The bytes written, as an array the caller owns. Small results are views into a shared slab (like
   * Node's Buffer.allocUnsafe), so `.buffer` may be larger than the message: use `.byteOffset`.
   * The Writer must not be used afterwards.
   */
  finish(): Uint8Array {
    const n = this.pos;
    let out: Uint8Array;
    if (this.onSlab) {
      out = new Uint8Array(this.buf.buffer, this.start, n);
      slabUsed = (this.start + n + 7) & ~7;
      this.release();
    } else {
      out = n * 2 < this.buf.length ? this.buf.slice(0, n) : this.buf.subarray(0, n);
    }
    this.buf = EMPTY;
    this.pos = 0;
    return out;
  }

  /** Gives the shared slab back (idempotent); finish() does it, and so must any path that abandons the Writer. */
  release(): void {
    if (this.onSlab) {
      this.onSlab = false;
      slabBusy = false;
    }
  }
}
