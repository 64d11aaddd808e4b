/**
 * Outages seen through `createAuth`: a store that is down answers `unavailable` (never a
 * 200 for an unknown key, never a 401 for a good one), keys already cached keep working
 * for the cache TTL, and the same instance recovers once the server is back.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createAuth } from "../../src/index.js";
import { withTimeout } from "../../src/verify/api-key/with-timeout.js";
import { postgresKeyStore } from "../../src/stores/postgres.js";
import { redisKeyStore } from "../../src/stores/redis.js";
import { randomId, waitUntil } from "../../src/testing/index.js";
import { eventually, freePort, startRedis, stopRedis } from "./redis-server.js";
import { PG_URL, postgresUp, redisUp } from "./servers.js";

const pgIsUp = await postgresUp();
// The Redis case runs its own server; it needs the redis-server binary, as the shared one does.
const redisIsUp = await redisUp();
const schema = `gh_test_${randomId(4)}`;

afterAll(async () => {
  if (!pgIsUp) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

const request = (key: string) => new Request("http://x/", { headers: { "x-api-key": key } });

describe("store outages through createAuth", () => {
  it.skipIf(!redisIsUp)("Redis stopped: unavailable for uncached keys, then recovery", async () => {
    const port = await freePort();
    let server = await startRedis(port);
    const auth = createAuth({
      apiKeys: {
        store: redisKeyStore({ url: `redis://127.0.0.1:${port}`, prefix: "gh-outage:" }),
        storeTimeout: 3000,
      },
    });
    try {
      const cached = await auth.keys.create({ ownerId: "alice", name: "cached" });
      const cold = await auth.keys.create({ ownerId: "alice", name: "cold" });
      expect((await auth.authenticate(request(cached.key))).ok).toBe(true);

      await stopRedis(server);
      const result = await withTimeout(auth.authenticate(request(cold.key)), 8000);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe("unavailable");
      // The documented trade-off: a cached key keeps working for at most the cache TTL.
      expect((await auth.authenticate(request(cached.key))).ok).toBe(true);

      // This server keeps nothing on disk, so recovery is shown with a key made afterwards.
      server = await startRedis(port);
      const fresh = await eventually(
        () => auth.keys.create({ ownerId: "alice", name: "after" }),
        10_000,
        "a key created after the restart",
      );
      expect((await auth.authenticate(request(fresh.key))).ok).toBe(true);
    } finally {
      await auth.close();
      await stopRedis(server);
    }
  });

  it.skipIf(!pgIsUp)(
    "PostgreSQL connections terminated while requests flow: never a wrong answer, then recovery",
    async () => {
      const application = `gh_outage_${randomId(4)}`;
      const auth = createAuth({
        apiKeys: {
          store: postgresKeyStore({
            connectionString: PG_URL,
            schema,
            poolOptions: { application_name: application },
            onError: () => {},
          }),
          // No cache: every request reads the store, so every request meets the fault.
          cache: { ttl: 1 },
        },
      });
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        const { key } = await auth.keys.create({ ownerId: "alice", name: "flowing" });
        const codes: string[] = [];
        let flowing = true;
        const flow = (async () => {
          while (flowing) {
            const result = await auth.authenticate(request(key));
            codes.push(result.ok ? "ok" : result.error.code);
            // Requests arrive as I/O events; a bare loop of cache hits would starve timers.
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        await waitUntil(() => codes.length > 3, 10_000, "requests to flow");
        const terminated = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
          [application],
        );
        // Without a terminated connection this test would pass without meeting any fault.
        expect(terminated.rowCount).toBeGreaterThan(0);
        const after = codes.length;
        await waitUntil(() => codes.slice(after).includes("ok"), 10_000, "a good answer again");
        flowing = false;
        await flow;
        expect(codes.filter((code) => code !== "ok" && code !== "unavailable")).toEqual([]);
      } finally {
        await admin.end();
        await auth.close();
      }
    },
  );
});
