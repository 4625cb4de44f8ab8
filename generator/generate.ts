// Everything `protosmith generate` writes, as a pure function of specs/: each generator part returns
// the files it owns (path relative to the project root, and content). Writing and --check live here,
// once, so no part can forget either.
import { readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync, unlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { planCodecs } from './codec/plan.ts';
import { planMachines } from './machine/plan.ts';

export interface GeneratedFile {
  /** Path relative to the project root, with forward slashes, under generated/. */
  readonly path: string;
  readonly content: string;
}

export const GENERATOR_VERSION = '0.1.0';

export async function planAll(root: string): Promise<GeneratedFile[]> {
  const files = [...(await planCodecs(root)), ...(await planMachines(root))];
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two generator parts both write ${f.path}`);
    seen.add(f.path);
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function listExisting(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p).split('\\').join('/'));
    }
  };
  walk(join(root, 'generated'));
  return out;
}

/** Returns the list of stale paths (written when `check` is false). */
export async function generate(root: string, check: boolean): Promise<{ stale: string[]; written: number }> {
  const files = await planAll(root);
  const wanted = new Set(files.map((f) => f.path));
  const stale: string[] = [];
  for (const f of files) {
    const abs = join(root, f.path);
    const current = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
    if (current !== f.content) {
      stale.push(current === undefined ? `${f.path} (missing)` : `${f.path} (differs)`);
      if (!check) {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, f.content);
      }
    }
  }
  for (const p of listExisting(root)) {
    if (!wanted.has(p) && !p.endsWith('.gitkeep')) {
      stale.push(`${p} (no longer generated)`);
      if (!check) unlinkSync(join(root, p));
    }
  }
  return { stale, written: check ? 0 : stale.length };
}
