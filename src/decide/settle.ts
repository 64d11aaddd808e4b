/**
 * The one place a value-or-promise answer is mapped. The request path stays synchronous
 * while every step it takes is ready (a warm cache), so a middleware can go on in the same
 * tick; a step that must wait turns the rest into a promise.
 */

/** A step's answer: the value itself when it is ready, else a promise of it. */
export type Ready<T> = T | Promise<T>;

/** Maps `value` in this tick when it is ready, after it resolves otherwise. */
export function settleWith<T, U>(value: Ready<T>, map: (ready: T) => Ready<U>): Ready<U> {
  // `then` flattens a map that itself answers with a promise.
  return value instanceof Promise ? value.then<U>(map) : map(value);
}
