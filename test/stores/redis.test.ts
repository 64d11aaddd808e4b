import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { StoreTimeoutError, withTimeout } from "../../src/verify/api-key/with-timeout.js";
import { redisKeyStore, redisRateLimiter } from "../../src/stores/redis.js";
import {
  keyStoreConformance,
  randomId,
  sampleKeyRecord,
  waitUntil,
} from "../../src/testing/index.js";
import type { KeyStoreChange } from "../../src/types.js";
import { eventually, freePort, startRedis, stopRedis } from "./redis-server.js";
import { REDIS_URL, redisUp } from "./servers.js";

const up = await redisUp(true);
// Each run has its own key prefix, and deletes exactly its own keys at the end.
const prefix = `gh-test-${randomId(4)}:`;

if (up) {
  afterAll(async () => {
    const admin = new Redis(REDIS_URL);
    let cursor = "0";
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    await admin.quit();
  });

  keyStoreConformance(() => redisKeyStore({ url: REDIS_URL, prefix }), {
    name: "redisKeyStore conformance",
  });
}

describe.skipIf(!up)("redisKeyStore", () => {
  it("announces an update and a delete on A to B's subscriber within 1 s", async () => {
    const a = redisKeyStore({ url: REDIS_URL, prefix });
    const b = redisKeyStore({ url: REDIS_URL, prefix });
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

  it("moves a key to its new owner's listing when ownerId changes", async () => {
    const store = redisKeyStore({ url: REDIS_URL, prefix });
    try {
      const record = sampleKeyRecord();
      await store.create(record);
      await store.update(record.id, { ownerId: "someone-else" + record.id });
      expect((await store.listByOwner(record.ownerId)).items).toEqual([]);
      const moved = await store.listByOwner("someone-else" + record.id);
      expect(moved.items.map((r) => r.id)).toEqual([record.id]);
    } finally {
      await store.close();
    }
  });

  it("changes nothing when a write's index step would fail: the checks come before the writes", async () => {
    const store = redisKeyStore({ url: REDIS_URL, prefix });
    const admin = new Redis(REDIS_URL);
    try {
      const record = sampleKeyRecord();
      await store.create(record);
      const index = `${prefix}owner:${record.ownerId}`;
      await admin.del(index);
      await admin.set(index, "not an index");
      await expect(store.delete(record.id)).rejects.toThrow(/WRONGTYPE/);
      expect((await store.get(record.id))?.id).toBe(record.id);
      await expect(store.update(record.id, { ownerId: `o-${randomId()}` })).rejects.toThrow(
        /WRONGTYPE/,
      );
      expect((await store.get(record.id))?.ownerId).toBe(record.ownerId);
      const other = { ...sampleKeyRecord(), ownerId: record.ownerId };
      await expect(store.create(other)).rejects.toThrow(/WRONGTYPE/);
      expect(await admin.exists(`${prefix}key:${other.id}`)).toBe(0);
    } finally {
      await admin.quit();
      await store.close();
    }
  });

  it("leaves a client it was given open on close", async () => {
    const client = new Redis(REDIS_URL);
    const store = redisKeyStore({ client, prefix });
    await store.subscribe(() => {});
    await store.close();
    expect(await client.ping()).toBe("PONG");
    await client.quit();
  });

  it("shares one rate-limit budget between two limiters (two instances)", async () => {
    const a = redisRateLimiter({ url: REDIS_URL, prefix });
    const b = redisRateLimiter({ url: REDIS_URL, prefix });
    try {
      const id = randomId();
      // A long window, so the test never straddles a boundary.
      const limit = { limit: 3, window: 3_600_000 };
      const decisions = [];
      for (const limiter of [a, b, a, b]) decisions.push(await limiter.consume(id, limit, 0));
      expect(decisions.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
      const last = decisions[3]!;
      expect(last.ok).toBe(false);
      if (!last.ok) {
        expect(last.retryAfter).toBeGreaterThan(0);
        expect(last.retryAfter).toBeLessThanOrEqual(limit.window);
      }
      expect(await a.consume(randomId(), limit, 0)).toEqual({ ok: true });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("subscribes once Redis is up when it was made during an outage", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const store = redisKeyStore({ url, prefix });
    let server: Awaited<ReturnType<typeof startRedis>> | undefined;
    try {
      const heard: KeyStoreChange[] = [];
      // Resolves after the first attempt, even though nothing answers yet.
      await withTimeout(Promise.resolve(store.subscribe((change) => heard.push(change))), 8000);
      expect(store.listening).toBe(false);
      server = await startRedis(port);
      await waitUntil(() => store.listening, 10_000, "the subscription once Redis is up");
      const writer = redisKeyStore({ url, prefix });
      try {
        const record = sampleKeyRecord();
        await writer.create(record);
        await writer.delete(record.id);
        await waitUntil(() => heard.some((c) => c.id === record.id), 2000, "the announcement");
      } finally {
        await writer.close();
      }
    } finally {
      await store.close();
      if (server) await stopRedis(server);
    }
  });

  it("rejects calls while its server is down, and recovers when it returns", async () => {
    const port = await freePort();
    let child = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const store = redisKeyStore({ url, prefix });
    try {
      const heard: KeyStoreChange[] = [];
      await store.subscribe((change) => heard.push(change));
      const before = sampleKeyRecord();
      await store.create(before);

      await stopRedis(child);
      // Bounded, not exact: the default ioredis settings of the store reject after one retry.
      // The store's own error, not the guard's: a hang must fail this test.
      const failure = (call: Promise<unknown>) =>
        withTimeout(call, 8000).then(
          () => null,
          (error: unknown) => error,
        );
      for (const error of [
        await failure(store.get(before.id)),
        await failure(store.touch([{ id: before.id, lastUsedAt: new Date() }])),
      ]) {
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(StoreTimeoutError);
      }

      child = await startRedis(port);
      // Same store object, no restart: calls succeed again once ioredis has reconnected.
      const after = sampleKeyRecord();
      await eventually(() => store.create(after), 10_000, "a write after the restart");
      expect((await store.get(after.id))?.id).toBe(after.id);

      // The subscriber connection re-subscribed by itself.
      const writer = redisKeyStore({ url, prefix });
      try {
        await eventually(
          async () => {
            await writer.update(after.id, { name: `n${Date.now()}` });
            if (!heard.some((c) => c.id === after.id)) throw new Error("not yet announced");
          },
          10_000,
          "an announcement after the restart",
        );
      } finally {
        await writer.close();
      }
    } finally {
      await store.close();
      await stopRedis(child);
    }
  });
});
