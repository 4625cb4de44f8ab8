import type { GeneratedFile } from '../generate.ts';
/** Codecs generated from specs/<protocol>/messages/*.ksy. (Filled in by the codec generator.) */
export async function planCodecs(_root: string): Promise<GeneratedFile[]> {
  return [];
}
