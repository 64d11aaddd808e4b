/**
 * `gatehouse/stores/sqlite`: keys in one SQLite file through better-sqlite3, the embedded
 * default for one server. The SQL of the keys lives in sql-key-store.ts; this file says how
 * SQLite spells types and placeholders, how to run a statement, and how changes reach the
 * other processes that share the file.
 *
 * Changes are announced without a server: triggers append the id of every key updated or
 * deleted (by any connection, a `sqlite3` shell included) to a change-log table, and a
 * subscribed store polls `PRAGMA data_version`, which moves whenever another connection
 * commits, reading the log only then. A poll is a few microseconds and never waits for a
 * lock (WAL readers do not), so a revoke made by another process reaches this one within
 * one `pollInterval`.
 *
 * better-sqlite3 is synchronous: a statement that waits for another process's write lock
 * holds the whole event loop. So the lock wait is short (`busyTimeout`), a write that
 * does not get the lock in time fails like any store failure, and a last-used write that
 * meets a lock is dropped (last-used is a hint; the next use writes it again).
 */
import Database from "better-sqlite3";
import type { KeyStore, KeyStoreChange } from "../types.js";
import { ChangeListeners, type ChangeListener, type StatusListener } from "./change-listeners.js";
import {
  createSqlKeyStore,
  ADDED_COLUMNS,
  ANNOUNCED_COLUMNS,
  NEWEST_ANNOUNCED_COLUMN,
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
   * How long a write waits for another process's write lock before it fails, in
   * milliseconds; the event loop is held for that long, since better-sqlite3 is
   * synchronous. Default 100. A write that fails this way rejects (the verifier and the key
   * routes answer `unavailable`, 503); a last-used write waits at most 10 ms and is then
   * dropped. Opening the file (which may create the table) waits up to 5 s.
   */
  busyTimeout?: number;
  /**
   * How often, in milliseconds, a subscribed store looks for changes committed by other
   * connections to the file: the bound on how long another process's revoke takes to
   * reach this one. Default 200.
   */
  pollInterval?: number;
}

/** A full {@link KeyStore} on one SQLite file; `subscribe` hears every process that writes it. */
export interface SqliteKeyStore extends Required<KeyStore> {
  /** The better-sqlite3 handle, for backups and inspection. Closed by {@link close}. */
  readonly database: Database.Database;
}

const dialect: SqlDialect = {
  // Named parameters, because a cursor condition uses one value twice.
  // better-sqlite3 binds every JS number as a REAL: credit arithmetic must stay integral.
  param: (n, kind) => (kind === "int" ? `CAST(@p${n} AS INTEGER)` : `@p${n}`),
  types: {
    id: "TEXT",
    text: "TEXT",
    time: "INTEGER",
    json: "TEXT",
    bool: "INTEGER",
    int: "INTEGER",
  },
  encodeTime: (date) => date.getTime(),
  decodeTime: (value) => new Date(Number(value)),
  encodeBool: (value) => (value ? 1 : 0),
  greatest: (a, b) => `max(${a}, ${b})`,
};

function named(params: unknown[]): Record<string, unknown> {
  return Object.fromEntries(params.map((value, i) => [`p${i + 1}`, value]));
}

/** Milliseconds since the epoch, in SQL, for the log's `at` column. */
const NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

/** How long the change log keeps an entry; a process that polled less often gets a reset. */
const LOG_RETENTION = 3_600_000;
/** How often a subscribed process removes entries older than the retention. */
const PRUNE_INTERVAL = 60_000;
/** More entries than this in one poll (a bulk delete) are announced as one reset. */
const RESET_AFTER = 1000;
/** The lock wait of a last-used write: short enough to go unnoticed by the event loop. */
const TOUCH_BUSY_TIMEOUT = 10;

function changeLogStatements(table: string, log: string, tableName: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${log} (seq INTEGER PRIMARY KEY AUTOINCREMENT, key_id TEXT NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${quote(`${tableName}_changes_at_idx`)} ON ${log} (at)`,
    // A key whose id is changed by hand is announced under its old id too.
    `CREATE TRIGGER IF NOT EXISTS ${quote(`${tableName}_announce_update`)}
       AFTER UPDATE OF ${ANNOUNCED_COLUMNS} ON ${table} FOR EACH ROW BEGIN
         INSERT INTO ${log} (key_id, type, at) SELECT OLD.id, 'delete', ${NOW_MS} WHERE OLD.id IS NOT NEW.id;
         INSERT INTO ${log} (key_id, type, at) VALUES (NEW.id, 'update', ${NOW_MS});
       END`,
    `CREATE TRIGGER IF NOT EXISTS ${quote(`${tableName}_announce_delete`)}
       AFTER DELETE ON ${table} FOR EACH ROW BEGIN
         INSERT INTO ${log} (key_id, type, at) VALUES (OLD.id, 'delete', ${NOW_MS});
       END`,
  ];
}

/** Whether better-sqlite3 failed because another connection holds a lock. */
function isLocked(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

function wholeMs(value: number | undefined, fallback: number, option: string, min = 0): number {
  const ms = value ?? fallback;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < min) {
    throw new TypeError(`gatehouse: sqliteKeyStore ${option} must be a number ≥ ${min}`);
  }
  return Math.trunc(ms);
}

/**
 * Opens (or creates) the database file in WAL mode and creates the table, its owner index,
 * the change log and its triggers when missing; synchronous. Throws a `TypeError` without
 * `path`, with an invalid table name, a negative `busyTimeout` or a `pollInterval` under 1.
 * Call `close()` (or `auth.close()`) to release the file.
 */
export function sqliteKeyStore(options: SqliteKeyStoreOptions): SqliteKeyStore {
  if (typeof options?.path !== "string" || options.path === "") {
    throw new TypeError("gatehouse: sqliteKeyStore needs options.path (a file name)");
  }
  const tableName = checkName(options.table ?? "gatehouse_api_keys", "options.table");
  const busyTimeout = wholeMs(options.busyTimeout, 100, "busyTimeout");
  const pollInterval = wholeMs(options.pollInterval, 200, "pollInterval", 1);
  const table = quote(tableName);
  const log = quote(`${tableName}_changes`);
  const db = new Database(options.path);
  let closed = false;
  try {
    // Several processes opening a new file at once queue for the schema; that wait is at
    // start, not on a request.
    db.pragma(`busy_timeout = ${Math.max(busyTimeout, 5000)}`);
    // WAL lets readers in other processes go on while one process writes.
    db.pragma("journal_mode = WAL");
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
    // An update trigger made by an older version does not watch every announced column:
    // replaced, in one transaction, so that no write goes unannounced in between.
    const updateTrigger = `${tableName}_announce_update`;
    const existing = db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?")
      .get(updateTrigger) as { sql: string } | undefined;
    db.transaction(() => {
      if (existing && !existing.sql.includes(NEWEST_ANNOUNCED_COLUMN)) {
        db.exec(`DROP TRIGGER ${quote(updateTrigger)}`);
      }
      db.exec(changeLogStatements(table, log, tableName).join(";\n"));
    })();
    // Subscribed processes prune as they poll; opening prunes too, so that a file only
    // ever opened by processes that do not subscribe (a CLI) keeps its log short.
    db.prepare(`DELETE FROM ${log} WHERE at < ?`).run(Date.now() - LOG_RETENTION);
    db.pragma(`busy_timeout = ${busyTimeout}`);
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

  const feed = createFeed(db, log, tableName, pollInterval);

  // better-sqlite3 is synchronous; the async wrapper turns its throws into rejections.
  // A write of this connection does not move its own data_version: the feed is told.
  const runner: SqlRunner = {
    all: ({ sql, params }) =>
      Promise.resolve().then(() => {
        const rows = prepare(sql).all(named(params)) as Record<string, unknown>[];
        if (!sql.startsWith("SELECT")) feed.wrote();
        return rows;
      }),
    run: ({ sql, params }) =>
      Promise.resolve().then(() => {
        const changes = prepare(sql).run(named(params)).changes;
        feed.wrote();
        return changes;
      }),
    // The one transaction is the last-used batch: it waits only briefly for the lock, so
    // that a process holding it cannot stall this one's event loop on a hint.
    transaction: (list: SqlStatement[]) =>
      Promise.resolve().then(() => {
        db.pragma(`busy_timeout = ${Math.min(busyTimeout, TOUCH_BUSY_TIMEOUT)}`);
        try {
          db.transaction(() => {
            for (const { sql, params } of list) prepare(sql).run(named(params));
          })();
        } finally {
          db.pragma(`busy_timeout = ${busyTimeout}`);
        }
      }),
  };

  const store = createSqlKeyStore({ table, dialect, runner, ready: () => Promise.resolve() });
  let warnedBusy = false;
  return {
    ...store,
    database: db,
    async touch(batch) {
      try {
        await store.touch(batch);
      } catch (error) {
        if (!isLocked(error)) throw error;
        if (!warnedBusy) {
          warnedBusy = true;
          process.emitWarning(
            "gatehouse: last-used writes are dropped while another process holds the SQLite write lock",
            { code: "GATEHOUSE_SQLITE_BUSY" },
          );
        }
      }
    },
    subscribe(
      onChange: (change: KeyStoreChange) => void,
      onStatus?: (status: "up" | "down") => void,
    ) {
      return feed.add(onChange, onStatus);
    },
    close() {
      if (!closed) {
        closed = true;
        feed.stop();
        statements.clear();
        db.close();
      }
      return Promise.resolve();
    },
  };
}

interface Feed {
  /** Synchronous: the status is reported before it returns, as `subscribe` promises. */
  add(onChange: ChangeListener, onStatus?: StatusListener): () => void;
  /** This connection wrote: its own changes are read from the log soon, not at the next poll. */
  wrote(): void;
  stop(): void;
}

/**
 * The change feed over the log. It is `up` while polls succeed and `down` while they fail
 * (the file unreadable, a lock held through recovery); entries missed in between are still
 * in the log, and the first poll that succeeds reads them.
 */
function createFeed(
  db: Database.Database,
  log: string,
  tableName: string,
  pollInterval: number,
): Feed {
  const listeners = new ChangeListeners();
  const dataVersion = db.prepare("PRAGMA data_version").pluck();
  const lastSeq = db
    .prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)")
    .pluck();
  const readLog = db.prepare(
    `SELECT seq, key_id, type FROM ${log} WHERE seq > ? ORDER BY seq LIMIT ${RESET_AFTER + 1}`,
  );
  const prune = db.prepare(`DELETE FROM ${log} WHERE at < ?`);
  let seq: number | null = null;
  let version: unknown = null;
  let dirty = false;
  let timer: ReturnType<typeof setInterval> | null = null;
  let soon: ReturnType<typeof setImmediate> | null = null;
  let prunedAt = Date.now();
  let stopped = false;

  function pull(): void {
    if (stopped || listeners.size === 0) return;
    try {
      const now = dataVersion.get();
      if (seq === null) {
        seq = Number(lastSeq.get(`${tableName}_changes`));
      } else if (now !== version || dirty) {
        dirty = false;
        // Read before the rows: a commit in between adds rows, never a false gap.
        const written = Number(lastSeq.get(`${tableName}_changes`));
        const rows = readLog.all(seq) as Array<{ seq: number; key_id: string; type: string }>;
        // Entries pruned before this process read them: the log skips, or is empty while
        // the sequence moved on.
        const gap = rows[0] ? rows[0].seq !== seq + 1 : written > seq;
        if (gap || rows.length > RESET_AFTER) {
          seq = Math.max(written, rows.at(-1)?.seq ?? 0);
          listeners.announce({ type: "reset", id: "" });
        } else {
          for (const row of rows) {
            seq = row.seq;
            if (row.type === "update" || row.type === "delete") {
              listeners.announce({ type: row.type, id: row.key_id });
            }
          }
        }
      }
      version = now;
      listeners.report("up");
    } catch {
      listeners.report("down");
      return;
    }
    if (Date.now() - prunedAt >= PRUNE_INTERVAL) {
      prunedAt = Date.now();
      pruneOld();
    }
  }

  function pruneOld(): void {
    const wait = db.pragma("busy_timeout", { simple: true }) as number;
    db.pragma("busy_timeout = 0");
    try {
      prune.run(Date.now() - LOG_RETENTION);
    } catch {
      // Another process holds the lock; it, or this one a minute later, prunes instead.
    } finally {
      db.pragma(`busy_timeout = ${wait}`);
    }
  }

  function stopTimer(): void {
    if (timer) clearInterval(timer);
    timer = null;
    if (soon) clearImmediate(soon);
    soon = null;
  }

  return {
    add(onChange, onStatus) {
      const off = listeners.add(onChange, onStatus);
      if (!stopped && !timer) {
        timer = setInterval(pull, pollInterval);
        // A poll must not keep a process alive on its own.
        timer.unref();
      }
      // The first subscriber learns the feed's status now, and changes count from here.
      if (seq === null) pull();
      return () => {
        off();
        if (listeners.size === 0) {
          stopTimer();
          // A later subscriber starts from the log's end again.
          seq = null;
        }
      };
    },
    wrote() {
      if (stopped || listeners.size === 0) return;
      dirty = true;
      soon ??= setImmediate(() => {
        soon = null;
        pull();
      });
    },
    stop() {
      stopped = true;
      stopTimer();
      listeners.clear();
    },
  };
}
