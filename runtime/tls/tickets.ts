// Session tickets and HelloRetryRequest cookies, sealed with application-provided keys (AEAD), so a
// fleet of servers sharing the key accepts each other's tickets and cookies. Contents are never
// trusted before the AEAD tag verifies; a ticket that does not open is simply ignored (full handshake).
// These are the built-in codecs; an application may bring its own (config.ticketCodec, config.cookieCodec).
import type { AeadKey, CryptoProvider } from '../crypto/provider.ts';
import type { HelloRetryCookieCodec, HelloRetryCookieState, ServerSessionState, SessionTicketCodec } from './config.ts';
import { Reader, Writer } from '../codec/index.ts';
import { bytesEqual, concat, enc } from './bytes.ts';

const TICKET_AAD = enc('protosmith ticket v1');
const COOKIE_AAD = enc('protosmith hrr cookie v1');
const dec = new TextDecoder();

/** Imported AEAD keys by the application's key bytes (one per ticketKey/cookieKey object and provider), so
 *  that a connection does not re-import the key for every ticket or cookie. The bytes are compared on each
 *  use: a key overwritten in place is imported afresh. A failed import is not kept. */
const imported = new WeakMap<Uint8Array, { crypto: CryptoProvider; bytes: Uint8Array; key: Promise<AeadKey> }>();
function aeadKey(crypto: CryptoProvider, key: Uint8Array): Promise<AeadKey> {
  const have = imported.get(key);
  if (have && have.crypto === crypto && bytesEqual(have.bytes, key)) return have.key;
  const entry = { crypto, bytes: key.slice(), key: crypto.importAeadKey('aes-256-gcm', key) };
  imported.set(key, entry);
  entry.key.catch(() => { if (imported.get(key) === entry) imported.delete(key); });
  return entry.key;
}

async function seal(crypto: CryptoProvider, key: Uint8Array, aad: Uint8Array, plain: Uint8Array): Promise<Uint8Array> {
  const k = await aeadKey(crypto, key);
  const nonce = crypto.randomBytes(12);
  if (k.sealInto === undefined) return concat(nonce, await k.seal(nonce, aad, plain));
  // nonce || ciphertext || tag in one buffer, sealed in place: no second buffer to join.
  const out = new Uint8Array(12 + plain.length + 16);
  out.set(nonce, 0);
  await k.sealInto(nonce, aad, [plain], out, 12);
  return out;
}

async function open(crypto: CryptoProvider, key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  if (sealed.length < 12 + 16) return undefined;
  const k = await aeadKey(crypto, key);
  try { return await k.open(sealed.subarray(0, 12), aad, sealed.subarray(12)); } catch { return undefined; }
}

const vec1 = (w: Writer, b: Uint8Array, field: string): void => { w.u1(b.length, `${field}_length`); w.bytes(b, field); };
const readVec1 = (r: Reader, field: string): Uint8Array => r.bytes(r.u1(`${field}_length`), field);

export async function sealTicket(crypto: CryptoProvider, key: Uint8Array, t: ServerSessionState): Promise<Uint8Array> {
  const w = new Writer('Ticket');
  w.u2(t.cipherSuite, 'cipher_suite');
  w.u8(BigInt(Math.floor(t.createdAt)), 'created_at');
  w.u4(t.ageAdd, 'age_add');
  w.u4(t.maxEarlyData, 'max_early_data');
  vec1(w, enc(t.alpn ?? ''), 'alpn'); // '' stands for none (an ALPN name is never empty, RFC 7301 §3.1)
  vec1(w, enc(t.serverName ?? ''), 'server_name');
  vec1(w, t.psk, 'psk');
  return seal(crypto, key, TICKET_AAD, w.finish());
}

export async function openTicket(crypto: CryptoProvider, key: Uint8Array, sealed: Uint8Array): Promise<ServerSessionState | undefined> {
  const plain = await open(crypto, key, TICKET_AAD, sealed);
  if (!plain) return undefined;
  try {
    const r = new Reader(plain, 'Ticket');
    const cipherSuite = r.u2('cipher_suite');
    const createdAt = Number(r.u8('created_at'));
    const ageAdd = r.u4('age_add');
    const maxEarlyData = r.u4('max_early_data');
    const alpn = dec.decode(readVec1(r, 'alpn'));
    const serverName = dec.decode(readVec1(r, 'server_name'));
    const psk = readVec1(r, 'psk').slice();
    r.done();
    return { cipherSuite, createdAt, ageAdd, maxEarlyData, alpn: alpn === '' ? undefined : alpn, serverName: serverName === '' ? undefined : serverName, psk };
  } catch { return undefined; }
}

export async function sealCookie(crypto: CryptoProvider, key: Uint8Array, c: HelloRetryCookieState): Promise<Uint8Array> {
  const w = new Writer('Cookie');
  w.u2(c.cipherSuite, 'cipher_suite');
  w.u2(c.group, 'group');
  w.u1(c.newShare ? 1 : 0, 'new_share');
  vec1(w, c.clientHello1Hash, 'client_hello1_hash');
  return seal(crypto, key, COOKIE_AAD, w.finish());
}

export async function openCookie(crypto: CryptoProvider, key: Uint8Array, sealed: Uint8Array): Promise<HelloRetryCookieState | undefined> {
  const plain = await open(crypto, key, COOKIE_AAD, sealed);
  if (!plain) return undefined;
  try {
    const r = new Reader(plain, 'Cookie');
    const cipherSuite = r.u2('cipher_suite');
    const group = r.u2('group');
    const newShare = r.u1('new_share') === 1;
    const clientHello1Hash = readVec1(r, 'client_hello1_hash').slice();
    r.done();
    return { cipherSuite, group, newShare, clientHello1Hash };
  } catch { return undefined; }
}

/** The built-in ticket codec: AES-256-GCM under the application's 32-byte ticketKey, random 12-byte nonce. */
export function keyedTicketCodec(crypto: CryptoProvider, key: Uint8Array): SessionTicketCodec {
  return { seal: (state) => sealTicket(crypto, key, state), open: (ticket) => openTicket(crypto, key, ticket) };
}

/** The built-in stateless cookie codec: AES-256-GCM under cookieKey, random 12-byte nonce. */
export function keyedCookieCodec(crypto: CryptoProvider, key: Uint8Array): HelloRetryCookieCodec {
  return { seal: (state) => sealCookie(crypto, key, state), open: (cookie) => openCookie(crypto, key, cookie) };
}
