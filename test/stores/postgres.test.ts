import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { postgresKeyStore } from "../../src/stores/postgres.js";
import {
  keyStoreConformance,
  randomId,
  sampleKeyRecord,
  waitUntil,
} from "../../src/testing/index.js";
import type { KeyStoreChange } from "../../src/types.js";
import { PG_URL, postgresUp } from "./servers.js";

const up = await postgresUp(true);
// Each run has its own schema, dropped at the end, so runs never see each other's keys.
const schema = `gh_test_${randomId(4)}`;

if (up) {
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  keyStoreConformance(
    () => postgresKeyStore({ connectionString: PG_URL, schema, onError: () => {} }),
    { name: "postgresKeyStore conformance" },
  );
}

describe.skipIf(!up)("postgresKeyStore", () => {
  const quiet = { onError: () => {} };

  it("announces an update and a delete on A to B's subscriber within 1 s", async () => {
    const a = postgresKeyStore({ connectionString: PG_URL, schema, ...quiet });
    const b = postgresKeyStore({ connectionString: PG_URL, schema, ...quiet });
    try {
      const heard: KeyStoreChange[] = [];
      await b.subscribe((change) => heard.push(change));
      const record = sampleKeyRecord();
      await a.create(record);
      await a.update(record.id, { enabled: false });
      await waitUntil(
        () => heard.some((c) => c.type === "update" && c.id === record.id),
        1000,
        "update on B",
      );
      await a.delete(record.id);
      await waitUntil(
        () => heard.some((c) => c.type === "delete" && c.id === record.id),
        1000,
        "delete on B",
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("announces a change made by hand in SQL (the trigger, not the store, NOTIFYs)", async () => {
    const store = postgresKeyStore({ connectionString: PG_URL, schema, ...quiet });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const record = sampleKeyRecord();
      await store.create(record);
      const heard: KeyStoreChange[] = [];
      await store.subscribe((change) => heard.push(change));
      await admin.query(`UPDATE "${schema}".gatehouse_api_keys SET enabled = false WHERE id = $1`, [
        record.id,
      ]);
      await waitUntil(
        () => heard.some((c) => c.type === "update" && c.id === record.id),
        2000,
        "the announcement of a manual UPDATE",
      );
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it("does not announce touch (last-used writes would evict every cache)", async () => {
    const store = postgresKeyStore({ connectionString: PG_URL, schema, ...quiet });
    try {
      const touched = sampleKeyRecord();
      const updated = sampleKeyRecord();
      await store.create(touched);
      await store.create(updated);
      const heard: KeyStoreChange[] = [];
      await store.subscribe((change) => heard.push(change));
      await store.touch([{ id: touched.id, lastUsedAt: new Date() }]);
      await store.update(updated.id, { name: "marker" });
      // NOTIFYs arrive in commit order: once the later update is heard, a touch would have been.
      await waitUntil(() => heard.some((c) => c.id === updated.id), 2000, "the marker update");
      expect(heard.filter((c) => c.id === touched.id)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("touches more than one chunk of keys in one call", async () => {
    const store = postgresKeyStore({
      connectionString: PG_URL,
      schema,
      table: "touch_batch",
      ...quiet,
    });
    try {
      const records = Array.from({ length: 1001 }, () => sampleKeyRecord({ lastUsedAt: null }));
      await Promise.all(records.map((r) => store.create(r)));
      const at = new Date(Date.UTC(2026, 8, 9, 1, 2, 3, 4));
      await store.touch(records.map((r) => ({ id: r.id, lastUsedAt: at })));
      const { rows } = await store.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${schema}".touch_batch WHERE last_used_at = $1`,
        [at],
      );
      expect(rows[0]?.n).toBe("1001");
    } finally {
      await store.close();
    }
  });

  it("leaves a pool it was given open on close", async () => {
    const pool = new pg.Pool({ connectionString: PG_URL });
    pool.on("error", () => {});
    const store = postgresKeyStore({ pool, schema, ...quiet });
    await store.subscribe(() => {});
    await store.close();
    expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one).toBe(1);
    expect(pool.totalCount - pool.idleCount).toBe(0);
    await pool.end();
  });

  it("rejects schema and table names that are not plain identifiers", () => {
    expect(() => postgresKeyStore({ connectionString: PG_URL, schema: "x; DROP" })).toThrow(
      TypeError,
    );
    expect(() => postgresKeyStore({ connectionString: PG_URL, table: 'a"b' })).toThrow(TypeError);
  });

  it("recovers and LISTENs again after pg_terminate_backend while calls flow", async () => {
    const application = `gh_fault_${randomId(4)}`;
    const errors: Error[] = [];
    const store = postgresKeyStore({
      connectionString: PG_URL,
      schema,
      poolOptions: { application_name: application, connectionTimeoutMillis: 2000 },
      onError: (error) => errors.push(error),
    });
    const writer = postgresKeyStore({ connectionString: PG_URL, schema, ...quiet });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const record = sampleKeyRecord();
      await writer.create(record);
      const heard: KeyStoreChange[] = [];
      await store.subscribe((change) => heard.push(change));
      expect(store.listening).toBe(true);

      // Calls flow while the backends are killed; each must settle, resolved or rejected.
      let flowing = true;
      const outcomes: Array<"ok" | "error"> = [];
      const flow = (async () => {
        while (flowing) {
          outcomes.push(
            await store.get(record.id).then(
              () => "ok" as const,
              () => "error" as const,
            ),
          );
        }
      })();
      await waitUntil(() => outcomes.length > 5, 5000, "calls to flow");
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [application],
      );
      expect(killed.rowCount).toBeGreaterThan(0);
      const before = outcomes.length;
      await waitUntil(() => outcomes.slice(before).includes("ok"), 5000, "a call to succeed again");
      flowing = false;
      await flow;

      await waitUntil(() => store.listening, 5000, "the LISTEN to come back");
      expect(errors.length).toBeGreaterThan(0);
      await writer.update(record.id, { enabled: false });
      await waitUntil(
        () => heard.some((c) => c.id === record.id),
        2000,
        "an announcement after the drop",
      );
    } finally {
      await admin.end();
      await writer.close();
      await store.close();
    }
  });
});
