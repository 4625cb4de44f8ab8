// Claims checked directly on one machine's IR (no spin): table shape (deterministic, total, absorbing
// sinks, no dead ends, every state reachable) and the safety properties of the Promela model, here
// against the most general peer: any event in any order, facts chosen freely where the fact model lets
// the peer choose them. This is stronger than spin's bounded attacker for one-role properties, and
// cheap, so the mutation run uses it before spin.
import type { MachineIR, TransitionIR } from '../machine/ir.ts';
import { RoleFactTable, evalFact, type FactRule } from './facts.ts';
import { assignments, candidateIndex, sentMessage } from './project.ts';

export interface Verdict {
  readonly property: string;
  readonly claim: string;
  readonly holds: boolean;
  readonly detail: string;
  readonly states: number;
  readonly ms: number;
}

const ERROR = 'ERROR';
const CLOSED = 'CLOSED';
const CONNECTED = 'CONNECTED';

function timed(property: string, claim: string, f: () => { holds: boolean; detail: string; states: number }): Verdict {
  const t0 = performance.now();
  const r = f();
  return { property, claim, ...r, ms: performance.now() - t0 };
}

function reachable(ir: MachineIR, from: string, follow: (t: TransitionIR) => boolean, reverse = false): Set<string> {
  const seen = new Set([from]);
  const stack = [from];
  while (stack.length > 0) {
    const s = stack.pop() as string;
    for (const t of ir.transitions) {
      if (!follow(t)) continue;
      const [a, b] = reverse ? [t.target, t.from] : [t.from, t.target];
      if (a === s && !seen.has(b)) { seen.add(b); stack.push(b); }
    }
  }
  return seen;
}

export function tableChecks(ir: MachineIR): Verdict[] {
  const role = ir.role;
  const index = candidateIndex(ir);
  const out: Verdict[] = [];
  out.push(timed(`${role}_table_total`, `every (state, event) of the ${role} has a transition (a missing entry would be an untyped failure)`, () => {
    const missing: string[] = [];
    for (const s of ir.states) for (const e of ir.events) if ((index.get(`${s}\u0000${e}`) ?? []).length === 0) missing.push(`${s}/${e}`);
    return { holds: missing.length === 0, detail: missing.length === 0 ? `${ir.states.length * ir.events.length} pairs` : `missing: ${missing.slice(0, 5).join(', ')}`, states: ir.states.length };
  }));
  out.push(timed(`${role}_table_deterministic`, `the ${role} table is deterministic: per (state, event) guarded candidates with distinct guards, then one unguarded fallback last`, () => {
    const bad: string[] = [];
    for (const [k, cands] of index) {
      const [s, e] = k.split('\u0000');
      const guards = cands.filter((c) => c.guard !== undefined).map((c) => `${c.guard?.negated ? '!' : ''}${c.guard?.name}`);
      const unguarded = cands.filter((c) => c.guard === undefined);
      if (unguarded.length !== 1 || cands[cands.length - 1]?.guard !== undefined) bad.push(`${s}/${e}: ${unguarded.length} unguarded candidates${unguarded.length === 1 ? ' not last' : ''}`);
      if (new Set(guards).size !== guards.length) bad.push(`${s}/${e}: a guard repeats (the second candidate is dead)`);
    }
    return { holds: bad.length === 0, detail: bad.length === 0 ? `${index.size} pairs` : bad.slice(0, 5).join('; '), states: ir.states.length };
  }));
  out.push(timed(`${role}_error_and_closed_absorbing`, `ERROR and CLOSED of the ${role} absorb every event (stay, send nothing)`, () => {
    const bad = ir.transitions.filter((t) => (t.from === ERROR || t.from === CLOSED) && (t.target !== t.from || t.actions.some((a) => sentMessage(a) !== undefined)));
    const missingSinks = [ERROR, CLOSED].filter((s) => !ir.absorbing.includes(s));
    const holds = bad.length === 0 && missingSinks.length === 0;
    return { holds, detail: holds ? 'absorbing' : [...missingSinks.map((s) => `${s} not declared absorbing`), ...bad.slice(0, 5).map((t) => `${t.from} --${t.event}--> ${t.target} (${t.at.file}:${t.at.line})`)].join('; '), states: 2 };
  }));
  out.push(timed(`${role}_every_state_reachable`, `every state of the ${role} is reachable from ${ir.initial}`, () => {
    const r = reachable(ir, ir.initial, () => true);
    const dead = ir.states.filter((s) => !r.has(s));
    return { holds: dead.length === 0, detail: dead.length === 0 ? `${r.size} states` : `unreachable: ${dead.join(', ')}`, states: r.size };
  }));
  out.push(timed(`${role}_no_dead_ends`, `from every non-final state of the ${role}, ${CONNECTED} or ${CLOSED} can still be reached without an error`, () => {
    const r = reachable(ir, ir.initial, () => true);
    const good = new Set<string>();
    for (const goal of [CONNECTED, CLOSED]) for (const s of reachable(ir, goal, (t) => t.target !== ERROR, true)) good.add(s);
    const dead = [...r].filter((s) => !ir.absorbing.includes(s) && !good.has(s));
    return { holds: dead.length === 0, detail: dead.length === 0 ? `${r.size} states` : `dead ends: ${dead.join(', ')}`, states: r.size };
  }));
  return out;
}

/** Ghost flags tracked along a run, as in the Promela model. */
interface Ghost {
  state: string;
  raw: Map<string, boolean>;
  seen: Set<string>;
  flags: Set<string>; // v_<Event>, k_<key>, acc_Certificate, certEmpty, sent_CertificateRequest, bad_recv, bad_send
}

function keyEffect(a: string): { keys: string[]; on: boolean } | undefined {
  const m = /^(install|discard)(Early|Handshake|Application)(Read|Write)?Keys$/.exec(a);
  if (!m) return undefined;
  const epoch = m[2] === 'Early' ? 'early' : m[2] === 'Handshake' ? 'hs' : 'app';
  const dirs = m[3] === undefined ? ['Read', 'Write'] : [m[3]];
  return { keys: dirs.map((d) => `k_${epoch}${d}`), on: m[1] === 'install' };
}

export function verifyEvent(ir: MachineIR, action: string): string | undefined {
  if (!action.startsWith('verify')) return undefined;
  return ir.events.filter((e) => action.endsWith(e)).sort((a, b) => b.length - a.length)[0];
}

/** The safety properties, per role, against any peer. Names match the Promela LTL claims. */
export function safetyChecks(ir: MachineIR, facts: Readonly<Record<string, FactRule>>): Verdict[] {
  const t0 = performance.now();
  const table = new RoleFactTable(ir.role, facts, ir.guards);
  const index = candidateIndex(ir);
  const seenSyms = new Set(table.seenSymbols());
  const eachFacts = table.of('each');
  const role = ir.role;
  const hasVerify = (e: string): boolean => ir.actions.some((a) => verifyEvent(ir, a) === e);
  const props: Array<{ name: string; claim: string; bad: (g: Ghost, ctx: (n: string) => boolean) => boolean }> = [];
  if (role === 'client') {
    props.push({ name: 'client_connected_only_after_server_finished', claim: 'the client reaches CONNECTED only after verifying the server Finished',
      bad: (g) => g.state === CONNECTED && !(hasVerify('Finished') && g.flags.has('v_Finished')) });
    props.push({ name: 'client_connected_only_after_server_certificate_verify_unless_psk', claim: 'the client reaches CONNECTED only after verifying the server CertificateVerify, unless a PSK was accepted',
      bad: (g, f) => g.state === CONNECTED && !(hasVerify('CertificateVerify') && g.flags.has('v_CertificateVerify')) && !f('pskAccepted') });
  }
  if (role === 'server') {
    props.push({ name: 'server_connected_only_after_client_finished', claim: 'the server reaches CONNECTED only after verifying the client Finished',
      bad: (g) => g.state === CONNECTED && !(hasVerify('Finished') && g.flags.has('v_Finished')) });
    props.push({ name: 'server_connected_only_after_client_certificate_when_requested', claim: 'having sent CertificateRequest, the server reaches CONNECTED only after a client Certificate, and its CertificateVerify unless the Certificate was empty',
      bad: (g) => g.state === CONNECTED && g.flags.has('sent_CertificateRequest') && !(g.flags.has('acc_Certificate') && (g.flags.has('certEmpty') || (hasVerify('CertificateVerify') && g.flags.has('v_CertificateVerify')))) });
  }
  props.push({ name: `${role}_application_data_received_only_with_keys`, claim: `the ${role} never accepts or delivers application data before the read keys for it exist`, bad: (g) => g.flags.has('bad_recv') });
  props.push({ name: `${role}_application_data_sent_only_with_keys`, claim: `the ${role} never sends application data before the write keys for it exist`, bad: (g) => g.flags.has('bad_send') });

  const key = (g: Ghost): string => `${g.state}|${[...g.raw].filter(([, v]) => v).map(([k]) => k).sort().join(',')}|${[...g.seen].sort().join(',')}|${[...g.flags].sort().join(',')}`;
  const violated = new Map<string, string>();
  const seenStates = new Map<string, string[]>(); // key -> trace
  const queue: Array<[Ghost, string[]]> = [];
  for (const run of assignments(table.of('run'))) {
    const g: Ghost = { state: ir.initial, raw: new Map(run), seen: new Set(), flags: new Set() };
    if (!seenStates.has(key(g))) { seenStates.set(key(g), []); queue.push([g, []]); }
  }
  while (queue.length > 0) {
    const [g, trace] = queue.shift() as [Ghost, string[]];
    const ctxOf = (each: Map<string, boolean>, gg: Ghost) => ({ raw: (n: string): boolean => each.get(n) ?? gg.raw.get(n) ?? false, seen: (s: string): boolean => gg.seen.has(s) });
    for (const p of props) {
      if (!violated.has(p.name) && p.bad(g, (n) => evalFact(table, n, ctxOf(new Map(), g)))) violated.set(p.name, trace.join(' '));
    }
    if (ir.absorbing.includes(g.state)) continue;
    for (const event of ir.events) {
      const cands = index.get(`${g.state}\u0000${event}`) ?? [];
      for (const carried of assignments(table.carriedBy(event))) {
        for (const each of assignments(eachFacts)) {
          const n: Ghost = { state: g.state, raw: new Map(g.raw), seen: new Set(g.seen), flags: new Set(g.flags) };
          for (const [k, v] of carried) n.raw.set(k, v);
          if (seenSyms.has(`?${event}`)) n.seen.add(`?${event}`);
          const ctx = ctxOf(each, n);
          const taken = cands.find((c) => c.guard === undefined || evalFact(table, c.guard.name, ctx) !== c.guard.negated);
          if (taken === undefined) { n.state = ERROR; }
          else {
            for (const a of taken.actions) {
              const k = keyEffect(a);
              if (k) { for (const x of k.keys) (k.on ? n.flags.add(x) : n.flags.delete(x)); continue; }
              const m = sentMessage(a);
              if (m !== undefined) {
                if (m === 'ApplicationData' && !n.flags.has('k_appWrite')) n.flags.add('bad_send');
                if (m === 'EarlyData' && !n.flags.has('k_earlyWrite')) n.flags.add('bad_send');
                if (m === 'CertificateRequest') n.flags.add('sent_CertificateRequest');
                if (seenSyms.has(`!${m}`)) n.seen.add(`!${m}`);
                continue;
              }
              const ve = verifyEvent(ir, a);
              if (ve !== undefined) n.flags.add(`v_${ve}`);
              if (a === 'deliverApplicationData' && !n.flags.has('k_appRead')) n.flags.add('bad_recv');
              if (a === 'deliverEarlyData' && !n.flags.has('k_earlyRead')) n.flags.add('bad_recv');
            }
            n.state = taken.target;
          }
          const ok = n.state !== ERROR && n.state !== CLOSED;
          if (event === 'Certificate' && ok) {
            n.flags.add('acc_Certificate');
            if (table.names.includes('certificateEmpty') && evalFact(table, 'certificateEmpty', ctx)) n.flags.add('certEmpty'); else n.flags.delete('certEmpty');
          }
          if (event === 'ApplicationData' && ok && !(n.flags.has('k_appRead') || n.flags.has('k_earlyRead'))) n.flags.add('bad_recv');
          const k = key(n);
          if (!seenStates.has(k)) { const t = [...trace, event]; seenStates.set(k, t); queue.push([n, t]); }
        }
      }
    }
  }
  const ms = performance.now() - t0;
  return props.map((p) => ({
    property: p.name, claim: p.claim, holds: !violated.has(p.name),
    detail: violated.has(p.name) ? `violated after events: ${violated.get(p.name) || '(none)'}` : 'holds against any peer',
    states: seenStates.size, ms: ms / props.length,
  }));
}
