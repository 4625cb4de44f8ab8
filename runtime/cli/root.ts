import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
/** The protosmith project root (where specs/ and generated/ live). */
export function projectRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
