// Reads test/explore/KNOWN_DISAGREEMENTS.md: one `machine kind state event` key per bullet.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function knownDisagreements(): Set<string> {
  const text = readFileSync(join(import.meta.dirname, 'KNOWN_DISAGREEMENTS.md'), 'utf8');
  const keys = new Set<string>();
  for (const m of text.matchAll(/^- `([^`]+)`/gm)) keys.add(m[1]!);
  return keys;
}
