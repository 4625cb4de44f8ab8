// Server process for `npm run bench -- load` (test/bench/load.ts): an echo server — protosmith's
// createServer or node:tls — on 127.0.0.1, in its own process so its RSS is its own. Driven over IPC:
//   parent → {start: {kind, certPem, chainPem, keyPem}}  child → {port}
//   parent → {stats: true, gc?: boolean}                  child → {rss, heapUsed, connections}
import { createServer as tlsCreateServer, type TLSSocket } from 'node:tls';
import { pipeline } from 'node:stream';
import type { AddressInfo, Server } from 'node:net';
import { createServer } from '../../runtime/node/index.ts';

interface Start { kind: 'ours' | 'node'; chainPem: string; keyPem: string }
let server: Server | undefined;

function stats(gc: boolean): Promise<{ rss: number; heapUsed: number; connections: number }> {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  return new Promise((resolve) => {
    server!.getConnections((_e, n) => {
      const m = process.memoryUsage();
      resolve({ rss: m.rss, heapUsed: m.heapUsed, connections: n });
    });
  });
}

process.on('message', (msg: { start?: Start; stats?: boolean; gc?: boolean }) => {
  if (msg.start) {
    const { kind, chainPem, keyPem } = msg.start;
    if (kind === 'ours') {
      server = createServer({ certificateChain: [chainPem], signingKey: keyPem }, (socket) => {
        pipeline(socket, socket, () => undefined);
      });
    } else {
      server = tlsCreateServer({ cert: chainPem, key: keyPem, minVersion: 'TLSv1.3' }, (socket: TLSSocket) => {
        pipeline(socket, socket, () => undefined);
      });
    }
    server.on('tlsClientError', () => undefined);
    server.on('error', (e) => { console.error('server error', e); process.exit(1); });
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
      process.send!({ port: (server!.address() as AddressInfo).port });
    });
  } else if (msg.stats) {
    void stats(msg.gc === true).then((s) => process.send!(s));
  }
});
process.on('disconnect', () => process.exit(0));
