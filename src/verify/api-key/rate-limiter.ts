/**
 * Per-key request budgets. The verifier asks a {@link RateLimiter} on every authenticated
 * request of a key that has `rateLimit` set; keys without one are never counted. The
 * in-memory limiter counts per process; a shared one (Redis) plugs in through the same
 * interface so that all instances share one budget.
 */
import { LRUCache } from "lru-cache";
import type { KeyRateLimit, Milliseconds } from "../../types.js";

/** A {@link RateLimiter}'s answer for one request. */
export type RateLimitDecision =
  | {
      /** `true`: within the budget; the request proceeds. */
      ok: true;
    }
  | {
      /** `false`: over the budget; the request answers `rate_limited` (429). */
      ok: false;
      /** Time until the window frees a request, in ms; sent as `Retry-After`, rounded up to whole seconds (at least 1). */
      retryAfter: Milliseconds;
    };

/** Counts requests of keys that have a `rateLimit`; the `apiKeys.rateLimiter` option. */
export interface RateLimiter {
  /** Counts one request of `keyId` against `limit` and says whether it may proceed. */
  consume(
    keyId: string,
    limit: KeyRateLimit,
    now: Milliseconds,
  ): RateLimitDecision | Promise<RateLimitDecision>;
}

/** Options of {@link memoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /**
   * `"fixed"` (default): a counter per window; a key may burst up to twice its limit across
   * a window boundary. `"sliding"`: the previous window's count, weighted by how much of
   * it still overlaps the sliding window, is added to the current one; no such burst, at
   * the same O(1) memory, but an estimate that assumes the previous window's requests were
   * spread evenly.
   */
  algorithm?: "fixed" | "sliding";
  /** How many keys' windows are tracked at once; the least recent are dropped. Default 10 000. */
  maxKeys?: number;
}

interface Counter {
  start: number;
  count: number;
  previous: number;
}

/** The in-memory limiter answers synchronously. */
export interface MemoryRateLimiter extends RateLimiter {
  consume(keyId: string, limit: KeyRateLimit, now: Milliseconds): RateLimitDecision;
}

/** Per-key request counting in memory, for one process. */
export function memoryRateLimiter(options: MemoryRateLimiterOptions = {}): MemoryRateLimiter {
  const sliding = (options.algorithm ?? "fixed") === "sliding";
  const counters = new LRUCache<string, Counter>({ max: options.maxKeys ?? 10_000 });
  return {
    consume(keyId, limit, now) {
      const slot = Math.floor(now / limit.window) * limit.window;
      let entry = counters.get(keyId);
      if (!entry || entry.start !== slot) {
        const previous = entry && entry.start === slot - limit.window ? entry.count : 0;
        entry = { start: slot, count: 0, previous };
        counters.set(keyId, entry);
      }
      const overlap = sliding ? 1 - (now - slot) / limit.window : 0;
      const used = entry.count + entry.previous * overlap;
      if (used + 1 > limit.limit) {
        if (!sliding || entry.previous === 0) {
          return { ok: false, retryAfter: slot + limit.window - now };
        }
        // The estimate falls as the previous window slides out; wait until it leaves room.
        const excess = used + 1 - limit.limit;
        const wait = Math.ceil((excess / entry.previous) * limit.window);
        return { ok: false, retryAfter: Math.min(wait, slot + limit.window - now) };
      }
      entry.count++;
      return { ok: true };
    },
  };
}
