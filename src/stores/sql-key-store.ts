/**
 * The SQL every SQL key store runs, in one place. A driver file (sqlite.ts, postgres.ts)
 * supplies a {@link SqlDialect} (placeholders, column types, value codecs) and a
 * {@link SqlRunner} (how to execute); everything else — statements, row mapping, keyset
 * paging, touch batching — lives here so that the stores cannot drift apart.
 */
import type {
  ApiKeyPatch,
  ApiKeyRecord,
  CreditSpend,
  KeyCredits,
  KeyStore,
  OwnerType,
  Page,
  PageRequest,
  TouchEntry,
} from "../types.js";
import { decodeCursor, encodeCursor, pageLimit } from "./page-cursor.js";
import { creditParts, creditsFromParts } from "../verify/api-key/credits.js";

export type Row = Record<string, unknown>;
export type ColumnKind = "text" | "time" | "json" | "bool" | "int";

export interface SqlDialect {
  /**
   * The placeholder of the `n`th parameter (1-based), with a cast to the column's type where
   * the driver needs one (no kind: a plain value such as a LIMIT).
   */
  param(n: number, kind?: ColumnKind): string;
  /** Column types for the table definition. */
  types: Record<ColumnKind, string> & { id: string };
  encodeTime(date: Date): unknown;
  decodeTime(value: unknown): Date;
  encodeBool(value: boolean): unknown;
  /** The larger of two integer expressions (`GREATEST` in PostgreSQL, `max` in SQLite). */
  greatest(a: string, b: string): string;
}

export interface SqlStatement {
  sql: string;
  params: unknown[];
}

export interface SqlRunner {
  all(statement: SqlStatement): Promise<Row[]>;
  /** Resolves the number of rows changed. */
  run(statement: SqlStatement): Promise<number>;
  /**
   * Runs the statements in one transaction. Only last-used batches use it, so a driver may
   * give it a shorter lock wait than other writes (a hint may be dropped; a revoke may not).
   */
  transaction(statements: SqlStatement[]): Promise<void>;
}

/** The table's columns, in record order: [record field, column, kind, nullable]. */
const COLUMNS = [
  ["id", "id", "text", false],
  ["ownerId", "owner_id", "text", false],
  ["ownerType", "owner_type", "text", false],
  ["name", "name", "text", false],
  ["prefix", "prefix", "text", false],
  ["hash", "hash", "text", false],
  ["scopes", "scopes", "json", false],
  ["roles", "roles", "json", false],
  ["enabled", "enabled", "bool", false],
  ["createdAt", "created_at", "time", false],
  ["expiresAt", "expires_at", "time", true],
  ["lastUsedAt", "last_used_at", "time", true],
  ["metadata", "metadata", "json", true],
  ["rateLimit", "rate_limit", "json", true],
  ["disabledBy", "disabled_by", "text", true],
  ["disabledAt", "disabled_at", "time", true],
  ["environment", "environment", "text", true],
  ["replacedBy", "replaced_by", "text", true],
] as const satisfies ReadonlyArray<readonly [keyof ApiKeyRecord, string, ColumnKind, boolean]>;

/**
 * `credits` lies in four integer columns, so that one UPDATE can spend and refill it
 * atomically: times are epoch ms, in every dialect, to keep that arithmetic the same.
 */
const CREDIT_COLUMNS = [
  "credits_remaining",
  "credits_refill_amount",
  "credits_refill_interval",
  "credits_refilled_at",
] as const;

/**
 * The columns whose change is announced to other instances: all but the creation time and
 * the two a use of the key writes (last use, and the credits a spend leaves), or every
 * request would evict every instance's cache. `id` is among them, so that a key renamed
 * by hand is announced under its old id too; so are the refill columns, which a change of
 * a key's credits always writes (see `update`), so that instances learn a key became
 * metered or stopped being so.
 */
export const ANNOUNCED_COLUMNS = [
  ...COLUMNS.map(([, column]) => column).filter(
    (column) => column !== "created_at" && column !== "last_used_at",
  ),
  "credits_refill_amount",
  "credits_refill_interval",
].join(", ");

/** The newest announced column: a trigger that does not watch it was made by an older version. */
export const NEWEST_ANNOUNCED_COLUMN = "credits_refill_amount";

/** Touch batches are split so that no statement passes the drivers' parameter limits. */
const TOUCH_CHUNK = 1000;

/**
 * Columns added after the first release, as [column, kind]: a table made by an older
 * version gets them added when a store opens it.
 */
export const ADDED_COLUMNS: ReadonlyArray<readonly [string, ColumnKind]> = [
  ["disabled_by", "text"],
  ["disabled_at", "time"],
  ["environment", "text"],
  ["replaced_by", "text"],
  ...CREDIT_COLUMNS.map((column) => [column, "int"] as const),
];

/** The statements that create the table and its owner index; safe to run again. */
export function tableDefinition(table: string, index: string, dialect: SqlDialect): string[] {
  const columns = COLUMNS.map(([, column, kind, nullable]) => {
    const type = column === "id" ? dialect.types.id : dialect.types[kind];
    return `${column} ${type}${nullable ? "" : " NOT NULL"}${column === "id" ? " PRIMARY KEY" : ""}`;
  }).concat(CREDIT_COLUMNS.map((column) => `${column} ${dialect.types.int}`));
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(", ")})`,
    `CREATE INDEX IF NOT EXISTS ${index} ON ${table} (owner_id, created_at, id)`,
  ];
}

/** The SQL-backed store. `table` must already be a validated, quoted identifier. */
export function createSqlKeyStore(config: {
  table: string;
  dialect: SqlDialect;
  runner: SqlRunner;
  /** Resolves once the schema exists; called before every statement. */
  ready: () => Promise<void>;
}): Required<Omit<KeyStore, "subscribe" | "close">> {
  const { table, dialect, runner, ready } = config;

  function encode(kind: ColumnKind, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    if (kind === "time") return dialect.encodeTime(value as Date);
    if (kind === "json") return JSON.stringify(value);
    if (kind === "bool") return dialect.encodeBool(value as boolean);
    return value;
  }

  const decodeCredits = (row: Row): KeyCredits | null =>
    creditsFromParts(CREDIT_COLUMNS.map((column) => row[column] as string | number | null));

  function decodeJson(value: unknown): unknown {
    return typeof value === "string" ? JSON.parse(value) : value;
  }

  function toRecord(row: Row): ApiKeyRecord {
    const nullableTime = (value: unknown) =>
      value === null || value === undefined ? null : dialect.decodeTime(value);
    return {
      id: String(row.id),
      ownerId: String(row.owner_id),
      ownerType: row.owner_type as OwnerType,
      name: String(row.name),
      prefix: String(row.prefix),
      hash: String(row.hash),
      scopes: decodeJson(row.scopes) as string[],
      roles: decodeJson(row.roles) as string[],
      enabled: row.enabled === true || row.enabled === 1,
      createdAt: dialect.decodeTime(row.created_at),
      expiresAt: nullableTime(row.expires_at),
      lastUsedAt: nullableTime(row.last_used_at),
      metadata: (decodeJson(row.metadata) ?? null) as ApiKeyRecord["metadata"],
      rateLimit: (decodeJson(row.rate_limit) ?? null) as ApiKeyRecord["rateLimit"],
      disabledBy: (row.disabled_by ?? null) as ApiKeyRecord["disabledBy"],
      disabledAt: nullableTime(row.disabled_at),
      environment: (row.environment ?? null) as ApiKeyRecord["environment"],
      credits: decodeCredits(row),
      replacedBy: (row.replaced_by ?? null) as string | null,
    };
  }

  async function get(id: string): Promise<ApiKeyRecord | null> {
    await ready();
    const rows = await runner.all({
      sql: `SELECT * FROM ${table} WHERE id = ${dialect.param(1, "text")}`,
      params: [id],
    });
    return rows[0] ? toRecord(rows[0]) : null;
  }

  return {
    get,

    async create(record) {
      await ready();
      const params = [
        ...COLUMNS.map(([field, , kind]) => encode(kind, record[field])),
        ...creditParts(record.credits),
      ];
      const names = [...COLUMNS.map(([, column]) => column), ...CREDIT_COLUMNS].join(", ");
      const kinds = [
        ...COLUMNS.map(([, , kind]) => kind),
        ...CREDIT_COLUMNS.map(() => "int" as const),
      ];
      const values = kinds.map((kind, i) => dialect.param(i + 1, kind)).join(", ");
      // The primary key rejects a duplicate id; the driver's error is passed on.
      await runner.run({ sql: `INSERT INTO ${table} (${names}) VALUES (${values})`, params });
    },

    async update(id, patch: ApiKeyPatch) {
      await ready();
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const [field, column, kind] of COLUMNS) {
        if (field === "id" || field === "createdAt" || !(field in patch)) continue;
        const value = patch[field];
        if (value === undefined) continue;
        params.push(encode(kind, value));
        sets.push(`${column} = ${dialect.param(params.length, kind)}`);
      }
      // All four together, refill columns included even when they stay null: writing them
      // is what announces the change (see ANNOUNCED_COLUMNS).
      if (patch.credits !== undefined) {
        creditParts(patch.credits).forEach((value, i) => {
          params.push(value);
          sets.push(`${CREDIT_COLUMNS[i]} = ${dialect.param(params.length, "int")}`);
        });
      }
      if (sets.length === 0) return get(id);
      params.push(id);
      // One statement: concurrent updates of different fields each keep their own column.
      const rows = await runner.all({
        sql: `UPDATE ${table} SET ${sets.join(", ")} WHERE id = ${dialect.param(params.length, "text")} RETURNING *`,
        params,
      });
      return rows[0] ? toRecord(rows[0]) : null;
    },

    async delete(id) {
      await ready();
      const changed = await runner.run({
        sql: `DELETE FROM ${table} WHERE id = ${dialect.param(1, "text")}`,
        params: [id],
      });
      return changed > 0;
    },

    async listByOwner(ownerId, page?: PageRequest): Promise<Page<ApiKeyRecord>> {
      await ready();
      const limit = pageLimit(page);
      const after = decodeCursor(page?.cursor);
      const p = dialect.param.bind(dialect);
      const params: unknown[] = [ownerId];
      let where = `owner_id = ${p(1, "text")}`;
      if (after) {
        params.push(dialect.encodeTime(new Date(after.createdAt)), after.id);
        where += ` AND (created_at > ${p(2, "time")} OR (created_at = ${p(2, "time")} AND id > ${p(3, "text")}))`;
      }
      params.push(limit + 1);
      const rows = await runner.all({
        sql: `SELECT * FROM ${table} WHERE ${where} ORDER BY created_at, id LIMIT ${dialect.param(params.length)}`,
        params,
      });
      const items = rows.slice(0, limit).map(toRecord);
      const last = items.at(-1);
      const next =
        rows.length > limit && last
          ? encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id })
          : null;
      return { items, next };
    },

    async spendCredits(id, cost, now): Promise<CreditSpend> {
      await ready();
      const p = (n: number) => dialect.param(n, "int");
      // The steps of credits.ts (spendFrom), in one statement so that a spend is atomic:
      // refills that fell due first (remaining raised to the amount, never lowered; the
      // schedule moved on by whole intervals), then the cost, refused below zero.
      const due =
        `(credits_refill_amount IS NOT NULL AND credits_refill_interval > 0 ` +
        `AND credits_refilled_at IS NOT NULL AND ${p(2)} - credits_refilled_at >= credits_refill_interval)`;
      const base = `(CASE WHEN ${due} THEN ${dialect.greatest("credits_remaining", "credits_refill_amount")} ELSE credits_remaining END)`;
      const refilledAt =
        `(CASE WHEN ${due} THEN credits_refilled_at + ((${p(2)} - credits_refilled_at) / credits_refill_interval) * credits_refill_interval ` +
        `ELSE credits_refilled_at END)`;
      const params = [id, now.getTime(), cost];
      const where = `id = ${dialect.param(1, "text")} AND credits_remaining IS NOT NULL`;
      const spent = await runner.all({
        sql: `UPDATE ${table} SET credits_remaining = ${base} - ${p(3)}, credits_refilled_at = ${refilledAt} WHERE ${where} AND ${base} - ${p(3)} >= 0 RETURNING *`,
        params,
      });
      if (spent[0]) return { ok: true, credits: decodeCredits(spent[0])! };
      // Refused or not metered: the credits as a spend would have found them.
      const rows = await runner.all({
        sql: `SELECT ${base} AS credits_remaining, credits_refill_amount, credits_refill_interval, ${refilledAt} AS credits_refilled_at FROM ${table} WHERE ${where}`,
        params: params.slice(0, 2),
      });
      return rows[0] ? { ok: false, credits: decodeCredits(rows[0])! } : null;
    },

    async touch(batch: TouchEntry[]) {
      if (batch.length === 0) return;
      await ready();
      // The latest time per id wins; one id twice in a VALUES list would update at random.
      const latest = new Map<string, number>();
      for (const { id, lastUsedAt } of batch) {
        const time = lastUsedAt.getTime();
        if (time >= (latest.get(id) ?? -Infinity)) latest.set(id, time);
      }
      const entries = [...latest];
      const statements: SqlStatement[] = [];
      for (let start = 0; start < entries.length; start += TOUCH_CHUNK) {
        const chunk = entries.slice(start, start + TOUCH_CHUNK);
        const values = chunk.map(
          (_, i) => `(${dialect.param(2 * i + 1, "text")}, ${dialect.param(2 * i + 2, "time")})`,
        );
        statements.push({
          sql:
            `WITH v(id, at) AS (VALUES ${values.join(", ")}) ` +
            `UPDATE ${table} SET last_used_at = v.at FROM v WHERE ${table}.id = v.id`,
          params: chunk.flatMap(([id, time]) => [id, dialect.encodeTime(new Date(time))]),
        });
      }
      await runner.transaction(statements);
    },
  };
}
