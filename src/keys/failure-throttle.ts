/**
 * Counts failed verifications per key id (wrong secret, unknown id) and, past a budget,
 * refuses further attempts on that id without touching the store or argon2. Without it,
 * one attacker cycling secrets for a known id would buy an argon2 verify per request.
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
  fail(id: string, now: Milliseconds): void;
}

export function createFailureThrottle(options: FailureThrottleOptions | false): FailureThrottle {
  if (options === false) return { blockedFor: () => 0, fail: () => undefined };
  const max = options.max ?? 20;
  const window = options.window ?? 60_000;
  const counts = new LRUCache<string, { start: number; count: number }>({
    max: options.maxIds ?? 10_000,
  });
  return {
    blockedFor(id, now) {
      const entry = counts.get(id);
      if (!entry || now - entry.start >= window || entry.count < max) return 0;
      return entry.start + window - now;
    },
    fail(id, now) {
      const entry = counts.get(id);
      if (!entry || now - entry.start >= window) counts.set(id, { start: now, count: 1 });
      else entry.count++;
    },
  };
}
