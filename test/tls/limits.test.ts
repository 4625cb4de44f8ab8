// Resource limits of the engine: records that carry no progress (change_cipher_spec, user_canceled,
// empty application_data, KeyUpdate) are tolerated up to MAX_RECORDS_WITHOUT_PROGRESS in a row and
// then end the connection with unexpected_message; the record reader and handshake reassembler keep
// no more memory alive than their unread bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TlsClient, TlsServer, type ProtosmithError } from '../../runtime/tls/index.ts';
import { MAX_RECORDS_WITHOUT_PROGRESS } from '../../runtime/tls/connection.ts';
import { HandshakeReassembler, RecordReader, plaintextRecord } from '../../runtime/tls/record-layer.ts';
import { clientConfig, serverConfig, connect, ofType, text, dataOf } from './harness.ts';

const CCS = plaintextRecord(20, Uint8Array.of(1));
const USER_CANCELED = plaintextRecord(21, Uint8Array.of(1, 90));
const repeat = (rec: Uint8Array, n: number): Uint8Array => {
  const out = new Uint8Array(rec.length * n);
  for (let i = 0; i < n; i++) out.set(rec, i * rec.length);
  return out;
};

async function serverAfterClientHello(): Promise<TlsServer> {
  const client = new TlsClient(clientConfig());
  await client.start();
  const server = new TlsServer(serverConfig());
  await server.receive(client.takeOutput());
  server.takeOutput();
  return server;
}

function errorOf(events: Awaited<ReturnType<TlsServer['receive']>>): ProtosmithError | undefined {
  return ofType(events, 'error')[0]?.error;
}

test(`the server tolerates ${MAX_RECORDS_WITHOUT_PROGRESS} change_cipher_spec records after ClientHello`, async () => {
  const server = await serverAfterClientHello();
  const ev = await server.receive(repeat(CCS, MAX_RECORDS_WITHOUT_PROGRESS));
  assert.is(errorOf(ev), undefined);
  assert.is(server.error, undefined);
});

test('a change_cipher_spec flood after ClientHello ends the connection with unexpected_message (TLS_NO_PROGRESS)', async () => {
  const server = await serverAfterClientHello();
  const ev = await server.receive(repeat(CCS, 500));
  const err = errorOf(ev);
  assert.is(err?.code, 'TLS_NO_PROGRESS');
  assert.is(err?.alert, 'unexpected_message');
  assert.is(server.state, 'ERROR');
  assert.ok(server.takeOutput().length > 0, 'the alert is queued for the peer');
});

test('a user_canceled flood before ClientHello ends the connection with unexpected_message', async () => {
  const server = new TlsServer(serverConfig());
  const ev = await server.receive(repeat(USER_CANCELED, MAX_RECORDS_WITHOUT_PROGRESS + 1));
  assert.is(errorOf(ev)?.code, 'TLS_NO_PROGRESS');
  assert.is(errorOf(ev)?.alert, 'unexpected_message');
});

test('a client facing a server that floods change_cipher_spec instead of ServerHello gives up', async () => {
  const client = new TlsClient(clientConfig());
  await client.start();
  client.takeOutput();
  const ev = await client.receive(repeat(CCS, 200));
  assert.is(errorOf(ev)?.code, 'TLS_NO_PROGRESS');
});

test('a KeyUpdate flood without data ends the connection; KeyUpdates between data records are fine', async () => {
  const p = await connect(clientConfig(), serverConfig());
  // Interleaved with data: progress every time, never a limit.
  for (let i = 0; i < MAX_RECORDS_WITHOUT_PROGRESS * 2; i++) {
    await p.client.requestKeyUpdate(false);
    await p.client.write(text('x'));
  }
  const ok = await p.server.receive(p.client.takeOutput());
  assert.is(errorOf(ok), undefined);
  assert.is(dataOf(ok).length, MAX_RECORDS_WITHOUT_PROGRESS * 2);
  for (let i = 0; i <= MAX_RECORDS_WITHOUT_PROGRESS; i++) await p.client.requestKeyUpdate(false);
  const ev = await p.server.receive(p.client.takeOutput());
  assert.is(errorOf(ev)?.code, 'TLS_NO_PROGRESS');
  assert.is(errorOf(ev)?.alert, 'unexpected_message');
});

test('a flood of empty application_data records ends the connection', async () => {
  const p = await connect(clientConfig(), serverConfig());
  // Zero-length application data records are legal TLS (RFC 8446 §5.1); our API never sends them, so
  // seal them with the client's record protection directly.
  const seal = (p.client as unknown as { writeCipher: { seal(t: number, c: Uint8Array, pad: number): Promise<Uint8Array> } }).writeCipher;
  const records: Uint8Array[] = [];
  for (let i = 0; i <= MAX_RECORDS_WITHOUT_PROGRESS; i++) records.push(await seal.seal(23, new Uint8Array(0), 0));
  const ev = await p.server.receive(Buffer.concat(records));
  assert.is(errorOf(ev)?.code, 'TLS_NO_PROGRESS');
});

test('RecordReader keeps only its unread bytes alive once a receive() ends (detach)', () => {
  // Records are views of the caller's input while receive() runs; Connection.receive() ends with detach(),
  // after which only the unread tail (copied) may be held.
  const r = new RecordReader(1 << 17);
  const rec = plaintextRecord(22, new Uint8Array(16000).fill(1));
  const input = new Uint8Array(rec.length * 4 + 3);
  for (let i = 0; i < 4; i++) input.set(rec, i * rec.length);
  input.set([22, 3, 3], rec.length * 4);
  r.push(input);
  for (let i = 0; i < 4; i++) assert.ok(r.next());
  r.detach();
  assert.is(r.buffered, 3);
  assert.ok(r.retained <= 16, `3 unread bytes keep ${r.retained} bytes alive`);
  const r2 = new RecordReader(1 << 17);
  r2.push(repeat(rec, 2));
  r2.next(); r2.next();
  r2.detach();
  assert.is(r2.retained, 0, 'an emptied reader keeps nothing');
});

test('RecordReader reads one input fed in slices in place: a record across two slices is a view of the input, not a copy', () => {
  // Connection.receive() feeds a large input a slice at a time (at most maxBufferedBytes); a record that
  // straddles two slices of the same input is read where it lies. Bytes of another input are copied.
  const rec = plaintextRecord(22, new Uint8Array(16000).fill(2));
  const input = repeat(rec, 3);
  const r = new RecordReader(1 << 17);
  r.push(input.subarray(0, rec.length + 100));
  assert.ok(r.next());
  assert.is(r.next(), undefined);
  r.push(input.subarray(rec.length + 100, input.length));
  for (let i = 0; i < 2; i++) {
    const got = r.next()!;
    assert.is(got.fragment.buffer, input.buffer, `record ${i + 2} is read in place`);
    assert.is(got.fragment.byteOffset, input.byteOffset + (i + 1) * rec.length + 5);
  }
  const other = new RecordReader(1 << 17);
  other.push(input.subarray(0, 100));
  other.push(input.slice(100, rec.length));
  const copied = other.next()!;
  assert.is.not(copied.fragment.buffer, input.buffer, 'bytes of two different inputs are joined in a buffer of its own');
  assert.equal(Array.from(copied.fragment.subarray(0, 4)), [2, 2, 2, 2]);
});

test('HandshakeReassembler keeps only its unread bytes alive after taking messages out', () => {
  const h = new HandshakeReassembler(1 << 16);
  const msg = new Uint8Array(4 + 30000);
  msg[0] = 11; msg[1] = 0; msg[2] = 30000 >> 8; msg[3] = 30000 & 0xff;
  h.push(msg);
  assert.ok(h.next());
  assert.is(h.retained, 0, 'an emptied reassembler keeps nothing');
  const two = new Uint8Array(msg.length + 10);
  two.set(msg);
  two.set([11, 0, 0, 100, 1, 2], msg.length);
  h.push(two);
  assert.ok(h.next());
  assert.is(h.pending, 10);
  assert.ok(h.retained <= 64, `10 unread bytes keep ${h.retained} bytes alive`);
});

test.run();
