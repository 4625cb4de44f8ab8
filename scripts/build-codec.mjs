#!/usr/bin/env node
// Builds dist/codec (JavaScript + declarations) from runtime/codec, the runtime that generated codecs
// import as `protosmith/codec` (package.json exports). Run by `npm pack` (prepack) and by the portability
// test; the repository itself runs the TypeScript sources through tsx and needs no build.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'codec');
rmSync(out, { recursive: true, force: true });
const tsc = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsc.cmd' : 'tsc');
const r = spawnSync(tsc, ['-p', join(root, 'tsconfig.codec.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// Declarations keep the sources' `./x.ts` specifiers; a consumer without allowImportingTsExtensions needs `./x.js`.
for (const f of readdirSync(out).filter((n) => n.endsWith('.d.ts'))) {
  const p = join(out, f);
  writeFileSync(p, readFileSync(p, 'utf8').replace(/(from\s+'\.\/[\w-]+)\.ts'/g, "$1.js'"));
}
