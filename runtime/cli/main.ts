// The `protosmith` command: one file per subcommand under ./commands, loaded on demand.
// Each command module exports `run(args: string[]): Promise<number>` (the exit code).

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: (args: string[]) => Promise<number> }> }> = {
  generate: { summary: 'regenerate generated/ from specs/ (--check: fail naming every stale file)', load: () => import('./commands/generate.ts') },
  compile: { summary: 'compile any .ksy spec to TypeScript: compile <file.ksy> --out DIR', load: () => import('./commands/compile.ts') },
  decode: { summary: 'decode <protocol>/<Type> (--hex HEX | FILE): print the value as JSON', load: () => import('./commands/decode.ts') },
  encode: { summary: 'encode <protocol>/<Type> FILE.json: print hex', load: () => import('./commands/encode.ts') },
  viz: { summary: 'viz <machine> --format svg|dot|mermaid|html [--out FILE]', load: () => import('./commands/viz.ts') },
  explore: { summary: 'explore <protocol>/<role>: drive the real engine through every edge and rejected pair of its table', load: () => import('./commands/explore.ts') },
  prove: { summary: 'prove [--mutants]: check the state machines (reference equivalence, spin, mutation)', load: () => import('./commands/prove.ts') },
  serve: { summary: 'serve --port P --cert chain.pem --key key.pem|pkcs11:URI [--www]: a TLS 1.3 server like openssl s_server', load: () => import('./commands/serve.ts') },
  connect: { summary: 'connect host:port [--ca FILE] [--alpn ..]: a TLS 1.3 client like openssl s_client', load: () => import('./commands/connect.ts') },
  demo: { summary: 'the main job: regenerate, run TLS 1.3 handshakes, draw the machines to out/', load: () => import('./commands/demo.ts') },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
    const out = name === undefined || name === '--help' || name === 'help' ? process.stdout : process.stderr;
    out.write(`${name && name !== '--help' && name !== 'help' ? `protosmith: unknown command '${name}'\n\n` : ''}usage: protosmith <command> [options]\n\n${lines.join('\n')}\n`);
    return name === undefined || name === '--help' || name === 'help' ? 0 : 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write(`protosmith ${name}: not available in this build (${(e as Error).message})\n`);
      return 2;
    }
    throw e;
  }
}
