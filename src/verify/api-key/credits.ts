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
 * Whose credits a key's requests spend: its own, or, once a rotation replaced it, its
 * replacement's (the rotation moved them there); `null` for a key that is not metered.
 */
export function creditKeyOf(record: {
  id: string;
  credits?: KeyCredits | null;
  replacedBy?: string | null;
}): string | null {
  if (!record.credits) return null;
  return record.replacedBy ?? record.id;
}
