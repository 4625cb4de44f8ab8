// The machines the proofs read, as MachineIR. The machine compiler's loader (generator/machine/) is the
// source of truth; until it is present this reads the xstate JSON directly with the same rules
// (candidates in order, targetless = stay, "*" expanded to every unlisted event, absorbing sinks).
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineIR, TransitionIR } from '../machine/ir.ts';

interface XCandidate { target?: string; guard?: string | { type: string }; actions?: string | string[]; meta?: { rfc?: string; alert?: string } }
interface XState { type?: string; on?: Record<string, string | XCandidate | Array<string | XCandidate>>; meta?: { absorbing?: boolean } }
interface XMachine { id?: string; initial: string; meta?: { protocol?: string; role?: string; events?: Record<string, unknown>; guards?: Record<string, unknown>; actions?: Record<string, unknown> }; states: Record<string, XState> }

/** Loads specs/<protocol>/machines/<role>.json into MachineIR, preferring the machine compiler's loader. */
export async function loadMachineIR(root: string, name: string): Promise<MachineIR> {
  const loaderPath = join(root, 'generator', 'machine', 'load.ts');
  if (existsSync(loaderPath)) {
    const mod = (await import(loaderPath)) as { loadMachine?: (root: string, name: string) => MachineIR | Promise<MachineIR> };
    if (typeof mod.loadMachine === 'function') {
      const loaded = await mod.loadMachine(root, name);
      const ir = (loaded as { ir?: MachineIR }).ir ?? loaded;
      return ir;
    }
  }
  return readMachineJson(root, name);
}

export function readMachineJson(root: string, name: string): MachineIR {
  const [protocol = '', role = ''] = name.split('/');
  const specFile = `specs/${protocol}/machines/${role}.json`;
  const text = readFileSync(join(root, specFile), 'utf8');
  const x = JSON.parse(text) as XMachine;
  const lines = text.split('\n');
  const lineOf = (needle: string, after = 0): number => {
    for (let i = after; i < lines.length; i++) if ((lines[i] as string).includes(needle)) return i + 1;
    return 1;
  };
  const states = Object.keys(x.states);
  const absorbing = states.filter((s) => x.states[s]?.type === 'final' || x.states[s]?.meta?.absorbing === true);
  const events = new Set<string>(Object.keys(x.meta?.events ?? {}));
  for (const s of states) for (const e of Object.keys(x.states[s]?.on ?? {})) if (e !== '*') events.add(e);
  const guards = new Set<string>(Object.keys(x.meta?.guards ?? {}));
  const actions = new Set<string>(Object.keys(x.meta?.actions ?? {}));
  const transitions: TransitionIR[] = [];
  for (const from of states) {
    const st = x.states[from] as XState;
    const stateLine = lineOf(`"${from}": {`);
    if (absorbing.includes(from)) {
      for (const event of events) transitions.push({ from, event, target: from, actions: [], wildcard: true, at: { file: specFile, line: stateLine, path: `states.${from}` } });
      continue;
    }
    const on = st.on ?? {};
    const norm = (c: string | XCandidate): XCandidate => (typeof c === 'string' ? { target: c } : c);
    const emit = (event: string, key: string, wildcard: boolean): void => {
      const raw = on[key];
      const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      list.forEach((c0, i) => {
        const c = norm(c0);
        const g = c.guard;
        const guard = typeof g === 'string' ? { name: g, negated: false } : undefined;
        if (guard) guards.add(guard.name);
        const acts = c.actions === undefined ? [] : Array.isArray(c.actions) ? c.actions : [c.actions];
        for (const a of acts) actions.add(a);
        const target = c.target === undefined ? from : c.target.replace(/^#[^.]*\./, '').replace(/^\./, '');
        transitions.push({
          from, event, target, actions: acts, wildcard,
          ...(guard ? { guard } : {}),
          ...(c.meta?.alert ? { alert: c.meta.alert } : {}),
          ...(c.meta?.rfc ? { rfc: c.meta.rfc } : {}),
          at: { file: specFile, line: lineOf(`"${key}"`, stateLine - 1), path: `states.${from}.on.${key}[${i}]` },
        });
      });
    };
    for (const event of events) {
      if (on[event] !== undefined) emit(event, event, false);
      else emit(event, '*', true);
    }
  }
  return {
    name, protocol, role: x.meta?.role ?? role, specFile, initial: x.initial, states, absorbing,
    events: [...events], guards: [...guards], actions: [...actions], transitions,
  };
}
