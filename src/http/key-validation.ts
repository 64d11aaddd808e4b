/**
 * Validation of key-route bodies and queries. Every bad field is reported, not just the
 * first, and fields the route does not know are refused rather than ignored: a client that
 * sends `roles` or `ownerId` must learn that it had no effect.
 */
import type { AdminKeyUpdate } from "../manage/key-manager-api.js";
import { checkCredits, checkTopUp, isScopeToken } from "../manage/key-input.js";
import type { KeyEnvironment, PageRequest, Seconds } from "../types.js";
import { isKeyEnvironment, KEY_ENVIRONMENTS } from "../verify/api-key/key-environment.js";
import type { FieldProblem } from "./problem.js";

const MAX_NAME = 200;
const MAX_SCOPES = 100;

/** A create body once checked: what the create route hands the key manager. */
export interface CreateKeyBody {
  /** The key's name, trimmed. */
  name: string;
  /** The scopes asked for, without repeats; `undefined` when the body names none. */
  scopes: string[] | undefined;
  /** When the key stops working, `null` for never; `undefined` when the body names none. */
  expiresAt: Date | null | undefined;
  /** `undefined` when the body names none: the key then gets `apiKeys.environment`. */
  environment: KeyEnvironment | null | undefined;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldProblem[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkName(value: unknown, errors: FieldProblem[]): string | undefined {
  if (typeof value !== "string" || value.trim() === "") {
    errors.push({ field: "name", message: "must be a non-empty string" });
    return undefined;
  }
  if (value.length > MAX_NAME) {
    errors.push({ field: "name", message: `must be at most ${MAX_NAME} characters` });
    return undefined;
  }
  return value.trim();
}

function checkScopes(value: unknown, errors: FieldProblem[]): string[] | undefined {
  if (
    !Array.isArray(value) ||
    value.length > MAX_SCOPES ||
    !value.every((s): s is string => isScopeToken(s))
  ) {
    errors.push({
      field: "scopes",
      message: `must be an array of at most ${MAX_SCOPES} scope strings (1-128 characters, no spaces)`,
    });
    return undefined;
  }
  return [...new Set(value)];
}

function checkExpiry(value: unknown, errors: FieldProblem[], now: Date): Date | null | undefined {
  if (value === null) return null;
  const date = typeof value === "string" ? new Date(value) : null;
  if (date === null || Number.isNaN(date.getTime())) {
    errors.push({ field: "expiresAt", message: "must be an ISO 8601 date-time string or null" });
    return undefined;
  }
  if (date.getTime() <= now.getTime()) {
    errors.push({ field: "expiresAt", message: "must be in the future" });
    return undefined;
  }
  return date;
}

function checkEnvironment(
  value: unknown,
  errors: FieldProblem[],
): KeyEnvironment | null | undefined {
  if (value === null || isKeyEnvironment(value)) return value;
  errors.push({
    field: "environment",
    message: `must be ${KEY_ENVIRONMENTS.map((e) => `"${e}"`).join(" or ")} or null`,
  });
  return undefined;
}

function unknownFields(body: Record<string, unknown>, allowed: readonly string[]): FieldProblem[] {
  return Object.keys(body)
    .filter((field) => !allowed.includes(field))
    .map((field) => ({ field, message: "is not a known field" }));
}

const NOT_AN_OBJECT: FieldProblem[] = [{ field: "(body)", message: "must be a JSON object" }];

export function checkCreateBody(body: unknown, now = new Date()): Checked<CreateKeyBody> {
  if (!isRecord(body)) return { ok: false, errors: NOT_AN_OBJECT };
  const errors = unknownFields(body, ["name", "scopes", "expiresAt", "environment"]);
  const name = checkName(body.name, errors);
  const scopes = body.scopes === undefined ? undefined : checkScopes(body.scopes, errors);
  const expiresAt =
    body.expiresAt === undefined ? undefined : checkExpiry(body.expiresAt, errors, now);
  const environment =
    body.environment === undefined ? undefined : checkEnvironment(body.environment, errors);
  if (errors.length > 0 || name === undefined) return { ok: false, errors };
  return { ok: true, value: { name, scopes, expiresAt, environment } };
}

/**
 * A rule of the key manager's input checks, reported as a field problem: the manager's
 * check is the one rule, and its `TypeError` names what is wrong.
 */
function byManager<T>(field: string, errors: FieldProblem[], check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const message = error.message.replace(/^gatehouse: /, "");
    const named = message.match(/^(\S+) (.*)$/s);
    errors.push({ field: named?.[1] ?? field, message: named?.[2] ?? message });
    return undefined;
  }
}

/**
 * The PATCH body. `admin`: the by-user form, which also takes `credits` (an owner who could
 * set a key's credits would not be metered).
 */
export function checkUpdateBody(
  body: unknown,
  now = new Date(),
  admin = false,
): Checked<AdminKeyUpdate> {
  if (!isRecord(body)) return { ok: false, errors: NOT_AN_OBJECT };
  const fields = ["name", "enabled", "scopes", "expiresAt"];
  const errors = unknownFields(body, admin ? [...fields, "credits"] : fields);
  const patch: AdminKeyUpdate = {};
  if (admin && body.credits !== undefined) {
    const credits = byManager("credits", errors, () => checkCredits(body.credits, now.getTime()));
    if (credits !== undefined) {
      patch.credits = credits && { remaining: credits.remaining, refill: credits.refill ?? null };
    }
  }
  if (body.name !== undefined) {
    const name = checkName(body.name, errors);
    if (name !== undefined) patch.name = name;
  }
  if (body.enabled !== undefined) {
    if (typeof body.enabled === "boolean") patch.enabled = body.enabled;
    else errors.push({ field: "enabled", message: "must be a boolean" });
  }
  if (body.scopes !== undefined) {
    const scopes = checkScopes(body.scopes, errors);
    if (scopes !== undefined) patch.scopes = scopes;
  }
  if (body.expiresAt !== undefined) {
    const expiresAt = checkExpiry(body.expiresAt, errors, now);
    if (expiresAt !== undefined) patch.expiresAt = expiresAt;
  }
  if (errors.length === 0 && Object.keys(patch).length === 0) {
    errors.push({
      field: "(body)",
      message: `must change at least one of ${(admin ? [...fields, "credits"] : fields).join(", ")}`,
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: patch };
}

/** What the top-up route takes: how many credits to add. */
export interface TopUpBody {
  amount: number;
}

/** The top-up body: `{ amount }`, a positive integer (a form body sends it as digits). */
export function checkTopUpBody(body: unknown): Checked<TopUpBody> {
  if (!isRecord(body)) return { ok: false, errors: NOT_AN_OBJECT };
  const errors = unknownFields(body, ["amount"]);
  const raw = body.amount;
  const value = typeof raw === "string" && /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
  const amount = byManager("amount", errors, () => checkTopUp(value));
  return errors.length > 0 || amount === undefined
    ? { ok: false, errors }
    : { ok: true, value: { amount } };
}

/** What the rotate routes take: how long the old key keeps working, in seconds. */
export interface RotateBody {
  overlap: Seconds;
}

/**
 * The rotate body: `{ overlap }` in whole seconds from 0 to `maxOverlap` (a form body sends
 * it as a string of digits), or no body at all for an overlap of 0.
 */
export function checkRotateBody(body: unknown, maxOverlap: Seconds): Checked<RotateBody> {
  if (body === undefined) return { ok: true, value: { overlap: 0 } };
  if (!isRecord(body)) return { ok: false, errors: NOT_AN_OBJECT };
  const errors = unknownFields(body, ["overlap"]);
  const raw = body.overlap;
  const overlap =
    typeof raw === "string" && /^\d{1,12}$/.test(raw) ? Number(raw) : raw === undefined ? 0 : raw;
  if (typeof overlap !== "number" || !Number.isSafeInteger(overlap) || overlap < 0) {
    errors.push({ field: "overlap", message: "must be a whole number of seconds, 0 or more" });
  } else if (overlap > maxOverlap) {
    errors.push({ field: "overlap", message: `must be at most ${maxOverlap} seconds` });
  }
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, value: { overlap: overlap as Seconds } };
}

export function checkPageQuery(query: URLSearchParams | undefined): Checked<PageRequest> {
  const page: PageRequest = {};
  const errors: FieldProblem[] = [];
  const limit = query?.get("limit") ?? null;
  if (limit !== null) {
    const n = Number(limit);
    if (Number.isInteger(n) && n >= 1 && n <= 500) page.limit = n;
    else errors.push({ field: "limit", message: "must be an integer from 1 to 500" });
  }
  const cursor = query?.get("cursor") ?? null;
  if (cursor !== null) page.cursor = cursor;
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: page };
}
