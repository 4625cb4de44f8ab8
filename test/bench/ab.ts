// `npm run bench -- ab --against REV [--kind K] [--rounds N] [--n N] [--conc N] [--warm N]`: the server's CPU per TCP
// handshake of this tree against another commit's, in the same interleaved rounds. On this shared VM a bench run's
// ratio against node:tls moves by a fifth from one run to the next, more than most single changes do; two trees
// measured side by side, round by round, do not share that swing (both are slowed alike), so this is how a change is
// judged (the figure() ratio is the median of the per-round ratios).
// REV (a commit, branch or tag) is checked out into a temporary git worktree (node_modules linked from this tree, and
// native/build for kind 'native'), removed afterwards. Both trees' server children (server-child.ts of each tree,
// kind `--kind`, default 'protosmith'; 'bare', 'native' and 'node' as in tcp.ts) get `--warm` (4000) handshakes,
// then `--rounds` (8) rounds of `--n` (1000) handshakes each from the same node:tls client in this process,
// sequential and with `--conc` (50) in flight; CPU per handshake is the child's process.cpuUsage (every thread).
// With `--bulk`, the rounds are downloads instead: each server sends `--mib` (64) MiB per round over TCP to the same
// node:tls client, for the cipher suite `--suite` (aes128, aes256, chacha20; default aes128), after `--warm` (2)
// unmeasured transfers; rows: the server's CPU per MiB sent and the client's MiB/s.
// REV must have test/bench/tcp-harness.ts with startServer(kind, pki[, bulkBytes]) (commits from 2026-12-02 on).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchPki, figure, interleave, nodeContexts, numberOption, SUITES, type Figure } from './support.ts';
import { overTcp } from './bulk.ts';
import { handshakeLoad, startServer, type ServerChild } from './tcp-harness.ts';
import type { ServerKind } from './server-child.ts';
import type * as tls from 'node:tls';

const ROOT = resolve(import.meta.dirname, '../..');

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A worktree of `rev` in a temporary directory, ready to run the benches from; `remove` deletes it. */
function worktree(rev: string, kind: ServerKind): { dir: string; commit: string; remove(): void } {
  const git = (...a: string[]): string => execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).trim();
  let commit: string;
  try { commit = git('rev-parse', '--verify', '--quiet', `${rev}^{commit}`); } catch { throw new Error(`--against ${rev}: not a commit of this repository`); }
  const parent = mkdtempSync(join(tmpdir(), 'protosmith-ab-'));
  const dir = join(parent, 'tree');
  git('worktree', 'add', '--detach', '--quiet', dir, commit);
  const remove = (): void => {
    try { git('worktree', 'remove', '--force', dir); } catch { rmSync(dir, { recursive: true, force: true }); git('worktree', 'prune'); }
    rmSync(parent, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    if (kind === 'native') {
      // The addon as built in this tree: kind 'native' compares the JavaScript around it, not the C.
      if (!existsSync(join(ROOT, 'native/build'))) throw new Error('kind native: build the addon in this tree first (npm install)');
      symlinkSync(join(ROOT, 'native/build'), join(dir, 'native/build'));
    }
    if (!existsSync(join(dir, 'test/bench/tcp-harness.ts'))) throw new Error(`${rev} has no test/bench/tcp-harness.ts to start its server with`);
  } catch (e) { remove(); throw e; }
  return { dir, commit, remove };
}

async function handshakes(server: ServerChild, ctx: tls.SecureContext, n: number, conc: number): Promise<number> {
  const cpu0 = await server.cpuMs();
  await handshakeLoad(server.port, ctx, n, conc);
  return ((await server.cpuMs()) - cpu0) / n;
}

export async function run(args: string[]): Promise<Figure[]> {
  const rev = option(args, '--against');
  if (!rev) throw new Error('usage: npm run bench -- ab --against <commit> [--kind protosmith|bare|native|node] [--rounds N] [--n N] [--conc N] [--warm N] [--bulk [--suite aes128|aes256|chacha20] [--mib N]]');
  const kind = (option(args, '--kind') ?? 'protosmith') as ServerKind;
  if (!['protosmith', 'bare', 'native', 'node'].includes(kind)) throw new Error(`--kind ${kind}: one of protosmith, bare, native, node`);
  const rounds = numberOption(args, '--rounds', 8);
  if (args.includes('--bulk')) {
    // The bare pump answers the handshake exchange only; it serves no downloads.
    if (kind === 'bare') throw new Error('--bulk --kind bare: the bare pump serves no downloads; use protosmith, native or node');
    return bulk(rev, kind, rounds, args);
  }
  const n = numberOption(args, '--n', 1000);
  const conc = numberOption(args, '--conc', 50);
  const warm = numberOption(args, '--warm', 4000);
  return bothTrees(rev, kind, 0, async (ours, theirs, ctx, against, commit) => {
    for (const s of [theirs, ours]) await handshakes(s, ctx, warm, 10);
    const [oursSeq, theirsSeq] = await interleave(rounds, [() => handshakes(ours, ctx, n, 1), () => handshakes(theirs, ctx, n, 1)]);
    const [oursConc, theirsConc] = await interleave(rounds, [() => handshakes(ours, ctx, n, conc), () => handshakes(theirs, ctx, n, conc)]);
    const note = `server kind ${kind}; ${rounds} interleaved rounds of ${n} handshakes after ${warm} warm-up; server CPU (every thread) per handshake; this tree against ${commit}`;
    return [
      figure({ bench: 'ab', row: `server CPU per handshake (sequential), this tree`, unit: 'ms', rounds: { protosmith: oursSeq!, baseline: theirsSeq! }, against, better: 'lower', note }),
      figure({ bench: 'ab', row: `server CPU per handshake (${conc} concurrent), this tree`, unit: 'ms', rounds: { protosmith: oursConc!, baseline: theirsConc! }, against, better: 'lower' }),
    ];
  });
}

/** Starts `rev`'s server (from its worktree) and this tree's, both of `kind` (serving `bulkBytes` downloads), runs
 *  `measure` with them, and stops both and removes the worktree whatever happens. */
async function bothTrees(
  rev: string, kind: ServerKind, bulkBytes: number,
  measure: (ours: ServerChild, theirs: ServerChild, ctx: tls.SecureContext, against: string, commit: string) => Promise<Figure[]>,
): Promise<Figure[]> {
  const pki = benchPki();
  const ctx = nodeContexts(pki).client;
  const tree = worktree(rev, kind);
  const servers: ServerChild[] = [];
  try {
    const other = (await import(join(tree.dir, 'test/bench/tcp-harness.ts'))) as { startServer: typeof startServer };
    const theirs = await other.startServer(kind, pki, bulkBytes);
    servers.push(theirs);
    const ours = await startServer(kind, pki, bulkBytes);
    servers.push(ours);
    return await measure(ours, theirs, ctx, `${rev} (${tree.commit.slice(0, 7)})`, tree.commit);
  } finally {
    for (const s of servers) await s.exit();
    tree.remove();
  }
}

const SUITE_NAMES: Record<string, (typeof SUITES)[number]> = { aes128: SUITES[0], aes256: SUITES[1], chacha20: SUITES[2] };

/** `--bulk`: downloads of `--mib` MiB from each tree's server, interleaved; server CPU per MiB and MiB/s. */
async function bulk(rev: string, kind: ServerKind, rounds: number, args: readonly string[]): Promise<Figure[]> {
  const mib = numberOption([...args], '--mib', 64);
  const warm = numberOption([...args], '--warm', 2);
  const suiteName = option(args, '--suite') ?? 'aes128';
  const suite = SUITE_NAMES[suiteName];
  if (!suite) throw new Error(`--suite ${suiteName}: one of ${Object.keys(SUITE_NAMES).join(', ')}`);
  return bothTrees(rev, kind, mib << 20, async (ours, theirs, ctx, against, commit) => {
    for (let i = 0; i < warm; i++) for (const s of [theirs, ours]) await overTcp(s, ctx, suite.node, mib);
    const cpu = { ours: [] as number[], theirs: [] as number[] };
    const [oursRate, theirsRate] = await interleave(rounds, [
      async () => { const r = await overTcp(ours, ctx, suite.node, mib); cpu.ours.push(r.cpuPerMib); return r.mibs; },
      async () => { const r = await overTcp(theirs, ctx, suite.node, mib); cpu.theirs.push(r.cpuPerMib); return r.mibs; },
    ]);
    const note = `server kind ${kind}, ${suite.name}; ${rounds} interleaved rounds of ${mib} MiB sent to a node:tls client after ${warm} warm-up transfers; server CPU (every thread) per MiB; this tree against ${commit}`;
    return [
      figure({ bench: 'ab', row: `server CPU per MiB sent over TCP, ${suite.name}, this tree`, unit: 'ms', rounds: { protosmith: cpu.ours, baseline: cpu.theirs }, against, better: 'lower', note }),
      figure({ bench: 'ab', row: `bulk ${mib} MiB over TCP (server sends), ${suite.name}, this tree`, unit: 'MiB/s', rounds: { protosmith: oursRate!, baseline: theirsRate! }, against, better: 'higher' }),
    ];
  });
}
