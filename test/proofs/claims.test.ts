// Claim (b) on the IR: the real tables satisfy every table, rule and any-peer safety claim, and each
// hand-made seeded bug is rejected naming the property it violates.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { ruleChecks, safetyChecks, tableChecks } from '../../generator/proofs/irchecks.ts';
import { cheapChecks, loadInputs } from '../../generator/proofs/prove.ts';
import { SEEDED_BUGS } from '../../generator/proofs/seeded.ts';

const root = join(import.meta.dirname, '..', '..');
const inputs = loadInputs(root, 'tls13');
const facts = (role: string) => inputs.facts.roles[role]?.guards ?? {};

for (const ir of [inputs.client, inputs.server]) {
  test(`every IR claim holds on the ${ir.role} table`, () => {
    const verdicts = [...tableChecks(ir), ...ruleChecks(ir), ...safetyChecks(ir, facts(ir.role))];
    assert.ok(verdicts.length >= 20, `${verdicts.length} claims`);
    const failed = verdicts.filter((v) => !v.holds).map((v) => `${v.property}: ${v.detail}`);
    assert.equal(failed, []);
  });
}

for (const bug of SEEDED_BUGS) {
  test(`seeded bug ${bug.name} is rejected naming ${bug.expect.join(' or ')}`, () => {
    const base = bug.role === 'client' ? inputs.client : inputs.server;
    const { verdicts } = cheapChecks(inputs, bug.apply(base), false);
    const failed = verdicts.filter((v) => !v.holds).map((v) => v.property);
    assert.ok(bug.expect.some((p) => failed.includes(p)), `violated: ${failed.join(', ') || '(nothing)'}`);
  });
}

test('a table with a silently ignored Finished in WAIT_CERT fails ignores_only_change_cipher_spec', () => {
  const server = { ...inputs.server, transitions: inputs.server.transitions.map((t) => (t.from === 'WAIT_CERT' && t.event === 'Finished' ? { ...t, target: 'WAIT_CERT', alert: undefined, actions: [] } : t)) };
  const failed = ruleChecks(server).filter((v) => !v.holds).map((v) => v.property);
  assert.ok(failed.includes('server_ignores_only_change_cipher_spec'), failed.join(', '));
});

test('a non-absorbing ERROR fails error_and_closed_absorbing', () => {
  const client = { ...inputs.client, transitions: inputs.client.transitions.map((t) => (t.from === 'ERROR' && t.event === 'ServerHello' ? { ...t, target: 'WAIT_ENCRYPTED_EXTENSIONS' } : t)) };
  const v = tableChecks(client).find((x) => x.property === 'client_error_and_closed_absorbing');
  assert.is(v?.holds, false);
});

test.run();
