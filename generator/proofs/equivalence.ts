// Claim (a): a machine, projected onto message order, accepts exactly the sequences of its RFC 8446
// Appendix A reference, up to the end of the handshake. Both sides become NFAs over the same symbols,
// are determinized, and are compared by a breadth-first walk of their product; the first word on
// which they disagree is the counterexample.
import type { MachineIR } from '../machine/ir.ts';
import { determinize, difference, minimalSize } from './automata.ts';
import type { FactRule } from './facts.ts';
import { projectMachine } from './project.ts';
import { referenceNfa, type Reference } from './reference.ts';

export interface EquivalenceResult {
  readonly machine: string;
  readonly reference: string;
  readonly equal: boolean;
  /** When not equal: the shortest word accepted by exactly one side. */
  readonly counterexample?: { readonly word: readonly string[]; readonly acceptedBy: 'machine' | 'reference' };
  readonly machineDfaStates: number;
  readonly referenceDfaStates: number;
  /** Guards that the fact model does not describe (treated as free choices). */
  readonly unmodelledGuards: readonly string[];
  readonly ms: number;
}

export function checkEquivalence(ir: MachineIR, ref: Reference, facts: Readonly<Record<string, FactRule>>): EquivalenceResult {
  const t0 = performance.now();
  const { nfa, table } = projectMachine(ir, { scope: new Set(ref.messages), optionalSends: new Set(ref.optionalSends), accept: ref.accept, facts });
  const m = determinize(nfa);
  const r = determinize(referenceNfa(ref));
  const diff = difference(m, r);
  return {
    machine: ir.name,
    reference: ref.file,
    equal: diff === undefined,
    ...(diff === undefined ? {} : { counterexample: { word: diff.word, acceptedBy: diff.acceptedBy === 'left' ? 'machine' : 'reference' } }),
    machineDfaStates: minimalSize(m),
    referenceDfaStates: minimalSize(r),
    unmodelledGuards: table.unmodelled,
    ms: performance.now() - t0,
  } as EquivalenceResult;
}

export function describeCounterexample(r: EquivalenceResult): string {
  if (r.counterexample === undefined) return 'languages equal';
  const word = r.counterexample.word.length === 0 ? '(empty sequence)' : r.counterexample.word.join(' ');
  return r.counterexample.acceptedBy === 'machine'
    ? `the machine completes the handshake on  ${word}  which the reference rejects`
    : `the reference completes the handshake on  ${word}  which the machine rejects`;
}
