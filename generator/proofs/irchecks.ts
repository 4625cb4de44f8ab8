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
  /** How it was checked: on the table's shape, edge by edge, or by exploring against any peer. */
  readonly method: 'IR' | 'IR, every edge' | 'IR, any peer';
  readonly claim: string;
  readonly holds: boolean;
  readonly detail: string;
  readonly states: number;
  readonly ms: number;
}

const ERROR = 'ERROR';
const CLOSED = 'CLOSED';
const CONNECTED = 'CONNECTED';

function timed(property: string, claim: string, f: () => { holds: boolean; detail: string; states: number }, method: Verdict['method'] = 'IR'): Verdict {
  const t0 = performance.now();
  const r = f();
  return { property, method, claim, ...r, ms: performance.now() - t0 };
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

/** Rules of RFC 8446 and of the spec conventions that hold edge by edge, checked on every transition. */
export function ruleChecks(ir: MachineIR): Verdict[] {
  const role = ir.role;
  const out: Verdict[] = [];
  const live = ir.transitions.filter((t) => !ir.absorbing.includes(t.from));
  const local = (e: string): boolean => (ir.eventSources?.[e] ?? (/^(Start|AppWrite|RequestKeyUpdate|Close)$/.test(e) ? 'local' : 'peer')) === 'local';
  const at = (t: TransitionIR): string => `${describeT(t)} (${t.at.file}:${t.at.line})`;
  const rule = (name: string, claim: string, bad: (t: TransitionIR) => boolean, scope: readonly TransitionIR[] = live): void => {
    out.push(timed(`${role}_${name}`, claim, () => {
      const offenders = scope.filter(bad);
      return { holds: offenders.length === 0, detail: offenders.length === 0 ? `${scope.length} edges` : offenders.slice(0, 3).map(at).join('; '), states: ir.states.length };
    }, 'IR, every edge'));
  };
  // Post-handshake states: CONNECTED and the half-closed states reached from it (not reachable without it).
  const beforeConnected = reachable(ir, ir.initial, (t) => t.from !== CONNECTED && t.target !== CONNECTED);
  const postHandshake = (s: string): boolean => s === CONNECTED || (!beforeConnected.has(s) && !ir.absorbing.includes(s));
  const handshake = (s: string): boolean => s !== ir.initial && !postHandshake(s) && !ir.absorbing.includes(s);
  const edge = (s: string, e: string): TransitionIR | undefined => ir.transitions.find((u) => u.from === s && u.event === e);
  // Half-closed (RFC 8446 §6.1): after the peer's close_notify this side still writes and Close ends it;
  // after its own close_notify it still reads and the peer's close_notify ends it.
  const peerClosed = (s: string): boolean => postHandshake(s) && s !== CONNECTED && edge(s, 'AppWrite')?.refuse === undefined && edge(s, 'Close')?.target === CLOSED;
  const localClosed = (s: string): boolean => postHandshake(s) && s !== CONNECTED && edge(s, 'AppWrite')?.refuse !== undefined && edge(s, 'CloseNotify')?.target === CLOSED;
  const enteredByCloseNotify = new Set(ir.transitions.filter((t) => t.event === 'CloseNotify' && !ir.absorbing.includes(t.target) && t.target !== t.from).map((t) => t.target));
  rule('no_return_after_connected', `from CONNECTED (and its half-closed states) the ${role} only stays, errs or closes: no renegotiation (RFC 8446 §4.1.2, §4.6)`,
    (t) => postHandshake(t.from) && !postHandshake(t.target) && ![ERROR, CLOSED].includes(t.target));
  rule('reaches_error_only_with_alert', `the ${role} reaches ERROR with an alert unless the peer's alert caused it (spec convention; RFC 8446 §6.2)`,
    (t) => t.target === ERROR && t.alert === undefined && t.event !== 'Alert');
  rule('alert_edges_end_in_error', `every ${role} edge that sends an alert ends in ERROR (RFC 8446 §6.2: fatal alerts close the connection)`,
    (t) => t.alert !== undefined && t.target !== ERROR);
  rule('peer_alert_is_fatal_and_unanswered', `a fatal alert from the peer takes the ${role} to ERROR without a reply (RFC 8446 §6.2)`,
    (t) => t.event === 'Alert' && (t.target !== ERROR || t.alert !== undefined || t.actions.some((a) => sentMessage(a) !== undefined)));
  rule('close_notify_closes', `after the first flight, a close_notify from the peer takes the ${role} to CLOSED, or from CONNECTED to a half-closed state that still writes (RFC 8446 §6.1)`,
    (t) => t.event === 'CloseNotify' && t.from !== ir.initial && !enteredByCloseNotify.has(t.from)
      && (t.alert !== undefined || !(t.target === CLOSED || (t.from === CONNECTED && peerClosed(t.target)))));
  rule('close_request_closes', `the application's Close takes the ${role} to CLOSED from every live state, or from CONNECTED to a half-closed state that sent close_notify and still reads (RFC 8446 §6.1)`,
    (t) => t.event === 'Close' && !(t.target === CLOSED || (t.from === CONNECTED && localClosed(t.target) && t.actions.includes('sendCloseNotify'))));
  rule('nothing_sent_after_own_close_notify', `once the ${role} sent close_notify, no edge sends anything (RFC 8446 §6.1)`,
    (t) => localClosed(t.from) && t.actions.some((a) => sentMessage(a) !== undefined));
  rule('data_after_peer_close_notify_ignored', `after the peer's close_notify the ${role} ignores every record but a fatal alert (RFC 8446 §6.1)`,
    (t) => enteredByCloseNotify.has(t.from) && !local(t.event) && t.event !== 'Alert' && (t.target !== t.from || t.actions.length > 0));
  rule('user_canceled_is_a_warning', `after the first flight, a user_canceled alert never fails the ${role} by itself: it is reported and close_notify ends the connection (RFC 8446 §6.1)`,
    (t) => t.event === 'UserCanceled' && t.from !== ir.initial && t.target === ERROR);
  rule('local_requests_keep_state', `local requests other than Close and the starting request never change the ${role}'s state (they are served or refused in place)`,
    (t) => local(t.event) && t.event !== 'Close' && t.target !== t.from && !(t.from === ir.initial && t.refuse === undefined && !ir.absorbing.includes(t.target) && ir.transitions.some((u) => u.from === ir.initial && u.event === t.event && u.target !== u.from && !u.wildcard)));
  rule('closed_only_by_close_notify_or_close', `the ${role} reaches CLOSED only on a close_notify from the peer or the application's Close (RFC 8446 §6.1)`,
    (t) => t.target === CLOSED && t.event !== 'CloseNotify' && t.event !== 'Close');
  rule('ignores_only_change_cipher_spec', `the only peer record the ${role} silently ignores (same state, no action) is change_cipher_spec (RFC 8446 §5; anything else unexpected is an error), except after the peer's close_notify (§6.1)`,
    (t) => !local(t.event) && t.target === t.from && t.actions.length === 0 && t.event !== 'ChangeCipherSpec' && !enteredByCloseNotify.has(t.from));
  // A stateless retry (§4.2.2, D.4): in the initial state a CCS may lead to a state that accepts no first ClientHello.
  const statelessRetry = (t: TransitionIR): boolean => t.from === ir.initial && t.actions.length === 0 && edge(t.target, 'ClientHello')?.target === ERROR && handshake(t.target);
  rule('change_cipher_spec_ignored_only_during_handshake', `the ${role} drops change_cipher_spec between the first ClientHello and the peer's Finished, and rejects it otherwise, except before a stateless retry's second ClientHello (RFC 8446 §5, §4.2.2, D.4) and after the peer's close_notify (§6.1)`,
    (t) => t.event === 'ChangeCipherSpec' && !enteredByCloseNotify.has(t.from) && (handshake(t.from) ? t.target !== t.from || t.actions.length > 0 : t.target !== ERROR && !statelessRetry(t)));
  const post = role === 'client' ? ['KeyUpdate', 'NewSessionTicket'] : ['KeyUpdate'];
  rule('post_handshake_messages_accepted', `in CONNECTED the ${role} accepts ${post.join(' and ')} (RFC 8446 §4.6), updating read keys on KeyUpdate (§4.6.3)`,
    (t) => t.from === CONNECTED && post.includes(t.event) && (t.target !== CONNECTED || (t.event === 'KeyUpdate' && !t.actions.includes('updateReadKeys'))));
  return out;
}

function describeT(t: TransitionIR): string {
  const g = t.guard ? ` [${t.guard.negated ? '!' : ''}${t.guard.name}]` : '';
  return `${t.from} --${t.event}${g}--> ${t.target}`;
}

/** Ghost flags tracked along a run, as in the Promela model. */
interface Ghost {
  state: string;
  raw: Map<string, boolean>;
  seen: Set<string>;
  flags: Set<string>; // v_<Event>, acc_Certificate, certEmpty, sent_CertificateRequest, bad_recv, bad_send, undelivered
  rd: Epoch; // keys in force for reading (K_recv) and writing (K_send)
  wr: Epoch;
  /** The read protection level in force, in the spec's own vocabulary (meta.readKeys.changes), '' without one. */
  lv: string;
}

export type Epoch = 'none' | 'early' | 'hs' | 'app';

/** install<Epoch>[Read|Write]Keys sets K_recv/K_send (both without a direction); discardEarly*Keys clears early keys. */
export function keyEffect(a: string, rd: Epoch, wr: Epoch): { rd: Epoch; wr: Epoch } | undefined {
  const m = /^(install|discard)(Early|Handshake|Application)(Read|Write)?Keys$/.exec(a);
  if (!m) return undefined;
  const epoch: Epoch = m[2] === 'Early' ? 'early' : m[2] === 'Handshake' ? 'hs' : 'app';
  const read = m[3] !== 'Write';
  const write = m[3] !== 'Read';
  if (m[1] === 'install') return { rd: read ? epoch : rd, wr: write ? epoch : wr };
  return { rd: read && rd === epoch ? 'none' : rd, wr: write && wr === epoch ? 'none' : wr };
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
  const seenSyms = new Set([...table.seenSymbols(), '?HelloRetryRequest', '?EncryptedExtensions']);
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
  if (role === 'client') {
    props.push({ name: 'client_rejects_empty_server_certificate', claim: 'the client never accepts an empty server Certificate (RFC 8446 §4.4.2.4: abort with decode_error)',
      bad: (g) => g.flags.has('accepted_empty_certificate') });
    props.push({ name: 'client_holds_no_early_keys_after_hello_retry_request', claim: 'after a HelloRetryRequest the client holds no early-data write keys (RFC 8446 §4.1.2, §4.2.10: no 0-RTT after HRR)',
      bad: (g) => g.wr === 'early' && g.seen.has('?HelloRetryRequest') && !ir.absorbing.includes(g.state) });
  }
  if (role === 'server') {
    props.push({ name: 'server_negotiates_only_on_a_usable_client_hello', claim: 'the server sends ServerHello only for a ClientHello that needs no (further) retry (RFC 8446 §4.1.4)',
      bad: (g) => g.flags.has('negotiated_on_retry') });
  }
  props.push({ name: `${role}_application_writes_served_while_keys_exist`, claim: `an application write is sent while the ${role} holds application write keys and has not sent close_notify${role === 'client' ? ', or early write keys and 0-RTT is not (yet) rejected' : ''} (RFC 8446 §2.3, §4.2.10)`,
    bad: (g) => g.flags.has('write_refused') });
  props.push({ name: `${role}_sends_nothing_after_its_close_notify`, claim: `once the ${role} sent close_notify it sends nothing more, whatever the peer does (RFC 8446 §6.1)`,
    bad: (g) => g.flags.has('sent_after_close') });
  props.push({ name: `${role}_application_data_received_only_with_keys`, claim: `the ${role} never accepts or delivers application data before the read keys for it exist`, bad: (g) => g.flags.has('bad_recv') });
  props.push({ name: `${role}_application_data_sent_only_with_keys`, claim: `the ${role} never sends application data before the write keys for it exist`, bad: (g) => g.flags.has('bad_send') });
  props.push({ name: `${role}_application_data_delivered_when_keys_exist`, claim: `application data arriving while the ${role}'s read keys are early or application keys is delivered, not rejected (until the peer's close_notify, after which it is ignored)`, bad: (g) => g.flags.has('undelivered') });

  // Record protection (spec meta.readKeys): each state's declared level must be the one the actions on
  // every path into it left in force; the compat CCS at most once; skipping unreadable records only
  // where early data was offered and not accepted.
  const rk = ir.readKeys;
  const startLevel = rk === undefined ? '' : Object.keys(rk.levels).find((l) => rk.levels[l]?.protected === false) ?? '(none unprotected)';
  if (rk !== undefined) {
    props.push({ name: `${role}_read_keys_match_the_table`, claim: `in every state the ${role} reaches, whatever the peer does, the record protection the table names for it (meta.readKeys, which the record layer enforces) is the one the key actions on the path left in force (${Object.keys(rk.changes).join(', ')}; RFC 8446 §5, §5.1)`,
      bad: (g) => !ir.absorbing.includes(g.state) && rk.states[g.state] !== g.lv });
    const skipping = Object.entries(rk.skip);
    if (skipping.length > 0) {
      props.push({ name: `${role}_skips_unreadable_records_only_for_rejected_early_data`, claim: `the ${role} skips a record it cannot read (${skipping.map(([s, g]) => `${s} while ${g}`).join(', ')}) only when early data was offered and not accepted, and never where it reads early or application data (RFC 8446 §4.2.10)`,
        bad: (g, f) => {
          const guard = rk.skip[g.state];
          if (guard === undefined || ir.absorbing.includes(g.state) || !f(guard)) return false;
          return g.lv === 'early' || g.lv === 'application' || !(table.names.includes('earlyDataOffered') && f('earlyDataOffered')) || (table.names.includes('earlyDataAccepted') && f('earlyDataAccepted'));
        } });
    }
  }
  if (ir.actions.includes('sendChangeCipherSpec')) {
    props.push({ name: `${role}_change_cipher_spec_sent_at_most_once`, claim: `the ${role} sends the middlebox-compatibility change_cipher_spec at most once per connection, whatever the peer does (RFC 8446 Appendix D.4): no path names sendChangeCipherSpec twice, so the engine keeps no "already sent" flag`,
      bad: (g) => g.flags.has('ccs_twice') });
  }

  const key = (g: Ghost): string => `${g.state}|${g.lv}|${g.rd}|${g.wr}|${[...g.raw].filter(([, v]) => v).map(([k]) => k).sort().join(',')}|${[...g.seen].sort().join(',')}|${[...g.flags].sort().join(',')}`;
  const violated = new Map<string, string>();
  const seenStates = new Map<string, string[]>(); // key -> trace
  const queue: Array<[Ghost, string[]]> = [];
  for (const run of assignments(table.of('run'))) {
    const g: Ghost = { state: ir.initial, raw: new Map(run), seen: new Set(), flags: new Set(), rd: 'none', wr: 'none', lv: startLevel };
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
          const n: Ghost = { state: g.state, raw: new Map(g.raw), seen: new Set(g.seen), flags: new Set(g.flags), rd: g.rd, wr: g.wr, lv: g.lv };
          for (const [k, v] of carried) n.raw.set(k, v);
          const ctx = ctxOf(each, n);
          const taken = cands.find((c) => c.guard === undefined || evalFact(table, c.guard.name, ctx) !== c.guard.negated);
          if (seenSyms.has(`?${event}`)) n.seen.add(`?${event}`);
          const rd0 = n.rd;
          const wr0 = n.wr;
          const earlyRejected = n.seen.has('?EncryptedExtensions') && !(table.names.includes('earlyDataAccepted') && evalFact(table, 'earlyDataAccepted', ctx));
          let delivered = false;
          if (taken === undefined) { n.state = ERROR; }
          else {
            for (const a of taken.actions) {
              const level = rk?.changes[a];
              if (level !== undefined) n.lv = level;
              const k = keyEffect(a, n.rd, n.wr);
              if (k) { n.rd = k.rd; n.wr = k.wr; continue; }
              const m = sentMessage(a);
              if (m !== undefined) {
                if (n.flags.has('sent_CloseNotify')) n.flags.add('sent_after_close');
                if (m === 'ApplicationData' && n.wr !== 'app') n.flags.add('bad_send');
                if (m === 'EarlyData' && n.wr !== 'early') n.flags.add('bad_send');
                if (m === 'CertificateRequest') n.flags.add('sent_CertificateRequest');
                if (m === 'CloseNotify') n.flags.add('sent_CloseNotify');
                if (m === 'ChangeCipherSpec') n.flags.add(n.flags.has('sent_ChangeCipherSpec') ? 'ccs_twice' : 'sent_ChangeCipherSpec');
                if (m === 'ServerHello' && table.names.includes('helloRetryRequired') && evalFact(table, 'helloRetryRequired', ctx)) n.flags.add('negotiated_on_retry');
                if (seenSyms.has(`!${m}`)) n.seen.add(`!${m}`);
                continue;
              }
              const ve = verifyEvent(ir, a);
              if (ve !== undefined) n.flags.add(`v_${ve}`);
              if (a === 'deliverApplicationData') { delivered = true; if (n.rd !== 'app') n.flags.add('bad_recv'); }
              if (a === 'deliverEarlyData') { delivered = true; if (n.rd !== 'early') n.flags.add('bad_recv'); }
            }
            n.state = taken.target;
          }
          const ok = n.state !== ERROR && n.state !== CLOSED;
          if (event === 'CloseNotify' && ok) n.flags.add('peer_closed');
          if (event === 'AppWrite' && !ir.absorbing.includes(g.state)) {
            const sends = (taken?.actions ?? []).map((a) => sentMessage(a));
            if (wr0 === 'app' && !sends.includes('ApplicationData') && !g.flags.has('sent_CloseNotify')) n.flags.add('write_refused');
            if (wr0 === 'early' && !earlyRejected && !g.seen.has('?HelloRetryRequest') && !sends.includes('EarlyData')) n.flags.add('write_refused');
          }
          if (event === 'Certificate' && ok && !g.flags.has('peer_closed')) {
            n.flags.add('acc_Certificate');
            if (table.names.includes('certificateEmpty') && evalFact(table, 'certificateEmpty', ctx)) {
              n.flags.add('certEmpty');
              if (role === 'client') n.flags.add('accepted_empty_certificate');
            } else n.flags.delete('certEmpty');
          }
          if (event === 'ApplicationData' && ok && rd0 !== 'app' && rd0 !== 'early') n.flags.add('bad_recv');
          if (event === 'ApplicationData' && (rd0 === 'app' || rd0 === 'early') && (!ok || !delivered) && !g.flags.has('peer_closed')) n.flags.add('undelivered');
          const k = key(n);
          if (!seenStates.has(k)) { const t = [...trace, event]; seenStates.set(k, t); queue.push([n, t]); }
        }
      }
    }
  }
  const ms = performance.now() - t0;
  return props.map((p) => ({
    property: p.name, method: 'IR, any peer' as const, claim: p.claim, holds: !violated.has(p.name),
    detail: violated.has(p.name) ? `violated after events: ${violated.get(p.name) || '(none)'}` : 'holds against any peer',
    states: seenStates.size, ms: ms / props.length,
  }));
}
