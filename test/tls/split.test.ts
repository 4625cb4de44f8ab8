// Property: the record layer's result does not depend on how bytes are cut. A client fed the server's
// whole first flight in one call, or the same bytes split at any boundaries, or coalesced with the
// following application data, emits the same events and the same output bytes. Randomness is pinned
// (seeded provider), so every trial replays the identical handshake.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { createNodeProvider, nodeSigningKey } from '../../runtime/crypto/node/index.ts';
import { TlsClient, TlsServer, type TlsEvent } from '../../runtime/tls/index.ts';
import { clientConfig, connect, ofType, pki, serverConfig } from './harness.ts';
import type { CryptoProvider } from '../../runtime/crypto/provider.ts';

function seeded(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

const pinnedTime = Date.now() + 60_000; // after the test PKI was made
const fixedNow = (): number => pinnedTime;

function client(): TlsClient {
  return new TlsClient({ crypto: createNodeProvider({ randomBytes: seeded('client') }), now: fixedNow, serverName: 'localhost', trustAnchors: [pki.root.certPem], alpn: ['h2'] });
}

const serverCrypto = createNodeProvider({ randomBytes: seeded('server') });
const server = new TlsServer({ crypto: serverCrypto, now: fixedNow, certificateChain: [pki.servers.p256.chainPem], signingKey: nodeSigningKey(pki.servers.p256.keyPem), alpn: ['h2'], ticketKey: new Uint8Array(32).fill(3) });

// One real exchange: the client's ClientHello, the server's first flight, then 0.5-RTT data.
const reference = client();
await reference.start();
await server.receive(reference.takeOutput());
await server.write(new TextEncoder().encode('half-rtt data'));
const flight = server.takeOutput();

function summary(events: TlsEvent[]): string {
  return JSON.stringify(events.map((e) => (e.type === 'data' ? { type: 'data', data: Buffer.from(e.data).toString('hex') } : e.type === 'handshakeComplete' ? { ...e, peerCertificates: e.peerCertificates.length } : { type: e.type })));
}

const whole = client();
await whole.start();
whole.takeOutput();
const expectedEvents = summary(await whole.receive(flight));
const expectedOutput = Buffer.from(whole.takeOutput()).toString('hex');

test('reference_client_completes_the_handshake_from_the_whole_flight', () => {
  assert.ok(expectedEvents.includes('handshakeComplete'));
  assert.ok(expectedEvents.includes(Buffer.from('half-rtt data').toString('hex')));
  assert.ok(expectedOutput.length > 0, 'client answers with its Finished');
});

test('any_split_of_the_server_flight_gives_the_same_events_and_output', async () => {
  await fc.assert(fc.asyncProperty(
    fc.uniqueArray(fc.integer({ min: 1, max: flight.length - 1 }), { maxLength: 40 }),
    async (cuts) => {
      const c = client();
      await c.start();
      c.takeOutput();
      const points = [0, ...cuts.sort((a, b) => a - b), flight.length];
      const events: TlsEvent[] = [];
      for (let i = 0; i + 1 < points.length; i++) events.push(...await c.receive(flight.subarray(points[i]!, points[i + 1]!)));
      assert.is(summary(events), expectedEvents);
      assert.is(Buffer.from(c.takeOutput()).toString('hex'), expectedOutput);
    },
  ), { numRuns: 60 });
});

test('byte_at_a_time_delivery_gives_the_same_events', async () => {
  const c = client();
  await c.start();
  c.takeOutput();
  const events: TlsEvent[] = [];
  for (let i = 0; i < flight.length; i++) events.push(...await c.receive(flight.subarray(i, i + 1)));
  assert.is(summary(events), expectedEvents);
});

// The same property on the server side: the client's ClientHello cut anywhere.
// Ed25519: deterministic signatures, so the whole server flight is reproducible byte for byte.
function freshServer(): TlsServer {
  return new TlsServer({ crypto: createNodeProvider({ randomBytes: seeded('server-2') }), now: fixedNow, certificateChain: [pki.servers.ed25519.chainPem], signingKey: nodeSigningKey(pki.servers.ed25519.keyPem), alpn: ['h2'] });
}
const helloClient = client();
await helloClient.start();
const hello = helloClient.takeOutput();
const refServer = freshServer();
const serverExpected = summary(await refServer.receive(hello));
const serverOutput = Buffer.from(refServer.takeOutput()).toString('hex');

test('any_split_of_the_client_hello_gives_the_same_server_flight', async () => {
  assert.ok(serverOutput.length > 1000, 'server answered with its flight');
  await fc.assert(fc.asyncProperty(
    fc.uniqueArray(fc.integer({ min: 1, max: hello.length - 1 }), { maxLength: 20 }),
    async (cuts) => {
      const srv = freshServer();
      const points = [0, ...cuts.sort((a, b) => a - b), hello.length];
      const events: TlsEvent[] = [];
      for (let i = 0; i + 1 < points.length; i++) events.push(...await srv.receive(hello.subarray(points[i]!, points[i + 1]!)));
      assert.is(summary(events), serverExpected);
      assert.is(Buffer.from(srv.takeOutput()).toString('hex'), serverOutput);
    },
  ), { numRuns: 30 });
});

// The record layer reads received bytes in place (no copy) while receive() runs; it must keep nothing of
// them afterwards, or a caller reusing its buffer (as a socket reader may) would corrupt a later record.
test('received_bytes_are_not_kept_after_receive_resolves_overwriting_each_chunk_changes_nothing', async () => {
  await fc.assert(fc.asyncProperty(
    fc.uniqueArray(fc.integer({ min: 1, max: flight.length - 1 }), { maxLength: 30 }),
    async (cuts) => {
      const c = client();
      await c.start();
      c.takeOutput();
      const points = [0, ...cuts.sort((a, b) => a - b), flight.length];
      const events: TlsEvent[] = [];
      const scratch = new Uint8Array(flight.length);
      for (let i = 0; i + 1 < points.length; i++) {
        const chunk = scratch.subarray(0, points[i + 1]! - points[i]!);
        chunk.set(flight.subarray(points[i]!, points[i + 1]!));
        events.push(...await c.receive(chunk));
        chunk.fill(0xee); // the caller reuses its buffer
      }
      assert.is(summary(events), expectedEvents);
      assert.is(Buffer.from(c.takeOutput()).toString('hex'), expectedOutput);
    },
  ), { numRuns: 40 });
});

test('a_large_write_is_sealed_into_records_that_open_to_the_same_bytes_in_order', async () => {
  const c = client();
  await c.start();
  const srv = new TlsServer({ crypto: createNodeProvider(), now: fixedNow, certificateChain: [pki.servers.p256.chainPem], signingKey: nodeSigningKey(pki.servers.p256.keyPem), alpn: ['h2'], recordPadding: 64 });
  for (let i = 0; i < 6; i++) {
    const a = c.takeOutput(); if (a.length) await srv.receive(a);
    const b = srv.takeOutput(); if (b.length) await c.receive(b);
  }
  assert.ok(srv.isConnected && c.isConnected);
  const big = new Uint8Array(3 * 16384 + 77);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 0xff;
  await srv.write(big);
  const wire = srv.takeOutput();
  // 4 records, each padded so its inner plaintext is a multiple of 64 (capped at 2^14 + 1).
  let records = 0;
  for (let off = 0; off < wire.length; records++) off += 5 + ((wire[off + 3]! << 8) | wire[off + 4]!);
  assert.is(records, 4);
  const got = (await c.receive(wire)).filter((e) => e.type === 'data').map((e) => (e as { data: Uint8Array }).data);
  assert.equal(Buffer.concat(got).toString('hex'), Buffer.from(big).toString('hex'));
});

test('take_output_chunks_hands_over_the_records_as_made_in_order_and_they_join_to_what_the_peer_reads', async () => {
  const p = await connect(clientConfig(), serverConfig('p256'));
  const big = new Uint8Array(2 * 16384 + 5).map((_, i) => (i * 13) & 0xff);
  await p.server.write(big);
  await p.server.write(Uint8Array.of(1, 2, 3));
  const chunks = p.server.takeOutputChunks();
  assert.is(p.server.takeOutput().length, 0, 'taking the chunks took the output');
  assert.ok(chunks.length >= 4 * 2, 'each record is at least its header and its sealed content');
  // Walk the records: every header is a chunk of its own, followed by exactly its record's bytes.
  let i = 0;
  let records = 0;
  while (i < chunks.length) {
    const h = chunks[i++]!;
    assert.is(h.length, 5);
    let want = (h[3]! << 8) | h[4]!;
    while (want > 0) want -= chunks[i++]!.length;
    assert.is(want, 0, 'a record ends at a chunk boundary');
    records++;
  }
  assert.is(records, 4);
  const got = ofType(await p.client.receive(Buffer.concat(chunks)), 'data').map((e) => e.data);
  assert.is(Buffer.concat(got).toString('hex'), Buffer.concat([big, Uint8Array.of(1, 2, 3)]).toString('hex'));
});

test('take_output_after_many_writes_returns_every_byte_in_order_and_the_records_open_at_the_peer_in_sequence', async () => {
  for (const suite of [0x1301, 0x1302, 0x1303]) {
    const p = await connect(clientConfig({ cipherSuites: [suite] }), serverConfig('p256'));
    const writes: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      // sizes around the record boundary, one byte, and several records at once
      const n = [1, 16383, 16384, 16385, 3 * 16384 + 1, 100][i % 6]!;
      const w = new Uint8Array(n).map((_, j) => (i * 31 + j) & 0xff);
      writes.push(w);
      await p.client.write(w);
    }
    const wire = p.client.takeOutput();
    assert.is(p.client.takeOutput().length, 0);
    let records = 0;
    for (let off = 0; off < wire.length; records++) off += 5 + ((wire[off + 3]! << 8) | wire[off + 4]!);
    assert.is(records, writes.reduce((n, w) => n + Math.ceil(w.length / 16384), 0), 'each write cut into 2^14-byte records');
    const got = ofType(await p.server.receive(wire), 'data').map((e) => e.data);
    assert.is(got.length, records, 'one data event per record');
    assert.is(Buffer.concat(got).toString('hex'), Buffer.concat(writes).toString('hex'), `suite ${suite}`);
    // Each record's nonce came from its own sequence number: the same bytes again are refused (the
    // reader's sequence number has moved on), with bad_record_mac.
    const replay = ofType(await p.server.receive(wire.subarray(0, 5 + ((wire[3]! << 8) | wire[4]!))), 'error');
    assert.is(replay.length, 1);
    assert.is(replay[0]!.error.code, 'TLS_BAD_RECORD_MAC');
    assert.is(replay[0]!.error.alert, 'bad_record_mac');
  }
});

test('a_record_sealed_on_the_fast_path_that_is_altered_in_flight_is_bad_record_mac', async () => {
  const p = await connect(clientConfig(), serverConfig('p256'));
  await p.client.write(new Uint8Array(5000).fill(7));
  const wire = p.client.takeOutput().slice();
  wire[wire.length - 20]! ^= 1;
  const ev = await p.server.receive(wire);
  assert.is(ofType(ev, 'data').length, 0, 'nothing of the altered record is delivered');
  assert.is(ofType(ev, 'error')[0]?.error.code, 'TLS_BAD_RECORD_MAC');
  assert.ok(p.server.takeOutput().length > 0, 'the bad_record_mac alert is queued');
});

// The bulk path takes no promise per record when the provider's AEAD is synchronous (node:crypto); an
// asynchronous AEAD (WebCrypto, PKCS#11) goes through the promise path. The two must interoperate and
// deliver the same bytes in the same order, however the writes are sized and the wire is cut.
test('a_synchronous_and_an_asynchronous_aead_provider_interoperate_for_any_write_sizes_and_wire_cuts', async () => {
  const base = createNodeProvider();
  const asyncAead: CryptoProvider = {
    ...base,
    async importAeadKey(alg, key) {
      const k = await base.importAeadKey(alg, key);
      return { algorithm: k.algorithm, seal: (n, a, t) => k.seal(n, a, t), open: (n, a, c) => k.open(n, a, c) };
    },
  };
  await fc.assert(fc.asyncProperty(
    fc.boolean(), fc.constantFrom(0x1301, 0x1302, 0x1303), fc.array(fc.integer({ min: 1, max: 40000 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 70000 }),
    async (clientIsAsync, suite, sizes, cut) => {
      const p = await connect(
        clientConfig({ crypto: clientIsAsync ? asyncAead : base, cipherSuites: [suite] }),
        serverConfig('p256', { crypto: clientIsAsync ? base : asyncAead }),
      );
      assert.ok(p.client.isConnected && p.server.isConnected);
      for (const [from, to] of [[p.client, p.server], [p.server, p.client]] as const) {
        const sent: Uint8Array[] = [];
        for (const [i, n] of sizes.entries()) {
          const d = new Uint8Array(n).map((_, j) => (j * 31 + i) & 0xff);
          sent.push(d);
          await from.write(d);
        }
        const wire = from.takeOutput();
        const got: Uint8Array[] = [];
        for (let off = 0; off < wire.length; off += cut) {
          for (const e of await to.receive(wire.subarray(off, off + cut))) if (e.type === 'data') got.push(e.data);
        }
        assert.is(Buffer.concat(got).toString('hex'), Buffer.concat(sent).toString('hex'));
      }
    },
  ), { numRuns: 12 });
});

test.run();
