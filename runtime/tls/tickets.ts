// Session tickets and HelloRetryRequest cookies, sealed with application-provided keys (AEAD), so a
// fleet of servers sharing the key accepts each other's tickets and cookies. Contents are never
// trusted before the AEAD tag verifies; a ticket that does not open is simply ignored (full handshake).
import type { CryptoProvider } from '../crypto/provider.ts';
import { TlsConfigError } from './errors.ts';
import { concat, enc, Reader, Writer } from './wire.ts';

const TICKET_AAD = enc('protosmith ticket v1');
const COOKIE_AAD = enc('protosmith hrr cookie v1');

export interface TicketContents {
  readonly cipherSuite: number;
  readonly createdAt: number; // ms
  readonly ageAdd: number;
  readonly maxEarlyData: number;
  readonly alpn: string;      // '' when none
  readonly serverName: string; // '' when none
  readonly psk: Uint8Array;
}

export function checkKey(key: Uint8Array | undefined, what: string): void {
  if (key !== undefined && (!(key instanceof Uint8Array) || key.length !== 32)) {
    throw new TlsConfigError('TLS_CONFIG_INVALID', `${what} must be exactly 32 random bytes (Uint8Array); generate it once and share it across the servers that should accept each other's tickets`);
  }
}

async function seal(crypto: CryptoProvider, key: Uint8Array, aad: Uint8Array, plain: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.importAeadKey('aes-256-gcm', key);
  const nonce = crypto.randomBytes(12);
  return concat(nonce, await k.seal(nonce, aad, plain));
}

async function open(crypto: CryptoProvider, key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  if (sealed.length < 12 + 16) return undefined;
  const k = await crypto.importAeadKey('aes-256-gcm', key);
  try { return await k.open(sealed.subarray(0, 12), aad, sealed.subarray(12)); } catch { return undefined; }
}

export async function sealTicket(crypto: CryptoProvider, key: Uint8Array, t: TicketContents): Promise<Uint8Array> {
  const w = new Writer().u16(t.cipherSuite).u32(Math.floor(t.createdAt / 0x100000000)).u32(t.createdAt >>> 0).u32(t.ageAdd).u32(t.maxEarlyData)
    .vec(1, enc(t.alpn)).vec(1, enc(t.serverName)).vec(1, t.psk);
  return seal(crypto, key, TICKET_AAD, w.finish());
}

export async function openTicket(crypto: CryptoProvider, key: Uint8Array, sealed: Uint8Array): Promise<TicketContents | undefined> {
  const plain = await open(crypto, key, TICKET_AAD, sealed);
  if (!plain) return undefined;
  try {
    const r = new Reader(plain, 'ticket');
    const cipherSuite = r.u16('suite');
    const hi = r.u32('created_hi'); const lo = r.u32('created_lo');
    const ageAdd = r.u32('age_add'); const maxEarlyData = r.u32('max_early');
    const dec = new TextDecoder();
    const alpn = dec.decode(r.vec(1, 'alpn')); const serverName = dec.decode(r.vec(1, 'sni'));
    const psk = r.vec(1, 'psk').slice();
    r.end_('psk');
    return { cipherSuite, createdAt: hi * 0x100000000 + lo, ageAdd, maxEarlyData, alpn, serverName, psk };
  } catch { return undefined; }
}

export interface CookieContents { readonly cipherSuite: number; readonly group: number; readonly newShare: boolean; readonly clientHello1Hash: Uint8Array }

export async function sealCookie(crypto: CryptoProvider, key: Uint8Array, c: CookieContents): Promise<Uint8Array> {
  return seal(crypto, key, COOKIE_AAD, new Writer().u16(c.cipherSuite).u16(c.group).u8(c.newShare ? 1 : 0).vec(1, c.clientHello1Hash).finish());
}

export async function openCookie(crypto: CryptoProvider, key: Uint8Array, sealed: Uint8Array): Promise<CookieContents | undefined> {
  const plain = await open(crypto, key, COOKIE_AAD, sealed);
  if (!plain) return undefined;
  try {
    const r = new Reader(plain, 'cookie');
    const cipherSuite = r.u16('suite'); const group = r.u16('group'); const newShare = r.u8('new_share') === 1; const clientHello1Hash = r.vec(1, 'hash').slice();
    r.end_('hash');
    return { cipherSuite, group, newShare, clientHello1Hash };
  } catch { return undefined; }
}
