/**
 * A KeyStore on MariaDB or MySQL with mysql2: every method but `subscribe`, over the table of
 * `createTableSql` (key-rows.ts). The pool is yours (create it with `timezone: "Z"`, so that
 * times are written and read as UTC) and so is ending it; the store never closes it.
 *
 *     const pool = createPool({ host, user, database, timezone: "Z" });
 *     await createMysqlKeyTable(pool);
 *     const auth = createAuth({ apiKeys: { store: mysqlKeyStore(pool) } });
 *
 * Without `subscribe`, other instances notice a disabled or deleted key when their cache
 * entry expires (`apiKeys.cache.ttl`, 30 s by default).
 */
import type { Pool, ResultSetHeader, RowDataPacket } from "mysql2/promise";
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
  type KeyRow,
} from "./key-rows.js";

export interface MysqlKeyStoreOptions {
  /** The table, a plain identifier (letters, digits, `_`). Default `api_keys`. */
  table?: string;
}

/** A bound on the placeholders of one touch statement, well under the protocol's 65 535. */
const TOUCH_CHUNK = 500;

function tableName(table = "api_keys"): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(table)) {
    throw new TypeError(`mysqlKeyStore: ${JSON.stringify(table)} is not a plain table name`);
  }
  return table;
}

/** Creates the table (and its owner index) unless it exists. */
export async function createMysqlKeyTable(pool: Pool, table?: string): Promise<void> {
  await pool.query(createTableSql(tableName(table)));
}

export function mysqlKeyStore(pool: Pool, options: MysqlKeyStoreOptions = {}): KeyStore {
  const table = `\`${tableName(options.table)}\``;
  const select = `SELECT ${COLUMNS.join(", ")} FROM ${table}`;

  async function get(id: string): Promise<ApiKeyRecord | null> {
    const [rows] = await pool.query<RowDataPacket[]>(`${select} WHERE id = ?`, [id]);
    return rows[0] ? toRecord(rows[0] as KeyRow) : null;
  }

  return {
    get,

    async create(record) {
      const values = toValues(record);
      // The primary key refuses a duplicate id (ER_DUP_ENTRY), and the promise rejects.
      await pool.query(
        `INSERT INTO ${table} (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`,
        COLUMNS.map((column) => values[column]),
      );
    },

    async update(id, patch) {
      const values = Object.entries(patchValues(patch));
      if (values.length === 0) return get(id);
      // One transaction: the row stays locked from the UPDATE to the SELECT, so the record
      // returned is this update's result, not a later one's. MariaDB has no UPDATE RETURNING.
      const connection = await pool.getConnection();
      try {
        await connection.beginTransaction();
        await connection.query(
          `UPDATE ${table} SET ${values.map(([column]) => `${column} = ?`).join(", ")} WHERE id = ?`,
          [...values.map(([, value]) => value), id],
        );
        const [rows] = await connection.query<RowDataPacket[]>(`${select} WHERE id = ?`, [id]);
        await connection.commit();
        return rows[0] ? toRecord(rows[0] as KeyRow) : null;
      } catch (error) {
        await connection.rollback().catch(() => undefined);
        throw error;
      } finally {
        connection.release();
      }
    },

    async delete(id) {
      const [result] = await pool.query<ResultSetHeader>(`DELETE FROM ${table} WHERE id = ?`, [id]);
      return result.affectedRows > 0;
    },

    async listByOwner(ownerId, page): Promise<Page<ApiKeyRecord>> {
      const limit = pageLimit(page);
      const after = decodeCursor(page?.cursor);
      const where = after
        ? "owner_id = ? AND (created_at > ? OR (created_at = ? AND id > ?))"
        : "owner_id = ?";
      const params = after ? [ownerId, after.createdAt, after.createdAt, after.id] : [ownerId];
      // One row more than the page: whether it exists says whether there is a next page.
      const [rows] = await pool.query<RowDataPacket[]>(
        `${select} WHERE ${where} ORDER BY created_at, id LIMIT ?`,
        [...params, limit + 1],
      );
      const items = rows.slice(0, limit).map((row) => toRecord(row as KeyRow));
      const last = items.at(-1);
      const next = rows.length > limit && last ? encodeCursor(last) : null;
      return { items, next };
    },

    async touch(batch: TouchEntry[]) {
      for (let start = 0; start < batch.length; start += TOUCH_CHUNK) {
        const chunk = batch.slice(start, start + TOUCH_CHUNK);
        const cases = chunk.map(() => "WHEN ? THEN ?").join(" ");
        // Ids no longer in the table match no row and are skipped, as the contract wants.
        await pool.query(
          `UPDATE ${table} SET last_used_at = CASE id ${cases} END WHERE id IN (?)`,
          [...chunk.flatMap((entry) => [entry.id, entry.lastUsedAt]), chunk.map((e) => e.id)],
        );
      }
    },
  };
}
