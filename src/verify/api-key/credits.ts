/**
 * The arithmetic of usage credits, once: when a refill falls due, what a spend leaves, and
 * when an exhausted key can next succeed. The memory store and the key manager run it as
 * is; the SQL and Redis stores run the same steps inside one statement or script so that
 * a spend is atomic across instances, and the exported conformance suite holds each store
 * to the answers of this module.
 */
import type { CreditSpend, KeyCredits, Milliseconds } from "../../types.js";

/** The most credits a key may hold: past it, the stores' integer arithmetic loses units. */
export const MAX_CREDITS = Number.MAX_SAFE_INTEGER;

/**
 * The credits as they are at `now`: every refill that fell due since `refilledAt` raises
 * `remaining` to the refill's amount (never lowers it), and moves `refilledAt` forward by
 * whole intervals, so refills keep their schedule however late the next spend comes.
 */
export function creditsAt(credits: KeyCredits, now: Milliseconds): KeyCredits {
  const { refill } = credits;
  const since = credits.refilledAt?.getTime();
  if (!refill || since === undefined || now - since < refill.interval) return credits;
  const intervals = Math.floor((now - since) / refill.interval);
  return {
    remaining: Math.max(credits.remaining, refill.amount),
    refill,
    refilledAt: new Date(since + intervals * refill.interval),
  };
}

/**
 * Spends `cost` (a negative cost tops up) from the credits as they are at `now`: the answer
 * a store's `spendCredits` must give for a key holding `credits`.
 */
export function spendFrom(
  credits: KeyCredits,
  cost: number,
  now: Milliseconds,
): NonNullable<CreditSpend> {
  const current = creditsAt(credits, now);
  const left = current.remaining - cost;
  if (left < 0) return { ok: false, credits: current };
  return { ok: true, credits: { ...current, remaining: Math.min(left, MAX_CREDITS) } };
}

/**
 * When an exhausted key gets credits again by itself: the next refill, or `null` when it
 * has none (only a top-up helps).
 */
export function nextRefillAt(credits: KeyCredits): Milliseconds | null {
  const since = credits.refilledAt?.getTime();
  if (!credits.refill || since === undefined) return null;
  return since + credits.refill.interval;
}

/**
 * `credits` as the four plain numbers stores keep in columns or hash fields (remaining,
 * refill amount, refill interval, refilled at in epoch ms; `null` for a missing part), so
 * that a spend can do its arithmetic in place.
 */
export type CreditParts = [number | null, number | null, number | null, number | null];

export function creditParts(credits: KeyCredits | null | undefined): CreditParts {
  if (!credits) return [null, null, null, null];
  return [
    credits.remaining,
    credits.refill?.amount ?? null,
    credits.refill?.interval ?? null,
    credits.refilledAt ? credits.refilledAt.getTime() : null,
  ];
}

/** The credits from their four parts (numbers or their strings); `null`: not metered. */
export function creditsFromParts(
  parts: ReadonlyArray<string | number | null | undefined>,
): KeyCredits | null {
  const [remaining, amount, interval, refilledAt] = [0, 1, 2, 3].map((i) => {
    const value = parts[i];
    return value === null || value === undefined ? null : Number(value);
  });
  if (remaining === null || remaining === undefined) return null;
  return {
    remaining,
    refill:
      amount === null || amount === undefined || interval === null || interval === undefined
        ? null
        : { amount, interval },
    refilledAt: refilledAt === null || refilledAt === undefined ? null : new Date(refilledAt),
  };
}
