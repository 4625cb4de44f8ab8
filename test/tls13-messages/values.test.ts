// decode(encode(v)) deep-equals v for in-bounds VALUES of every TLS 1.3 type, drawn from the codec IR by the
// codec helper's arbitrary builder (test/codec/arbitrary.ts), and Kaitai parses each encoding to the same
// fields. Complements properties.test.ts, whose inputs are wire bytes written from RFC 8446.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { arbitraryFor, arbitraryParams, loadProgram } from '../codec/arbitrary.ts';
import { DecodeError } from '../../runtime/codec/index.ts';
import * as handshake from '../../generated/tls13/messages/handshake.ts';
import * as record from '../../generated/tls13/messages/record.ts';
import * as alert from '../../generated/tls13/messages/alert.ts';
import * as extensions from '../../generated/tls13/messages/extensions.ts';
import { specFiles } from '../differential/kaitai.ts';
import { toHex } from './vectors.ts';

// No shrinking by default: these inputs are large and shrinking a failure can outlast the runner's timeout.
// FC_SHRINK=1 shrinks the counterexample.
fc.configureGlobal({ endOnFailure: process.env.FC_SHRINK === undefined });

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
const program = loadProgram(specFiles('tls13'));
const modules = [handshake, record, alert, extensions] as unknown as Record<string, unknown>[];

type Decode = (b: Uint8Array, ...params: number[]) => unknown;
type Encode = (v: unknown, ...params: number[]) => Uint8Array;
function codecFor(tsName: string): { decode: Decode; encode: Encode } {
  for (const m of modules) {
    const decode = m[`decode${tsName}`], encode = m[`encode${tsName}`];
    if (typeof decode === 'function' && typeof encode === 'function') return { decode: decode as Decode, encode: encode as Encode };
  }
  throw new Error(`no generated codec for ${tsName}`);
}

function valuesRoundTrip(tsName: string, params: Record<string, number> = {}): void {
  const { decode, encode } = codecFor(tsName);
  const args = Object.values(params);
  fc.assert(fc.property(arbitraryFor(program, tsName, params), (v) => {
    const bytes = encode(v, ...args);
    assert.equal(decode(bytes, ...args), v, `${tsName}: decode(encode(v)) differs from v`);
    assert.is(toHex(encode(decode(bytes, ...args), ...args)), toHex(bytes));
  }), { numRuns: RUNS });
}

const MESSAGES = ['Handshake', 'ClientHello', 'ServerHello', 'EncryptedExtensions', 'CertificateRequest', 'Certificate', 'CertificateEntry',
  'CertificateVerify', 'Finished', 'NewSessionTicket', 'EndOfEarlyData', 'KeyUpdate', 'MessageHash', 'Alert', 'TlsPlaintext', 'TlsCiphertext', 'Record'];
for (const name of MESSAGES) {
  test(`${name}: decode(encode(v)) deep-equals v for IR-drawn in-bounds values`, () => valuesRoundTrip(name));
}

const CONTEXTS = { client_hello: 1, server_hello: 2, hello_retry_request: 6, new_session_ticket: 4, encrypted_extensions: 8, certificate: 11, certificate_request: 13 };
for (const [ctx, msgType] of Object.entries(CONTEXTS)) {
  test(`Extensions in ${ctx}: decode(encode(v)) deep-equals v for IR-drawn values`, () => valuesRoundTrip('Extensions', { msg_type: msgType }));
}

test('TlsInnerPlaintext: decode(encode(v)) deep-equals v for IR-drawn values whose content length is given', () => {
  fc.assert(fc.property(fc.nat({ max: 40 }).chain((n) => fc.tuple(fc.constant(n), arbitraryFor(program, 'TlsInnerPlaintext', { content_length: n }))), ([n, v]) => {
    const bytes = record.encodeTlsInnerPlaintext(v as unknown as record.TlsInnerPlaintext, n);
    assert.equal(record.decodeTlsInnerPlaintext(bytes, n), v);
  }), { numRuns: RUNS });
});

test('every generated TLS decoder (all types, nested ones too) rejects an extra byte or reads it into a to-the-end field', () => {
  // A decoder that ignored trailing bytes would return a value that re-encodes SHORTER than its input.
  const types = [...program.types.values()].filter((t) => t.specId !== 'common');
  let rejected = 0, absorbed = 0;
  for (const t of types) {
    if (t.tsName === 'Common') continue;
    const { decode, encode } = codecFor(t.tsName);
    const sample = arbitraryParams(program, t.tsName).chain((p) => arbitraryFor(program, t.tsName, p).map((v) => [p, v] as const));
    fc.assert(fc.property(sample, fc.integer({ min: 0, max: 255 }), ([p, v], extra) => {
      const args = t.params.map((x) => Number(p[x.id]));
      const longer = Uint8Array.from([...encode(v, ...args), extra]);
      let again: unknown;
      try { again = decode(longer, ...args); } catch (e) {
        assert.instance(e, DecodeError, `${t.tsName}: ${String(e)}`);
        rejected++;
        return;
      }
      assert.is(toHex(encode(again, ...args)), toHex(longer), `${t.tsName}: accepted a trailing byte without reading it`);
      absorbed++;
    }), { numRuns: 20 });
  }
  assert.ok(types.length >= 40, `${types.length} types`);
  assert.ok(rejected > 0 && absorbed > 0, `rejected ${rejected}, absorbed ${absorbed}`);
});

test.run();
