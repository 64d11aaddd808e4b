/**
 * Throttles failed password and client-secret attempts at the token endpoint, so that the
 * endpoint cannot be used to guess a password or a client secret at request speed. Past a
 * budget it answers 429 without calling `verifyUser` or the key verifier. The interface is
 * async so that a shared store (Redis…) can back it.
 *
 * Throttling, not lockout (OWASP Authentication Cheat Sheet): usernames are guessable and
 * client ids are public, so a budget per name alone would let anyone lock its owner out by
 * failing on purpose. Each failure is therefore recorded against three subjects, as
 * {@link attemptSubjects} builds them:
 * - the name from this address, `user@203.0.113.9 alice`: the tight budget
 *   ({@link MemoryAttemptLimiterOptions.perSubject}), which an attacker elsewhere cannot
 *   spend;
 * - the name from anywhere, `user:alice`: a much softer budget
 *   ({@link MemoryAttemptLimiterOptions.perSubjectGlobal}) that still bounds an attacker
 *   spread over many addresses, at the price that such an attacker can, past it, refuse
 *   the name to everyone until the window ends;
 * - the address, `ip:203.0.113.9` ({@link MemoryAttemptLimiterOptions.perIp}), which stops
 *   one address cycling through names.
 *
 * Without an address (an adapter that cannot tell it), the first subject is `user@? alice`,
 * one budget shared by every caller whose address is unknown, and there is no `ip:` one.
 */
import { LRUCache } from "lru-cache";
import type { Milliseconds, Seconds } from "../types.js";

/** What a subject of {@link attemptSubjects} counts, and so which budget applies to it. */
export type AttemptSubjectKind = "pair" | "name" | "ip";

// Addresses are kept as they are when they look like one; anything else is percent-encoded,
// so that an address never holds a space and the first space ends it.
const PLAIN_ADDRESS = /^[0-9A-Za-z.:_-]+$/;

function addressOf(ip: string | undefined): string | undefined {
  if (ip === undefined || ip === "") return undefined;
  return PLAIN_ADDRESS.test(ip) ? ip : encodeURIComponent(ip);
}

/**
 * The subject of `kind` (`"user"`, `"client"`) `name` tried from `ip`: the one whose
 * failures are forgotten after a success from there. `name` is compared case-insensitively.
 */
export function pairSubject(kind: string, name: string, ip: string | undefined): string {
  return `${kind}@${addressOf(ip) ?? "?"} ${name.toLowerCase()}`;
}

/**
 * The subjects a failed attempt is recorded against: `[pair, name, ip]` for a name
 * (`user@203.0.113.9 alice`, `user:alice`, `ip:203.0.113.9`), the `ip:` one alone without a
 * name, and no `ip:` one without an address. Names cannot forge another subject: the pair
 * family starts `kind@`, the name family `kind:`, and the address, which ends at the first
 * space, comes before the name.
 */
export function attemptSubjects(
  kind: string,
  name: string | undefined,
  ip: string | undefined,
): string[] {
  const list: string[] = [];
  if (name !== undefined) list.push(pairSubject(kind, name, ip), `${kind}:${name.toLowerCase()}`);
  if (ip !== undefined && ip !== "") list.push(`ip:${ip}`);
  return list;
}

/** Which budget a subject made by {@link attemptSubjects} falls under. */
export function attemptSubjectKind(subject: string): AttemptSubjectKind {
  if (subject.startsWith("ip:")) return "ip";
  return /^[a-z]+@/.test(subject) ? "pair" : "name";
}

/** Counts failed credential attempts per subject; implement it over a shared store to count across instances. */
export interface AttemptLimiter {
  /** Seconds until any of `subjects` may be tried again; 0 when all may be tried now. */
  retryAfter(subjects: readonly string[]): Seconds | Promise<Seconds>;
  /** Records one failed attempt against each subject. */
  fail(subjects: readonly string[]): void | Promise<void>;
  /**
   * Forgets a subject's failures after a success: called with the pair subject of the user
   * or client and the address that succeeded (`pairSubject`), never with the name
   * from anywhere nor the IP, so that one success cannot wipe a distributed attacker's count.
   */
  reset?(subject: string): void | Promise<void>;
}

/** Options of {@link memoryAttemptLimiter}. */
export interface MemoryAttemptLimiterOptions {
  /**
   * Failures allowed per user or client from one address within {@link window}. Default 10.
   * Also the budget shared by all callers whose address is unknown.
   */
  perSubject?: number;
  /**
   * Failures allowed per user or client from all addresses together within {@link window}.
   * Default 10 × {@link perSubject}. It bounds guessing spread over many addresses; once it
   * is spent, the name is refused from every address, the right password too, until the
   * window ends: the one lockout left, open only to an attacker with at least
   * `perSubjectGlobal / perSubject` addresses (10 by default).
   */
  perSubjectGlobal?: number;
  /**
   * Failures allowed per IP address within {@link window}. Default 100: higher than
   * {@link perSubject} because many people can share one address (NAT, offices).
   */
  perIp?: number;
  /** The counting window, in ms. Default 15 minutes. */
  window?: Milliseconds;
  /**
   * How many subjects are tracked at once. Default 10 000. The least recently failed are
   * forgotten first, so a flood of distinct names or addresses costs bounded memory; the
   * per-IP budget still holds a flooding address back, and the per-name one a name tried
   * from many addresses.
   */
  maxEntries?: number;
  /** The clock, for tests. Default `Date.now`. */
  now?: () => Milliseconds;
}

/** A fixed-window failure counter per subject, in this process's memory. */
export function memoryAttemptLimiter(options: MemoryAttemptLimiterOptions = {}): AttemptLimiter {
  const perSubject = options.perSubject ?? 10;
  const perSubjectGlobal = options.perSubjectGlobal ?? perSubject * 10;
  const perIp = options.perIp ?? 100;
  const window = options.window ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  for (const [name, value] of Object.entries({ perSubject, perSubjectGlobal, perIp, window })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`gatehouse: attempts.${name} must be a positive integer`);
    }
  }
  const counts = new LRUCache<string, { start: Milliseconds; count: number }>({
    max: options.maxEntries ?? 10_000,
  });
  const budgets: Readonly<Record<AttemptSubjectKind, number>> = {
    pair: perSubject,
    name: perSubjectGlobal,
    ip: perIp,
  };
  const budgetOf = (subject: string): number => budgets[attemptSubjectKind(subject)];

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
