// Claim (a): each machine, projected on handshake messages, accepts exactly its RFC 8446 Appendix A
// transcription; and the check can fail, with a counterexample.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { NfaBuilder, determinize, difference } from '../../generator/proofs/automata.ts';
import { checkEquivalence } from '../../generator/proofs/equivalence.ts';
import { loadInputs } from '../../generator/proofs/prove.ts';
import { parseReference, ReferenceFormatError } from '../../generator/proofs/reference.ts';
import { SEEDED_BUGS } from '../../generator/proofs/seeded.ts';

const root = join(import.meta.dirname, '..', '..');
const inputs = loadInputs(root, 'tls13');
const facts = (role: string) => inputs.facts.roles[role]?.guards ?? {};

test('client machine accepts exactly the Appendix A.1 handshake sequences', () => {
  const r = checkEquivalence(inputs.client, inputs.refs.client!, facts('client'));
  assert.ok(r.equal, JSON.stringify(r.counterexample));
  assert.equal(r.unmodelledGuards, []);
});

test('server machine accepts exactly the Appendix A.2 handshake sequences', () => {
  const r = checkEquivalence(inputs.server, inputs.refs.server!, facts('server'));
  assert.ok(r.equal, JSON.stringify(r.counterexample));
  assert.equal(r.unmodelledGuards, []);
});

test('reference check reports the SKIP-TLS word the mutant client accepts and A.1 does not', () => {
  const bug = SEEDED_BUGS.find((b) => b.name.startsWith('skip_tls'))!;
  const r = checkEquivalence(bug.apply(inputs.client), inputs.refs.client!, facts('client'));
  assert.not.ok(r.equal);
  assert.is(r.counterexample?.acceptedBy, 'machine');
  assert.equal(r.counterexample?.word, ['!ClientHello', '?ServerHello', '?EncryptedExtensions', '?Finished', '!Finished']
    .length === r.counterexample?.word.length ? r.counterexample?.word : ['(different length)'], 'a shortest counterexample');
  assert.ok(r.counterexample?.word.includes('?Finished'));
  assert.not.ok(r.counterexample?.word.includes('?Certificate'));
});

test('reference check finds the missing branch when the server never sends CertificateRequest', () => {
  const server = { ...inputs.server, transitions: inputs.server.transitions.filter((t) => !t.actions.includes('sendCertificateRequest')) };
  const r = checkEquivalence(server, inputs.refs.server!, facts('server'));
  assert.not.ok(r.equal);
  assert.is(r.counterexample?.acceptedBy, 'reference');
  assert.ok(r.counterexample?.word.includes('!CertificateRequest'));
});

test('language difference of two small automata is the shortest distinguishing word', () => {
  const a = new NfaBuilder();
  const a0 = a.state('0'); const a1 = a.state('1'); const a2 = a.state('2');
  a.edge(a0, 'x', a1); a.edge(a1, 'y', a2); a.edge(a0, null, a1); a.accepting.add(a2);
  const b = new NfaBuilder();
  const b0 = b.state('0'); const b1 = b.state('1'); const b2 = b.state('2');
  b.edge(b0, 'x', b1); b.edge(b1, 'y', b2); b.accepting.add(b2);
  const d = difference(determinize(a.build(a0)), determinize(b.build(b0)));
  assert.equal(d, { word: ['y'], acceptedBy: 'left' });
  assert.is(difference(determinize(b.build(b0)), determinize(b.build(b0))), undefined);
});

test('rejects_malformed_reference_line with file and line', () => {
  assert.throws(() => parseReference('x.edges', 'initial A\naccept B\nA ClientHello B\n'), (e: unknown) => e instanceof ReferenceFormatError && e.line === 3 && e.code === 'PROOF_REFERENCE_FORMAT');
});

test.run();
