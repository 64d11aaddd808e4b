/**
 * Tables made before usage credits existed: opening a store adds the credit columns and
 * `replaced_by`, and replaces the change trigger, so that a change of a key's credits is
 * announced and a spend is not, on SQLite and PostgreSQL alike.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { postgresKeyStore } from "../../src/stores/postgres.js";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import { randomId, sampleKeyRecord, waitUntil } from "../../src/testing/index.js";
import type { KeyStore, KeyStoreChange } from "../../src/types.js";
import { PG_URL, postgresUp } from "./servers.js";

/** The columns and the announced ones as the release before credits had them. */
const OLD_COLUMNS =
  "id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, owner_type TEXT NOT NULL, name TEXT NOT NULL, prefix TEXT NOT NULL, hash TEXT NOT NULL, scopes %J NOT NULL, roles %J NOT NULL, enabled %B NOT NULL, created_at %T NOT NULL, expires_at %T, last_used_at %T, metadata %J, rate_limit %J, disabled_by TEXT, disabled_at %T, environment TEXT";
const OLD_ANNOUNCED =
  "id, owner_id, owner_type, name, prefix, hash, scopes, roles, enabled, expires_at, metadata, rate_limit, disabled_by, disabled_at";

/** Subscribes, then checks that `announced` is heard for the key and `quiet` is not. */
async function announces(
  store: KeyStore,
  id: string,
  quiet: () => Promise<unknown>,
  announced: () => Promise<unknown>,
): Promise<void> {
  const heard: KeyStoreChange[] = [];
  const off = await store.subscribe!((change) => {
    if (change.id === id) heard.push(change);
  });
  try {
    await quiet();
    await announced();
    await waitUntil(() => heard.length > 0, 3000, "the credit change to be announced");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toEqual([{ type: "update", id }]);
  } finally {
    off();
  }
}

/** On a migrated table: a spend by `store` goes unheard by `other`, a credit change is heard. */
async function spendQuietChangeLoud(
  store: Required<Pick<KeyStore, "create" | "update" | "spendCredits">>,
  other: KeyStore,
): Promise<void> {
  const record = sampleKeyRecord({ credits: { remaining: 0, refill: null, refilledAt: null } });
  await store.create(record);
  const credits = { remaining: 9, refill: { amount: 9, interval: 1000 }, refilledAt: new Date() };
  await announces(
    other,
    record.id,
    () => store.spendCredits(record.id, -5, new Date()),
    () => store.update(record.id, { credits }),
  );
  expect((await other.get(record.id))?.credits?.remaining).toBe(9);
}

describe("SQLite: a table made before credits", () => {
  it("gets the credit columns and a trigger that announces credit changes, not spends", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-migrate-"));
    const path = join(dir, "keys.db");
    const table = "gatehouse_api_keys";
    const db = new Database(path);
    db.exec(
      `CREATE TABLE ${table} (${OLD_COLUMNS.replaceAll("%J", "TEXT").replaceAll("%B", "INTEGER").replaceAll("%T", "INTEGER")})`,
    );
    db.exec(
      `CREATE TABLE "${table}_changes" (seq INTEGER PRIMARY KEY AUTOINCREMENT, key_id TEXT NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL)`,
    );
    db.exec(`CREATE TRIGGER "${table}_announce_update" AFTER UPDATE OF ${OLD_ANNOUNCED} ON ${table}
      FOR EACH ROW BEGIN INSERT INTO "${table}_changes" (key_id, type, at) VALUES (NEW.id, 'update', 0); END`);
    db.close();
    const store = sqliteKeyStore({ path });
    const other = sqliteKeyStore({ path });
    try {
      await spendQuietChangeLoud(store, other);
    } finally {
      await store.close();
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const pgIsUp = await postgresUp();
const schema = `gh_migrate_${randomId(4)}`;

afterAll(async () => {
  if (!pgIsUp) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

describe.skipIf(!pgIsUp)("PostgreSQL: a table made before credits", () => {
  it("gets the credit columns and a trigger that announces credit changes, not spends", async () => {
    const table = "old_keys";
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      // A store of this version makes the notify function; the table and trigger are then
      // put back as the release before credits had them.
      const first = postgresKeyStore({
        connectionString: PG_URL,
        schema,
        table,
        onError: () => {},
      });
      await first.get("warm-up");
      await first.close();
      await admin.query(`DROP TABLE "${schema}".${table}`);
      await admin.query(
        `CREATE TABLE "${schema}".${table} (${OLD_COLUMNS.replaceAll("%J", "JSONB").replaceAll("%B", "BOOLEAN").replaceAll("%T", "TIMESTAMPTZ")})`,
      );
      await admin.query(
        `CREATE TRIGGER "${table}_changes" AFTER UPDATE OF ${OLD_ANNOUNCED} OR DELETE
           ON "${schema}".${table} FOR EACH ROW EXECUTE FUNCTION "${schema}"."${table}_notify"()`,
      );
      const store = postgresKeyStore({
        connectionString: PG_URL,
        schema,
        table,
        onError: () => {},
      });
      const other = postgresKeyStore({
        connectionString: PG_URL,
        schema,
        table,
        onError: () => {},
      });
      try {
        await spendQuietChangeLoud(store, other);
      } finally {
        await store.close();
        await other.close();
      }
    } finally {
      await admin.end();
    }
  });
});
