import type { GeneratedFile } from '../generate.ts';
/** Tables and drawings generated from specs/<protocol>/machines/. (Filled in by the machine compiler.) */
export async function planMachines(_root: string): Promise<GeneratedFile[]> {
  return [];
}
