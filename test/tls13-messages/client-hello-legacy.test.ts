// A pre-TLS 1.3 ClientHello without an extensions block is a well-formed message (RFC 5246 §7.4.1.2):
// it must decode (so the server can answer protocol_version, RFC 8446 §4.2.1) and round-trip exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeClientHello, encodeClientHello } from '../../generated/tls13/messages/handshake.ts';
import { DecodeError } from '../../runtime/codec/index.ts';

const noExtensions = Uint8Array.from([3, 3, ...new Array(32).fill(7), 0, 0, 2, 0xc0, 0x2f, 1, 0]);

test('a ClientHello without extensions decodes with extensions absent and re-encodes to the same bytes', () => {
  const ch = decodeClientHello(noExtensions);
  assert.is(ch.extensions, undefined);
  assert.equal([...ch.cipher_suites.items], [0xc02f]);
  assert.equal(encodeClientHello(ch), noExtensions);
});

test('an extensions block shorter than the 8 bytes TLS 1.3 requires is still refused', () => {
  const short = Uint8Array.from([...noExtensions, 0, 4, 0xff, 0x01, 0, 0]);
  try {
    decodeClientHello(short);
    assert.unreachable('decoded');
  } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).path, 'ClientHello.extensions_length');
  }
});

test('a truncated length prefix after the compression methods is a decode_error, not an absent block', () => {
  try {
    decodeClientHello(Uint8Array.from([...noExtensions, 0]));
    assert.unreachable('decoded');
  } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).alert, 'decode_error');
  }
});

test('an extensions length in the last two bytes with no block after it is a decode_error, not a dropped block', () => {
  // Found by the mutation property (seed -1580853595): the block's `if: not _io.eof` was evaluated again after
  // its length had consumed the last bytes, so the length was read, the block skipped, and the re-encoding shorter.
  try {
    decodeClientHello(Uint8Array.from([...noExtensions, 0x40, 0x01]));
    assert.unreachable('decoded');
  } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).path, 'ClientHello.extensions');
    assert.is((e as DecodeError).alert, 'decode_error');
  }
});

test.run();
