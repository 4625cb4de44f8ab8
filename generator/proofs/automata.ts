// Finite automata over message symbols ("?ClientHello" received, "!Finished" sent), used to compare a
// machine's handshake language with the RFC 8446 Appendix A reference. An NFA has numbered states,
// labelled edges and epsilon edges (label null); determinize() runs the subset construction and
// difference() finds a shortest word accepted by one automaton and not the other (breadth-first over
// the product of the two DFAs, with an implicit dead state), which is the counterexample we report.

export interface Nfa {
  readonly initial: number;
  readonly accepting: ReadonlySet<number>;
  /** edges[state] = list of [label or null for epsilon, target] */
  readonly edges: ReadonlyArray<ReadonlyArray<readonly [string | null, number]>>;
  /** Optional readable names, for diagnostics. */
  readonly names?: readonly string[];
}

export interface Dfa {
  readonly initial: number;
  readonly accepting: ReadonlySet<number>;
  readonly delta: ReadonlyArray<ReadonlyMap<string, number>>;
  /** For each DFA state, the NFA states it stands for (subset construction). */
  readonly subsets: ReadonlyArray<readonly number[]>;
}

/** Builds an NFA incrementally. */
export class NfaBuilder {
  private readonly edges: Array<Array<[string | null, number]>> = [];
  private readonly names: string[] = [];
  readonly accepting = new Set<number>();
  private readonly byName = new Map<string, number>();

  state(name: string): number {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    const id = this.edges.length;
    this.edges.push([]);
    this.names.push(name);
    this.byName.set(name, id);
    return id;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** A fresh anonymous state (for the inside of a multi-symbol step). */
  fresh(hint: string): number {
    return this.state(`${hint}#${this.edges.length}`);
  }

  edge(from: number, label: string | null, to: number): void {
    const list = this.edges[from];
    if (list === undefined) throw new RangeError(`no NFA state ${from}`);
    list.push([label, to]);
  }

  /** A path from `from` to `to` spelling `labels` (epsilon when empty). */
  path(from: number, labels: readonly string[], to: number, hint: string): void {
    if (labels.length === 0) {
      this.edge(from, null, to);
      return;
    }
    let at = from;
    labels.forEach((label, i) => {
      const next = i === labels.length - 1 ? to : this.fresh(hint);
      this.edge(at, label, next);
      at = next;
    });
  }

  build(initial: number): Nfa {
    return { initial, accepting: new Set(this.accepting), edges: this.edges.map((e) => [...e]), names: [...this.names] };
  }
}

function closure(nfa: Nfa, seed: Iterable<number>): number[] {
  const seen = new Set<number>(seed);
  const stack = [...seen];
  while (stack.length > 0) {
    const s = stack.pop() as number;
    for (const [label, to] of nfa.edges[s] ?? []) {
      if (label === null && !seen.has(to)) {
        seen.add(to);
        stack.push(to);
      }
    }
  }
  return [...seen].sort((a, b) => a - b);
}

export function determinize(nfa: Nfa): Dfa {
  const start = closure(nfa, [nfa.initial]);
  const index = new Map<string, number>([[start.join(','), 0]]);
  const subsets: number[][] = [start];
  const delta: Array<Map<string, number>> = [];
  for (let i = 0; i < subsets.length; i++) {
    const subset = subsets[i] as number[];
    const moves = new Map<string, Set<number>>();
    for (const s of subset) {
      for (const [label, to] of nfa.edges[s] ?? []) {
        if (label === null) continue;
        let set = moves.get(label);
        if (set === undefined) moves.set(label, (set = new Set()));
        set.add(to);
      }
    }
    const row = new Map<string, number>();
    for (const label of [...moves.keys()].sort()) {
      const target = closure(nfa, moves.get(label) as Set<number>);
      const key = target.join(',');
      let id = index.get(key);
      if (id === undefined) {
        id = subsets.length;
        index.set(key, id);
        subsets.push(target);
      }
      row.set(label, id);
    }
    delta.push(row);
  }
  const accepting = new Set<number>();
  subsets.forEach((subset, i) => {
    if (subset.some((s) => nfa.accepting.has(s))) accepting.add(i);
  });
  return { initial: 0, accepting, delta, subsets };
}

export interface Difference {
  /** The shortest word (symbols) accepted by exactly one side. */
  readonly word: readonly string[];
  /** Which side accepts it. */
  readonly acceptedBy: 'left' | 'right';
}

/** Shortest word in L(left) xor L(right), or undefined when the languages are equal. */
export function difference(left: Dfa, right: Dfa): Difference | undefined {
  const DEAD = -1;
  const key = (a: number, b: number): string => `${a},${b}`;
  const parent = new Map<string, { prev: string; label: string } | null>([[key(left.initial, right.initial), null]]);
  const queue: Array<[number, number]> = [[left.initial, right.initial]];
  for (let qi = 0; qi < queue.length; qi++) {
    const [a, b] = queue[qi] as [number, number];
    const inA = a !== DEAD && left.accepting.has(a);
    const inB = b !== DEAD && right.accepting.has(b);
    if (inA !== inB) {
      const word: string[] = [];
      let k: string = key(a, b);
      for (let p = parent.get(k); p !== null && p !== undefined; p = parent.get(k)) {
        word.unshift(p.label);
        k = p.prev;
      }
      return { word, acceptedBy: inA ? 'left' : 'right' };
    }
    const labels = new Set<string>([...(a === DEAD ? [] : left.delta[a]?.keys() ?? []), ...(b === DEAD ? [] : right.delta[b]?.keys() ?? [])]);
    for (const label of [...labels].sort()) {
      const na = a === DEAD ? DEAD : left.delta[a]?.get(label) ?? DEAD;
      const nb = b === DEAD ? DEAD : right.delta[b]?.get(label) ?? DEAD;
      const nk = key(na, nb);
      if (!parent.has(nk)) {
        parent.set(nk, { prev: key(a, b), label });
        queue.push([na, nb]);
      }
    }
  }
  return undefined;
}

/** Number of states of the minimal DFA (Moore partition refinement), a size figure for reports. */
export function minimalSize(dfa0: Dfa): number {
  // drop states from which no accepting state is reachable (a partial DFA's implicit dead state)
  const live = new Set<number>(dfa0.accepting);
  for (let changed = true; changed;) {
    changed = false;
    dfa0.delta.forEach((row, i) => { if (!live.has(i) && [...row.values()].some((t) => live.has(t))) { live.add(i); changed = true; } });
  }
  const keep = [...live].sort((a, b) => a - b);
  const renum = new Map(keep.map((s, i) => [s, i]));
  const dfa = {
    accepting: new Set([...dfa0.accepting].map((s) => renum.get(s) as number)),
    delta: keep.map((s) => new Map([...(dfa0.delta[s] ?? new Map<string, number>())].filter(([, t]) => live.has(t)).map(([l, t]) => [l, renum.get(t) as number]))),
  };
  const n = dfa.delta.length;
  const labels = [...new Set(dfa.delta.flatMap((row) => [...row.keys()]))].sort();
  let block: number[] = Array.from({ length: n }, (_, i) => (dfa.accepting.has(i) ? 1 : 0));
  let count = new Set(block).size;
  for (;;) {
    const sig = new Map<string, number>();
    const next = block.map((b, i) => {
      const s = `${b}|${labels.map((l) => { const t = dfa.delta[i]?.get(l); return t === undefined ? '-' : String(block[t]); }).join(',')}`;
      let id = sig.get(s);
      if (id === undefined) sig.set(s, (id = sig.size));
      return id;
    });
    if (sig.size === count) break;
    count = sig.size;
    block = next;
  }
  return count;
}
