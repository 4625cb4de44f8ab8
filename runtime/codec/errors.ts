// Errors raised by the codec runtime, split by blame:
//   DecodeError      — the peer sent bytes that do not match the spec (blame: peer).
//   EncodeError      — the local caller asked to encode a value the spec cannot express (blame: local API misuse).
// Each carries a stable `code`, the schema path of the field (e.g. `ClientHello.extensions[3].extension_data`),
// and what was expected versus what was found, so a message can be acted on without a debugger.

/** TLS alert descriptions a decoding failure maps to (RFC 8446 §6.2). */
export type AlertDescription =
  | 'decode_error'
  | 'illegal_parameter'
  | 'unexpected_message'
  | 'handshake_failure'
  | 'protocol_version'
  | 'record_overflow'
  | 'unsupported_extension'
  | 'missing_extension'
  | 'bad_certificate'
  | 'unsupported_certificate'
  | 'internal_error';

export type DecodeErrorCode =
  /** The input ended before the field was complete. */
  | 'truncated'
  /** Bytes were left over after a whole message or a length-prefixed part. */
  | 'trailing_bytes'
  /** A `valid` constraint (eq, min, max, any-of, in-enum) failed. */
  | 'invalid_value'
  /** A `contents` magic did not match. */
  | 'contents_mismatch'
  /** A size or count field is out of range (negative, or larger than the remaining input). */
  | 'bad_length'
  /** A `switch-on` value matched no case and the field has no fallback. */
  | 'no_switch_case'
  /** A string's bytes are not valid in its encoding, or a terminator was not found. */
  | 'bad_string';

export interface DecodeErrorInit {
  readonly code: DecodeErrorCode;
  readonly path: string;
  readonly offset: number;
  readonly expected: string;
  readonly actual: string;
  readonly alert: AlertDescription;
}

/** The peer's bytes do not match the spec. Never thrown for anything but bad input. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly blame = 'peer' as const;
  readonly code: DecodeErrorCode;
  /** Schema path of the field being decoded, rooted at the type decoded. */
  readonly path: string;
  /** Absolute byte offset in the input where the problem was found. */
  readonly offset: number;
  readonly expected: string;
  readonly actual: string;
  /** The TLS alert a receiver should send. */
  readonly alert: AlertDescription;
  constructor(init: DecodeErrorInit) {
    super(`${init.path} at offset ${init.offset}: expected ${init.expected}, got ${init.actual} (${init.code}, alert ${init.alert})`);
    this.code = init.code;
    this.path = init.path;
    this.offset = init.offset;
    this.expected = init.expected;
    this.actual = init.actual;
    this.alert = init.alert;
  }
}

export type EncodeErrorCode =
  /** An integer does not fit its wire width, or a derived length/count exceeds its field's range. */
  | 'out_of_range'
  /** A `valid` constraint failed for a value the caller supplied (or a derived length). */
  | 'invalid_value'
  /** A field has the wrong JavaScript type (e.g. a number where bytes are needed). */
  | 'wrong_type'
  /** A field with a fixed or expression size was given bytes of another length. */
  | 'size_mismatch'
  /** A `contents` field was given other bytes than the magic. */
  | 'contents_mismatch'
  /** A string cannot be written in its encoding (a character outside ASCII or Latin-1, a terminator inside it). */
  | 'bad_string'
  /** The type reads parts of its input at other positions (Kaitai pos instances): it decodes but does not encode. */
  | 'decode_only';

export interface EncodeErrorInit {
  readonly code: EncodeErrorCode;
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
}

/** The caller asked to encode a value the spec cannot express (blame: local API misuse). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  readonly blame = 'local' as const;
  readonly code: EncodeErrorCode;
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
  constructor(init: EncodeErrorInit) {
    super(`${init.path}: expected ${init.expected}, got ${init.actual} (${init.code})`);
    this.code = init.code;
    this.path = init.path;
    this.expected = init.expected;
    this.actual = init.actual;
  }
}

/** Renders a schema path from its parts: names joined by '.', indices as `[i]`. */
export function formatPath(parts: readonly (string | number)[]): string {
  let s = '';
  for (const p of parts) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s === '' ? p : `.${p}`;
  }
  return s;
}
