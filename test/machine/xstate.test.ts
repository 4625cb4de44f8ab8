// The specs are real xstate v5 configs: createMachine loads them as they are (stub guards/actions),
// an actor runs them, and xstate/graph walks them — so Stately's tools read the same files we
// compile. Also: path claims over every guard assignment, checked with xstate/graph.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActor, createMachine, transition, type AnyStateMachine } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { loadMachine } from '../../generator/machine/load.ts';
import type { MachineIR } from '../../generator/machine/ir.ts';

const root = join(import.meta.dirname, '..', '..');
interface Spec { meta: { guards: Record<string, string>; actions: Record<string, string>; events: Record<string, unknown> } }

function machineFor(role: string, facts: Record<string, boolean>, log?: string[]): { machine: AnyStateMachine; spec: Spec; ir: MachineIR } {
  const file = `specs/tls13/machines/${role}.json`;
  const spec = JSON.parse(readFileSync(join(root, file), 'utf8')) as Spec;
  const guards = Object.fromEntries(Object.keys(spec.meta.guards).map((g) => [g, () => facts[g] === true]));
  const actions = Object.fromEntries(Object.keys(spec.meta.actions).map((a) => [a, () => { log?.push(a); }]));
  // The JSON goes in as it is: no preprocessing.
  const machine = createMachine(spec as never, { guards, actions } as never) as unknown as AnyStateMachine;
  return { machine, spec, ir: loadMachine(root, file) };
}

const valueOf = (s: { value: unknown }): string => String(s.value);

test('xstate createMachine loads both specs as they are, and an actor runs a full client handshake', () => {
  const log: string[] = [];
  const { machine } = machineFor('client', {}, log);
  machineFor('server', {});
  const actor = createActor(machine).start();
  for (const type of ['Start', 'ServerHello', 'ChangeCipherSpec', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished']) actor.send({ type });
  assert.is(valueOf(actor.getSnapshot()), 'CONNECTED');
  assert.equal(log.filter((a) => a.startsWith('send') && a !== 'sendChangeCipherSpec'), ['sendClientHello', 'sendFinished']);
  actor.send({ type: 'ChangeCipherSpec' });
  assert.is(valueOf(actor.getSnapshot()), 'ERROR');
  assert.is(actor.getSnapshot().status, 'done');
  actor.stop();
});

test('xstate and runtime/machine agree: same target for every (state, event) under sampled guard assignments', () => {
  for (const role of ['client', 'server']) {
    const ir = loadMachine(root, `specs/tls13/machines/${role}.json`);
    for (let m = 0; m < 1 << ir.guards.length; m += 3) {
      const facts = Object.fromEntries(ir.guards.map((g, i) => [g, (m & (1 << i)) !== 0]));
      const { machine } = machineFor(role, facts);
      for (const s of ir.states) {
        if (ir.absorbing.includes(s)) continue;
        for (const e of ir.events) {
          const snap = machine.resolveState({ value: s, context: undefined as never });
          const [next] = transition(machine, snap, { type: e });
          const cand = ir.transitions.find((t) => t.from === s && t.event === e && (t.guard === undefined || facts[t.guard.name] === true))!;
          assert.is(valueOf(next), cand.target, `${role} ${s} × ${e} with ${JSON.stringify(facts)}`);
        }
      }
    }
  }
});

const popcount = (m: number): number => { let n = 0; for (let x = m; x > 0; x >>= 1) n += x & 1; return n; };

test('xstate/graph getShortestPaths reaches every state of both machines (union over guard assignments with at most two facts true)', () => {
  for (const role of ['client', 'server']) {
    const ir = loadMachine(root, `specs/tls13/machines/${role}.json`);
    const reached = new Set<string>();
    for (let m = 0; m < 1 << ir.guards.length; m++) {
      if (popcount(m) > 2) continue; // every state needs at most two facts; all 2^n assignments take minutes
      const facts = Object.fromEntries(ir.guards.map((g, i) => [g, (m & (1 << i)) !== 0]));
      const { machine } = machineFor(role, facts);
      for (const p of getShortestPaths(machine, { events: ir.events.map((type) => ({ type })) })) reached.add(valueOf(p.state));
    }
    assert.equal([...reached].sort(), [...ir.states].sort(), role);
  }
});

/** Every simple path (xstate/graph) to CONNECTED under every assignment of the guards. */
function pathsToConnected(role: string): { facts: Record<string, boolean>; events: string[] }[] {
  const ir = loadMachine(root, `specs/tls13/machines/${role}.json`);
  const out: { facts: Record<string, boolean>; events: string[] }[] = [];
  for (let m = 0; m < 1 << ir.guards.length; m++) {
    const facts = Object.fromEntries(ir.guards.map((g, i) => [g, (m & (1 << i)) !== 0]));
    const { machine } = machineFor(role, facts);
    // Handshake messages only: the self-loops (CCS, data) and the sinks add no simple path to CONNECTED.
    const events = ir.events.filter((e) => ir.eventSources?.[e] === 'peer' || e === 'Start').map((type) => ({ type }));
    const paths = getSimplePaths(machine, { events, toState: (s) => valueOf(s) === 'CONNECTED' });
    for (const p of paths) out.push({ facts, events: p.steps.slice(1).map((st) => st.event.type) });
  }
  return out;
}

test('server never reaches CONNECTED without the client Finished, along any xstate/graph path under any guards', () => {
  const paths = pathsToConnected('server');
  assert.ok(paths.length >= 8, `only ${paths.length} paths`);
  for (const p of paths) {
    assert.is(p.events[p.events.length - 1], 'Finished', p.events.join(' '));
    assert.is(p.events.filter((e) => e === 'Finished').length, 1);
    // a first ClientHello, or a stateless retry: the cookie ClientHello, possibly after the client's compatibility CCS
    assert.ok(p.events[0] === 'ClientHello' || p.events[0] === 'SecondClientHello' || (p.events[0] === 'ChangeCipherSpec' && p.events[1] === 'SecondClientHello'), p.events.join(' '));
    if (p.facts.clientAuthRequested && !p.facts.pskAccepted && !p.facts.earlyDataAccepted) assert.ok(p.events.includes('Certificate'), `cert skipped: ${p.events.join(' ')}`);
  }
});

test('client reaches CONNECTED only after ServerHello, EncryptedExtensions and Finished; certificate paths verify the server', () => {
  const paths = pathsToConnected('client');
  assert.ok(paths.length >= 8, `only ${paths.length} paths`);
  const shapes = new Set<string>();
  for (const p of paths) {
    const e = p.events;
    shapes.add(e.join(' '));
    assert.is(e[e.length - 1], 'Finished');
    assert.ok(e.indexOf('ServerHello') >= 0 && e.indexOf('ServerHello') < e.indexOf('EncryptedExtensions'));
    assert.ok(e.filter((x) => x === 'HelloRetryRequest').length <= 1);
    if (!p.facts.pskAccepted) assert.ok(e.includes('Certificate') && e.includes('CertificateVerify'), e.join(' '));
    else assert.not.ok(e.includes('Certificate'));
  }
  assert.ok(shapes.has('Start ServerHello EncryptedExtensions Finished'));
  assert.ok(shapes.has('Start HelloRetryRequest ServerHello EncryptedExtensions CertificateRequest Certificate CertificateVerify Finished'));
});

test.run();
