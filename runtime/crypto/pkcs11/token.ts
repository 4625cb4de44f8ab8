// One logged-in token: the slot found by label, a pool of sessions, and re-login after a lost session.
//
// Rules of this file:
// - One operation per session at a time: an operation borrows a session from the pool and returns it.
// - The pool opens at most `maxSessions` sessions; extra operations wait in FIFO order.
// - Long calls (C_Sign) run on pkcs11js's worker threads (the *Async variants), off the event loop.
// - A session that fails with a "lost session" return value (closed, handle invalid, logged out,
//   device removed) is dropped with every idle session; the operation is retried once on a fresh
//   session, which logs in again. Only when that fails too does the caller get CRYPTO_HSM_SESSION_LOST.
// - The PIN is kept only as long as the token is open, and never appears in messages.
import { CryptoError } from '../errors.ts';
import { acquireModule, ckrName, pkcs11js, releaseModule, type Pkcs11Lib } from './module.ts';

export interface Pkcs11TokenOptions {
  /** Path of the PKCS#11 module (shared library). */
  readonly module: string;
  /** Token label as set by `softhsm2-util --init-token --label` (or the vendor's tool). */
  readonly token: string;
  /** User PIN. Default: the environment variable named by `pinEnv`. */
  readonly pin?: string;
  /** Environment variable holding the PIN when `pin` is not given. Default PROTOSMITH_PKCS11_PIN. */
  readonly pinEnv?: string;
  /** Most sessions open at once (each runs one operation at a time). Default 4. */
  readonly maxSessions?: number;
}

const LOST = new Set(['CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_USER_NOT_LOGGED_IN', 'CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_PRESENT', 'CKR_DEVICE_ERROR', 'CKR_CRYPTOKI_NOT_INITIALIZED']);

/** True when a pkcs11js error means the session (not the operation) is gone. */
export function isLostSession(e: unknown): boolean {
  const n = ckrName(e);
  return n !== undefined && LOST.has(n);
}

export type Session = Buffer;

export class Pkcs11Token {
  readonly label: string;
  readonly modulePath: string;
  readonly lib: Pkcs11Lib;
  readonly slot: Buffer;
  /** Mechanisms the token offers (CKM_* numbers). */
  readonly mechanisms: ReadonlySet<number>;
  /** Bumped whenever sessions were found lost; object handles found under an older generation are looked up again. */
  generation = 0;
  readonly #pin: string;
  readonly #max: number;
  #idle: Session[] = [];
  #open = 0;
  #waiters: ((s: Session | CryptoError) => void)[] = [];
  #closed = false;
  /** Sessions lent out right now; close() waits for them before finalising the module. */
  #busy = 0;
  #drained: (() => void) | undefined;

  private constructor(options: Pkcs11TokenOptions, lib: Pkcs11Lib, slot: Buffer, pin: string) {
    this.label = options.token;
    this.modulePath = options.module;
    this.lib = lib;
    this.slot = slot;
    this.#pin = pin;
    this.#max = Math.max(1, Math.floor(options.maxSessions ?? 4));
    this.mechanisms = new Set(lib.C_GetMechanismList(slot));
  }

  /** Loads the module, finds the token by label and logs in once (so a wrong PIN fails here, not mid-handshake). */
  static async open(options: Pkcs11TokenOptions): Promise<Pkcs11Token> {
    const envName = options.pinEnv ?? 'PROTOSMITH_PKCS11_PIN';
    const pin = options.pin ?? process.env[envName];
    if (pin === undefined || pin === '') {
      throw new CryptoError('CRYPTO_HSM_PIN_REJECTED', 'config', `No PIN for token "${options.token}": pass it in the configuration (pin, or pin-value / pin-source in the pkcs11: URI) or set ${envName}.`);
    }
    const lib = acquireModule(options.module);
    try {
      const slot = findSlot(lib, options.module, options.token);
      const token = new Pkcs11Token(options, lib, slot, pin);
      token.release(await token.acquire());
      return token;
    } catch (e) {
      releaseModule(options.module);
      if (e instanceof CryptoError) throw e;
      throw new CryptoError('CRYPTO_HSM_MODULE_FAILED', 'config', `PKCS#11 module "${options.module}" failed while opening token "${options.token}" (${ckrName(e) ?? String((e as Error)?.message ?? e)}).`, { cause: e });
    }
  }

  /** Borrows a logged-in session; give it back with release() (or discard() if it failed as lost). */
  async acquire(): Promise<Session> {
    if (this.#closed) throw this.#closedError();
    const idle = this.#idle.pop();
    if (idle !== undefined) { this.#busy++; return idle; }
    if (this.#open < this.#max) {
      this.#open++;
      try {
        const s = this.#openSession();
        this.#busy++;
        return s;
      } catch (e) {
        this.#open--;
        throw e;
      }
    }
    // A waiter is handed a session already counted as busy (release/discard pass it on).
    const got = await new Promise<Session | CryptoError>((resolve) => this.#waiters.push(resolve));
    if (got instanceof CryptoError) throw got;
    return got;
  }

  #settled(): void {
    this.#busy--;
    if (this.#busy === 0) this.#drained?.();
  }

  release(session: Session): void {
    if (this.#closed) { this.#closeQuietly(session); this.#settled(); return; }
    const next = this.#waiters.shift();
    if (next !== undefined) { next(session); return; } // stays busy, now for the waiter
    this.#idle.push(session);
    this.#settled();
  }

  /** Drops a session found lost, and every idle one with it (a lost login or a removed device loses them all). */
  discard(session: Session): void {
    this.generation++;
    this.#closeQuietly(session);
    this.#open--;
    this.#settled();
    for (const s of this.#idle.splice(0)) { this.#closeQuietly(s); this.#open--; }
    // A waiter gets a fresh session rather than waiting for one that will never come back.
    // If no session can be opened now, every waiter fails at once: none of them would ever be served.
    const next = this.#waiters.shift();
    if (next !== undefined) {
      this.#open++;
      try {
        const fresh = this.#openSession();
        this.#busy++;
        next(fresh);
      } catch (e) {
        this.#open--;
        const err = e instanceof CryptoError ? e : this.#lostError('opening a session', e);
        next(err);
        for (const w of this.#waiters.splice(0)) w(err);
      }
    }
  }

  /**
   * Runs `op` on a borrowed session. A lost session is discarded and `op` retried once on a fresh,
   * logged-in session; a second loss becomes CRYPTO_HSM_SESSION_LOST.
   */
  async withSession<T>(what: string, op: (session: Session, generation: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const session = await this.acquire();
      let result: T;
      try {
        result = await op(session, this.generation);
      } catch (e) {
        if (isLostSession(e)) {
          this.discard(session);
          if (attempt === 0) continue;
          throw this.#lostError(what, e);
        }
        this.release(session);
        if (e instanceof CryptoError) throw e;
        throw new CryptoError('CRYPTO_PROVIDER_FAILURE', 'provider', `PKCS#11 token "${this.label}" failed while ${what} (${ckrName(e) ?? String((e as Error)?.message ?? e)}).`, { alert: 'internal_error', cause: e });
      }
      this.release(session);
      return result;
    }
  }

  /** Closes every session (after the operations in flight end) and releases the module (finalised when nobody else uses it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(this.#closedError());
    for (const s of this.#idle.splice(0)) this.#closeQuietly(s);
    // Never finalise the module under a signature running on a worker thread.
    if (this.#busy > 0) await new Promise<void>((resolve) => { this.#drained = resolve; });
    releaseModule(this.modulePath);
  }

  #openSession(): Session {
    const js = pkcs11js();
    let session: Session;
    try {
      session = this.lib.C_OpenSession(this.slot, js.CKF_SERIAL_SESSION);
    } catch (cause) {
      throw this.#lostError('opening a session', cause);
    }
    try {
      this.lib.C_Login(session, js.CKU_USER, this.#pin);
    } catch (cause) {
      const n = ckrName(cause);
      if (n !== 'CKR_USER_ALREADY_LOGGED_IN') {
        this.#closeQuietly(session);
        throw pinError(this.label, n, cause);
      }
    }
    return session;
  }

  #closeQuietly(session: Session): void {
    try { this.lib.C_CloseSession(session); } catch { /* already gone */ }
  }

  #closedError(): CryptoError {
    return new CryptoError('CRYPTO_INVALID_ARGUMENT', 'local', `PKCS#11 token "${this.label}" was closed; open it again before signing with its keys.`);
  }

  #lostError(what: string, cause: unknown): CryptoError {
    return new CryptoError('CRYPTO_HSM_SESSION_LOST', 'provider', `Lost the session to PKCS#11 token "${this.label}" while ${what} (${ckrName(cause) ?? String((cause as Error)?.message ?? cause)}), and a fresh session with a new login failed the same way; check that the token is present and the module "${this.modulePath}" is healthy.`, { alert: 'internal_error', cause });
  }
}

function pinError(label: string, ckr: string | undefined, cause: unknown): CryptoError {
  const why = ckr === 'CKR_PIN_INCORRECT' ? 'the PIN is wrong; check the configured PIN (repeated wrong PINs lock the token)'
    : ckr === 'CKR_PIN_LOCKED' ? 'the user PIN is locked after too many wrong attempts; the security officer must reset it (softhsm2-util/pkcs11-tool --init-pin)'
    : ckr === 'CKR_PIN_EXPIRED' ? 'the PIN has expired; set a new one with the token tool'
    : ckr === 'CKR_USER_PIN_NOT_INITIALIZED' ? 'the token has no user PIN yet; initialise it (softhsm2-util --init-token ... --pin)'
    : `C_Login failed (${ckr ?? String((cause as Error)?.message ?? cause)})`;
  return new CryptoError('CRYPTO_HSM_PIN_REJECTED', 'config', `Token "${label}" refused the login: ${why}.`, { alert: 'internal_error', cause });
}

function findSlot(lib: Pkcs11Lib, module: string, label: string): Buffer {
  let slots: Buffer[];
  try {
    slots = lib.C_GetSlotList(true);
  } catch (cause) {
    throw new CryptoError('CRYPTO_HSM_MODULE_FAILED', 'config', `PKCS#11 module "${module}" could not list its slots (${ckrName(cause) ?? String(cause)}).`, { cause });
  }
  const seen: string[] = [];
  for (const slot of slots) {
    let have: string;
    try { have = lib.C_GetTokenInfo(slot).label.replace(/[\s\0]+$/, ''); } catch { continue; }
    if (have === label) return slot;
    seen.push(have);
  }
  throw new CryptoError('CRYPTO_HSM_TOKEN_NOT_FOUND', 'config', `No token labelled "${label}" in module "${module}" (tokens present: ${seen.length ? seen.map((s) => `"${s}"`).join(', ') : 'none'}); initialise one (softhsm2-util --init-token --free --label "${label}") or fix the label.`);
}
