// The machines the proofs read, as MachineIR, through the machine compiler's loader (the same IR the
// generated tables come from).
import type { MachineIR } from '../machine/ir.ts';
import { loadMachine } from '../machine/load.ts';

/** `name` is '<protocol>/<role>', e.g. 'tls13/client' (specs/tls13/machines/client.json). */
export function loadMachineIR(root: string, name: string): MachineIR {
  const [protocol = '', role = ''] = name.split('/');
  return loadMachine(root, `specs/${protocol}/machines/${role}.json`);
}
