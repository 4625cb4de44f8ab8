// The Kaitai expression subset protosmith understands, parsed by a small Pratt parser (no eval).
// Grammar: literals (decimal/hex/binary/octal ints, true/false, byte arrays [0xcf, 0x21]), names,
// `enum_name::value` (and `spec::enum_name::value`), member access (`a.b`, `_parent.x`, `_io.size`,
// `x.length`, `x.size`), casts `x.as<type>`, indexing `a[i]`, unary `-` `not` `~`, binary `* / % + - << >> & ^ | < <= > >= == !=`,
// `and`, `or`, and the ternary `c ? a : b`.

export type Expr =
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'bytes'; readonly value: readonly number[] }
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'enum'; readonly path: readonly string[]; readonly value: string }
  | { readonly kind: 'member'; readonly object: Expr; readonly name: string }
  | { readonly kind: 'index'; readonly object: Expr; readonly index: Expr }
  /** `sizeof<type>`: the byte size of a built-in or fixed-size user type (`type` as written). */
  | { readonly kind: 'sizeof'; readonly type: string }
  /** `x.as<type>`: `type` as written (`u4`, `ipv4_packet`, `spec::name`). */
  | { readonly kind: 'cast'; readonly object: Expr; readonly type: string }
  | { readonly kind: 'unary'; readonly op: '-' | 'not' | '~'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'ternary'; readonly cond: Expr; readonly then: Expr; readonly else: Expr };

export type BinaryOp = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '&' | '^' | '|' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'and' | 'or';

export class ExprSyntaxError extends Error {
  override readonly name = 'ExprSyntaxError';
  constructor(message: string, readonly column: number) {
    super(message);
  }
}

interface Token { readonly t: 'int' | 'name' | 'op' | 'str' | 'end'; readonly v: string; readonly at: number }

const OPS = ['::', '<<', '>>', '<=', '>=', '==', '!=', '+', '-', '*', '/', '%', '&', '|', '^', '~', '<', '>', '(', ')', '[', ']', ',', '.', '?', ':'];

function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c >= '0' && c <= '9') {
      const m = /^(0x[0-9a-fA-F_]+|0b[01_]+|0o[0-7_]+|[0-9][0-9_]*)/.exec(src.slice(i))!;
      const next = src[i + m[0].length];
      if (next !== undefined && /[A-Za-z_.]/.test(next) && next !== '.') throw new ExprSyntaxError(`malformed number '${src.slice(i, i + m[0].length + 1)}'`, i);
      if (next === '.' && /[0-9]/.test(src[i + m[0].length + 1] ?? '')) throw new ExprSyntaxError('floating-point literals are not supported', i);
      out.push({ t: 'int', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'name', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      // Kaitai string literals: "..." with backslash escapes, '...' verbatim
      let j = i + 1;
      let v = '';
      const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '"': '"', "'": "'" };
      while (j < src.length && src[j] !== c) {
        if (c === '"' && src[j] === '\\' && j + 1 < src.length) { v += ESC[src[j + 1]!] ?? src[j + 1]!; j += 2; continue; }
        v += src[j++]!;
      }
      if (j >= src.length) throw new ExprSyntaxError('unterminated string literal', i);
      out.push({ t: 'str', v, at: i });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw new ExprSyntaxError(`unexpected character '${c}'`, i);
    out.push({ t: 'op', v: op, at: i });
    i += op.length;
  }
  out.push({ t: 'end', v: '', at: src.length });
  return out;
}

// Precedence follows Kaitai's (Python's): comparisons bind looser than bitwise operators, so
// `flags & 1 == 1` is `(flags & 1) == 1`; `not` binds looser than comparisons.
const BINARY: Record<string, { prec: number; op: BinaryOp }> = {
  or: { prec: 1, op: 'or' }, and: { prec: 2, op: 'and' },
  '==': { prec: 4, op: '==' }, '!=': { prec: 4, op: '!=' },
  '<': { prec: 4, op: '<' }, '<=': { prec: 4, op: '<=' }, '>': { prec: 4, op: '>' }, '>=': { prec: 4, op: '>=' },
  '|': { prec: 5, op: '|' }, '^': { prec: 6, op: '^' }, '&': { prec: 7, op: '&' },
  '<<': { prec: 8, op: '<<' }, '>>': { prec: 8, op: '>>' },
  '+': { prec: 9, op: '+' }, '-': { prec: 9, op: '-' },
  '*': { prec: 10, op: '*' }, '/': { prec: 10, op: '/' }, '%': { prec: 10, op: '%' },
};
const NOT_PREC = 4;
const TERNARY_PREC = 0;
const UNARY_PREC = 11;

export function parseExpr(src: string | number | boolean): Expr {
  if (typeof src === 'number') {
    if (!Number.isInteger(src)) throw new ExprSyntaxError('floating-point literals are not supported', 0);
    return { kind: 'int', value: BigInt(src) };
  }
  if (typeof src === 'boolean') return { kind: 'bool', value: src };
  const toks = lex(src);
  let p = 0;
  const peek = (): Token => toks[p]!;
  const take = (): Token => toks[p++]!;
  const expect = (v: string): void => {
    const t = take();
    if (t.v !== v || t.t === 'end') throw new ExprSyntaxError(`expected '${v}' but found ${t.t === 'end' ? 'end of expression' : `'${t.v}'`}`, t.at);
  };

  /** `<name>` or `<spec::name>` after `as` or `sizeof`. */
  function typeArg(): string {
    expect('<');
    const parts: string[] = [];
    for (;;) {
      const tn = take();
      if (tn.t !== 'name') throw new ExprSyntaxError('expected a type name in <...>', tn.at);
      parts.push(tn.v);
      if (peek().v !== '::') break;
      take();
    }
    expect('>');
    return parts.join('::');
  }

  function prefix(): Expr {
    const t = take();
    if (t.t === 'int') return { kind: 'int', value: BigInt(t.v.replace(/_/g, '').replace(/^0o/, '0o')) };
    if (t.t === 'str') return { kind: 'str', value: t.v };
    if (t.t === 'name') {
      if (t.v === 'true' || t.v === 'false') return { kind: 'bool', value: t.v === 'true' };
      if (t.v === 'not') return { kind: 'unary', op: 'not', operand: expr(NOT_PREC) };
      if (t.v === 'sizeof' && peek().v === '<' && peek().t === 'op') return { kind: 'sizeof', type: typeArg() };
      if (peek().v === '::') {
        const path = [t.v];
        while (peek().v === '::') {
          take();
          const n = take();
          if (n.t !== 'name') throw new ExprSyntaxError(`expected a name after '::'`, n.at);
          path.push(n.v);
        }
        const value = path.pop()!;
        return { kind: 'enum', path, value };
      }
      return { kind: 'name', name: t.v };
    }
    if (t.v === '-' || t.v === '~') return { kind: 'unary', op: t.v, operand: expr(UNARY_PREC) };
    if (t.v === '(') {
      const e = expr(TERNARY_PREC);
      expect(')');
      return e;
    }
    if (t.v === '[') {
      const value: number[] = [];
      if (peek().v !== ']') {
        for (;;) {
          const e = expr(TERNARY_PREC);
          if (e.kind !== 'int' || e.value < 0n || e.value > 255n) throw new ExprSyntaxError('byte-array literals hold integers 0..255 only', t.at);
          value.push(Number(e.value));
          if (peek().v === ',') { take(); continue; }
          break;
        }
      }
      expect(']');
      return { kind: 'bytes', value };
    }
    throw new ExprSyntaxError(t.t === 'end' ? 'unexpected end of expression' : `unexpected '${t.v}'`, t.at);
  }

  function expr(minPrec: number): Expr {
    let left = prefix();
    for (;;) {
      const t = peek();
      if (t.v === '.' && t.t === 'op') {
        take();
        const n = take();
        if (n.t !== 'name') throw new ExprSyntaxError(`expected a name after '.'`, n.at);
        if (n.v === 'as' && peek().v === '<' && peek().t === 'op') {
          left = { kind: 'cast', object: left, type: typeArg() };
          continue;
        }
        left = { kind: 'member', object: left, name: n.v };
        continue;
      }
      if (t.v === '[' && t.t === 'op') {
        take();
        const index = expr(TERNARY_PREC);
        expect(']');
        left = { kind: 'index', object: left, index };
        continue;
      }
      if (t.v === '?' && t.t === 'op' && minPrec <= TERNARY_PREC) {
        take();
        const then = expr(TERNARY_PREC);
        expect(':');
        const els = expr(TERNARY_PREC);
        left = { kind: 'ternary', cond: left, then, else: els };
        continue;
      }
      const b = (t.t === 'op' || t.t === 'name') ? BINARY[t.v] : undefined;
      if (b === undefined || b.prec < minPrec) break;
      take();
      const right = expr(b.prec + 1);
      left = { kind: 'binary', op: b.op, left, right };
    }
    return left;
  }

  const e = expr(TERNARY_PREC);
  const rest = peek();
  if (rest.t !== 'end') throw new ExprSyntaxError(`unexpected '${rest.v}' after the expression`, rest.at);
  return e;
}

/**
 * Replaces plain names (not `_parent.x`, `_root.x`, members) for which `f` returns an expression:
 * how a value instance is inlined where it is used.
 */
export function substitute(e: Expr, f: (name: string) => Expr | undefined): Expr {
  switch (e.kind) {
    case 'name': return f(e.name) ?? e;
    case 'member': return e.object.kind === 'name' && e.object.name.startsWith('_') ? e : { ...e, object: substitute(e.object, f) };
    case 'index': return { ...e, object: substitute(e.object, f), index: substitute(e.index, f) };
    case 'cast': return { ...e, object: substitute(e.object, f) };
    case 'unary': return { ...e, operand: substitute(e.operand, f) };
    case 'binary': return { ...e, left: substitute(e.left, f), right: substitute(e.right, f) };
    case 'ternary': return { ...e, cond: substitute(e.cond, f), then: substitute(e.then, f), else: substitute(e.else, f) };
    default: return e;
  }
}

/** Every plain field/param name the expression reads (not `_parent.x`, not enum refs). */
export function namesIn(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case 'name': if (!e.name.startsWith('_')) out.add(e.name); break;
    case 'member': if (!(e.object.kind === 'name' && e.object.name.startsWith('_'))) namesIn(e.object, out); break;
    case 'index': namesIn(e.object, out); namesIn(e.index, out); break;
    case 'cast': namesIn(e.object, out); break;
    case 'unary': namesIn(e.operand, out); break;
    case 'binary': namesIn(e.left, out); namesIn(e.right, out); break;
    case 'ternary': namesIn(e.cond, out); namesIn(e.then, out); namesIn(e.else, out); break;
    default: break;
  }
  return out;
}

/** Names read as `_parent.x`. */
export function parentNamesIn(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case 'member':
      if (e.object.kind === 'name' && e.object.name === '_parent') out.add(e.name);
      else parentNamesIn(e.object, out);
      break;
    case 'index': parentNamesIn(e.object, out); parentNamesIn(e.index, out); break;
    case 'cast': parentNamesIn(e.object, out); break;
    case 'unary': parentNamesIn(e.operand, out); break;
    case 'binary': parentNamesIn(e.left, out); parentNamesIn(e.right, out); break;
    case 'ternary': parentNamesIn(e.cond, out); parentNamesIn(e.then, out); parentNamesIn(e.else, out); break;
    default: break;
  }
  return out;
}

/** Names read as `_root.x`. */
export function rootNamesIn(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case 'member':
      if (e.object.kind === 'name' && e.object.name === '_root') out.add(e.name);
      else rootNamesIn(e.object, out);
      break;
    case 'index': rootNamesIn(e.object, out); rootNamesIn(e.index, out); break;
    case 'cast': rootNamesIn(e.object, out); break;
    case 'unary': rootNamesIn(e.operand, out); break;
    case 'binary': rootNamesIn(e.left, out); rootNamesIn(e.right, out); break;
    case 'ternary': rootNamesIn(e.cond, out); rootNamesIn(e.then, out); rootNamesIn(e.else, out); break;
    default: break;
  }
  return out;
}

/** Whether e uses `_io` at all or, with exceptPos, other than as `_io.pos` (which an encoder knows: the
 *  writer's place in its window). */
export function usesIo(e: Expr, exceptPos = false): boolean {
  const walk = (x: Expr): boolean => usesIo(x, exceptPos);
  switch (e.kind) {
    case 'name': return e.name === '_io';
    case 'member': return exceptPos && e.object.kind === 'name' && e.object.name === '_io' ? e.name !== 'pos' : walk(e.object);
    case 'index': return walk(e.object) || walk(e.index);
    case 'cast': return walk(e.object);
    case 'unary': return walk(e.operand);
    case 'binary': return walk(e.left) || walk(e.right);
    case 'ternary': return walk(e.cond) || walk(e.then) || walk(e.else);
    default: return false;
  }
}

/** Whether e uses `_io` other than as `_io.pos` (see usesIo). */
export function usesIoBeyondPos(e: Expr): boolean { return usesIo(e, true); }

/** Renders an expression back to Kaitai syntax (for comments and messages). */
export function show(e: Expr): string {
  switch (e.kind) {
    case 'int': return e.value > 255n ? `0x${e.value.toString(16).padStart(e.value > 0xffffn ? 6 : 4, '0')}` : e.value.toString();
    case 'bool': return String(e.value);
    case 'str': return JSON.stringify(e.value);
    case 'bytes': return `[${e.value.map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}]`;
    case 'name': return e.name;
    case 'enum': return `${e.path.join('::')}::${e.value}`;
    case 'member': return `${show(e.object)}.${e.name}`;
    case 'index': return `${show(e.object)}[${show(e.index)}]`;
    case 'cast': return `${show(e.object)}.as<${e.type}>`;
    case 'sizeof': return `sizeof<${e.type}>`;
    case 'unary': return e.op === 'not' ? `not ${show(e.operand)}` : `${e.op}${e.operand.kind === 'binary' || e.operand.kind === 'ternary' ? `(${show(e.operand)})` : show(e.operand)}`;
    case 'binary': {
      const prec = BINARY[e.op]!.prec;
      const side = (x: Expr, right: boolean): string =>
        x.kind === 'ternary' || (x.kind === 'binary' && (BINARY[x.op]!.prec < prec || (right && BINARY[x.op]!.prec === prec))) ? `(${show(x)})` : show(x);
      return `${side(e.left, false)} ${e.op} ${side(e.right, true)}`;
    }
    case 'ternary': return `${show(e.cond)} ? ${show(e.then)} : ${show(e.else)}`;
  }
}

export type Value = bigint | boolean | Uint8Array | readonly unknown[] | { readonly [k: string]: unknown };

/**
 * Evaluates an expression over an environment (for tests and tools; generated code never
 * interprets). Integers are bigint. `lookup` resolves names, `enumValue` resolves enum refs.
 */
export function evaluate(e: Expr, env: { lookup(name: string): unknown; parent?(name: string): unknown; root?(name: string): unknown; enumValue(path: readonly string[], value: string): bigint }): unknown {
  const int = (v: unknown): bigint => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : typeof v === 'boolean' ? (v ? 1n : 0n) : 0n);
  const ev = (x: Expr): unknown => evaluate(x, env);
  switch (e.kind) {
    case 'int': return e.value;
    case 'bool': return e.value;
    case 'str': return e.value;
    case 'bytes': return Uint8Array.from(e.value);
    case 'name': return e.name.startsWith('_') ? undefined : normal(env.lookup(e.name));
    case 'enum': return env.enumValue(e.path, e.value);
    case 'member': {
      if (e.object.kind === 'name' && e.object.name === '_parent') return normal(env.parent?.(e.name));
      if (e.object.kind === 'name' && e.object.name === '_root') return normal(env.root?.(e.name));
      const o = ev(e.object);
      if ((e.name === 'length' || e.name === 'size') && (o instanceof Uint8Array || Array.isArray(o))) return BigInt(o.length);
      if (o !== null && typeof o === 'object') return normal((o as Record<string, unknown>)[e.name]);
      return undefined;
    }
    case 'index': {
      const o = ev(e.object);
      const i = Number(int(ev(e.index)));
      if (o instanceof Uint8Array) return o[i] === undefined ? undefined : BigInt(o[i]!);
      if (Array.isArray(o)) return normal(o[i]);
      return undefined;
    }
    case 'unary': {
      const v = ev(e.operand);
      if (e.op === 'not') return !v;
      if (e.op === '-') return -int(v);
      return ~int(v);
    }
    case 'binary': {
      if (e.op === 'and') return Boolean(ev(e.left)) && Boolean(ev(e.right));
      if (e.op === 'or') return Boolean(ev(e.left)) || Boolean(ev(e.right));
      const l = ev(e.left);
      const r = ev(e.right);
      if (e.op === '==' || e.op === '!=') {
        let eq: boolean;
        if (l instanceof Uint8Array && r instanceof Uint8Array) eq = l.length === r.length && l.every((b, i) => b === r[i]);
        else if (typeof l === 'boolean' || typeof r === 'boolean' || typeof l === 'string' || typeof r === 'string') eq = l === r;
        else eq = int(l) === int(r);
        return e.op === '==' ? eq : !eq;
      }
      const a = int(l);
      const b = int(r);
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return b === 0n ? 0n : (a / b) - ((a % b !== 0n && (a < 0n) !== (b < 0n)) ? 1n : 0n);
        case '%': return b === 0n ? 0n : ((a % b) + b) % b;
        case '<<': return a << b;
        case '>>': return a >> b;
        case '&': return a & b;
        case '|': return a | b;
        case '^': return a ^ b;
        case '<': return a < b;
        case '<=': return a <= b;
        case '>': return a > b;
        case '>=': return a >= b;
      }
      return undefined;
    }
    case 'ternary': return ev(e.cond) ? ev(e.then) : ev(e.else);
    case 'cast': return ev(e.object); // a cast changes the static type only
    case 'sizeof': return undefined; // needs the types: computed by the compiler only
  }
}

function normal(v: unknown): unknown {
  return typeof v === 'number' ? BigInt(v) : v;
}
