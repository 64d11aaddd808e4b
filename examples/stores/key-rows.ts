/**
 * What the two MySQL/MariaDB example stores (mysql.ts, kysely.ts) share: the table, the
 * mapping between a row and an ApiKeyRecord, and the keyset cursor. Copy it along with the
 * store you pick.
 */
import type { ApiKeyPatch, ApiKeyRecord, PageRequest } from "../../src/index.js";

/**
 * The table on MariaDB (10.3+). `id` and `owner_id` use `utf8mb4_nopad_bin`: compared byte
 * for byte, so `Alice`, `alice` and `alice ` are three owners. MariaDB's default collation
 * (`utf8mb4_general_ci`) folds case and accents, and every `PAD SPACE` collation (plain
 * `utf8mb4_bin` among them) ignores trailing spaces: listing the keys of `Alice ` would
 * then return `alice`'s. On MySQL 8 write `utf8mb4_0900_bin` instead (NO PAD as well).
 * Times are `DATETIME(3)` in UTC (the pool must use `timezone: "Z"`), JSON columns hold
 * the lists and objects.
 */
export function createTableSql(table = "api_keys"): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  id           VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  owner_id     VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  owner_type   VARCHAR(16)  NOT NULL,
  name         VARCHAR(200) NOT NULL,
  prefix       VARCHAR(32)  NOT NULL,
  hash         VARCHAR(512) NOT NULL,
  scopes       JSON         NOT NULL,
  roles        JSON         NOT NULL,
  enabled      BOOLEAN      NOT NULL,
  disabled_by  VARCHAR(16)  NULL,
  disabled_at  DATETIME(3)  NULL,
  created_at   DATETIME(3)  NOT NULL,
  expires_at   DATETIME(3)  NULL,
  last_used_at DATETIME(3)  NULL,
  metadata     JSON         NULL,
  rate_limit   JSON         NULL,
  environment  VARCHAR(16)  NULL,
  credits      JSON         NULL,
  replaced_by  VARCHAR(191) NULL,
  PRIMARY KEY (id),
  KEY ${table}_owner (owner_id, created_at, id)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;
}

/** A row as mysql2 hands it over: JSON as text on MariaDB (parsed on MySQL), booleans as 0/1. */
export interface KeyRow {
  id: string;
  owner_id: string;
  owner_type: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: unknown;
  roles: unknown;
  enabled: number | boolean;
  disabled_by: string | null;
  disabled_at: Date | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  metadata: unknown;
  rate_limit: unknown;
  environment: string | null;
  credits: unknown;
  replaced_by: string | null;
}

/** The values written for a record, column by column; lists and objects as JSON text. */
export interface KeyRowValues {
  id: string;
  owner_id: string;
  owner_type: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: string;
  roles: string;
  enabled: boolean;
  disabled_by: string | null;
  disabled_at: Date | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  metadata: string | null;
  rate_limit: string | null;
  environment: string | null;
  credits: string | null;
  replaced_by: string | null;
}

export const COLUMNS = [
  "id",
  "owner_id",
  "owner_type",
  "name",
  "prefix",
  "hash",
  "scopes",
  "roles",
  "enabled",
  "disabled_by",
  "disabled_at",
  "created_at",
  "expires_at",
  "last_used_at",
  "metadata",
  "rate_limit",
  "environment",
  "credits",
  "replaced_by",
] as const satisfies ReadonlyArray<keyof KeyRow>;

const json = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

/** MariaDB's JSON is LONGTEXT, so the driver returns text; MySQL's is parsed already. */
const parsed = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : value);

export function toValues(record: ApiKeyRecord): KeyRowValues {
  return {
    id: record.id,
    owner_id: record.ownerId,
    owner_type: record.ownerType,
    name: record.name,
    prefix: record.prefix,
    hash: record.hash,
    scopes: JSON.stringify(record.scopes),
    roles: JSON.stringify(record.roles),
    enabled: record.enabled,
    disabled_by: record.disabledBy ?? null,
    disabled_at: record.disabledAt ?? null,
    created_at: record.createdAt,
    expires_at: record.expiresAt ?? null,
    last_used_at: record.lastUsedAt ?? null,
    metadata: json(record.metadata),
    rate_limit: json(record.rateLimit),
    environment: record.environment ?? null,
    credits: json(record.credits),
    replaced_by: record.replacedBy ?? null,
  };
}

/** The column of each field an update may change. */
const PATCH_COLUMNS = {
  ownerId: "owner_id",
  ownerType: "owner_type",
  name: "name",
  prefix: "prefix",
  hash: "hash",
  scopes: "scopes",
  roles: "roles",
  enabled: "enabled",
  disabledBy: "disabled_by",
  disabledAt: "disabled_at",
  expiresAt: "expires_at",
  lastUsedAt: "last_used_at",
  metadata: "metadata",
  rateLimit: "rate_limit",
  environment: "environment",
  credits: "credits",
  replacedBy: "replaced_by",
} as const satisfies Record<keyof ApiKeyPatch, keyof KeyRowValues>;

/** What an update writes: any column but the id and the creation time. */
export type KeyRowPatch = Partial<Omit<KeyRowValues, "id" | "created_at">>;

const JSON_FIELDS: ReadonlySet<string> = new Set([
  "scopes",
  "roles",
  "metadata",
  "rateLimit",
  "credits",
]);

/**
 * Credits as JSON (the refill's start as an ISO string). These example stores have no
 * atomic `spendCredits`, so the key manager refuses to meter keys on them; they only keep
 * the field whole.
 */
function creditsOf(value: unknown): ApiKeyRecord["credits"] {
  const credits = parsed(value) as { refilledAt?: string | null } | null;
  if (!credits) return null;
  return {
    ...(credits as NonNullable<ApiKeyRecord["credits"]>),
    refilledAt: credits.refilledAt ? new Date(credits.refilledAt) : null,
  };
}

/** The columns a patch changes; a field left out (or `undefined`) keeps its value. */
export function patchValues(patch: ApiKeyPatch): KeyRowPatch {
  const values: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(PATCH_COLUMNS)) {
    const value = patch[field as keyof ApiKeyPatch];
    if (value === undefined) continue;
    values[column] = JSON_FIELDS.has(field) ? json(value) : value;
  }
  return values;
}

export function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    ownerType: row.owner_type as ApiKeyRecord["ownerType"],
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    scopes: parsed(row.scopes) as string[],
    roles: parsed(row.roles) as string[],
    enabled: row.enabled === true || row.enabled === 1,
    disabledBy: row.disabled_by as ApiKeyRecord["disabledBy"],
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    metadata: (parsed(row.metadata) ?? null) as ApiKeyRecord["metadata"],
    rateLimit: (parsed(row.rate_limit) ?? null) as ApiKeyRecord["rateLimit"],
    environment: (row.environment ?? null) as ApiKeyRecord["environment"],
    credits: creditsOf(row.credits),
    replacedBy: row.replaced_by ?? null,
  };
}

/** Where a page ends: the (created_at, id) of its last row, the order of the owner index. */
export interface PagePosition {
  createdAt: Date;
  id: string;
}

/** Opaque to callers; it only has to come back unchanged. */
export function encodeCursor({ createdAt, id }: PagePosition): string {
  return Buffer.from(JSON.stringify([createdAt.getTime(), id])).toString("base64url");
}

/** A cursor that does not decode starts from the beginning; it is never trusted further. */
export function decodeCursor(cursor: string | null | undefined): PagePosition | null {
  if (!cursor) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [time, id] = value as unknown[];
    if (!Number.isSafeInteger(time) || typeof id !== "string") return null;
    return { createdAt: new Date(time as number), id };
  } catch {
    return null;
  }
}

/** Default 50, at most 500, as `PageRequest` documents. */
export function pageLimit(page: PageRequest | undefined): number {
  const limit = page?.limit ?? 50;
  return Number.isInteger(limit) && limit >= 1 ? Math.min(limit, 500) : 50;
}
