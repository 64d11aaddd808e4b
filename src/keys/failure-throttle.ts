/**
 * Counts failed verifications per key id (wrong secret, unknown id) and, past a budget,
 * refuses further attempts on that id without touching the store or argon2. Without it,
 * one attacker cycling secrets for a known id would buy an argon2 verify per request.
 * Verifications still running count against the budget too, so a burst of concurrent
 * guesses cannot all slip in before the first of them has failed.
 * Good keys already in the cache are checked before this and are not affected.
 */
import { LRUCache } from "lru-cache";
import type { Milliseconds } from "../types.js";

export interface FailureThrottleOptions {
  /** Failures per id allowed within {@link window}. Default 20. */
  max?: number;
  /** The window, in ms. Default 60 000. */
  window?: Milliseconds;
  /** How many ids are tracked at once. Default 10 000. */
  maxIds?: number;
}

export interface FailureThrottle {
  /** Milliseconds until `id` may be tried again, or 0 when it may be tried now. */
  blockedFor(id: string, now: Milliseconds): Milliseconds;
  /** A verification of `id` begins; it counts against the budget until it finishes. */
  start(id: string, now: Milliseconds): void;
  /** The verification of `id` ended; `failed` when the secret or the id was wrong. */
  finish(id: string, now: Milliseconds, failed: boolean): void;
}

interface Entry {
  start: number;
  failures: number;
  running: number;
}

export function createFailureThrottle(options: FailureThrottleOptions | false): FailureThrottle {
  if (options === false) {
    return { blockedFor: () => 0, start: () => undefined, finish: () => undefined };
  }
  const max = options.max ?? 20;
  const window = options.window ?? 60_000;
  if (!Number.isInteger(max) || max < 1 || !(window > 0)) {
    throw new TypeError("gatehouse: apiKeys.failureThrottle needs max >= 1 and window > 0 ms");
  }
  const entries = new LRUCache<string, Entry>({ max: options.maxIds ?? 10_000 });

  function current(id: string, now: number): Entry | undefined {
    const entry = entries.get(id);
    if (entry && now - entry.start >= window) {
      entry.start = now;
      entry.failures = 0;
    }
    return entry;
  }

  return {
    blockedFor(id, now) {
      const entry = current(id, now);
      if (!entry || entry.failures + entry.running < max) return 0;
      // Blocked by running verifications alone: they end within moments; retry soon.
      return entry.failures >= max ? entry.start + window - now : 1000;
    },
    start(id, now) {
      const entry = current(id, now);
      if (entry) entry.running++;
      else entries.set(id, { start: now, failures: 0, running: 1 });
    },
    finish(id, now, failed) {
      const entry = current(id, now);
      if (!entry) return;
      entry.running = Math.max(0, entry.running - 1);
      if (failed) entry.failures++;
    },
  };
}
