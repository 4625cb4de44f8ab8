import { generate } from '../../../generator/generate.ts';
import { projectRoot } from '../root.ts';

export async function run(args: string[]): Promise<number> {
  const check = args.includes('--check');
  let stale: string[];
  try {
    ({ stale } = await generate(projectRoot(), check));
  } catch (e) {
    // A spec error (blame 'config', e.g. MachineSpecError) is a message for the spec author, not a crash.
    if (e instanceof Error && (e as { blame?: unknown }).blame === 'config') {
      process.stderr.write(`protosmith generate: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (check) {
    if (stale.length > 0) {
      process.stderr.write(`protosmith generate --check: ${stale.length} generated file(s) are stale; run 'npx protosmith generate' and commit:\n${stale.map((s) => `  ${s}`).join('\n')}\n`);
      return 1;
    }
    process.stdout.write('generated/ is up to date\n');
    return 0;
  }
  process.stdout.write(stale.length ? `wrote ${stale.length} file(s):\n${stale.map((s) => `  ${s}`).join('\n')}\n` : 'generated/ already up to date\n');
  return 0;
}
