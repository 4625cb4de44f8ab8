// SVG (Graphviz compiled to WebAssembly by @viz-js/viz, rendered in-process: no `dot` binary, same
// bytes on every run) and the self-contained HTML viewer (inline SVG, CSS and script; no URL).
import { instance, type Viz } from '@viz-js/viz';
import type { MachineIR } from './ir.ts';
import { emitDot } from './emit-dot.ts';
import { coverageView, drawingOf, rejectedPairs, type Coverage } from './drawing.ts';

let vizPromise: Promise<Viz> | undefined;
const viz = (): Promise<Viz> => (vizPromise ??= instance());

/** Renders DOT text to SVG. Throws (with Graphviz's messages) when the DOT is invalid. */
export async function renderSvg(dot: string, header?: string): Promise<string> {
  const v = await viz();
  const r = v.render(dot, { format: 'svg' });
  if (r.status !== 'success') throw new Error(`graphviz failed: ${r.errors.map((e) => e.message).join('; ')}`);
  const svg = r.output;
  if (!header) return svg;
  // Keep the XML declaration first; the @generated comment follows it.
  const m = /^<\?xml[^>]*\?>\n?/.exec(svg);
  const head = `<!-- ${header.replace(/--/g, '- -')} -->\n`;
  return m ? `${m[0]}${head}${svg.slice(m[0].length)}` : `${head}${svg}`;
}

export async function machineSvg(ir: MachineIR, opts: { header?: string; coverage?: Coverage } = {}): Promise<string> {
  return renderSvg(emitDot(ir, opts.coverage ? { coverage: opts.coverage } : {}), opts.header);
}

/** " Rejected (state, event) pairs exercised: n of m (missing: ...)." when the coverage file has them. */
function rejectedLine(ir: MachineIR, cov: Coverage | undefined): string {
  if (!cov?.rejected) return '';
  const all = rejectedPairs(ir);
  const missing = all.filter((k) => (cov.rejected?.[k] ?? 0) <= 0);
  return esc(` Rejected (state, event) pairs exercised: ${all.length - missing.length} of ${all.length}${missing.length > 0 ? ` (never: ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ', …' : ''})` : ''}.`);
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One HTML file: the diagram; hover a state to highlight its edges; click an edge (or a state) for details. */
export async function machineHtml(ir: MachineIR, opts: { header?: string; coverage?: Coverage } = {}): Promise<string> {
  const drawing = drawingOf(ir);
  const svg = (await machineSvg(ir, opts.coverage ? { coverage: opts.coverage } : {})).replace(/^<\?xml[^>]*\?>\s*/, '').replace(/^<!DOCTYPE[^>]*>\s*/, '');
  const cov = opts.coverage ? coverageView(drawing, opts.coverage) : undefined;
  const data = {
    name: ir.name,
    specFile: ir.specFile,
    states: drawing.states.map((s) => ({ ...s, at: ir.stateAt?.[s.name] ? `${ir.stateAt[s.name]!.file}:${ir.stateAt[s.name]!.line}` : ir.specFile, ...(cov ? { hits: cov.stateHits.get(s.name) ?? 0 } : {}) })),
    edges: drawing.edges.map((e) => ({ id: e.id, from: e.from, target: e.target, error: e.error, candidates: e.candidates, ...(cov ? { hits: cov.edgeHits.get(e.id) ?? 0 } : {}) })),
    coverage: cov ? { max: cov.max, unknownKeys: cov.unknownKeys } : null,
  };
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!DOCTYPE html>
${opts.header ? `<!-- ${esc(opts.header).replace(/--/g, '- -')} -->\n` : ''}<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(ir.name)} — protosmith state machine</title>
<style>
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1c2833; display: flex; flex-direction: column; height: 100vh; }
header { padding: 8px 16px; border-bottom: 1px solid #d5d8dc; }
header h1 { font-size: 18px; margin: 0; }
header p { margin: 2px 0 0; color: #566573; }
main { flex: 1; display: flex; min-height: 0; }
#diagram { flex: 1; overflow: auto; padding: 8px; }
#diagram svg { max-width: 100%; height: auto; }
#details { width: 360px; overflow: auto; border-left: 1px solid #d5d8dc; padding: 8px 16px; background: #fbfcfc; }
#details h2 { font-size: 16px; margin: 8px 0; }
#details .cand { border: 1px solid #d5d8dc; border-radius: 6px; padding: 6px 8px; margin: 6px 0; background: #fff; }
#details .cand .ev { font-weight: 600; }
#details .alert { color: #922b21; }
#details code { font-size: 12px; }
#details ol { margin: 4px 0; padding-left: 20px; }
g.edge, g.node { cursor: pointer; }
g.edge path { pointer-events: visibleStroke; stroke-width: 1.2; }
g.edge.dim, g.node.dim { opacity: 0.25; }
g.edge.hl path, g.edge.hl polygon { stroke: #d35400; stroke-width: 3; }
g.edge.hl polygon { fill: #d35400; }
g.edge.hl text { fill: #d35400; font-weight: 600; }
g.node.hl path, g.node.hl polygon { stroke: #d35400; stroke-width: 2.5; }
g.edge.selected path { stroke: #1f618d; stroke-width: 3.5; }
.legend { font-size: 12px; color: #566573; }
</style>
</head>
<body>
<header><h1>${esc(ir.name)}</h1><p>From <code>${esc(ir.specFile)}</code>. Hover a state to highlight its edges; click an edge for its guards, actions and RFC section.${cov ? ` Coloured by coverage (max ${cov.max} hits per edge; red: never taken).` : ''}${rejectedLine(ir, opts.coverage)}</p></header>
<main>
<div id="diagram">
${svg.trim()}
</div>
<aside id="details"><p class="legend">Nothing selected.</p></aside>
</main>
<script type="application/json" id="machine-data">${json}</script>
<script>
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('machine-data').textContent);
  var details = document.getElementById('details');
  var edgeEl = {};
  data.edges.forEach(function (e) { var el = document.getElementById(e.id); if (el) edgeEl[e.id] = el; });
  function el(tag, text, cls) { var x = document.createElement(tag); if (text !== undefined) x.textContent = text; if (cls) x.className = cls; return x; }
  function setClass(node, cls, on) { if (on) node.classList.add(cls); else node.classList.remove(cls); }
  function highlight(state, on) {
    data.edges.forEach(function (e) {
      var x = edgeEl[e.id]; if (!x) return;
      var mine = e.from === state || e.target === state;
      setClass(x, 'hl', on && mine);
      setClass(x, 'dim', on && !mine);
    });
    var n = document.getElementById(data.states.filter(function (s) { return s.name === state; })[0].id);
    if (n) setClass(n, 'hl', on);
  }
  function showEdge(e) {
    Object.keys(edgeEl).forEach(function (id) { setClass(edgeEl[id], 'selected', id === e.id); });
    details.textContent = '';
    details.appendChild(el('h2', e.from + ' \\u2192 ' + e.target));
    if (e.hits !== undefined) details.appendChild(el('p', 'taken ' + e.hits + ' time(s) in the coverage file', 'legend'));
    e.candidates.forEach(function (c) {
      var box = el('div', undefined, 'cand');
      box.setAttribute('data-event', c.event);
      box.appendChild(el('div', c.event === '*' ? '* (every event not listed in ' + e.from + ')' : c.event, 'ev'));
      box.appendChild(el('div', 'guard: ' + (c.guard || (c.otherwise ? '(else: none of the guards before it holds)' : '(none)')), 'guard'));
      if (c.actions.length) { box.appendChild(el('div', 'actions:')); var ol = el('ol', undefined, 'actions'); c.actions.forEach(function (a) { ol.appendChild(el('li', a)); }); box.appendChild(ol); }
      else box.appendChild(el('div', 'actions: (none)', 'actions'));
      if (c.alert) box.appendChild(el('div', 'sends alert: ' + c.alert, 'alert'));
      box.appendChild(el('div', 'RFC: ' + (c.rfc || '(not given)'), 'rfc'));
      box.appendChild(el('div', 'spec: ' + c.at, 'legend'));
      details.appendChild(box);
    });
  }
  function showState(s) {
    details.textContent = '';
    details.appendChild(el('h2', s.name));
    details.appendChild(el('p', s.description || ''));
    if (s.hits !== undefined) details.appendChild(el('p', 'entered ' + s.hits + ' time(s) in the coverage file', 'legend'));
    details.appendChild(el('p', 'spec: ' + s.at, 'legend'));
  }
  data.states.forEach(function (s) {
    var n = document.getElementById(s.id); if (!n) return;
    n.addEventListener('mouseenter', function () { highlight(s.name, true); });
    n.addEventListener('mouseleave', function () { highlight(s.name, false); });
    n.addEventListener('click', function () { showState(s); });
  });
  data.edges.forEach(function (e) {
    var x = edgeEl[e.id]; if (!x) return;
    x.addEventListener('click', function (ev) { ev.stopPropagation(); showEdge(e); });
  });
})();
</script>
</body>
</html>
`;
}
