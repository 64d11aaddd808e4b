/**
 * Throttles failed password and client-secret attempts at the token endpoint, so that the
 * endpoint cannot be used to guess a password or a client secret at request speed. The
 * endpoint records failures against subjects such as `user:alice`, `client:abc` and
 * `ip:203.0.113.9`; past a budget it answers 429 without calling `verifyUser` or the key
 * verifier. The interface is async so that a shared store (Redis…) can back it.
 */
import { LRUCache } from "lru-cache";
import type { Milliseconds, Seconds } from "../types.js";

/** Counts failed credential attempts per subject; implement it over a shared store to count across instances. */
export interface AttemptLimiter {
  /** Seconds until any of `subjects` may be tried again; 0 when all may be tried now. */
  retryAfter(subjects: readonly string[]): Seconds | Promise<Seconds>;
  /** Records one failed attempt against each subject. */
  fail(subjects: readonly string[]): void | Promise<void>;
  /** Forgets a subject's failures after a success (called for the user or client, never the IP). */
  reset?(subject: string): void | Promise<void>;
}

/** Options of {@link memoryAttemptLimiter}. */
export interface MemoryAttemptLimiterOptions {
  /** Failures allowed per user or client within {@link window}. Default 10. */
  perSubject?: number;
  /**
   * Failures allowed per IP address within {@link window}. Default 100: higher than
   * {@link perSubject} because many people can share one address (NAT, offices).
   */
  perIp?: number;
  /** The counting window, in ms. Default 15 minutes. */
  window?: Milliseconds;
  /**
   * How many subjects are tracked at once. Default 10 000. The least recently failed are
   * forgotten first, so a flood of distinct names costs bounded memory; the per-IP budget
   * still holds the flooding address back.
   */
  maxEntries?: number;
  /** The clock, for tests. Default `Date.now`. */
  now?: () => Milliseconds;
}

/** A fixed-window failure counter per subject, in this process's memory. */
export function memoryAttemptLimiter(options: MemoryAttemptLimiterOptions = {}): AttemptLimiter {
  const perSubject = options.perSubject ?? 10;
  const perIp = options.perIp ?? 100;
  const window = options.window ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  for (const [name, value] of Object.entries({ perSubject, perIp, window })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`gatehouse: attempts.${name} must be a positive integer`);
    }
  }
  const counts = new LRUCache<string, { start: Milliseconds; count: number }>({
    max: options.maxEntries ?? 10_000,
  });
  const budgetOf = (subject: string): number => (subject.startsWith("ip:") ? perIp : perSubject);

  return {
    retryAfter(subjects) {
      const at = now();
      let wait = 0;
      for (const subject of subjects) {
        const entry = counts.get(subject);
        if (!entry || at - entry.start >= window || entry.count < budgetOf(subject)) continue;
        wait = Math.max(wait, Math.ceil((entry.start + window - at) / 1000));
      }
      return wait;
    },
    fail(subjects) {
      const at = now();
      for (const subject of subjects) {
        const entry = counts.get(subject);
        if (!entry || at - entry.start >= window) counts.set(subject, { start: at, count: 1 });
        else entry.count++;
      }
    },
    reset(subject) {
      counts.delete(subject);
    },
  };
}

/** Never throttles: for deployments that throttle in front of the app. */
export const noAttemptLimit: AttemptLimiter = { retryAfter: () => 0, fail: () => undefined };
