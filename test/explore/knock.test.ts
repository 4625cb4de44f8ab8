// The toy protocol (examples/knock) explores to 100%: every edge walked and every rejected pair checked
// against the real toy engine with zero disagreements; fast-check random runs agree with the table;
// and every seeded engine bug (one behaviour changed, the table untouched) is caught.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { explore, formatDisagreement, summary } from '../../runtime/explore/index.ts';
import { randomExplore } from '../../runtime/explore/random.ts';
import { acceptOutOfOrder, dropCandidate, overrideMember, type SeededBug } from '../../runtime/explore/seeded.ts';
import { knockDriver } from '../../examples/knock/driver.ts';
import type { KnockServer } from '../../examples/knock/engine.ts';

test('knock/server explores to 100% of edges and rejected pairs with zero disagreements', async () => {
  const r = await explore(knockDriver());
  const why = `${summary(r)}\n${r.disagreements.map(formatDisagreement).join('\n')}\nmissing: ${[...r.edges.missing, ...r.rejected.missing].join(', ')}`;
  assert.is(r.disagreements.length, 0, why);
  assert.is(r.edges.walked, r.edges.total, why);
  assert.is(r.rejected.checked, r.rejected.total, why);
  assert.is(r.states.reached, r.states.total, why);
  assert.ok(r.edges.total >= 8 && r.rejected.total >= 20, why);
  // coverage keys are FROM|EVENT|TARGET (what protosmith viz --coverage paints)
  assert.ok(r.coverage.edges['WAIT_KEY|Key|OPEN']! >= 1);
  assert.ok(r.coverage.edges['WAIT_KEY|Key|ERROR']! >= 1);
  assert.ok(r.coverage.rejected['IDLE|Send']! >= 1);
});

test('knock/server random runs (fast-check commands, shrinking) agree with the table', async () => {
  const r = await randomExplore(knockDriver(), { runs: 150, maxCommands: 15, seed: 7 });
  assert.is(r.report, undefined, r.report);
  assert.ok(r.commands > 500);
});

test('knock/server random runs catch a seeded bug (data before the key) and shrink it to the two-step replay', async () => {
  const base = knockDriver();
  const r = await randomExplore(knockDriver({ engineTable: acceptOutOfOrder(base.table, 'WAIT_KEY', 'Data', 'WAIT_KEY', ['deliverData']) }), { runs: 200, maxCommands: 15, seed: 11 });
  assert.ok(r.report !== undefined && r.disagreement !== undefined, 'the random runs did not catch the bug');
  assert.is(r.disagreement.state, 'WAIT_KEY');
  assert.is(r.disagreement.event, 'Data');
  assert.equal(r.disagreement.replay.map((s) => s.event), ['Hello', 'Data']);
});

const bugs: SeededBug<KnockServer>[] = [
  { name: 'data-before-key', description: 'WAIT_KEY accepts Data and delivers it before the key is proven', table: (t) => acceptOutOfOrder(t, 'WAIT_KEY', 'Data', 'WAIT_KEY', ['deliverData']) },
  { name: 'skip-key-check', description: 'the keyCorrect guard always holds', engine: (e) => overrideMember(e.impl.guards as Record<string, unknown>, 'keyCorrect', () => () => true) },
  { name: 'key-check-dropped', description: 'the engine table lost the keyCorrect candidate (any Key is wrong)', table: (t) => dropCandidate(t, 'WAIT_KEY', 'Key', 0) },
  { name: 'bye-ignored', description: 'Bye in OPEN keeps the exchange open', table: (t) => acceptOutOfOrder(t, 'OPEN', 'Bye', 'OPEN', []) },
  { name: 'send-before-open', description: 'Send in IDLE sends data instead of refusing', table: (t) => acceptOutOfOrder(t, 'IDLE', 'Send', 'IDLE', ['sendData']) },
];

for (const bug of bugs) {
  test(`seeded engine bug '${bug.name}' (${bug.description}) is caught by the explorer`, async () => {
    const base = knockDriver();
    const driver = knockDriver({
      ...(bug.table ? { engineTable: bug.table(base.table) } : {}),
      ...(bug.engine ? { patch: bug.engine } : {}),
    });
    const r = await explore(driver);
    assert.ok(r.disagreements.length > 0, `${bug.name} was not caught: ${summary(r)}`);
    const text = formatDisagreement(r.disagreements[0]!);
    assert.match(text, /DISAGREEMENT knock\/server/);
    assert.match(text, /table : /);
    assert.match(text, /engine: /);
    assert.match(text, /replay: /);
  });
}

test.run();
