/**
 * A key's usage credits in words, for the key tables: "87 of 100 requests left, refills
 * daily", or "unmetered". Kept apart from the DOM so that the wording has one home.
 */
import type { KeyCredits } from "./api.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The common intervals by their everyday word. */
const NAMED: [number, string][] = [
  [MINUTE, "every minute"],
  [HOUR, "hourly"],
  [DAY, "daily"],
  [7 * DAY, "weekly"],
];

const UNITS: [number, string][] = [
  [DAY, "day"],
  [HOUR, "hour"],
  [MINUTE, "minute"],
  [SECOND, "second"],
];

/** How often a refill comes: "daily", "every 6 hours", "every 1500 ms". */
export function interval(ms: number): string {
  const named = NAMED.find(([length]) => length === ms);
  if (named) return named[1];
  for (const [length, unit] of UNITS) {
    if (ms % length === 0) return `every ${ms / length} ${unit}s`;
  }
  return `every ${ms} ms`;
}

/** "1 request", "87 requests". */
function requests(n: number): string {
  return `${n} ${n === 1 ? "request" : "requests"}`;
}

/** The credits line of one key; `null` or absent credits mean the key is not metered. */
export function creditsText(credits: KeyCredits | null | undefined): string {
  if (!credits) return "unmetered";
  const { remaining, refill } = credits;
  if (!refill) return `${requests(remaining)} left, no refill`;
  const every = interval(refill.interval);
  // A top-up can leave more than a refill brings; "120 of 100" would read as an error.
  if (remaining > refill.amount) {
    return `${requests(remaining)} left, refills to ${refill.amount} ${every}`;
  }
  return `${remaining} of ${requests(refill.amount)} left, refills ${every}`;
}

/** Whether the key is out of credits: its requests answer 429 until a refill or top-up. */
export function exhausted(credits: KeyCredits | null | undefined): boolean {
  return credits !== null && credits !== undefined && credits.remaining <= 0;
}
