// Differential harness: the reference kaitai-struct-compiler (0.11, JavaScript target) and protosmith's
// generated codecs read the same .ksy files; on the same bytes they must agree on every field we expose.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { basename } from 'node:path';
import { compileKsy, loadKaitai, specFiles, type KaitaiModules, type KaitaiObject } from './kaitai.ts';
import { HRR_RANDOM, samples } from '../tls13-messages/vectors.ts';

let kaitai: KaitaiModules;
test.before(async () => {
  kaitai = await loadKaitai('tls13');
});
test.after(() => kaitai.dispose());

const parseWithKaitai = (id: string, bytes: Uint8Array, ...params: unknown[]): KaitaiObject => {
  const cls = kaitai.classes[id];
  if (!cls) throw new Error(`no Kaitai class for ${id}`);
  return new cls(kaitai.stream(bytes), null, null, ...params);
};
const consumed = (o: KaitaiObject): boolean => {
  const io = o['_io'] as { pos: number; size: number };
  return io.pos === io.size;
};

test('the TLS 1.3 specs are the five files common, alert, record, extensions, handshake', () => {
  assert.equal(specFiles('tls13').map((p) => basename(p)), ['alert.ksy', 'common.ksy', 'extensions.ksy', 'handshake.ksy', 'record.ksy']);
});

for (const path of specFiles('tls13')) {
  test(`${basename(path)} compiles with kaitai-struct-compiler to a JavaScript module per imported spec`, async () => {
    const files = await compileKsy(path);
    const names = Object.keys(files);
    assert.ok(names.length >= 1, 'no output');
    for (const [name, code] of Object.entries(files)) {
      assert.match(name, /^[A-Z][A-Za-z]*\.js$/);
      assert.match(code, /KaitaiStream/);
    }
  });
}

test('Kaitai parses every RFC 8448 handshake message in the clear and consumes it whole', () => {
  const { handshakeMessages } = samples();
  assert.ok(handshakeMessages.length >= 40, `only ${handshakeMessages.length} messages`);
  for (const m of handshakeMessages) {
    const h = parseWithKaitai('handshake', m.bytes);
    assert.ok(consumed(h), `${m.name}: bytes left over`);
    assert.is(h['msgType'], m.bytes[0], m.name);
    assert.not.ok(h['body'] instanceof Uint8Array, `${m.name}: body of type ${m.bytes[0]} left raw`);
  }
});

test('Kaitai reads the HelloRetryRequest as HRR: key_share is selected_group secp256r1, and a cookie', () => {
  const hrr = samples().handshakeMessages.find((m) => m.key === 'Record_HelloRetryRequest');
  assert.ok(hrr);
  const body = parseWithKaitai('handshake', hrr.bytes)['body'] as KaitaiObject;
  assert.equal(body['random'], HRR_RANDOM);
  const items = (body['extensions'] as KaitaiObject)['items'] as KaitaiObject[];
  const keyShare = items.find((e) => e['extensionType'] === 51)?.['body'] as KaitaiObject;
  assert.is(keyShare['selectedGroup'], 23);
  assert.is(keyShare['serverShare'], undefined);
  const cookie = items.find((e) => e['extensionType'] === 44)?.['body'] as KaitaiObject;
  assert.is((cookie['cookie'] as Uint8Array).length, 0x72);
});

test('Kaitai reads every plaintext record and every TLSCiphertext record whole', () => {
  const { plaintextRecords, ciphertextRecords } = samples();
  for (const r of plaintextRecords) {
    const rec = parseWithKaitai('record', r.bytes);
    assert.ok(consumed(rec), r.name);
    assert.is((rec['records'] as unknown[]).length, 1, r.name);
  }
  const cipher = kaitai.classes['record']!['TlsCiphertext'] as unknown as new (io: unknown) => KaitaiObject;
  for (const r of ciphertextRecords) {
    const rec = new cipher(kaitai.stream(r.bytes));
    assert.ok(consumed(rec), r.name);
    assert.is((rec['encryptedRecord'] as Uint8Array).length, r.bytes.length - 5, r.name);
  }
});

test.run();
