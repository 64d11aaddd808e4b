/**
 * Bounds a store call in time. A store that hangs must turn into `unavailable` quickly,
 * never into a request that waits forever.
 */
import type { Milliseconds } from "../../types.js";

export class StoreTimeoutError extends Error {
  override readonly name = "StoreTimeoutError";
  constructor(ms: Milliseconds) {
    super(`the key store did not answer within ${ms} ms`);
  }
}

export function withTimeout<T>(work: Promise<T>, ms: Milliseconds): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
