/**
 * What one use of a key costs: a request against its rate limit, then one of its usage
 * credits. It runs for every admitted request with a key behind it — the key itself, and a
 * token minted from it — so a limit set on a key holds for everything derived from it, and
 * exchanging a key for tokens is no way around its budget.
 *
 * A key a rotation replaced spends its replacement's budgets while its overlap lasts: the
 * rate-limit window and the credits are counted under the replacement's id, so a rotation
 * never doubles either. A key with neither a rate limit nor credits costs nothing here (the
 * caller does not even ask). A rate-limited request spends no credit. A spend that fails or times out answers
 * `unavailable`: a metered key is never served unmetered.
 */
import { AuthError, type AuthErrorCode } from "../../errors.js";
import type { ApiKeyRecord, KeyRateLimit, KeyStore, Milliseconds } from "../../types.js";
import { nextRefillAt } from "./credits.js";
import type { RateLimiter } from "./rate-limiter.js";
import { withTimeout } from "./with-timeout.js";

/** What a use of a key needs to know of it. */
export interface KeyUse {
  /** The key the request was made with (or its token was minted from). */
  keyId: string;
  /**
   * Whose budgets the use is counted against: the key's own id, or, once a rotation
   * replaced it, its replacement's (the rotation moved the credits there).
   */
  budgetKey: string;
  /** Its rate limit, or `null`. */
  rateLimit: KeyRateLimit | null;
  /** Whether it spends credits. */
  metered: boolean;
}

/** Whether the use may go on, or why not. */
export type UseOutcome =
  | { ok: true }
  | { ok: false; code: AuthErrorCode; reason: string; retryAfter?: number; detail?: string }
  | { ok: false; code: "unavailable"; reason: string; cause: unknown };

/** What a use of the key behind `record` costs; `null` when it costs nothing. */
export function useOf(
  record: Pick<ApiKeyRecord, "id" | "rateLimit" | "credits" | "replacedBy">,
): KeyUse | null {
  const rateLimit = record.rateLimit ?? null;
  const metered = record.credits !== null && record.credits !== undefined;
  if (rateLimit === null && !metered) return null;
  return { keyId: record.id, budgetKey: record.replacedBy ?? record.id, rateLimit, metered };
}

/** The refusal a use that may not go on answers with. */
export function useError(outcome: Exclude<UseOutcome, { ok: true }>): AuthError {
  if ("cause" in outcome)
    return new AuthError("unavailable", { retryAfter: 1, cause: outcome.cause });
  return new AuthError(outcome.code, {
    ...(outcome.retryAfter === undefined ? {} : { retryAfter: outcome.retryAfter }),
    ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
  });
}

const GRANTED: UseOutcome = Object.freeze({ ok: true });

export interface KeyUsage {
  /** Counts one use; asks nothing (and answers at once) for a key with no limit and no credits. */
  use(use: KeyUse): UseOutcome | Promise<UseOutcome>;
}

export interface KeyUsageOptions {
  rateLimiter: RateLimiter;
  store: KeyStore;
  storeTimeout: Milliseconds;
  now: () => number;
}

/** Whole seconds until `at`, at least 1: a `Retry-After` value. */
function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

export function createKeyUsage(options: KeyUsageOptions): KeyUsage {
  const { rateLimiter, store, storeTimeout, now } = options;

  async function spend({ keyId, budgetKey }: KeyUse): Promise<UseOutcome> {
    const spendCredits = store.spendCredits?.bind(store);
    if (!spendCredits) {
      return {
        ok: false,
        code: "unavailable",
        reason: "credits_unsupported",
        cause: new TypeError(
          "gatehouse: the key store has no spendCredits(); metered keys need it",
        ),
      };
    }
    const at = now();
    let spent;
    try {
      spent = await withTimeout(spendCredits(budgetKey, 1, new Date(at)), storeTimeout);
    } catch (cause) {
      return { ok: false, code: "unavailable", reason: "credits_error", cause };
    }
    if (spent?.ok) return GRANTED;
    // The key's own credits, gone with the key or taken off it: that change is announced,
    // and the last check before the answer reads the key again. A replacement's that are
    // gone leave the old key with nothing to spend: it is refused, never served unmetered.
    if (spent === null && budgetKey === keyId) return GRANTED;
    const refill = spent === null ? null : nextRefillAt(spent.credits);
    return {
      ok: false,
      code: "usage_exceeded",
      reason: "usage_exceeded",
      ...(refill === null ? {} : { retryAfter: secondsUntil(refill, at) }),
      detail:
        refill === null
          ? `The API key ${keyId} has used all of its credits.`
          : `The API key ${keyId} has used all of its credits until they refill.`,
    };
  }

  async function limited(use: KeyUse, limit: KeyRateLimit): Promise<UseOutcome> {
    let decision;
    try {
      decision = await rateLimiter.consume(use.budgetKey, limit, now());
    } catch (cause) {
      return { ok: false, code: "unavailable", reason: "rate_limiter_error", cause };
    }
    if (!decision.ok) {
      const retryAfter = Math.max(1, Math.ceil(decision.retryAfter / 1000));
      return { ok: false, code: "rate_limited", reason: "rate_limited", retryAfter };
    }
    return use.metered ? spend(use) : GRANTED;
  }

  return {
    use(use) {
      if (use.rateLimit !== null) return limited(use, use.rateLimit);
      if (use.metered) return spend(use);
      return GRANTED;
    },
  };
}
