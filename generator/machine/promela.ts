// Promela emitter: client x server x network from two MachineIRs and the fact model, for spin.
//
// Shape of the model (read the emitted text alongside):
//  - one proctype per role steps its table: a received message (or a local request) selects the
//    candidates for (state, event), tried in order, the first whose guard holds is taken; its actions
//    run in order (send<M> puts M on the peer's channel; install*/discard* track which keys exist;
//    verify* record evidence), then the state changes. Unlisted events take the state's wildcard edge.
//  - guards are facts (specs/<protocol>/reference/facts.json): `run` facts are chosen once in init,
//    `decided` facts when their event arrives, `each` facts at every step, `carried` facts travel with
//    the message: every message has a payload byte whose bits are the sender's facts of those names.
//  - the network is two bounded FIFO channels; an attacker process with a budget may drop, duplicate,
//    reorder (head to the back), or inject any message type with any payload; an injected message
//    waits on a side channel the receiver reads at any moment, so it can land anywhere in the stream.
//  - ghost flags (evidence, keys, misuse) are globals that the LTL properties read.
//  - mutant hooks: globals read from PROTOSMITH_MUTANT at start (c_code), so one compiled pan runs
//    every single-edge mutant: retarget candidate k, drop candidate k, or redirect the wildcard edge
//    of (state, event). With the variable unset the model is the specs, unchanged.
import type { MachineIR, TransitionIR } from './ir.ts';
import { RoleFactTable, type FactModel } from '../proofs/facts.ts';
import { sentMessage } from '../proofs/project.ts';
import { eventsOf } from '../proofs/facts.ts';

export interface PromelaOptions {
  /** Attacker actions (drop/duplicate/reorder/inject) per run. */
  readonly attackBudget: number;
  /** Local requests (AppWrite, Close, RequestKeyUpdate...) per side, besides starting. */
  readonly localBudget: number;
  readonly channelSize: number;
  /** Local requests the model makes (within localBudget); the start request is always made. */
  readonly localEvents: readonly string[];
  readonly header: string;
}

export const DEFAULT_PROMELA_OPTIONS: Omit<PromelaOptions, 'header'> = { attackBudget: 1, localBudget: 1, channelSize: 6, localEvents: ['AppWrite'] };

/** The claim that conjoins every property (used for mutants: one search each). */
export const ALL_PROPERTIES = 'all_properties';

export interface PromelaProperty {
  readonly name: string;
  readonly claim: string;
  readonly ltl: string;
}

export interface PromelaModel {
  readonly text: string;
  readonly properties: readonly PromelaProperty[];
  readonly roles: readonly RoleIds[];
}

export interface RoleIds {
  readonly role: string;
  readonly prefix: string;
  readonly states: ReadonlyMap<string, number>;
  readonly events: ReadonlyMap<string, number>;
}

/** Messages that a send action puts on the wire under another event name. */
const WIRE_ALIAS: Readonly<Record<string, string>> = { EarlyData: 'ApplicationData' };
/** Sends not modelled: middlebox-compatibility CCS is optional noise (the attacker injects CCS anyway). */
const NOT_SENT = new Set(['ChangeCipherSpec']);

const id = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, '_');

interface Role {
  readonly ir: MachineIR;
  readonly p: string; // variable prefix: cl or sv
  readonly P: string; // constant prefix: C or S
  readonly facts: RoleFactTable;
  readonly chanIn: string;
  readonly chanOut: string;
}

export function emitPromela(client: MachineIR, server: MachineIR, factModel: FactModel, opts: PromelaOptions): PromelaModel {
  const mk = (ir: MachineIR, p: string, P: string, chanIn: string, chanOut: string): Role => ({
    ir, p, P, chanIn, chanOut,
    facts: new RoleFactTable(ir.role, factModel.roles[ir.role]?.guards ?? {}, ir.guards),
  });
  const C = mk(client, 'cl', 'C', 'toC', 'toS');
  const S = mk(server, 'sv', 'S', 'toS', 'toC');
  const roles = [C, S];
  const peerOf = (r: Role): Role => (r === C ? S : C);

  const events: string[] = [];
  for (const r of roles) for (const e of r.ir.events) if (!events.includes(e)) events.push(e);
  const evId = new Map(events.map((e, i) => [e, i + 1]));
  const source = (r: Role, e: string): 'peer' | 'local' => r.ir.eventSources?.[e] ?? (/^(Start|AppWrite|RequestKeyUpdate|Close)$/.test(e) ? 'local' : 'peer');

  // payload bits: facts some role receives as `carried`
  const payloadFacts = [...new Set(roles.flatMap((r) => r.facts.of('carried').filter((n) => r.facts.rules[n]?.carried !== undefined)))].sort();
  if (payloadFacts.length > 8) throw new RangeError('more than 8 carried facts do not fit the payload byte');
  const bit = new Map(payloadFacts.map((n, i) => [n, i]));

  const stateId = (r: Role): Map<string, number> => new Map(r.ir.states.map((s, i) => [s, i]));
  const sc = (r: Role, s: string): string => `${r.P}_${id(s)}`;
  const ev = (e: string): string => `EV_${id(e)}`;

  // which evidence flags exist: verify<...><Event> actions
  const verifyEvent = (r: Role, action: string): string | undefined => {
    if (!action.startsWith('verify')) return undefined;
    const matches = r.ir.events.filter((e) => action.endsWith(e)).sort((a, b) => b.length - a.length);
    return matches[0];
  };
  const evidence = (r: Role): string[] => [...new Set(r.ir.actions.map((a) => verifyEvent(r, a)).filter((e): e is string => e !== undefined))].sort();
  const seenVar = (r: Role, sym: string): string => `${r.p}_seen_${sym.startsWith('!') ? 's' : 'r'}_${id(sym.slice(1))}`;

  const factExpr = (r: Role, name: string, depth = 0): string => {
    if (depth > 8) return '0';
    const rule = r.facts.rules[name];
    const kind = r.facts.kind(name);
    const base = kind === 'seen' ? seenVar(r, rule?.seen as string) : kind === 'each' ? `${r.p}_e_${id(name)}` : kind === 'derived' ? '1' : `${r.p}_f_${id(name)}`;
    const req = (rule?.requires ?? []).map((lit) => (lit.startsWith('!') ? `!${factExpr(r, lit.slice(1), depth + 1)}` : factExpr(r, lit, depth + 1)));
    return req.length === 0 ? base : `(${[base, ...req].join(' && ')})`;
  };
  const factsUsed = (r: Role, name: string, acc = new Set<string>(), depth = 0): Set<string> => {
    if (depth > 8 || acc.has(name)) return acc;
    acc.add(name);
    for (const lit of r.facts.rules[name]?.requires ?? []) factsUsed(r, lit.replace(/^!/, ''), acc, depth + 1);
    return acc;
  };
  const payloadExpr = (r: Role): string => {
    const parts = payloadFacts.filter((n) => r.facts.names.includes(n)).map((n) => `((${factExpr(r, n)}) -> ${1 << (bit.get(n) as number)} : 0)`);
    return parts.length === 0 ? '0' : parts.join(' + ');
  };

  const out: string[] = [];
  const w = (s = ''): void => { out.push(s); };
  w(opts.header);
  w(`/* Client x server x network for spin, from ${client.specFile} and ${server.specFile}`);
  w(`   with the fact model ${factModel.file}. Emitted by generator/machine/promela.ts. */`);
  w();
  w('/* events (messages, records, local requests) */');
  for (const e of events) w(`#define ${ev(e)} ${evId.get(e)}`);
  for (const r of roles) {
    w(`/* ${r.ir.name} states */`);
    for (const [s, i] of stateId(r)) w(`#define ${sc(r, s)} ${i}`);
  }
  w(`#define NONE 255`);
  w(`#define NOMUT -1`);
  w();
  w(`chan toC = [${opts.channelSize}] of { byte, byte };  /* to the client: event, payload (fact bits: ${payloadFacts.map((n, i) => `${i}=${n}`).join(', ') || 'none'}) */`);
  w(`chan toS = [${opts.channelSize}] of { byte, byte };  /* to the server */`);
  w(`chan atk_toC = [1] of { byte, byte };  /* injected by the attacker: read whenever the client reads, so it lands anywhere in the stream */`);
  w(`chan atk_toS = [1] of { byte, byte };`);
  w(`byte atk = ${opts.attackBudget};  /* attacker budget */`);
  w();
  for (const r of roles) {
    w(`/* ${r.ir.role}: state, facts, evidence, keys, misuse flags */`);
    w(`byte ${r.p}_state = ${sc(r, r.ir.initial)};`);
    w(`byte ${r.p}_local = ${opts.localBudget};`);
    for (const n of r.facts.names) {
      const k = r.facts.kind(n);
      if (k === 'run' || k === 'carried') w(`bit ${r.p}_f_${id(n)};  /* ${k === 'run' ? 'run' : r.facts.rules[n]?.carried !== undefined ? `carried by ${r.facts.rules[n]?.carried}` : `decided on ${r.facts.rules[n]?.decided}`} */`);
      if (k === 'each') w(`bit ${r.p}_e_${id(n)};  /* chosen at each step */`);
    }
    const seenSyms = new Set<string>(r.facts.seenSymbols());
    for (const s of ['!CertificateRequest']) seenSyms.add(s);
    for (const s of [...seenSyms].sort()) w(`bit ${seenVar(r, s)};`);
    for (const e of evidence(r)) w(`bit ${r.p}_v_${id(e)};  /* a verify action for ${e} ran */`);
    w(`bit ${r.p}_acc_Certificate; bit ${r.p}_certEmpty;  /* a Certificate was accepted (and was empty) */`);
    w(`byte ${r.p}_rd, ${r.p}_wr;  /* keys in force for reading / writing: 0 none, 1 early, 2 handshake, 3 application */`);
    w(`bit ${r.p}_bad_recv;  /* application data accepted or delivered before its read keys */`);
    w(`bit ${r.p}_undelivered;  /* application data rejected or dropped although its read keys were in force */`);
    w(`bit ${r.p}_bad_send;  /* application data sent before its write keys */`);
    w(`bit ${r.p}_pclosed;  /* the peer's close_notify was taken into a live (half-closed) state: later records are ignored (RFC 8446 §6.1) */`);
    w(`short ${r.p}_mut_k = NOMUT; byte ${r.p}_mut_t; short ${r.p}_mut_drop = NOMUT;`);
    w(`byte ${r.p}_mut_ws = NONE; byte ${r.p}_mut_we = NONE; byte ${r.p}_mut_wt;`);
    w();
  }
  const absorbing = (r: Role): string => r.ir.absorbing.map((s) => `${r.p}_state == ${sc(r, s)}`).join(' || ') || '0';

  // keys in force: K_recv / K_send epochs (0 none, 1 early, 2 handshake, 3 application)
  const EPOCH: Readonly<Record<string, number>> = { Early: 1, Handshake: 2, Application: 3 };
  const keyAction = (r: Role, a: string): string | undefined => {
    const m = /^(install|discard)(Early|Handshake|Application)(Read|Write)?Keys$/.exec(a);
    if (!m) return undefined;
    const e = EPOCH[m[2] as string] as number;
    const dirs = m[3] === undefined ? ['rd', 'wr'] : [m[3] === 'Read' ? 'rd' : 'wr'];
    return dirs.map((d) => (m[1] === 'install' ? `${r.p}_${d} = ${e}` : `if :: ${r.p}_${d} == ${e} -> ${r.p}_${d} = 0 :: else fi`)).join('; ');
  };

  const actionLines = (r: Role, t: TransitionIR, ind: string): string[] => {
    const lines: string[] = [];
    const peer = peerOf(r);
    for (const a of t.actions) {
      const k = keyAction(r, a);
      if (k !== undefined) { lines.push(`${ind}${k};  /* ${a} */`); continue; }
      const sent = sentMessage(a);
      if (sent !== undefined) {
        const wire = WIRE_ALIAS[sent] ?? sent;
        if (wire === 'ApplicationData') {
          const epoch = sent === 'EarlyData' ? 1 : 3;
          lines.push(`${ind}if :: ${r.p}_wr != ${epoch} -> ${r.p}_bad_send = 1 :: else fi;  /* ${a} needs K_send = ${sent === 'EarlyData' ? 'early' : 'application'} */`);
        }
        if (NOT_SENT.has(wire)) { lines.push(`${ind}/* ${a}: not modelled (optional; the attacker injects ${wire}) */`); continue; }
        if (!evId.has(wire) || source(peer, wire) !== 'peer') { lines.push(`${ind}/* ${a}: not an event of the ${peer.ir.role} */`); continue; }
        lines.push(`${ind}${r.chanOut}!${ev(wire)},${payloadExpr(r)};  /* ${a} */`);
        if (r.facts.seenSymbols().includes(`!${sent}`) || sent === 'CertificateRequest') lines.push(`${ind}${seenVar(r, `!${sent}`)} = 1;`);
        continue;
      }
      const ve = verifyEvent(r, a);
      if (ve !== undefined) { lines.push(`${ind}${r.p}_v_${id(ve)} = 1;  /* ${a} */`); continue; }
      if (a === 'deliverApplicationData') { lines.push(`${ind}delivered = 1; if :: ${r.p}_rd != 3 -> ${r.p}_bad_recv = 1 :: else fi;  /* ${a} */`); continue; }
      if (a === 'deliverEarlyData') { lines.push(`${ind}delivered = 1; if :: ${r.p}_rd != 1 -> ${r.p}_bad_recv = 1 :: else fi;  /* ${a} */`); continue; }
      lines.push(`${ind}/* ${a} */`);
    }
    return lines;
  };

  /** Alerts never block: dropped when the channel is full. */
  const sendAlert = (r: Role): string => `if :: nfull(${r.chanOut}) -> ${r.chanOut}!${ev('Alert')},0 :: full(${r.chanOut}) -> skip fi`;

  const tIndex = (r: Role): Map<TransitionIR, number> => new Map(r.ir.transitions.map((t, i) => [t, i]));

  const bodyLines = (r: Role, t: TransitionIR, k: number, ind: string): string[] => {
    const lines: string[] = [];
    const g = t.guard ? ` [${t.guard.negated ? '!' : ''}${t.guard.name}]` : '';
    lines.push(`${ind}/* #${k} ${t.from} --${t.event}${g}--> ${t.target}${t.alert ? ` (alert ${t.alert})` : ''}${t.refuse ? ` (refused: ${t.refuse})` : ''}  ${t.at.file}:${t.at.line}${t.rfc ? `  ${t.rfc}` : ''} */`);
    lines.push(...actionLines(r, t, ind));
    lines.push(`${ind}${r.p}_state = (${r.p}_mut_k == ${k} -> ${r.p}_mut_t : ${sc(r, t.target)});`);
    lines.push(`${ind}printf("@@ ${r.ir.role} ${t.from} --${t.event}${g}--> state %d\\n", ${r.p}_state);  /* trace (replay only) */`);
    if (t.alert !== undefined) lines.push(`${ind}if :: ${r.p}_state == ${sc(r, 'ERROR')} -> ${sendAlert(r)} :: else -> skip fi;  /* alert ${t.alert} */`);
    return lines;
  };

  const rejectLines = (r: Role, ind: string): string[] => [
    `${ind}/* no candidate left (mutant): rejected as a missing table entry */`,
    `${ind}${r.p}_state = ${sc(r, 'ERROR')};`,
    `${ind}${sendAlert(r)};`,
  ];

  const chainLines = (r: Role, cands: TransitionIR[], idx: Map<TransitionIR, number>, ind: string): string[] => {
    const [first, ...rest] = cands;
    if (first === undefined) return rejectLines(r, ind);
    const k = idx.get(first) as number;
    const guard = first.guard ? `${first.guard.negated ? '!' : ''}${factExpr(r, first.guard.name)}` : '1';
    return [
      `${ind}if`,
      `${ind}:: (${guard}) && ${r.p}_mut_drop != ${k} ->`,
      ...bodyLines(r, first, k, `${ind}   `),
      `${ind}:: else ->`,
      ...chainLines(r, rest, idx, `${ind}   `),
      `${ind}fi`,
    ];
  };

  for (const r of roles) {
    const idx = tIndex(r);
    const peer = peerOf(r);
    for (const s of r.ir.states) {
      if (r.ir.absorbing.includes(s)) continue;
      w(`/* ${r.ir.role} in ${s} (one inline per state: spin limits the length of an inline) */`);
      w(`inline ${r.p}_in_${id(s)}(ev) {`);
      w(`      if`);
      const byEvent = new Map<string, TransitionIR[]>();
      for (const t of r.ir.transitions) if (t.from === s) { const l = byEvent.get(t.event) ?? []; l.push(t); byEvent.set(t.event, l); }
      const wild = [...byEvent.values()].filter((l) => l.length === 1 && l[0]?.wildcard === true).map((l) => l[0] as TransitionIR);
      const sig = (t: TransitionIR): string => `${t.target}|${t.actions.join(',')}|${t.alert ?? ''}|${t.guard?.name ?? ''}`;
      const uniformWild = wild.length > 0 && wild.every((t) => sig(t) === sig(wild[0] as TransitionIR));
      for (const [e, cands] of byEvent) {
        if (uniformWild && cands.length === 1 && cands[0]?.wildcard === true) continue;
        w(`      :: ev == ${ev(e)} ->`);
        const each = new Set<string>();
        for (const t of cands) if (t.guard) for (const f of factsUsed(r, t.guard.name)) if (r.facts.kind(f) === 'each') each.add(f);
        for (const f of [...each].sort()) w(`         if :: ${r.p}_e_${id(f)} = 1 :: ${r.p}_e_${id(f)} = 0 fi;`);
        for (const l of chainLines(r, cands, idx, '         ')) w(l);
        if (e === 'Certificate') {
          w(`         if :: ${r.p}_state != ${sc(r, 'ERROR')} && ${r.p}_state != ${sc(r, 'CLOSED')} && !${r.p}_pclosed -> ${r.p}_acc_Certificate = 1; ${r.p}_certEmpty = ${r.facts.names.includes('certificateEmpty') ? factExpr(r, 'certificateEmpty') : '0'} :: else fi;`);
        }
        for (const f of [...each].sort()) w(`         ${r.p}_e_${id(f)} = 0;`);
      }
      if (uniformWild) {
        const t = wild[0] as TransitionIR;
        w(`      :: else ->  /* wildcard: every other event */`);
        for (const l of chainLines(r, [t], new Map(wild.map((x) => [x, -2])), '         ')) w(l);
      } else w(`      :: else -> skip`);
      w(`      fi`);
      w(`}`);
      w();
    }
    w(`/* ${r.ir.role}: one step of the table for event ev (payload pl; local: not from the network) */`);
    w(`inline ${r.p}_step(ev, pl, loc) {`);
    // facts set by the event
    const setters: string[] = [];
    for (const e of r.ir.events) {
      const lines: string[] = [];
      for (const n of r.facts.carriedBy(e)) {
        const rule = r.facts.rules[n];
        const fromMsg = rule?.carried !== undefined && bit.has(n) && peer.facts.names.includes(n);
        if (fromMsg) lines.push(`if :: !loc -> ${r.p}_f_${id(n)} = (pl >> ${bit.get(n)}) & 1 :: else -> if :: ${r.p}_f_${id(n)} = 1 :: ${r.p}_f_${id(n)} = 0 fi fi;  /* ${n} carried */`);
        else lines.push(`if :: ${r.p}_f_${id(n)} = 1 :: ${r.p}_f_${id(n)} = 0 fi;  /* ${n} decided */`);
      }
      if (lines.length > 0) setters.push(`  :: ev == ${ev(e)} -> ${lines.join(' ')}`);
    }
    if (setters.length > 0) {
      w('  if');
      for (const s of setters) w(s);
      w('  :: else');
      w('  fi;');
    }
    w(`  rd0 = ${r.p}_rd; delivered = 0;`);
    w(`  if`);
    w(`  :: ${r.p}_mut_ws == ${r.p}_state && ${r.p}_mut_we == ev -> ${r.p}_state = ${r.p}_mut_wt; printf("@@ ${r.ir.role} mutant edge on event %d --> state %d\\n", ev, ${r.p}_state)  /* mutant: an illegal edge */`);
    w(`  :: else ->`);
    w(`    if`);
    for (const s of r.ir.states) {
      if (r.ir.absorbing.includes(s)) continue;
      w(`    :: ${r.p}_state == ${sc(r, s)} -> ${r.p}_in_${id(s)}(ev)`);
    }
    w(`    :: else -> skip`);
    w(`    fi`);
    w(`  fi;`);
    const seenRecv = r.ir.events.filter((e) => r.facts.seenSymbols().includes(`?${e}`));
    if (seenRecv.length > 0) {
      w(`  /* received messages count as seen after their transition (its guards saw the state before) */`);
      w(`  if`);
      for (const e of seenRecv) w(`  :: ev == ${ev(e)} -> ${seenVar(r, `?${e}`)} = 1`);
      w(`  :: else`);
      w(`  fi;`);
    }
    w(`  if`);
    w(`  :: ev == ${ev('ApplicationData')} && ${r.p}_state != ${sc(r, 'ERROR')} && ${r.p}_state != ${sc(r, 'CLOSED')} && rd0 != 1 && rd0 != 3 -> ${r.p}_bad_recv = 1  /* accepted without read keys */`);
    w(`  :: ev == ${ev('ApplicationData')} && (rd0 == 1 || rd0 == 3) && !${r.p}_pclosed && (!delivered || ${r.p}_state == ${sc(r, 'ERROR')} || ${r.p}_state == ${sc(r, 'CLOSED')}) -> ${r.p}_undelivered = 1`);
    w(`  :: else`);
    w(`  fi;`);
    w(`  if :: ev == ${ev('CloseNotify')} && ${r.p}_state != ${sc(r, 'ERROR')} && ${r.p}_state != ${sc(r, 'CLOSED')} -> ${r.p}_pclosed = 1 :: else fi`);
    w(`}`);
    w();
  }

  for (const r of roles) {
    const local = r.ir.events.filter((e) => source(r, e) === 'local');
    const initialCands = (e: string): TransitionIR[] => r.ir.transitions.filter((t) => t.from === r.ir.initial && t.event === e);
    const starters = local.filter((e) => initialCands(e).some((t) => t.target !== r.ir.initial && t.refuse === undefined && !r.ir.absorbing.includes(t.target)));
    const others = local.filter((e) => !starters.includes(e) && opts.localEvents.includes(e));
    w(`proctype ${r.ir.role === 'client' ? 'Client' : r.ir.role === 'server' ? 'Server' : id(r.ir.role)}() {`);
    w(`  byte ev, pl, rd0; bit loc, delivered;`);
    w(`  do`);
    w(`  :: ${absorbing(r)} -> break  /* absorbing: nothing more happens */`);
    w(`  :: else ->`);
    w(`     atomic {`);
    w(`       if`);
    w(`       :: ${r.chanIn}?ev,pl -> loc = 0`);
    w(`       :: atk_${r.chanIn}?ev,pl -> loc = 0  /* the attacker's message, delivered at any point of the stream */`);
    for (const e of starters) w(`       :: ${r.p}_state == ${sc(r, r.ir.initial)} -> ev = ${ev(e)}; pl = 0; loc = 1  /* starts */`);
    if (others.length > 0) w(`       :: ${r.p}_local > 0 -> ${r.p}_local--; pl = 0; loc = 1; if ${others.map((e) => `:: ev = ${ev(e)} `).join('')}fi`);
    w(`       fi;`);
    w(`       ${r.p}_step(ev, pl, loc); ev = 0; pl = 0; loc = 0; rd0 = 0; delivered = 0`);
    w(`     }`);
    w(`  od`);
    w(`}`);
    w();
  }

  // attacker
  const injectable = (r: Role): string[] => r.ir.events.filter((e) => source(r, e) === 'peer');
  // injected payloads: no fact claimed, or every fact claimed (the two extremes; keeps the space small)
  const payloadChoice = payloadFacts.length === 0 ? 'p = 0' : `if :: p = 0 :: p = ${(1 << payloadFacts.length) - 1} fi`;
  w(`/* The network attacker: each action costs one unit of budget. */`);
  w(`proctype Attacker() {`);
  w(`  byte m, p;`);
  w(`  do`);
  w(`  :: atk > 0 ->`);
  w(`     if`);
  for (const r of roles) {
    const carriers = new Set(r.facts.of('carried').filter((n) => r.facts.rules[n]?.carried !== undefined).flatMap((n) => eventsOf(r.facts.rules[n]?.carried)));
    const plain = injectable(r).filter((e) => !carriers.has(e));
    const withFacts = injectable(r).filter((e) => carriers.has(e));
    if (plain.length > 0) w(`     :: atomic { nfull(atk_${r.chanIn}) -> atk--; if ${plain.map((e) => `:: m = ${ev(e)} `).join('')}fi; atk_${r.chanIn}!m,0; printf("@@ attacker injects event %d for the ${r.ir.role}\\n", m); m = 0 }  /* inject to the ${r.ir.role} */`);
    if (withFacts.length > 0) w(`     :: atomic { nfull(atk_${r.chanIn}) -> atk--; if ${withFacts.map((e) => `:: m = ${ev(e)} `).join('')}fi; ${payloadChoice}; atk_${r.chanIn}!m,p; printf("@@ attacker injects event %d (payload %d) for the ${r.ir.role}\\n", m, p); m = 0; p = 0 }  /* inject a fact-carrying message to the ${r.ir.role} */`);
    w(`     :: atomic { ${r.chanIn}?m,p -> atk--; printf("@@ attacker drops event %d to the ${r.ir.role}\\n", m); m = 0; p = 0 }  /* drop */`);
    w(`     :: atomic { ${r.chanIn}?m,p -> atk--; ${r.chanIn}!m,p; printf("@@ attacker moves event %d to the back for the ${r.ir.role}\\n", m); m = 0; p = 0 }  /* reorder: head to the back */`);
    w(`     :: atomic { ${r.chanIn}?<m,p> -> nfull(${r.chanIn}) -> atk--; ${r.chanIn}!m,p; printf("@@ attacker duplicates event %d for the ${r.ir.role}\\n", m); m = 0; p = 0 }  /* duplicate */`);
  }
  w(`     fi`);
  w(`  :: atk == 0 -> break`);
  w(`  od`);
  w(`}`);
  w();
  w(`init {`);
  w(`  /* PROTOSMITH_MUTANT="role kind a b c": role 0 client / 1 server; kind 0 retarget candidate a to state b,`);
  w(`     1 drop candidate a, 2 redirect (state a, event b) to state c. */`);
  w(`  c_code {`);
  w(`    char *e = getenv("PROTOSMITH_MUTANT"); int r, k, a, b, c;`);
  w(`    if (e && sscanf(e, "%d %d %d %d %d", &r, &k, &a, &b, &c) == 5) {`);
  w(`      if (r == 0 && k == 0) { now.cl_mut_k = a; now.cl_mut_t = b; }`);
  w(`      if (r == 0 && k == 1) { now.cl_mut_drop = a; }`);
  w(`      if (r == 0 && k == 2) { now.cl_mut_ws = a; now.cl_mut_we = b; now.cl_mut_wt = c; }`);
  w(`      if (r == 1 && k == 0) { now.sv_mut_k = a; now.sv_mut_t = b; }`);
  w(`      if (r == 1 && k == 1) { now.sv_mut_drop = a; }`);
  w(`      if (r == 1 && k == 2) { now.sv_mut_ws = a; now.sv_mut_we = b; now.sv_mut_wt = c; }`);
  w(`    }`);
  w(`  };`);
  for (const r of roles) for (const n of r.facts.of('run')) w(`  if :: ${r.p}_f_${id(n)} = 1 :: ${r.p}_f_${id(n)} = 0 fi;  /* ${r.ir.role} policy: ${n} */`);
  w(`  atomic { run Client(); run Server(); run Attacker() }`);
  w(`}`);
  w();

  const props: PromelaProperty[] = [];
  const prop = (name: string, claim: string, ltl: string): void => { props.push({ name, claim, ltl }); };
  const ev0 = (r: Role, e: string): string => (evidence(r).includes(e) ? `${r.p}_v_${id(e)}` : '0');
  prop('client_connected_only_after_server_finished', 'the client reaches CONNECTED only after verifying the server Finished',
    `[] (${C.p}_state != ${sc(C, 'CONNECTED')} || ${ev0(C, 'Finished')})`);
  prop('client_connected_only_after_server_certificate_verify_unless_psk', 'the client reaches CONNECTED only after verifying the server CertificateVerify, unless a PSK was accepted',
    `[] (${C.p}_state != ${sc(C, 'CONNECTED')} || ${ev0(C, 'CertificateVerify')} || ${C.facts.names.includes('pskAccepted') ? factExpr(C, 'pskAccepted') : '0'})`);
  prop('server_connected_only_after_client_finished', 'the server reaches CONNECTED only after verifying the client Finished',
    `[] (${S.p}_state != ${sc(S, 'CONNECTED')} || ${ev0(S, 'Finished')})`);
  prop('server_connected_only_after_client_certificate_when_requested', 'having sent CertificateRequest, the server reaches CONNECTED only after a client Certificate, and its CertificateVerify unless the Certificate was empty',
    `[] (${S.p}_state != ${sc(S, 'CONNECTED')} || !${seenVar(S, '!CertificateRequest')} || (${S.p}_acc_Certificate && (${S.p}_certEmpty || ${ev0(S, 'CertificateVerify')})))`);
  for (const r of roles) {
    prop(`${r.ir.role}_application_data_received_only_with_keys`, `the ${r.ir.role} never accepts or delivers application data before the read keys for it exist`, `[] !${r.p}_bad_recv`);
    prop(`${r.ir.role}_application_data_sent_only_with_keys`, `the ${r.ir.role} never sends application data before the write keys for it exist`, `[] !${r.p}_bad_send`);
    prop(`${r.ir.role}_application_data_delivered_when_keys_exist`, `application data arriving while the ${r.ir.role}'s read keys are early or application keys is delivered, not rejected`, `[] !${r.p}_undelivered`);
  }
  for (const p of props) w(`ltl ${p.name} { ${p.ltl} }`);
  w(`/* every claim at once: one search per mutant */`);
  w(`ltl ${ALL_PROPERTIES} { [] (${props.map((p) => `(${p.ltl.replace(/^\[\]\s*/, '')})`).join(' && ')}) }`);

  const ids: RoleIds[] = roles.map((r) => ({ role: r.ir.role, prefix: r.p, states: stateId(r), events: evId }));
  return { text: `${out.join('\n')}\n`, properties: props, roles: ids };
}
