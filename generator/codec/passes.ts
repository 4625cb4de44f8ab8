// From loaded .ksy files to the frozen IR, in passes. Each pass has one contract: run, return problems.
//   1. structure  — allowed keys, meta, field shapes, expression syntax       (per file)
//   2. names      — duplicate ids, type/enum/import resolution, cycles          (per program)
//   3. exprs      — every name in every expression is an earlier field or a param; enum refs exist
//   4. lengths    — which length/count fields the encoder derives
//   5. bounds     — `valid` bounds fit their field; minimum wire sizes
// The driver stops after the first pass that reports an error, so later passes can trust earlier ones.
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { loadKsy, type Loaded } from './load.ts';
import { parseExpr, namesIn, parentNamesIn, rootNamesIn, show, substitute, ExprSyntaxError, type Expr } from './expr.ts';
import {
  deepFreeze, pascal,
  type CaseTarget, type EnumDef, type Field, type Instance, type FieldType, type Param, type Problem, type Program, type Spec, type TypeDef, type TypeRef, type Valid, type Width,
} from './ir.ts';

// ---------------------------------------------------------------------------------------------
// Mutable working model (becomes the IR once every pass is clean).

interface WType {
  key: string; specId: string; id: string; tsName: string; doc?: string; line: number; path: string;
  rawParams: unknown; rawSeq: unknown;
  /** Byte order in effect for `u2`, `s4`, `f8`...: the type's own meta.endian, else its enclosing type's. */
  endian?: 'be' | 'le';
  /** Default string encoding (meta.encoding of the type or an enclosing one), normalized. */
  encoding?: string;
  params: Param[]; fields: WField[]; parentRefs: string[]; rootRefs: string[]; ownRootRefs: string[]; minSize: number; recursive?: boolean;
  /** A type that reads this one (every such type has the `_parent.x` names, with the same shapes). */
  parentType?: string;
  instances: (Instance & { enumName?: string })[];
  /** Pos instances (read at another position, decode-only): raw entries, then parsed like seq fields. */
  rawPos: { id: string; raw: Record<string, unknown>; path: string }[];
  posFields: WField[];
}
interface WField {
  id: string; line: number; specPath: string; doc?: string; raw: Record<string, unknown>;
  type?: FieldType; size?: Expr | 'eos'; repeat?: Field['repeat']; cond?: Expr; valid?: Valid; term?: Field['term']; padRight?: number;
  derived?: Field['derived']; ksyType: string;
  /** Pos instances only: where to read (in `io`: this type's stream, or the root's). */
  pos?: Expr; io?: 'self' | 'root' | 'field'; ioField?: string;
  /** A parse instance without `pos`: read where this type's seq ends. */
  atEnd?: true;
  // unresolved bits from the structure pass
  typeName?: string; typeArgs?: Expr[]; enumName?: string; num?: NumType; bits?: number;
  switchOn?: Expr; switchCases?: { label: string; key: Expr | '_'; typeName: string | null; args: Expr[]; path: string; builtin?: CaseTarget }[];
}
interface WSpec {
  id: string; file: string; absPath: string; doc?: string; loaded: Loaded;
  importIds: { id: string; absPath: string; path: string; name: string }[];
  types: WType[]; enums: EnumDef[]; root?: string; ianaByEnum: Map<string, string>;
}

export interface BuildResult {
  readonly program?: Program;
  readonly problems: readonly Problem[];
}

const TOP_KEYS = new Set(['meta', 'doc', 'doc-ref', 'seq', 'types', 'enums', 'params', 'instances', '-iana', '-doc-rfc']);
const META_KEYS = new Set(['id', 'title', 'endian', 'bit-endian', 'encoding', 'imports', 'file-extension', 'license', 'ks-version', 'ks-debug', 'application', 'xref', 'tags', '-doc-rfc']);
const TYPE_KEYS = new Set(['doc', 'doc-ref', 'seq', 'types', 'enums', 'params', 'instances', 'meta', '-doc-rfc', '-iana']);
const VALUE_INSTANCE_KEYS = new Set(['value', 'doc', 'doc-ref', 'enum', 'if']);
const TYPE_META_KEYS = new Set(['endian', 'bit-endian', 'encoding', 'title', 'xref', 'tags']);
/** String encodings protosmith reads and writes, by Kaitai's (case-insensitive) names. */
const ENCODINGS: Record<string, string> = {
  'UTF-8': 'UTF-8', UTF8: 'UTF-8', ASCII: 'ASCII', 'US-ASCII': 'ASCII', 'ISO-8859-1': 'ISO-8859-1', ISO8859_1: 'ISO-8859-1', 'ISO8859-1': 'ISO-8859-1', LATIN1: 'ISO-8859-1',
  'UTF-16LE': 'UTF-16LE', UTF16LE: 'UTF-16LE', 'UTF-16BE': 'UTF-16BE', UTF16BE: 'UTF-16BE',
};
/** protosmith's own `-` keys, for the hint when an unknown one appears. */
const OWN_DASH_KEYS = '-iana (top level), -alert (in valid), -doc-rfc';
/** `-` keys Kaitai's own tools write (the Web IDE, the gallery): ignored silently, as kaitai-struct-compiler does. */
const KAITAI_DASH_KEYS = new Set(['-orig-id', '-webide-representation', '-webide-parse-mode', '-affected-by', '-default', '-unused', '-set', '-fixed-contents']);
const FIELD_KEYS = new Set(['id', 'type', 'size', 'size-eos', 'repeat', 'repeat-expr', 'repeat-until', 'if', 'enum', 'contents', 'valid', 'doc', 'doc-ref', 'encoding', 'terminator', 'include', 'consume', 'pad-right', 'eos-error', '-doc-rfc']);
const VALID_KEYS = new Set(['eq', 'min', 'max', 'any-of', 'in-enum', '-alert']);
const ALERTS = new Set(['decode_error', 'illegal_parameter', 'unexpected_message', 'handshake_failure', 'protocol_version', 'record_overflow', 'unsupported_extension', 'missing_extension', 'bad_certificate', 'unsupported_certificate', 'internal_error']);
const UINTS: Record<string, Width> = { u1: 1, u2: 2, u2be: 2, u4: 4, u4be: 4, u8: 8, u8be: 8, b24: 3 };

type NumType = { kind: 'uint'; width: Width; signed?: true; le?: true } | { kind: 'float'; width: 4 | 8; le?: true };

/**
 * A built-in number type (`u1`, `u2le`, `s4`, `f8be`, `b24`) in a type whose byte order is `endian`:
 * the number, 'no-endian' when the name leaves the byte order open and none is in effect, or undefined
 * when `ty` is not a built-in number.
 */
function numberType(ty: string, endian: 'be' | 'le' | undefined): NumType | 'no-endian' | undefined {
  if (ty === 'b24') return { kind: 'uint', width: 3 };
  const m = /^([usf])([1248])(be|le)?$/.exec(ty);
  if (!m || (m[1] === 'f' && m[2] !== '4' && m[2] !== '8') || (m[2] === '1' && m[3] !== undefined)) return undefined;
  const width = Number(m[2]) as 1 | 2 | 4 | 8;
  const order = width === 1 ? 'be' : (m[3] as 'be' | 'le' | undefined) ?? endian;
  if (order === undefined) return 'no-endian';
  const le = order === 'le' ? { le: true as const } : {};
  if (m[1] === 'f') return { kind: 'float', width: width as 4 | 8, ...le };
  return { kind: 'uint', width, ...(m[1] === 's' ? { signed: true as const } : {}), ...le };
}
const ID_RE = /^[a-z][a-z0-9_]*$/;
const BUILTIN_HINT = 'protosmith supports u1..u8, s1..s8, f4, f8 (with be/le), b1..b64, b24 (TLS uint24) and user types';

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Loads the given entry specs and everything they import, runs every pass, and returns the frozen
 * program or the problems. `shown(abs)` is how a file is named in diagnostics and headers.
 */
export function buildProgram(entries: readonly string[], shown: (abs: string) => string, texts?: ReadonlyMap<string, string>, importPaths: readonly string[] = []): BuildResult {
  memberRefs.clear();
  specImports.clear();
  const problems: Problem[] = [];
  const specs = new Map<string, WSpec>();
  const order: WSpec[] = [];

  // ---- pass 1: structure (loads imports as it goes)
  const visiting = new Set<string>();
  const visit = (abs: string): WSpec | undefined => {
    const have = specs.get(abs);
    if (have) return have;
    if (visiting.has(abs)) return undefined;
    visiting.add(abs);
    const loaded = loadKsy(abs, shown(abs), texts?.get(abs));
    problems.push(...loaded.problems);
    if (loaded.problems.length) return undefined;
    const spec = structurePass(abs, shown(abs), loaded, problems);
    if (!spec) return undefined;
    const exists = (p: string): boolean => existsSync(p) || texts?.has(p) === true;
    for (const imp of spec.importIds) {
      if (imp.name.startsWith('/')) {
        // Absolute (`/network/ipv4_packet`): looked up in each import path in turn, as ksc -I does.
        const found = importPaths.map((d) => resolve(d, `.${imp.name}.ksy`)).find(exists);
        if (!found) {
          problems.push(prob(spec, imp.path, `absolute import '${imp.name}' not found in the import paths (${importPaths.length ? importPaths.map((d) => shown(resolve(d))).join(', ') : 'none given'})`,
            `pass --import-path DIR (ksc's -I) for the folder that holds ${imp.name.slice(1).split('/')[0]}/, e.g. the root of a kaitai_struct_formats checkout`));
          continue;
        }
        imp.absPath = found;
      } else if (!exists(imp.absPath)) {
        problems.push(prob(spec, imp.path, `import '${imp.id}' not found (looked for ${shown(imp.absPath)})`, 'a relative import names a .ksy file relative to the importing file, without the extension; an absolute one (/dir/name) is looked up in the --import-path folders'));
        continue;
      }
      const dep = visit(imp.absPath);
      if (dep) imp.id = dep.id;
    }
    specs.set(abs, spec);
    order.push(spec);
    visiting.delete(abs);
    return spec;
  };
  for (const e of entries) visit(resolve(e));
  if (problems.some((p) => p.severity === 'error')) return { problems: sortProblems(problems) };

  const byId = new Map<string, WSpec>();
  for (const s of order) {
    const other = byId.get(s.id);
    if (other && other.absPath !== s.absPath) problems.push(prob(s, '/meta/id', `two specs share meta.id '${s.id}' (${other.file} and ${s.file})`, 'meta.id names the spec in imports and type references; make it unique'));
    byId.set(s.id, s);
  }

  const types = new Map<string, WType>();
  for (const s of order) for (const t of s.types) types.set(t.key, t);
  for (const s of order) specImports.set(s.id, s.importIds);
  const enums = new Map<string, EnumDef>();
  for (const s of order) for (const e of s.enums) enums.set(e.key, e);

  // ---- pass 2: names
  problems.push(...namesPass(order, byId, types, enums));
  if (problems.some((p) => p.severity === 'error')) return { problems: sortProblems(problems) };

  // ---- pass 3: expressions
  problems.push(...exprPass(order, byId, types, enums));
  if (problems.some((p) => p.severity === 'error')) return { problems: sortProblems(problems) };

  // ---- pass 4: lengths
  problems.push(...lengthPass(order, types));
  if (problems.some((p) => p.severity === 'error')) return { problems: sortProblems(problems) };

  // ---- pass 5: bounds
  problems.push(...boundsPass(order, types, enums));
  if (problems.some((p) => p.severity === 'error')) return { problems: sortProblems(problems) };

  const program: Program = {
    specs: order.map((s): Spec => ({
      id: s.id, file: s.file, absPath: s.absPath, ...(s.doc !== undefined ? { doc: s.doc } : {}),
      imports: s.importIds.map((i) => ({ id: i.id, absPath: i.absPath })),
      types: s.types.map(freezeType), enums: s.enums, ...(s.root !== undefined ? { root: s.root } : {}),
    })),
    types: new Map(),
    enums,
  };
  for (const s of program.specs) for (const t of s.types) (program.types as Map<string, TypeDef>).set(t.key, t);
  return { program: deepFreeze(program), problems: sortProblems(problems) };
}

function freezeType(t: WType): TypeDef {
  return {
    key: t.key, specId: t.specId, id: t.id, tsName: t.tsName, ...(t.doc !== undefined ? { doc: t.doc } : {}), line: t.line,
    params: t.params, parentRefs: t.parentRefs, rootRefs: t.rootRefs, minSize: t.minSize, ...(t.parentRefs.length && t.parentType ? { parentType: t.parentType } : {}),
    instances: t.instances.map(({ enumName: _, ...i }) => i), recursive: t.recursive === true,
    posInstances: t.posFields.map((f): Field => ({
      id: f.id, line: f.line, specPath: f.specPath, ...(f.doc !== undefined ? { doc: f.doc } : {}), type: f.type!, ksyType: f.ksyType,
      ...(f.size !== undefined ? { size: f.size } : {}), ...(f.cond ? { cond: f.cond } : {}), pos: f.pos!, io: f.io!, ...(f.ioField !== undefined ? { ioField: f.ioField } : {}),
      ...(f.term ? { term: f.term } : {}), ...(f.padRight !== undefined ? { padRight: f.padRight } : {}),
    })),
    fields: t.fields.map((f): Field => ({
      id: f.id, line: f.line, specPath: f.specPath, ...(f.doc !== undefined ? { doc: f.doc } : {}), type: f.type!, ksyType: f.ksyType,
      ...(f.size !== undefined ? { size: f.size } : {}), ...(f.repeat ? { repeat: f.repeat } : {}), ...(f.cond ? { cond: f.cond } : {}),
      ...(f.valid ? { valid: f.valid } : {}), ...(f.derived ? { derived: f.derived } : {}),
      ...(f.term ? { term: f.term } : {}), ...(f.padRight !== undefined ? { padRight: f.padRight } : {}),
    })),
  };
}

function sortProblems(ps: Problem[]): Problem[] {
  return ps.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.message < b.message ? -1 : 1)));
}

function prob(spec: { file: string; loaded: Loaded }, specPath: string, message: string, hint: string, severity: 'error' | 'warning' = 'error'): Problem {
  return { severity, file: spec.file, line: spec.loaded.line(specPath), specPath, message, hint };
}

function tryExpr(spec: WSpec, path: string, src: unknown, problems: Problem[]): Expr | undefined {
  if (typeof src !== 'string' && typeof src !== 'number' && typeof src !== 'boolean') {
    problems.push(prob(spec, path, `expected an expression, got ${JSON.stringify(src)}`, 'write an integer, a field name, or an expression such as `len - 2`'));
    return undefined;
  }
  try {
    return parseExpr(src);
  } catch (e) {
    if (e instanceof ExprSyntaxError) {
      problems.push(prob(spec, path, `bad expression '${String(src)}': ${e.message} (column ${e.column + 1})`, 'see docs/writing-a-message-spec.md for the supported expression subset'));
      return undefined;
    }
    throw e;
  }
}

function unknownKeys(spec: WSpec, obj: Record<string, unknown>, allowed: Set<string>, path: string, what: string, problems: Problem[]): void {
  for (const k of Object.keys(obj)) {
    if (allowed.has(k)) continue;
    const at = `${path === '/' ? '' : path}/${k}`;
    if (k.startsWith('-')) {
      // Keys that begin with `-` never change the bytes (Kaitai ignores them): Kaitai's own are
      // ignored silently, any other is ignored with a warning in case it is a misspelt protosmith key.
      if (!KAITAI_DASH_KEYS.has(k)) problems.push(prob(spec, at, `unknown '-' key '${k}' in ${what} is ignored`, `protosmith's own keys are: ${OWN_DASH_KEYS}`, 'warning'));
      continue;
    }
    problems.push(prob(spec, at, `unsupported key '${k}' in ${what}`, `protosmith supports: ${[...allowed].filter((x) => !x.startsWith('-')).join(', ')}`));
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 1: structure

function structurePass(abs: string, file: string, loaded: Loaded, problems: Problem[]): WSpec | undefined {
  const data = loaded.data;
  const stub = { file, loaded };
  if (!isObj(data)) {
    problems.push(prob(stub, '/', 'a .ksy file must be a YAML map with meta and seq/types', 'start the file with `meta: {id: ..., endian: be}`'));
    return undefined;
  }
  const meta = data.meta;
  if (!isObj(meta) || typeof meta.id !== 'string' || !ID_RE.test(meta.id)) {
    problems.push(prob(stub, isObj(meta) ? '/meta/id' : '/meta', 'meta.id is missing or not a lower_snake_case identifier', 'add `meta: {id: my_message}`'));
    return undefined;
  }
  const spec: WSpec = { id: meta.id, file, absPath: abs, loaded, importIds: [], types: [], enums: [], ianaByEnum: new Map() };
  if (typeof data.doc === 'string') spec.doc = data.doc;
  unknownKeys(spec, data, TOP_KEYS, '/', 'the top level', problems);
  unknownKeys(spec, meta, META_KEYS, '/meta', 'meta', problems);
  const topEndian = endianOf(spec, meta.endian, '/meta/endian', undefined, problems);
  bitEndianOf(spec, meta['bit-endian'], '/meta/bit-endian', problems);
  if (meta.imports !== undefined) {
    if (!Array.isArray(meta.imports)) problems.push(prob(spec, '/meta/imports', 'meta.imports must be a list of spec names', 'e.g. `imports: [common]`'));
    else meta.imports.forEach((imp, i) => {
      if (typeof imp !== 'string') { problems.push(prob(spec, `/meta/imports/${i}`, 'an import must be a string', 'e.g. `- common`')); return; }
      spec.importIds.push({ id: imp.split('/').pop()!, absPath: resolve(dirname(abs), `${imp}.ksy`), path: `/meta/imports/${i}`, name: imp });
    });
  }
  const iana = data['-iana'];
  if (iana !== undefined) {
    if (!isObj(iana)) problems.push(prob(spec, '/-iana', '-iana must map enum names to registry URLs', 'e.g. `-iana: {content_type: https://www.iana.org/...}`'));
    else for (const [k, v] of Object.entries(iana)) {
      if (typeof v !== 'string' || !/^https?:\/\//.test(v)) problems.push(prob(spec, `/-iana/${k}`, `-iana.${k} must be a registry URL`, 'cite the IANA registry page, e.g. https://www.iana.org/assignments/tls-parameters/'));
      else spec.ianaByEnum.set(k, v);
    }
  }

  const addEnums = (raw: unknown, path: string): void => {
    if (raw === undefined) return;
    if (!isObj(raw)) { problems.push(prob(spec, path, 'enums must be a map of enum name to {value: name}', 'e.g. `enums: {alert_level: {1: warning, 2: fatal}}`')); return; }
    for (const [name, vals] of Object.entries(raw)) {
      const p = `${path}/${name}`;
      if (!ID_RE.test(name)) problems.push(prob(spec, p, `enum name '${name}' is not lower_snake_case`, 'use names like alert_level'));
      if (!isObj(vals)) { problems.push(prob(spec, p, `enum '${name}' must map integer values to names`, 'e.g. `1: warning`')); continue; }
      const values: { name: string; value: bigint; doc?: string }[] = [];
      for (const [k, v] of Object.entries(vals)) {
        let value: bigint;
        try { value = BigInt(k); } catch { problems.push(prob(spec, `${p}/${k}`, `enum key '${k}' is not an integer`, 'enum keys are integer values (decimal or 0x hex)')); continue; }
        // `0x30: false` is YAML's boolean false; Kaitai takes it (and `true`) as the name, and so do we
        const named = (x: unknown): string | undefined => (typeof x === 'string' ? x : typeof x === 'boolean' ? String(x) : undefined);
        const vname = named(v) ?? (isObj(v) ? named(v.id) : undefined);
        if (vname === undefined || !ID_RE.test(vname)) { problems.push(prob(spec, `${p}/${k}`, `enum value ${k} needs a lower_snake_case name`, 'write `0x1301: tls_aes_128_gcm_sha256` or `{id: name, doc: ...}`')); continue; }
        if (values.some((x) => x.name === vname)) problems.push(prob(spec, `${p}/${k}`, `duplicate name '${vname}' in enum '${name}'`, 'each name in an enum must be unique'));
        values.push({ name: vname, value, ...(isObj(v) && typeof v.doc === 'string' ? { doc: v.doc } : {}) });
      }
      if (spec.enums.some((e) => e.id === name)) problems.push(prob(spec, p, `duplicate enum id '${name}'`, 'enum ids must be unique within a spec (nested enums share one namespace)'));
      const url = spec.ianaByEnum.get(name);
      spec.enums.push({ key: `${spec.id}::${name}`, specId: spec.id, id: name, tsName: pascal(name), line: loaded.line(p), values: values.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)), ...(url ? { iana: url } : {}) });
    }
  };

  const addType = (id: string, raw: Record<string, unknown>, path: string, isRoot: boolean, outerEndian: 'be' | 'le' | undefined, outerEncoding: string | undefined): void => {
    if (!isRoot) unknownKeys(spec, raw, TYPE_KEYS, path, `type '${id}'`, problems);
    let endian = outerEndian;
    const metaOf = isRoot ? meta : raw.meta;
    const encoding = isObj(metaOf) && metaOf.encoding !== undefined ? encodingOf(spec, metaOf.encoding, `${path === '/' ? '' : path}/meta/encoding`, problems) : outerEncoding;
    if (!isRoot && raw.meta !== undefined) {
      if (!isObj(raw.meta)) problems.push(prob(spec, `${path}/meta`, `meta of type '${id}' must be a map`, 'e.g. `meta: {endian: le}`'));
      else {
        unknownKeys(spec, raw.meta, TYPE_META_KEYS, `${path}/meta`, `meta of type '${id}'`, problems);
        endian = endianOf(spec, raw.meta.endian, `${path}/meta/endian`, outerEndian, problems);
        bitEndianOf(spec, raw.meta['bit-endian'], `${path}/meta/bit-endian`, problems);
      }
    }
    if (!ID_RE.test(id)) problems.push(prob(spec, path, `type id '${id}' is not lower_snake_case`, 'use names like client_hello'));
    const key = `${spec.id}::${id}`;
    if (spec.types.some((t) => t.key === key)) problems.push(prob(spec, path, `duplicate type id '${id}'`, isRoot ? `a type may not share the spec's meta.id '${id}'` : 'type ids must be unique within a spec (nested types share one namespace)'));
    const t: WType = { key, specId: spec.id, id, tsName: pascal(id), line: loaded.line(path), path, rawParams: raw.params, rawSeq: raw.seq, params: [], fields: [], parentRefs: [], rootRefs: [], ownRootRefs: [], minSize: 0, instances: [], rawPos: [], posFields: [], ...(endian ? { endian } : {}), ...(encoding ? { encoding } : {}) };
    if (typeof raw.doc === 'string') t.doc = raw.doc;
    spec.types.push(t);
    if (isRoot) spec.root = key;
    if (isObj(raw.instances)) {
      // pos instances, and parse instances without pos (read where the stream is: for us, where the seq ends)
      for (const [iid, v] of Object.entries(raw.instances)) if (isObj(v) && v.value === undefined && (v.pos !== undefined || v.io === undefined || v.io === '_io')) t.rawPos.push({ id: iid, raw: v, path: `${path === '/' ? '' : path}/instances/${iid}` });
    }
    structureFields(spec, t, problems);
    structureInstances(spec, t, raw.instances, `${path === '/' ? '' : path}/instances`, problems);
    inlineRootInstances(spec, t);
    if (raw.types !== undefined) addTypes(raw.types, `${path === '/' ? '' : path}/types`, endian, encoding);
    if (!isRoot) addEnums(raw.enums, `${path === '/' ? '' : path}/enums`);
  };
  const addTypes = (raw: unknown, path: string, endian: 'be' | 'le' | undefined, encoding: string | undefined): void => {
    if (!isObj(raw)) { problems.push(prob(spec, path, 'types must be a map of type id to type', 'e.g. `types: {client_hello: {seq: [...]}}`')); return; }
    for (const [id, t] of Object.entries(raw)) {
      if (!isObj(t)) { problems.push(prob(spec, `${path}/${id}`, `type '${id}' must be a map`, 'give it a seq')); continue; }
      addType(id, t, `${path}/${id}`, false, endian, encoding);
    }
  };
  addEnums(data.enums, '/enums');
  if (data.seq !== undefined || data.params !== undefined) addType(spec.id, data, '/', true, topEndian, undefined);
  else if (data.types !== undefined) { /* a library of types and enums */ }
  const topEncoding = meta.encoding === undefined ? undefined : encodingOf(spec, meta.encoding, '/meta/encoding', problems);
  if (data.types !== undefined && spec.root === undefined) addTypes(data.types, '/types', topEndian, topEncoding);
  for (const e of spec.enums) {
    // Protocol specs (under specs/) must cite the registry of every enum; elsewhere it is a warning once a spec cites any.
    const required = file.startsWith('specs/');
    if (e.iana === undefined && (required || spec.ianaByEnum.size > 0)) {
      problems.push(prob(spec, `/enums/${e.id}`, `enum '${e.id}' has no -iana citation`, `add '${e.id}: <registry URL>' under the top-level -iana map`, required ? 'error' : 'warning'));
    }
  }
  for (const k of spec.ianaByEnum.keys()) {
    if (!spec.enums.some((e) => e.id === k)) problems.push(prob(spec, `/-iana/${k}`, `-iana names enum '${k}', which this spec does not define`, `defined enums: ${spec.enums.map((e) => e.id).join(', ') || '(none)'}`));
  }
  return spec;
}

/**
 * The byte order a meta.endian sets: 'be', 'le', or (absent) the enclosing one. An endian switch
 * (`endian: {switch-on: ..., cases: ...}`) picks the order at run time; it is refused, never read as big-endian.
 */
function endianOf(spec: WSpec, raw: unknown, path: string, outer: 'be' | 'le' | undefined, problems: Problem[]): 'be' | 'le' | undefined {
  if (raw === undefined) return outer;
  if (raw === 'be' || raw === 'le') return raw;
  if (isObj(raw)) {
    problems.push(prob(spec, path, 'an endian switch (meta.endian with switch-on) is not supported: the byte order would be chosen at run time', 'split the type into a big-endian and a little-endian variant and switch between them on the same value'));
    return outer ?? 'be'; // reported once here, not again for every field (nothing is generated)
  }
  problems.push(prob(spec, path, `meta.endian must be 'be' or 'le' (got ${JSON.stringify(raw)})`, 'write `endian: be` (network order) or `endian: le`'));
  return outer;
}

/** `bit-endian: be` is what protosmith reads bN fields as (Kaitai's default); `le` would change every bit field. */
function bitEndianOf(spec: WSpec, raw: unknown, path: string, problems: Problem[]): void {
  if (raw === undefined || raw === 'be') return;
  problems.push(prob(spec, path, `bit-endian ${JSON.stringify(raw)} is not supported: bit fields are read big-endian (most significant bit first)`, 'remove bit-endian, or write `bit-endian: be`'));
}

function encodingOf(spec: WSpec, raw: unknown, path: string, problems: Problem[]): string | undefined {
  const e = typeof raw === 'string' ? ENCODINGS[raw.toUpperCase()] : undefined;
  if (e === undefined) problems.push(prob(spec, path, `encoding ${JSON.stringify(raw)} is not supported`, 'protosmith reads and writes UTF-8, ASCII, ISO-8859-1, UTF-16LE and UTF-16BE'));
  return e;
}

function structureFields(spec: WSpec, t: WType, problems: Problem[]): void {
  const base = t.path === '/' ? '' : t.path;
  if (t.rawParams !== undefined) {
    if (!Array.isArray(t.rawParams)) problems.push(prob(spec, `${base}/params`, 'params must be a list', 'e.g. `params: [{id: msg_type, type: u1}]`'));
    else t.rawParams.forEach((p, i) => {
      const pp = `${base}/params/${i}`;
      if (!isObj(p) || typeof p.id !== 'string') { problems.push(prob(spec, pp, 'a param needs an id and a type', 'e.g. `{id: msg_type, type: u1}`')); return; }
      unknownKeys(spec, p, new Set(['id', 'type', 'enum', 'doc']), pp, `param '${p.id}'`, problems);
      // a param's byte order never matters (it is not read from the wire)
      const num = typeof p.type === 'string' ? numberType(p.type, 'be') : undefined;
      const width = p.type === 'bool' ? 0 : typeof num === 'object' && num.kind === 'uint' ? num.width : undefined;
      if (width === undefined || width === 8) { problems.push(prob(spec, `${pp}/type`, `param '${p.id}' has unsupported type ${JSON.stringify(p.type)}`, 'params may be integers of up to 4 bytes (u1, u2, b24, u4, s2, ...) or bool')); return; }
      const param: Param & { enumName?: string } = { id: p.id, width };
      if (typeof p.enum === 'string') (param as { enumName?: string }).enumName = p.enum;
      t.params.push(param);
    });
  }
  // Bit position inside the current byte (-1: unknown, after a conditional or repeated bit field). A bN
  // field that starts on a byte boundary and fills whole bytes reads exactly as a big-endian integer.
  let bitAt = 0;
  if (t.rawSeq !== undefined && !Array.isArray(t.rawSeq)) problems.push(prob(spec, `${base}/seq`, 'seq must be a list of fields', 'each entry is `- id: name` with a type or size'));
  else if (t.rawSeq !== undefined) (t.rawSeq as unknown[]).forEach((raw, i) => parseEntry(raw, `${base}/seq/${i}`, t.fields));
  // pos instances: read like a field, at another position, when the decoded value is built
  for (const pi of t.rawPos) {
    bitAt = 0;
    const { pos, io, ...rest } = pi.raw;
    const atEnd = pos === undefined;
    const at: Expr | undefined = atEnd ? { kind: 'member', object: { kind: 'name', name: '_io' }, name: 'pos' } : tryExpr(spec, `${pi.path}/pos`, pos, problems);
    // `io: x._io`: the stream of field x of this type (a sized, unconditional, unrepeated struct field)
    const ioField = typeof io === 'string' ? /^([a-z][a-z0-9_]*)\._io$/.exec(io)?.[1] : undefined;
    const ioKind = io === undefined || io === '_io' ? 'self' : io === '_root._io' ? 'root' : ioField !== undefined ? 'field' : undefined;
    if (ioKind === undefined) { problems.push(prob(spec, `${pi.path}/io`, `io: ${JSON.stringify(io)} on instance '${pi.id}' is not supported`, 'pos instances read from _io (this type\'s stream), _root._io, or x._io (the stream of a sized field x of this type)')); continue; }
    if (ioField !== undefined) {
      const xf = t.fields.find((x) => x.id === ioField);
      const bad = !xf ? `this type has no field '${ioField}'` : xf.raw.size === undefined && xf.raw['size-eos'] !== true ? `'${ioField}' has no size (so no stream of its own)`
        : xf.raw.repeat !== undefined || xf.raw.if !== undefined ? `'${ioField}' is repeated or conditional` : typeof xf.raw.type !== 'string' || /^[usfb]\d|^(str|strz)$/.test(xf.raw.type) ? `'${ioField}' is not a user type` : undefined;
      if (bad) { problems.push(prob(spec, `${pi.path}/io`, `io: ${JSON.stringify(io)} on instance '${pi.id}': ${bad}`, 'x._io names the stream of a sized, unconditional, unrepeated field x of a user type')); continue; }
    }
    if (rest.repeat !== undefined) { problems.push(prob(spec, `${pi.path}/repeat`, `repeat on pos instance '${pi.id}' is not supported`, 'read a type that holds the repeated field')); continue; }
    const before = t.posFields.length;
    parseEntry({ ...rest, id: pi.id }, pi.path, t.posFields);
    const f = t.posFields[before];
    if (f && at) { f.pos = at; f.io = ioKind; if (ioField !== undefined) f.ioField = ioField; if (atEnd) f.atEnd = true; }
  }
  function parseEntry(raw: unknown, path: string, into: WField[]): void {
    if (!isObj(raw) || typeof raw.id !== 'string') { problems.push(prob(spec, path, 'a seq entry needs an id', 'write `- id: field_name`')); return; }
    const f: WField = { id: raw.id, line: spec.loaded.line(path), specPath: path, raw, ksyType: '' };
    if (!(typeof raw.type === 'string' && /^b[1-9][0-9]*$/.test(raw.type))) bitAt = 0;
    if (typeof raw.doc === 'string') f.doc = raw.doc;
    if (!ID_RE.test(raw.id)) problems.push(prob(spec, `${path}/id`, `field id '${raw.id}' is not lower_snake_case`, 'use names like legacy_session_id'));
    if (t.fields.some((x) => x.id === raw.id)) problems.push(prob(spec, `${path}/id`, `duplicate field id '${raw.id}' in type '${t.id}'`, 'field ids must be unique within a seq'));
    if (t.params.some((x) => x.id === raw.id)) problems.push(prob(spec, `${path}/id`, `field '${raw.id}' has the same name as a param of '${t.id}'`, 'rename the field or the param'));
    unknownKeys(spec, raw, FIELD_KEYS, path, `field '${raw.id}'`, problems);
    into.push(f);

    if (raw.size !== undefined && raw['size-eos'] !== undefined) problems.push(prob(spec, `${path}/size-eos`, `field '${raw.id}' has both size and size-eos`, 'keep one of them'));
    if (raw.size !== undefined) { const e = tryExpr(spec, `${path}/size`, raw.size, problems); if (e) f.size = e; }
    if (raw['size-eos'] !== undefined) {
      if (raw['size-eos'] !== true) problems.push(prob(spec, `${path}/size-eos`, 'size-eos must be true', 'write `size-eos: true` or remove it'));
      else f.size = 'eos';
    }
    if (raw.if !== undefined) { const e = tryExpr(spec, `${path}/if`, raw.if, problems); if (e) f.cond = e; }
    if (raw.repeat !== undefined) {
      if (raw.repeat === 'eos') f.repeat = { kind: 'eos' };
      else if (raw.repeat === 'expr') {
        const e = raw['repeat-expr'] === undefined ? undefined : tryExpr(spec, `${path}/repeat-expr`, raw['repeat-expr'], problems);
        if (raw['repeat-expr'] === undefined) problems.push(prob(spec, `${path}/repeat`, `repeat: expr needs repeat-expr`, 'add `repeat-expr: count_field`'));
        if (e) f.repeat = { kind: 'expr', count: e };
      } else if (raw.repeat === 'until') {
        const e = raw['repeat-until'] === undefined ? undefined : tryExpr(spec, `${path}/repeat-until`, raw['repeat-until'], problems);
        if (raw['repeat-until'] === undefined) problems.push(prob(spec, `${path}/repeat`, 'repeat: until needs repeat-until', 'add `repeat-until: _ == 0` (`_` is the element just read)'));
        if (e) f.repeat = { kind: 'until', until: e };
      } else problems.push(prob(spec, `${path}/repeat`, `unsupported repeat ${JSON.stringify(raw.repeat)}`, 'protosmith supports repeat: eos, expr and until'));
    } else if (raw['repeat-expr'] !== undefined) problems.push(prob(spec, `${path}/repeat-expr`, 'repeat-expr without repeat: expr', 'add `repeat: expr`'));

    // terminator / pad-right (bytes and str; strz is str with terminator 0)
    const byteOpt = (k: string): number | undefined => {
      const v = raw[k];
      if (v === undefined) return undefined;
      if (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255) return v as number;
      problems.push(prob(spec, `${path}/${k}`, `${k} must be a byte value 0..255`, `e.g. \`${k}: 0\``));
      return undefined;
    };
    const boolOpt = (k: string, dflt: boolean): boolean => {
      const v = raw[k];
      if (v === undefined) return dflt;
      if (typeof v !== 'boolean') { problems.push(prob(spec, `${path}/${k}`, `${k} must be true or false`, `write \`${k}: ${dflt}\``)); return dflt; }
      return v;
    };
    const termValue = raw.type === 'strz' && raw.terminator === undefined ? 0 : byteOpt('terminator');
    if (termValue !== undefined) f.term = { value: termValue, include: boolOpt('include', false), consume: boolOpt('consume', true) };
    else for (const k of ['include', 'consume']) if (raw[k] !== undefined) problems.push(prob(spec, `${path}/${k}`, `${k} without a terminator`, 'add `terminator: 0` (or use strz)'));
    const pad = byteOpt('pad-right');
    if (pad !== undefined) f.padRight = pad;
    if (raw['eos-error'] !== undefined && raw['eos-error'] !== true) problems.push(prob(spec, `${path}/eos-error`, 'eos-error: false is not supported (a missing terminator is a DecodeError)', 'remove eos-error'));
    if ((f.term || f.padRight !== undefined) && !(raw.type === undefined || raw.type === 'str' || raw.type === 'strz')) problems.push(prob(spec, path, `terminator and pad-right apply to bytes and strings, not to '${String(raw.type)}' ('${raw.id}')`, 'remove them, or read the field as bytes/str'));
    if (f.padRight !== undefined && raw.size === undefined && raw['size-eos'] === undefined) problems.push(prob(spec, `${path}/pad-right`, `pad-right on '${raw.id}' needs a size`, 'add size (pad bytes fill a field of fixed size)'));
    if (raw.type === 'str' || raw.type === 'strz') {
      const encoding = raw.encoding !== undefined ? encodingOf(spec, raw.encoding, `${path}/encoding`, problems) : t.encoding;
      if (raw.encoding === undefined && t.encoding === undefined) problems.push(prob(spec, `${path}/type`, `string field '${raw.id}' has no encoding`, 'add `encoding: UTF-8` (or ASCII, ...) to the field, or meta.encoding to the spec'));
      if (raw.size === undefined && raw['size-eos'] === undefined && f.term === undefined) problems.push(prob(spec, path, `string field '${raw.id}' has no size, size-eos or terminator`, 'add `size: n`, `size-eos: true` or `terminator: 0` (or use strz)'));
      if (raw.repeat === undefined && raw.enum !== undefined) problems.push(prob(spec, `${path}/enum`, `enum on string field '${raw.id}'`, 'enum applies to integer fields'));
      f.type = { kind: 'str', encoding: encoding ?? 'UTF-8' };
      f.ksyType = raw.type;
      return;
    }
    if (raw.encoding !== undefined) problems.push(prob(spec, `${path}/encoding`, `encoding on '${raw.id}', which is not a string`, 'encoding applies to str and strz fields'));
    if (raw.type === undefined && f.term !== undefined && raw.size === undefined && raw['size-eos'] === undefined) {
      f.type = { kind: 'bytes' };
      f.ksyType = 'bytes';
      return;
    }
    if (raw.contents !== undefined) {
      const bytes = contentsBytes(raw.contents);
      if (!bytes || raw.type !== undefined || raw.size !== undefined) problems.push(prob(spec, `${path}/contents`, 'contents must be a string or a list of byte values and strings, with no type or size', 'e.g. `contents: [0x16, 0x03]` or `contents: GIF89a`'));
      else { f.type = { kind: 'contents', bytes }; f.ksyType = 'contents'; }
      return;
    }
    const ty = raw.type;
    if (ty === undefined) {
      if (raw.size === undefined && raw['size-eos'] === undefined) problems.push(prob(spec, path, `field '${raw.id}' has neither type nor size`, 'give it a type (u1, u2, b24, u4, u8, or a user type) or a size for raw bytes'));
      f.type = { kind: 'bytes' };
      f.ksyType = 'bytes';
    } else if (typeof ty === 'string' && /^b[1-9][0-9]*$/.test(ty)) {
      const n = Number(ty.slice(1));
      f.ksyType = ty;
      if (bitAt === 0 && n % 8 === 0 && [1, 2, 3, 4, 8].includes(n / 8) && !raw.repeat && raw.if === undefined) f.num = { kind: 'uint', width: (n / 8) as Width };
      else if (n > 64) problems.push(prob(spec, `${path}/type`, `bit field '${raw.id}' is ${ty}; Kaitai's bit fields are b1..b64`, 'split it into fields of at most 64 bits'));
      else f.bits = n;
      bitAt = f.bits === undefined ? bitAt : bitAt >= 0 && !raw.repeat && raw.if === undefined ? (bitAt + n) % 8 : -1;
    } else if (typeof ty === 'string') {
      const num = numberType(ty, t.endian);
      if (num === 'no-endian') {
        problems.push(prob(spec, `${path}/type`, `field '${raw.id}' is ${ty}, but no byte order is set for type '${t.id}'`, `write ${ty}be or ${ty}le, or set meta.endian (be or le) on the spec or the type`));
      } else if (num !== undefined) {
        f.num = num;
        f.ksyType = ty;
        if (f.size !== undefined) problems.push(prob(spec, `${path}/size`, `number field '${raw.id}' cannot have a size`, 'size applies to bytes and user types'));
      } else if (/^[usf]\d/.test(ty) && !/^[a-z][a-z0-9_]*$/.test(ty)) {
        problems.push(prob(spec, `${path}/type`, `unsupported built-in type '${ty}'`, BUILTIN_HINT));
      } else {
        // not one of Kaitai's built-in types (`u3` is not): a user type of that name, as in ksc
        const m = /^([a-z][a-z0-9_]*(?:::[a-z][a-z0-9_]*)*)(?:\((.*)\))?$/.exec(ty);
        if (!m) problems.push(prob(spec, `${path}/type`, `malformed type reference '${ty}'`, 'write `type_name` or `type_name(arg, ...)`'));
        else {
          f.typeName = m[1]!;
          f.ksyType = m[1]!;
          f.typeArgs = m[2] === undefined ? [] : splitArgs(m[2]).map((a, j) => tryExpr(spec, `${path}/type`, a, problems) ?? { kind: 'int', value: BigInt(j) });
        }
      }
    } else if (isObj(ty)) {
      unknownKeys(spec, ty, new Set(['switch-on', 'cases']), `${path}/type`, `switch of field '${raw.id}'`, problems);
      const on = ty['switch-on'] === undefined ? undefined : tryExpr(spec, `${path}/type/switch-on`, ty['switch-on'], problems);
      if (ty['switch-on'] === undefined) problems.push(prob(spec, `${path}/type`, 'a switch type needs switch-on', 'add `switch-on: field_name`'));
      if (!isObj(ty.cases)) problems.push(prob(spec, `${path}/type/cases`, 'a switch type needs a cases map', "add `cases: {'enum_name::value': type_name}`"));
      if (on && isObj(ty.cases)) {
        f.switchOn = on;
        f.ksyType = 'switch';
        f.switchCases = [];
        for (const [label, target] of Object.entries(ty.cases)) {
          const cp = `${path}/type/cases/${label}`;
          const key = label === '_' ? '_' : tryExpr(spec, cp, /^-?[0-9]/.test(label) ? label : label, problems);
          if (key === undefined) continue;
          if (typeof target !== 'string') { problems.push(prob(spec, cp, `case '${label}' must name a type`, 'e.g. `client_hello` or `extension(msg_type)`')); continue; }
          const m = /^([a-z][a-z0-9_]*(?:::[a-z][a-z0-9_]*)*)(?:\((.*)\))?$/.exec(target);
          if (!m) { problems.push(prob(spec, cp, `malformed type reference '${target}'`, 'write `type_name` or `type_name(arg, ...)`')); continue; }
          const num = numberType(m[1]!, t.endian);
          if (num === 'no-endian') { problems.push(prob(spec, cp, `case '${label}' -> '${target}': no byte order is set for type '${t.id}'`, `write ${target}be or ${target}le, or set meta.endian`)); continue; }
          if (num !== undefined) { f.switchCases.push({ label, key, typeName: null, args: [], path: cp, builtin: { kind: 'num', num } }); continue; }
          if (m[1] === 'str' || m[1] === 'strz') {
            const enc = raw.encoding !== undefined ? encodingOf(spec, raw.encoding, `${path}/encoding`, problems) : t.encoding;
            if (enc === undefined) { problems.push(prob(spec, cp, `case '${label}' -> ${m[1]} has no encoding`, 'add `encoding:` to the field or meta.encoding')); continue; }
            if (m[1] === 'str' && raw.size === undefined && raw['size-eos'] === undefined) { problems.push(prob(spec, cp, `case '${label}' -> str needs the field to have a size`, 'add size or size-eos to the field, or use strz')); continue; }
            f.switchCases.push({ label, key, typeName: null, args: [], path: cp, builtin: { kind: 'str', encoding: enc, zeroTerminated: m[1] === 'strz' } });
            continue;
          }
          if (/^b\d+$/.test(m[1]!)) { problems.push(prob(spec, cp, `case '${label}' -> '${target}': bit-sized case types are not supported`, 'read the bits in a user type and name that type')); continue; }
          f.switchCases.push({ label, key, typeName: m[1]!, args: m[2] === undefined ? [] : splitArgs(m[2]).map((a) => tryExpr(spec, cp, a, problems) ?? { kind: 'int', value: 0n }), path: cp });
        }
      }
    } else problems.push(prob(spec, `${path}/type`, `type must be a name or a switch, got ${JSON.stringify(ty)}`, 'e.g. `type: u2`'));
    if (raw.enum !== undefined) {
      if (typeof raw.enum !== 'string') problems.push(prob(spec, `${path}/enum`, 'enum must name an enum', 'e.g. `enum: content_type`'));
      else if (f.num?.kind !== 'uint' && (f.bits === undefined || f.bits === 1)) problems.push(prob(spec, `${path}/enum`, `enum on non-integer field '${raw.id}'`, 'enum applies to integer fields'));
      else if (f.bits !== undefined && f.bits > 53) problems.push(prob(spec, `${path}/enum`, `enum on '${raw.id}', a bit field of ${f.bits} bits (read as a bigint)`, 'enums apply to bit fields of at most 53 bits'));
      else f.enumName = raw.enum;
    }
    if (raw.valid !== undefined) {
      const v = raw.valid;
      const alertOf = (x: unknown): string => {
        if (x === undefined) return 'illegal_parameter';
        if (typeof x !== 'string' || !ALERTS.has(x)) { problems.push(prob(spec, `${path}/valid/-alert`, `-alert ${JSON.stringify(x)} is not a known alert`, `use one of: ${[...ALERTS].join(', ')}`)); return 'illegal_parameter'; }
        return x;
      };
      if (isObj(v)) {
        unknownKeys(spec, v, VALID_KEYS, `${path}/valid`, `valid of field '${raw.id}'`, problems);
        const valid: { -readonly [K in keyof Valid]: Valid[K] } = { alert: alertOf(v['-alert']) };
        if (v.eq !== undefined) { const e = tryExpr(spec, `${path}/valid/eq`, v.eq, problems); if (e) valid.eq = e; }
        if (v.min !== undefined) { const e = tryExpr(spec, `${path}/valid/min`, v.min, problems); if (e) valid.min = e; }
        if (v.max !== undefined) { const e = tryExpr(spec, `${path}/valid/max`, v.max, problems); if (e) valid.max = e; }
        if (v['any-of'] !== undefined) {
          if (!Array.isArray(v['any-of']) || v['any-of'].length === 0) problems.push(prob(spec, `${path}/valid/any-of`, 'any-of must be a non-empty list', 'e.g. `any-of: [1, 2]`'));
          else valid.anyOf = v['any-of'].map((x, j) => tryExpr(spec, `${path}/valid/any-of/${j}`, x, problems) ?? { kind: 'int', value: 0n });
        }
        if (v['in-enum'] !== undefined) {
          if (v['in-enum'] !== true) problems.push(prob(spec, `${path}/valid/in-enum`, 'in-enum must be true', 'write `in-enum: true`'));
          else valid.inEnum = true;
        }
        if (Object.keys(v).filter((k) => k !== '-alert').length === 0) problems.push(prob(spec, `${path}/valid`, 'valid has no constraint', 'add eq, min, max, any-of or in-enum'));
        f.valid = valid;
      } else {
        const e = tryExpr(spec, `${path}/valid`, v, problems);
        if (e) f.valid = { eq: e, alert: 'illegal_parameter' };
      }
    }
  }
}

/**
 * Value instances (`instances: {x: {value: expr}}`): each is inlined, as an expression, wherever the type's
 * fields use it, so decoding and encoding never depend on a stored instance value. Parse instances
 * (pos/io/size/type) are refused.
 */
function structureInstances(spec: WSpec, t: WType, raw: unknown, path: string, problems: Problem[]): void {
  if (raw === undefined) return;
  if (!isObj(raw)) { problems.push(prob(spec, path, 'instances must be a map of instance id to {value: expression}', 'e.g. `instances: {ihl_bytes: {value: ihl * 4}}`')); return; }
  const sources = new Map<string, { expr: Expr; path: string }>();
  for (const [id, v] of Object.entries(raw)) {
    const p = `${path}/${id}`;
    if (!isObj(v)) { problems.push(prob(spec, p, `instance '${id}' must be a map`, 'e.g. `{value: ihl * 4}`')); continue; }
    if (!ID_RE.test(id)) problems.push(prob(spec, p, `instance id '${id}' is not lower_snake_case`, 'use names like ihl_bytes'));
    if (t.fields.some((f) => f.id === id) || t.params.some((x) => x.id === id)) problems.push(prob(spec, p, `instance '${id}' has the same name as a field or param of '${t.id}'`, 'rename the instance'));
    if (v.value === undefined && (v.pos !== undefined || v.io === undefined || v.io === '_io')) continue; // a pos or parse instance: parsed with the fields
    if (v.value === undefined) {
      problems.push(prob(spec, p, `instance '${id}' reads from io ${JSON.stringify(v.io)} without a pos`, 'give it a pos (e.g. `pos: 0`)'));
      continue;
    }
    unknownKeys(spec, v, VALUE_INSTANCE_KEYS, p, `instance '${id}'`, problems);
    const e = tryExpr(spec, `${p}/value`, v.value, problems);
    if (!e) continue;
    sources.set(id, { expr: e, path: p });
    // `if`: the decoded value is absent when the condition is false (where fields use the instance it is inlined as is)
    const cond = v.if === undefined ? undefined : tryExpr(spec, `${p}/if`, v.if, problems);
    const inst: Instance & { enumName?: string } = { id, line: spec.loaded.line(p), specPath: p, expr: e, source: e, ...(typeof v.doc === 'string' ? { doc: v.doc } : {}), ...(cond ? { cond } : {}) };
    if (typeof v.enum === 'string') inst.enumName = v.enum;
    t.instances.push(inst);
  }
  // inline instances into each other (refusing cycles), then into every expression of the fields
  const done = new Map<string, Expr>();
  const resolving = new Set<string>();
  const resolve = (id: string): Expr | undefined => {
    const have = done.get(id);
    if (have) return have;
    const src = sources.get(id);
    if (!src) return undefined;
    if (resolving.has(id)) { problems.push(prob(spec, src.path, `instance '${id}' is defined in terms of itself`, 'break the cycle')); return { kind: 'int', value: 0n }; }
    resolving.add(id);
    const e = substitute(src.expr, resolve);
    resolving.delete(id);
    done.set(id, e);
    return e;
  };
  if (sources.size === 0) return;
  for (const inst of t.instances) {
    (inst as { expr: Expr }).expr = resolve(inst.id)!;
    if (inst.cond) (inst as { cond: Expr }).cond = substitute(inst.cond, resolve);
  }
  const sub = (e: Expr): Expr => substitute(e, resolve);
  rewriteFieldExprs(t, sub);
}

/**
 * `_root.x` where x is a value instance of the spec's root type (already structured: the root comes first):
 * x's expression with its names read as `_root.name`, so `_root.sector_size` becomes
 * `1 << _root.header.sector_shift`. An instance with an `if`, or one that reads `_io`, `_parent` or other
 * `_` names, stays `_root.x` (and is refused later as before).
 */
function inlineRootInstances(spec: WSpec, t: WType): void {
  const root = spec.types.find((x) => x.key === spec.root);
  if (!root) return;
  const byId = new Map(root.instances.filter((i) => !i.cond).map((i) => [i.id, i.expr]));
  if (byId.size === 0) return;
  const ROOT: Expr = { kind: 'name', name: '_root' };
  const rebase = (e: Expr): Expr | undefined => {
    switch (e.kind) {
      case 'int': case 'bool': case 'str': case 'bytes': case 'enum': return e;
      case 'name': return e.name.startsWith('_') ? undefined : { kind: 'member', object: ROOT, name: e.name };
      case 'member': {
        if (e.object.kind === 'name' && e.object.name.startsWith('_')) return e.object.name === '_root' ? e : undefined;
        const o = rebase(e.object);
        return o && { ...e, object: o };
      }
      case 'index': { const o = rebase(e.object); const i = rebase(e.index); return o && i && { ...e, object: o, index: i }; }
      case 'unary': { const o = rebase(e.operand); return o && { ...e, operand: o }; }
      case 'binary': { const l = rebase(e.left); const r = rebase(e.right); return l && r && { ...e, left: l, right: r }; }
      case 'ternary': { const c = rebase(e.cond); const a = rebase(e.then); const b = rebase(e.else); return c && a && b && { ...e, cond: c, then: a, else: b }; }
      default: return undefined;
    }
  };
  const walk = (e: Expr): Expr => {
    switch (e.kind) {
      case 'member': {
        if (e.object.kind === 'name' && e.object.name === '_root') { const x = byId.get(e.name); return (x && rebase(x)) ?? e; }
        return { ...e, object: walk(e.object) };
      }
      case 'index': return { ...e, object: walk(e.object), index: walk(e.index) };
      case 'unary': return { ...e, operand: walk(e.operand) };
      case 'binary': return { ...e, left: walk(e.left), right: walk(e.right) };
      case 'ternary': return { ...e, cond: walk(e.cond), then: walk(e.then), else: walk(e.else) };
      default: return e;
    }
  };
  rewriteFieldExprs(t, walk);
  for (const inst of t.instances) {
    (inst as { expr: Expr }).expr = walk(inst.expr);
    if (inst.cond) (inst as { cond: Expr }).cond = walk(inst.cond);
  }
}

/** Replaces every expression of t's fields and pos fields (pos, size, if, repeat, switch-on, type arguments,
 *  valid) with rewrite(expression). */
function rewriteFieldExprs(t: WType, rewrite: (e: Expr) => Expr): void {
  for (const f of [...t.fields, ...t.posFields]) {
    if (f.pos) f.pos = rewrite(f.pos);
    if (f.size !== undefined && f.size !== 'eos') f.size = rewrite(f.size);
    if (f.cond) f.cond = rewrite(f.cond);
    if (f.repeat?.kind === 'expr') f.repeat = { kind: 'expr', count: rewrite(f.repeat.count) };
    if (f.repeat?.kind === 'until') f.repeat = { kind: 'until', until: rewrite(f.repeat.until) };
    if (f.switchOn) f.switchOn = rewrite(f.switchOn);
    if (f.typeArgs) f.typeArgs = f.typeArgs.map(rewrite);
    if (f.switchCases) for (const c of f.switchCases) c.args = c.args.map(rewrite);
    if (f.valid) {
      const v = f.valid as { -readonly [K in keyof Valid]: Valid[K] };
      if (v.eq) v.eq = rewrite(v.eq);
      if (v.min) v.min = rewrite(v.min);
      if (v.max) v.max = rewrite(v.max);
      if (v.anyOf) v.anyOf = v.anyOf.map(rewrite);
    }
  }
}

/** `contents` as Kaitai writes it: a string (UTF-8), or a list of byte values and strings. */
function contentsBytes(c: unknown): number[] | undefined {
  const parts = Array.isArray(c) ? c : [c];
  const out: number[] = [];
  for (const x of parts) {
    if (typeof x === 'string') out.push(...new TextEncoder().encode(x));
    else if (Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 255) out.push(x as number);
    else return undefined;
  }
  return out.length ? out : undefined;
}

function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(' || c === '[') depth++;
    if (c === ')' || c === ']') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pass 2: names

/** Built-in types a cast (`x.as<u4>`) may name: it changes nothing at run time (the value is already a number). */
export const CAST_NUMBERS = new Set(['u1', 'u2', 'u4', 's1', 's2', 's4', 'u2le', 'u2be', 'u4le', 'u4be', 's2le', 's2be', 's4le', 's4be']);

/**
 * The byte size of a type that always takes the same number of bytes (`sizeof<name>`), or undefined: numbers,
 * contents, bytes and strings of a literal size, bit fields (each run padded to a byte), fixed-size user types,
 * repeats of a literal count; no `if`, switches, size-eos, terminators or repeats to the end.
 */
export function fixedSizeOf(key: string, get: (key: string) => { readonly fields: readonly { readonly type?: FieldType; readonly size?: Expr | 'eos'; readonly repeat?: Field['repeat']; readonly cond?: Expr; readonly term?: Field['term'] }[] } | undefined, seen: Set<string> = new Set()): number | undefined {
  const t = get(key);
  if (!t || seen.has(key)) return undefined;
  seen.add(key);
  let bytes = 0;
  let bits = 0;
  for (const f of t.fields) {
    if (f.cond || f.term || f.size === 'eos' || (f.repeat && !(f.repeat.kind === 'expr' && f.repeat.count.kind === 'int'))) return undefined;
    const count = f.repeat?.kind === 'expr' && f.repeat.count.kind === 'int' ? Number(f.repeat.count.value) : 1;
    const ty = f.type;
    if (ty?.kind === 'bits') { if (f.repeat) return undefined; bits += ty.width; continue; }
    bytes += Math.ceil(bits / 8);
    bits = 0;
    let one: number | undefined;
    if (f.size !== undefined) one = f.size.kind === 'int' ? Number(f.size.value) : undefined;
    else if (ty?.kind === 'uint' || ty?.kind === 'float') one = ty.width;
    else if (ty?.kind === 'contents') one = ty.bytes.length;
    else if (ty?.kind === 'struct') one = fixedSizeOf(ty.ref.type, get, seen);
    if (one === undefined) return undefined;
    bytes += one * count;
  }
  seen.delete(key);
  return bytes + Math.ceil(bits / 8);
}

/** Byte sizes of the built-in types sizeof<...> may name. */
export const BUILTIN_SIZES: Readonly<Record<string, number>> = Object.fromEntries(
  ['u1', 's1', 'u2', 's2', 'u4', 's4', 'u8', 's8', 'f4', 'f8'].flatMap((n) => [n, `${n}le`, `${n}be`].map((m) => [m, Number(n.slice(1))])),
);

/** The user type `x.as<name>` names, seen from spec specId (its types, or an imported spec's root or `spec::type`). */
export function castTypeKey(specId: string, imports: readonly { id: string }[], has: (key: string) => boolean, name: string): string | undefined {
  const parts = name.split('::');
  if (parts.length === 1) {
    if (has(`${specId}::${name}`)) return `${specId}::${name}`;
    return imports.some((i) => i.id === name) && has(`${name}::${name}`) ? `${name}::${name}` : undefined;
  }
  if (parts.length === 2 && (parts[0] === specId || imports.some((i) => i.id === parts[0])) && has(name)) return name;
  return undefined;
}

function resolveType(spec: WSpec, byId: Map<string, WSpec>, types: Map<string, WType>, name: string): string | undefined {
  const parts = name.split('::');
  if (parts.length === 1) {
    if (types.has(`${spec.id}::${name}`)) return `${spec.id}::${name}`;
    const imp = spec.importIds.find((i) => i.id === name);
    if (imp) { const s = byId.get(imp.id); if (s?.root) return s.root; }
    return undefined;
  }
  if (parts.length === 2) {
    const [sid, tid] = parts as [string, string];
    if (!spec.importIds.some((i) => i.id === sid) && sid !== spec.id) return undefined;
    const key = `${sid}::${tid}`;
    return types.has(key) ? key : undefined;
  }
  return undefined;
}

export function resolveEnumName(specId: string, imports: readonly { id: string }[], enums: ReadonlyMap<string, EnumDef>, name: string): string | undefined {
  const parts = name.split('::');
  if (parts.length === 1) return enums.has(`${specId}::${name}`) ? `${specId}::${name}` : undefined;
  if (parts.length === 2) {
    const [sid, eid] = parts as [string, string];
    if (sid !== specId && !imports.some((i) => i.id === sid)) return undefined;
    return enums.has(`${sid}::${eid}`) ? `${sid}::${eid}` : undefined;
  }
  return undefined;
}

function namesPass(order: WSpec[], byId: Map<string, WSpec>, types: Map<string, WType>, enums: Map<string, EnumDef>): Problem[] {
  const problems: Problem[] = [];
  const known = (spec: WSpec): string => [...spec.types.map((t) => t.id), ...spec.importIds.map((i) => i.id)].sort().join(', ');
  for (const spec of order) {
    for (const t of spec.types) {
      for (const p of t.params as (Param & { enumName?: string })[]) {
        if (p.enumName !== undefined) {
          const k = resolveEnumName(spec.id, spec.importIds, enums, p.enumName);
          if (!k) problems.push(prob(spec, `${t.path === '/' ? '' : t.path}/params`, `unknown enum '${p.enumName}' on param '${p.id}'`, 'name an enum of this spec or `imported_spec::enum_name`'));
          else (p as { enumKey?: string }).enumKey = k;
          delete p.enumName;
        }
      }
      for (const inst of t.instances) {
        if (inst.enumName === undefined) continue;
        const k = resolveEnumName(spec.id, spec.importIds, enums, inst.enumName);
        if (!k) problems.push(prob(spec, `${inst.specPath}/enum`, `unknown enum '${inst.enumName}' on instance '${inst.id}'`, 'name an enum of this spec or `imported_spec::enum_name`'));
        else (inst as { enumKey?: string }).enumKey = k;
        delete inst.enumName;
      }
      for (const f of [...t.fields, ...t.posFields]) {
        if (f.type?.kind === 'contents') continue;
        if (f.bits !== undefined) {
          const enumKey = f.enumName === undefined ? undefined : resolveEnumName(spec.id, spec.importIds, enums, f.enumName);
          if (f.enumName !== undefined && !enumKey) problems.push(prob(spec, `${f.specPath}/enum`, `unknown enum '${f.enumName}' on field '${f.id}'`, 'name an enum of this spec or `imported_spec::enum_name`'));
          f.type = { kind: 'bits', width: f.bits, ...(enumKey ? { enumKey } : {}) };
        } else if (f.num !== undefined) {
          let enumKey: string | undefined;
          if (f.enumName !== undefined) {
            enumKey = resolveEnumName(spec.id, spec.importIds, enums, f.enumName);
            if (!enumKey) {
              const all = [...enums.values()].filter((e) => e.specId === spec.id || spec.importIds.some((i) => i.id === e.specId)).map((e) => (e.specId === spec.id ? e.id : `${e.specId}::${e.id}`));
              problems.push(prob(spec, `${f.specPath}/enum`, `unknown enum '${f.enumName}' on field '${f.id}'`, `known enums: ${all.sort().join(', ') || '(none)'}`));
            }
          }
          f.type = f.num.kind === 'float' ? f.num : { ...f.num, ...(enumKey ? { enumKey } : {}) };
        } else if (f.typeName !== undefined) {
          const key = resolveType(spec, byId, types, f.typeName);
          if (!key) problems.push(prob(spec, `${f.specPath}/type`, /^[usf]\d/.test(f.typeName) ? `unsupported built-in type '${f.typeName}' (and no user type of that name)` : `unknown type '${f.typeName}' for field '${f.id}'`, /^[usf]\d/.test(f.typeName) ? BUILTIN_HINT : `known types: ${known(spec)}`));
          else f.type = { kind: 'struct', ref: { type: key, args: f.typeArgs ?? [] } };
        } else if (f.switchCases !== undefined && f.switchOn !== undefined) {
          const cases: { label: string; value: bigint | string | boolean; target: CaseTarget }[] = [];
          let fallback: CaseTarget | undefined;
          for (const c of f.switchCases) {
            const key = c.builtin || c.typeName === null ? undefined : resolveType(spec, byId, types, c.typeName);
            if (!key && !c.builtin) { problems.push(prob(spec, c.path, `unknown type '${c.typeName}' in switch case '${c.label}' of field '${f.id}'`, `known types: ${known(spec)}`)); continue; }
            const target: CaseTarget = c.builtin ?? { kind: 'struct', ref: { type: key!, args: c.args } };
            if (c.key === '_') { fallback = target; continue; }
            // string and boolean keys (switch-on a string or a boolean) are literals; others integers or enum values
            const v = c.key.kind === 'str' || c.key.kind === 'bool' ? { lit: c.key.value } : constValue(spec, enums, c.key);
            if (v === undefined) { problems.push(prob(spec, c.path, `switch case '${c.label}' is not an integer, enum value, string or boolean`, 'case keys are integer literals, `enum_name::value`, "strings" or true/false')); continue; }
            if (typeof v === 'string') { problems.push(prob(spec, c.path, v, 'check the enum name and value')); continue; }
            const value = typeof v === 'bigint' ? v : v.lit;
            if (cases.some((x) => x.value === value)) problems.push(prob(spec, c.path, `switch case '${c.label}' repeats value ${String(value)}`, 'each case value may appear once'));
            cases.push({ label: c.label, value, target });
          }
          if (!fallback && f.size !== undefined) fallback = { kind: 'bytes' };
          f.type = { kind: 'switch', on: f.switchOn, cases, ...(fallback ? { fallback } : {}) };
          // With neither `_` nor a size, Kaitai reads nothing for a value that has no case: the field is then
          // absent, as if it had `if: on == k1 or on == k2 ...` (a switch on a boolean with both cases is total)
          const total = cases.length === 2 && cases.some((c) => c.value === true) && cases.some((c) => c.value === false);
          if (!fallback && !total) {
            const on = f.switchOn;
            const hit = f.switchCases.filter((c) => c.key !== '_').map((c): Expr => ({ kind: 'binary', op: '==', left: on, right: c.key as Expr }))
              .reduce<Expr | undefined>((a, b) => (a ? { kind: 'binary', op: 'or', left: a, right: b } : b), undefined) ?? { kind: 'bool', value: false };
            f.cond = f.cond ? { kind: 'binary', op: 'and', left: f.cond, right: hit } : hit;
          }
        } else if (f.type === undefined) {
          f.type = { kind: 'bytes' };
        }
      }
    }
  }
  // Recursive types (a type that contains itself through others) are read and written by recursive
  // functions, under a nesting limit. A cycle made only of unconditional fields could never end: refused.
  // (with all: through pos instances too, which decoding follows as well: DNS's name pointers)
  const edges = (t: WType, all = false): string[] => {
    const out: string[] = [];
    for (const f of all ? [...t.fields, ...t.posFields] : t.fields) {
      if (f.type?.kind === 'struct' && (all || (!f.cond && !f.repeat))) out.push(f.type.ref.type);
      if (f.type?.kind === 'switch' && all) for (const c of [...f.type.cases.map((x) => x.target), ...(f.type.fallback ? [f.type.fallback] : [])]) if (c.kind === 'struct') out.push(c.ref.type);
    }
    return out;
  };
  for (const t of types.values()) {
    const seen = new Set<string>();
    const stack = edges(t, true);
    while (stack.length) {
      const k = stack.pop()!;
      if (k === t.key) { t.recursive = true; break; }
      if (seen.has(k)) continue;
      seen.add(k);
      const n = types.get(k);
      if (n) stack.push(...edges(n, true));
    }
  }
  const state = new Map<string, 1 | 2>();
  const reported = new Set<string>();
  const dfs = (key: string, stack: string[]): void => {
    state.set(key, 1);
    const t = types.get(key);
    if (t) for (const n of edges(t)) {
      if (state.get(n) === 1) {
        const cyc = [...stack.slice(stack.indexOf(n)), n];
        const first = types.get(n)!;
        if (!reported.has(n)) {
          reported.add(n);
          const spec = order.find((s) => s.id === first.specId)!;
          problems.push(prob(spec, first.path, `cyclic types: ${cyc.map((k) => k.split('::')[1]).join(' -> ')}, every step unconditional (a value would never end)`, 'make one step conditional (if, repeat or a switch case), or break the cycle with raw bytes (a size without type)'));
        }
      } else if (state.get(n) === undefined) dfs(n, [...stack, n]);
    }
    state.set(key, 2);
  };
  for (const s of order) for (const t of s.types) if (!state.has(t.key)) dfs(t.key, [t.key]);
  return problems;
}

/** An integer literal or enum ref evaluated at compile time; a string is an error message. */
function constValue(spec: { id: string; importIds: readonly { id: string }[] }, enums: ReadonlyMap<string, EnumDef>, e: Expr): bigint | string | undefined {
  if (e.kind === 'int') return e.value;
  if (e.kind === 'unary' && e.op === '-' && e.operand.kind === 'int') return -e.operand.value;
  if (e.kind === 'enum') {
    const key = resolveEnumName(spec.id, spec.importIds, enums, e.path.join('::'));
    if (!key) return `unknown enum '${e.path.join('::')}' in '${show(e)}'`;
    const v = enums.get(key)!.values.find((x) => x.name === e.value);
    if (!v) return `enum '${e.path.join('::')}' has no value '${e.value}'`;
    return v.value;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Pass 3: expressions

function exprPass(order: WSpec[], byId: Map<string, WSpec>, types: Map<string, WType>, enums: Map<string, EnumDef>): Problem[] {
  const problems: Problem[] = [];
  const parentUse = new Map<string, Set<string>>();
  for (const spec of order) {
    for (const t of spec.types) {
      const refs = new Set<string>();
      const rootRefs = new Set<string>();
      // seq fields may read earlier fields, params and pos instances (read on demand); a pos instance may read any field
      const nSeq = t.fields.length;
      [...t.fields, ...t.posFields].forEach((f, i) => {
        const before = i < nSeq ? [...t.fields.slice(0, i), ...t.posFields.filter((x) => x !== f)] : [...t.fields, ...t.posFields.filter((x) => x !== f)];
        const check = (e: Expr | undefined, where: string, what: string): void => {
          if (!e) return;
          for (const n of namesIn(e)) {
            if (before.some((x) => x.id === n) || t.params.some((p) => p.id === n)) continue;
            const later = t.fields.slice(i).some((x) => x.id === n);
            problems.push(prob(spec, where, `unknown field '${n}' in ${what} of '${f.id}'`,
              later ? `'${n}' comes at or after '${f.id}' in the seq; an expression may only read earlier fields and params` : `fields before '${f.id}': ${before.map((x) => x.id).join(', ') || '(none)'}; params: ${t.params.map((p) => p.id).join(', ') || '(none)'}`));
          }
          for (const n of parentNamesIn(e)) refs.add(n);
          for (const n of rootNamesIn(e)) rootRefs.add(n);
          checkShape(spec, e, where, what, f.id, enums, problems, t, types);
        };
        if (f.size !== undefined && f.size !== 'eos') check(f.size, `${f.specPath}/size`, 'the size');
        if (f.pos) check(f.pos, `${f.specPath}/pos`, 'the pos');
        if (f.cond) check(f.cond, `${f.specPath}/if`, 'the if condition');
        if (f.repeat?.kind === 'expr') check(f.repeat.count, `${f.specPath}/repeat-expr`, 'the repeat-expr');
        if (f.repeat?.kind === 'until') {
          // `_` is the element just read: the field itself, seen as one element
          const elem: WField = { ...f, id: '_' };
          delete elem.repeat;
          checkShape(spec, f.repeat.until, `${f.specPath}/repeat-until`, 'the repeat-until', f.id, enums, problems, { ...t, fields: [...before, elem] }, types);
          for (const n of namesIn(f.repeat.until)) if (!before.some((x) => x.id === n) && !t.params.some((p) => p.id === n)) problems.push(prob(spec, `${f.specPath}/repeat-until`, `unknown field '${n}' in the repeat-until of '${f.id}'`, 'use `_` for the element just read, or an earlier field'));
        }
        if (f.type?.kind === 'switch') {
          check(f.type.on, `${f.specPath}/type/switch-on`, 'the switch-on');
          for (const c of f.type.cases) if (c.target.kind === 'struct') c.target.ref.args.forEach((a) => check(a, `${f.specPath}/type/cases/${c.label}`, 'a case argument'));
        }
        const refsOf = (ref: TypeRef, where: string): void => {
          ref.args.forEach((a) => check(a, where, 'a type argument'));
          const target = types.get(ref.type)!;
          if (target.params.length !== ref.args.length) problems.push(prob(spec, where, `type '${target.id}' takes ${target.params.length} argument(s) (${target.params.map((p) => p.id).join(', ') || 'none'}), '${f.id}' passes ${ref.args.length}`, `write \`${target.id}(${target.params.map((p) => p.id).join(', ')})\``));
          if (!parentUse.has(ref.type)) parentUse.set(ref.type, new Set());
          parentUse.get(ref.type)!.add(t.key);
        };
        if (f.type?.kind === 'struct') refsOf(f.type.ref, `${f.specPath}/type`);
        if (f.type?.kind === 'switch') for (const c of [...f.type.cases.map((x) => x.target), ...(f.type.fallback ? [f.type.fallback] : [])]) if (c.kind === 'struct') refsOf(c.ref, `${f.specPath}/type`);
        if (f.valid) {
          for (const [k, e] of [['eq', f.valid.eq], ['min', f.valid.min], ['max', f.valid.max]] as const) {
            if (!e) continue;
            check(e, `${f.specPath}/valid/${k}`, `valid.${k}`);
            if (f.type?.kind !== 'uint' && !(k === 'eq' && f.type?.kind === 'bytes' && e.kind === 'bytes')) {
              problems.push(prob(spec, `${f.specPath}/valid/${k}`, `bad valid: ${k} on '${f.id}', which is ${f.type?.kind === 'bytes' ? 'bytes' : f.type?.kind ?? 'untyped'}`, f.type?.kind === 'bytes' ? 'on bytes only `eq: [0x.., ...]` is supported' : 'valid applies to integer fields'));
            } else if (f.type.kind === 'uint' && e.kind === 'bytes') {
              problems.push(prob(spec, `${f.specPath}/valid/${k}`, `bad valid: ${k} compares integer field '${f.id}' with a byte array`, 'compare with an integer or enum value'));
            }
          }
          f.valid.anyOf?.forEach((e, j) => {
            check(e, `${f.specPath}/valid/any-of/${j}`, 'valid.any-of');
            if (f.type?.kind !== 'uint') problems.push(prob(spec, `${f.specPath}/valid/any-of`, `bad valid: any-of on non-integer field '${f.id}'`, 'valid applies to integer fields'));
          });
          if (f.valid.inEnum && !(f.type?.kind === 'uint' && f.type.enumKey)) problems.push(prob(spec, `${f.specPath}/valid/in-enum`, `bad valid: in-enum on '${f.id}', which has no enum`, 'add `enum: enum_name` to the field'));
        }
        if (f.type?.kind === 'uint' && f.type.width === 8 && f.type.enumKey) problems.push(prob(spec, `${f.specPath}/enum`, `enum on u8 field '${f.id}' is not supported`, 'enums apply to u1, u2, b24, u4'));
        if (f.type?.kind === 'bytes' && f.size === undefined) { /* reported in structure */ }
        if (f.repeat && f.type?.kind === 'contents') problems.push(prob(spec, `${f.specPath}/repeat`, 'repeat on contents is not supported', 'write the whole magic in one contents list'));
      });
      // value instances are computed after the whole seq: they may read any field
      for (const inst of t.instances) {
        for (const n of namesIn(inst.expr)) {
          if (t.fields.some((x) => x.id === n) || t.posFields.some((x) => x.id === n) || t.params.some((p) => p.id === n)) continue;
          problems.push(prob(spec, `${inst.specPath}/value`, `unknown name '${n}' in instance '${inst.id}'`, `fields: ${t.fields.map((x) => x.id).join(', ') || '(none)'}; params: ${t.params.map((p) => p.id).join(', ') || '(none)'}`));
        }
        for (const n of parentNamesIn(inst.expr)) refs.add(n);
        for (const n of rootNamesIn(inst.expr)) rootRefs.add(n);
        checkShape(spec, inst.expr, `${inst.specPath}/value`, 'the value', inst.id, enums, problems, t, types);
        if (inst.cond) {
          for (const n of namesIn(inst.cond)) if (!t.fields.some((x) => x.id === n) && !t.posFields.some((x) => x.id === n) && !t.params.some((p) => p.id === n)) problems.push(prob(spec, `${inst.specPath}/if`, `unknown name '${n}' in the if of instance '${inst.id}'`, 'use fields of this type'));
          checkShape(spec, inst.cond, `${inst.specPath}/if`, 'the if', inst.id, enums, problems, t, types);
        }
      }
      t.parentRefs = [...refs].sort();
      t.ownRootRefs = [...rootRefs].sort();
    }
  }
  problems.push(...rootClosure(order, types, parentUse));
  // `_parent.x`: every user of the type must have a field or param x, of the same shape in all of them
  for (const spec of order) for (const t of spec.types) {
    if (t.parentRefs.length === 0) continue;
    const users = [...(parentUse.get(t.key) ?? [])].sort();
    if (users.length > 0) t.parentType = users[0];
    for (const name of t.parentRefs) {
      let shape: string | undefined;
      for (const u of users) {
        const ut = types.get(u)!;
        const got = refShape(ut, name);
        if (got === undefined) {
          problems.push(prob(spec, t.path, `'_parent.${name}' in type '${t.id}': its parent '${ut.id}' has no field or param '${name}'`, `give '${ut.id}' a field '${name}' (value instances of the parent are not passed down), or pass the value as a param`));
        } else if (shape !== undefined && got !== shape) {
          problems.push(prob(spec, t.path, `'_parent.${name}' in type '${t.id}': its parents disagree on what '${name}' is (${users.map((x) => types.get(x)!.id).join(', ')})`, 'give the field the same type in every parent, or pass the value as a param'));
        } else shape = got;
      }
    }
  }
  // parse instances without pos (read where the seq ends), and instances reading another field's stream
  for (const spec of order) for (const t of spec.types) {
    for (const pf of t.posFields) {
      t.fields.forEach((f, i) => {
        const exprs = [f.size, f.cond, f.repeat?.kind === 'expr' ? f.repeat.count : f.repeat?.kind === 'until' ? f.repeat.until : undefined, f.type?.kind === 'switch' ? f.type.on : undefined].filter((x): x is Expr => x !== undefined && x !== 'eos');
        if (!exprs.some((e) => namesIn(e).has(pf.id))) return;
        if (pf.atEnd) problems.push(prob(spec, `${f.specPath}`, `field '${f.id}' reads instance '${pf.id}', a parse instance without pos, during the seq`, 'Kaitai reads such an instance where the stream is when first used; give it a pos'));
        else if (pf.io === 'field' && t.fields.findIndex((x) => x.id === pf.ioField) >= i) problems.push(prob(spec, `${f.specPath}`, `field '${f.id}' reads instance '${pf.id}' before '${pf.ioField}', whose stream it reads`, `move '${f.id}' after '${pf.ioField}'`));
      });
      if (!pf.atEnd) continue;
      // Kaitai reads it where the type's stream is when first accessed: after parsing, where the seq ended, but only
      // when the type has a stream of its own (a sized field); in a shared stream, where later fields left it
      for (const u of parentUse.get(t.key) ?? []) {
        const ut = types.get(u)!;
        for (const f of [...ut.fields, ...ut.posFields]) {
          const targets = f.type?.kind === 'struct' ? [f.type.ref.type] : f.type?.kind === 'switch' ? [...f.type.cases.map((c) => c.target), ...(f.type.fallback ? [f.type.fallback] : [])].flatMap((c) => (c.kind === 'struct' ? [c.ref.type] : [])) : [];
          if (targets.includes(t.key) && f.size === undefined) problems.push(prob(spec, pf.specPath, `instance '${pf.id}' has no pos, and '${ut.id}.${f.id}' reads '${t.id}' without a size`, `Kaitai reads a parse instance without pos where the stream is when first accessed, which protosmith matches (the end of '${t.id}') only when '${t.id}' is read as a sized field; give the field '${ut.id}.${f.id}' a size, or the instance a pos`));
        }
      }
    }
  }
  // `_parent.a.b...` and `_root.a.b...`: each step past the first names a field (or instance) of the struct before it
  for (const c of chains) {
    const starts = c.base === '_root'
      ? [c.spec.root ? types.get(c.spec.root) : undefined].filter((x): x is WType => x !== undefined)
      : [...(parentUse.get(c.type.key) ?? [])].map((k) => types.get(k)!);
    for (const start of starts) {
      const f0 = start.fields.find((x) => x.id === c.path[0]);
      if (!f0) {
        // a param is an integer: only a method may follow it (no field: reported above)
        if (start.params.some((x) => x.id === c.path[0]) && !(c.path.length === 2 && CHAIN_METHODS.has(c.path[1]!))) problems.push(prob(c.spec, c.where, `'${c.base}.${c.path[0]}' is a param of '${start.id}', not a struct (in ${c.what} of '${c.field}')`, 'members apply to struct fields'));
        continue;
      }
      let cur: WField = f0;
      for (let i = 1; i < c.path.length; i++) {
        const n = c.path[i]!;
        const st = !cur.repeat && cur.type?.kind === 'struct' ? types.get(cur.type.ref.type) : undefined;
        if (!st) {
          const misfit = CHAIN_METHODS.has(n) && i === c.path.length - 1 ? methodMisfit(n, cur) : undefined;
          if (misfit) problems.push(prob(c.spec, c.where, `'.${n}' does not apply here: ${misfit} (in ${c.what} of '${c.field}')`, METHOD_HINT));
          else if (!CHAIN_METHODS.has(n) || i !== c.path.length - 1) problems.push(prob(c.spec, c.where, `'${c.base}.${c.path.slice(0, i).join('.')}' is not a struct (in ${c.what} of '${c.field}'), so '.${n}' does not apply`, 'members apply to struct fields; .length/.size/.to_i to their values'));
          break;
        }
        const next = st.fields.find((x) => x.id === n && x.type?.kind !== 'contents') ?? st.posFields.find((x) => x.id === n);
        if (next) { memberRefs.add(`${st.key}.${n}`); cur = next; continue; }
        if (st.instances.some((x) => x.id === n) && i === c.path.length - 1) break;
        if (CHAIN_METHODS.has(n) && i === c.path.length - 1) break;
        problems.push(prob(c.spec, c.where, `type '${st.id}' has no field or instance '${n}' (in ${c.what} of '${c.field}', via ${c.base}.${c.path.slice(0, i).join('.')})`, `fields of ${st.id}: ${st.fields.map((y) => y.id).join(', ')}`));
        break;
      }
    }
  }
  chains.length = 0;
  return problems;
}

/**
 * `_root.x` reads field x of the spec's root type (meta.id), as in Kaitai. Every type that reads it, or
 * reads a type that does, takes the values as a `$root` argument; the root type builds it from its own
 * fields, which must be read before the first field that needs them. Such types may only be used from
 * their own spec (another spec's root could not supply the values).
 */
function rootClosure(order: WSpec[], types: Map<string, WType>, users: Map<string, Set<string>>): Problem[] {
  const problems: Problem[] = [];
  const childrenOf = (t: WType): string[] => {
    const out: string[] = [];
    for (const f of [...t.fields, ...t.posFields]) {
      if (f.type?.kind === 'struct') out.push(f.type.ref.type);
      if (f.type?.kind === 'switch') for (const c of [...f.type.cases.map((x) => x.target), ...(f.type.fallback ? [f.type.fallback] : [])]) if (c.kind === 'struct') out.push(c.ref.type);
    }
    return out;
  };
  for (const spec of order) {
    const names = new Set<string>();
    for (const t of spec.types) for (const n of t.ownRootRefs) names.add(n);
    if (names.size === 0) continue;
    const root = spec.root ? types.get(spec.root) : undefined;
    const list = [...names].sort();
    const firstUser = spec.types.find((t) => t.ownRootRefs.length > 0)!;
    if (!root) {
      problems.push(prob(spec, firstUser.path, `'_root.${list[0]}' in type '${firstUser.id}', but spec '${spec.id}' has no root type (no top-level seq)`, 'pass the value down as a param instead'));
      continue;
    }
    for (const n of list) {
      if (refShape(root, n) === undefined) {
        problems.push(prob(spec, firstUser.path, `'_root.${n}': the root type '${root.id}' has no field or param '${n}'`, `give '${root.id}' a field '${n}' (its value instances are not passed down), or pass the value as a param`));
      }
    }
    // closure: types (other than the root) that read _root or read a type that does
    const needs = new Set<string>();
    let changed = true;
    while (changed) {
      changed = false;
      for (const t of spec.types) {
        if (t === root || needs.has(t.key)) continue;
        if (t.ownRootRefs.length > 0 || childrenOf(t).some((k) => needs.has(k))) { needs.add(t.key); changed = true; }
      }
    }
    for (const key of needs) {
      const t = types.get(key)!;
      t.rootRefs = list;
      for (const u of users.get(key) ?? []) {
        const ut = types.get(u)!;
        if (ut.specId !== spec.id) problems.push(prob(spec, t.path, `type '${t.id}' reads _root (of spec '${spec.id}') but is used from spec '${ut.specId}' (type '${ut.id}')`, 'pass the value down as a param instead of reading _root'));
      }
    }
    // in the root type, the names must be read before the first field whose type needs them
    const firstNeeding = root.fields.findIndex((f) => childrenOf({ ...root, fields: [f], posFields: [] }).some((k) => needs.has(k)));
    if (firstNeeding >= 0) {
      for (const n of list) {
        const at = root.fields.findIndex((f) => f.id === n);
        if (at >= firstNeeding) problems.push(prob(spec, root.fields[firstNeeding]!.specPath, `field '${root.fields[firstNeeding]!.id}' needs '_root.${n}', which is read after it`, `move '${n}' before '${root.fields[firstNeeding]!.id}' in the seq`));
      }
    }
  }
  return problems;
}

/** The field (or pos instance) an expression names: `x`, `a.b`, `a[i].b` with struct fields a of t. */
function fieldOf(e: Expr, t: WType, types: Map<string, WType>): WField | undefined {
  if (e.kind === 'name') return t.fields.find((x) => x.id === e.name) ?? t.posFields.find((x) => x.id === e.name);
  if (e.kind === 'member') {
    const o = structOf(e.object, t, types);
    return o?.fields.find((x) => x.id === e.name) ?? o?.posFields.find((x) => x.id === e.name);
  }
  return undefined;
}

/** The struct type an expression denotes (a struct field of t, an element of a repeated one, a field of such a struct), if any. */
function structOf(e: Expr, t: WType, types: Map<string, WType>): WType | undefined {
  if (e.kind === 'cast') {
    const key = castTypeKey(t.specId, specImports.get(t.specId) ?? [], (k) => types.has(k), e.type);
    return key === undefined ? undefined : types.get(key);
  }
  if (e.kind === 'index') {
    const f = fieldOf(e.object, t, types);
    return f && f.repeat && f.type?.kind === 'struct' ? types.get(f.type.ref.type) : undefined;
  }
  const f = fieldOf(e, t, types);
  return f && !f.repeat && f.type?.kind === 'struct' ? types.get(f.type.ref.type) : undefined;
}

/** The shape of field or param `name` of t (equal shapes read the same way), or undefined when t has none. */
function refShape(t: WType, name: string): string | undefined {
  const p = t.params.find((x) => x.id === name);
  if (p) return `param ${p.width}`;
  const f = t.fields.find((x) => x.id === name);
  if (!f || f.type === undefined || f.type.kind === 'contents') return undefined;
  // (an integer's enum does not matter: `$parent.x` is typed as a plain number then)
  return JSON.stringify({ type: f.type, repeat: f.repeat?.kind, cond: f.cond !== undefined }, (k, v: unknown) => (k === 'enumKey' ? undefined : typeof v === 'bigint' ? v.toString() : v));
}

/** Names that end a `_parent.`/`_root.` chain as methods of the value rather than fields. */
const CHAIN_METHODS = new Set(['length', 'size', 'to_i', 'to_s', 'first', 'last', 'min', 'max', 'reverse']);
/** Methods checked against the field they apply to (`.length`, `.size`, `.to_i` apply to anything that has them). */
const NEW_METHODS = new Set(['to_s', 'first', 'last', 'min', 'max', 'reverse']);
const METHOD_HINT = '.first/.last apply to arrays, .min/.max to arrays of integers, .to_s to integers, .reverse to strings';

/** Why method m does not apply to field f's value, or undefined when it does. */
function methodMisfit(m: string, f: WField): string | undefined {
  const k = f.type?.kind;
  const int = (k === 'uint' && !(f.type as { enumKey?: string }).enumKey) || (k === 'bits' && (f.type as { width: number }).width > 1);
  const what = f.repeat ? 'an array' : k === 'bits' && (f.type as { width: number }).width === 1 ? 'a boolean' : k === 'uint' ? 'an integer' : k === 'str' ? 'a string' : k === 'bytes' ? 'bytes' : k ?? 'untyped';
  switch (m) {
    case 'first': case 'last': return f.repeat ? undefined : `'${f.id}' is ${what}, not an array`;
    case 'min': case 'max': return f.repeat && int && !(k === 'uint' && (f.type as { width: number }).width === 8) ? undefined : `'${f.id}' is ${what}, not an array of integers (of at most 53 bits)`;
    case 'to_s': return !f.repeat && (k === 'uint' || k === 'bits') ? undefined : `'${f.id}' is ${what}, not an integer`;
    case 'reverse': return !f.repeat && k === 'str' ? undefined : `'${f.id}' is ${what}, not a string`;
    default: return undefined;
  }
}

/** `_parent.a.b...` / `_root.a.b...` found by checkShape; resolved once every type's parents are known. */
const chains: { spec: WSpec; type: WType; base: '_parent' | '_root'; path: string[]; where: string; what: string; field: string }[] = [];

/** `_parent.a.b.c` → base `_parent`, path [a, b, c]; undefined for anything else. */
function chainOf(e: Expr): { base: '_parent' | '_root'; path: string[] } | undefined {
  const path: string[] = [];
  let x = e;
  while (x.kind === 'member') { path.unshift(x.name); x = x.object; }
  if (x.kind !== 'name' || (x.name !== '_parent' && x.name !== '_root') || path.length === 0) return undefined;
  return { base: x.name, path };
}

/** Each spec's imports (by meta.id), for resolving the types casts name. */
const specImports = new Map<string, readonly { id: string }[]>();

/** Fields read from outside their type as `struct_field.x` (so never derived: the value must carry them). */
const memberRefs = new Set<string>();

function checkShape(spec: WSpec, e: Expr, where: string, what: string, field: string, enums: Map<string, EnumDef>, problems: Problem[], t?: WType, types?: Map<string, WType>): void {
  const walk = (x: Expr): void => {
    switch (x.kind) {
      case 'enum': {
        const v = constValue(spec, enums, x);
        if (typeof v === 'string') problems.push(prob(spec, where, `${v} (in ${what} of '${field}')`, 'check the enum name and value'));
        return;
      }
      case 'name':
        if (x.name === '_parent' || x.name === '_io') problems.push(prob(spec, where, `'${x.name}' must be followed by a member (in ${what} of '${field}')`, x.name === '_io' ? 'use _io.size, _io.pos or _io.eof' : 'write _parent.field_name'));
        else if (x.name === '_root') problems.push(prob(spec, where, `'_root' must be followed by a member (in ${what} of '${field}')`, 'write _root.field_name'));
        else if (x.name === '_' && t?.fields.some((y) => y.id === '_')) return;
        else if (x.name === '_index') {
          // the element's index: in what is evaluated per element of a repeated field
          const repeated = what === 'the repeat-until' || (t?.fields.find((y) => y.id === field) ?? t?.posFields.find((y) => y.id === field))?.repeat !== undefined;
          if (!repeated || ['the if condition', 'the repeat-expr', 'the pos'].includes(what)) problems.push(prob(spec, where, `'_index' is the index of an element of a repeated field (in ${what} of '${field}')`, 'use _index in the size, type arguments, switch-on, valid or repeat-until of a repeated field'));
        }
        else if (x.name.startsWith('_')) problems.push(prob(spec, where, `'${x.name}' is not supported (in ${what} of '${field}')`, 'supported: _parent.x, _root.x, _io.size, _io.pos, _io.eof'));
        return;
      case 'member':
        if (x.object.kind === 'name' && x.object.name === '_io') {
          if (!['size', 'pos', 'eof'].includes(x.name)) problems.push(prob(spec, where, `'_io.${x.name}' is not supported (in ${what} of '${field}')`, 'supported: _io.size, _io.pos, _io.eof'));
          return;
        }
        if (x.object.kind === 'name' && x.object.name.startsWith('_') && x.object.name !== '_') {
          if (x.object.name !== '_parent' && x.object.name !== '_root') walk(x.object);
          return;
        }
        {
          const ch = chainOf(x);
          if (ch && t) { chains.push({ spec, type: t, base: ch.base, path: ch.path, where, what, field }); return; }
        }
        {
          const st = t && types ? structOf(x.object, t, types) : undefined;
          if (st) {
            if (st.fields.some((y) => y.id === x.name && y.type?.kind !== 'contents') || st.instances.some((y) => y.id === x.name) || st.posFields.some((y) => y.id === x.name)) memberRefs.add(`${st.key}.${x.name}`);
            else problems.push(prob(spec, where, `type '${st.id}' has no field or instance '${x.name}' (in ${what} of '${field}')`, `fields of ${st.id}: ${st.fields.map((y) => y.id).join(', ')}`));
            walk(x.object);
            return;
          }
        }
        if (x.name === 'to_i') { walk(x.object); return; }
        if (NEW_METHODS.has(x.name)) {
          // typed by the field they apply to: resolvable fields only
          const f = t && types ? fieldOf(x.object, t, types) : undefined;
          const bad = f ? methodMisfit(x.name, f) : `'${show(x.object)}' is not a field`;
          if (bad) problems.push(prob(spec, where, `'.${x.name}' does not apply here: ${bad} (in ${what} of '${field}')`, METHOD_HINT));
          walk(x.object);
          return;
        }
        if (x.name !== 'length' && x.name !== 'size') problems.push(prob(spec, where, `member '.${x.name}' is not supported (in ${what} of '${field}')`, 'supported members: fields and instances of a struct field (a.b, a[i].b, _parent.a.b, _root.a.b), .length/.size, .to_i, .to_s, .first/.last/.min/.max of arrays, .reverse of strings, _io.size/pos/eof'));
        walk(x.object);
        return;
      case 'index': walk(x.object); walk(x.index); return;
      case 'sizeof': {
        if (BUILTIN_SIZES[x.type] !== undefined) return;
        const key = t && types ? castTypeKey(t.specId, specImports.get(t.specId) ?? [], (k) => types.has(k), x.type) : undefined;
        if (key === undefined) problems.push(prob(spec, where, `unknown type '${x.type}' in 'sizeof<${x.type}>' (in ${what} of '${field}')`, 'sizeof<...> names a built-in number type or a user type'));
        else if (fixedSizeOf(key, (k) => types!.get(k)) === undefined) problems.push(prob(spec, where, `'sizeof<${x.type}>': '${x.type}' has no fixed size (in ${what} of '${field}')`, 'sizeof applies to types whose fields all have fixed sizes (no if, switch, size-eos, terminator or open repeat)'));
        return;
      }
      case 'cast': {
        walk(x.object);
        if (CAST_NUMBERS.has(x.type)) {
          const f = t && types ? fieldOf(x.object, t, types) : undefined;
          if (f && (f.repeat || !(f.type?.kind === 'uint' || f.type?.kind === 'bits'))) problems.push(prob(spec, where, `'${show(x)}': '${f.id}' is not an integer (in ${what} of '${field}')`, 'as<u4> and the like apply to integers'));
          return;
        }
        // a user type: the field must be that type, or a switch with a case that reads it
        const key = t && types ? castTypeKey(t.specId, specImports.get(t.specId) ?? [], (k) => types.has(k), x.type) : undefined;
        const f = t && types ? fieldOf(x.object, t, types) : undefined;
        const reads = (c: CaseTarget): boolean => c.kind === 'struct' && c.ref.type === key;
        const ok = key !== undefined && f !== undefined && !f.repeat && ((f.type?.kind === 'struct' && f.type.ref.type === key) || (f.type?.kind === 'switch' && [...f.type.cases.map((c) => c.target), ...(f.type.fallback ? [f.type.fallback] : [])].some(reads)));
        if (!ok) problems.push(prob(spec, where, key === undefined ? `unknown type '${x.type}' in '${show(x)}' (in ${what} of '${field}')` : `'${show(x)}': ${f ? `'${f.id}' never reads a '${x.type}'` : `'${show(x.object)}' is not a field of this type or of a struct field`} (in ${what} of '${field}')`, `cast a switch field to one of its case types, or an integer to ${[...CAST_NUMBERS].slice(0, 3).join('/')}...`));
        return;
      }
      case 'unary': walk(x.operand); return;
      case 'binary': walk(x.left); walk(x.right); return;
      case 'ternary': walk(x.cond); walk(x.then); walk(x.else); return;
      default: return;
    }
  };
  walk(e);
}

// ---------------------------------------------------------------------------------------------
// Pass 4: lengths

function lengthPass(order: WSpec[], types: Map<string, WType>): Problem[] {
  const problems: Problem[] = [];
  // `_parent.x` (in a field or a value instance of the child) is passed down when the child is read: x must be
  // read before it (Kaitai's lazy instances may read later fields; ours are computed with the child)
  for (const spec of order) for (const u of spec.types) {
    u.fields.forEach((f, i) => {
      const targets = f.type?.kind === 'struct' ? [f.type.ref.type] : f.type?.kind === 'switch' ? [...f.type.cases.map((c) => c.target), ...(f.type.fallback ? [f.type.fallback] : [])].flatMap((c) => (c.kind === 'struct' ? [c.ref.type] : [])) : [];
      for (const key of new Set(targets)) {
        const child = types.get(key);
        for (const n of child?.parentRefs ?? []) {
          const j = u.fields.findIndex((x) => x.id === n);
          if (j >= i) problems.push(prob(spec, f.specPath, `field '${f.id}' reads type '${child!.id}', which needs '_parent.${n}', read after it (or by it)`, `move '${n}' before '${f.id}' in the seq, or pass the value as a param`));
        }
      }
    });
  }
  const viaParent = new Set<string>();
  for (const t of types.values()) for (const n of [...t.parentRefs, ...t.rootRefs, ...t.ownRootRefs]) viaParent.add(n);
  for (const spec of order) for (const t of spec.types) {
    // switch discriminants
    const switchOns = new Map<string, number>();
    for (const f of t.fields) if (f.type?.kind === 'switch' && f.type.on.kind === 'name') switchOns.set(f.type.on.name, (switchOns.get(f.type.on.name) ?? 0) + 1);
    for (const f of t.fields) {
      if (f.type?.kind !== 'switch' || f.type.on.kind !== 'name') continue;
      const name = f.type.on.name;
      const d = t.fields.find((x) => x.id === name);
      // (a switch with no `_` and no size is absent for values without a case: no union, an optional field)
      if (d && d.type?.kind === 'uint' && d.type.width !== 8 && !d.repeat && !d.cond && !f.repeat && f.type.fallback && switchOns.get(name) === 1) {
        f.type = { ...f.type, discriminant: name };
      }
    }
    t.fields.forEach((l, i) => {
      // (the Writer back-patches unsigned big-endian lengths only; any other length stays a visible field)
      if (l.type?.kind !== 'uint' || l.type.width === 8 || l.type.enumKey || l.type.signed || l.type.le || l.repeat || viaParent.has(l.id) || memberRefs.has(`${t.key}.${l.id}`)) return;
      if (switchOns.has(l.id)) return;
      const uses: { field: WField; how: 'size' | 'count' | 'other' }[] = [];
      t.fields.forEach((f, j) => {
        if (j === i) return;
        const exprs: Expr[] = [];
        if (f.cond) exprs.push(f.cond);
        if (f.type?.kind === 'switch') { exprs.push(f.type.on); for (const c of f.type.cases) if (c.target.kind === 'struct') exprs.push(...c.target.ref.args); }
        if (f.type?.kind === 'struct') exprs.push(...f.type.ref.args);
        if (f.valid) exprs.push(...[f.valid.eq, f.valid.min, f.valid.max, ...(f.valid.anyOf ?? [])].filter((x): x is Expr => x !== undefined));
        for (const e of exprs) if (namesIn(e).has(l.id)) uses.push({ field: f, how: 'other' });
        if (f.size !== undefined && f.size !== 'eos' && namesIn(f.size).has(l.id)) uses.push({ field: f, how: f.size.kind === 'name' && !f.repeat ? 'size' : 'other' });
        if (f.repeat?.kind === 'expr' && namesIn(f.repeat.count).has(l.id)) uses.push({ field: f, how: f.repeat.count.kind === 'name' ? 'count' : 'other' });
      });
      if (uses.length !== 1) return;
      const u = uses[0]!;
      if (u.how === 'other') return;
      const sameCond = (l.cond === undefined && u.field.cond === undefined) || (l.cond !== undefined && u.field.cond !== undefined && show(l.cond) === show(u.field.cond));
      if (!sameCond) return;
      if (l.valid?.anyOf || l.valid?.inEnum) return;
      l.derived = { kind: u.how, target: u.field.id };
      // A bound on a length prefix is a vector length out of range: decode_error (RFC 8446 §6), unless `-alert` says otherwise.
      if (l.valid && !(isObj(l.raw.valid) && l.raw.valid['-alert'] !== undefined)) l.valid = { ...l.valid, alert: 'decode_error' };
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Pass 5: bounds

function boundsPass(order: WSpec[], types: Map<string, WType>, enums: Map<string, EnumDef>): Problem[] {
  const problems: Problem[] = [];
  for (const spec of order) for (const t of spec.types) for (const f of t.fields) {
    if (f.type?.kind !== 'uint' || !f.valid) continue;
    const bits = BigInt(8 * f.type.width);
    const max = f.type.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    const min = f.type.signed ? -(1n << (bits - 1n)) : 0n;
    const vals: [string, Expr | undefined][] = [['eq', f.valid.eq], ['min', f.valid.min], ['max', f.valid.max]];
    const got: Record<string, bigint> = {};
    for (const [k, e] of vals) {
      if (!e) continue;
      const v = constValue(spec, enums, e);
      if (typeof v !== 'bigint') continue; // an expression: checked at run time
      got[k] = v;
      if (v < min || v > max) problems.push(prob(spec, `${f.specPath}/valid/${k}`, `bad valid: ${k} ${v} does not fit ${f.ksyType} field '${f.id}' (${min}..${max})`, `use a value within ${min}..${max}`));
    }
    if (got.min !== undefined && got.max !== undefined && got.min > got.max) problems.push(prob(spec, `${f.specPath}/valid`, `bad valid: min ${got.min} is greater than max ${got.max} on '${f.id}'`, 'swap them, or fix the bound'));
  }
  // minimum wire sizes (a recursive type counts 0 for itself while it is being measured)
  const memo = new Map<string, number>();
  const minOf = (key: string): number => {
    const m = memo.get(key);
    if (m !== undefined) return m;
    memo.set(key, 0);
    const t = types.get(key)!;
    let n = 0;
    for (const f of t.fields) {
      if (f.cond || f.repeat) continue;
      const ty = f.type!;
      if (ty.kind === 'uint' || ty.kind === 'float') n += ty.width;
      else if (ty.kind === 'contents') n += ty.bytes.length;
      else if (f.size !== undefined && f.size !== 'eos') n += f.size.kind === 'int' ? Number(f.size.value) : 0;
      else if (ty.kind === 'struct') n += minOf(ty.ref.type);
      else if (ty.kind === 'switch') {
        const targets = [...ty.cases.map((c) => c.target), ...(ty.fallback ? [ty.fallback] : [])];
        n += targets.length === 0 ? 0 : Math.min(...targets.map((c) => (c.kind === 'struct' ? minOf(c.ref.type) : 0)));
      }
    }
    memo.set(key, n);
    return n;
  };
  for (const t of types.values()) t.minSize = minOf(t.key);
  return problems;
}
