// Graphviz DOT and Mermaid text for a machine, from the drawing model (drawing.ts). Deterministic:
// states in spec order, edges in first-candidate order.
import type { MachineIR } from './ir.ts';
import { coverageView, drawingOf, heatColour, type Coverage, type Drawing } from './drawing.ts';

const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export interface DotOptions {
  /** First line(s), e.g. the @generated comment (written as // lines). */
  readonly header?: string;
  readonly coverage?: Coverage;
}

export function emitDot(ir: MachineIR, opts: DotOptions = {}, drawing: Drawing = drawingOf(ir)): string {
  const cov = opts.coverage ? coverageView(drawing, opts.coverage) : undefined;
  const out: string[] = [];
  if (opts.header) for (const l of opts.header.split('\n')) out.push(`// ${l}`);
  out.push(`digraph ${q(ir.name)} {`);
  out.push(`  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.5, ranksep=0.45, label=${q(`${ir.name} (${ir.specFile})`)}, labelloc=t];`);
  out.push('  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#34495e", fontname="Helvetica", fontsize=11];');
  out.push('  edge [fontname="Helvetica", fontsize=9, color="#34495e", arrowsize=0.7];');
  out.push('  __start [shape=point, width=0.12, label="", id="start"];');
  for (const s of drawing.states) {
    const attrs = [`id=${q(s.id)}`, `class=${q(`state${s.absorbing ? ' absorbing' : ''}`)}`, `tooltip=${q(s.description || s.name)}`];
    if (s.absorbing) attrs.push('shape=doubleoctagon', s.name === 'ERROR' ? 'fillcolor="#fdecea"' : 'fillcolor="#f2f3f4"');
    if (cov) {
      const hits = cov.stateHits.get(s.name) ?? 0;
      attrs.push(`fillcolor=${q(hits > 0 ? heatColour(hits, Math.max(...cov.stateHits.values())) : '#fdecea')}`, `xlabel=${q(String(hits))}`);
    }
    out.push(`  ${q(s.name)} [${attrs.join(', ')}];`);
  }
  const absorbing = new Set(ir.absorbing);
  if (ir.absorbing.length > 0) out.push(`  { rank=sink; ${ir.absorbing.map(q).join('; ')}; }`);
  out.push(`  __start -> ${q(ir.initial)} [id="e__start"];`);
  for (const e of drawing.edges) {
    const tip = e.candidates.map((c) => `${c.event}${c.guard ? ` [${c.guard}]` : c.otherwise ? ' [else]' : ''}${c.actions.length ? ` / ${c.actions.join(', ')}` : ''}${c.alert ? ` ⇒ ${c.alert}` : ''}${c.rfc ? ` (${c.rfc})` : ''}`).join('\n');
    const toSink = absorbing.has(e.target) && e.from !== e.target;
    // Edges into the sinks (ERROR, CLOSED) do not shape the layout, and their labels are one line.
    const label = toSink ? e.lines.join(', ') : e.lines.join('\n');
    const attrs = [`id=${q(e.id)}`, `class=${q(`edge${e.error ? ' error' : ''}`)}`, `label=${q(label)}`, `tooltip=${q(tip)}`];
    if (toSink) attrs.push('constraint=false');
    if (e.error) attrs.push('color="#c0392b"', 'fontcolor="#922b21"', 'style=dashed');
    if (cov) {
      const hits = cov.edgeHits.get(e.id) ?? 0;
      attrs.push(`color=${q(heatColour(hits, cov.max))}`, `penwidth=${hits > 0 ? (1 + 2 * Math.log(hits + 1) / Math.log(cov.max + 1)).toFixed(2) : '1'}`, `xlabel=${q(`${hits}×`)}`);
      if (hits === 0) attrs.push('style=dashed');
    }
    out.push(`  ${q(e.from)} -> ${q(e.target)} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}

/** Mermaid stateDiagram-v2 (renders on GitHub and in Stately-like viewers). */
export function emitMermaid(ir: MachineIR, header?: string, drawing: Drawing = drawingOf(ir)): string {
  const out: string[] = [];
  if (header) for (const l of header.split('\n')) out.push(`%% ${l}`);
  out.push('stateDiagram-v2');
  const mq = (s: string): string => s.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
  for (const s of drawing.states) if (s.description) out.push(`  ${s.name} : ${mq(s.description)}`);
  out.push(`  [*] --> ${ir.initial}`);
  for (const e of drawing.edges) out.push(`  ${e.from} --> ${e.target} : ${e.lines.map(mq).join(', ')}`);
  for (const s of drawing.states) if (s.absorbing) out.push(`  ${s.name} --> [*]`);
  for (const s of drawing.states) if (s.absorbing) out.push(`  class ${s.name} absorbing`);
  out.push('  classDef absorbing fill:#fdecea,stroke:#c0392b');
  return out.join('\n') + '\n';
}
