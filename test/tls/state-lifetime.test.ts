// What an engine keeps and for how long: a config shared by many connections is decoded once but read
// afresh when the application changes it; a connected engine drops its negotiation state (ClientHello,
// key shares, transcript, handshake secrets and schedule) and still serves everything a connection does
// after the handshake (data both ways, tickets, KeyUpdate, exporter, close); its guards, actions and
// codecs are shared by every connection, not closures of its own.
import { getHeapSnapshot } from 'node:v8';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import type { CertificateInput } from '../../runtime/tls/index.ts';
import { clientConfig, connect, dataOf, ofType, pki, pump, serverConfig, text } from './harness.ts';

const leafDer = (pem: string): string => Buffer.from(pem.split('-----')[2]!.replace(/\s+/g, ''), 'base64').toString('hex');

test('a server config shared by connections sends the chain its certificateChain array holds now, even after the array was changed in place', async () => {
  const chain: CertificateInput[] = [pki.servers.p256.chainPem];
  const sc = { ...serverConfig('p256'), certificateChain: chain };
  for (let i = 0; i < 2; i++) {
    const p = await connect(clientConfig(), sc);
    assert.ok(p.client.isConnected, `connection ${i}`);
    const hc = ofType(p.clientEvents, 'handshakeComplete')[0]!;
    assert.is(Buffer.from(hc.peerCertificates[0]!).toString('hex'), leafDer(pki.servers.p256.certPem));
  }
  chain[0] = pki.servers.p384.chainPem; // the application swaps the certificate in the same array
  const p = await connect(clientConfig(), { ...sc, signingKey: nodeSigningKey(pki.servers.p384.keyPem) });
  assert.ok(p.client.isConnected, p.client.error?.message);
  assert.is(Buffer.from(ofType(p.clientEvents, 'handshakeComplete')[0]!.peerCertificates[0]!).toString('hex'), leafDer(pki.servers.p384.certPem));
});

test('a connected server keeps no negotiation state yet serves data both ways, KeyUpdate, the exporter, tickets and close_notify', async () => {
  const p = await connect(clientConfig(), serverConfig('p256', { ticketKey: new Uint8Array(32).fill(4) }));
  assert.ok(p.server.isConnected && p.client.isConnected);
  const held = p.server as unknown as Record<string, unknown>;
  for (const field of ['neg', 'cHs', 'sHs', 'earlySecret', 'shared', 'resumptionMaster', 'schedule_', 'handshakeTranscript', 'transcriptBefore', 'clientRandom', 'peerCertificates', 'clientSpki']) {
    assert.ok(field in held, `the server has a field ${field}`);
    assert.is(held[field], undefined, `${field} dropped once connected`);
  }
  assert.is(await held.queue, undefined, 'the call queue holds no result of the last call');
  assert.ok(ofType(p.clientEvents, 'newSessionTicket').length >= 1, 'the ticket was sent before the state was dropped');
  const a = await p.client.exportKeyingMaterial('EXPORTER-test', undefined, 32);
  const b = await p.server.exportKeyingMaterial('EXPORTER-test', undefined, 32);
  assert.equal(Array.from(a), Array.from(b));
  p.serverEvents.length = 0; p.clientEvents.length = 0;
  await p.server.requestKeyUpdate(true);
  await p.server.write(text('after key update'));
  await p.client.write(text('from client'));
  await pump(p);
  assert.is(dataOf(p.clientEvents), 'after key update');
  assert.is(dataOf(p.serverEvents), 'from client');
  assert.ok(ofType(p.serverEvents, 'keyUpdate').length >= 1);
  await p.client.close();
  await pump(p);
  assert.is(ofType(p.serverEvents, 'peerClosed').length, 1, 'the server saw close_notify (and may still write: half-close)');
});

test('a connected client keeps no key shares, handshake secrets, schedule or transcript yet stores tickets, updates keys and exports', async () => {
  const p = await connect(clientConfig(), serverConfig('p256', { ticketKey: new Uint8Array(32).fill(4), ticketCount: 2 }));
  assert.ok(p.client.isConnected);
  const held = p.client as unknown as Record<string, unknown>;
  for (const field of ['random', 'cookie', 'offeredPsk', 'sharedSecret', 'hsSchedule', 'cHs', 'sHs', 'earlyTrafficSecret', 'leafSpki', 'certRequest', 'handshakeTranscript', 'transcriptBefore', 'clientRandom']) {
    assert.ok(field in held, `the client has a field ${field}`);
    assert.is(held[field], undefined, `${field} dropped once connected`);
  }
  assert.is((held.shares as Map<number, unknown>).size, 0, 'no key share (private key) kept');
  assert.is(ofType(p.clientEvents, 'newSessionTicket').length, 2, 'tickets that arrive after the handshake are still turned into sessions');
  assert.equal(Array.from(await p.client.exportKeyingMaterial('EXPORTER-x', undefined, 16)), Array.from(await p.server.exportKeyingMaterial('EXPORTER-x', undefined, 16)));
  p.serverEvents.length = 0;
  await p.client.requestKeyUpdate(true);
  await p.client.write(text('after'));
  await pump(p);
  assert.is(dataOf(p.serverEvents), 'after');
});

/** Every function reachable from the engine's own fields, and from the plain objects and arrays they
 *  hold (two levels: e.g. `implementations.actions.*`, a codec's `seal`/`open`). */
function functionsHeld(engine: object): Set<unknown> {
  const found = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === 'function') { found.add(v); return; }
    if (depth === 0 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
    const proto = Object.getPrototypeOf(v);
    if (depth < 3 && proto !== Object.prototype && proto !== Array.prototype && proto !== null) return;
    for (const x of Object.values(v)) walk(x, depth - 1);
  };
  // The implementations sit on the class's prototype (defineClassMembers), read through the engine as the
  // table runner reads them; the rest is what the engine's own fields hold.
  walk({ ...engine, implementations: (engine as { implementations?: unknown }).implementations }, 3);
  return found;
}

test('connections hold no guard, action or codec closures of their own: every function two connected engines reach is shared', async () => {
  const cc = clientConfig();
  const sc = serverConfig('p256', { ticketKey: new Uint8Array(32).fill(4) });
  const p = await connect(cc, sc);
  const q = await connect(cc, sc);
  assert.ok(p.server.isConnected && q.server.isConnected && p.client.isConnected && q.client.isConnected);
  for (const [a, b] of [[p.server, q.server], [p.client, q.client]] as const) {
    const mine = functionsHeld(a);
    const theirs = functionsHeld(b);
    assert.ok(mine.size >= 30, `the walk reaches the ${a.role}'s guards and actions (${mine.size} functions)`);
    const own = [...mine].filter((f) => !theirs.has(f)).map((f) => (f as { name?: string }).name || '(anonymous)');
    assert.equal(own, [], `${a.role} functions not shared with another connection`);
  }
  const impl = (x: object): { guards: object; actions: object } => (x as unknown as { implementations: { guards: object; actions: object } }).implementations;
  assert.ok(Object.isFrozen(impl(p.server).actions) && Object.isFrozen(impl(p.client).guards), 'the shared implementations cannot be changed through one connection');
});

/** What the heap holds right now: for every object of each class in `classes`, the class names of the
 *  objects its own fields (private ones included) point to. From a V8 heap snapshot, so nothing is timed. */
async function fieldsOfClasses(classes: readonly string[]): Promise<Map<string, Map<string, string[]>>> {
  const chunks: Buffer[] = [];
  for await (const c of getHeapSnapshot()) chunks.push(c as Buffer);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] } };
    nodes: number[]; edges: number[]; strings: string[];
  };
  const { node_fields: nfs, edge_fields: efs, node_types: [nodeTypes], edge_types: [edgeTypes] } = snap.snapshot.meta;
  const nf = nfs.length, ef = efs.length, ti = nfs.indexOf('type'), ni = nfs.indexOf('name'), ci = nfs.indexOf('edge_count');
  const name = (at: number): string => snap.strings[snap.nodes[at + ni]!]!;
  const found = new Map<string, Map<string, string[]>>(classes.map((c) => [c, new Map()]));
  let e = 0;
  for (let at = 0; at < snap.nodes.length; at += nf) {
    const count = snap.nodes[at + ci]!;
    const mine = nodeTypes[snap.nodes[at + ti]!] === 'object' ? found.get(name(at)) : undefined;
    for (let j = 0; j < count; j++, e += ef) {
      if (!mine || edgeTypes[snap.edges[e]!] !== 'property') continue;
      const field = snap.strings[snap.edges[e + 1]!]!;
      const to = snap.edges[e + 2]!;
      if (field === '__proto__' || field === 'constructor') continue;
      const list = mine.get(field) ?? [];
      list.push(nodeTypes[snap.nodes[to + ti]!] === 'object' ? name(to) : nodeTypes[snap.nodes[to + ti]!]!);
      mine.set(field, list);
    }
  }
  return found;
}

test('an idle connection\'s record protection is a few numbers per direction: no typed array, ArrayBuffer or KeyObject for its IV, nonce or AEAD key', async () => {
  const p = await connect(clientConfig(), serverConfig('p256'));
  assert.ok(p.server.isConnected && p.client.isConnected);
  await p.client.write(text('ping'));
  await pump(p);
  assert.is(dataOf(p.serverEvents), 'ping', 'the record protection in force works');
  const held = await fieldsOfClasses(['RecordProtection', 'NodeAeadKey']);
  const boxes = new Set(['Uint8Array', 'Buffer', 'ArrayBuffer', 'DataView', 'SecretKeyObject', 'KeyObject']);
  for (const [cls, fields] of held) {
    assert.ok(fields.size > 0, `the snapshot shows the fields of ${cls}`);
    for (const [field, targets] of fields) {
      const boxed = targets.filter((t) => boxes.has(t));
      assert.equal(boxed, [], `${cls}.${field} holds ${boxed.length} typed arrays or key objects`);
    }
  }
  await p.server.write(text('pong'));
  await pump(p);
  assert.is(dataOf(p.clientEvents), 'pong');
});

test('idle connections hold no empty arrays of their own: their event, output and handshake queues and an empty peerCertificates are one shared frozen array', async () => {
  const cc = clientConfig();
  const sc = serverConfig('p256');
  const p = await connect(cc, sc);
  const q = await connect(cc, sc);
  const fields = (x: object): Record<string, unknown> => x as unknown as Record<string, unknown>;
  for (const name of ['events', 'output', 'pendingHandshake']) {
    const a = fields(p.server)[name] as unknown[];
    assert.ok(Array.isArray(a) && a.length === 0, `${name} is empty once idle`);
    assert.ok(a === fields(q.server)[name] && a === fields(p.client)[name], `${name} is shared by idle connections`);
    assert.ok(Object.isFrozen(a), `the shared ${name} cannot be filled by mistake`);
  }
  const server = fields(p.server);
  for (const name of ['neg', 'retried', 'shared', 'schedule_', 'earlySecret', 'cHs', 'sHs', 'resumptionMaster', 'earlyReceived', 'peerCertificates', 'clientSpki', 'clientScheme', 'certificateEmpty', 'ownCookieCodec']) {
    assert.not.ok(Object.hasOwn(server, name), `the handshake-only ${name} is no field of the connected server object`);
  }
  assert.is(server.hs, undefined, 'the handshake-state object was dropped at CONNECTED');
  const certs = (x: typeof p): readonly Uint8Array[] => ofType(x.serverEvents, 'handshakeComplete')[0]!.peerCertificates;
  assert.is(certs(p).length, 0);
  assert.ok(certs(p) === certs(q), 'no client certificate: one shared empty list');
  await p.client.write(text('still works'));
  await pump(p);
  assert.is(dataOf(p.serverEvents), 'still works');
  const taken = await p.server.write(text('x'));
  assert.ok(Array.isArray(taken) && !Object.isFrozen(taken), 'callers get an array of their own');
  assert.ok(p.server.takeOutputChunks().length > 0 && !Object.isFrozen(p.server.takeOutputChunks()), 'output chunks handed out are the caller\'s');
});

test('an idle connection holds no promise for its call queue, and its application secrets still serve KeyUpdate and the exporter', async () => {
  const p = await connect(clientConfig(), serverConfig('p256'));
  await p.client.write(text('ping'));
  await pump(p);
  assert.is(dataOf(p.serverEvents), 'ping');
  await new Promise((r) => setImmediate(r)); // every call has settled
  const held = await fieldsOfClasses(['TlsServer', 'TlsClient']);
  for (const [cls, fields] of held) {
    assert.ok(fields.size > 0, `the snapshot shows the fields of ${cls}`);
    assert.not.ok((fields.get('queue') ?? []).includes('Promise'), `${cls}.queue holds a settled promise while idle`);
  }
  // The secrets still serve a KeyUpdate and the exporter, the same on both sides.
  p.clientEvents.push(...await p.client.requestKeyUpdate(true));
  await pump(p);
  const a = await p.client.exportKeyingMaterial('EXPORTER-test', text('ctx'), 32);
  const b = await p.server.exportKeyingMaterial('EXPORTER-test', text('ctx'), 32);
  assert.equal(a, b);
  await p.server.write(text('pong'));
  await pump(p);
  assert.is(dataOf(p.clientEvents), 'pong');
});


test('an idle engine holds no record reader or handshake reassembler, yet records split over receive() calls and handshake messages split over records after the handshake are put together', async () => {
  // record_size_limit 64: the server's records carry at most 63 bytes, so each NewSessionTicket (longer
  // than that) reaches the connected client in pieces: its reassembler is made, emptied, dropped, made again.
  const p = await connect(clientConfig({ recordSizeLimit: 64 }), serverConfig('p256', { ticketKey: new Uint8Array(32).fill(4), ticketCount: 3 }));
  assert.ok(p.client.isConnected && p.server.isConnected);
  const tickets = ofType(p.clientEvents, 'newSessionTicket');
  assert.is(tickets.length, 3, 'three fragmented tickets, each put together');
  assert.ok(tickets.every((t) => t.ticket.ticket.length > 64), 'each ticket spans more than one record');
  const held = (e: object): { records: unknown; reassembler: unknown } => e as unknown as { records: unknown; reassembler: unknown };
  for (const e of [p.client, p.server]) {
    assert.is(held(e).records, undefined, `the idle ${e.role} holds no record reader`);
    assert.is(held(e).reassembler, undefined, `the idle ${e.role} holds no handshake reassembler`);
  }
  // A KeyUpdate (asking for one back) and data, handed to the client a byte at a time: the reader holds
  // each partial record between calls and is dropped once the record is complete.
  await p.server.requestKeyUpdate(true);
  await p.server.write(text('after key update, byte by byte'));
  const wire = p.server.takeOutput();
  const events = [];
  let heldPartial = 0;
  for (let i = 0; i < wire.length; i++) {
    events.push(...await p.client.receive(wire.subarray(i, i + 1)));
    if (held(p.client).records !== undefined) heldPartial++;
  }
  assert.ok(heldPartial > 0, 'partial records were held between calls');
  assert.is(held(p.client).records, undefined, 'and the reader dropped once they were complete');
  assert.is(dataOf(events), 'after key update, byte by byte');
  assert.equal(ofType(events, 'keyUpdate').map((e) => e.direction), ['read', 'write'], 'the client updated its read keys and answered with its own update');
  p.serverEvents.length = 0;
  await p.client.write(text('reply'));
  await pump(p);
  assert.is(dataOf(p.serverEvents), 'reply', 'the server reads the client under its updated keys');
  assert.equal(Array.from(await p.client.exportKeyingMaterial('EXPORTER-x', undefined, 16)), Array.from(await p.server.exportKeyingMaterial('EXPORTER-x', undefined, 16)), 'the exporter is unchanged by KeyUpdate');
});

test.run();
