// The machine loader: the TLS 1.3 specs load cleanly into a complete, frozen MachineIR; every bad
// spec in fixtures/bad/ produces exactly the diagnostics in its .expected golden (file:line, message,
// hint). UPDATE_GOLDEN=1 rewrites the goldens (review the diff before committing).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem, loadMachine, loadMachineSpec, loadMachineText, MachineSpecError } from '../../generator/machine/load.ts';

const root = join(import.meta.dirname, '..', '..');
const update = process.env.UPDATE_GOLDEN === '1';

for (const role of ['client', 'server']) {
  test(`specs/tls13/machines/${role}.json loads with no problems at all`, () => {
    const { ir, problems } = loadMachineSpec(root, `specs/tls13/machines/${role}.json`);
    assert.equal(problems.map(formatProblem), []);
    assert.ok(ir);
    assert.is(ir.name, `tls13/${role}`);
    assert.is(ir.initial, 'START');
    assert.equal([...ir.absorbing], ['ERROR', 'CLOSED']);
  });

  test(`${role} IR has a candidate for every (state, event) pair and ends with an unguarded one`, () => {
    const ir = loadMachine(root, `specs/tls13/machines/${role}.json`);
    for (const s of ir.states) for (const e of ir.events) {
      const cs = ir.transitions.filter((t) => t.from === s && t.event === e);
      assert.ok(cs.length > 0, `${s} × ${e} has no candidate`);
      assert.is(cs[cs.length - 1]!.guard, undefined, `${s} × ${e}: last candidate is guarded`);
      for (const c of cs) assert.ok(ir.states.includes(c.target), `${s} × ${e}: unknown target ${c.target}`);
    }
  });

  test(`${role} IR is deeply frozen`, () => {
    const ir = loadMachine(root, `specs/tls13/machines/${role}.json`);
    assert.ok(Object.isFrozen(ir) && Object.isFrozen(ir.transitions) && Object.isFrozen(ir.transitions[0]) && Object.isFrozen(ir.transitions[0]!.at));
    assert.throws(() => { (ir.states as string[]).push('X'); });
  });

  test(`${role} IR locations point at the spec line that declares the transition`, () => {
    const ir = loadMachine(root, `specs/tls13/machines/${role}.json`);
    const lines = readFileSync(join(root, ir.specFile), 'utf8').split('\n');
    for (const t of ir.transitions) {
      if (ir.absorbing.includes(t.from)) { assert.match(lines[t.at.line - 1]!, `"${t.from}"`); continue; }
      const text = lines[t.at.line - 1]!;
      const key = t.wildcard ? '"*"' : t.guard ? `"guard": "${t.guard.name}"` : `"${t.event}"`;
      const ok = text.includes(key) || (!t.wildcard && !t.guard && (text.includes('"target"') || text.includes('"meta"')));
      assert.ok(ok, `${t.at.path} → line ${t.at.line}: ${text.trim()}`);
    }
  });
}

test('every RFC 8446 section cited by the specs exists in the RFC text (../shared/rfc/rfc8446.txt)', () => {
  const rfc = readFileSync(join(root, '..', 'shared', 'rfc', 'rfc8446.txt'), 'utf8');
  const cited = new Set<string>();
  for (const role of ['client', 'server']) {
    const text = readFileSync(join(root, 'specs', 'tls13', 'machines', `${role}.json`), 'utf8');
    for (const m of text.matchAll(/RFC 8446 §([0-9.]+)/g)) cited.add(m[1]!);
  }
  assert.ok(cited.size >= 15, `only ${cited.size} sections cited`);
  for (const sec of cited) {
    const heading = new RegExp(`^${sec.replace(/\./g, '\\.')}\\.  +\\S`, 'm');
    assert.ok(heading.test(rfc), `§${sec} is not a section heading of RFC 8446`);
  }
});

test('a spec naming guards, actions or events after Object members (constructor, __proto__) is rejected, not fooled', () => {
  const spec = `{
  "id": "x", "initial": "A",
  "meta": { "protocol": "p", "role": "r", "events": { "Go": { "source": "peer" } }, "guards": {}, "actions": {} },
  "states": {
    "A": { "on": { "Go": [ { "guard": "constructor", "target": "B", "actions": ["toString"] }, { "target": "B" } ], "__proto__": { "target": "B" } } },
    "B": { "type": "final" }
  }
}`;
  const r = loadMachineText(spec, 'proto.json');
  assert.is(r.ir, undefined);
  const text = r.problems.map(formatProblem).join('\n');
  assert.match(text, "guard 'constructor' is not declared");
  assert.match(text, "action 'toString' is not declared");
  assert.match(text, "event '__proto__' is not in the event list");
});

test('client and server share one event list: peer messages, records and local requests', () => {
  const c = loadMachine(root, 'specs/tls13/machines/client.json');
  const s = loadMachine(root, 'specs/tls13/machines/server.json');
  assert.equal([...c.events], [...s.events]);
  for (const e of ['ClientHello', 'ServerHello', 'HelloRetryRequest', 'EncryptedExtensions', 'CertificateRequest', 'Certificate', 'CertificateVerify', 'Finished', 'NewSessionTicket', 'EndOfEarlyData', 'KeyUpdate', 'ChangeCipherSpec', 'ApplicationData', 'CloseNotify', 'Alert', 'Start', 'AppWrite', 'RequestKeyUpdate', 'Close']) {
    assert.ok(c.events.includes(e), e);
  }
  assert.is(c.eventSources?.Start, 'local');
  assert.is(c.eventSources?.Finished, 'peer');
});

test('loadMachine throws MachineSpecError (code MACHINE_SPEC_INVALID, blame config) listing every error', () => {
  try {
    loadMachine(root, 'test/machine/fixtures/bad/unknown-event.json');
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, MachineSpecError);
    const err = e as MachineSpecError;
    assert.is(err.code, 'MACHINE_SPEC_INVALID');
    assert.is(err.blame, 'config');
    assert.match(err.message, 'unknown-event.json:40: error: event \'Opne\' is not in the event list');
    assert.ok(err.problems.length >= 2);
  }
});

test('a spec that is not an object, or has no states, is reported, not thrown', () => {
  assert.match(loadMachineText('[1, 2]', 'x.json').problems.map(formatProblem).join('\n'), 'x.json:1: error: the spec is not a JSON object');
  const r = loadMachineText('{\n  "initial": "A",\n  "meta": { "protocol": "p", "role": "r", "events": {} }\n}\n', 'y.json');
  assert.is(r.ir, undefined);
  assert.match(r.problems.map(formatProblem).join('\n'), "y.json:1: error: missing 'states' object");
});

test('the good fixture machine loads with no problems', () => {
  const { ir, problems } = loadMachineSpec(root, 'test/machine/fixtures/door.json');
  assert.equal(problems.map(formatProblem), []);
  assert.is(ir?.name, 'fixture/door');
});

const badDir = join(root, 'test', 'machine', 'fixtures', 'bad');
const bad = readdirSync(badDir).filter((f) => f.endsWith('.json')).sort();
test('there is a bad-spec golden for each validation pass', () => {
  assert.ok(bad.length >= 10, `only ${bad.length} bad specs`);
});
for (const f of bad) {
  test(`bad spec ${f} is diagnosed exactly as in ${f.replace(/\.json$/, '.expected')}`, () => {
    const rel = `test/machine/fixtures/bad/${f}`;
    const { ir, problems } = loadMachineSpec(root, rel);
    assert.is(ir, undefined, 'a bad spec must not produce IR');
    assert.ok(problems.some((p) => p.severity === 'error'));
    const got = problems.map(formatProblem).join('\n') + '\n';
    const goldenPath = join(badDir, f.replace(/\.json$/, '.expected'));
    if (update || !existsSync(goldenPath)) {
      if (!update) assert.unreachable(`missing golden ${goldenPath} (run with UPDATE_GOLDEN=1)`);
      writeFileSync(goldenPath, got);
    }
    assert.fixture(got, readFileSync(goldenPath, 'utf8'));
  });
}

test.run();
