// Codecs generated from specs/<protocol>/messages/*.ksy -> generated/<protocol>/messages/*.ts.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { GeneratedFile } from '../generate.ts';
import { GENERATOR_VERSION } from '../generate.ts';
import { compileSpecs, SpecError } from './compile.ts';

/** Every spec under specs/<protocol>/messages/, project-relative, sorted. */
export function findSpecs(root: string): string[] {
  const specsDir = join(root, 'specs');
  if (!existsSync(specsDir)) return [];
  const out: string[] = [];
  for (const proto of readdirSync(specsDir, { withFileTypes: true })) {
    if (!proto.isDirectory()) continue;
    const dir = join(specsDir, proto.name, 'messages');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.ksy')) out.push(`specs/${proto.name}/messages/${f}`);
  }
  return out.sort();
}

export async function planCodecs(root: string): Promise<GeneratedFile[]> {
  const specs = findSpecs(root);
  if (specs.length === 0) return [];
  const relPath = (abs: string): string => relative(root, abs).split(sep).join('/');
  const result = compileSpecs(specs.map((s) => join(root, s)), {
    shown: relPath,
    outPath: (spec) => join(root, relPath(spec.absPath).replace(/^specs\//, 'generated/').replace(/\.ksy$/, '.ts')),
    version: GENERATOR_VERSION,
    // The project's own runtime, so the output depends only on the project tree, wherever it lives.
    runtimeCodec: join(root, 'runtime', 'codec', 'index.ts'),
  });
  if (result.problems.some((p) => p.severity === 'error')) throw new SpecError(result.problems);
  return result.files
    .filter((f) => relPath(f.spec.absPath).startsWith('specs/'))
    .map((f) => ({ path: relPath(f.absPath), content: f.content }));
}
