// Claim (c) on a sample: single-edge mutants are killed by the cheap checks (table, RFC reference,
// IR rules and any-peer safety) unless SURVIVORS.md justifies them; the full run is
// `protosmith prove --mutants`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allMutants, cheapKill, loadInputs } from '../../generator/proofs/prove.ts';

const root = join(import.meta.dirname, '..', '..');
const inputs = loadInputs(root, 'tls13');
const all = allMutants(inputs);
const justified = readFileSync(join(root, 'proofs', 'tls13', 'SURVIVORS.md'), 'utf8');

test('mutants cover every operator on both roles', () => {
  for (const role of ['client', 'server']) for (const kind of ['drop', 'retarget', 'illegal']) {
    assert.ok(all.some((m) => m.role === role && m.kind === kind), `${role} ${kind}`);
  }
  assert.ok(all.length > 1000, `${all.length} mutants`);
});

test('a sample of mutants is killed, each survivor justified in SURVIVORS.md', () => {
  const sample = all.filter((m, i) => i % 37 === 0 && !m.equivalent);
  const outcomes = sample.map((m) => cheapKill(inputs, m));
  const survivors = outcomes.filter((o) => o.killedBy === undefined).map((o) => o.mutant.id);
  const unjustified = survivors.filter((id) => !justified.includes(id));
  assert.equal(unjustified, []);
  assert.ok(outcomes.length - survivors.length >= outcomes.length * 0.95, `${outcomes.length - survivors.length}/${outcomes.length} killed`);
});

test('the reference check alone kills a retargeted ServerHello edge with a counterexample', () => {
  const m = all.find((x) => x.kind === 'retarget' && x.description.includes('WAIT_SERVER_HELLO --ServerHello--> WAIT_ENCRYPTED_EXTENSIONS retargeted to WAIT_CERT_CR'));
  assert.ok(m, 'mutant exists');
  const o = cheapKill(inputs, m!);
  assert.is(o.killedBy, 'reference');
  assert.match(o.detail, /\?ServerHello/);
});

test('equivalent mutants are only drops of edges identical to the wildcard edge', () => {
  for (const m of all.filter((x) => x.equivalent)) assert.is(m.kind, 'drop');
});

test.run();
