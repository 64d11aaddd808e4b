/**
 * How a record lies in a Redis hash: every field a string, Dates as epoch milliseconds,
 * lists and objects as JSON, and an absent field for `null`. `credits` lies in four fields
 * of plain numbers (see {@link CREDIT_FIELDS}), so that the spend script does arithmetic
 * on them in place.
 */
import type { ApiKeyPatch, ApiKeyRecord, KeyCredits, OwnerType } from "../types.js";
import { creditParts, creditsFromParts } from "../verify/api-key/credits.js";

/** The hash fields of `credits`: remaining, refill amount, refill interval, refilled at (ms). */
export const CREDIT_FIELDS = [
  "creditsRemaining",
  "creditsRefillAmount",
  "creditsRefillInterval",
  "creditsRefilledAt",
] as const;

type Field = keyof ApiKeyRecord;

const JSON_FIELDS = new Set<Field>(["scopes", "roles", "metadata", "rateLimit"]);
const TIME_FIELDS = new Set<Field>(["createdAt", "expiresAt", "lastUsedAt", "disabledAt"]);

/** `null` means "no value": the field is deleted from (or left out of) the hash. */
export function encodeField(field: Field, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (TIME_FIELDS.has(field)) return String((value as Date).getTime());
  if (JSON_FIELDS.has(field)) return JSON.stringify(value);
  if (field === "enabled") return value ? "1" : "0";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The owner index member: lexical order is (createdAt, id), as the cursors expect. */
export function indexMember(createdAt: number, id: string): string {
  if (!Number.isSafeInteger(createdAt) || createdAt < 0 || createdAt >= 1e15) {
    throw new RangeError("gatehouse: createdAt must be a Date between 1970 and year 33658");
  }
  return `${String(createdAt).padStart(15, "0")}:${id}`;
}

/** Field/value pairs to set and fields to delete, for a whole record or a patch. */
export function encodeFields(values: ApiKeyPatch | ApiKeyRecord): {
  set: string[];
  remove: string[];
} {
  const set: string[] = [];
  const remove: string[] = [];
  for (const [field, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (field === "credits") {
      creditParts(value as KeyCredits | null).forEach((part, i) => {
        if (part === null) remove.push(CREDIT_FIELDS[i]!);
        else set.push(CREDIT_FIELDS[i]!, String(part));
      });
      continue;
    }
    const encoded = encodeField(field as Field, value);
    if (encoded === null) remove.push(field);
    else set.push(field, encoded);
  }
  return { set, remove };
}

/** From HGETALL's object, or from a script's flat [field, value, ...] list. */
export function decodeRecord(hash: Record<string, string> | string[]): ApiKeyRecord | null {
  const h = Array.isArray(hash) ? pairs(hash) : hash;
  if (h.id === undefined) return null;
  const time = (value: string | undefined) =>
    value === undefined ? null : new Date(Number(value));
  const json = (value: string | undefined): unknown =>
    value === undefined ? null : JSON.parse(value);
  return {
    id: h.id,
    ownerId: h.ownerId ?? "",
    ownerType: (h.ownerType ?? "user") as OwnerType,
    name: h.name ?? "",
    prefix: h.prefix ?? "",
    hash: h.hash ?? "",
    scopes: (json(h.scopes) ?? []) as string[],
    roles: (json(h.roles) ?? []) as string[],
    enabled: h.enabled === "1",
    createdAt: new Date(Number(h.createdAt)),
    expiresAt: time(h.expiresAt),
    lastUsedAt: time(h.lastUsedAt),
    metadata: json(h.metadata) as ApiKeyRecord["metadata"],
    rateLimit: json(h.rateLimit) as ApiKeyRecord["rateLimit"],
    disabledBy: (h.disabledBy ?? null) as ApiKeyRecord["disabledBy"],
    disabledAt: time(h.disabledAt),
    environment: (h.environment ?? null) as ApiKeyRecord["environment"],
    credits: creditsFromParts(CREDIT_FIELDS.map((field) => h[field])),
    replacedBy: h.replacedBy ?? null,
  };
}

function pairs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}
