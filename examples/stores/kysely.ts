/**
 * A KeyStore written with Kysely, on its MySQL dialect (MariaDB or MySQL through mysql2):
 * every method but `subscribe`, over the table of `createTableSql` (key-rows.ts). Pass the
 * Kysely instance your application already has; add {@link ApiKeysTable} to its database
 * interface if you query the table yourself.
 *
 *     const db = new Kysely<Database>({
 *       dialect: new MysqlDialect({ pool: createPool({ host, user, database, timezone: "Z" }) }),
 *     });
 *     await createKyselyKeyTable(db);
 *     const auth = createAuth({ apiKeys: { store: kyselyKeyStore(db) } });
 *
 * The pool must use `timezone: "Z"` so that times are written and read as UTC. The store
 * never destroys `db`: that is the application's to do.
 */
import { sql, type ColumnType, type Kysely } from "kysely";
import type { ApiKeyRecord, KeyStore, Page, TouchEntry } from "../../src/index.js";
import {
  COLUMNS,
  createTableSql,
  decodeCursor,
  encodeCursor,
  pageLimit,
  patchValues,
  toRecord,
  toValues,
} from "./key-rows.js";

type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown, string | null, string | null>;

/** The table's columns as Kysely sees them: what a select returns, an insert and an update take. */
export interface ApiKeysTable {
  id: string;
  owner_id: string;
  owner_type: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: Json;
  roles: Json;
  enabled: ColumnType<number | boolean, boolean, boolean>;
  disabled_by: string | null;
  disabled_at: Date | null;
  created_at: ColumnType<Date, Date, never>;
  expires_at: Date | null;
  last_used_at: Date | null;
  metadata: NullableJson;
  rate_limit: NullableJson;
  environment: string | null;
  credits: NullableJson;
  replaced_by: string | null;
}

/** Whatever the table is called, it has those columns. */
type KeyTables = Record<string, ApiKeysTable>;

export interface KyselyKeyStoreOptions {
  /** The table, a plain identifier (letters, digits, `_`). Default `api_keys`. */
  table?: string;
}

const TOUCH_CHUNK = 500;

function tableName(table = "api_keys"): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(table)) {
    throw new TypeError(`kyselyKeyStore: ${JSON.stringify(table)} is not a plain table name`);
  }
  return table;
}

/** Creates the table (and its owner index) unless it exists. */
export async function createKyselyKeyTable<DB>(db: Kysely<DB>, table?: string): Promise<void> {
  await sql.raw(createTableSql(tableName(table))).execute(db);
}

export function kyselyKeyStore<DB>(app: Kysely<DB>, options: KyselyKeyStoreOptions = {}): KeyStore {
  // The application's database type need not know the table; the store's queries do.
  const db = app as unknown as Kysely<KeyTables>;
  const table = tableName(options.table);

  async function get(id: string): Promise<ApiKeyRecord | null> {
    const row = await db.selectFrom(table).select(COLUMNS).where("id", "=", id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  return {
    get,

    async create(record) {
      // The primary key refuses a duplicate id, and the promise rejects.
      await db.insertInto(table).values(toValues(record)).execute();
    },

    async update(id, patch) {
      const values = patchValues(patch);
      if (Object.keys(values).length === 0) return get(id);
      // UPDATE then SELECT in one transaction: the row stays locked in between, so the
      // record returned is this update's result. MariaDB has no UPDATE … RETURNING.
      const row = await db.transaction().execute(async (trx) => {
        await trx.updateTable(table).set(values).where("id", "=", id).execute();
        return trx.selectFrom(table).select(COLUMNS).where("id", "=", id).executeTakeFirst();
      });
      return row ? toRecord(row) : null;
    },

    async delete(id) {
      const result = await db.deleteFrom(table).where("id", "=", id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async listByOwner(ownerId, page): Promise<Page<ApiKeyRecord>> {
      const limit = pageLimit(page);
      const after = decodeCursor(page?.cursor);
      let query = db.selectFrom(table).select(COLUMNS).where("owner_id", "=", ownerId);
      if (after) {
        query = query.where((eb) =>
          eb.or([
            eb("created_at", ">", after.createdAt),
            eb.and([eb("created_at", "=", after.createdAt), eb("id", ">", after.id)]),
          ]),
        );
      }
      // One row more than the page: whether it exists says whether there is a next page.
      const rows = await query
        .orderBy("created_at")
        .orderBy("id")
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map((row) => toRecord(row));
      const last = items.at(-1);
      return { items, next: rows.length > limit && last ? encodeCursor(last) : null };
    },

    async touch(batch: TouchEntry[]) {
      for (let start = 0; start < batch.length; start += TOUCH_CHUNK) {
        const chunk = batch.slice(start, start + TOUCH_CHUNK);
        const cases = sql.join(
          chunk.map((entry) => sql`WHEN ${entry.id} THEN ${entry.lastUsedAt}`),
          sql` `,
        );
        // Ids no longer in the table match no row and are skipped, as the contract wants.
        await db
          .updateTable(table)
          .set({ last_used_at: sql<Date>`CASE id ${cases} END` })
          .where(
            "id",
            "in",
            chunk.map((entry) => entry.id),
          )
          .execute();
      }
    },
  };
}
