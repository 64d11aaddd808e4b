/**
 * Counts failed verifications (wrong secret, unknown id, refused by a full hash queue) and,
 * past a budget, refuses further attempts without touching the store or argon2. Without it,
 * one attacker cycling secrets for a known id would buy an argon2 verify per request.
 * Verifications still running count against the budget too, so a burst of concurrent
 * guesses cannot all slip in before the first of them has failed.
 * Good keys already in the cache are checked before this and are not affected.
 *
 * Budgets are kept per (key id, client address), after OWASP's advice to throttle rather
 * than lock out: key ids are public (a key's id is its `client_id` at the token endpoint),
 * so a budget per id alone would let anyone who knows an id lock its holder out by failing
 * on purpose. Each id also has a softer budget over all addresses together (by default 10×
 * the per-address one), so an attacker spread over many addresses still gets a bounded
 * number of guesses per window, at the price that such an attacker can, past that, refuse
 * the id to everyone until the window ends. When the caller's address is unknown, the
 * per-address budget falls back to one shared by every caller whose address is unknown.
 */
import { LRUCache } from "lru-cache";
import type { Milliseconds } from "../../types.js";

export interface FailureThrottleOptions {
  /** Failures allowed per key id from one client address within {@link window}. Default 20. */
  max?: number;
  /**
   * Failures allowed per key id from all addresses together within {@link window}. Default
   * 10 × {@link max}. It bounds an attacker who spreads guesses over many addresses; once
   * it is spent, the id is refused to every address until the window ends.
   */
  maxPerId?: number;
  /** The window, in ms. Default 60 000. */
  window?: Milliseconds;
  /** How many ids, and how many (id, address) pairs, are tracked at once. Default 10 000 each. */
  maxIds?: number;
}

export interface FailureThrottle {
  /**
   * Milliseconds until `id` may be tried again from `client` (the caller's address, when
   * known), or 0 when it may be tried now.
   */
  blockedFor(id: string, now: Milliseconds, client?: string): Milliseconds;
  /** A verification of `id` begins; it counts against the budgets until it finishes. */
  start(id: string, now: Milliseconds, client?: string): void;
  /** The verification of `id` ended; `failed` when the secret or the id was wrong. */
  finish(id: string, now: Milliseconds, failed: boolean, client?: string): void;
}

interface Entry {
  start: number;
  failures: number;
  running: number;
}

interface Counter {
  blockedFor(key: string, now: number): number;
  start(key: string, now: number): void;
  finish(key: string, now: number, failed: boolean): void;
}

function counter(max: number, window: number, maxKeys: number): Counter {
  const entries = new LRUCache<string, Entry>({ max: maxKeys });

  function current(key: string, now: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry && now - entry.start >= window) {
      entry.start = now;
      entry.failures = 0;
    }
    return entry;
  }

  return {
    blockedFor(key, now) {
      const entry = current(key, now);
      if (!entry || entry.failures + entry.running < max) return 0;
      // Blocked by running verifications alone: they end within moments; retry soon.
      return entry.failures >= max ? entry.start + window - now : 1000;
    },
    start(key, now) {
      const entry = current(key, now);
      if (entry) entry.running++;
      else entries.set(key, { start: now, failures: 0, running: 1 });
    },
    finish(key, now, failed) {
      const entry = current(key, now);
      if (!entry) return;
      entry.running = Math.max(0, entry.running - 1);
      if (failed) entry.failures++;
    },
  };
}

/**
 * The key of the per-address budget. The length prefix keeps it unambiguous whatever the
 * id and the address hold, and an unknown address (a key starting with ":") is a bucket
 * of its own.
 */
function pairOf(id: string, client: string | undefined): string {
  return client ? `${client.length}:${client}:${id}` : `:${id}`;
}

export function createFailureThrottle(options: FailureThrottleOptions | false): FailureThrottle {
  if (options === false) {
    return { blockedFor: () => 0, start: () => undefined, finish: () => undefined };
  }
  const max = options.max ?? 20;
  const maxPerId = options.maxPerId ?? max * 10;
  const window = options.window ?? 60_000;
  if (!Number.isInteger(max) || max < 1 || !(window > 0)) {
    throw new TypeError("gatehouse: apiKeys.failureThrottle needs max >= 1 and window > 0 ms");
  }
  if (!Number.isInteger(maxPerId) || maxPerId < 1) {
    throw new TypeError("gatehouse: apiKeys.failureThrottle.maxPerId must be an integer >= 1");
  }
  const maxKeys = options.maxIds ?? 10_000;
  const pairs = counter(max, window, maxKeys);
  const ids = counter(maxPerId, window, maxKeys);

  return {
    blockedFor(id, now, client) {
      return Math.max(pairs.blockedFor(pairOf(id, client), now), ids.blockedFor(id, now));
    },
    start(id, now, client) {
      pairs.start(pairOf(id, client), now);
      ids.start(id, now);
    },
    finish(id, now, failed, client) {
      pairs.finish(pairOf(id, client), now, failed);
      ids.finish(id, now, failed);
    },
  };
}
