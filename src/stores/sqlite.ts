/**
 * `gatehouse/stores/sqlite`: keys in one SQLite file through better-sqlite3, the embedded
 * default for one server. The SQL lives in sql-key-store.ts; this file only says how
 * SQLite spells types and placeholders, and how to run a statement.
 *
 * There is no `subscribe`: one process invalidates its own cache on its own writes, and a
 * second process sharing the file reads every change from the file once its cache entry
 * expires (the cache TTL bounds how long a revoked key may still pass there).
 */
import Database from "better-sqlite3";
import type { KeyStore } from "../types.js";
import {
  createSqlKeyStore,
  ADDED_COLUMNS,
  tableDefinition,
  type SqlDialect,
  type SqlRunner,
  type SqlStatement,
} from "./sql-key-store.js";
import { checkName, quote } from "./sql-identifier.js";

/** Options of {@link sqliteKeyStore}. */
export interface SqliteKeyStoreOptions {
  /**
   * The database file; created with its directory's permissions when missing. `":memory:"`
   * gives a private in-memory database (lost on close). Required.
   */
  path: string;
  /** The table that holds the keys. Default `"gatehouse_api_keys"`. Letters, digits, `_`. */
  table?: string;
  /**
   * How long a statement waits for another process's write lock before it fails, in
   * milliseconds. Default 5000.
   */
  busyTimeout?: number;
}

/** A full {@link KeyStore} on one SQLite file, except `subscribe` (see the module notes). */
export interface SqliteKeyStore extends Required<Omit<KeyStore, "subscribe">> {
  /** The better-sqlite3 handle, for backups and inspection. Closed by {@link close}. */
  readonly database: Database.Database;
}

const dialect: SqlDialect = {
  // Named parameters, because a cursor condition uses one value twice.
  param: (n) => `@p${n}`,
  types: { id: "TEXT", text: "TEXT", time: "INTEGER", json: "TEXT", bool: "INTEGER" },
  encodeTime: (date) => date.getTime(),
  decodeTime: (value) => new Date(Number(value)),
  encodeBool: (value) => (value ? 1 : 0),
};

function named(params: unknown[]): Record<string, unknown> {
  return Object.fromEntries(params.map((value, i) => [`p${i + 1}`, value]));
}

/**
 * Opens (or creates) the database file in WAL mode and creates the table and its owner
 * index when missing; synchronous. Throws a `TypeError` without `path` or with an invalid
 * table name. Call `close()` (or `auth.close()`) to release the file.
 */
export function sqliteKeyStore(options: SqliteKeyStoreOptions): SqliteKeyStore {
  if (typeof options?.path !== "string" || options.path === "") {
    throw new TypeError("gatehouse: sqliteKeyStore needs options.path (a file name)");
  }
  const tableName = checkName(options.table ?? "gatehouse_api_keys", "options.table");
  const table = quote(tableName);
  const db = new Database(options.path);
  let closed = false;
  try {
    // WAL lets readers in other processes go on while one process writes.
    db.pragma("journal_mode = WAL");
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeout ?? 5000))}`);
    db.exec(tableDefinition(table, quote(`${tableName}_owner_idx`), dialect).join(";\n"));
    // SQLite has no ADD COLUMN IF NOT EXISTS: look the columns up first.
    const present = new Set(
      (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map(
        (column) => column.name,
      ),
    );
    for (const [column, kind] of ADDED_COLUMNS) {
      if (!present.has(column)) {
        db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${dialect.types[kind]}`);
      }
    }
  } catch (error) {
    db.close();
    throw error;
  }

  const statements = new Map<string, Database.Statement>();
  function prepare(sql: string): Database.Statement {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      // Touch statements differ by batch size; keep the cache from growing without bound.
      if (statements.size > 200) statements.clear();
      statements.set(sql, statement);
    }
    return statement;
  }

  // better-sqlite3 is synchronous; the async wrapper turns its throws into rejections.
  const runner: SqlRunner = {
    all: ({ sql, params }) =>
      Promise.resolve().then(() => prepare(sql).all(named(params)) as Record<string, unknown>[]),
    run: ({ sql, params }) => Promise.resolve().then(() => prepare(sql).run(named(params)).changes),
    transaction: (list: SqlStatement[]) =>
      Promise.resolve().then(() => {
        db.transaction(() => {
          for (const { sql, params } of list) prepare(sql).run(named(params));
        })();
      }),
  };

  const store = createSqlKeyStore({ table, dialect, runner, ready: () => Promise.resolve() });
  return {
    ...store,
    database: db,
    close() {
      if (!closed) {
        closed = true;
        statements.clear();
        db.close();
      }
      return Promise.resolve();
    },
  };
}
