// The record layer (RFC 8446 §5): turns a byte stream into records and records into content,
// whatever the byte boundaries; frames outgoing content into records. No crypto of its own: the
// AEAD protection is a `RecordCipher` installed by the handshake (keys come from the key schedule).
//
// Limits enforced here (each a typed TlsPeerError with the RFC's alert):
//   - record length > 2^14 + 256 (ciphertext) or > 2^14 (plaintext)          record_overflow
//   - decrypted inner plaintext > 2^14 (or the negotiated record_size_limit)   record_overflow
//   - input is consumed a slice at a time: never more than maxBufferedBytes held (one record always fits)
//   - handshake message over maxHandshakeMessageSize                            illegal_parameter (rejected from its header, before buffering)
// Memory: what is left after a record or message is taken out is never a view that pins the whole
// earlier buffer (an emptied view drops it; a short tail is copied), so an idle connection holds
// only its unread bytes.
import { TlsPeerError } from './errors.ts';
import { concat, ContentType } from './bytes.ts';

export const MAX_PLAINTEXT = 1 << 14;
export const MAX_CIPHERTEXT = (1 << 14) + 256;

/** One direction of record protection (RFC 8446 §5.2, §5.3). */
export interface RecordCipher {
  /** Protect `content` of `type` with `padding` zero bytes; returns the whole TLSCiphertext record. */
  seal(type: number, content: Uint8Array, padding: number): Promise<Uint8Array>;
  /** Open a TLSCiphertext (header + fragment); returns the inner content type and content. */
  open(header: Uint8Array, fragment: Uint8Array): Promise<{ type: number; content: Uint8Array }>;
  /** Optional, with sealInto: the length of the record seal() would return. */
  recordLength?(contentLength: number, padding: number): number;
  /** Optional: seal() into `out` at `offset` (sized with recordLength), so records can share one buffer; returns the length. */
  sealInto?(type: number, content: Uint8Array, padding: number, out: Uint8Array, offset: number): Promise<number>;
  /** Optional: true when sealSync() and openSync() may be used instead (the provider's AEAD is synchronous). */
  readonly synchronous?: boolean;
  /** seal() without a promise, as consecutive pieces of the record (joined: seal()'s bytes); only when `synchronous`. */
  sealSync?(type: number, content: Uint8Array, padding: number): Uint8Array[];
  /** Optional: true when sealIntoSync() may be used (the provider's AEAD writes into the caller's buffer synchronously). */
  readonly synchronousInto?: boolean;
  /** Optional, only when `synchronousInto`: sealInto() without a promise (sized with recordLength); returns the length. */
  sealIntoSync?(type: number, content: Uint8Array, padding: number, out: Uint8Array, offset: number): number;
  /** open() without a promise; only when `synchronous`. */
  openSync?(header: Uint8Array, fragment: Uint8Array): { type: number; content: Uint8Array };
}

const EMPTY = new Uint8Array(0);

/** The unread part of `buf` from `from` on, without pinning a buffer much larger than itself. */
function remainder(buf: Uint8Array, from: number): Uint8Array {
  const rest = buf.subarray(from);
  if (rest.length === 0) return EMPTY;
  return rest.length * 2 < buf.buffer.byteLength ? rest.slice() : rest;
}

export interface RawRecord { readonly type: number; readonly header: Uint8Array; readonly fragment: Uint8Array }

/**
 * Splits an arbitrary byte stream into records. Memory: at most maxBuffered bytes held.
 * Zero-copy: pushed bytes are viewed, not copied, and records come out as views; whoever keeps a
 * record's bytes past the current receive() copies them. detach() (end of every receive()) copies
 * the unconsumed tail if it still views the caller's input, so nothing of it is held afterwards.
 */
export class RecordReader {
  private buf: Uint8Array = EMPTY;
  /** `buf` views bytes the caller passed in (not a buffer of ours). */
  private borrowed = false;
  constructor(private readonly maxBuffered: number) {}

  push(bytes: Uint8Array): void {
    if (this.buf.length + bytes.length > this.maxBuffered) {
      throw new TlsPeerError('TLS_BUFFER_LIMIT', 'record_overflow', `received ${this.buf.length + bytes.length} unprocessed bytes, over the limit of ${this.maxBuffered} (maxBufferedBytes); the peer is sending faster than records can be formed, or sent a record larger than allowed`);
    }
    if (bytes.length === 0) return;
    if (this.buf.length === 0) { this.buf = bytes; this.borrowed = true; }
    else if (this.borrowed && bytes.buffer === this.buf.buffer && bytes.byteOffset === this.buf.byteOffset + this.buf.length) {
      // The next slice of the same input (receive() feeds a large input a slice at a time): widen the view.
      this.buf = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.length + bytes.length);
    } else { this.buf = concat(this.buf, bytes); this.borrowed = false; }
  }

  /** Stop viewing the caller's bytes: copy the unconsumed tail (less than one record) if it is theirs,
   *  or if it would pin a much larger buffer of ours. */
  detach(): void {
    if (this.buf.length === 0) this.buf = EMPTY;
    else if (this.borrowed) this.buf = this.buf.slice();
    else this.buf = remainder(this.buf, 0);
    this.borrowed = false;
  }

  get buffered(): number { return this.buf.length; }
  /** Bytes of memory kept alive (the underlying buffer), for tests and diagnostics. */
  get retained(): number { return this.buf.buffer.byteLength; }
  /** Bytes that would complete the record (or header) held so far; 0 when nothing is held. */
  get needed(): number {
    if (this.buf.length === 0) return 0;
    if (this.buf.length < 5) return 5 - this.buf.length;
    return Math.max(0, 5 + ((this.buf[3]! << 8) | this.buf[4]!) - this.buf.length);
  }
  /** How many more bytes may be pushed. */
  get room(): number { return this.maxBuffered - this.buf.length; }

  /** Next complete record, or undefined when more bytes are needed. */
  next(): RawRecord | undefined {
    if (this.buf.length < 5) {
      if (this.buf.length >= 1) this.checkType(this.buf[0]!);
      return undefined;
    }
    const type = this.buf[0]!;
    this.checkType(type);
    const major = this.buf[1]!;
    if (major !== 3) throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', `record header has legacy_record_version ${major}.${this.buf[2]}; this is not a TLS record`);
    const length = (this.buf[3]! << 8) | this.buf[4]!;
    if (length > MAX_CIPHERTEXT) throw new TlsPeerError('TLS_RECORD_OVERFLOW', 'record_overflow', `record of ${length} bytes exceeds the 2^14+256 byte maximum (RFC 8446 §5.2)`);
    if (length > MAX_PLAINTEXT && type !== ContentType.application_data) throw new TlsPeerError('TLS_RECORD_OVERFLOW', 'record_overflow', `plaintext record of ${length} bytes exceeds 2^14 (RFC 8446 §5.1)`);
    if (length === 0 && type !== ContentType.application_data) throw new TlsPeerError('TLS_DECODE_ERROR', 'decode_error', `zero-length record of content type ${type} (RFC 8446 §5.1 forbids empty handshake/alert records)`);
    if (this.buf.length < 5 + length) return undefined;
    const header = this.buf.subarray(0, 5);
    const fragment = this.buf.subarray(5, 5 + length);
    this.buf = this.buf.subarray(5 + length);
    return { type, header, fragment };
  }

  private checkType(type: number): void {
    if (type < 20 || type > 23) throw new TlsPeerError('TLS_UNEXPECTED_MESSAGE', 'unexpected_message', `record has unknown content type ${type} (RFC 8446 §5: only change_cipher_spec, alert, handshake, application_data); this is not TLS or the stream is corrupt`);
  }
}

export function plaintextRecord(type: number, content: Uint8Array, legacyVersion = 0x0303): Uint8Array {
  const out = new Uint8Array(5 + content.length);
  out[0] = type; out[1] = legacyVersion >> 8; out[2] = legacyVersion & 0xff;
  out[3] = content.length >> 8; out[4] = content.length & 0xff;
  out.set(content, 5);
  return out;
}

export interface HandshakeMessage { readonly type: number; readonly body: Uint8Array; readonly raw: Uint8Array }

/** Reassembles handshake messages across records; coalesced messages come out one by one. */
export class HandshakeReassembler {
  private buf: Uint8Array = EMPTY;
  constructor(private readonly maxMessage: number) {}
  push(fragment: Uint8Array): void { this.buf = this.buf.length === 0 ? fragment.slice() : concat(this.buf, fragment); }
  get pending(): number { return this.buf.length; }
  /** Bytes of memory kept alive (the underlying buffer), for tests and diagnostics. */
  get retained(): number { return this.buf.buffer.byteLength; }
  next(): HandshakeMessage | undefined {
    if (this.buf.length < 4) return undefined;
    const type = this.buf[0]!;
    const len = (this.buf[1]! << 16) | (this.buf[2]! << 8) | this.buf[3]!;
    if (len > this.maxMessage) throw new TlsPeerError('TLS_MESSAGE_TOO_LARGE', 'illegal_parameter', `handshake message type ${type} announces ${len} bytes, over the limit of ${this.maxMessage} (maxHandshakeMessageSize); raise the limit if the peer legitimately sends large certificate chains`);
    const end = 4 + len;
    if (this.buf.length < end) return undefined;
    let raw: Uint8Array;
    if (this.buf.length === end) {
      // The buffer holds just this message (the usual case): it is ours (push copied it), so it is handed over as
      // it is rather than copied again.
      raw = this.buf;
      this.buf = EMPTY;
    } else {
      raw = this.buf.slice(0, end);
      this.buf = remainder(this.buf, end);
    }
    return { type, body: raw.subarray(4), raw };
  }
}
