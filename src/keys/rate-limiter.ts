/**
 * Per-key request budgets. The verifier asks a {@link RateLimiter} on every authenticated
 * request of a key that has `rateLimit` set; keys without one are never counted. The
 * in-memory limiter counts per process; a shared one (Redis) plugs in through the same
 * interface so that all instances share one budget.
 */
import { LRUCache } from "lru-cache";
import type { KeyRateLimit, Milliseconds } from "../types.js";

export type RateLimitDecision = { ok: true } | { ok: false; retryAfter: Milliseconds };

export interface RateLimiter {
  /** Counts one request of `keyId` against `limit` and says whether it may proceed. */
  consume(
    keyId: string,
    limit: KeyRateLimit,
    now: Milliseconds,
  ): RateLimitDecision | Promise<RateLimitDecision>;
}

export interface MemoryRateLimiterOptions {
  /** How many keys' windows are tracked at once; the least recent are dropped. Default 10 000. */
  maxKeys?: number;
}

/**
 * A fixed-window counter per key, in memory. A key may burst up to twice its limit across
 * a window boundary; that is the price of O(1) memory per key.
 */
export function memoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter {
  const windows = new LRUCache<string, { start: number; count: number }>({
    max: options.maxKeys ?? 10_000,
  });
  return {
    consume(keyId, limit, now) {
      const slot = Math.floor(now / limit.window) * limit.window;
      const current = windows.get(keyId);
      const entry = current && current.start === slot ? current : { start: slot, count: 0 };
      entry.count++;
      windows.set(keyId, entry);
      if (entry.count <= limit.limit) return { ok: true };
      return { ok: false, retryAfter: slot + limit.window - now };
    },
  };
}
