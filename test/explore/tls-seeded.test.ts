// Seeded engine bugs (runtime/explore/tls13/seeded.ts): each changes one behaviour of the real engine — a table
// lookup, a guard or an action — and leaves the model's table alone. The explorer must report a disagreement
// for each that is not one of the known ones; a bug it misses would mean the exploration cannot fail there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { disagreementKey, explore, formatDisagreement, summary } from '../../runtime/explore/index.ts';
import { tlsDriver } from '../../runtime/explore/tls13/driver.ts';
import { TLS_SEEDED_BUGS } from '../../runtime/explore/tls13/seeded.ts';
import { knownDisagreements } from './known.ts';

const known = knownDisagreements();

for (const bug of TLS_SEEDED_BUGS) {
  test(`seeded engine bug '${bug.name}' (tls13/${bug.role}: ${bug.description}) is caught by the explorer`, async () => {
    const r = await explore(tlsDriver(bug.role, { patch: bug.patch }), {
      stopAtFirst: true, known: (d) => known.has(disagreementKey(d)), ...(bug.mutations ? { mutations: bug.mutations } : {}),
    });
    const caught = r.disagreements.filter((d) => !known.has(disagreementKey(d)));
    assert.ok(caught.length > 0, `not caught: ${summary(r)}`);
    process.stdout.write(`${bug.name}: ${formatDisagreement(caught[0]!).split('\n').slice(0, 3).join(' / ')}\n`);
  });
}

test.run();
