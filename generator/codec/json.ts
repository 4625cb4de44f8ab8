// JSON form of decoded values, for the CLI: Uint8Array <-> lowercase hex string, bigint <-> decimal string.
// Going back from JSON needs the schema (a hex string and a u8 both arrive as strings), so fromJson walks the IR.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { buildProgram, resolveEnumName } from './passes.ts';
import { evaluate, type Expr } from './expr.ts';
import { formatProblem, type Problem, type Program, type TypeDef } from './ir.ts';

export function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toJson);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJson(x);
    return out;
  }
  return v;
}

/** A JSON value that does not fit the schema. Blame: local (the caller's input file). */
export class JsonShapeError extends Error {
  override readonly name = 'JsonShapeError';
  readonly code = 'json_shape';
  readonly blame = 'local' as const;
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

export function hexToBytes(s: string, path: string): Uint8Array {
  const clean = s.replace(/\s+/g, '').replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new JsonShapeError(path, `expected an even-length hex string, got ${JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)}`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

type Vals = Record<string, unknown>;

/** Rebuilds the value the generated encoder expects from its JSON form. */
export function fromJson(program: Program, t: TypeDef, json: unknown, params: Vals, parent: Vals | undefined, path = t.tsName, root?: Vals): Vals {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new JsonShapeError(path, `expected an object (${t.tsName})`);
  const src = json as Vals;
  const out: Vals = {};
  const spec = program.specs.find((s) => s.id === t.specId)!;
  const isRoot = spec.root === t.key;
  const env = {
    lookup: (n: string): unknown => (n in out ? out[n] : params[n]),
    parent: (n: string): unknown => parent?.[n],
    root: (n: string): unknown => (isRoot ? (n in out ? out[n] : params[n]) : root?.[n]),
    enumValue: (p: readonly string[], value: string): bigint => {
      const key = resolveEnumName(spec.id, spec.imports, program.enums, p.join('::'))!;
      return program.enums.get(key)!.values.find((x) => x.name === value)!.value;
    },
  };
  const nested = (key: string, args: readonly Expr[], v: unknown, p: string): Vals => {
    const target = program.types.get(key)!;
    const tp: Vals = {};
    target.params.forEach((param, i) => { const x = evaluate(args[i]!, env); tp[param.id] = typeof x === 'bigint' ? Number(x) : x; });
    return fromJson(program, target, v, tp, { ...params, ...out }, p, isRoot ? { ...params, ...out } : root);
  };
  for (const f of t.fields) {
    if (f.derived || f.type.kind === 'contents') continue;
    const v = src[f.id];
    if (v === undefined) continue;
    const one = (x: unknown, p: string): unknown => {
      const ty = f.type;
      if (ty.kind === 'uint') {
        if (ty.width === 8) {
          if (typeof x !== 'string' && typeof x !== 'number') throw new JsonShapeError(p, 'expected a decimal string (u8)');
          try { return BigInt(x); } catch { throw new JsonShapeError(p, `expected a decimal string (u8), got ${JSON.stringify(x)}`); }
        }
        return x;
      }
      if (ty.kind === 'bytes') {
        if (typeof x !== 'string') throw new JsonShapeError(p, 'expected a hex string');
        return hexToBytes(x, p);
      }
      if (ty.kind === 'struct') return nested(ty.ref.type, ty.ref.args, x, p);
      if (ty.kind === 'switch') {
        const on = evaluate(ty.on, env);
        const c = ty.cases.find((k) => k.value === on)?.target ?? ty.fallback;
        if (!c) throw new JsonShapeError(p, `no case for ${String(on)}`);
        if (c.kind === 'bytes') {
          if (typeof x !== 'string') throw new JsonShapeError(p, 'expected a hex string (no case for this value: raw bytes)');
          return hexToBytes(x, p);
        }
        if (c.kind !== 'struct') return c.kind === 'num' && c.num.width === 8 && c.num.kind === 'uint' && typeof x === 'string' ? BigInt(x) : x;
        return nested(c.ref.type, c.ref.args, x, p);
      }
      return x;
    };
    if (f.repeat) {
      if (!Array.isArray(v)) throw new JsonShapeError(`${path}.${f.id}`, 'expected an array');
      out[f.id] = v.map((x, i) => one(x, `${path}.${f.id}[${i}]`));
    } else out[f.id] = one(v, `${path}.${f.id}`);
  }
  return out;
}

export interface LoadedProtocol {
  readonly program: Program;
  readonly type: TypeDef;
  /** Absolute path of the generated module holding the type's codec. */
  readonly module: string;
}

/** Finds `<protocol>/<Type>` (Type in PascalCase) among specs/<protocol>/messages and its generated module. */
export function findType(root: string, ref: string): LoadedProtocol | { error: string; problems?: readonly Problem[] } {
  const m = /^([a-z0-9_-]+)\/([A-Za-z0-9]+)$/.exec(ref);
  if (!m) return { error: `expected <protocol>/<Type>, e.g. tls13/ClientHello; got '${ref}'` };
  const [, protocol, typeName] = m as unknown as [string, string, string];
  const dir = join(root, 'specs', protocol, 'messages');
  if (!existsSync(dir)) return { error: `no protocol '${protocol}' (no ${relative(root, dir)})` };
  const files = readdirSync(dir).filter((f) => f.endsWith('.ksy')).sort().map((f) => join(dir, f));
  const { program, problems } = buildProgram(files, (abs) => relative(root, abs).split(sep).join('/'));
  if (!program) return { error: `specs/${protocol} do not compile:\n${problems.map(formatProblem).join('\n')}`, problems };
  const type = [...program.types.values()].find((t) => t.tsName === typeName);
  if (!type) {
    const names = [...program.types.values()].map((t) => t.tsName).sort();
    return { error: `no type '${typeName}' in ${protocol}; known: ${names.join(', ')}` };
  }
  const spec = program.specs.find((s) => s.id === type.specId)!;
  const module = join(root, 'generated', protocol, 'messages', basename(spec.absPath).replace(/\.ksy$/, '.ts'));
  if (!existsSync(module)) return { error: `${relative(root, module)} is missing: run 'protosmith generate'` };
  return { program, type, module };
}

/** Parses `--param name=value` pairs for a type: integers (decimal/0x) or enum value names. */
export function parseParams(program: Program, t: TypeDef, pairs: readonly string[]): Vals | string {
  if (t.parentRefs.length || t.rootRefs.length) {
    const via = t.parentRefs.length ? `_parent.${t.parentRefs[0]}` : `_root.${t.rootRefs[0]}`;
    return `${t.tsName} reads ${via}, so it can only be decoded inside the type that contains it`;
  }
  const out: Vals = {};
  for (const pair of pairs) {
    const [k, v] = pair.split('=', 2) as [string, string | undefined];
    const p = t.params.find((x) => x.id === k);
    if (!p || v === undefined) return `unknown --param '${pair}'; ${t.tsName} takes ${t.params.map((x) => `${x.id}=<value>`).join(' ') || 'no params'}`;
    if (p.width === 0) { out[k] = v === 'true'; continue; }
    if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) { out[k] = Number(v); continue; }
    const named = p.enumKey ? program.enums.get(p.enumKey)!.values.find((x) => x.name === v) : undefined;
    if (!named) return `--param ${k}: '${v}' is not a number${p.enumKey ? ` or a ${program.enums.get(p.enumKey)!.id} name` : ''}`;
    out[k] = Number(named.value);
  }
  const missing = t.params.filter((p) => out[p.id] === undefined);
  if (missing.length) return `${t.tsName} needs ${missing.map((p) => `--param ${p.id}=<value>`).join(' ')}`;
  return out;
}
