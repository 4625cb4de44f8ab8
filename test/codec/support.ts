// Shared by the codec tests: compile fixture specs into a directory and import the result.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileSpecs, type CompileResult } from '../../generator/codec/compile.ts';
import { GENERATOR_VERSION } from '../../generator/generate.ts';
import { ROOT } from './arbitrary.ts';

export { ROOT };
export const FIXTURES = join(ROOT, 'test', 'codec', 'fixtures');

/** Compiles specs (absolute paths) as `protosmith compile` would, naming files relative to the project root. */
export function compileTo(files: readonly string[], outDir: string): CompileResult {
  return compileSpecs(files, {
    shown: (abs) => relative(ROOT, abs).split(sep).join('/'),
    outPath: (spec) => join(outDir, basename(spec.absPath).replace(/\.ksy$/, '.ts')),
    version: GENERATOR_VERSION,
  });
}

/** Compiles a fixture into a fresh temporary directory and imports the module generated for it. */
export async function importFixture(name: string): Promise<Record<string, unknown>> {
  // inside the project (ignored by git), so the generated modules load as ESM like generated/ does
  mkdirSync(join(ROOT, 'test', 'codec', '.out'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'test', 'codec', '.out', `${name}-`));
  const res = compileTo([join(FIXTURES, `${name}.ksy`)], dir);
  if (res.files.length === 0) throw new Error(`fixture ${name} did not compile: ${JSON.stringify(res.problems)}`);
  for (const f of res.files) writeFileSync(f.absPath, f.content);
  return (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as Record<string, unknown>;
}
