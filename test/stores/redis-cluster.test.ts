/**
 * The Redis store and rate limiter on Redis Cluster: the conformance suite on an ioredis
 * `Cluster` client, the layout that keeps every script in one slot, a delete that is whole
 * or not at all (an index that would refuse the write, a master frozen mid-call), the
 * change feed heard on every node and by a second instance, and limiter counters shared
 * between instances and spread over the masters. Runs on the shared cluster on 7101–7103
 * (`.ci/run` starts it), or on one started here when nothing answers there; the frozen
 * master is a throwaway cluster's own.
 */
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  publishKeyChange,
  redisKeyStore,
  redisRateLimiter,
  type RedisKeyStore,
} from "../../src/stores/redis.js";
import {
  keyStoreConformance,
  randomId,
  sampleKeyRecord,
  waitUntil,
} from "../../src/testing/index.js";
import type { KeyStoreChange } from "../../src/types.js";
import { withTimeout } from "../../src/verify/api-key/with-timeout.js";
import { byKey, instance, untilRefused } from "./feed-fixtures.js";
import { REDIS_URL, redisUp } from "./servers.js";
import {
  freeClusterPorts,
  sharedCluster,
  startCluster,
  startThrowawayCluster,
  type TestCluster,
} from "./redis-cluster-server.js";

function hasRedisServer(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    if (process.env.CI) throw new Error("redis-server is missing (CI=true: these tests must run)");
    console.warn("[gatehouse] Redis Cluster tests skipped: no redis-server binary to start one.");
    return false;
  }
}

const can = hasRedisServer();
const single = await redisUp();
const prefix = `gh-test-${randomId(4)}:`;
let shared: TestCluster | undefined;
let client: Cluster;

if (can) {
  beforeAll(async () => {
    shared = await sharedCluster();
    client = shared.connect();
  }, 60_000);

  afterAll(async () => {
    if (!shared) return;
    // This run's keys only: the store's (tagged) and the limiter's, on every master.
    for (const port of shared.ports) {
      const node = new Redis({ port, host: "127.0.0.1" });
      for (const pattern of [`{${prefix}*`, `${prefix}*`]) {
        let cursor = "0";
        do {
          const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 500);
          for (const key of keys) await node.del(key);
          cursor = next;
        } while (cursor !== "0");
      }
      node.disconnect();
    }
    await client.quit();
    await shared.stop();
  }, 60_000);

  keyStoreConformance(() => redisKeyStore({ client, prefix }), {
    name: "redisKeyStore conformance on Redis Cluster",
  });
}

/** Which master serves `key`, by port, from the cluster's own slot map. */
async function masterOf(cluster: Cluster, key: string): Promise<number> {
  const slot = (await cluster.call("CLUSTER", "KEYSLOT", key)) as number;
  const ranges = (await cluster.call("CLUSTER", "SLOTS")) as Array<
    [number, number, [string, number]]
  >;
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`no master serves slot ${slot}`);
  return range[2][1];
}

describe.skipIf(!can)("redisKeyStore on Redis Cluster", () => {
  it("types and takes a Cluster client, and keeps a record and its owner index in one slot", async () => {
    const store: RedisKeyStore<Cluster> = redisKeyStore({ client, prefix });
    try {
      expect(store.client).toBe(client);
      const record = sampleKeyRecord();
      await store.create(record);
      const hash = `{${prefix}}key:${record.id}`;
      const index = `{${prefix}}owner:${record.ownerId}`;
      expect(await client.exists(hash, index)).toBe(2);
      const [slotOfHash, slotOfIndex] = await Promise.all([
        client.call("CLUSTER", "KEYSLOT", hash),
        client.call("CLUSTER", "KEYSLOT", index),
      ]);
      expect(slotOfHash).toBe(slotOfIndex);
      // A change of owner moves the index entry inside that slot too.
      const next = `other-${randomId()}`;
      await store.update(record.id, { ownerId: next });
      expect((await store.listByOwner(record.ownerId)).items).toEqual([]);
      expect((await store.listByOwner(next)).items.map((r) => r.id)).toEqual([record.id]);
      expect(await client.zcard(index)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("refuses a prefix that would make no hash tag", () => {
    for (const bad of ["", "}x:"]) {
      expect(() => redisKeyStore({ client, prefix: bad })).toThrow(TypeError);
    }
  });

  it("refuses a delete whose index write would fail, and changes nothing", async () => {
    const store = redisKeyStore({ client, prefix });
    const watcher = redisKeyStore({ client, prefix });
    try {
      const heard: KeyStoreChange[] = [];
      await watcher.subscribe((change) => heard.push(change));
      const record = sampleKeyRecord();
      await store.create(record);
      // The second step of a delete (the index) is made to fail: its key is no sorted set.
      const index = `{${prefix}}owner:${record.ownerId}`;
      await client.del(index);
      await client.set(index, "not an index");

      await expect(store.delete(record.id)).rejects.toThrow(/WRONGTYPE/);
      expect((await store.get(record.id))?.id).toBe(record.id);
      expect(await client.get(index)).toBe("not an index");
      // Nothing announced either: a marker published after the delete arrives first.
      const marker = sampleKeyRecord();
      await store.create(marker);
      await store.update(marker.id, { name: "marker" });
      await waitUntil(() => heard.some((c) => c.id === marker.id), 2000, "the marker");
      expect(heard.filter((c) => c.id === record.id)).toEqual([]);

      // Once the index is one again, the same delete is whole: record, entry, announcement.
      await client.del(index);
      await client.zadd(
        index,
        0,
        `${String(record.createdAt.getTime()).padStart(15, "0")}:${record.id}`,
      );
      expect(await store.delete(record.id)).toBe(true);
      expect(await store.get(record.id)).toBeNull();
      expect(await client.exists(index)).toBe(0);
      await waitUntil(
        () => heard.some((c) => c.type === "delete" && c.id === record.id),
        2000,
        "the delete's announcement",
      );
    } finally {
      await store.close();
      await watcher.close();
    }
  });

  it("announces a change on every node of the cluster", async () => {
    const store = redisKeyStore({ client, prefix });
    const nodes = shared!.ports.map((port) => new Redis({ port, host: "127.0.0.1" }));
    try {
      const heardBy = new Map<number, string[]>();
      await Promise.all(
        nodes.map(async (node, i) => {
          const port = shared!.ports[i]!;
          heardBy.set(port, []);
          node.on("message", (_channel: string, message: string) =>
            heardBy.get(port)!.push(message),
          );
          await node.subscribe(`${prefix}changes`);
        }),
      );
      const record = sampleKeyRecord();
      await store.create(record);
      expect(await store.delete(record.id)).toBe(true);
      await waitUntil(
        () =>
          [...heardBy.values()].every((messages) => messages.some((m) => m.includes(record.id))),
        2000,
        "the delete heard on all three nodes",
      );
    } finally {
      for (const node of nodes) node.disconnect();
      await store.close();
    }
  });

  it("publishKeyChange on a Cluster client reaches the store's subscribers", async () => {
    const store = redisKeyStore({ client, prefix });
    try {
      const heard: KeyStoreChange[] = [];
      await store.subscribe((change) => heard.push(change));
      const id = randomId();
      // The count is the receiving node's own; the cluster carries the message to the others.
      expect(await publishKeyChange(client, prefix, { type: "update", id })).toBeGreaterThanOrEqual(
        0,
      );
      await waitUntil(() => heard.some((c) => c.id === id), 2000, "the hand-made announcement");
    } finally {
      await store.close();
    }
  });

  it("a key revoked on instance A is refused by instance B within 1 s", async () => {
    const clientB = shared!.connect();
    const a = instance(redisKeyStore({ client, prefix }));
    const b = instance(redisKeyStore({ client: clientB, prefix }));
    try {
      const { key, record } = await a.keys.create({ ownerId: "alice", name: "shared" });
      expect((await byKey(b, key)).ok).toBe(true);
      expect((await byKey(b, key)).ok).toBe(true);
      const since = performance.now();
      await a.keys.update("alice", record.id, { enabled: false });
      const refusal = await untilRefused(() => byKey(b, key), since, 1000);
      expect(refusal.code).toBe("key_disabled");
    } finally {
      await a.close();
      await b.close();
      await clientB.quit();
    }
  });
});

describe.skipIf(!can || !single)("moving a store from one server to the cluster", () => {
  it("the documented copy (DUMP, RESTORE under the tagged name) reads back the same", async () => {
    const moved = `${prefix}move:`;
    const old = redisKeyStore({ url: REDIS_URL, prefix: moved });
    const from = new Redis(REDIS_URL);
    const target = redisKeyStore({ client, prefix: moved });
    try {
      const ownerId = `owner-${randomId()}`;
      const records = [sampleKeyRecord(), sampleKeyRecord()].map((r) => ({ ...r, ownerId }));
      for (const record of records) await old.create(record);
      const heard: KeyStoreChange[] = [];
      await target.subscribe((change) => heard.push(change));

      // The steps of docs/stores.md, Redis Cluster.
      for (const pattern of [`${moved}key:*`, `${moved}owner:*`]) {
        for await (const keys of from.scanStream({ match: pattern, count: 500 })) {
          for (const key of keys as string[]) {
            const dump = await from.dumpBuffer(key);
            if (dump) {
              await client.restore(`{${moved}}${key.slice(moved.length)}`, 0, dump, "REPLACE");
            }
          }
        }
      }
      await publishKeyChange(client, moved, { type: "reset", id: "" });

      for (const record of records) {
        expect(await target.get(record.id)).toEqual(await old.get(record.id));
      }
      expect((await target.listByOwner(ownerId)).items).toEqual(
        (await old.listByOwner(ownerId)).items,
      );
      await waitUntil(() => heard.some((c) => c.type === "reset"), 2000, "the reset");
      expect(await target.delete(records[0]!.id)).toBe(true);
      expect((await target.listByOwner(ownerId)).items.map((r) => r.id)).toEqual([records[1]!.id]);
    } finally {
      const keys = await from.keys(`${moved}*`);
      if (keys.length > 0) await from.del(...keys);
      await from.quit();
      await old.close();
      await target.close();
    }
  });
});

describe.skipIf(!can)("redisRateLimiter on Redis Cluster", () => {
  it("shares one budget between two instances and spreads counters over the masters", async () => {
    const clientB = shared!.connect();
    const a = redisRateLimiter({ client, prefix });
    const b = redisRateLimiter({ client: clientB, prefix });
    try {
      const limit = { limit: 3, window: 3_600_000 };
      const id = randomId();
      const decisions = [];
      for (const limiter of [a, b, a, b]) decisions.push(await limiter.consume(id, limit, 0));
      expect(decisions.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
      const last = decisions[3]!;
      expect(last.ok).toBe(false);
      if (!last.ok) expect(last.retryAfter).toBeGreaterThan(0);

      const ids = Array.from({ length: 12 }, () => randomId());
      for (const other of ids) expect(await b.consume(other, limit, 0)).toEqual({ ok: true });
      // Where the counters really are, asked of each master alone.
      const holders: number[] = [];
      for (const port of shared!.ports) {
        const node = new Redis({ port, host: "127.0.0.1" });
        const counters = await node.keys(`${prefix}rate:*`);
        node.disconnect();
        for (const counter of counters) {
          expect(await masterOf(client, counter)).toBe(port);
        }
        if (counters.length > 0) holders.push(port);
      }
      // Thirteen random ids all on one of three masters would be a 1-in-531,441 draw.
      expect(holders.length).toBeGreaterThan(1);
    } finally {
      await a.close();
      await b.close();
      await clientB.quit();
    }
  });
});

describe.skipIf(!can)("a delete while the record's master is frozen", () => {
  let throwaway: TestCluster | undefined;

  afterAll(async () => {
    await throwaway?.stop();
  }, 30_000);

  it("tells the caller it failed, and is still whole: record, index entry and announcement", async () => {
    throwaway = await startThrowawayCluster();
    // A short command timeout, so the call gives up while the master is stopped.
    const writer = throwaway.connect({ redisOptions: { commandTimeout: 300 } });
    const reader = throwaway.connect();
    const own = `gh-frozen-${randomId(4)}:`;
    const store = redisKeyStore({ client: writer, prefix: own });
    const watcher = redisKeyStore({ client: reader, prefix: own });
    try {
      const heard: KeyStoreChange[] = [];
      await watcher.subscribe((change) => heard.push(change));
      await waitUntil(() => watcher.listening, 5000, "the watcher's feed");
      // One delete first, so the master holds the script and the frozen call is the write
      // itself, not a lookup that would only then send the script.
      const warm = sampleKeyRecord();
      await store.create(warm);
      expect(await store.delete(warm.id)).toBe(true);
      const record = sampleKeyRecord();
      await store.create(record);
      const index = `{${own}}owner:${record.ownerId}`;
      const port = await masterOf(reader, index);
      const master = throwaway.children.get(port)!;

      master.kill("SIGSTOP");
      let failure: unknown;
      try {
        await store.delete(record.id);
      } catch (error) {
        failure = error;
      } finally {
        master.kill("SIGCONT");
      }
      expect(String(failure)).toMatch(/timed out/i);

      // The script reached the master before it stopped, and ran whole once it went on.
      await waitUntil(
        () => heard.some((c) => c.type === "delete" && c.id === record.id),
        5000,
        "the delete's announcement after the master resumed",
      );
      expect(await watcher.get(record.id)).toBeNull();
      expect(await reader.exists(index)).toBe(0);
      expect((await watcher.listByOwner(record.ownerId)).items).toEqual([]);
      // The caller's retry of a delete that did happen is harmless.
      expect(await store.delete(record.id)).toBe(false);
    } finally {
      await store.close();
      await watcher.close();
      writer.disconnect();
      reader.disconnect();
    }
  }, 60_000);
});

describe.skipIf(!can)("the change feed when its node is lost", () => {
  let throwaway: TestCluster | undefined;

  afterAll(async () => {
    await throwaway?.stop();
  }, 30_000);

  /** The port of the node that holds a subscribed connection, if one does. */
  async function feedNode(ports: number[]): Promise<number | undefined> {
    for (const port of ports) {
      const node = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
      node.on("error", () => {});
      try {
        const list = (await node.call("CLIENT", "LIST")) as string;
        if (/ sub=[1-9]/.test(list)) return port;
      } catch {
        /* a node that is gone holds nothing */
      } finally {
        node.disconnect();
      }
    }
    return undefined;
  }

  it("reports down, moves to another node, and hears changes again", async () => {
    throwaway = await startThrowawayCluster();
    const writerClient = throwaway.connect();
    const watcherClient = throwaway.connect();
    const own = `gh-moving-${randomId(4)}:`;
    const writer = redisKeyStore({ client: writerClient, prefix: own });
    const dataMaster = await masterOf(writerClient, `{${own}}key:x`);
    let watcher: RedisKeyStore<Cluster> | undefined;
    try {
      const heard = new Set<string>();
      const statuses: string[] = [];
      let node: number | undefined;
      // The feed picks a node at random; the lost node must not be the one holding the data.
      for (let tries = 0; tries < 20; tries++) {
        await watcher?.close();
        watcher = redisKeyStore({ client: watcherClient, prefix: own });
        await watcher.subscribe(
          (change) => heard.add(change.id),
          (status) => statuses.push(status),
        );
        await waitUntil(() => watcher!.listening, 5000, "the watcher's feed");
        node = await feedNode(throwaway.ports);
        if (node !== undefined && node !== dataMaster) break;
      }
      expect(node).toBeDefined();
      expect(node).not.toBe(dataMaster);

      throwaway.children.get(node!)!.kill("SIGKILL");
      await waitUntil(() => statuses.at(-1) === "down", 5000, "the feed to report down");
      await waitUntil(() => watcher!.listening, 10_000, "the feed on another node");
      expect(statuses.at(-1)).toBe("up");
      const moved = await feedNode(throwaway.ports.filter((port) => port !== node));
      expect(moved).toBeDefined();

      const record = sampleKeyRecord();
      await writer.create(record);
      await writer.update(record.id, { enabled: false });
      await waitUntil(() => heard.has(record.id), 2000, "the change on the new node");
    } finally {
      await watcher?.close();
      await writer.close();
      writerClient.disconnect();
      watcherClient.disconnect();
    }
  }, 60_000);
});

describe.skipIf(!can)("a store made before its cluster is up", () => {
  let throwaway: TestCluster | undefined;

  afterAll(async () => {
    await throwaway?.stop();
  }, 30_000);

  it("subscribe settles while nothing answers, and the feed comes up with the cluster", async () => {
    const { ports, bus } = await freeClusterPorts();
    const early = new Cluster(
      ports.map((port) => ({ host: "127.0.0.1", port })),
      { clusterRetryStrategy: () => 200 },
    );
    early.on("error", () => {});
    const own = `gh-early-${randomId(4)}:`;
    const store = redisKeyStore({ client: early, prefix: own });
    try {
      const heard = new Set<string>();
      const statuses: string[] = [];
      await withTimeout(
        Promise.resolve(
          store.subscribe(
            (change) => heard.add(change.id),
            (status) => statuses.push(status),
          ),
        ),
        8000,
      );
      expect(store.listening).toBe(false);
      expect(statuses).toContain("down");

      throwaway = await startCluster(ports, bus);
      await waitUntil(() => store.listening, 20_000, "the feed once the cluster is up");
      const writer = redisKeyStore({ client: early, prefix: own });
      const record = sampleKeyRecord();
      await writer.create(record);
      await writer.update(record.id, { enabled: false });
      await waitUntil(() => heard.has(record.id), 2000, "the change");
      await writer.close();
    } finally {
      await store.close();
      early.disconnect();
    }
  }, 60_000);
});
