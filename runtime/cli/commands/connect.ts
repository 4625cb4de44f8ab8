// `protosmith connect`: a TLS 1.3 client on runtime/node connect, used like `openssl s_client`.
//   protosmith connect host:port [--ca FILE] [--servername NAME] [--alpn P1,P2] [--key key.pem|pkcs11:URI --cert chain.pem]
//                     [--provider node|native|webcrypto|noble]
// Prints the negotiated parameters on stderr, then copies stdin to the connection and the
// connection to stdout. End of stdin sends close_notify; the exit code is 0 after an orderly close,
// 1 when the handshake or the connection failed (the typed error is printed), 2 for a usage error.
import { connect, type TlsSocket } from '../../node/index.ts';
import { PROVIDERS, UsageError, describeHandshake, errorLine, loadKey, parseArgs, providerByName, readText, type ProviderName } from '../tls-options.ts';

const USAGE = `usage: protosmith connect host:port [--ca FILE] [--servername NAME] [--alpn P1,P2]
                          [--key key.pem|pkcs11:URI --cert chain.pem] [--provider ${PROVIDERS.join('|')}]
  --ca          PEM trust anchors (default: Node's bundled Mozilla CA list)
  --servername  SNI and the name the certificate must match (default: host)
  --alpn        protocols to offer, most preferred first
  --key/--cert  client certificate key (PEM or RFC 7512 pkcs11: URI) and PEM chain, for client auth
  --provider    crypto provider                                            default node
Negotiated parameters go to stderr; stdin is sent, received data goes to stdout.
`;

const err = (s: string): void => { process.stderr.write(`${s}\n`); };

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help')) { process.stdout.write(USAGE); return 0; }
  let opts: ReturnType<typeof parseArgs>;
  let host: string;
  let port: number;
  try {
    opts = parseArgs(args, ['ca', 'servername', 'alpn', 'key', 'cert', 'provider'], []);
    const target = opts.positional[0];
    if (target === undefined || opts.positional.length > 1) throw new UsageError('give exactly one host:port');
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(target);
    if (!m) throw new UsageError(`"${target}" is not host:port`);
    host = m[1] ?? m[2]!;
    port = Number(m[3]);
    if (port < 1 || port > 65535) throw new UsageError(`port ${port} is out of range`);
    if (opts.values.has('key') !== opts.values.has('cert')) throw new UsageError('--key and --cert go together (client authentication)');
  } catch (e) {
    err(`protosmith connect: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const providerName = (opts.values.get('provider') ?? 'node') as ProviderName;
  let closeKey = async (): Promise<void> => { /* no key */ };
  let socket: TlsSocket;
  try {
    if (!PROVIDERS.includes(providerName)) throw new UsageError(`unknown --provider "${providerName}"; use one of ${PROVIDERS.join(', ')}`);
    const ca = opts.values.get('ca');
    const alpn = opts.values.get('alpn')?.split(',').filter(Boolean);
    let crypto = await providerByName(providerName);
    let client: { signingKey: import('../../crypto/provider.ts').SigningKey; certificateChain: string[] } | undefined;
    if (opts.values.has('key')) {
      const chain = readText(opts.values.get('cert')!, 'the client certificate chain');
      const key = await loadKey(providerName, opts.values.get('key')!, chain);
      crypto = key.crypto;
      closeKey = key.close;
      client = { signingKey: key.signingKey, certificateChain: [chain] };
    }
    socket = connect({
      host, port, crypto,
      ...(opts.values.has('servername') ? { serverName: opts.values.get('servername')! } : {}),
      ...(ca !== undefined ? { trustAnchors: [readText(ca, 'the CA file')] } : {}),
      ...(alpn ? { alpn } : {}),
      ...(client ?? {}),
    });
  } catch (e) {
    err(`protosmith connect: ${errorLine(e)}`);
    await closeKey();
    return e instanceof UsageError ? 2 : 1;
  }

  let failure: Error | undefined;
  socket.on('error', (e: Error) => { failure ??= e; });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  try {
    const info = await Promise.race([socket.secureConnect(), closed.then(() => { throw failure ?? new UsageError('the connection closed before the handshake completed'); })]);
    err(`CONNECTED ${host}:${port}`);
    for (const l of describeHandshake(info)) err(`  ${l}`);
    err('---');
  } catch (e) {
    err(`protosmith connect: handshake with ${host}:${port} failed: ${errorLine(e)}`);
    socket.destroy();
    await closeKey();
    return 1;
  }
  socket.on('data', (d: Buffer) => { process.stdout.write(d); });
  const onStdin = (d: Buffer): void => { socket.write(d); };
  const onEnd = (): void => { socket.end(); };
  process.stdin.on('data', onStdin);
  process.stdin.once('end', onEnd);
  await closed;
  process.stdin.off('data', onStdin);
  process.stdin.off('end', onEnd);
  process.stdin.pause();
  process.stdin.unref?.();
  await closeKey();
  if (failure !== undefined) {
    err(`protosmith connect: ${errorLine(failure)}`);
    return 1;
  }
  err('DONE');
  return 0;
}
