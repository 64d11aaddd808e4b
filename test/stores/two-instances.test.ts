/**
 * The scenario end to end: two `createAuth` instances (separate caches, separate
 * store connections) on one shared PostgreSQL or Redis. A key revoked through A must be
 * refused by B within 1 s, although B had it cached.
 */
import pg from "pg";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createAuth } from "../../src/index.js";
import type { KeyStore } from "../../src/types.js";
import { postgresKeyStore } from "../../src/stores/postgres.js";
import { redisKeyStore } from "../../src/stores/redis.js";
import { randomId } from "../../src/testing/index.js";
import { PG_URL, REDIS_URL, postgresUp, redisUp } from "./servers.js";

const pgIsUp = await postgresUp();
const redisIsUp = await redisUp();
const schema = `gh_test_${randomId(4)}`;
const prefix = `gh-test-${randomId(4)}:`;

afterAll(async () => {
  if (pgIsUp) {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
  if (redisIsUp) {
    const admin = new Redis(REDIS_URL);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  }
});

function instance(store: KeyStore) {
  // A long cache TTL: only the store's announcement can make B refuse the key in time.
  return createAuth({ apiKeys: { store, cache: { ttl: 600_000 } } });
}

async function refusedWithin(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() <= deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

const backends = [
  {
    name: "PostgreSQL",
    up: pgIsUp,
    open: () => postgresKeyStore({ connectionString: PG_URL, schema, onError: () => {} }),
  },
  { name: "Redis", up: redisIsUp, open: () => redisKeyStore({ url: REDIS_URL, prefix }) },
];

describe.each(backends)("two createAuth instances on one $name", ({ up, open }) => {
  it.skipIf(!up)("a key revoked on A is refused by B within 1 s", async () => {
    const a = instance(open());
    const b = instance(open());
    try {
      const { key, record } = await a.keys.create({ ownerId: "alice", name: "shared" });
      const request = () => new Request("http://x/", { headers: { "x-api-key": key } });
      // B verifies once, so the key sits in B's cache.
      expect((await b.authenticate(request())).ok).toBe(true);
      expect((await b.authenticate(request())).ok).toBe(true);

      await a.keys.update("alice", record.id, { enabled: false });
      const refused = await refusedWithin(async () => {
        const result = await b.authenticate(request());
        return !result.ok && result.error.code === "key_disabled";
      }, 1000);
      expect(refused).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it.skipIf(!up)("control: without subscribe, B keeps serving its cached key", async () => {
    const a = instance(open());
    const { subscribe: _unused, ...deaf } = open();
    const b = instance(deaf);
    try {
      const { key, record } = await a.keys.create({ ownerId: "alice", name: "shared" });
      const request = () => new Request("http://x/", { headers: { "x-api-key": key } });
      expect((await b.authenticate(request())).ok).toBe(true);
      await a.keys.update("alice", record.id, { enabled: false });
      // The availability/revocation trade-off: until the TTL, only an announcement helps.
      expect((await b.authenticate(request())).ok).toBe(true);
      expect((await a.authenticate(request())).ok).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
