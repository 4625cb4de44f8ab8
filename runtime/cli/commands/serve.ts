// `protosmith serve`: a TLS 1.3 server on runtime/node createServer, used like `openssl s_server`.
//   protosmith serve --port 4433 --cert chain.pem --key key.pem|pkcs11:URI [--www] [--alpn h2,http/1.1]
//                    [--provider node|native|webcrypto|noble] [--host 127.0.0.1]
// Without --www, what a client sends is written to stdout and stdin is sent to every connected client.
// With --www, a GET is answered (HTTP/1.0) with a page describing the connection, then closed.
// Status lines (listening, each handshake, errors) go to stderr. SIGINT/SIGTERM stop the server.
import type { AddressInfo } from 'node:net';
import { createServer, type TlsSocket } from '../../node/index.ts';
import type { HandshakeCompleteEvent } from '../../tls/index.ts';
import { PROVIDERS, UsageError, describeHandshake, errorLine, loadKey, parseArgs, readText, type ProviderName } from '../tls-options.ts';

const USAGE = `usage: protosmith serve --port P --cert chain.pem --key (key.pem | pkcs11:URI) [--www] [--alpn P1,P2]
                        [--provider ${PROVIDERS.join('|')}] [--host ADDR]
  --port      TCP port (0: any free port; the one chosen is printed)      default 4433
  --host      address to listen on                                         default 127.0.0.1
  --cert      PEM certificate chain, leaf first
  --key       PEM private key, or an RFC 7512 pkcs11: URI (module-path=..., token=..., object=...);
              the PIN comes from pin-value / pin-source in the URI or PROTOSMITH_PKCS11_PIN
  --www       answer a GET with a page describing the connection (like openssl s_server -www)
  --alpn      protocols to accept, most preferred first
  --provider  crypto provider for everything the key does not do             default node
`;

const err = (s: string): void => { process.stderr.write(`${s}\n`); };

function wwwPage(info: HandshakeCompleteEvent, provider: string, where: string): string {
  const body = ['protosmith serve', '', ...describeHandshake(info), `Crypto provider: ${provider}`, `Server key: ${where}`, ''].join('\n');
  return `HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n<HTML><BODY BGCOLOR="#ffffff">\n<pre>\n${body.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre></BODY></HTML>\r\n`;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help')) { process.stdout.write(USAGE); return 0; }
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(args, ['port', 'host', 'cert', 'key', 'alpn', 'provider'], ['www']);
    if (!opts.values.has('cert') || !opts.values.has('key')) throw new UsageError('--cert and --key are required');
    if (opts.positional.length) throw new UsageError(`unexpected argument ${opts.positional[0]}`);
  } catch (e) {
    err(`protosmith serve: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const port = Number(opts.values.get('port') ?? 4433);
  const host = opts.values.get('host') ?? '127.0.0.1';
  const providerName = (opts.values.get('provider') ?? 'node') as ProviderName;
  const alpn = opts.values.get('alpn')?.split(',').filter(Boolean);
  const www = opts.flags.has('www');
  if (!Number.isInteger(port) || port < 0 || port > 65535) { err(`protosmith serve: --port must be 0..65535\n\n${USAGE}`); return 2; }

  let key: Awaited<ReturnType<typeof loadKey>>;
  let chain: string;
  try {
    if (!PROVIDERS.includes(providerName)) throw new UsageError(`unknown --provider "${providerName}"; use one of ${PROVIDERS.join(', ')}`);
    chain = readText(opts.values.get('cert')!, 'the certificate chain');
    key = await loadKey(providerName, opts.values.get('key')!, chain);
  } catch (e) {
    err(`protosmith serve: ${errorLine(e)}`);
    return e instanceof UsageError ? 2 : 1;
  }

  const open = new Set<TlsSocket>();
  const server = createServer({ crypto: key.crypto, signingKey: key.signingKey, certificateChain: [chain], ...(alpn ? { alpn } : {}) }, (socket) => {
    const peer = `${(socket.transport as { remoteAddress?: string }).remoteAddress ?? '?'}:${(socket.transport as { remotePort?: number }).remotePort ?? '?'}`;
    open.add(socket);
    socket.on('close', () => { open.delete(socket); });
    socket.on('error', (e: Error) => { err(`connection ${peer}: ${errorLine(e)}`); });
    socket.once('secure', (info: HandshakeCompleteEvent) => {
      err(`connection ${peer}: handshake complete`);
      for (const l of describeHandshake(info)) err(`  ${l}`);
    });
    if (www) {
      let request = '';
      socket.on('data', (d: Buffer) => {
        request += d.toString('latin1');
        if (!/\r?\n\r?\n/.test(request) && request.length < 16384) return;
        socket.removeAllListeners('data');
        const info = socket.handshake;
        if (/^GET /.test(request) && info !== undefined) socket.end(wwwPage(info, key.crypto.name, key.where));
        else socket.end('HTTP/1.0 400 Bad Request\r\nContent-type: text/plain\r\n\r\nprotosmith serve --www answers GET requests only\r\n');
      });
    } else {
      socket.on('data', (d: Buffer) => { process.stdout.write(d); });
      socket.on('end', () => { socket.end(); });
    }
  });
  server.on('tlsClientError', () => { /* reported on the socket's 'error' */ });

  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', (e) => { err(`protosmith serve: cannot listen on ${host}:${port}: ${e.message}`); resolve(false); });
    server.listen(port, host, () => resolve(true));
  });
  if (!listening) { await key.close(); return 1; }
  const addr = server.address() as AddressInfo;
  err(`protosmith serve: listening on ${addr.address}:${addr.port} (TLS 1.3; provider ${key.crypto.name}; server key: ${key.where}${www ? '; --www' : ''})`);
  process.stdout.write(`ACCEPT ${addr.address}:${addr.port}\n`);

  const onStdin = (d: Buffer): void => { for (const s of open) if (s.handshake !== undefined) s.write(d); };
  if (!www) process.stdin.on('data', onStdin);

  await new Promise<void>((resolve) => {
    const stop = (): void => { resolve(); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdin.off('data', onStdin);
  process.stdin.pause();
  for (const s of open) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await key.close();
  err('protosmith serve: stopped');
  return 0;
}
