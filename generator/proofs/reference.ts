// Reads an RFC reference edge list (specs/<protocol>/reference/<role>.edges) into an NFA over
// message symbols. Format, one item per line, `#` starts a comment:
//   initial STATE
//   accept STATE
//   FROM  ?Message|!Message[+fact...]  TO    (facts the message carries, see facts.ts)
//   optional-send Message                     sending it is optional noise (e.g. the compatibility
//                                             ChangeCipherSpec, RFC 8446 D.4): not a symbol when sent
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NfaBuilder, type Nfa } from './automata.ts';

export interface ReferenceEdge {
  readonly from: string;
  readonly symbol: string;
  readonly to: string;
  readonly line: number;
  readonly cite: string;
}

export interface Reference {
  readonly file: string;
  readonly initial: string;
  readonly accept: readonly string[];
  readonly edges: readonly ReferenceEdge[];
  /** Messages named by the reference: the symbols in scope for the comparison. */
  readonly messages: readonly string[];
  /** Messages whose sending is not part of the language (`optional-send`). */
  readonly optionalSends: readonly string[];
}

/** A malformed reference file: configuration error (the file is ours, not a peer's). */
export class ReferenceFormatError extends Error {
  readonly code = 'PROOF_REFERENCE_FORMAT';
  constructor(readonly file: string, readonly line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'ReferenceFormatError';
  }
}

export function parseReference(file: string, text: string): Reference {
  let initial: string | undefined;
  const accept: string[] = [];
  const edges: ReferenceEdge[] = [];
  const optionalSends: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    const cite = hash >= 0 ? raw.slice(hash + 1).trim() : '';
    if (body === '') return;
    const parts = body.split(/\s+/);
    if (parts[0] === 'initial' && parts.length === 2) initial = parts[1];
    else if (parts[0] === 'accept' && parts.length === 2) accept.push(parts[1] as string);
    else if (parts[0] === 'optional-send' && parts.length === 2) optionalSends.push(parts[1] as string);
    else if (parts.length === 3 && /^[?!][A-Za-z]+(\+[A-Za-z]+)*$/.test(parts[1] as string)) {
      edges.push({ from: parts[0] as string, symbol: parts[1] as string, to: parts[2] as string, line, cite });
    } else throw new ReferenceFormatError(file, line, `expected "FROM ?Msg|!Msg TO", "initial S" or "accept S", or "optional-send M", got "${body}"`);
  });
  if (initial === undefined) throw new ReferenceFormatError(file, 1, 'no "initial" line');
  if (accept.length === 0) throw new ReferenceFormatError(file, 1, 'no "accept" line');
  const messages = [...new Set(edges.map((e) => (e.symbol.slice(1).split('+')[0] as string)))].sort();
  return { file, initial, accept, edges, messages, optionalSends };
}

export function loadReference(root: string, protocol: string, role: string): Reference {
  const file = `specs/${protocol}/reference/${role}.edges`;
  return parseReference(file, readFileSync(join(root, file), 'utf8'));
}

export function referenceNfa(ref: Reference): Nfa {
  const b = new NfaBuilder();
  const initial = b.state(ref.initial);
  for (const e of ref.edges) b.edge(b.state(e.from), e.symbol, b.state(e.to));
  for (const a of ref.accept) b.accepting.add(b.state(a));
  return b.build(initial);
}
