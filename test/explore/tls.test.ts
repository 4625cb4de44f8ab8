// The engine is held to the table: for both TLS 1.3 machines, every state is reached, every edge is walked and
// every rejected (state, event) pair is injected against the REAL TlsClient/TlsServer, driven by a scripted peer
// that sends real, correctly protected messages; each walked edge's message is also mutated in flight; records
// under wrong keys and content types are probed in every state. The suite fails below 100% of edges or rejected
// pairs, and on any disagreement not listed (with its reason) in KNOWN_DISAGREEMENTS.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { disagreementKey, explore, formatDisagreement, summary, type ExploreResult } from '../../runtime/explore/index.ts';
import { randomExplore } from '../../runtime/explore/random.ts';
import { tlsDriver, TLS_MUTATIONS, type Role } from '../../runtime/explore/tls13/driver.ts';
import { knownDisagreements } from './known.ts';

const known = knownDisagreements();
const results = new Map<Role, ExploreResult>();

for (const role of ['client', 'server'] as const) {
  test(`tls13/${role}: 100% of edges and rejected pairs exercised against the real engine, no unlisted disagreement`, async () => {
    const r = await explore(tlsDriver(role), { mutations: [...TLS_MUTATIONS] });
    results.set(role, r);
    const found = r.disagreements.map(disagreementKey);
    const unlisted = r.disagreements.filter((d) => !known.has(disagreementKey(d)));
    const why = `${summary(r)}\n${unlisted.map(formatDisagreement).join('\n')}\nmissing: ${[...r.edges.missing, ...r.rejected.missing].join('; ')}`;
    process.stdout.write(`${summary(r)}\n`);
    assert.is(r.states.reached, r.states.total, why);
    assert.is(r.edges.walked, r.edges.total, why);
    assert.is(r.rejected.checked, r.rejected.total, why);
    assert.is(unlisted.length, 0, why);
    // a listed disagreement that is gone must be removed from the list
    const stale = [...known].filter((k) => k.startsWith(`tls13/${role} `) && !found.includes(k));
    assert.equal(stale, [], `KNOWN_DISAGREEMENTS.md lists disagreements that no longer occur: ${stale.join('; ')}`);
    assert.ok(r.probed > 0 && r.mutated > 0, 'probes and mutations ran');
  });
}

test('the coverage file names edges as FROM|EVENT|TARGET and rejected pairs as STATE|EVENT, as protosmith viz --coverage reads them', () => {
  const r = results.get('client');
  assert.ok(r, 'the client exploration ran');
  assert.ok(r.coverage.edges['WAIT_CERT_VERIFY|CertificateVerify|WAIT_FINISHED']! >= 1);
  assert.ok(r.coverage.edges['WAIT_CERT_CR|CertificateVerify|ERROR']! >= 1);
  assert.ok(r.coverage.rejected['START|AppWrite']! >= 1);
  const dir = join(tmpdir(), `protosmith-explore-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'client.json'), JSON.stringify(r.coverage));
});

for (const role of ['client', 'server'] as const) {
  test(`tls13/${role}: fast-check random sequences of legal and illegal events, with mutated messages, agree with the table`, async () => {
    // length mutations of Finished are listed disagreements (decrypt_error vs decode_error); the walk above covers them
    const r = await randomExplore(tlsDriver(role), { runs: 40, maxCommands: 25, seed: 2026, mutations: ['type', 'flip-last'] });
    assert.is(r.report, undefined, `${r.disagreement ? formatDisagreement(r.disagreement) : ''}\n${r.report}`);
    process.stdout.write(`tls13/${role} random: ${r.runs} runs, ${r.commands} commands, ${r.mutated} mutated; states visited: ${r.visited.join(' ')}\n`);
    assert.ok(r.commands >= 150, `only ${r.commands} commands ran`);
    assert.ok(r.visited.includes('CONNECTED'), `random runs never completed a handshake (visited ${r.visited.join(', ')})`);
  });
}

test.run();
