// `protosmith prove <protocol>`: the protocol is an argument. Another protocol's machines (the knock example,
// which declares its own alert vocabulary) get the table claims; an unknown protocol is a usage error.
// (`prove` with no argument stays tls13: test/proofs/cli.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cli = (...args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'protosmith.mjs'), 'prove', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

test('prove knock checks the table claims of specs/knock/machines/server.json and passes', () => {
  const r = cli('knock');
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (const p of ['server_table_total', 'server_table_deterministic', 'server_error_and_closed_absorbing', 'server_every_state_reachable', 'server_no_dead_ends']) {
    assert.match(r.stdout, new RegExp(`PASS  ${p} `));
  }
  assert.match(r.stdout, 'all claims hold');
});

test('prove with an unknown protocol or --mutants on a protocol without a reference is a usage error (exit 2)', () => {
  const a = cli('nope');
  assert.is(a.code, 2);
  assert.match(a.stderr, 'no machines in specs/nope/machines (protocols with machines: knock, tls13)');
  const b = cli('knock', '--mutants');
  assert.is(b.code, 2);
  assert.match(b.stderr, '--mutants needs a reference and facts');
  const c = cli('knock', 'tls13');
  assert.is(c.code, 2);
  assert.match(c.stderr, 'more than one protocol given');
});

test.run();
