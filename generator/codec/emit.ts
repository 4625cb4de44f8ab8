// IR -> TypeScript, built with ts-morph (source-file construction, then getFullText()). Reads only the IR.
// Generated code is straight-line: one read*/write* function per type, integer reads inlined as Reader
// calls, no closures or interpretation at run time. Output is deterministic for the same IR.
import { IndentationText, NewLineKind, Project, QuoteKind, StructureKind, VariableDeclarationKind, type StatementStructures } from 'ts-morph';
import { show, substitute, usesIo, usesIoBeyondPos, type Expr } from './expr.ts';
import { BUILTIN_SIZES, CAST_NUMBERS, castTypeKey, fixedSizeOf, resolveEnumName } from './passes.ts';
import type { CaseTarget, EnumDef, Field, Instance, Program, Spec, TypeDef, TypeRef } from './ir.ts';

export interface EmitOptions {
  /** First line of the file (the @generated header). */
  readonly header: string;
  /** Import specifier of runtime/codec/index.ts from the generated file. */
  readonly runtimeImport: string;
  /** Import specifier of another spec's generated file, by meta.id. */
  importFor(specId: string): string;
}

const RESERVED = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'implements', 'interface', 'let', 'package', 'private', 'protected', 'public', 'static', 'yield', 'await', 'arguments', 'eval', 'undefined', 'NaN', 'Infinity']);
// the generated functions' own names: a field or param with one of these gets a trailing underscore
const OWN = new Set(['r', 'w', 'v', 'bytes', 'value']);
/** How deep recursive types may nest (schema path length) before decode/encode stop with an error. */
const MAX_DEPTH = 256;
const local = (id: string): string => (RESERVED.has(id) || OWN.has(id) ? `${id}_` : id);
const q = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const hexLit = (v: bigint | number): string => {
  const n = BigInt(v);
  return n > 9n ? `0x${n.toString(16).padStart(n > 0xffn ? 4 : 2, '0')}` : n.toString();
};

let projectCache: Project | undefined;
function project(): Project {
  projectCache ??= new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces, newLineKind: NewLineKind.LineFeed, quoteKind: QuoteKind.Single, useTrailingCommas: true },
  });
  return projectCache;
}

type Ty = 'int' | 'bigint' | 'bool' | 'bytes' | 'str' | 'array' | 'other';
/** What an expression evaluates to: its Ty, the struct type when it is one, the element when it is an array. */
interface TyInfo { readonly ty: Ty; readonly struct?: string; readonly elem?: TyInfo }

interface Ctx {
  readonly program: Program;
  readonly spec: Spec;
  readonly type: TypeDef;
  /** 'read' or 'write' side. */
  readonly side: 'read' | 'write';
  readonly io: string;
  /** In a repeat-until condition: the element just read (`_`) and its field. */
  readonly elem?: { readonly code: string; readonly field: Field };
  /** In the element expressions of a repeated field: the element's index (`_index`). */
  readonly index?: string;
}

class Emitter {
  private readonly imports = new Map<string, Set<string>>();
  private readonly runtime = new Set<string>();
  private readonly enumSets = new Set<string>();
  private tmp = 0;

  constructor(private readonly program: Program, private readonly spec: Spec, private readonly opts: EmitOptions) {}

  // ---- names across files
  private use(specId: string, name: string): string {
    if (specId !== this.spec.id) {
      if (!this.imports.has(specId)) this.imports.set(specId, new Set());
      this.imports.get(specId)!.add(name);
    }
    return name;
  }
  private typeName(key: string): string {
    const t = this.program.types.get(key)!;
    return this.use(t.specId, t.tsName);
  }
  private fn(prefix: 'read' | 'write', key: string): string {
    const t = this.program.types.get(key)!;
    return this.use(t.specId, `${prefix}${t.tsName}`);
  }
  private enumName(key: string): string {
    const e = this.program.enums.get(key)!;
    return this.use(e.specId, e.tsName);
  }
  private enumValueName(v: bigint, key: string | undefined): string {
    if (!key) return '';
    const e = this.program.enums.get(key)!;
    const n = e.values.find((x) => x.value === v);
    return n ? ` /* ${e.id}::${n.name} */` : '';
  }
  private t(): string {
    return `$${++this.tmp}`;
  }

  // ---- TS types
  private uintTs(f: { width: number; enumKey?: string }): string {
    if (f.width === 8) return 'bigint';
    return f.enumKey ? this.enumName(f.enumKey) : 'number';
  }
  private targetTs(c: CaseTarget): string {
    if (c.kind === 'num') return c.num.width === 8 && c.num.kind === 'uint' ? 'bigint' : 'number';
    if (c.kind === 'str') return 'string';
    return c.kind === 'bytes' ? 'Uint8Array' : this.typeName(c.ref.type);
  }
  private elemTs(f: Field): string {
    const ty = f.type;
    switch (ty.kind) {
      case 'uint': return this.uintTs(ty);
      case 'float': return 'number';
      case 'str': return 'string';
      case 'bits': return ty.width === 1 ? 'boolean' : ty.enumKey ? this.enumName(ty.enumKey) : ty.width > 53 ? 'bigint' : 'number';
      case 'bytes': case 'contents': return 'Uint8Array';
      case 'struct': return this.typeName(ty.ref.type);
      case 'switch': {
        const all = [...ty.cases.map((c) => this.targetTs(c.target)), ...(ty.fallback ? [this.targetTs(ty.fallback)] : [])];
        return [...new Set(all)].join(' | ') || 'never';
      }
    }
  }
  private fieldTs(f: Field): string {
    const e = this.elemTs(f);
    return f.repeat ? (e.includes(' | ') ? `(${e})[]` : `${e}[]`) : e;
  }
  private visible(t: TypeDef): Field[] {
    return t.fields.filter((f) => !f.derived && f.type.kind !== 'contents');
  }
  private provenance(f: Field): string {
    const parts = [f.ksyType === 'switch' ? `switch-on ${show((f.type as { on: Expr }).on)}` : f.ksyType];
    if (f.size === 'eos') parts.push('size-eos');
    else if (f.size) parts.push(`size ${show(f.size)}`);
    if (f.repeat) parts.push(f.repeat.kind === 'eos' ? 'repeat eos' : f.repeat.kind === 'until' ? `repeat until ${show(f.repeat.until)}` : `repeat ${show(f.repeat.count)}`);
    if (f.cond) parts.push(`if ${show(f.cond)}`);
    return `${parts.join(', ')} ${f.id}`;
  }
  private propDoc(f: Field): string {
    const lines = [this.provenance(f)];
    if (f.valid) lines.push(`valid: ${this.validText(f)}`);
    if (f.doc) lines.push(...f.doc.trimEnd().split('\n'));
    return lines.join('\n').replace(/\*\//g, '* /');
  }

  // ---- expressions
  /** Ty of a field's value, and the struct type when it is one (for member access). */
  private fieldTy(f: Field): TyInfo {
    if (f.repeat) return { ty: 'array', elem: this.fieldTy({ ...f, repeat: undefined }) };
    const t = f.type;
    switch (t.kind) {
      case 'uint': return { ty: t.width === 8 ? 'bigint' : 'int' };
      case 'float': return { ty: 'int' };
      case 'bits': return { ty: t.width === 1 ? 'bool' : t.width > 53 ? 'bigint' : 'int' };
      case 'str': return { ty: 'str' };
      case 'bytes': case 'contents': return { ty: 'bytes' };
      case 'struct': return { ty: 'other', struct: t.ref.type };
      default: return { ty: 'other' };
    }
  }

  /** The field or param `name` of the type that `_parent` (or `_root`) denotes for ctx.type. */
  private refInfo(base: '_parent' | '_root', name: string, ctx: Ctx): { field?: Field; info: TyInfo } {
    const key = base === '_parent' ? ctx.type.parentType : this.spec.root;
    const t = key === undefined ? undefined : this.program.types.get(key);
    const f = t?.fields.find((x) => x.id === name);
    if (f) return { field: f, info: this.fieldTy(f) };
    const p = t?.params.find((x) => x.id === name);
    return { info: { ty: p?.width === 0 ? 'bool' : 'int' } };
  }
  /** TypeScript type of a `$parent.x` / `$root.x` value. */
  private refTs(base: '_parent' | '_root', name: string, t: TypeDef): string {
    const key = base === '_parent' ? t.parentType : this.spec.root;
    const u = key === undefined ? undefined : this.program.types.get(key);
    const f = u?.fields.find((x) => x.id === name);
    // an integer is a plain number here: parents may give it different enums
    if (f && !f.repeat && (f.type.kind === 'uint' || f.type.kind === 'bits') && f.type.enumKey) return f.type.kind === 'uint' && f.type.width === 8 ? 'bigint' : 'number';
    if (f) return this.fieldTs(f);
    const p = u?.params.find((x) => x.id === name);
    return p?.width === 0 ? 'boolean' : 'number';
  }

  private expr(e: Expr, ctx: Ctx): { code: string } & TyInfo {
    const type = ctx.type;
    const bin = (a: { code: string; ty: Ty }, b: { code: string; ty: Ty }, ea: Expr, eb: Expr): [string, string] => {
      if (a.ty === 'bigint' && b.ty !== 'bigint') return [a.code, eb.kind === 'int' ? `${eb.value}n` : `BigInt(${b.code})`];
      if (b.ty === 'bigint' && a.ty !== 'bigint') return [ea.kind === 'int' ? `${ea.value}n` : `BigInt(${a.code})`, b.code];
      return [a.code, b.code];
    };
    switch (e.kind) {
      case 'int': return e.value > BigInt(Number.MAX_SAFE_INTEGER) ? { code: `${e.value}n`, ty: 'bigint' } : { code: hexLit(e.value), ty: 'int' };
      case 'bool': return { code: String(e.value), ty: 'bool' };
      case 'str': return { code: q(e.value), ty: 'str' };
      case 'bytes': this.runtime.add('bytesEqual'); return { code: `Uint8Array.of(${e.value.map((b) => hexLit(b)).join(', ')})`, ty: 'bytes' };
      case 'enum': {
        const key = resolveEnumName(this.spec.id, this.spec.imports, this.program.enums, e.path.join('::'))!;
        const v = this.program.enums.get(key)!.values.find((x) => x.value !== undefined && x.name === e.value)!.value;
        return { code: `${hexLit(v)} /* ${e.path[e.path.length - 1]}::${e.value} */`, ty: 'int' };
      }
      case 'name': {
        if (e.name === '_index' && ctx.index) return { code: ctx.index, ty: 'int' };
        if (e.name === '_' && ctx.elem) return { code: ctx.elem.code, ...this.fieldTy({ ...ctx.elem.field, repeat: undefined } as Field) };
        const pi = type.posInstances.find((x) => x.id === e.name);
        if (pi) return { code: `$pi_${pi.id}()${pi.cond ? '!' : ''}`, ...this.fieldTy(pi) };
        const p = type.params.find((x) => x.id === e.name);
        if (p) return { code: local(p.id), ty: p.width === 0 ? 'bool' : 'int' };
        const f = type.fields.find((x) => x.id === e.name)!;
        const base = ctx.side === 'read' ? local(f.id) : `v.${f.id}`;
        return { code: f.cond ? `${base}!` : base, ...this.fieldTy(f) };
      }
      case 'member': {
        if (e.object.kind === 'name' && e.object.name === '_parent') return { code: `$parent.${e.name}`, ...this.refInfo('_parent', e.name, ctx).info };
        if (e.object.kind === 'name' && e.object.name === '_root') {
          if (ctx.type.rootRefs.length === 0) return this.expr({ kind: 'name', name: e.name }, ctx); // in the root type itself
          return { code: `$root.${e.name}`, ...this.refInfo('_root', e.name, ctx).info };
        }
        if (e.object.kind === 'name' && e.object.name === '_io') {
          if (e.name === 'size') return { code: `${ctx.io}.size`, ty: 'int' };
          if (e.name === 'pos') return { code: ctx.side === 'write' ? `(${ctx.io}.pos - ${ctx.io}.ioStart)` : `(${ctx.io}.pos - ${ctx.io}.start)`, ty: 'int' };
          return { code: `${ctx.io}.eof`, ty: 'bool' };
        }
        const o = this.expr(e.object, ctx);
        if (o.struct) {
          // a field of a struct read earlier, or its value instance (inlined over the struct's fields)
          const st = this.program.types.get(o.struct)!;
          const sf = st.fields.find((x) => x.id === e.name);
          if (sf) return { code: `${o.code}.${e.name}${sf.cond ? '!' : ''}`, ...this.fieldTy(sf) };
          // a pos instance: set on every decoded value (read when first needed, at the latest when the value is built)
          const pi = st.posInstances.find((x) => x.id === e.name);
          if (pi) return { code: `${o.code}.${e.name}!`, ...this.fieldTy(pi) };
          const inst = st.instances.find((x) => x.id === e.name)!;
          return this.expr(substitute(inst.expr, (n) => ({ kind: 'member', object: e.object, name: n })), ctx);
        }
        switch (e.name) {
          case 'to_i': return { code: o.ty === 'str' ? `Number.parseInt(${o.code}, 10)` : o.ty === 'bool' ? `(${o.code} ? 1 : 0)` : o.code, ty: 'int' };
          case 'to_s': return { code: `String(${o.code})`, ty: 'str' };
          case 'first': return { code: `${o.code}[0]!`, ...(o.elem ?? { ty: 'other' as const }) };
          case 'last': return { code: `${o.code}[${o.code}.length - 1]!`, ...(o.elem ?? { ty: 'other' as const }) };
          case 'min': case 'max': return { code: `Math.${e.name}(...${o.code})`, ty: 'int' };
          case 'reverse': return { code: `[...${o.code}].reverse().join('')`, ty: 'str' };
          case 'length': case 'size': return { code: `${o.code}.length`, ty: 'int' };
          default: throw new Error(`protosmith bug: member '.${e.name}' reached the emitter unchecked`);
        }
      }
      case 'index': {
        const o = this.expr(e.object, ctx);
        const i = this.expr(e.index, ctx);
        return { code: `${o.code}[${i.code}]!`, ...(o.ty === 'bytes' ? { ty: 'int' as const } : o.elem ?? { ty: 'other' as const }) };
      }
      case 'sizeof': {
        const key = BUILTIN_SIZES[e.type] === undefined ? castTypeKey(this.spec.id, this.spec.imports, (k) => this.program.types.has(k), e.type) : undefined;
        const n = BUILTIN_SIZES[e.type] ?? fixedSizeOf(key!, (k) => this.program.types.get(k))!;
        return { code: `${n} /* sizeof<${e.type}> */`, ty: 'int' };
      }
      case 'cast': {
        // a cast changes the static type only: to a number it is the value as is; to a user type, the
        // switch field's value as that case (as in Kaitai's JavaScript, not checked at run time)
        const o = this.expr(e.object, ctx);
        if (CAST_NUMBERS.has(e.type)) return o;
        const key = castTypeKey(this.spec.id, this.spec.imports, (k) => this.program.types.has(k), e.type)!;
        return { code: `(${o.code} as ${this.typeName(key)})`, ty: 'other', struct: key };
      }
      case 'unary': {
        const o = this.expr(e.operand, ctx);
        if (e.op === 'not') return { code: `!(${o.code})`, ty: 'bool' };
        return { code: `${e.op}(${o.code})`, ty: o.ty };
      }
      case 'binary': {
        const a = this.expr(e.left, ctx);
        const b = this.expr(e.right, ctx);
        if (e.op === 'and' || e.op === 'or') return { code: `(${a.code} ${e.op === 'and' ? '&&' : '||'} ${b.code})`, ty: 'bool' };
        if ((e.op === '==' || e.op === '!=') && (a.ty === 'bytes' || b.ty === 'bytes')) {
          this.runtime.add('bytesEqual');
          return { code: `${e.op === '!=' ? '!' : ''}bytesEqual(${a.code}, ${b.code})`, ty: 'bool' };
        }
        const [x, y] = bin(a, b, e.left, e.right);
        const big = a.ty === 'bigint' || b.ty === 'bigint';
        const ty: Ty = ['<', '<=', '>', '>=', '==', '!='].includes(e.op) ? 'bool' : big ? 'bigint' : 'int';
        if (e.op === '/' && !big) return { code: `Math.floor(${x} / ${y})`, ty };
        // Kaitai's `%` is non-negative for a positive divisor (KaitaiStream.mod): -5 % 4 is 3, not JS's -1
        if (e.op === '%') return { code: `(((${x} % ${y}) + ${y}) % ${y})`, ty };
        // `>>` on numbers is `>>>`, as in Kaitai's JavaScript: a u4 with its top bit set shifts as unsigned
        const op = e.op === '==' ? '===' : e.op === '!=' ? '!==' : e.op === '>>' && !big ? '>>>' : e.op;
        return { code: `(${x} ${op} ${y})`, ty };
      }
      case 'ternary': {
        const c = this.expr(e.cond, ctx);
        const a = this.expr(e.then, ctx);
        const b = this.expr(e.else, ctx);
        return { code: `(${c.code} ? ${a.code} : ${b.code})`, ty: a.ty };
      }
    }
  }
  private code(e: Expr, ctx: Ctx): string {
    const c = this.expr(e, ctx).code;
    return c.startsWith('(') && c.endsWith(')') && balanced(c.slice(1, -1)) ? c.slice(1, -1) : c;
  }

  /** A size or count as a number (an argument; see operand()): a bigint (from u8/s8) converted. */
  private numCode(e: Expr, ctx: Ctx): string {
    const x = this.expr(e, ctx);
    const bare = x.code.startsWith('(') && x.code.endsWith(')') && balanced(x.code.slice(1, -1)) ? x.code.slice(1, -1) : x.code;
    return x.ty === 'bigint' ? `Number(${bare})` : bare;
  }

  /** TypeScript type of a value instance, from its expression's type (or its enum). */
  private instanceTs(i: Instance, ctx: Ctx): string {
    if (i.enumKey) return this.enumName(i.enumKey);
    const saved = this.tmp;
    const ty = this.expr(i.expr, ctx).ty;
    this.tmp = saved;
    return ty === 'int' ? 'number' : ty === 'bigint' ? 'bigint' : ty === 'bool' ? 'boolean' : ty === 'bytes' ? 'Uint8Array' : ty === 'str' ? 'string' : 'unknown';
  }

  // ---- valid
  private validText(f: Field): string {
    const v = f.valid!;
    const parts: string[] = [];
    if (v.eq) parts.push(`== ${show(v.eq)}`);
    if (v.min && v.max) parts.push(`${show(v.min)}..${show(v.max)}`);
    else if (v.min) parts.push(`>= ${show(v.min)}`);
    else if (v.max) parts.push(`<= ${show(v.max)}`);
    if (v.anyOf) parts.push(`one of ${v.anyOf.map(show).join(', ')}`);
    if (v.inEnum && f.type.kind === 'uint' && f.type.enumKey) parts.push(`${article(this.program.enums.get(f.type.enumKey)!.id)} value`);
    return parts.join(' and ');
  }
  private validCond(f: Field, x: string, ctx: Ctx): string | undefined {
    const v = f.valid;
    if (!v) return undefined;
    const conds: string[] = [];
    const wrap = (e: Expr): string => {
      const c = this.expr(e, ctx);
      if (f.type.kind === 'uint' && f.type.width === 8 && c.ty !== 'bigint') return e.kind === 'int' ? `${e.value}n` : `BigInt(${c.code})`;
      return c.code;
    };
    if (v.eq) {
      if (v.eq.kind === 'bytes') { this.runtime.add('bytesEqual'); conds.push(`bytesEqual(${x}, ${wrap(v.eq)})`); }
      else conds.push(`${x} === ${wrap(v.eq)}`);
    }
    if (v.min) conds.push(`${x} >= ${wrap(v.min)}`);
    if (v.max) conds.push(`${x} <= ${wrap(v.max)}`);
    if (v.anyOf) conds.push(`(${v.anyOf.map((e) => `${x} === ${wrap(e)}`).join(' || ')})`);
    if (v.inEnum && f.type.kind === 'uint' && f.type.enumKey) {
      const e = this.program.enums.get(f.type.enumKey)!;
      const set = `$in${e.tsName}`;
      this.enumName(f.type.enumKey);
      this.enumSets.add(f.type.enumKey);
      conds.push(`${set}.has(${x})`);
    }
    return conds.length ? conds.join(' && ') : undefined;
  }

  // ---- argument lists for nested calls
  private callArgs(ref: TypeRef, ctx: Ctx): string {
    const target = this.program.types.get(ref.type)!;
    const args = ref.args.map((a) => this.code(a, ctx));
    if (target.parentRefs.length) {
      const obj = target.parentRefs.map((n) => {
        const p = ctx.type.params.find((x) => x.id === n);
        if (p) return `${n}: ${local(n)}`;
        const f = ctx.type.fields.find((x) => x.id === n)!;
        return `${n}: ${ctx.side === 'read' ? local(f.id) : `v.${f.id}`}${f.cond ? '!' : ''}`;
      });
      args.push(`{ ${obj.join(', ')} }`);
    }
    if (target.rootRefs.length) {
      if (ctx.type.rootRefs.length) args.push('$root');
      else {
        const obj = target.rootRefs.map((n) => {
          const p = ctx.type.params.find((x) => x.id === n);
          if (p) return `${n}: ${local(n)}`;
          const f = ctx.type.fields.find((x) => x.id === n)!;
          return `${n}: ${ctx.side === 'read' ? local(f.id) : `v.${f.id}`}${f.cond ? '!' : ''}`;
        });
        args.push(`{ ${obj.join(', ')} }`);
      }
    }
    return args.length ? `, ${args.join(', ')}` : '';
  }
  private paramDecls(t: TypeDef): { name: string; type: string }[] {
    const out = t.params.map((p) => ({ name: local(p.id), type: p.width === 0 ? 'boolean' : p.enumKey ? this.enumName(p.enumKey) : 'number' }));
    if (t.parentRefs.length) out.push({ name: '$parent', type: `{ ${t.parentRefs.map((n) => `readonly ${n}: ${this.refTs('_parent', n, t)}`).join('; ')} }` });
    if (t.rootRefs.length) out.push({ name: '$root', type: `{ ${t.rootRefs.map((n) => `readonly ${n}: ${this.refTs('_root', n, t)}`).join('; ')} }` });
    return out;
  }

  // ---- read side
  private readElem(f: Field, r: string, key: string, ctx: Ctx, out: string[], target?: string): string {
    const ty = f.type;
    const alert = f.valid ? `, ${q(f.valid.alert)}` : '';
    const sized = f.size !== undefined;
    const checkValid = (x: string, at: string): void => {
      const c = this.validCond(f, x, ctx);
      if (c) out.push(`if (!(${c})) ${r}.invalid(${key}, ${at}, ${q(this.validText(f))}, ${x}${alert});`);
    };
    if (ty.kind === 'bits') return ty.width === 1 ? `(${r}.bitsBe(1, ${key}) === 1)` : `${r}.${ty.width > 53 ? 'bitsBeBig' : 'bitsBe'}(${ty.width}, ${key})`;
    if (ty.kind === 'str' || (ty.kind === 'bytes' && (f.term || f.padRight !== undefined))) {
      // sized (or to the end), then pad bytes stripped and cut at the terminator; or read up to the terminator
      let read = f.size === 'eos' ? `${r}.rest()` : f.size !== undefined ? `${r}.bytes(${this.numCode(f.size, { ...ctx, io: r })}, ${key})`
        : `${r}.bytesTerm(${hexLit(f.term!.value)}, ${f.term!.include}, ${f.term!.consume}, ${key})`;
      if (f.size !== undefined && f.padRight !== undefined) { this.runtime.add('stripRight'); read = `stripRight(${read}, ${hexLit(f.padRight)})`; }
      if (f.size !== undefined && f.term) { this.runtime.add('cutAt'); read = `cutAt(${read}, ${hexLit(f.term.value)}, ${f.term.include})`; }
      if (ty.kind === 'str') read = `${r}.str(${read}, ${q(ty.encoding)}, ${key})`;
      if (!f.valid) return read;
      const at = `$at${++this.tmp}`;
      const x = target ?? this.t();
      out.push(`const ${at} = ${r}.pos;`, `const ${x} = ${read};`);
      checkValid(x, at);
      return x;
    }
    if (ty.kind === 'uint' || ty.kind === 'float') {
      const m = numberMethod(ty);
      if (!f.valid) return `${r}.${m}(${key})`;
      const at = `$at${++this.tmp}`;
      const x = target ?? this.t();
      out.push(`const ${at} = ${r}.pos;`, `const ${x} = ${r}.${m}(${key});`);
      checkValid(x, at);
      return x;
    }
    if (ty.kind === 'bytes') {
      const read = f.size === 'eos' ? `${r}.rest()` : `${r}.bytes(${this.numCode(f.size as Expr, { ...ctx, io: r })}, ${key})`;
      if (!f.valid) return read;
      const at = `$at${++this.tmp}`;
      const x = target ?? this.t();
      out.push(`const ${at} = ${r}.pos;`, `const ${x} = ${read};`);
      checkValid(x, at);
      return x;
    }
    if (ty.kind === 'contents') {
      this.runtime.add('contents');
      out.push(`${r}.expect(Uint8Array.of(${ty.bytes.map((b) => hexLit(b)).join(', ')}), ${key});`);
      return '';
    }
    // struct or switch: possibly inside a window narrowed to its size
    const rr = r;
    if (sized) out.push(`${r}.limit(${f.size === 'eos' ? `${r}.remaining` : this.numCode(f.size as Expr, { ...ctx, io: r })}, ${key});`);
    out.push(`$t.push(${key});`);
    const x = target ?? this.t();
    const ictx = { ...ctx, io: r };
    if (ty.kind === 'struct') {
      out.push(`const ${x} = ${this.fn('read', ty.ref.type)}(${rr}${this.callArgs(ty.ref, ictx)});`);
    } else {
      out.push(`let ${x}: ${this.elemTs(f)};`);
      const on = this.code(ty.on, ictx);
      out.push(`switch (${on}) {`);
      const enumKey = this.switchEnum(f, ctx);
      for (const c of ty.cases) {
        out.push(`  case ${caseLit(c.value)}${typeof c.value === 'bigint' ? this.enumValueName(c.value, enumKey) : ''}:`);
        out.push(`    ${x} = ${this.readTarget(c.target, rr, ictx, key)};`, '    break;');
      }
      out.push('  default:');
      if (ty.fallback) out.push(`    ${x} = ${this.readTarget(ty.fallback, rr, ictx, key)};`);
      else out.push(`    ${rr}.noCase(${key}, ${rr}.pos, ${q(`one of ${ty.cases.map((c) => c.label).join(', ')}`)}, ${on});`);
      out.push('}');
    }
    if (sized) out.push(`${r}.unlimit();`);
    out.push('$t.pop();');
    return x;
  }
  private readTarget(c: CaseTarget, r: string, ctx: Ctx, key: string): string {
    if (c.kind === 'num') return `${r}.${numberMethod(c.num)}(${key})`;
    if (c.kind === 'str') return `${r}.str(${c.zeroTerminated ? `${r}.bytesTerm(0, false, true, ${key})` : `${r}.rest()`}, ${q(c.encoding)}, ${key})`;
    return c.kind === 'bytes' ? `${r}.rest()` : `${this.fn('read', c.ref.type)}(${r}${this.callArgs(c.ref, ctx)})`;
  }
  private switchEnum(f: Field, ctx: Ctx): string | undefined {
    if (f.type.kind !== 'switch' || f.type.on.kind !== 'name') return undefined;
    const name = f.type.on.name;
    const d = ctx.type.fields.find((x) => x.id === name);
    if (d?.type.kind === 'uint') return d.type.enumKey;
    return ctx.type.params.find((p) => p.id === name)?.enumKey;
  }

  private readField(f: Field, ctx: Ctx, out: string[]): void {
    const name = local(f.id);
    const body: string[] = [];
    let value: string;
    const ts = this.fieldTs(f);
    if (f.repeat) {
      const arr = f.cond ? this.t() : name;
      const elemMin = this.elemMinSize(f);
      const ictx: Ctx = { ...ctx, index: '$i' };
      if (f.repeat.kind === 'expr') {
        body.push(`const $n_${f.id} = r.count(${this.numCode(f.repeat.count, ctx)}, ${Math.max(1, elemMin)}, ${q(f.id)});`);
      }
      body.push(`const ${arr}: ${ts} = [];`, `$t.push(${q(f.id)});`);
      if (f.repeat.kind === 'until') {
        const loop: string[] = [];
        const x = this.readElem(f, 'r', '$i', ictx, loop);
        const e = this.t();
        body.push(`for (let $i = 0; ; $i++) {`, ...loop.map((l) => `  ${l}`), `  const ${e} = ${x};`, `  ${arr}.push(${e});`,
          `  if (${this.code(f.repeat.until, { ...ictx, elem: { code: e, field: f } })}) break;`, '}');
      } else if (f.repeat.kind === 'eos') {
        const loop: string[] = [];
        const start = this.t();
        const x = this.readElem(f, 'r', '$i', ictx, loop);
        body.push(`for (let $i = 0; !r.eof; $i++) {`);
        if (elemMin === 0) body.push(`  const ${start} = r.pos;`);
        body.push(...loop.map((l) => `  ${l}`), `  ${arr}.push(${x});`);
        if (elemMin === 0) body.push(`  if (r.pos === ${start}) r.fail('bad_length', $i, r.pos, 'an element of at least 1 byte', '0 bytes');`);
        body.push('}');
      } else {
        const n = `$n_${f.id}`;
        const loop: string[] = [];
        const x = this.readElem(f, 'r', '$i', ictx, loop);
        body.push(`for (let $i = 0; $i < ${n}; $i++) {`, ...loop.map((l) => `  ${l}`), `  ${arr}.push(${x});`, '}');
      }
      body.push('$t.pop();');
      value = arr;
    } else {
      value = this.readElem(f, 'r', q(f.id), ctx, body, f.cond || f.type.kind === 'contents' ? undefined : name);
    }
    out.push(`/* ${this.provenance(f)} */`);
    if (ctx.type.posInstances.some((p) => p.io === 'field' && p.ioField === f.id)) {
      // an instance reads this field's stream (io: x._io): remember its window; bytes the type leaves unread are
      // the instance's (the type is decode-only), so the window is skipped to its end instead of checked
      const u = body.lastIndexOf('r.unlimit();');
      if (u >= 0) body.splice(u, 0, 'r.rest();');
      body.unshift(`const $io_${f.id}0 = r.pos;`);
      body.push(`const $io_${f.id}1 = r.pos;`);
    }
    const cond = f.cond ? this.readCond(f, f.cond, ctx) : undefined;
    if (f.type.kind === 'contents') {
      if (cond) out.push(`if (${cond}) {`, ...body.map((l) => `  ${l}`), '}');
      else out.push(...body);
      return;
    }
    if (cond) {
      out.push(`let ${name}: ${ts} | undefined;`, `if (${cond}) {`, ...body.map((l) => `  ${l}`), `  ${name} = ${value};`, '}');
    } else if (value === name) {
      out.push(...body);
    } else {
      out.push(...body, `const ${name} = ${value};`);
    }
  }
  /** The decode condition of a field. A field whose derived length field shares its `_io` condition is
   *  present exactly when that length was read: re-evaluating the condition after the length (e.g. `not
   *  _io.eof` once the length consumed the last bytes) would drop the field and leave its length unchecked. */
  private readCond(f: Field, c: Expr, ctx: Ctx): string {
    if (usesIo(c)) {
      const d = ctx.type.fields.find((x) => x.derived?.target === f.id && x.cond !== undefined && show(x.cond) === show(c));
      if (d) return `${local(d.id)} !== undefined`;
    }
    return this.code(c, ctx);
  }
  private elemMinSize(f: Field): number {
    const ty = f.type;
    if (f.size !== undefined && f.size !== 'eos') return f.size.kind === 'int' ? Number(f.size.value) : 0;
    if (ty.kind === 'uint' || ty.kind === 'float') return ty.width;
    if (ty.kind === 'bits') return 0;
    if (ty.kind === 'contents') return ty.bytes.length;
    if (ty.kind === 'struct') return this.program.types.get(ty.ref.type)!.minSize;
    if (ty.kind === 'switch') {
      const ts = [...ty.cases.map((c) => c.target), ...(ty.fallback ? [ty.fallback] : [])];
      return ts.length ? Math.min(...ts.map((c) => (c.kind === 'num' ? c.num.width : c.kind !== 'struct' ? 0 : this.program.types.get(c.ref.type)!.minSize))) : 0;
    }
    return 0;
  }

  // ---- write side
  private writeElem(f: Field, x: string, key: string, ctx: Ctx, out: string[], derivedSize: boolean): void {
    const ty = f.type;
    const checkValid = (): void => {
      const c = this.validCond(f, x, ctx);
      if (c) out.push(`if (!(${c})) w.fail('invalid_value', ${key}, ${q(this.validText(f))}, ${x});`);
    };
    // (a size over `_io.pos` is checked too: the writer tracks where its window starts, see tracksIoPos)
    const sizeExpr = f.size !== undefined && f.size !== 'eos' && !derivedSize && !usesIoBeyondPos(f.size) ? this.numCode(f.size, ctx) : undefined;
    if (ty.kind === 'bits') {
      out.push(ty.width === 1 ? `w.bit(${x}, ${key});` : `w.${ty.width > 53 ? 'bitsBeBig' : 'bitsBe'}(${x}, ${ty.width}, ${key});`);
      return;
    }
    if (ty.kind === 'str' || (ty.kind === 'bytes' && (f.term || f.padRight !== undefined))) {
      checkValid();
      const b = ty.kind === 'str' ? `w.encodeStr(${x}, ${q(ty.encoding)}, ${key})` : x;
      const term = f.term && !f.term.include ? f.term.value : undefined;
      if (sizeExpr !== undefined && (f.padRight !== undefined || f.term)) out.push(`w.padded(${b}, ${sizeExpr}, ${hexLit(f.padRight ?? 0)}, ${term === undefined ? 'undefined' : hexLit(term)}, ${key});`);
      else if (sizeExpr !== undefined) out.push(`w.bytesOfSize(${b}, ${sizeExpr}, ${key});`);
      else if (term !== undefined && (f.size !== undefined || f.term!.consume)) out.push(`w.terminated(${b}, ${hexLit(term)}, ${key});`);
      else out.push(`w.bytes(${b}, ${key});`);
      return;
    }
    if (ty.kind === 'uint' || ty.kind === 'float') {
      if (f.valid) {
        if (ty.kind === 'float') out.push(`if (typeof ${x} !== 'number') w.fail('wrong_type', ${key}, 'a number (f${ty.width})', ${x});`);
        else if (ty.width === 8) out.push(`if (typeof ${x} !== 'bigint') w.fail('wrong_type', ${key}, 'a bigint (${ty.signed ? 's' : 'u'}8)', ${x});`);
        else if (ty.signed) out.push(`w.checkSint(${x}, ${ty.width as 1 | 2 | 4}, ${key});`);
        else out.push(`w.checkUint(${x}, ${ty.width}, ${key});`);
      }
      checkValid();
      out.push(`w.${numberMethod(ty)}(${x}, ${key});`);
      return;
    }
    if (ty.kind === 'bytes') {
      if (f.valid) out.push(`w.bytes(${x}, ${key});`);
      checkValid();
      if (!f.valid) out.push(sizeExpr !== undefined ? `w.bytesOfSize(${x}, ${sizeExpr}, ${key});` : `w.bytes(${x}, ${key});`);
      return;
    }
    if (ty.kind === 'contents') {
      out.push(`w.magic(Uint8Array.of(${ty.bytes.map((b) => hexLit(b)).join(', ')}));`);
      return;
    }
    const start = sizeExpr !== undefined ? this.t() : undefined;
    if (start) out.push(`const ${start} = w.pos;`);
    // a sized field is a window of its own, where `_io.pos` counts from its start (as limit() on the read side)
    const outer = f.size !== undefined && this.tracksIoPos() ? this.t() : undefined;
    if (outer) out.push(`const ${outer} = w.ioStart;`, 'w.ioStart = w.pos;');
    out.push(`$t.push(${key});`);
    if (ty.kind === 'struct') {
      out.push(`${this.fn('write', ty.ref.type)}(w, ${x}${this.callArgs(ty.ref, ctx)});`);
    } else {
      const on = this.code(ty.on, ctx);
      const enumKey = this.switchEnum(f, ctx);
      out.push(`switch (${on}) {`);
      for (const c of ty.cases) {
        out.push(`  case ${caseLit(c.value)}${typeof c.value === 'bigint' ? this.enumValueName(c.value, enumKey) : ''}:`);
        out.push(`    ${this.writeTarget(c.target, x, ctx, key)}`, '    break;');
      }
      out.push('  default:');
      if (ty.fallback) out.push(`    ${this.writeTarget(ty.fallback, x, ctx, key)}`);
      else out.push(`    w.fail('invalid_value', undefined, ${q(`a switch-on value with a case (${ty.cases.map((c) => c.label).join(', ')})`)}, ${on});`);
      out.push('}');
    }
    if (outer) out.push(`w.ioStart = ${outer};`);
    out.push('$t.pop();');
    if (start) out.push(`if (w.pos - ${start} !== ${operand(sizeExpr!)}) w.fail('size_mismatch', ${key}, \`\${${sizeExpr}} bytes\`, \`\${w.pos - ${start}} bytes\`);`);
  }
  private tracksIoPosMemo: boolean | undefined;
  /** Whether some size in the program uses `_io.pos`: then encoders track where each sized window starts. */
  private tracksIoPos(): boolean {
    this.tracksIoPosMemo ??= [...this.program.types.values()].some((t) => t.fields.some((f) => f.size !== undefined && f.size !== 'eos' && usesIo(f.size) && !usesIoBeyondPos(f.size)));
    return this.tracksIoPosMemo;
  }
    private writeTarget(c: CaseTarget, x: string, ctx: Ctx, key: string): string {
    if (c.kind === 'bytes') return `w.bytes(${x} as Uint8Array, ${key});`;
    if (c.kind === 'num') return `w.${numberMethod(c.num)}(${x} as ${this.targetTs(c)}, ${key});`;
    if (c.kind === 'str') return c.zeroTerminated ? `w.terminated(w.encodeStr(${x} as string, ${q(c.encoding)}, ${key}), 0, ${key});` : `w.bytes(w.encodeStr(${x} as string, ${q(c.encoding)}, ${key}), ${key});`;
    return `${this.fn('write', c.ref.type)}(w, ${x} as ${this.typeName(c.ref.type)}${this.callArgs(c.ref, ctx)});`;
  }

  private writeField(f: Field, ctx: Ctx, out: string[], marks: Map<string, string>): void {
    const body: string[] = [];
    out.push(`/* ${this.provenance(f)} */`);
    if (f.derived) {
      const width = (f.type as { width: 1 | 2 | 3 | 4 }).width;
      const [min, max] = this.bounds(f);
      // A derived field shares its target's `if`. A condition on `_io` cannot be evaluated while
      // writing, so, as for the target itself, the target's presence in the value decides.
      const cond = f.cond === undefined ? undefined : usesIo(f.cond) ? `v.${f.derived.target} !== undefined` : this.code(f.cond, ctx);
      if (f.derived.kind === 'size') {
        const m = `$m_${f.id}`;
        marks.set(f.derived.target, m);
        if (cond) out.push(`let ${m} = 0;`, `if (${cond}) ${m} = w.reserve(${width});`);
        else out.push(`const ${m} = w.reserve(${width});`);
      } else {
        // (a conditional array: w.array refuses undefined at run time)
        const opt = ctx.type.fields.find((x) => x.id === f.derived!.target)?.cond ? '!' : '';
        const line = `w.derived(w.array(v.${f.derived.target}${opt}, ${q(f.derived.target)}).length, ${width}, ${min}, ${max}, ${q(f.derived.target)}, ${q(`a count (derived into ${f.id})`)});`;
        out.push(cond ? `if (${cond}) ${line}` : line);
      }
      return;
    }
    const mark = marks.get(f.id);
    const lengthField = mark ? ctx.type.fields.find((x) => x.derived?.target === f.id && x.derived.kind === 'size') : undefined;
    const x = `v.${f.id}`;
    const xv = f.cond ? `${x}!` : x;
    if (f.repeat) {
      const arr = `$${f.id}`;
      body.push(`const ${arr} = w.array(${xv}, ${q(f.id)});`);
      const counted = ctx.type.fields.some((l) => l.derived?.kind === 'count' && l.derived.target === f.id);
      if (f.repeat.kind === 'expr' && !counted && !usesIo(f.repeat.count)) {
        const n = this.numCode(f.repeat.count, ctx);
        body.push(`if (${arr}.length !== ${operand(n)}) w.fail('size_mismatch', ${q(f.id)}, \`\${${n}} elements\`, \`\${${arr}.length} elements\`);`);
      }
      body.push(`$t.push(${q(f.id)});`, `for (let $i = 0; $i < ${arr}.length; $i++) {`);
      const loop: string[] = [];
      this.writeElem(f, `${arr}[$i]!`, '$i', { ...ctx, index: '$i' }, loop, false);
      if (f.repeat.kind === 'until') {
        // the condition must hold for the last element, and only for it, or decoding would stop elsewhere
        const cond = this.code(f.repeat.until, { ...ctx, index: '$i', elem: { code: `${arr}[$i]!`, field: f } });
        loop.push(`if ((${cond}) !== ($i === ${arr}.length - 1)) w.fail('invalid_value', $i, ${q(`repeat-until ${show(f.repeat.until)} true for the last element only`)}, ${arr}[$i]!);`);
      }
      body.push(...loop.map((l) => `  ${l}`), '}', '$t.pop();');
    } else {
      this.writeElem(f, xv, q(f.id), ctx, body, mark !== undefined);
    }
    if (mark && lengthField) {
      const width = (lengthField.type as { width: 1 | 2 | 3 | 4 }).width;
      const [min, max] = this.bounds(lengthField);
      const s = this.t();
      body.unshift(`const ${s} = w.pos;`);
      body.push(`w.patchLength(${mark}, ${width}, ${s}, ${min}, ${max}, ${q(f.id)}, ${q(lengthField.id)});`);
    }
    if (f.cond && usesIo(f.cond)) {
      out.push(`if (${x} !== undefined) {`, ...body.map((l) => `  ${l}`), '}');
    } else if (f.cond) {
      out.push(`if (${this.code(f.cond, ctx)}) {`, ...body.map((l) => `  ${l}`), `} else if (${x} !== undefined) {`,
        `  w.fail('invalid_value', ${q(f.id)}, ${q(`no value (if: ${show(f.cond)} is false)`)}, ${x});`, '}');
    } else out.push(...body);
  }
  private bounds(f: Field): [string, string] {
    const width = (f.type as { width: number }).width;
    const top = 2 ** (8 * width) - 1;
    const lit = (e: Expr | undefined): number | undefined => (e?.kind === 'int' ? Number(e.value) : undefined);
    const min = lit(f.valid?.eq) ?? lit(f.valid?.min) ?? 0;
    const max = Math.min(top, lit(f.valid?.eq) ?? lit(f.valid?.max) ?? top);
    return [hexLit(min), hexLit(max)];
  }

  // ---- whole file
  emit(): string {
    // First pass only collects what the file must import; the second builds the statements for real.
    const build = (): StatementStructures[] => {
      const out: StatementStructures[] = [];
      for (const e of this.spec.enums) this.emitEnum(out, e);
      for (const t of this.spec.types) this.emitType(out, t);
      return out;
    };
    build();
    this.tmp = 0;
    const body = build();
    const head: (StatementStructures | string)[] = [this.opts.header];
    const valueImports = ['Reader', 'Writer', ...[...this.runtime].filter((x) => x === 'bytesEqual' || x === 'stripRight' || x === 'cutAt')].sort();
    head.push({ kind: StructureKind.ImportDeclaration, moduleSpecifier: this.opts.runtimeImport, namedImports: valueImports });
    for (const [specId, names] of [...this.imports].sort(([a], [b]) => (a < b ? -1 : 1))) {
      head.push({ kind: StructureKind.ImportDeclaration, moduleSpecifier: this.opts.importFor(specId), namedImports: [...names].sort() });
    }
    for (const key of [...this.enumSets].sort()) {
      const e = this.program.enums.get(key)!;
      head.push({ kind: StructureKind.VariableStatement, declarationKind: VariableDeclarationKind.Const, declarations: [{ name: `$in${e.tsName}`, type: 'ReadonlySet<number>', initializer: `new Set<number>(Object.values(${e.tsName}))` }] });
    }
    const sf = project().createSourceFile(`/out/${this.spec.id}.ts`, { statements: [...head, ...body] }, { overwrite: true });
    try {
      return blankLinesBetweenDeclarations(sf.getFullText());
    } finally {
      project().removeSourceFile(sf);
    }
  }

  private emitEnum(out: StatementStructures[], e: EnumDef): void {
    const docs = [`${e.id}${e.iana ? ` — IANA registry: ${e.iana}` : ''}\nOpen enum: the named values below, or any other number (unknown values round-trip).`];
    out.push({
      kind: StructureKind.VariableStatement, isExported: true, declarationKind: VariableDeclarationKind.Const, docs,
      declarations: [{ name: e.tsName, initializer: `{\n${e.values.map((v) => `  ${v.name}: ${hexLit(v.value)},\n`).join('')}} as const` }],
    });
    out.push({ kind: StructureKind.TypeAlias, isExported: true, name: e.tsName, docs: [`${cap(article(e.id))} value. Open: every other number is allowed too.`], type: `(typeof ${e.tsName})[keyof typeof ${e.tsName}] | (number & {})` });
  }

  private emitType(out: StatementStructures[], t: TypeDef): void {
    const ctxR: Ctx = { program: this.program, spec: this.spec, type: t, side: 'read', io: 'r' };
    const ctxW: Ctx = { ...ctxR, side: 'write', io: 'w' };
    const vis = this.visible(t);
    const sw = t.fields.find((f) => f.type.kind === 'switch' && f.type.discriminant !== undefined);
    const docs = [`${t.id}${t.doc ? `\n${t.doc.trimEnd()}` : ''}`.replace(/\*\//g, '* /')];
    const instProp = (i: { name: string; type: string; doc: string }): string => {
      const doc = i.doc.split('\n');
      return `  /**\n${doc.map((l) => `   * ${l}`.trimEnd()).join('\n')}\n   */\n  readonly ${i.name}?: ${i.type};`;
    };
    const prop = (f: Field, type?: string): string => {
      const doc = this.propDoc(f).split('\n');
      const comment = doc.length === 1 ? `  /** ${doc[0]} */` : `  /**\n${doc.map((l) => `   * ${l}`.trimEnd()).join('\n')}\n   */`;
      return `${comment}\n  ${f.id}${f.cond ? '?' : ''}: ${type ?? this.fieldTs(f)}${f.cond ? ' | undefined' : ''};`;
    };
    const instProps = [...t.instances.map((i) => {
      const doc = [`value instance ${i.id} = ${show(i.source)}`, 'Set on decoded values; the encoder ignores it.', ...(i.doc ? i.doc.trimEnd().split('\n') : [])].join('\n').replace(/\*\//g, '* /');
      return { name: i.id, type: this.instanceTs(i, ctxR), doc };
    }), ...t.posInstances.map((p) => {
      const doc = [`pos instance: ${this.provenance(p)}, at ${show(p.pos!)}${ioText(p)}`, 'Set on decoded values (decode-only).', ...(p.doc ? p.doc.trimEnd().split('\n') : [])].join('\n').replace(/\*\//g, '* /');
      return { name: p.id, type: this.fieldTs(p), doc };
    })];
    if (sw && sw.type.kind === 'switch') {
      const dname = sw.type.discriminant!;
      const d = t.fields.find((f) => f.id === dname)!;
      const denum = d.type.kind === 'uint' ? d.type.enumKey : undefined;
      const variants: string[] = [];
      for (const c of sw.type.cases) {
        const n = denum ? this.program.enums.get(denum)!.values.find((x) => x.value === c.value) : undefined;
        const lit = n ? `typeof ${this.enumName(denum!)}.${n.name}` : caseLit(c.value);
        variants.push(`{\n${[...vis.map((f) => prop(f, f === d ? lit : f === sw ? this.targetTs(c.target) : undefined)), ...instProps.map(instProp)].join('\n')}\n}`);
      }
      if (sw.type.fallback) variants.push(`{\n${[...vis.map((f) => prop(f, f === sw ? this.targetTs(sw.type.kind === 'switch' ? sw.type.fallback! : { kind: 'bytes' }) : undefined)), ...instProps.map(instProp)].join('\n')}\n}`);
      out.push({ kind: StructureKind.TypeAlias, isExported: true, name: t.tsName, docs: [`${docs[0]}\nA union on \`${dname}\`${sw.type.fallback ? '; the last member keeps any other value' : ''}.`], type: variants.map((v) => `\n  | ${v.split('\n').join('\n    ')}`).join('') });
    } else {
      out.push({
        kind: StructureKind.Interface, isExported: true, name: t.tsName, docs,
        properties: [
          ...vis.map((f) => ({ kind: StructureKind.PropertySignature as const, name: f.id, hasQuestionToken: f.cond !== undefined, type: f.cond ? `${this.fieldTs(f)} | undefined` : this.fieldTs(f), docs: [this.propDoc(f)] })),
          ...instProps.map((i) => ({ kind: StructureKind.PropertySignature as const, name: i.name, isReadonly: true, hasQuestionToken: true, type: i.type, docs: [i.doc] })),
        ],
      });
    }
    const params = this.paramDecls(t);
    const paramNames = params.map((p) => p.name).join(', ');
    // decode / encode
    out.push({
      kind: StructureKind.Function, isExported: true, name: `decode${t.tsName}`, docs: [`Decodes a whole ${t.tsName}: trailing bytes are a DecodeError (decode_error).`],
      parameters: [{ name: 'bytes', type: 'Uint8Array' }, ...params], returnType: t.tsName,
      statements: [`const r = new Reader(bytes, ${q(t.tsName)});`, `const v = read${t.tsName}(r${paramNames ? `, ${paramNames}` : ''});`, 'r.done();', 'return v;'],
    });
    out.push({
      kind: StructureKind.Function, isExported: true, name: `encode${t.tsName}`, docs: [`Encodes ${article(t.tsName)}; lengths and counts are derived. Throws EncodeError naming the field.`],
      parameters: [{ name: 'value', type: t.tsName }, ...params], returnType: 'Uint8Array',
      statements: [`const w = new Writer(${q(t.tsName)});`, 'try {', `  write${t.tsName}(w, value${paramNames ? `, ${paramNames}` : ''});`, '  return w.finish();', '} finally {', '  w.release();', '}'],
    });
    // read
    const rs: string[] = ['const $t = r.trail;'];
    if (t.recursive) rs.push(`if ($t.length > ${MAX_DEPTH}) r.fail('bad_length', undefined, r.pos, 'nesting at most ${MAX_DEPTH} deep', 'deeper');`);
    if (t.posInstances.length) {
      // pos instances: read on first use (a size may need one before the seq ends), in this type's stream or the root's
      rs.push('const $io0 = r.start;', 'const $io1 = r.end;');
      for (const p of t.posInstances) {
        const ts = this.fieldTs(p);
        const body: string[] = [];
        const x = this.readElem(p, 'r', q(p.id), ctxR, body);
        const [s0, s1] = p.io === 'root' ? ['r.rootStart', 'r.rootEnd'] : p.io === 'field' ? [`$io_${p.ioField}0`, `$io_${p.ioField}1`] : ['$io0', '$io1'];
        const read = `r.at(${s0}, ${s1}, ${this.code(p.pos!, ctxR)}, ${q(p.id)}, (): ${ts} => {${body.length ? `\n${body.map((l) => `    ${l}`).join('\n')}\n   ` : ''} return ${x}; })`;
        rs.push(`let $pv_${p.id}: ${ts} | undefined;`, `let $pd_${p.id} = false;`, `/* pos instance: ${this.provenance(p)}, at ${show(p.pos!)}${ioText(p)} */`,
          `const $pi_${p.id} = (): ${ts}${p.cond ? ' | undefined' : ''} => {`,
          `  if (!$pd_${p.id}) {`,
          `    $pv_${p.id} = ${p.cond ? `${this.code(p.cond, ctxR)} ? ${read} : undefined` : read};`,
          `    $pd_${p.id} = true;`, '  }', `  return $pv_${p.id}${p.cond ? '' : '!'};`, '};');
      }
    }
    // bit-sized fields: the first byte-aligned field after them, and the end of the type, align to a byte
    const afterBits = (i: number): boolean => i > 0 && t.fields[i - 1]!.type.kind === 'bits' && (i === t.fields.length || t.fields[i]!.type.kind !== 'bits');
    t.fields.forEach((f, i) => {
      if (afterBits(i)) rs.push('r.alignToByte();');
      this.readField(f, ctxR, rs);
    });
    if (afterBits(t.fields.length)) rs.push('r.alignToByte();');
    // value instances, from the fields just read (each with other instances already inlined)
    const instVals = [...t.instances.map((i) => `${i.id}: ${i.cond ? `${this.code(i.cond, ctxR)} ? ${this.expr(i.expr, ctxR).code} : undefined` : this.code(i.expr, ctxR)}`), ...t.posInstances.map((p) => `${p.id}: $pi_${p.id}()`)];
    const ret = [...vis.map((f) => (local(f.id) === f.id ? f.id : `${f.id}: ${local(f.id)}`)), ...instVals].join(', ');
    rs.push(sw ? `return { ${ret} } as ${t.tsName};` : `return { ${ret} };`);
    if (!/\$t\./.test(rs.slice(1).join('\n'))) rs[0] = '';
    out.push({ kind: StructureKind.Function, isExported: true, name: `read${t.tsName}`, docs: [`Reads ${article(t.tsName)} from r (for nesting; see decode${t.tsName}).`], parameters: [{ name: 'r', type: 'Reader' }, ...params], returnType: t.tsName, statements: rs.filter((l) => l !== '') });
    // write
    const ws: string[] = [`if (typeof v !== 'object' || v === null) w.fail('wrong_type', undefined, 'an object (${t.tsName})', v);`, 'const $t = w.trail;'];
    if (t.recursive) ws.push(`if ($t.length > ${MAX_DEPTH}) w.fail('out_of_range', undefined, 'nesting at most ${MAX_DEPTH} deep', 'deeper');`);
    const marks = new Map<string, string>();
    if (t.posInstances.length) {
      // the bytes a pos instance reads belong to no field: what to write there is not determined
      ws.splice(1, ws.length - 1, `w.fail('decode_only', undefined, ${q(`a type this encoder can write`)}, ${q(`${t.id}, which reads ${t.posInstances.map((p) => p.id).join(', ')} at another position (pos instances are decode-only)`)});`);
    } else {
      t.fields.forEach((f, i) => {
        if (afterBits(i)) ws.push('w.alignToByte();');
        this.writeField(f, ctxW, ws, marks);
      });
      if (afterBits(t.fields.length)) ws.push('w.alignToByte();');
      if (!/\$t\./.test(ws.join('\n'))) ws.splice(1, 1);
    }
    out.push({ kind: StructureKind.Function, isExported: true, name: `write${t.tsName}`, docs: [`Writes ${article(t.tsName)} to w (for nesting; see encode${t.tsName}).`], parameters: [{ name: 'w', type: 'Writer' }, { name: 'v', type: t.tsName }, ...params], returnType: 'void', statements: ws });
  }
}

/** Where a pos instance reads, for comments: nothing for this type's stream. */
function ioText(p: Field): string {
  return p.io === 'root' ? ' in _root._io' : p.io === 'field' ? ` in ${p.ioField}._io` : '';
}

/** One blank line before each top-level declaration (and its doc comment); none inside functions. */
function blankLinesBetweenDeclarations(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  // ts-morph indents a multi-line initializer or union one level too deep: bring those blocks back
  let dedent: 'const' | 'type' | undefined;
  for (let line of lines) {
    if (dedent !== undefined && line.startsWith('  ')) {
      line = line.slice(2);
      if ((dedent === 'const' && line === '} as const;') || (dedent === 'type' && line === '    };')) dedent = undefined;
    } else if (/^export const \w+ = \{$/.test(line)) dedent = 'const';
    else if (/^export type \w+ = $/.test(line)) { dedent = 'type'; line = line.trimEnd(); }
    const prev = out[out.length - 1];
    const topLevel = /^(\/\*\*|export |const |function |type |interface )/.test(line);
    const afterDoc = prev !== undefined && (/^ \*\/$/.test(prev) || /^\/\*\*.*\*\/$/.test(prev));
    if (topLevel && prev !== undefined && prev !== '' && !afterDoc) out.push('');
    if (line === '' && prev === '') continue;
    out.push(line);
  }
  return out.join('\n');
}

/** `a ClientHello`, `an Alert`, `an extension_type`. */
function article(word: string): string {
  return `${/^[aeiouAEIOU]/.test(word) ? 'an' : 'a'} ${word}`;
}
const cap = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

/** Code as an operand of a binary operator: parenthesized unless a name, a member chain or a literal. */
function operand(code: string): string {
  return /^[\w$.!]+$/.test(code) ? code : `(${code})`;
}

function balanced(s: string): boolean {
  let d = 0;
  for (const c of s) {
    if (c === '(') d++;
    else if (c === ')') { d--; if (d < 0) return false; }
  }
  return d === 0;
}

/** A switch case key in TypeScript: an integer (hex above 9), a string or a boolean. */
function caseLit(v: bigint | string | boolean): string {
  return typeof v === 'bigint' ? hexLit(v) : typeof v === 'string' ? q(v) : String(v);
}

/** The Reader/Writer method for a number: u1, u2, u3, u4le, s8le, f4, ... */
function numberMethod(ty: { kind: 'uint' | 'float'; width: number; signed?: true; le?: true }): string {
  const base = ty.kind === 'float' ? `f${ty.width}` : `${ty.signed ? 's' : 'u'}${ty.width}`;
  return ty.le && ty.width > 1 ? `${base}le` : base;
}

/** The TypeScript source of one spec's codec. */
export function emitSpec(program: Program, spec: Spec, opts: EmitOptions): string {
  return new Emitter(program, spec, opts).emit();
}
