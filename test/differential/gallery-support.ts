// What the gallery differential tests (gallery.test.ts, gallery-serialization.test.ts) share: compiling the
// adapted specs with protosmith into the project, and the field-by-field comparison with Kaitai's objects.
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileSpecs } from '../../generator/codec/compile.ts';
type CompileResult = ReturnType<typeof compileSpecs>;
import { GENERATOR_VERSION } from '../../generator/generate.ts';
import type { Program } from '../../generator/codec/ir.ts';
import { projectRoot, type KaitaiModules, type KaitaiObject } from './kaitai.ts';
import { DecodeError, EncodeError } from '../../runtime/codec/index.ts';

export const GALLERY = join(projectRoot, 'test', 'differential', 'gallery');

export type Decode = (bytes: Uint8Array) => Record<string, unknown>;
export type Encode = (value: unknown) => Uint8Array;

/**
 * Compiles `paths` (absolute imports under GALLERY, as ksc's -I) into a fresh directory under test/codec/.out
 * (ignored by git, so the modules load like generated/ does) and imports every spec's module.
 */
export async function compileGallery(paths: readonly string[], outPrefix: string): Promise<{ program: Program; problems: CompileResult['problems']; modules: Map<string, Record<string, unknown>> }> {
  mkdirSync(join(projectRoot, 'test', 'codec', '.out'), { recursive: true });
  const outDir = mkdtempSync(join(projectRoot, 'test', 'codec', '.out', outPrefix));
  const compiled = compileSpecs(paths, {
    shown: (abs) => abs.slice(projectRoot.length + 1),
    outPath: (spec) => join(outDir, `${spec.id}.ts`),
    version: GENERATOR_VERSION,
    importPaths: [GALLERY],
  });
  const program = compiled.program!;
  for (const f of compiled.files) writeFileSync(f.absPath, f.content);
  const modules = new Map<string, Record<string, unknown>>();
  for (const spec of program.specs) {
    modules.set(spec.id, (await import(pathToFileURL(join(outDir, `${spec.id}.ts`)).href)) as Record<string, unknown>);
  }
  return { program, problems: compiled.problems, modules };
}

export const camel = (id: string): string => id.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/**
 * Fields absent from our values but present in Kaitai's (camelCased): lengths our encoder derives, `contents`
 * magic, and with `params` the type parameters (Kaitai keeps them on the object; ours are given by the parent).
 */
export function derivedFields(program: Program, options: { params: boolean }): Set<string> {
  return new Set([...program.types.values()].flatMap((t) => [
    ...t.fields.filter((f) => f.derived || f.type.kind === 'contents').map((f) => camel(f.id)),
    ...(options.params ? t.params.map((p) => camel(p.id)) : []),
  ]));
}

export interface AgreeOptions {
  /** Kaitai field names allowed without a counterpart in ours (derivedFields). */
  readonly derived: ReadonlySet<string>;
  /** What Kaitai's runtime gives for a 64-bit integer we read as this bigint (default: Number(x)). */
  readonly bigint?: (x: bigint) => number;
  /** NaN in ours agrees with NaN in Kaitai's (both from the same parseInt). */
  readonly nanEqual?: boolean;
}

/**
 * agree(ours, kaitai, path): every field and instance we expose equals Kaitai's; every Kaitai field is ours or
 * one we derive. Returns the number of leaves compared.
 */
export function makeAgree(options: AgreeOptions): (o: unknown, k: unknown, path: string) => number {
  const toNumber = options.bigint ?? ((x: bigint) => Number(x));
  const agree = (o: unknown, k: unknown, path: string): number => {
    if (o instanceof Uint8Array) {
      assert.ok(k instanceof Uint8Array, `${path}: Kaitai has ${typeof k}, ours bytes`);
      assert.is(hex(o), hex(k as Uint8Array), path);
      return 1;
    }
    if (typeof o === 'bigint') {
      assert.is(toNumber(o), k, `${path} (${o} in ours)`);
      return 1;
    }
    if (typeof o === 'number' || typeof o === 'boolean' || typeof o === 'string') {
      if (!(options.nanEqual && typeof o === 'number' && Number.isNaN(o) && Number.isNaN(k))) assert.is(o, k, path);
      return 1;
    }
    if (o === undefined) {
      assert.ok(k === undefined || k === null, `${path}: absent in ours, ${String(k)} in Kaitai`);
      return 1;
    }
    if (Array.isArray(o)) {
      assert.ok(Array.isArray(k), `${path}: Kaitai has no list`);
      assert.is(o.length, (k as unknown[]).length, `${path}.length`);
      return o.reduce<number>((n, x, i) => n + agree(x, (k as unknown[])[i], `${path}[${i}]`), 0);
    }
    assert.ok(typeof o === 'object' && o !== null && typeof k === 'object' && k !== null, `${path}: Kaitai has ${String(k)}`);
    const t = k as KaitaiObject;
    let n = 0;
    const seen = new Set<string>();
    for (const [key, v] of Object.entries(o as object)) {
      seen.add(camel(key));
      n += agree(v, t[camel(key)], `${path}.${key}`); // value instances are getters on Kaitai's objects
    }
    for (const key of Object.keys(t)) {
      if (key.startsWith('_') || seen.has(key) || t[key] === undefined || t[key] === null) continue;
      assert.ok(options.derived.has(key), `${path}: Kaitai field ${key} has no counterpart in ours`);
    }
    return n;
  };
  return agree;
}

/** A sample with one byte changed, or cut short. */
const mutate = (bytes: Uint8Array): fc.Arbitrary<Uint8Array> => fc.oneof(
  fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }).map(({ at, value }) => { const c = Uint8Array.from(bytes); c[at % c.length] = value; return c; }),
  fc.nat().map((n) => bytes.subarray(0, n % (bytes.length + 1))),
);

/**
 * The mutation property both gallery tests run per spec: each sample with one byte changed or cut short either
 * fails to decode with a DecodeError, or decodes to the fields Kaitai reads from the same bytes and encodes back
 * to them. With decodeOnly, an encoder that refuses as decode_only (the spec cannot be written) is accepted.
 */
export function assertMutatedSamples(options: {
  id: string; seeds: readonly Uint8Array[]; codec: { decode: Decode; encode: Encode }; kaitai: KaitaiModules;
  agree: (o: unknown, k: unknown, path: string) => number; decodeOnly?: boolean; numRuns: number;
}): void {
  const { id, codec, kaitai, agree } = options;
  fc.assert(fc.property(fc.constantFrom(...options.seeds).chain(mutate), (bytes) => {
    let o: Record<string, unknown>;
    try { o = codec.decode(bytes); } catch (e) { if (e instanceof DecodeError) return; throw e; }
    const cls = kaitai.classes[id]!;
    agree(o, new cls(kaitai.stream(bytes), null, null), id);
    try {
      assert.is(hex(codec.encode(o)), hex(bytes));
    } catch (e) {
      if (!(options.decodeOnly && e instanceof EncodeError && e.code === 'decode_only')) throw e;
    }
  }), { numRuns: options.numRuns });
}
