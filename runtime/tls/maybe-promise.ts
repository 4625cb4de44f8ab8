// Values that are plain under a synchronous crypto provider (node, @noble) and promises under an
// asynchronous one (WebCrypto, PKCS#11): the key schedule and the engine's steps return them, so that a
// synchronous provider's handshake makes no promise per step. Callers `await` either.

/** A value, or the promise of one. */
export type MaybePromise<T> = T | Promise<T>;

/** f(v): at once when v is a value, after it settles when it is a promise (only then is a promise made). */
export function andThen<T, U>(v: MaybePromise<T>, f: (t: T) => MaybePromise<U>): MaybePromise<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}
