import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import { keyStoreConformance, sampleKeyRecord } from "../../src/testing/index.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-sqlite-"));
const path = join(dir, "keys.db");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

keyStoreConformance(() => sqliteKeyStore({ path }), { name: "sqliteKeyStore conformance" });

describe("sqliteKeyStore", () => {
  it("sees another connection's revocation on its next read (same file)", async () => {
    const a = sqliteKeyStore({ path });
    const b = sqliteKeyStore({ path });
    try {
      const record = sampleKeyRecord();
      await a.create(record);
      expect((await b.get(record.id))?.enabled).toBe(true);
      await a.update(record.id, { enabled: false });
      expect((await b.get(record.id))?.enabled).toBe(false);
      await a.delete(record.id);
      expect(await b.get(record.id)).toBeNull();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("sees a revocation written by another process on its next read", async () => {
    const store = sqliteKeyStore({ path });
    try {
      const record = sampleKeyRecord();
      await store.create(record);
      expect((await store.get(record.id))?.enabled).toBe(true);
      // A separate Node process writes to the same file while this store stays open.
      const script = `const D = require("better-sqlite3"); const db = new D(process.argv[1]);
        db.prepare("UPDATE gatehouse_api_keys SET enabled = 0 WHERE id = ?").run(process.argv[2]);
        db.close();`;
      const child = spawn(process.execPath, ["-e", script, path, record.id], { stdio: "inherit" });
      const [code] = (await once(child, "exit")) as [number];
      expect(code).toBe(0);
      expect((await store.get(record.id))?.enabled).toBe(false);
    } finally {
      await store.close();
    }
  });

  it("runs in WAL mode and creates an owner index", async () => {
    const store = sqliteKeyStore({ path });
    try {
      expect(store.database.pragma("journal_mode", { simple: true })).toBe("wal");
      const indexes = store.database
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?")
        .all("gatehouse_api_keys");
      expect(indexes).toContainEqual({ name: "gatehouse_api_keys_owner_idx" });
    } finally {
      await store.close();
    }
  });

  it("touches a large batch in one transaction", async () => {
    const store = sqliteKeyStore({ path, table: "touch_batch" });
    try {
      const records = Array.from({ length: 1001 }, () => sampleKeyRecord({ lastUsedAt: null }));
      for (const record of records) await store.create(record);
      const at = new Date(Date.UTC(2026, 8, 9));
      await store.touch(records.map((r) => ({ id: r.id, lastUsedAt: at })));
      const touched = store.database
        .prepare("SELECT COUNT(*) AS n FROM touch_batch WHERE last_used_at = ?")
        .get(at.getTime());
      expect(touched).toEqual({ n: 1001 });
    } finally {
      await store.close();
    }
  });

  it("rejects a table name that is not a plain identifier", () => {
    expect(() => sqliteKeyStore({ path, table: 'keys"; DROP TABLE x; --' })).toThrow(TypeError);
    expect(() => sqliteKeyStore({ path: "" })).toThrow(/options.path/);
    expect(() => sqliteKeyStore({ path, busyTimeout: -1 })).toThrow(TypeError);
    expect(() => sqliteKeyStore({ path, pollInterval: 0 })).toThrow(TypeError);
  });
});
