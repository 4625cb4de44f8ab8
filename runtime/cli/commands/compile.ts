// protosmith compile <file.ksy> --out DIR: compiles any .ksy spec (and the specs it imports) to TypeScript
// codecs in DIR, one file per spec. Diagnostics go to stderr as file:line: severity: message [spec path].
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { compileSpecs } from '../../../generator/codec/compile.ts';
import { formatProblem } from '../../../generator/codec/ir.ts';
import { GENERATOR_VERSION } from '../../../generator/generate.ts';

const USAGE = 'usage: protosmith compile <file.ksy> --out DIR\n';

export async function run(args: string[]): Promise<number> {
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  const files = args.filter((a, i) => a !== '--out' && i !== outAt + 1 && !a.startsWith('--'));
  if (out === undefined || files.length === 0 || args.includes('--help')) {
    process.stderr.write(USAGE);
    return 2;
  }
  const outDir = resolve(out);
  const cwd = process.cwd();
  const result = compileSpecs(files.map((f) => resolve(f)), {
    shown: (abs) => relative(cwd, abs).split(sep).join('/'),
    outPath: (spec) => join(outDir, basename(spec.absPath).replace(/\.ksy$/, '.ts')),
    version: GENERATOR_VERSION,
  });
  for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
  if (result.problems.some((p) => p.severity === 'error')) {
    process.stderr.write(`protosmith compile: ${result.problems.filter((p) => p.severity === 'error').length} error(s); nothing written\n`);
    return 1;
  }
  mkdirSync(outDir, { recursive: true });
  for (const f of result.files) {
    writeFileSync(f.absPath, f.content);
    process.stdout.write(`wrote ${relative(cwd, f.absPath).split(sep).join('/')}\n`);
  }
  return 0;
}
