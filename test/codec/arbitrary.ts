// fast-check arbitraries built from the codec IR: for any type of any spec, values that satisfy the
// spec (valid bounds, if conditions, switch cases, derived-length ranges), in the exact shape the
// generated decoder returns. Reusable for the TLS types:
//   const program = loadProgram(['specs/tls13/messages/handshake.ksy']);
//   fc.assert(fc.property(arbitraryFor(program, 'ClientHello'), (v) => ...));
import fc from 'fast-check';
import { relative, resolve, sep } from 'node:path';
import { buildProgram, resolveEnumName } from '../../generator/codec/passes.ts';
import { evaluate, type Expr } from '../../generator/codec/expr.ts';
import { formatProblem, type Field, type Program, type TypeDef } from '../../generator/codec/ir.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** Builds the IR for spec files (paths relative to the project root, or absolute). Throws on spec errors. */
export function loadProgram(files: readonly string[]): Program {
  const { program, problems } = buildProgram(files.map((f) => resolve(ROOT, f)), (abs) => relative(ROOT, abs).split(sep).join('/'));
  if (!program) throw new Error(problems.map(formatProblem).join('\n'));
  return program;
}

export interface ArbitraryOptions {
  /** Values of the spec root's fields read as `_root.x`, for a type drawn on its own. */
  readonly root?: Readonly<Record<string, number>>;
  /** Most elements a `repeat` field gets (default 3). */
  readonly maxElements?: number;
  /** Most bytes beyond a field's minimum for opaque fields (default 24). */
  readonly maxExtraBytes?: number;
  /** Most structs in one drawn value, and (times 64) most bytes in a field of drawn size (default: no limit); see arbitraryBounded. */
  readonly maxStructs?: number;
}

/** A draw that would nest deeper than 12 or hold more than `maxStructs` structs. */
export class DrawTooLarge extends Error {
  override readonly name = 'DrawTooLarge';
}

type Draw = <T>(arb: fc.Arbitrary<T>) => T;
type Vals = Record<string, unknown>;

/** Finds a type by TS name (`ClientHello`), ksy id (`client_hello`) or key (`handshake::client_hello`). */
export function typeByName(program: Program, name: string): TypeDef {
  const t = program.types.get(name) ?? [...program.types.values()].find((x) => x.tsName === name || x.id === name);
  if (!t) throw new Error(`no type '${name}' in the program (have: ${[...program.types.values()].map((x) => x.tsName).join(', ')})`);
  return t;
}

/**
 * Values of `typeName` that the generated encoder accepts and the decoder returns unchanged.
 * `params` fixes the type's params (by ksy id); a missing one is drawn (an enum param from its named values).
 */
export function arbitraryFor(program: Program, typeName: string, params: Readonly<Record<string, number | boolean>> = {}, options: ArbitraryOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const t = typeByName(program, typeName);
  return fc.gen().map((g) => {
    const draw: Draw = (a) => g(() => a);
    const p: Vals = {};
    for (const param of t.params) {
      if (params[param.id] !== undefined) p[param.id] = params[param.id];
      else p[param.id] = drawParam(program, param, draw);
    }
    return new Gen(program, draw, options).struct(t, p, undefined, 0);
  });
}

/**
 * arbitraryFor for self-describing recursive formats (msgpack, Ruby Marshal), where element counts come from
 * drawn bytes rather than from derived lengths: a draw that grows past `maxStructs` structs (or nests deeper
 * than 12) is `undefined`, for the property to skip.
 */
export function arbitraryBounded(program: Program, typeName: string, maxStructs = 64, options: ArbitraryOptions = {}): fc.Arbitrary<Record<string, unknown> | undefined> {
  const t = typeByName(program, typeName);
  return fc.gen().map((g) => {
    const draw: Draw = (a) => g(() => a);
    const p: Vals = {};
    for (const param of t.params) p[param.id] = drawParam(program, param, draw);
    try {
      return new Gen(program, draw, { ...options, maxStructs }).struct(t, p, undefined, 0);
    } catch (e) {
      if (e instanceof DrawTooLarge) return undefined;
      throw e;
    }
  });
}

/** The params of a type drawn the same way arbitraryFor draws them (for calling decode/encode). */
export function arbitraryParams(program: Program, typeName: string): fc.Arbitrary<Record<string, number | boolean>> {
  const t = typeByName(program, typeName);
  return fc.gen().map((g) => {
    const out: Record<string, number | boolean> = {};
    for (const param of t.params) out[param.id] = drawParam(program, param, (a) => g(() => a));
    return out;
  });
}

function drawParam(program: Program, param: TypeDef['params'][number], draw: Draw): number | boolean {
  if (param.width === 0) return draw(fc.boolean());
  if (param.enumKey) return Number(draw(fc.constantFrom(...program.enums.get(param.enumKey)!.values.map((v) => v.value))));
  return draw(fc.integer({ min: 0, max: Math.min(255, 2 ** (8 * param.width) - 1) }));
}

class Gen {
  private readonly maxElements: number;
  private readonly maxExtra: number;
  private readonly maxStructs: number;
  private structs = 0;
  /** The values of the spec root being drawn (for `_root.x`). */
  private root: Vals | undefined;
  constructor(private readonly program: Program, private readonly draw: Draw, opts: ArbitraryOptions) {
    this.maxElements = opts.maxElements ?? 3;
    this.maxExtra = opts.maxExtraBytes ?? 24;
    this.maxStructs = opts.maxStructs ?? Infinity;
    this.root = opts.root;
  }

  private env(t: TypeDef, vals: Vals, params: Vals, parent: Vals | undefined) {
    const spec = this.program.specs.find((s) => s.id === t.specId)!;
    return {
      lookup: (n: string): unknown => (n in vals ? vals[n] : params[n]),
      parent: (n: string): unknown => parent?.[n],
      root: (n: string): unknown => (spec.root === t.key ? vals[n] ?? params[n] : this.root?.[n]),
      enumValue: (path: readonly string[], value: string): bigint => {
        const key = resolveEnumName(spec.id, spec.imports, this.program.enums, path.join('::'))!;
        return this.program.enums.get(key)!.values.find((v) => v.name === value)!.value;
      },
    };
  }
  private int(e: Expr, env: ReturnType<Gen['env']>): bigint {
    const v = evaluate(e, env);
    return typeof v === 'bigint' ? v : typeof v === 'boolean' ? (v ? 1n : 0n) : 0n;
  }

  struct(t: TypeDef, params: Vals, parent: Vals | undefined, depth: number): Record<string, unknown> {
    if (depth > 12) throw new DrawTooLarge(`arbitraryFor: nesting deeper than 12 at ${t.tsName}`);
    if (++this.structs > this.maxStructs) throw new DrawTooLarge(`arbitraryFor: more than ${this.maxStructs} structs at ${t.tsName}`);
    const vals: Vals = {};
    const out: Record<string, unknown> = {};
    const env = this.env(t, vals, params, parent);
    const isRoot = this.program.specs.some((s) => s.root === t.key);
    const savedRoot = this.root;
    if (isRoot) this.root = { ...params, ...vals };
    try {
      return this.fields(t, vals, out, env, params, parent, depth, isRoot);
    } finally {
      this.root = savedRoot;
    }
  }

  private fields(t: TypeDef, vals: Vals, out: Record<string, unknown>, env: ReturnType<Gen['env']>, params: Vals, parent: Vals | undefined, depth: number, isRoot: boolean): Record<string, unknown> {
    // a discriminant's value is chosen when the switch it drives is known
    const discriminated = new Map<string, Field>();
    for (const f of t.fields) if (f.type.kind === 'switch' && f.type.discriminant) discriminated.set(f.type.discriminant, f);
    const visible = (f: Field): boolean => !f.derived && f.type.kind !== 'contents';
    for (const f of t.fields) {
      if (f.cond && !evaluate(f.cond, env)) {
        if (visible(f)) out[f.id] = undefined;
        continue;
      }
      if (f.derived) continue; // computed by the encoder from its target
      if (f.type.kind === 'contents') { vals[f.id] = Uint8Array.from(f.type.bytes); continue; }
      const sw = discriminated.get(f.id);
      let v: unknown;
      if (sw && sw.type.kind === 'switch') {
        const values = sw.type.cases.map((c) => c.value);
        const width = (f.type as { width: number }).width;
        const pickKnown = values.length > 0 && (!sw.type.fallback || this.draw(fc.integer({ min: 0, max: 3 })) > 0);
        if (pickKnown) v = Number(this.draw(fc.constantFrom(...values)));
        else {
          const top = 2 ** (8 * width) - 1;
          v = this.draw(fc.integer({ min: 0, max: top }).filter((x) => !values.includes(BigInt(x)) && this.uintOk(f, BigInt(x), env)));
        }
      } else if (f.repeat) {
        v = this.repeated(t, f, vals, params, parent, env, depth);
      } else {
        v = this.element(t, f, vals, params, parent, env, depth, this.sizeFor(t, f, env));
      }
      vals[f.id] = v;
      out[f.id] = v;
      if (isRoot) this.root = { ...params, ...vals };
    }
    return out;
  }

  /** Byte length a field must have: exact for a non-derived size expression, a [min, max] range for a derived one. */
  private sizeFor(t: TypeDef, f: Field, env: ReturnType<Gen['env']>): { exact?: number; min: number; max: number } | undefined {
    if (f.size === undefined || f.size === 'eos') return undefined;
    const lengthField = t.fields.find((l) => l.derived?.kind === 'size' && l.derived.target === f.id);
    if (lengthField) return this.bounds(lengthField, env);
    const n = Number(this.int(f.size, env));
    if (n > this.maxStructs * 64) throw new DrawTooLarge(`arbitraryFor: ${t.tsName}.${f.id} of ${n} bytes`);
    // a negative size (hccapx's `32 - len_essid` after a longer ESSID): an empty field, which the encoder refuses
    if (n < 0) return { exact: 0, min: 0, max: 0 };
    return { exact: n, min: n, max: n };
  }
  private bounds(l: Field, env: ReturnType<Gen['env']>): { min: number; max: number } {
    const width = (l.type as { width: number }).width;
    let min = 0;
    let max = 2 ** (8 * width) - 1;
    if (l.valid?.eq) min = max = Number(this.int(l.valid.eq, env));
    if (l.valid?.min) min = Math.max(min, Number(this.int(l.valid.min, env)));
    if (l.valid?.max) max = Math.min(max, Number(this.int(l.valid.max, env)));
    return { min, max };
  }

  private repeated(t: TypeDef, f: Field, vals: Vals, params: Vals, parent: Vals | undefined, env: ReturnType<Gen['env']>, depth: number): unknown[] {
    let count: number;
    const counter = t.fields.find((l) => l.derived?.kind === 'count' && l.derived.target === f.id);
    if (f.repeat?.kind === 'expr' && !counter) count = Number(this.int(f.repeat.count, env));
    else {
      const b = counter ? this.bounds(counter, env) : { min: 0, max: this.maxElements };
      count = this.draw(fc.integer({ min: b.min, max: Math.max(b.min, Math.min(b.max, this.maxElements)) }));
    }
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) out.push(this.element(t, f, vals, params, parent, env, depth, this.sizeFor(t, f, env)));
    return out;
  }

  private uintOk(f: Field, v: bigint, env: ReturnType<Gen['env']>): boolean {
    const valid = f.valid;
    if (!valid) return true;
    if (valid.eq && v !== this.int(valid.eq, env)) return false;
    if (valid.min && v < this.int(valid.min, env)) return false;
    if (valid.max && v > this.int(valid.max, env)) return false;
    if (valid.anyOf && !valid.anyOf.some((e) => this.int(e, env) === v)) return false;
    if (valid.inEnum && f.type.kind === 'uint' && f.type.enumKey && !this.program.enums.get(f.type.enumKey)!.values.some((x) => x.value === v)) return false;
    return true;
  }

  private element(t: TypeDef, f: Field, vals: Vals, params: Vals, parent: Vals | undefined, env: ReturnType<Gen['env']>, depth: number, size: { exact?: number; min: number; max: number } | undefined): unknown {
    const ty = f.type;
    switch (ty.kind) {
      case 'bits':
        if (ty.width > 53) return this.draw(fc.bigInt({ min: 0n, max: (1n << BigInt(ty.width)) - 1n }));
        if (ty.width > 32) return this.draw(fc.maxSafeNat().map((n) => n % 2 ** ty.width));
        return ty.width === 1 ? this.draw(fc.boolean()) : this.draw(fc.integer({ min: 0, max: 2 ** ty.width - 1 }));
      case 'float':
        return this.draw(ty.width === 4 ? fc.float({ noNaN: true }) : fc.double({ noNaN: true }));
      case 'uint': {
        const bits = BigInt(8 * ty.width);
        const top = ty.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
        const valid = f.valid;
        let v: bigint;
        if (valid?.eq) v = this.int(valid.eq, env);
        else if (valid?.anyOf) v = this.draw(fc.constantFrom(...valid.anyOf.map((e) => this.int(e, env))));
        else if (valid?.inEnum && ty.enumKey) v = this.draw(fc.constantFrom(...this.program.enums.get(ty.enumKey)!.values.map((x) => x.value)));
        else {
          const min = valid?.min ? this.int(valid.min, env) : ty.signed ? -top - 1n : 0n;
          const max = valid?.max ? this.int(valid.max, env) : top;
          const named = ty.enumKey ? this.program.enums.get(ty.enumKey)!.values.map((x) => x.value).filter((x) => x >= min && x <= max) : [];
          v = named.length && this.draw(fc.boolean()) ? this.draw(fc.constantFrom(...named)) : this.draw(fc.bigInt({ min, max }));
        }
        return ty.width === 8 ? v : Number(v);
      }
      case 'str': {
        // letters and digits only: no terminator or pad byte inside, and one byte per character (two in UTF-16)
        const per = ty.encoding.startsWith('UTF-16') ? 2 : 1;
        const free = f.term !== undefined || f.padRight !== undefined;
        const min = size?.exact !== undefined && !free ? size.exact / per : 0;
        const max = size?.exact !== undefined ? Math.floor(size.exact / per) : Math.floor(Math.min(size?.max ?? this.maxExtra, (size?.min ?? 0) + this.maxExtra) / per);
        const chars = this.draw(fc.array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), { minLength: Math.max(min, Math.ceil((size?.min ?? 0) / per)), maxLength: Math.max(max, min) }));
        return chars.join('');
      }
      case 'bytes': {
        if (f.valid?.eq?.kind === 'bytes') return Uint8Array.from(f.valid.eq.value);
        if (f.term !== undefined || f.padRight !== undefined) {
          // no terminator inside, no pad byte at the end: what decoding gives back
          const bad = (b: Uint8Array): boolean => (f.term !== undefined && !f.term.include && b.includes(f.term.value)) || (f.padRight !== undefined && b.length > 0 && b[b.length - 1] === f.padRight);
          const max = size?.exact ?? Math.min(size?.max ?? this.maxExtra, (size?.min ?? 0) + this.maxExtra);
          const b = this.draw(fc.uint8Array({ minLength: 0, maxLength: max }).filter((x) => !bad(x)));
          return f.term?.include ? Uint8Array.from([...b.filter((x) => x !== f.term!.value), f.term.value]) : b;
        }
        if (size?.exact !== undefined) return this.draw(fc.uint8Array({ minLength: size.exact, maxLength: size.exact }));
        const min = size?.min ?? 0;
        const max = Math.min(size?.max ?? min + this.maxExtra, min + this.maxExtra);
        return this.draw(fc.uint8Array({ minLength: min, maxLength: max }));
      }
      case 'contents': return Uint8Array.from(ty.bytes);
      case 'struct': return this.sized(size, () => this.nested(ty.ref.type, ty.ref.args, vals, params, env, depth), ty.ref.type, ty.ref.args, env);
      case 'switch': {
        const on = this.int(ty.on, env);
        const c = ty.cases.find((x) => x.value === on)?.target ?? ty.fallback;
        if (!c) throw new Error(`arbitraryFor: ${t.tsName}.${f.id}: switch-on value ${on} has no case`);
        if (c.kind === 'bytes') return this.element(t, { ...f, type: { kind: 'bytes' } }, vals, params, parent, env, depth, size);
        if (c.kind === 'num') return this.element(t, { ...f, type: c.num.kind === 'float' ? { kind: 'float', width: c.num.width as 4 | 8 } : { ...c.num, kind: 'uint' as const } }, vals, params, parent, env, depth, size);
        if (c.kind === 'str') return this.element(t, { ...f, type: { kind: 'str', encoding: c.encoding }, ...(c.zeroTerminated ? { term: { value: 0, include: false, consume: true } } : {}) }, vals, params, parent, env, depth, size);
        return this.sized(size, () => this.nested(c.ref.type, c.ref.args, vals, params, env, depth), c.ref.type, c.ref.args, env);
      }
    }
  }

  private nested(key: string, args: readonly Expr[], vals: Vals, params: Vals, env: ReturnType<Gen['env']>, depth: number): Record<string, unknown> {
    const target = this.program.types.get(key)!;
    const p: Vals = {};
    target.params.forEach((param, i) => {
      const v = evaluate(args[i]!, env);
      p[param.id] = typeof v === 'bigint' ? Number(v) : v;
    });
    return this.struct(target, p, { ...params, ...vals }, depth + 1);
  }

  /** Draws a struct until its wire size lies in the range its length field allows. */
  private sized(size: { exact?: number; min: number; max: number } | undefined, make: () => Record<string, unknown>, key: string, args: readonly Expr[], env: ReturnType<Gen['env']>): Record<string, unknown> {
    if (!size) return make();
    const target = this.program.types.get(key)!;
    const p: Vals = {};
    target.params.forEach((param, i) => { const v = evaluate(args[i]!, env); p[param.id] = typeof v === 'bigint' ? Number(v) : v; });
    for (let attempt = 0; attempt < 50; attempt++) {
      const v = make();
      const n = wireSize(this.program, target, v, p, undefined, this.root);
      if (n >= size.min && n <= size.max) return v;
    }
    throw new Error(`arbitraryFor: could not draw a ${target.tsName} of ${size.min}..${size.max} bytes in 50 attempts`);
  }
}

/** Bytes a value takes on the wire (from the IR; mirrors the generated encoder). */
export function wireSize(program: Program, t: TypeDef, v: Record<string, unknown>, params: Vals, parent: Vals | undefined, root?: Vals): number {
  const spec = program.specs.find((s) => s.id === t.specId)!;
  const rootVals = spec.root === t.key ? { ...params, ...v } : root;
  const env = {
    lookup: (n: string): unknown => (n in v ? v[n] : params[n]),
    parent: (n: string): unknown => parent?.[n],
    root: (n: string): unknown => rootVals?.[n],
    enumValue: (path: readonly string[], value: string): bigint => {
      const key = resolveEnumName(spec.id, spec.imports, program.enums, path.join('::'))!;
      return program.enums.get(key)!.values.find((x) => x.name === value)!.value;
    },
  };
  let n = 0;
  let bits = 0; // a run of bit fields takes whole bytes
  for (const f of t.fields) {
    if (f.cond && !evaluate(f.cond, env)) continue;
    const ty = f.type;
    if (ty.kind === 'bits') { bits += ty.width * (f.repeat ? (v[f.id] as unknown[]).length : 1); continue; }
    n += Math.ceil(bits / 8);
    bits = 0;
    if (ty.kind === 'float') { n += ty.width * (f.repeat ? (v[f.id] as unknown[]).length : 1); continue; }
    if (ty.kind === 'uint') { n += f.derived ? ty.width : ty.width * (f.repeat ? (v[f.id] as unknown[]).length : 1); continue; }
    if (ty.kind === 'contents') { n += ty.bytes.length; continue; }
    const elems = f.repeat ? (v[f.id] as unknown[]) : [v[f.id]];
    for (const e of elems) {
      if (f.size === undefined && f.term && f.term.consume && !f.term.include) n += 1;
      if (typeof e === 'string') { n += (ty.kind === 'str' && ty.encoding.startsWith('UTF-16') ? 2 : 1) * e.length; continue; }
      if (e instanceof Uint8Array) { n += e.length; continue; }
      let key: string | undefined;
      let args: readonly Expr[] = [];
      if (ty.kind === 'struct') { key = ty.ref.type; args = ty.ref.args; }
      if (ty.kind === 'switch') {
        const on = evaluate(ty.on, env);
        const c = ty.cases.find((x) => x.value === on)?.target ?? ty.fallback;
        if (c?.kind === 'struct') { key = c.ref.type; args = c.ref.args; }
      }
      if (key === undefined) continue;
      const target = program.types.get(key)!;
      const p: Vals = {};
      target.params.forEach((param, i) => { const x = evaluate(args[i]!, env); p[param.id] = typeof x === 'bigint' ? Number(x) : x; });
      n += wireSize(program, target, e as Record<string, unknown>, p, { ...params, ...v }, rootVals);
    }
  }
  return n + Math.ceil(bits / 8);
}

/** Deep equality for decoded values (Uint8Array by content, bigint, undefined-valued keys). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue((a as Vals)[k], (b as Vals)[k]));
  }
  return Object.is(a, b);
}

/** Whether every field of a drawn value v (deeply; byte arrays by content) is the same in d, the value decoded
 *  from its encoding, which may have more fields (value instances). */
export const sameOn = (v: unknown, d: unknown): boolean => {
  if (v instanceof Uint8Array) return d instanceof Uint8Array && Buffer.from(v).equals(Buffer.from(d));
  if (Array.isArray(v)) return Array.isArray(d) && v.length === d.length && v.every((x, i) => sameOn(x, d[i]));
  if (v !== null && typeof v === 'object') return d !== null && typeof d === 'object' && Object.entries(v).every(([key, x]) => sameOn(x, (d as Record<string, unknown>)[key]));
  return Object.is(v, d);
};
