// In-memory client <-> server driver for engine tests: shuttles takeOutput() bytes between the two
// sans-IO engines until neither has anything to send, collecting every event on each side.
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { TlsClient, TlsServer, type TlsClientConfig, type TlsEvent, type TlsServerConfig } from '../../runtime/tls/index.ts';
import { testPki, type KeyKind } from '../support/pki.ts';

export const crypto = createNodeProvider();
export const pki = testPki();
export const now = (): number => Date.now();

export function clientConfig(extra: Partial<TlsClientConfig> = {}): TlsClientConfig {
  return { crypto, now, serverName: 'localhost', trustAnchors: [pki.root.certPem], ...extra };
}

export function serverConfig(kind: KeyKind = 'p256', extra: Partial<TlsServerConfig> = {}): TlsServerConfig {
  const leaf = pki.servers[kind];
  return { crypto, now, certificateChain: [leaf.chainPem], signingKey: nodeSigningKey(leaf.keyPem), ...extra };
}

export interface Pair {
  client: TlsClient;
  server: TlsServer;
  clientEvents: TlsEvent[];
  serverEvents: TlsEvent[];
  /** Bytes sent by the server, in order (for split/coalesce properties). */
  serverWire: Uint8Array[];
  clientWire: Uint8Array[];
}

export async function pump(p: Pair, maxRounds = 20): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    const c = p.client.takeOutput();
    const s = p.server.takeOutput();
    if (c.length === 0 && s.length === 0) return;
    if (c.length > 0 && p.server.error === undefined) { p.clientWire.push(c); p.serverEvents.push(...await p.server.receive(c)); }
    if (s.length > 0 && p.client.error === undefined) { p.serverWire.push(s); p.clientEvents.push(...await p.client.receive(s)); }
  }
}

export async function connect(cc: TlsClientConfig, sc: TlsServerConfig): Promise<Pair> {
  const p: Pair = { client: new TlsClient(cc), server: new TlsServer(sc), clientEvents: [], serverEvents: [], serverWire: [], clientWire: [] };
  p.clientEvents.push(...await p.client.start());
  await pump(p);
  return p;
}

export function ofType<T extends TlsEvent['type']>(events: TlsEvent[], type: T): Extract<TlsEvent, { type: T }>[] {
  return events.filter((e): e is Extract<TlsEvent, { type: T }> => e.type === type);
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);
export const dataOf = (events: TlsEvent[]): string => ofType(events, 'data').map((e) => str(e.data)).join('');
