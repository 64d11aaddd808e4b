/**
 * Checks what callers hand the key manager, and shapes what it hands back. Bad input from
 * the developer is a `TypeError` naming the field; it never reaches the store.
 */
import type {
  ApiKeyRecord,
  KeyCredits,
  KeyEnvironment,
  KeyRateLimit,
  OwnerType,
  PublicApiKeyRecord,
} from "../types.js";
import { creditsAt, MAX_CREDITS } from "../verify/api-key/credits.js";
import { isKeyEnvironment, KEY_ENVIRONMENTS } from "../verify/api-key/key-environment.js";

/** Every owner type a key may have. */
export const OWNER_TYPES: readonly OwnerType[] = ["user", "org", "service"];
/**
 * The one syntax of scope and role names, for the manager, the key routes, the token issuer
 * and the CLI: an RFC 6749 §3.3 scope-token (printable ASCII without space, `"` or `\`),
 * since scopes travel space-separated in a token's `scope` claim, and at most 128
 * characters.
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_SCOPE_LENGTH = 128;

/**
 * Whether `value` has RFC 6749 scope-token syntax, whatever its length: what a token may
 * carry (a `verifyUser` hook's scopes are the application's, not stored by gatehouse).
 */
export function hasScopeSyntax(value: unknown): value is string {
  return typeof value === "string" && SCOPE_TOKEN.test(value);
}

/** Whether `value` is a scope or role name gatehouse stores on a key (syntax and length). */
export function isScopeToken(value: unknown): value is string {
  return hasScopeSyntax(value) && value.length <= MAX_SCOPE_LENGTH;
}
const MAX_ITEMS = 100;

function fail(field: string, rule: string): never {
  throw new TypeError(`gatehouse: ${field} ${rule}`);
}

export function checkId(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 256) {
    fail(field, "must be a non-empty string of at most 256 characters");
  }
  return value;
}

export function checkName(value: unknown): string {
  if (typeof value !== "string" || value.trim().length === 0 || value.length > 200) {
    fail("name", "must be a non-empty string of at most 200 characters");
  }
  return value;
}

export function checkTokens(value: unknown, field: "scopes" | "roles"): string[] {
  if (!Array.isArray(value) || value.length > MAX_ITEMS) {
    fail(field, `must be an array of at most ${MAX_ITEMS} strings`);
  }
  for (const item of value as unknown[]) {
    if (!isScopeToken(item)) {
      fail(field, 'must hold printable ASCII strings without spaces, " or \\ (1-128 characters)');
    }
  }
  return [...new Set(value as string[])];
}

export function checkExpiry(value: unknown, now: number): Date | null {
  if (value === null) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    fail("expiresAt", "must be a valid Date or null");
  }
  if (value.getTime() <= now) fail("expiresAt", "must lie in the future");
  return new Date(value.getTime());
}

export function checkEnabled(value: unknown): boolean {
  if (typeof value !== "boolean") fail("enabled", "must be a boolean");
  return value;
}

export function checkOwnerType(value: unknown): OwnerType {
  if (!OWNER_TYPES.includes(value as OwnerType)) {
    fail("ownerType", `must be one of ${OWNER_TYPES.join(", ")}`);
  }
  return value as OwnerType;
}

export function checkEnvironment(value: unknown): KeyEnvironment | null {
  if (value === null) return null;
  if (!isKeyEnvironment(value))
    fail("environment", `must be ${KEY_ENVIRONMENTS.join(" or ")} or null`);
  return value;
}

export function checkMetadata(value: unknown): Record<string, unknown> | null {
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    fail("metadata", "must be a plain object or null");
  }
  return structuredClone(value as Record<string, unknown>);
}

export function checkRateLimit(value: unknown): KeyRateLimit | null {
  if (value === null) return null;
  const { limit, window } = (typeof value === "object" ? value : {}) as Record<string, unknown>;
  if (
    typeof limit !== "number" ||
    typeof window !== "number" ||
    !Number.isInteger(limit) ||
    !Number.isInteger(window) ||
    limit < 1 ||
    window < 1
  ) {
    fail("rateLimit", "must be { limit: positive integer, window: positive integer ms } or null");
  }
  return { limit, window };
}

function isCount(value: unknown, min: number): value is number {
  return (
    typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= MAX_CREDITS
  );
}

const CREDITS_SHAPE =
  "must be { remaining: integer ≥ 0, refill?: { amount: positive integer, interval: positive integer ms } | null } or null";

/**
 * A key's usage credits as set by a caller: `remaining` and an optional `refill`; the
 * refill schedule starts at `now` (the manager's clock), so `refilledAt` is never the
 * caller's to set.
 */
export function checkCredits(value: unknown, now: number): KeyCredits | null {
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) fail("credits", CREDITS_SHAPE);
  const input = value as Record<string, unknown>;
  for (const field of Object.keys(input)) {
    if (field !== "remaining" && field !== "refill")
      fail(`credits.${field}`, "is not a field that can be set");
  }
  if (!isCount(input.remaining, 0)) fail("credits", CREDITS_SHAPE);
  const raw = input.refill ?? null;
  if (raw === null) return { remaining: input.remaining, refill: null, refilledAt: null };
  const { amount, interval } = (typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  if (
    typeof raw !== "object" ||
    Array.isArray(raw) ||
    Object.keys(raw).some((field) => field !== "amount" && field !== "interval") ||
    !isCount(amount, 1) ||
    !isCount(interval, 1)
  ) {
    fail("credits", CREDITS_SHAPE);
  }
  return { remaining: input.remaining, refill: { amount, interval }, refilledAt: new Date(now) };
}

/** A top-up: how many credits to add, a positive integer. */
export function checkTopUp(value: unknown): number {
  if (!isCount(value, 1)) fail("amount", "must be a positive integer");
  return value;
}

/** Refuses fields the caller may not set, so a typo is an error rather than a no-op. */
export function checkKnownFields(input: object, allowed: readonly string[], what: string): void {
  for (const field of Object.keys(input)) {
    if (!allowed.includes(field)) fail(`${what}.${field}`, "is not a field that can be set");
  }
}

/** Whether a key answers requests now, and if not, why: shown beside every listed key. */
export type KeyStatus = "active" | "disabled" | "expired" | "rotated";

/** A key as the manager shows it: the record without its hash, and its status. */
export interface ManagedKey extends PublicApiKeyRecord {
  /**
   * `rotated` once a rotation's replacement has taken over (at once, or after the overlap),
   * else `disabled` when not enabled, else `expired` once `expiresAt` has passed, else
   * `active`; computed when read.
   */
  status: KeyStatus;
}

export function keyStatusOf(record: ApiKeyRecord, now: number): KeyStatus {
  const ended = !record.enabled || (record.expiresAt ? record.expiresAt.getTime() <= now : false);
  if (ended && record.disabledBy === "rotation") return "rotated";
  if (!record.enabled) return "disabled";
  if (ended) return "expired";
  return "active";
}

/** The record as shown: no hash, its status, and its credits as a spend now would find them. */
export function toManagedKey(record: ApiKeyRecord, now: number): ManagedKey {
  const { hash: _hash, ...visible } = record;
  const shown = { ...visible, status: keyStatusOf(record, now) };
  if (record.credits) shown.credits = creditsAt(record.credits, now);
  return shown;
}
