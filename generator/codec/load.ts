// Loads a .ksy file keeping file:line for every node: the plain data (what Kaitai reads) plus a map
// from spec path (`/types/foo/seq/2/size`) to its 1-based line.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Node } from 'yaml';
import type { Problem } from './ir.ts';

export interface Loaded {
  readonly data: unknown;
  /** Line of the node at this spec path; falls back to the nearest ancestor that has one. */
  line(specPath: string): number;
  /** Line of the key of the entry at this path (for maps), else the node's line. */
  readonly problems: readonly Problem[];
}

export function loadKsy(absPath: string, shownPath: string, text?: string): Loaded {
  const src = text ?? readFileSync(absPath, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(src, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, intAsBigInt: false });
  const lines = new Map<string, number>();
  const lineAt = (offset: number): number => lc.linePos(offset).line;
  const walk = (node: Node | null | undefined, path: string): void => {
    if (node === null || node === undefined) return;
    if (node.range) lines.set(path, lineAt(node.range[0]));
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
        const p = `${path === '/' ? '' : path}/${key}`;
        if (isScalar(item.key) && item.key.range) lines.set(p, lineAt(item.key.range[0]));
        walk(item.value as Node | null, p);
        if (isScalar(item.key) && item.key.range) lines.set(p, lineAt(item.key.range[0]));
      }
    } else if (isSeq(node)) {
      node.items.forEach((it, i) => walk(it as Node, `${path === '/' ? '' : path}/${i}`));
    }
  };
  walk(doc.contents as Node | null, '/');
  const problems: Problem[] = doc.errors.map((e) => ({
    severity: 'error' as const,
    file: shownPath,
    line: e.linePos?.[0]?.line ?? 1,
    specPath: '/',
    message: `YAML syntax: ${e.message.split('\n')[0]}`,
    hint: 'fix the YAML syntax first',
  }));
  const data = problems.length ? null : doc.toJS({ maxAliasCount: 100 });
  return {
    data,
    problems,
    line(specPath: string): number {
      let p = specPath;
      for (;;) {
        const l = lines.get(p);
        if (l !== undefined) return l;
        if (p === '/' || p === '') return 1;
        p = p.slice(0, p.lastIndexOf('/')) || '/';
      }
    },
  };
}
