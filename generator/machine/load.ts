// The machine loader: an xstate v5 config in pure JSON (specs/<protocol>/machines/<role>.json) →
// validation passes (each returns problems with file:line and a spec path) → a frozen MachineIR.
//
// The JSON is parsed with the `yaml` package (JSON is YAML) and a LineCounter, so every node of the
// spec keeps its line. Passes never throw on bad input: they report problems. `loadMachine` turns
// error-severity problems into a MachineSpecError; `loadMachineSpec` returns them for tooling and tests.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import type { MachineIR, SpecLocation, TransitionIR } from './ir.ts';
import { ALERT_NAMES } from './alerts.ts';

export interface Problem {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number;
  /** Path into the spec, e.g. states.WAIT_CERT.on.Finished[1] */
  readonly specPath: string;
  readonly message: string;
  readonly hint?: string;
}

/** `file:line: severity: message (at specPath)` plus an indented hint line. One problem, one or two lines. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.severity}: ${p.message} (at ${p.specPath})${p.hint ? `\n  hint: ${p.hint}` : ''}`;
}

/** The spec has errors; `problems` holds all of them (and the warnings). */
export class MachineSpecError extends Error {
  readonly code = 'MACHINE_SPEC_INVALID';
  readonly blame = 'config' as const;
  readonly problems: readonly Problem[];
  constructor(file: string, problems: readonly Problem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(`${file}: ${errors.length} error(s) in machine spec:\n${errors.map(formatProblem).join('\n')}`);
    this.name = 'MachineSpecError';
    this.problems = problems;
  }
}

const CANDIDATE_KEYS = new Set(['target', 'guard', 'actions', 'meta', 'description', 'reenter']);
const CANDIDATE_META_KEYS = new Set(['rfc', 'alert', 'refuse', 'comment']);
const STATE_KEYS = new Set(['on', 'type', 'description', 'meta']);
const TOP_KEYS = new Set(['$comment', 'id', 'initial', 'meta', 'states', 'description']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Candidate {
  readonly raw: Obj;
  readonly path: string;
}

/** Parsed spec with a line for every node path. */
class SpecSource {
  readonly lines = new Map<string, number>();
  constructor(readonly file: string) {}
  lineOf(path: string): number {
    let p = path;
    for (;;) {
      const l = this.lines.get(p);
      if (l !== undefined) return l;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) return this.lines.get('') ?? 1;
      p = p.slice(0, cut);
    }
  }
}

const keyPath = (base: string, key: string): string => (base === '' ? key : `${base}.${key}`);

function indexLines(node: YamlNode | null | undefined, path: string, lc: LineCounter, src: SpecSource): void {
  if (node === null || node === undefined) return;
  const at = node.range?.[0];
  if (at !== undefined && !src.lines.has(path)) src.lines.set(path, lc.linePos(at).line);
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const p = keyPath(path, k);
      const kAt = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      if (kAt !== undefined) src.lines.set(p, lc.linePos(kAt).line);
      indexLines(pair.value as YamlNode | null, p, lc, src);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => indexLines(item as YamlNode | null, `${path}[${i}]`, lc, src));
  }
}

/** Loads and validates; never throws for bad spec content (I/O errors do throw). */
export function loadMachineSpec(root: string, file: string): { ir: MachineIR | undefined; problems: Problem[] } {
  const abs = isAbsolute(file) ? file : join(root, file);
  const rel = relative(root, abs).split('\\').join('/');
  return loadMachineText(readFileSync(abs, 'utf8'), rel.startsWith('..') ? abs : rel);
}

/** Loads a spec or throws MachineSpecError listing every error. */
export function loadMachine(root: string, file: string): MachineIR {
  const { ir, problems } = loadMachineSpec(root, file);
  if (ir === undefined || problems.some((p) => p.severity === 'error')) throw new MachineSpecError(file, problems);
  return ir;
}

/** `file` is used in messages and as MachineIR.specFile. */
export function loadMachineText(text: string, file: string): { ir: MachineIR | undefined; problems: Problem[] } {
  const src = new SpecSource(file);
  const problems: Problem[] = [];
  const report = (severity: Problem['severity'], specPath: string, message: string, hint?: string, line?: number): void => {
    const l = line ?? src.lineOf(specPath);
    if (problems.some((p) => p.line === l && p.message === message)) return;
    problems.push({ severity, file, line: line ?? src.lineOf(specPath), specPath: specPath === '' ? '(root)' : specPath, message, ...(hint ? { hint } : {}) });
  };
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  for (const e of doc.errors) {
    const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line;
    report('error', '', `not valid JSON: ${e.message.split('\n')[0]}`, 'the spec must be one JSON object (an xstate v5 config)', line);
  }
  if (doc.errors.length > 0) return { ir: undefined, problems };
  indexLines(doc.contents as YamlNode | null, '', lc, src);
  const spec = doc.toJS() as Json;
  if (!isObj(spec)) {
    report('error', '', 'the spec is not a JSON object', 'write an xstate v5 machine config: { "id", "initial", "meta", "states" }');
    return { ir: undefined, problems };
  }
  const ir = validate(spec, src, report);
  return { ir: problems.some((p) => p.severity === 'error') ? undefined : ir, problems };
}

type Report = (severity: Problem['severity'], specPath: string, message: string, hint?: string) => void;

function validate(spec: Obj, src: SpecSource, report: Report): MachineIR | undefined {
  // ---- pass: shape of the top level and of meta
  for (const k of Object.keys(spec)) if (!TOP_KEYS.has(k)) report('error', k, `unknown top-level key '${k}'`, `allowed: ${[...TOP_KEYS].join(', ')}`);
  const meta = spec.meta;
  const states = spec.states;
  if (!isObj(meta)) { report('error', 'meta', "missing 'meta' object", "meta holds protocol, role, and the declared events, guards and actions"); return undefined; }
  if (!isObj(states)) { report('error', 'states', "missing 'states' object"); return undefined; }
  const protocol = typeof meta.protocol === 'string' ? meta.protocol : undefined;
  const role = typeof meta.role === 'string' ? meta.role : undefined;
  if (protocol === undefined) report('error', 'meta', "meta.protocol must be a string, e.g. 'tls13'");
  if (role === undefined) report('error', 'meta', "meta.role must be a string, e.g. 'client'");

  // Null-prototype maps: a spec naming an event or guard 'constructor' or '__proto__' must not match Object's members.
  const eventSources: Record<string, 'peer' | 'local'> = Object.create(null) as Record<string, 'peer' | 'local'>;
  const eventDocs: Record<string, string> = Object.create(null) as Record<string, string>;
  const eventMessages: Record<string, string> = Object.create(null) as Record<string, string>;
  const transcriptEvents: string[] = [];
  if (!isObj(meta.events)) report('error', 'meta.events', 'meta.events must map each event name to { "source": "peer" | "local" }');
  else for (const [name, e] of Object.entries(meta.events)) {
    const p = `meta.events.${name}`;
    if (name === '*') { report('error', p, "'*' is not an event name"); continue; }
    if (!isObj(e) || (e.source !== 'peer' && e.source !== 'local')) { report('error', p, `event '${name}' needs "source": "peer" or "local"`, 'peer: a received message or record; local: an application request'); continue; }
    eventSources[name] = e.source;
    eventDocs[name] = typeof e.description === 'string' ? e.description : '';
    if (e.message !== undefined) {
      if (typeof e.message !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(e.message)) report('error', `${p}.message`, `"message" of event '${name}' must name a message (UpperCamelCase), e.g. "ClientHello"`);
      else if (e.message !== name) eventMessages[name] = e.message;
    }
    if (e.transcript !== undefined && typeof e.transcript !== 'boolean') report('error', `${p}.transcript`, `"transcript" of event '${name}' must be true or false`);
    if (e.transcript === true) {
      if (e.source !== 'peer') report('error', `${p}.transcript`, `only a received message enters the transcript; '${name}' is a local request`);
      else transcriptEvents.push(name);
    }
  }
  const declared = (key: 'guards' | 'actions'): Record<string, string> => {
    const o = meta[key];
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    if (o === undefined) return out;
    if (!isObj(o)) { report('error', `meta.${key}`, `meta.${key} must map each ${key.slice(0, -1)} name to a one-line description`); return out; }
    for (const [n, d] of Object.entries(o)) {
      if (!/^[a-z][A-Za-z0-9]*$/.test(n)) report('error', `meta.${key}.${n}`, `${key.slice(0, -1)} name '${n}' is not a lowerCamelCase identifier`);
      if (typeof d !== 'string') report('error', `meta.${key}.${n}`, `the description of '${n}' must be a string`);
      out[n] = typeof d === 'string' ? d : '';
    }
    return out;
  };
  // The alert/error vocabulary: a spec may declare its own (meta.alerts: name -> description);
  // without one it speaks TLS (RFC 8446 §6 alert descriptions).
  let alertNames: readonly string[] = ALERT_NAMES;
  if (meta.alerts !== undefined) {
    if (!isObj(meta.alerts) || Object.keys(meta.alerts).length === 0) report('error', 'meta.alerts', 'meta.alerts must map each alert (error) name of this protocol to a one-line description', 'omit meta.alerts to use the TLS alert names of RFC 8446 §6');
    else {
      for (const [n, d] of Object.entries(meta.alerts)) {
        if (!/^[a-z][a-z0-9_]*$/.test(n)) report('error', `meta.alerts.${n}`, `alert name '${n}' is not a snake_case identifier`);
        if (typeof d !== 'string') report('error', `meta.alerts.${n}`, `the description of alert '${n}' must be a string`);
      }
      alertNames = Object.keys(meta.alerts);
    }
  }
  const guardDocs = declared('guards');
  const actionDocs = declared('actions');
  const events = Object.keys(eventSources);

  // Record protection (meta.readKeys): the levels of protection the peer's records may carry, the
  // actions that change the level, and the alert for a record under the wrong one. Each live state
  // names its level (states.<S>.meta.readKeys); `prove` checks the names against the actions on every path.
  const rkLevels: Record<string, { protected: boolean; description: string }> = Object.create(null) as Record<string, { protected: boolean; description: string }>;
  const rkChanges: Record<string, string> = Object.create(null) as Record<string, string>;
  let rkAlert: string | undefined;
  let rkRfc: string | undefined;
  const rk = meta.readKeys;
  if (rk !== undefined) {
    if (!isObj(rk)) report('error', 'meta.readKeys', 'meta.readKeys must be an object { "levels", "changes", "alert" }');
    else {
      for (const k of Object.keys(rk)) if (!['description', 'levels', 'changes', 'alert', 'rfc'].includes(k)) report('error', `meta.readKeys.${k}`, `unknown key '${k}' in meta.readKeys`, 'allowed: description, levels, changes, alert, rfc');
      if (!isObj(rk.levels) || Object.keys(rk.levels).length === 0) report('error', 'meta.readKeys.levels', 'meta.readKeys.levels must map each protection level to { "protected": true|false, "description": "..." }');
      else for (const [n, l] of Object.entries(rk.levels)) {
        if (!/^[a-z][A-Za-z0-9]*$/.test(n)) report('error', `meta.readKeys.levels.${n}`, `level name '${n}' is not a lowerCamelCase identifier`);
        if (!isObj(l) || typeof l.protected !== 'boolean') { report('error', `meta.readKeys.levels.${n}`, `level '${n}' must be { "protected": true|false, "description": "..." }`); continue; }
        rkLevels[n] = { protected: l.protected, description: typeof l.description === 'string' ? l.description : '' };
      }
      if (!isObj(rk.changes)) report('error', 'meta.readKeys.changes', 'meta.readKeys.changes must map each action that changes the read keys to the level it leaves in force');
      else for (const [a, l] of Object.entries(rk.changes)) {
        if (actionDocs[a] === undefined) report('error', `meta.readKeys.changes.${a}`, `action '${a}' is not declared in meta.actions`, hintName(a, Object.keys(actionDocs)));
        if (typeof l !== 'string' || rkLevels[l] === undefined) report('error', `meta.readKeys.changes.${a}`, `unknown level '${String(l)}'`, hintName(String(l), Object.keys(rkLevels)) ?? `declared: ${Object.keys(rkLevels).join(', ')}`);
        else rkChanges[a] = l;
      }
      if (typeof rk.alert !== 'string' || !alertNames.includes(rk.alert)) report('error', 'meta.readKeys.alert', `unknown alert name '${String(rk.alert)}'`, 'the alert for a record under the wrong protection, e.g. unexpected_message');
      else rkAlert = rk.alert;
      if (rk.rfc !== undefined && typeof rk.rfc !== 'string') report('error', 'meta.readKeys.rfc', 'meta.readKeys.rfc must be a string');
      else rkRfc = rk.rfc;
    }
  }
  const rkStates: Record<string, string> = Object.create(null) as Record<string, string>;
  const rkSkip: Record<string, string> = Object.create(null) as Record<string, string>;

  // ---- pass: states, targets, events, guards, actions, alerts, refusals
  const stateNames = Object.keys(states);
  const stateSet = new Set(stateNames);
  const initial = spec.initial;
  if (typeof initial !== 'string') report('error', 'initial', "missing 'initial' state name");
  else if (!stateSet.has(initial)) report('error', 'initial', `initial state '${initial}' is not declared`, hintName(initial, stateNames));

  const absorbing: string[] = [];
  const stateDocs: Record<string, string> = {};
  const stateAt: Record<string, SpecLocation> = {};
  const usedGuards = new Set<string>();
  const usedActions = new Set<string>();
  const byState = new Map<string, Map<string, Candidate[]>>();
  for (const s of stateNames) {
    const sp = `states.${s}`;
    const st = states[s];
    stateAt[s] = { file: src.file, line: src.lineOf(sp), path: sp };
    if (!isObj(st)) { report('error', sp, `state '${s}' must be an object`); continue; }
    for (const k of Object.keys(st)) {
      if (k === 'states' || k === 'initial') report('error', `${sp}.${k}`, `state '${s}' is compound: nested states are not supported`, 'keep machines flat; name the combination as its own state');
      else if (!STATE_KEYS.has(k)) report('error', `${sp}.${k}`, `unknown key '${k}' in state '${s}'`, `allowed: ${[...STATE_KEYS].join(', ')}`);
    }
    stateDocs[s] = typeof st.description === 'string' ? st.description : '';
    const isFinal = st.type === 'final';
    if (st.type !== undefined && !isFinal) report('error', `${sp}.type`, `state type '${String(st.type)}' is not supported`, "only 'final' (an absorbing sink such as ERROR or CLOSED)");
    if (isFinal) {
      absorbing.push(s);
      if (st.on !== undefined) report('error', `${sp}.on`, `absorbing state '${s}' must not have transitions`, 'a final state absorbs every event');
      continue;
    }
    const sm = isObj(st.meta) ? st.meta : {};
    if (st.meta !== undefined && !isObj(st.meta)) report('error', `${sp}.meta`, 'state meta must be an object');
    if (rk !== undefined) {
      if (typeof sm.readKeys !== 'string' || rkLevels[sm.readKeys] === undefined) report('error', `${sp}.meta.readKeys`, `state '${s}' must name the protection of the peer's records here (meta.readKeys)`, hintName(String(sm.readKeys), Object.keys(rkLevels)) ?? `one of: ${Object.keys(rkLevels).join(', ')}`);
      else rkStates[s] = sm.readKeys;
    } else if (sm.readKeys !== undefined) report('error', `${sp}.meta.readKeys`, 'meta.readKeys in a state needs the levels declared in the top-level meta.readKeys');
    if (sm.skipUndecryptable !== undefined) {
      if (typeof sm.skipUndecryptable !== 'string' || guardDocs[sm.skipUndecryptable] === undefined) report('error', `${sp}.meta.skipUndecryptable`, `guard '${String(sm.skipUndecryptable)}' is not declared in meta.guards`, hintName(String(sm.skipUndecryptable), Object.keys(guardDocs)));
      else { rkSkip[s] = sm.skipUndecryptable; usedGuards.add(sm.skipUndecryptable); }
      if (rk === undefined) report('error', `${sp}.meta.skipUndecryptable`, 'skipping records needs the levels declared in the top-level meta.readKeys');
    }
    const on = st.on;
    const table = new Map<string, Candidate[]>();
    byState.set(s, table);
    if (!isObj(on)) { report('error', sp, `state '${s}' has no 'on' transitions`, "add transitions, or make it { \"type\": \"final\" } if it is a sink"); continue; }
    for (const [ev, v] of Object.entries(on)) {
      const ep = `${sp}.on.${ev}`;
      if (ev !== '*' && eventSources[ev] === undefined) report('error', ep, `event '${ev}' is not in the event list (meta.events)`, hintName(ev, events) ?? 'declare it in meta.events');
      const list: Candidate[] = [];
      const raws = Array.isArray(v) ? v : [v];
      if (Array.isArray(v) && v.length === 0) report('error', ep, `event '${ev}' has an empty candidate list`);
      raws.forEach((c, i) => {
        const cp = Array.isArray(v) ? `${ep}[${i}]` : ep;
        if (typeof c === 'string') { report('error', cp, `transition written as a bare target '${c}'`, 'write { "target": "..." , "meta": { "rfc": "..." } }'); return; }
        if (!isObj(c)) { report('error', cp, 'a transition must be an object'); return; }
        list.push({ raw: c, path: cp });
      });
      table.set(ev, list);
      for (const { raw: c, path: cp } of list) {
        for (const k of Object.keys(c)) if (!CANDIDATE_KEYS.has(k)) report('error', `${cp}.${k}`, `unknown key '${k}' in transition`, `allowed: ${[...CANDIDATE_KEYS].join(', ')}`);
        const cm = isObj(c.meta) ? c.meta : {};
        if (c.meta !== undefined && !isObj(c.meta)) report('error', `${cp}.meta`, 'transition meta must be an object');
        for (const k of Object.keys(cm)) if (!CANDIDATE_META_KEYS.has(k)) report('error', `${cp}.meta.${k}`, `unknown key '${k}' in transition meta`, `allowed: ${[...CANDIDATE_META_KEYS].join(', ')}`);
        if (c.target !== undefined) {
          if (typeof c.target !== 'string') report('error', `${cp}.target`, 'target must be a state name (a string)', 'multiple or nested targets are not supported');
          else if (!stateSet.has(c.target)) report('error', `${cp}.target`, `unknown target state '${c.target}'`, hintName(c.target, stateNames));
        }
        if (c.guard !== undefined) {
          if (typeof c.guard !== 'string') report('error', `${cp}.guard`, 'unnamed guard: a guard must be the name of a declared guard (a string)', "no inline or composite guards ({ type: 'not' } …): put the negated case in an unguarded candidate after the guarded one");
          else { usedGuards.add(c.guard); if (guardDocs[c.guard] === undefined) report('error', `${cp}.guard`, `guard '${c.guard}' is not declared in meta.guards`, hintName(c.guard, Object.keys(guardDocs)) ?? 'declare it with a one-line description'); }
        }
        if (c.actions !== undefined) {
          if (!Array.isArray(c.actions)) report('error', `${cp}.actions`, 'actions must be a list of action names');
          else c.actions.forEach((a, i) => {
            if (typeof a !== 'string') { report('error', `${cp}.actions[${i}]`, 'unnamed action: an action must be the name of a declared action (a string)'); return; }
            usedActions.add(a);
            if (actionDocs[a] === undefined) report('error', `${cp}.actions[${i}]`, `action '${a}' is not declared in meta.actions`, hintName(a, Object.keys(actionDocs)) ?? 'declare it with a one-line description');
          });
        }
        if (cm.alert !== undefined) {
          if (typeof cm.alert !== 'string' || !alertNames.includes(cm.alert)) report('error', `${cp}.meta.alert`, `unknown alert name '${String(cm.alert)}'`, hintName(String(cm.alert), alertNames) ?? (alertNames === ALERT_NAMES ? 'use an RFC 8446 §6 alert description, e.g. unexpected_message, or declare the protocol\'s own in meta.alerts' : `declare it in meta.alerts (declared: ${alertNames.join(', ')})`));
          else if (typeof c.target === 'string' && stateSet.has(c.target) && !isAbsorbingSpec(states, c.target)) report('error', `${cp}.meta.alert`, `transition sends alert '${cm.alert}' but goes to '${c.target}', which is not an absorbing state`, 'an alert ends the connection: target ERROR');
        }
        if (cm.rfc !== undefined && typeof cm.rfc !== 'string') report('error', `${cp}.meta.rfc`, 'meta.rfc must be a string such as "RFC 8446 §4.4.4"');
        if (cm.refuse !== undefined) {
          if (typeof cm.refuse !== 'string') report('error', `${cp}.meta.refuse`, 'meta.refuse must be a reason string such as "handshake_not_complete"');
          if (c.target !== undefined && c.target !== s) report('error', `${cp}.meta.refuse`, 'a refused request keeps the state: remove the target');
          if (Array.isArray(c.actions) && c.actions.length > 0) report('error', `${cp}.meta.refuse`, 'a refused request runs no actions');
          if (ev === '*' || eventSources[ev] === 'peer') report('error', `${cp}.meta.refuse`, `only local requests can be refused; '${ev}' comes from the peer`, 'route an unexpected peer event to ERROR with an alert');
        }
        if (typeof c.target === 'string' && c.target === 'ERROR' && cm.alert === undefined && ev !== 'Alert') report('warning', cp, `transition to ERROR on '${ev}' sends no alert`, 'name the alert in meta.alert');
      }
      if (ev === '*') for (const { raw: c, path: cp } of list) {
        if (c.guard !== undefined) report('error', `${cp}.guard`, 'the wildcard transition must not be guarded');
        if (!isObj(c.meta) || c.meta.alert === undefined) report('error', cp, 'the wildcard transition must name the alert it sends (meta.alert)', 'e.g. { "target": "ERROR", "meta": { "alert": "unexpected_message" } }');
      }
      // ---- pass: determinism (xstate takes the first candidate whose guard holds)
      let unguardedAt: string | undefined;
      for (const { raw: c, path: cp } of list) {
        if (c.guard === undefined) {
          if (unguardedAt !== undefined) report('error', cp, `nondeterministic: two unguarded transitions for '${ev}' in '${s}'`, `the first one (${unguardedAt}) always wins; guard it or remove one`);
          else unguardedAt = cp;
        } else if (unguardedAt !== undefined) {
          report('error', cp, `guarded transition after the unguarded one (${unguardedAt}) is never taken`, 'order candidates: guarded ones first, the unguarded fallback last');
        }
      }
      if (list.length > 0 && unguardedAt === undefined && ev !== '*') {
        report('error', ep, `every transition for '${ev}' in '${s}' is guarded: no fallback when no guard holds`, 'add an unguarded candidate last (often to ERROR with an alert, or a refusal)');
      }
    }
    // ---- pass: completeness (every state handles every event)
    const hasWild = table.has('*');
    for (const ev of events) {
      if (table.has(ev)) continue;
      if (!hasWild) report('error', `${sp}.on`, `state '${s}' does not handle event '${ev}' and has no wildcard ('*')`, `add "${ev}": {...} or "*": { "target": "ERROR", "meta": { "alert": "unexpected_message" } }`);
      else if (eventSources[ev] === 'local') report('error', `${sp}.on`, `local event '${ev}' would fall into the wildcard of '${s}' (an alert to the peer for a local request)`, `handle it explicitly: a transition, or a refusal "${ev}": { "meta": { "refuse": "<reason>" } }`);
    }
  }
  // ---- pass: reachability and unused declarations (warnings)
  if (typeof initial === 'string' && stateSet.has(initial)) {
    const seen = new Set<string>([initial]);
    const todo = [initial];
    while (todo.length > 0) {
      const s = todo.pop()!;
      for (const list of byState.get(s)?.values() ?? []) for (const { raw } of list) {
        const tg = typeof raw.target === 'string' ? raw.target : undefined;
        if (tg !== undefined && stateSet.has(tg) && !seen.has(tg)) { seen.add(tg); todo.push(tg); }
      }
    }
    for (const s of stateNames) if (!seen.has(s)) report('warning', `states.${s}`, `state '${s}' is unreachable from '${initial}'`);
  }
  for (const gd of Object.keys(guardDocs)) if (!usedGuards.has(gd)) report('warning', `meta.guards.${gd}`, `guard '${gd}' is declared but never used`);
  for (const a of Object.keys(actionDocs)) if (!usedActions.has(a)) report('warning', `meta.actions.${a}`, `action '${a}' is declared but never used`);
  if (absorbing.length === 0) report('error', 'states', 'no absorbing state', 'declare ERROR (and CLOSED) as { "type": "final" }');

  if (protocol === undefined || role === undefined || typeof initial !== 'string') return undefined;
  // ---- build the IR (only meaningful when no errors; the caller drops it otherwise)
  const transitions: TransitionIR[] = [];
  const at = (path: string): SpecLocation => ({ file: src.file, line: src.lineOf(path), path });
  for (const s of stateNames) {
    if (absorbing.includes(s)) {
      for (const ev of events) transitions.push({ from: s, event: ev, target: s, actions: [], wildcard: true, at: at(`states.${s}`) });
      continue;
    }
    const table = byState.get(s);
    if (table === undefined) continue;
    for (const ev of events) {
      const own = table.get(ev);
      const list = own ?? table.get('*') ?? [];
      for (const { raw: c, path } of list) {
        const cm = isObj(c.meta) ? c.meta : {};
        const t: TransitionIR = {
          from: s,
          event: ev,
          ...(typeof c.guard === 'string' ? { guard: { name: c.guard, negated: false } } : {}),
          target: typeof c.target === 'string' ? c.target : s,
          actions: Array.isArray(c.actions) ? c.actions.filter((a): a is string => typeof a === 'string') : [],
          ...(typeof cm.alert === 'string' ? { alert: cm.alert } : {}),
          ...(typeof cm.rfc === 'string' ? { rfc: cm.rfc } : {}),
          wildcard: own === undefined,
          at: at(path),
          ...(typeof cm.refuse === 'string' ? { refuse: cm.refuse } : {}),
        };
        transitions.push(t);
      }
    }
  }
  return deepFreeze({
    name: `${protocol}/${role}`,
    protocol,
    role,
    specFile: src.file,
    initial,
    states: stateNames,
    absorbing,
    events,
    guards: Object.keys(guardDocs),
    actions: Object.keys(actionDocs),
    transitions,
    eventSources,
    eventMessages,
    transcriptEvents,
    docs: { states: stateDocs, events: eventDocs, guards: guardDocs, actions: actionDocs },
    ...(typeof spec.$comment === 'string' ? { description: spec.$comment } : typeof spec.description === 'string' ? { description: spec.description } : {}),
    stateAt,
    ...(rk !== undefined && rkAlert !== undefined ? { readKeys: { levels: rkLevels, changes: rkChanges, states: rkStates, skip: rkSkip, alert: rkAlert, ...(rkRfc !== undefined ? { rfc: rkRfc } : {}) } } : {}),
  } satisfies MachineIR);
}

function isAbsorbingSpec(states: Obj, name: string): boolean {
  const st = states[name];
  return isObj(st) && st.type === 'final';
}

/** "did you mean X?" for a misspelt name (edit distance ≤ 2, or case-insensitive match). */
function hintName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = k.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, k, 3);
    if (d < bestD) { best = k; bestD = d; }
  }
  return best === undefined ? undefined : `did you mean '${best}'?`;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** The machine specs of the project: specs/<protocol>/machines/*.json, sorted. */
export function machineSpecFiles(root: string, readdir: (dir: string) => string[]): string[] {
  const out: string[] = [];
  for (const protocol of readdir(join(root, 'specs')).sort()) {
    for (const f of readdir(join(root, 'specs', protocol, 'machines')).sort()) if (f.endsWith('.json')) out.push(`specs/${protocol}/machines/${f}`);
  }
  return out;
}
