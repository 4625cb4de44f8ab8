// TypeScript for one machine: state/event/guard/action enums (const objects + union types), the
// implementations interface (one member per guard and per action, so an engine that forgets one
// does not compile), and the dense table (state × event → candidates) that runtime/machine runs.
// Reads only the MachineIR. Deterministic: spec order everywhere.
import type { MachineIR, TransitionIR } from './ir.ts';

const js = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const key = (s: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? s : js(s));
const doc = (text: string | undefined, indent: string): string[] => (text ? [`${indent}/** ${text.replace(/\*\//g, '* /')} */`] : []);
export const pascal = (s: string): string => s.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _sep: string, c: string) => c.toUpperCase());
const camel = (s: string): string => { const p = pascal(s); return p.charAt(0).toLowerCase() + p.slice(1); };

function candidate(t: TransitionIR): string {
  const parts: string[] = [];
  if (t.guard) parts.push(`guard: ${js(t.guard.name)}`);
  parts.push(`target: ${js(t.target)}`);
  parts.push(`actions: [${t.actions.map(js).join(', ')}]`);
  if (t.alert) parts.push(`alert: ${js(t.alert)}`);
  if (t.refuse) parts.push(`refuse: ${js(t.refuse)}`);
  if (t.rfc) parts.push(`rfc: ${js(t.rfc)}`);
  if (t.wildcard) parts.push('wildcard: true');
  parts.push(`at: ${js(`${t.at.file}:${t.at.line}`)}`);
  return `{ ${parts.join(', ')} }`;
}

export function emitTypeScript(ir: MachineIR, header: string, comment?: string, svgPath?: string): string {
  const P = pascal(ir.role);
  const table = `${camel(ir.role)}Table`;
  const L: string[] = [];
  L.push(`// ${header}`);
  if (comment) L.push(...wrap(comment, 100).map((l) => `// ${l}`));
  L.push(`// Interpreted by runtime/machine: step(${table}, state, event, guards).${svgPath ? ` Diagram: ${svgPath}.` : ''}`);
  L.push(`import type { MachineTable } from '../../../runtime/machine/index.ts';`);
  L.push('');
  const enumBlock = (name: string, what: string, names: readonly string[], docs: Readonly<Record<string, string>> | undefined): void => {
    L.push(`/** ${what} of ${ir.name}, in spec order. */`);
    L.push(`export const ${name} = {`);
    for (const n of names) { L.push(...doc(docs?.[n], '  ')); L.push(`  ${key(n)}: ${js(n)},`); }
    L.push('} as const;');
    L.push(`export type ${name} = (typeof ${name})[keyof typeof ${name}];`);
    L.push('');
  };
  enumBlock(`${P}State`, 'States', ir.states, ir.docs?.states);
  enumBlock(`${P}Event`, 'Events (received messages and records, and local requests)', ir.events, ir.docs?.events);
  enumBlock(`${P}Guard`, 'Guards (negotiated facts, evaluated after the received message is parsed)', ir.guards, ir.docs?.guards);
  enumBlock(`${P}Action`, 'Actions (named steps the engine implements)', ir.actions, ir.docs?.actions);

  L.push(`/** What an engine running ${ir.name} implements: one member per guard and per action named in`);
  L.push(` *  ${ir.specFile}. Adding a guard or action to the spec makes an engine that lacks it fail to compile. */`);
  L.push(`export interface ${P}Implementations<Ctx = void, Msg = unknown> {`);
  L.push('  readonly guards: {');
  for (const g of ir.guards) { L.push(...doc(ir.docs?.guards[g], '    ')); L.push(`    readonly ${key(g)}: (ctx: Ctx, msg: Msg) => boolean;`); }
  L.push('  };');
  L.push('  readonly actions: {');
  for (const a of ir.actions) { L.push(...doc(ir.docs?.actions[a], '    ')); L.push(`    readonly ${key(a)}: (ctx: Ctx, msg: Msg) => void | Promise<void>;`); }
  L.push('  };');
  L.push('}');
  L.push('');
  L.push(`/** The transition table of ${ir.name}: every state × every event, candidates in order (first whose guard holds wins). */`);
  L.push(`export const ${table}: MachineTable<${P}State, ${P}Event, ${P}Guard, ${P}Action> = {`);
  L.push(`  name: ${js(ir.name)},`);
  L.push(`  role: ${js(ir.role)},`);
  L.push(`  specFile: ${js(ir.specFile)},`);
  L.push(`  initial: ${js(ir.initial)},`);
  L.push(`  states: [${ir.states.map(js).join(', ')}],`);
  L.push(`  events: [${ir.events.map(js).join(', ')}],`);
  L.push(`  guards: [${ir.guards.map(js).join(', ')}],`);
  L.push(`  actions: [${ir.actions.map(js).join(', ')}],`);
  L.push(`  absorbing: [${ir.absorbing.map(js).join(', ')}],`);
  L.push('  eventSources: {');
  for (const e of ir.events) L.push(`    ${key(e)}: ${js(ir.eventSources?.[e] ?? 'peer')},`);
  L.push('  },');
  const msgs = Object.entries(ir.eventMessages ?? {});
  if (msgs.length > 0) {
    L.push('  /** Events that are another message on the wire (the proofs project them on that message). */');
    L.push(`  messages: { ${msgs.map(([e, m]) => `${key(e)}: ${js(m)}`).join(', ')} },`);
  }
  if ((ir.transcriptEvents ?? []).length > 0) {
    L.push('  /** Received events whose message enters the handshake transcript. */');
    L.push(`  transcript: [${(ir.transcriptEvents ?? []).map(js).join(', ')}],`);
  }
  const rk = ir.readKeys;
  if (rk !== undefined) {
    const levels = Object.keys(rk.levels);
    L.push('  /** Record protection of what the peer sends, per state (spec meta.readKeys). */');
    L.push('  readKeys: {');
    L.push(`    levels: [${levels.map(js).join(', ')}],`);
    L.push(`    protected: [${levels.filter((l) => rk.levels[l]?.protected === true).map(js).join(', ')}],`);
    L.push(`    states: { ${ir.states.filter((s) => rk.states[s] !== undefined).map((s) => `${key(s)}: ${js(rk.states[s]!)}`).join(', ')} },`);
    L.push(`    changes: { ${ir.actions.filter((a) => rk.changes[a] !== undefined).map((a) => `${key(a)}: ${js(rk.changes[a]!)}`).join(', ')} },`);
    L.push(`    skip: { ${ir.states.filter((s) => rk.skip[s] !== undefined).map((s) => `${key(s)}: ${js(rk.skip[s]!)}`).join(', ')} },`);
    L.push(`    alert: ${js(rk.alert)},`);
    if (rk.rfc !== undefined) L.push(`    rfc: ${js(rk.rfc)},`);
    L.push('  },');
  }
  L.push('  transitions: {');
  for (const s of ir.states) {
    L.push(`    ${key(s)}: {`);
    for (const e of ir.events) {
      const cs = ir.transitions.filter((t) => t.from === s && t.event === e);
      if (cs.length === 1) L.push(`      ${key(e)}: [${candidate(cs[0]!)}],`);
      else {
        L.push(`      ${key(e)}: [`);
        for (const c of cs) L.push(`        ${candidate(c)},`);
        L.push('      ],');
      }
    }
    L.push('    },');
  }
  L.push('  },');
  L.push('};');
  return L.join('\n') + '\n';
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) { out.push(line); line = w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}
