// Decoding errors on real TLS 1.3 messages (RFC 8448) name the exact schema path, the absolute offset,
// what was expected and found, and the alert to send.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeError, EncodeError } from '../../runtime/codec/index.ts';
import { decodeHandshake, encodeHandshake, type Handshake } from '../../generated/tls13/messages/handshake.ts';
import { decodeTlsCiphertext } from '../../generated/tls13/messages/record.ts';
import { ROOT } from './support.ts';

const vectors = readFileSync(join(ROOT, '..', 'shared', 'vectors', 'rfc8448', 'transcripts.vec'), 'utf8');
const bytesOf = (key: string): Uint8Array => Uint8Array.from(Buffer.from(new RegExp(`^${key} = ([0-9a-f]+)$`, 'm').exec(vectors)![1]!, 'hex'));
// The ClientHello message of the simple 1-RTT handshake: the record minus its 5-byte header.
const clientHello = bytesOf('Record_ClientHello_1').subarray(5);

function decodeError(f: () => unknown): DecodeError {
  try { f(); } catch (e) { if (e instanceof DecodeError) return e; throw e; }
  throw new Error('expected a DecodeError');
}

test('RFC 8448 ClientHello decodes, and re-encodes to the same bytes', () => {
  const v = decodeHandshake(clientHello);
  assert.is(v.msg_type, 1);
  assert.equal([...encodeHandshake(v)], [...clientHello]);
});

test('rejects_trailing_bytes after a whole handshake message with decode_error at the first extra byte', () => {
  const e = decodeError(() => decodeHandshake(Uint8Array.from([...clientHello, 0])));
  assert.is(e.code, 'trailing_bytes');
  assert.is(e.offset, clientHello.length);
  assert.is(e.alert, 'decode_error');
  assert.is(e.path, 'Handshake');
});

test('rejects_truncated_session_id: a session id length beyond the body is decode_error at that field', () => {
  // 4 header + 2 legacy_version + 32 random = 38: legacy_session_id_length (0 in the vector); claim 32
  // bytes of session id but end the message 10 bytes later (header length fixed to match)
  const body = Uint8Array.from(clientHello.subarray(0, 4 + 2 + 32 + 1 + 10));
  body[38] = 32;
  body[1] = 0; body[2] = 0; body[3] = body.length - 4;
  const e = decodeError(() => decodeHandshake(body));
  assert.is(e.code, 'truncated');
  assert.is(e.path, 'Handshake.body.legacy_session_id');
  assert.is(e.offset, 39);
  assert.is(e.alert, 'decode_error');
});

test('a session id longer than 32 bytes is decode_error (a vector length out of range, RFC 8446 §6) naming legacy_session_id_length', () => {
  const b = Uint8Array.from(clientHello);
  b[38] = 33;
  const e = decodeError(() => decodeHandshake(b));
  assert.is(e.code, 'invalid_value');
  assert.is(e.path, 'Handshake.body.legacy_session_id_length');
  assert.is(e.offset, 38);
  assert.is(e.expected, '<= 32');
  assert.is(e.alert, 'decode_error');
  assert.match(e.message, /Handshake\.body\.legacy_session_id_length at offset 38: expected <= 32, got 33/);
});

test('an error deep inside the extensions names every step of the path with indices', () => {
  const v = decodeHandshake(clientHello);
  const bytes = Uint8Array.from(clientHello);
  // find the key_share extension (0x0033) and cut its key_exchange length short by corrupting it upwards
  const at = Buffer.from(bytes).indexOf(Buffer.from('00330026002400 1d0020'.replace(' ', ''), 'hex'));
  assert.ok(at > 0);
  // 0033 (type) 0026 (length) | 0024 (client_shares length) | 001d (group) 0020 (key_exchange length) ...
  bytes[at + 9] = 0x21; // key_exchange length 0x20 -> 0x21: one byte past its window
  const e = decodeError(() => decodeHandshake(bytes));
  assert.is(e.code, 'truncated');
  assert.match(e.path, /^Handshake\.body\.extensions\.items\[\d+\]\.body\.client_shares\.items\[0\]\.key_exchange$/);
  assert.is(e.alert, 'decode_error');
  assert.ok(v !== undefined);
});

test('a record_overflow bound from -alert maps to that alert', () => {
  const e = decodeError(() => decodeTlsCiphertext(Uint8Array.from([0x17, 0x03, 0x03, 0x41, 0x01])));
  assert.is(e.path, 'TlsCiphertext.length');
  assert.is(e.alert, 'record_overflow');
});

test('encoding a too-long derived length fails with an EncodeError naming the field and the bound', () => {
  const v = decodeHandshake(clientHello) as Extract<Handshake, { msg_type: 1 }>;
  const bad = { ...v, body: { ...v.body, legacy_session_id: new Uint8Array(33) } } as Handshake;
  try {
    encodeHandshake(bad);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, EncodeError);
    assert.is((e as EncodeError).path, 'Handshake.body.legacy_session_id');
    assert.match((e as EncodeError).expected, /0\.\.32/);
  }
});

test.run();
