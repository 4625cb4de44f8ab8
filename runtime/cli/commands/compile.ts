// protosmith compile <file.ksy> --out DIR: compiles any .ksy spec (and the specs it imports) to TypeScript
// codecs in DIR, one file per spec. Diagnostics go to stderr as file:line: severity: message [spec path].
// The output imports the runtime as `protosmith/codec` (the package export), so it can live in any project
// that depends on protosmith; `--runtime-import relative` keeps a relative path into this checkout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { compileSpecs, RUNTIME_PACKAGE } from '../../../generator/codec/compile.ts';
import { formatProblem } from '../../../generator/codec/ir.ts';
import { GENERATOR_VERSION } from '../../../generator/generate.ts';

const USAGE = `usage: protosmith compile <file.ksy>... --out DIR [--import-path DIR]... [--runtime-import SPECIFIER]
  --import-path DIR, -I DIR   where absolute imports (/network/ipv4_packet) are looked up (as ksc -I); repeatable
  --runtime-import SPECIFIER  how generated files import the codec runtime: a module specifier written as is
                              (default: protosmith/codec, the package export), or 'relative' for a relative path
                              to this checkout's runtime/codec/index.ts (output that stays inside this checkout)
`;

export async function run(args: string[]): Promise<number> {
  let out: string | undefined;
  let runtimeImport: string | undefined;
  const importPaths: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => args[++i];
    if (a === '--out') out = value();
    else if (a === '--import-path' || a === '-I') { const d = value(); if (d !== undefined) importPaths.push(resolve(d)); else out = undefined; }
    else if (a.startsWith('-I') && a.length > 2) importPaths.push(resolve(a.slice(2)));
    else if (a === '--runtime-import') runtimeImport = value();
    else if (a.startsWith('-')) { process.stderr.write(`protosmith compile: unknown option ${a}\n${USAGE}`); return 2; }
    else files.push(a);
  }
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
    importPaths,
    // 'relative': the default of compileSpecs, a path to the runtime beside the generator
    ...(runtimeImport === 'relative' ? {} : { runtimeImport: runtimeImport ?? RUNTIME_PACKAGE }),
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
