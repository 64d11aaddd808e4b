/**
 * `gatehouse/stores/postgres`: keys in a PostgreSQL table through `pg`. The SQL lives in
 * sql-key-store.ts; this file says how PostgreSQL spells types and placeholders, creates
 * the schema, and announces changes: a trigger NOTIFYs on every update and delete, and a
 * statement trigger announces a TRUNCATE as a reset (so a change made by hand in psql is
 * announced too), and `subscribe` LISTENs on a connection of its own, outside the pool,
 * that comes back by itself after a drop and reports to `onStatus` whether it is listening.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import type { ClientConfig, Pool, PoolClient, PoolConfig } from "pg";
import type { KeyStore, KeyStoreChange } from "../types.js";
import { createPgListener } from "./pg-listener.js";
import { checkName, quote } from "./sql-identifier.js";
import {
  createSqlKeyStore,
  ADDED_COLUMNS,
  ANNOUNCED_COLUMNS,
  NEWEST_ANNOUNCED_COLUMN,
  tableDefinition,
  type SqlDialect,
  type SqlRunner,
} from "./sql-key-store.js";

interface PostgresCommonOptions {
  /** The schema that holds the table; created when missing. Default `"public"`. */
  schema?: string;
  /** The table that holds the keys. Default `"gatehouse_api_keys"`. Letters, digits, `_`. */
  table?: string;
  /**
   * Called with errors of the background LISTEN connection (a drop, a failed reconnect).
   * Default: a `process.emitWarning` with code `GATEHOUSE_STORE_LISTEN`. Announcements
   * pause until the reconnect; meanwhile the verifier checks every cached key against the
   * store (see `KeyStore.subscribe`).
   */
  onError?: (error: Error) => void;
  /**
   * Where the LISTEN connection goes: a `postgres://` URL or `pg.Client` settings. Default:
   * the pool's own settings. The store opens this one connection per process beside the
   * pool (never from it) once `subscribe` is called, and closes it on `close()`. Set it when
   * queries go through a pooler that cannot hold a LISTEN (PgBouncer in transaction mode):
   * point it at the server itself.
   */
  listenClient?: string | ClientConfig;
}

/** Options of {@link postgresKeyStore}: `schema`, `table`, `onError`, and exactly one of `pool` or `connectionString`. */
export type PostgresKeyStoreOptions = PostgresCommonOptions &
  (
    | {
        /**
         * A pool you own: the store never ends it. Give it an `error` listener, since idle
         * connections that the server drops are reported there. `subscribe` holds one of
         * its connections for as long as the store is open.
         */
        pool: Pool;
        /** Not with `pool`. */
        connectionString?: never;
      }
    | {
        /**
         * A `postgres://` URL; the store opens its own pool (closed by `close()`), with
         * `poolOptions` merged in.
         */
        connectionString: string;
        /** Extra `pg.Pool` settings for the pool the store opens. Default: pg's own. */
        poolOptions?: Omit<PoolConfig, "connectionString">;
        /** Not with `connectionString`. */
        pool?: never;
      }
  );

/**
 * A full {@link KeyStore} on PostgreSQL, with `subscribe`: triggers announce every update,
 * delete and TRUNCATE (not last-used writes) to every instance.
 */
export interface PostgresKeyStore extends Required<KeyStore> {
  /** The pool the store queries through (yours, or the one it opened). */
  readonly pool: Pool;
  /** Whether the LISTEN connection is up right now (false before the first `subscribe`). */
  readonly listening: boolean;
}

const dialect: SqlDialect = {
  param: (n, kind) =>
    kind === "time"
      ? `$${n}::timestamptz`
      : kind === "json"
        ? `$${n}::jsonb`
        : kind === "text"
          ? `$${n}::text`
          : kind === "int"
            ? `$${n}::bigint`
            : `$${n}`,
  types: {
    // The "C" collation orders ids byte-wise, as the cursors of every store do.
    id: 'TEXT COLLATE "C"',
    text: "TEXT",
    time: "TIMESTAMPTZ",
    json: "JSONB",
    bool: "BOOLEAN",
    int: "BIGINT",
  },
  encodeTime: (date) => date,
  decodeTime: (value) => (value instanceof Date ? value : new Date(String(value))),
  encodeBool: (value) => value,
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
};

function schemaStatements(schema: string, table: string, channel: string): string[] {
  const qualified = `${quote(schema)}.${quote(table)}`;
  const notify = `${quote(schema)}.${quote(`${table}_notify`)}`;
  const trigger = `${table}_changes`;
  const truncate = `${table}_truncate`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`,
    ...tableDefinition(qualified, quote(`${table}_owner_idx`), dialect),
    ...ADDED_COLUMNS.map(
      ([column, kind]) =>
        `ALTER TABLE ${qualified} ADD COLUMN IF NOT EXISTS ${column} ${dialect.types[kind]}`,
    ),
    `CREATE OR REPLACE FUNCTION ${notify}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'TRUNCATE' THEN
         PERFORM pg_notify('${channel}', json_build_object('type', 'reset')::text);
         RETURN NULL;
       END IF;
       IF TG_OP = 'DELETE' THEN
         PERFORM pg_notify('${channel}', json_build_object('type', 'delete', 'id', OLD.id)::text);
         RETURN OLD;
       END IF;
       IF OLD.id IS DISTINCT FROM NEW.id THEN
         PERFORM pg_notify('${channel}', json_build_object('type', 'delete', 'id', OLD.id)::text);
       END IF;
       PERFORM pg_notify('${channel}', json_build_object('type', 'update', 'id', NEW.id)::text);
       RETURN NEW;
     END $$`,
    // A trigger made by an older version does not watch every announced column; it is
    // replaced once, in the same transaction, so that no write goes unannounced in between.
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_trigger t
                      WHERE t.tgrelid = '${qualified}'::regclass AND t.tgname = '${trigger}'
                        AND (SELECT a.attnum FROM pg_attribute a
                             WHERE a.attrelid = t.tgrelid AND a.attname = '${NEWEST_ANNOUNCED_COLUMN}')
                            = ANY (t.tgattr::int2[])) THEN
         DROP TRIGGER IF EXISTS ${quote(trigger)} ON ${qualified};
         CREATE TRIGGER ${quote(trigger)} AFTER UPDATE OF ${ANNOUNCED_COLUMNS} OR DELETE
           ON ${qualified} FOR EACH ROW EXECUTE FUNCTION ${notify}();
       END IF;
     END $$`,
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_trigger
                      WHERE tgrelid = '${qualified}'::regclass AND tgname = '${truncate}') THEN
         CREATE TRIGGER ${quote(truncate)} AFTER TRUNCATE
           ON ${qualified} FOR EACH STATEMENT EXECUTE FUNCTION ${notify}();
       END IF;
     END $$`,
  ];
}

/**
 * Runs `work` in one transaction on a pooled client. A client whose transaction failed is
 * released with the error, so the pool discards it instead of handing out a broken one.
 */
async function inTransaction(
  pool: Pool,
  work: (client: PoolClient) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await work(client);
    await client.query("COMMIT");
    client.release();
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    client.release(error as Error);
    throw error;
  }
}

/**
 * Creates the store; the schema, table, index and trigger are created when missing. Throws
 * a `TypeError` without `pool` or `connectionString`, or with an invalid schema or table name.
 */
export function postgresKeyStore(options: PostgresKeyStoreOptions): PostgresKeyStore {
  const schema = checkName(options.schema ?? "public", "options.schema");
  const table = checkName(options.table ?? "gatehouse_api_keys", "options.table");
  if (!options.pool && typeof options.connectionString !== "string") {
    throw new TypeError(
      "gatehouse: postgresKeyStore needs options.pool or options.connectionString",
    );
  }
  const ownsPool = !options.pool;
  const pool =
    options.pool ??
    new pg.Pool({ ...options.poolOptions, connectionString: options.connectionString });
  // Idle connections dropped by the server surface here; the pool replaces them itself.
  if (ownsPool) pool.on("error", () => {});

  // A short digest keeps the channel within the 63-byte identifier limit for any names.
  const channel = `gatehouse_${createHash("sha256").update(`${schema}.${table}`).digest("hex").slice(0, 24)}`;
  const onError =
    options.onError ??
    ((error: Error) =>
      process.emitWarning(`gatehouse: key store LISTEN: ${error.message}`, {
        code: "GATEHOUSE_STORE_LISTEN",
      }));

  let schemaReady: Promise<void> | null = null;
  function ready(): Promise<void> {
    schemaReady ??= inTransaction(pool, async (client) => {
      // Several instances starting at once would race on CREATE ... IF NOT EXISTS.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [channel]);
      for (const sql of schemaStatements(schema, table, channel)) await client.query(sql);
    }).catch((error: unknown) => {
      // The next call tries again: a server that was down at start may be up now.
      schemaReady = null;
      throw error;
    });
    return schemaReady;
  }

  const runner: SqlRunner = {
    all: async ({ sql, params }) =>
      (await pool.query(sql, params)).rows as Record<string, unknown>[],
    run: async ({ sql, params }) => (await pool.query(sql, params)).rowCount ?? 0,
    async transaction(statements) {
      if (statements.length === 1) {
        await pool.query(statements[0]!.sql, statements[0]!.params);
        return;
      }
      await inTransaction(pool, async (client) => {
        for (const { sql, params } of statements) await client.query(sql, params);
      });
    },
  };

  const store = createSqlKeyStore({
    table: `${quote(schema)}.${quote(table)}`,
    dialect,
    runner,
    ready,
  });
  // The pool hands its settings to every client it makes; the listener's client gets the
  // same ones (pool-only keys such as `max` are ignored by a client).
  const listenConfig: string | ClientConfig = options.listenClient ?? pool.options;
  const listener = createPgListener(() => new pg.Client(listenConfig), channel, onError);
  let closed: Promise<void> | null = null;

  return {
    ...store,
    pool,
    get listening() {
      return listener.listening;
    },
    async subscribe(
      onChange: (change: KeyStoreChange) => void,
      onStatus?: (status: "up" | "down") => void,
    ) {
      const unsubscribe = listener.listeners.add(onChange, onStatus);
      await listener.start();
      return unsubscribe;
    },
    close() {
      closed ??= (async () => {
        await listener.stop();
        if (ownsPool) await pool.end();
      })();
      return closed;
    },
  };
}
