// protosmith explore <protocol>/<role> [--coverage FILE] [--mutations] [--random N] [--seed N] [--driver FILE] [--seed-bug NAME]
// Model-based exploration of the REAL engine against its generated table (runtime/explore): every state by a
// shortest path, every edge walked, every rejected (state, event) pair injected, driver probes, optionally
// message mutations and fast-check random runs. Prints each disagreement (state, event, what the table says,
// what the engine did, shortest replay) and a summary; writes the coverage file `protosmith viz --coverage`
// paints. Exit 0 only at 100% of edges and rejected pairs with no disagreement; 1 otherwise; 2 on usage errors.
import { writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { explore, formatDisagreement, summary, type Driver } from '../../explore/index.ts';

const USAGE = `usage: protosmith explore <protocol>/<role> [options]
  tls13/client, tls13/server   built-in drivers (runtime/explore/tls13/driver.ts)
  other protocols              --driver FILE: a module exporting createDriver(role) (see docs/writing-a-driver.md)
  --coverage FILE   write {"machine", "edges": {"FROM|EVENT|TARGET": n}, "rejected": {"STATE|EVENT": n}}
  --mutations       also mutate each walked edge's message in flight (driver-defined mutations)
  --random N        also run N fast-check random sequences (needs the dev dependency fast-check)
  --seed N          seed for --random
  --seed-bug NAME   tls13 only: explore an engine with one seeded bug (runtime/explore/tls13/seeded.ts)
`;

interface Options { machine?: string; coverage?: string; mutations: boolean; random: number; seed?: number; driver?: string; seedBug?: string }

function parse(args: string[]): Options | string {
  const o: Options = { mutations: false, random: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => args[++i];
    if (a === '--help' || a === '-h') return '';
    if (a === '--coverage') { const v = value(); if (!v) return '--coverage needs a file name'; o.coverage = v; }
    else if (a === '--mutations') o.mutations = true;
    else if (a === '--random') { const v = Number(value()); if (!Number.isInteger(v) || v < 1) return '--random needs a positive number of runs'; o.random = v; }
    else if (a === '--seed') { const v = Number(value()); if (!Number.isInteger(v)) return '--seed needs an integer'; o.seed = v; }
    else if (a === '--driver') { const v = value(); if (!v) return '--driver needs a module path'; o.driver = v; }
    else if (a === '--seed-bug') { const v = value(); if (!v) return '--seed-bug needs a bug name'; o.seedBug = v; }
    else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (o.machine === undefined) o.machine = a;
    else return `more than one machine given (${o.machine}, ${a})`;
  }
  if (o.machine === undefined) return 'no machine given';
  if (!/^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/.test(o.machine)) return `machine '${o.machine}' is not <protocol>/<role>`;
  return o;
}

async function driverFor(o: Options): Promise<Driver<unknown> | string> {
  const [protocol, role] = o.machine!.split('/') as [string, string];
  if (o.driver !== undefined) {
    const file = isAbsolute(o.driver) ? o.driver : resolve(process.cwd(), o.driver);
    let mod: { createDriver?: (role: string) => Driver<unknown> };
    try { mod = await import(pathToFileURL(file).href) as typeof mod; } catch (e) { return `cannot load driver ${o.driver}: ${(e as Error).message}`; }
    if (typeof mod.createDriver !== 'function') return `driver module ${o.driver} does not export createDriver(role)`;
    const d = mod.createDriver(role);
    if (d.name !== o.machine) return `driver module ${o.driver} drives ${d.name}, not ${o.machine}`;
    return d;
  }
  if (protocol !== 'tls13') return `no built-in driver for protocol '${protocol}': pass --driver FILE (docs/writing-a-driver.md)`;
  if (role !== 'client' && role !== 'server') return `tls13 has the roles client and server, not '${role}'`;
  const { tlsDriver } = await import('../../explore/tls13/driver.ts');
  if (o.seedBug !== undefined) {
    const { TLS_SEEDED_BUGS } = await import('../../explore/tls13/seeded.ts');
    const bug = TLS_SEEDED_BUGS.find((b) => b.name === o.seedBug && b.role === role);
    if (!bug) return `no seeded bug '${o.seedBug}' for tls13/${role} (have: ${TLS_SEEDED_BUGS.filter((b) => b.role === role).map((b) => b.name).join(', ')})`;
    process.stdout.write(`seeded bug ${bug.name}: ${bug.description}\n`);
    return tlsDriver(role, { patch: bug.patch }) as Driver<unknown>;
  }
  return tlsDriver(role) as Driver<unknown>;
}

export async function run(args: string[]): Promise<number> {
  const o = parse(args);
  if (typeof o === 'string') {
    (o === '' ? process.stdout : process.stderr).write(`${o === '' ? '' : `protosmith explore: ${o}\n`}${USAGE}`);
    return o === '' ? 0 : 2;
  }
  if (o.seedBug !== undefined && o.driver !== undefined) { process.stderr.write('protosmith explore: --seed-bug applies to the built-in tls13 drivers only\n'); return 2; }
  const driver = await driverFor(o);
  if (typeof driver === 'string') { process.stderr.write(`protosmith explore: ${driver}\n`); return 2; }
  const t0 = Date.now();
  const mutations = o.mutations ? await mutationsOf(o) : undefined;
  const r = await explore(driver, {
    onDisagreement: (d) => process.stdout.write(`${formatDisagreement(d)}\n`),
    ...(mutations ? { mutations } : {}),
  });
  for (const m of [...r.edges.missing, ...r.rejected.missing]) process.stdout.write(`NOT EXERCISED ${m}\n`);
  let failed = r.disagreements.length > 0 || r.edges.missing.length > 0 || r.rejected.missing.length > 0;
  if (o.random > 0) {
    let random: typeof import('../../explore/random.ts');
    try { random = await import('../../explore/random.ts'); } catch (e) { process.stderr.write(`protosmith explore: --random needs fast-check (a development dependency): ${(e as Error).message}\n`); return 2; }
    const rr = await random.randomExplore(driver, { runs: o.random, ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(mutations ? { mutations } : {}) });
    process.stdout.write(`random: ${rr.runs} runs, ${rr.commands} commands, ${rr.mutated} mutated messages${rr.report ? '' : ', no disagreement'}\n`);
    if (rr.disagreement) process.stdout.write(`${formatDisagreement(rr.disagreement)}\n`);
    if (rr.report) { process.stdout.write(`${rr.report}\n`); failed = true; }
  }
  process.stdout.write(`${summary(r)} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  if (o.coverage !== undefined) {
    writeFileSync(o.coverage, `${JSON.stringify(r.coverage, null, 2)}\n`);
    process.stdout.write(`wrote ${o.coverage} (paint it: protosmith viz ${o.machine} --format html --coverage ${o.coverage})\n`);
  }
  return failed ? 1 : 0;
}

async function mutationsOf(o: Options): Promise<readonly string[]> {
  if (o.machine!.startsWith('tls13/') && o.driver === undefined) return (await import('../../explore/tls13/driver.ts')).TLS_MUTATIONS;
  return [];
}
