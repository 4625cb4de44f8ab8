// The TLS 1.3 key schedule (RFC 8446 §7.1), traffic keys (§7.3), KeyUpdate (§7.2), Finished (§4.4.4),
// resumption PSK (§4.6.1), binder keys (§4.2.11.2), exporters (§7.5) and NSS key-log labels.
//
// Everything here is a pure function of provider + inputs; the only state is which stage of the
// schedule a `KeySchedule` has reached (early → handshake → master), and each stage can be entered
// once. Transcript hashes are passed in already computed (TranscriptHash.snapshot()).
//
// Results are MaybePromise: plain values under a provider with the synchronous forms hmacSync and
// hkdfExtractSync (node, @noble), promises under an asynchronous one (WebCrypto, PKCS#11). Callers
// `await` either; a synchronous provider's key schedule then makes no promise per HMAC. Errors are
// thrown where the value would be (synchronously, or as the promise's rejection).
import type { CipherSuiteParams, CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import { hashLength } from '../crypto/provider.ts';
import { ProtosmithError, TlsProviderError, TlsUsageError } from './errors.ts';
import { andThen, type MaybePromise } from './maybe-promise.ts';

function hmacOf(p: CryptoProvider, hash: HashAlgorithm, key: Uint8Array, data: Uint8Array): MaybePromise<Uint8Array> {
  return p.hmacSync !== undefined ? p.hmacSync(hash, key, data) : p.hmac(hash, key, data);
}

function extractOf(p: CryptoProvider, hash: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): MaybePromise<Uint8Array> {
  return p.hkdfExtractSync !== undefined ? p.hkdfExtractSync(hash, salt, ikm) : p.hkdfExtract(hash, salt, ikm);
}

const encoder = new TextEncoder();
/** "tls13 " + label as bytes for the schedule's own labels, encoded once (exporter labels are encoded per call). */
const LABELS = new Map<string, Uint8Array>(
  ['derived', 'ext binder', 'res binder', 'c e traffic', 'e exp master', 'c hs traffic', 's hs traffic', 'c ap traffic', 's ap traffic',
    'exp master', 'res master', 'finished', 'key', 'iv', 'traffic upd', 'resumption', 'exporter'].map((l) => [l, encoder.encode(`tls13 ${l}`)]),
);

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1): label gets the "tls13 " prefix.
 * Every output of the TLS 1.3 key schedule fits in one hash block (secrets, keys, IVs, finished keys): for
 * Length <= Hash.length, HKDF-Expand (RFC 5869 §2.3) is T(1) = HMAC(Secret, HkdfLabel || 0x01) cut to
 * Length, so that case is one provider HMAC over an info block built with its 0x01 already in place (no
 * second copy of it in the provider). Longer outputs (exporters) go through the provider's hkdfExpand.
 */
export function hkdfExpandLabel(
  p: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array, label: string, context: Uint8Array, length: number,
): MaybePromise<Uint8Array> {
  const fullLabel = LABELS.get(label) ?? encoder.encode(`tls13 ${label}`);
  if (fullLabel.length > 255) throw new TlsUsageError('TLS_BAD_ARGUMENT', `HKDF-Expand-Label label "${label}" is ${fullLabel.length - 6} bytes; at most 249 bytes fit (RFC 8446 §7.1).`);
  if (context.length > 255) throw new TlsUsageError('TLS_BAD_ARGUMENT', `HKDF-Expand-Label context is ${context.length} bytes; at most 255 fit (RFC 8446 §7.1).`);
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffff) throw new TlsUsageError('TLS_BAD_ARGUMENT', `HKDF-Expand-Label length ${length} does not fit in uint16.`);
  const hl = hashLength(hash);
  const oneBlock = length > 0 && length <= hl;
  const n = 2 + 1 + fullLabel.length + 1 + context.length;
  const info = new Uint8Array(oneBlock ? n + 1 : n);
  info[0] = length >> 8;
  info[1] = length & 0xff;
  info[2] = fullLabel.length;
  info.set(fullLabel, 3);
  info[3 + fullLabel.length] = context.length;
  info.set(context, 4 + fullLabel.length);
  if (!oneBlock) return p.hkdfExpand(hash, secret, info, length);
  info[n] = 1;
  return andThen(hmacOf(p, hash, secret, info), (t1) => firstBytes(p, hash, hl, t1, length));
}

/** The first `length` bytes of T(1), checked to be one whole hash block. */
function firstBytes(p: CryptoProvider, hash: HashAlgorithm, hl: number, t1: Uint8Array, length: number): Uint8Array {
  if (t1.length !== hl) throw new TlsProviderError(`crypto provider "${p.name}" returned a ${t1.length}-byte ${hash} HMAC, not ${hl} bytes (a provider bug)`);
  if (length === hl) return t1;
  // A key or IV: the rest of the block is secret material nobody needs; this array of it is wiped, not left to
  // the GC (a provider's own transient copies, such as the node provider's digest string, are the provider's).
  const out = t1.slice(0, length);
  t1.fill(0);
  return out;
}

/** Derive-Secret(Secret, Label, Messages) with Transcript-Hash(Messages) given as `transcriptHash`. */
export function deriveSecret(p: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array, label: string, transcriptHash: Uint8Array): MaybePromise<Uint8Array> {
  return hkdfExpandLabel(p, hash, secret, label, transcriptHash, hashLength(hash));
}

/** Transcript-Hash of no messages: Hash(""). */
export function emptyHash(p: CryptoProvider, hash: HashAlgorithm): Uint8Array {
  return p.hash(hash, new Uint8Array(0));
}

/**
 * Values of the schedule that depend only on the provider and the hash, computed once per provider:
 * Hash(""), and for a handshake without a PSK the early secret (HKDF-Extract(0, 0)) and the "derived"
 * secret made from it. Each full handshake would otherwise redo these (one hash, two HMACs per side).
 * Kept per provider object (a WeakMap: no global state outlives the provider); read-only.
 */
interface HashConstants { readonly empty: Uint8Array; noPskEarly?: Uint8Array; noPskDerived?: Uint8Array }
const constants = new WeakMap<CryptoProvider, Partial<Record<HashAlgorithm, HashConstants>>>();
function constantsFor(p: CryptoProvider, hash: HashAlgorithm): HashConstants {
  let perHash = constants.get(p);
  if (perHash === undefined) constants.set(p, perHash = {});
  return perHash[hash] ??= { empty: emptyHash(p, hash) };
}

/** finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4). */
export function finishedKey(p: CryptoProvider, hash: HashAlgorithm, baseKey: Uint8Array): MaybePromise<Uint8Array> {
  return hkdfExpandLabel(p, hash, baseKey, 'finished', new Uint8Array(0), hashLength(hash));
}

/** verify_data = HMAC(finished_key, Transcript-Hash(...)) (RFC 8446 §4.4.4). Also the PSK binder value. */
export function finishedVerifyData(p: CryptoProvider, hash: HashAlgorithm, baseKey: Uint8Array, transcriptHash: Uint8Array): MaybePromise<Uint8Array> {
  return andThen(finishedKey(p, hash, baseKey), (key) => hmacOf(p, hash, key, transcriptHash));
}

/** application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length) (RFC 8446 §7.2). */
export function nextTrafficSecret(p: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array): MaybePromise<Uint8Array> {
  return hkdfExpandLabel(p, hash, secret, 'traffic upd', new Uint8Array(0), hashLength(hash));
}

export interface TrafficKeys { readonly key: Uint8Array; readonly iv: Uint8Array }

/** write_key / write_iv from a traffic secret (RFC 8446 §7.3). */
export function trafficKeys(p: CryptoProvider, suite: CipherSuiteParams, secret: Uint8Array): MaybePromise<TrafficKeys> {
  const empty = new Uint8Array(0);
  return andThen(hkdfExpandLabel(p, suite.hash, secret, 'key', empty, suite.keyLength),
    (key) => andThen(hkdfExpandLabel(p, suite.hash, secret, 'iv', empty, suite.ivLength), (iv) => ({ key, iv })));
}

/** PSK for a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length) (RFC 8446 §4.6.1). */
export function resumptionPsk(p: CryptoProvider, hash: HashAlgorithm, resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): MaybePromise<Uint8Array> {
  return hkdfExpandLabel(p, hash, resumptionMasterSecret, 'resumption', ticketNonce, hashLength(hash));
}

/**
 * TLS-Exporter(label, context_value, key_length) (RFC 8446 §7.5):
 * HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length).
 */
export async function exportKeyingMaterial(
  p: CryptoProvider, hash: HashAlgorithm, exporterSecret: Uint8Array, label: string, context: Uint8Array, length: number,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hashLength(hash)) {
    throw new TlsUsageError('TLS_BAD_ARGUMENT', `exporter length ${length} is out of range 0..${255 * hashLength(hash)} for ${hash}.`);
  }
  const secret = await deriveSecret(p, hash, exporterSecret, label, constantsFor(p, hash).empty);
  return hkdfExpandLabel(p, hash, secret, 'exporter', p.hash(hash, context), length);
}

/** NSS key log labels (https://www.ietf.org/archive/id/draft-ietf-tls-keylogfile-02.html). */
export const KeyLogLabel = {
  clientEarlyTraffic: 'CLIENT_EARLY_TRAFFIC_SECRET',
  clientHandshakeTraffic: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  serverHandshakeTraffic: 'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  clientTraffic0: 'CLIENT_TRAFFIC_SECRET_0',
  serverTraffic0: 'SERVER_TRAFFIC_SECRET_0',
  earlyExporter: 'EARLY_EXPORTER_MASTER_SECRET',
  exporter: 'EXPORTER_SECRET',
} as const;
export type KeyLogLabelName = (typeof KeyLogLabel)[keyof typeof KeyLogLabel];

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** One NSS key log line: `<LABEL> <client_random hex> <secret hex>` (no newline). */
export function keyLogLine(label: KeyLogLabelName, clientRandom: Uint8Array, secret: Uint8Array): string {
  return `${label} ${hex(clientRandom)} ${hex(secret)}`;
}

type Stage = 'early' | 'handshake' | 'master';

function stageError(want: Stage, have: Stage): ProtosmithError {
  return new ProtosmithError('TLS_KEY_SCHEDULE_STAGE', 'local', `key schedule: this secret needs the ${want} stage but the schedule is at the ${have} stage; secrets must be derived in RFC 8446 §7.1 order (a bug in the caller).`, { alert: 'internal_error' });
}

/**
 * The secret chain of RFC 8446 §7.1:
 *   early_secret = HKDF-Extract(0, PSK or 0)            → binder keys, c e traffic, e exp master
 *   handshake_secret = HKDF-Extract(derived, (EC)DHE)   → c/s hs traffic
 *   master_secret = HKDF-Extract(derived, 0)            → c/s ap traffic, exp master, res master
 */
export class KeySchedule {
  readonly hash: HashAlgorithm;
  readonly hashLength: number;
  readonly #p: CryptoProvider;
  readonly #constants: HashConstants;
  /** Started without a PSK: the early secret and its "derived" secret are the per-provider constants. */
  readonly #noPsk: boolean;
  #stage: Stage = 'early';
  #secret: Uint8Array;

  private constructor(p: CryptoProvider, hash: HashAlgorithm, earlySecret: Uint8Array, constants: HashConstants, noPsk: boolean) {
    this.#p = p;
    this.hash = hash;
    this.hashLength = hashLength(hash);
    this.#secret = earlySecret;
    this.#constants = constants;
    this.#noPsk = noPsk;
  }

  /** Start with a PSK (resumption or external) or, for a full handshake, without one (PSK = zeros). */
  static start(p: CryptoProvider, hash: HashAlgorithm, psk?: Uint8Array): MaybePromise<KeySchedule> {
    const c = constantsFor(p, hash);
    if (psk === undefined && c.noPskEarly !== undefined) return new KeySchedule(p, hash, c.noPskEarly, c, true);
    const zeros = new Uint8Array(hashLength(hash));
    if (psk === undefined) return andThen(extractOf(p, hash, zeros, zeros), (early) => new KeySchedule(p, hash, c.noPskEarly ??= early, c, true));
    return andThen(extractOf(p, hash, zeros, psk), (early) => new KeySchedule(p, hash, early, c, false));
  }

  get stage(): Stage { return this.#stage; }

  #at(stage: Stage): Uint8Array {
    if (this.#stage !== stage) throw stageError(stage, this.#stage);
    return this.#secret;
  }

  #derive(stage: Stage, label: string, transcriptHash: Uint8Array): MaybePromise<Uint8Array> {
    return deriveSecret(this.#p, this.hash, this.#at(stage), label, transcriptHash);
  }

  // ---- early secret
  /** binder_key: "ext binder" for external PSKs, "res binder" for resumption (RFC 8446 §7.1). */
  binderKey(kind: 'external' | 'resumption'): MaybePromise<Uint8Array> {
    return this.#derive('early', kind === 'external' ? 'ext binder' : 'res binder', this.#constants.empty);
  }
  clientEarlyTrafficSecret(clientHelloHash: Uint8Array): MaybePromise<Uint8Array> { return this.#derive('early', 'c e traffic', clientHelloHash); }
  earlyExporterMasterSecret(clientHelloHash: Uint8Array): MaybePromise<Uint8Array> { return this.#derive('early', 'e exp master', clientHelloHash); }

  /** Mix in the (EC)DHE shared secret (or nothing, for psk_ke): early → handshake. */
  enterHandshake(sharedSecret?: Uint8Array): MaybePromise<void> {
    this.#at('early');
    const c = this.#constants;
    const derived = this.#noPsk && c.noPskDerived !== undefined ? c.noPskDerived
      : andThen(this.#derive('early', 'derived', c.empty), (d) => (this.#noPsk ? (c.noPskDerived ??= d) : d));
    return andThen(derived, (d) => andThen(extractOf(this.#p, this.hash, d, sharedSecret ?? new Uint8Array(this.hashLength)), (hs) => {
      this.#secret = hs;
      this.#stage = 'handshake';
    }));
  }

  // ---- handshake secret
  clientHandshakeTrafficSecret(helloHash: Uint8Array): MaybePromise<Uint8Array> { return this.#derive('handshake', 'c hs traffic', helloHash); }
  serverHandshakeTrafficSecret(helloHash: Uint8Array): MaybePromise<Uint8Array> { return this.#derive('handshake', 's hs traffic', helloHash); }

  /** handshake → master. */
  enterMaster(): MaybePromise<void> {
    return andThen(this.#derive('handshake', 'derived', this.#constants.empty), (d) => andThen(extractOf(this.#p, this.hash, d, new Uint8Array(this.hashLength)), (ms) => {
      this.#secret = ms;
      this.#stage = 'master';
    }));
  }

  // ---- master secret
  /** Transcript through server Finished. */
  clientApplicationTrafficSecret0(serverFinishedHash: Uint8Array): MaybePromise<Uint8Array> { return this.#derive('master', 'c ap traffic', serverFinishedHash); }
  serverApplicationTrafficSecret0(serverFinishedHash: Uint8Array): MaybePromise<Uint8Array> { return this.#derive('master', 's ap traffic', serverFinishedHash); }
  exporterMasterSecret(serverFinishedHash: Uint8Array): MaybePromise<Uint8Array> { return this.#derive('master', 'exp master', serverFinishedHash); }
  /** Transcript through client Finished. */
  resumptionMasterSecret(clientFinishedHash: Uint8Array): MaybePromise<Uint8Array> { return this.#derive('master', 'res master', clientFinishedHash); }
}
