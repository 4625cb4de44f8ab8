// Placeholder until its issue lands: says so and fails.
export async function run(_args: string[]): Promise<number> {
  process.stderr.write('protosmith demo: not implemented yet\n');
  return 2;
}
