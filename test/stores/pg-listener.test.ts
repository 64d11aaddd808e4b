/**
 * The LISTEN connection is the store's own, outside the query pool: a pool of N serves N
 * queries at once while the store listens, and the listener comes back after its backend
 * is terminated, with revocations heard again.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { postgresKeyStore } from "../../src/stores/postgres.js";
import { randomId, sampleKeyRecord, waitUntil } from "../../src/testing/index.js";
import type { KeyStoreChange } from "../../src/types.js";
import { PG_URL, postgresUp } from "./servers.js";

const up = await postgresUp();
const schema = `gh_listen_${randomId(4)}`;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The backends of one application name, with what they last ran. */
const backends = (application: string) =>
  admin(async (client) => {
    const { rows } = await client.query<{ pid: number; query: string }>(
      "SELECT pid, query FROM pg_stat_activity WHERE application_name = $1",
      [application],
    );
    return rows;
  });

if (up) {
  afterAll(() => admin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)));
}

describe.skipIf(!up)("postgresKeyStore LISTEN connection", () => {
  it("is not taken from the pool: a pool of 2 still runs 2 queries at once while listening", async () => {
    const application = `gh_pool_${randomId(4)}`;
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2, application_name: application });
    pool.on("error", () => {});
    const store = postgresKeyStore({ pool, schema, onError: () => {} });
    try {
      const statuses: string[] = [];
      await store.subscribe(
        () => {},
        (status) => statuses.push(status),
      );
      expect(statuses).toEqual(["up"]);
      // The listener is a client of its own, with the pool's settings (its name included).
      expect(pool.totalCount).toBe(0);
      const held = await Promise.all([pool.connect(), pool.connect()]);
      try {
        // Both pooled connections are busy at once, and neither is the listener.
        const answers = await Promise.all(
          held.map((c) => c.query("SELECT pg_backend_pid() AS pid")),
        );
        expect(pool.totalCount).toBe(2);
        const mine = await backends(application);
        expect(mine).toHaveLength(3);
        const listening = mine.filter((b) => b.query.startsWith("LISTEN"));
        expect(listening).toHaveLength(1);
        const pooled = answers.map((a) => (a.rows[0] as { pid: number }).pid);
        expect(pooled).not.toContain(listening[0]!.pid);
      } finally {
        for (const c of held) c.release();
      }
      // A store that owns its pool opens the same single extra connection.
      await store.close();
      expect(await backends(application)).toHaveLength(2);
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it("goes to listenClient when given one", async () => {
    const application = `gh_lc_${randomId(4)}`;
    const url = new URL(PG_URL);
    url.searchParams.set("application_name", application);
    const store = postgresKeyStore({
      connectionString: PG_URL,
      schema,
      listenClient: url.toString(),
      onError: () => {},
    });
    try {
      await store.subscribe(() => {});
      const mine = await backends(application);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.query).toMatch(/^LISTEN/);
    } finally {
      await store.close();
    }
    // Ending a session is asynchronous on the server: ask until it is gone.
    let left = await backends(application);
    for (let n = 0; left.length > 0 && n < 40; n++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await backends(application);
    }
    expect(left).toEqual([]);
  });

  it("hears revocations again after its backend is terminated, reporting the gap", async () => {
    const application = `gh_term_${randomId(4)}`;
    const errors: Error[] = [];
    const store = postgresKeyStore({
      connectionString: PG_URL,
      schema,
      poolOptions: { application_name: application },
      onError: (error) => errors.push(error),
    });
    const writer = postgresKeyStore({ connectionString: PG_URL, schema, onError: () => {} });
    try {
      const record = sampleKeyRecord();
      await writer.create(record);
      const heard: KeyStoreChange[] = [];
      const statuses: string[] = [];
      await store.subscribe(
        (change) => heard.push(change),
        (status) => statuses.push(status),
      );
      // A pooled connection beside it, which the termination must leave alone.
      await store.get(record.id);
      const listening = (await backends(application)).filter((b) => b.query.startsWith("LISTEN"));
      expect(listening).toHaveLength(1);
      await admin((client) => client.query("SELECT pg_terminate_backend($1)", [listening[0]!.pid]));
      await waitUntil(() => statuses.includes("down"), 2000, "the drop to be reported");
      await waitUntil(() => store.listening, 5000, "the LISTEN to come back");
      expect(statuses).toEqual(["up", "down", "up"]);
      expect(errors.length).toBeGreaterThan(0);
      await writer.update(record.id, { enabled: false });
      await waitUntil(
        () => heard.some((c) => c.type === "update" && c.id === record.id),
        2000,
        "the revocation after the reconnect",
      );
      // The pool's own connection was not the one killed: it still answers.
      expect((await store.get(record.id))?.enabled).toBe(false);
    } finally {
      await writer.close();
      await store.close();
    }
  });
});
