// The frozen model every codec emitter (TypeScript, tests' arbitraries, CLI) reads. Built by passes.ts
// from the loaded YAML; nothing downstream looks at YAML again.
import type { Expr } from './expr.ts';

export type Severity = 'error' | 'warning';

/** One diagnostic about a spec: where (file:line and spec path), what, and how to fix it. */
export interface Problem {
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  /** Path into the spec, Kaitai style: `/types/client_hello/seq/2/size`. */
  readonly specPath: string;
  readonly message: string;
  readonly hint: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.severity}: ${p.message} [${p.specPath}]${p.hint ? `\n  hint: ${p.hint}` : ''}`;
}

export type Width = 1 | 2 | 3 | 4 | 8;

/** A type reference: `spec::type` key plus the argument expressions for its params. */
export interface TypeRef {
  readonly type: string;
  readonly args: readonly Expr[];
}

/** What a switch case reads: a user type, raw bytes (the fallback of a sized switch), a number or a string. */
export type CaseTarget =
  | { readonly kind: 'struct'; readonly ref: TypeRef }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'num'; readonly num: { readonly kind: 'uint' | 'float'; readonly width: Width; readonly signed?: true; readonly le?: true } }
  | { readonly kind: 'str'; readonly encoding: string; readonly zeroTerminated: boolean };

export interface SwitchCase {
  /** The case key as written (`common::content_type::alert`). */
  readonly label: string;
  /** An integer or enum value, or (switch-on a string or a boolean) a string or boolean literal. */
  readonly value: bigint | string | boolean;
  readonly target: CaseTarget;
}

export type FieldType =
  /** An integer: unsigned unless `signed`, big-endian unless `le` (width 3 is TLS uint24, big-endian, unsigned). */
  | { readonly kind: 'uint'; readonly width: Width; readonly enumKey?: string; readonly signed?: true; readonly le?: true }
  /** A bit-sized integer (Kaitai bN, big-endian bit order, not on a byte boundary); b1 is a boolean. */
  | { readonly kind: 'bits'; readonly width: number; readonly enumKey?: string }
  /** IEEE 754 float, `f4`/`f8` with their byte order. */
  | { readonly kind: 'float'; readonly width: 4 | 8; readonly le?: true }
  | { readonly kind: 'bytes' }
  /** Text in an encoding (UTF-8, ASCII, ISO-8859-1, UTF-16LE, UTF-16BE): Kaitai `str`/`strz`. */
  | { readonly kind: 'str'; readonly encoding: string }
  | { readonly kind: 'contents'; readonly bytes: readonly number[] }
  | { readonly kind: 'struct'; readonly ref: TypeRef }
  | {
      readonly kind: 'switch';
      readonly on: Expr;
      readonly cases: readonly SwitchCase[];
      /** `_` case, or raw bytes when the field has a size and no `_` case; absent: unknown values are an error. */
      readonly fallback?: CaseTarget;
      /** Set when `on` is a plain earlier field of the same seq: the type becomes a discriminated union on it. */
      readonly discriminant?: string;
    };

export interface Valid {
  readonly eq?: Expr;
  readonly min?: Expr;
  readonly max?: Expr;
  readonly anyOf?: readonly Expr[];
  readonly inEnum?: boolean;
  /** The TLS alert for a failure, from `-alert`; default decode_error on a length prefix (RFC 8446 §6), else illegal_parameter. */
  readonly alert: string;
}

export interface Field {
  readonly id: string;
  readonly line: number;
  readonly specPath: string;
  readonly doc?: string;
  readonly type: FieldType;
  /** `size` expression, or 'eos' for `size-eos: true`. */
  readonly size?: Expr | 'eos';
  /** Bytes/str end at this byte (`terminator`, `strz`): kept in the value with include, left unread without consume. */
  readonly term?: { readonly value: number; readonly include: boolean; readonly consume: boolean };
  /** Bytes/str of a fixed size end with these pad bytes (`pad-right`), stripped on decoding. */
  readonly padRight?: number;
  /** Pos instances only: the position to read at, in this type's stream or the root's. */
  readonly pos?: Expr;
  readonly io?: 'self' | 'root' | 'field';
  /** With io 'field': the field of this type whose stream (`x._io`, its sized window) the instance reads. */
  readonly ioField?: string;
  /** repeat: eos, expr (count) or until (`until` reads the element just read as `_`). */
  readonly repeat?: { readonly kind: 'eos' } | { readonly kind: 'expr'; readonly count: Expr } | { readonly kind: 'until'; readonly until: Expr };
  readonly cond?: Expr;
  readonly valid?: Valid;
  /** This field is a length (or count) the encoder derives from `target`; absent from the TS type. */
  readonly derived?: { readonly kind: 'size' | 'count'; readonly target: string };
  /** Kaitai type as written, for provenance comments (`u2`, `b24`, `client_hello`, `switch`). */
  readonly ksyType: string;
}

export interface Param {
  readonly id: string;
  readonly width: Width | 0; // 0 = bool
  readonly enumKey?: string;
}

export interface TypeDef {
  /** `spec::type` */
  readonly key: string;
  readonly specId: string;
  readonly id: string;
  readonly tsName: string;
  readonly doc?: string;
  readonly line: number;
  readonly params: readonly Param[];
  readonly fields: readonly Field[];
  /** Names this type reads as `_parent.x`; its readers/writers take them as a `$parent` argument. */
  readonly parentRefs: readonly string[];
  /** With parentRefs: a type that reads this one, whose fields and params give the `_parent.x` values their types. */
  readonly parentType?: string;
  /**
   * Fields of the spec's root type this type needs as `_root.x` (its own, or for types it reads):
   * non-empty for a type other than the root, its readers/writers take them as a `$root` argument.
   */
  readonly rootRefs: readonly string[];
  /** Fewest bytes one value can take on the wire (bounds repeat counts before looping). */
  readonly minSize: number;
  /** Contains itself (through its fields' types): its reader and writer check a nesting limit. */
  readonly recursive: boolean;
  /**
   * Value instances: computed from the fields after decoding, present on decoded values, ignored by the
   * encoder. `expr` has other instances already inlined; expressions elsewhere in the type inline it too.
   */
  readonly instances: readonly Instance[];
  /**
   * Pos instances: read at another position (in this type's stream, or the root's) when first needed,
   * present on decoded values. A type with any is decode-only: its encoder refuses with an EncodeError.
   */
  readonly posInstances: readonly Field[];
}

export interface Instance {
  readonly id: string;
  readonly line: number;
  readonly specPath: string;
  readonly doc?: string;
  readonly expr: Expr;
  /** `if`: absent from decoded values when false. */
  readonly cond?: Expr;
  /** As written in the spec, for comments. */
  readonly source: Expr;
  readonly enumKey?: string;
}

export interface EnumDef {
  readonly key: string;
  readonly specId: string;
  readonly id: string;
  readonly tsName: string;
  readonly line: number;
  readonly values: readonly { readonly name: string; readonly value: bigint; readonly doc?: string }[];
  readonly iana?: string;
}

export interface Spec {
  readonly id: string;
  /** Path as given to the compiler (project-relative for specs/). */
  readonly file: string;
  readonly absPath: string;
  readonly doc?: string;
  readonly imports: readonly { readonly id: string; readonly absPath: string }[];
  readonly types: readonly TypeDef[];
  readonly enums: readonly EnumDef[];
  /** Key of the root type (meta.id) when the file has its own `seq`. */
  readonly root?: string;
}

export interface Program {
  /** Dependency order: imports before importers. */
  readonly specs: readonly Spec[];
  readonly types: ReadonlyMap<string, TypeDef>;
  readonly enums: ReadonlyMap<string, EnumDef>;
}

export function pascal(id: string): string {
  return id.split('_').filter((s) => s !== '').map((s) => s[0]!.toUpperCase() + s.slice(1)).join('');
}

export function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    if (o instanceof Map) for (const v of o.values()) deepFreeze(v);
    else for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}
