// Child process for `protosmith prove --mutants`: runs the cheap checks on every `shards`-th mutant
// starting at `shard`, printing one JSON line per mutant: {"id","killedBy","detail"}.
import { allMutants, cheapKill, loadInputs } from './prove.ts';

const [root = process.cwd(), protocol = 'tls13', shard = '0', shards = '1'] = process.argv.slice(2);
const inputs = loadInputs(root, protocol);
const list = allMutants(inputs);
const lines: string[] = [];
for (let i = Number(shard); i < list.length; i += Number(shards)) {
  const o = cheapKill(inputs, list[i] as (typeof list)[number]);
  lines.push(JSON.stringify({ id: o.mutant.id, killedBy: o.killedBy ?? null, detail: o.detail }));
}
process.stdout.write(`${lines.join('\n')}\n`);
