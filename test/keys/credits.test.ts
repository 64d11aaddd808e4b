/**
 * Usage credits end to end: over HTTP (Express, memory and SQLite), through the key
 * manager and the key routes, along the chain create → exchange → spend → top up →
 * rotate → disable, and atomically across instances on PostgreSQL, Redis and SQLite.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { postgresKeyStore } from "../../src/stores/postgres.js";
import { redisKeyStore } from "../../src/stores/redis.js";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import { randomId } from "../../src/testing/index.js";
import type { AuthResult, KeyStore } from "../../src/types.js";
import { PG_URL, REDIS_URL } from "../stores/servers.js";
import { cheapArgon2, clock } from "./helpers.js";
import { STORES, withKeyServer, type KeyWorld } from "./key-server.js";

const codeOf = (result: AuthResult) => (result.ok ? "ok" : result.error.code);

async function call(
  world: KeyWorld,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${world.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

async function exchange(world: KeyWorld, key: string) {
  const response = await fetch(`${world.url}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "refresh_token", refresh_token: key }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function meWithToken(world: KeyWorld, token: string) {
  const response = await fetch(`${world.url}/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

for (const { name } of STORES) {
  describe(`usage credits over HTTP, ${name} store`, () => {
    it("spends one per request, answers 429 usage_exceeded at zero, and a top-up lets it go on", async () => {
      await withKeyServer(name, {}, async (world) => {
        const made = await world.auth.keys.create({
          ownerId: "alice",
          name: "metered",
          credits: { remaining: 2 },
        });
        expect(made.record.credits).toMatchObject({ remaining: 2, refill: null });
        expect((await world.me(made.key)).status).toBe(200);
        expect((await world.me(made.key)).status).toBe(200);
        const out = await fetch(`${world.url}/me`, { headers: { "x-api-key": made.key } });
        expect(out.status).toBe(429);
        expect(out.headers.get("www-authenticate")).toBeNull();
        // No refill: nothing to wait for, so no Retry-After.
        expect(out.headers.get("retry-after")).toBeNull();
        expect(await out.json()).toMatchObject({ code: "usage_exceeded", status: 429 });
        const topped = await world.auth.keys.admin.topUp(made.record.id, 3);
        expect(topped?.credits?.remaining).toBe(3);
        expect((await world.me(made.key)).status).toBe(200);
        expect((await world.auth.keys.admin.get(made.record.id))?.credits?.remaining).toBe(2);
        expect(world.events.filter((e) => e.type === "failed").map((e) => e.type)).toEqual([
          "failed",
        ]);
        // The top-up is audited like any change of the key, with the count before and after.
        expect(
          world.events.find((e) => e.type === "key_changed" && e.action === "updated"),
        ).toMatchObject({
          keyId: made.record.id,
          actor: null,
          changes: { credits: { from: { remaining: 0 }, to: { remaining: 3 } } },
        });
      });
    });

    it("tokens minted from a key spend its credits and its rate limit, and die with it", async () => {
      await withKeyServer(name, {}, async (world) => {
        const made = await world.auth.keys.create({
          ownerId: "alice",
          name: "metered",
          metadata: { tenant: "acme" },
          credits: { remaining: 3 },
        });
        // The exchange is a use of the key: it spends one.
        const exchanged = await exchange(world, made.key);
        expect(exchanged.status).toBe(200);
        const token = exchanged.body.access_token as string;
        const first = await meWithToken(world, token);
        expect(first.status).toBe(200);
        expect(first.body).toMatchObject({ via: "jwt", key: { metadata: { tenant: "acme" } } });
        expect((await world.me(made.key)).status).toBe(200);
        const spent = await meWithToken(world, token);
        expect(spent.status).toBe(429);
        expect(spent.body).toMatchObject({ code: "usage_exceeded" });
        const refused = await exchange(world, made.key);
        expect(refused.status).toBe(429);
        expect(refused.body).toMatchObject({ error: "usage_exceeded" });

        await world.auth.keys.admin.topUp(made.record.id, 10);
        expect((await meWithToken(world, token)).status).toBe(200);
        await world.auth.keys.admin.update(made.record.id, { enabled: false });
        expect((await meWithToken(world, token)).status).toBe(401);
        await world.auth.keys.admin.update(made.record.id, { enabled: true });
        // Minted before the disable: refused for good, credits or not.
        expect((await meWithToken(world, token)).status).toBe(401);

        const limited = await world.auth.keys.create({
          ownerId: "alice",
          name: "limited",
          rateLimit: { limit: 2, window: 365 * 86_400_000 },
        });
        const limitedToken = (await exchange(world, limited.key)).body.access_token as string;
        expect((await meWithToken(world, limitedToken)).status).toBe(200);
        const over = await meWithToken(world, limitedToken);
        expect(over.status).toBe(429);
        expect(over.body).toMatchObject({ code: "rate_limited" });
      });
    });

    it("a rotation moves the credits; the old key spends the new key's during the overlap", async () => {
      await withKeyServer(name, {}, async (world) => {
        const made = await world.auth.keys.create({
          ownerId: "alice",
          name: "metered",
          credits: { remaining: 5, refill: { amount: 5, interval: 86_400_000 } },
        });
        expect((await world.me(made.key)).status).toBe(200);
        const rotated = await world.auth.keys.rotate("alice", made.record.id, {
          overlap: 60_000,
        });
        expect(rotated!.record.credits).toMatchObject({
          remaining: 4,
          refill: { amount: 5, interval: 86_400_000 },
        });
        // The refill schedule carries over: the same next refill, not a fresh day.
        expect(rotated!.record.credits?.refilledAt).toEqual(made.record.credits?.refilledAt);
        const old = await world.auth.keys.admin.get(made.record.id);
        expect(old).toMatchObject({
          replacedBy: rotated!.record.id,
          credits: { remaining: 0, refill: null },
        });
        expect((await world.me(made.key)).status).toBe(200);
        expect((await world.me(rotated!.key)).status).toBe(200);
        expect((await world.auth.keys.admin.get(rotated!.record.id))?.credits?.remaining).toBe(2);
        expect((await world.me(made.key)).status).toBe(200);
        expect((await world.me(rotated!.key)).status).toBe(200);
        // Four left were spent, two by each key: both are out now.
        expect((await world.me(made.key)).status).toBe(429);
        expect((await world.me(rotated!.key)).status).toBe(429);
      });
    });

    it("a rotation does not double the rate limit: old and new key count in one window", async () => {
      await withKeyServer(name, {}, async (world) => {
        const made = await world.auth.keys.create({
          ownerId: "alice",
          name: "limited",
          rateLimit: { limit: 3, window: 365 * 86_400_000 },
        });
        const rotated = await world.auth.keys.rotate("alice", made.record.id, {
          overlap: 60_000,
        });
        // One window under the replacement's id for both keys while the overlap lasts.
        expect((await world.me(made.key)).status).toBe(200);
        expect((await world.me(rotated!.key)).status).toBe(200);
        expect((await world.me(made.key)).status).toBe(200);
        const over = await world.me(rotated!.key);
        expect(over).toMatchObject({ status: 429, body: { code: "rate_limited" } });
        expect((await world.me(made.key)).status).toBe(429);
      });
    });

    it("the key routes: admin PATCH sets credits, top-up adds, an owner can do neither", async () => {
      await withKeyServer(name, {}, async (world) => {
        const admin = await world.auth.tokens.issue({
          sub: "root",
          scopes: ["keys:write"],
          roles: ["admin"],
        });
        const alice = await world.auth.tokens.issue({ sub: "alice", scopes: [], roles: [] });
        const made = await world.auth.keys.create({ ownerId: "alice", name: "k" });
        const path = `/users/keys/by-user/alice/${made.record.id}`;
        const notMetered = await call(world, "POST", `${path}/credits`, admin, { amount: 5 });
        expect(notMetered.status).toBe(409);
        const set = await call(world, "PATCH", path, admin, {
          credits: { remaining: 10, refill: { amount: 10, interval: 3_600_000 } },
        });
        expect(set.status).toBe(200);
        expect(set.body.credits).toMatchObject({
          remaining: 10,
          refill: { amount: 10, interval: 3_600_000 },
          refilledAt: expect.any(String) as unknown,
        });
        const topped = await call(world, "POST", `${path}/credits`, admin, { amount: 5 });
        expect(topped).toMatchObject({ status: 200, body: { credits: { remaining: 15 } } });
        const listed = await call(world, "GET", "/users/keys", alice);
        expect((listed.body.items as Array<Record<string, unknown>>)[0]).toMatchObject({
          credits: { remaining: 15 },
        });
        const own = await call(world, "PATCH", `/users/keys/${made.record.id}`, alice, {
          credits: { remaining: 1_000_000 },
        });
        expect(own.status).toBe(400);
        expect(JSON.stringify(own.body)).toContain("credits");
        const bad = await call(world, "PATCH", path, admin, { credits: { remaining: -1 } });
        expect(bad.status).toBe(400);
        const badTopUp = await call(world, "POST", `${path}/credits`, admin, { amount: 0 });
        expect(badTopUp.status).toBe(400);
        const notAdmin = await call(world, "POST", `${path}/credits`, alice, { amount: 5 });
        expect(notAdmin.status).toBe(403);
        const gone = await call(world, "POST", "/users/keys/by-user/alice/nokey/credits", admin, {
          amount: 5,
        });
        expect(gone.status).toBe(404);
        const cleared = await call(world, "PATCH", path, admin, { credits: null });
        expect(cleared).toMatchObject({ status: 200, body: { credits: null } });
      });
    });
  });
}

describe("usage credits in the core", () => {
  it("refills on schedule, with Retry-After until the refill", async () => {
    const time = clock();
    const auth = createAuth({
      apiKeys: { store: memoryKeyStore(), hasher: cheapArgon2(), now: time.now },
    });
    try {
      const made = await auth.keys.create({
        ownerId: "alice",
        name: "k",
        credits: { remaining: 1, refill: { amount: 2, interval: 10_000 } },
      });
      const request = () =>
        auth.authenticate(new Request("http://x/", { headers: { "x-api-key": made.key } }));
      expect(codeOf(await request())).toBe("ok");
      const out = await request();
      expect(codeOf(out)).toBe("usage_exceeded");
      expect(out.ok ? null : out.error.retryAfter).toBe(10);
      time.advance(10_000);
      expect(codeOf(await request())).toBe("ok");
      expect(codeOf(await request())).toBe("ok");
      expect(codeOf(await request())).toBe("usage_exceeded");
    } finally {
      await auth.close();
    }
  });

  it("refuses bad credits and a store that cannot spend them, before anything is stored", async () => {
    const store = memoryKeyStore();
    const auth = createAuth({ apiKeys: { store, hasher: cheapArgon2() } });
    const { spendCredits: _spend, ...withoutSpend } = store;
    const plain = createAuth({
      apiKeys: { store: withoutSpend, hasher: cheapArgon2() },
    });
    try {
      for (const credits of [
        { remaining: -1 },
        { remaining: 1.5 },
        { remaining: 1, refill: { amount: 0, interval: 1 } },
        { remaining: 1, refill: { amount: 1 } },
        { remaining: 1, refilledAt: new Date() },
        "100",
      ]) {
        await expect(
          auth.keys.create({ ownerId: "a", name: "k", credits: credits as never }),
        ).rejects.toThrow(TypeError);
      }
      await expect(
        plain.keys.create({ ownerId: "a", name: "k", credits: { remaining: 1 } }),
      ).rejects.toThrow(/spendCredits/);
      expect(store.size).toBe(0);
    } finally {
      await auth.close();
      await plain.close();
    }
  });

  it("fails closed: a spend that fails or hangs is a 503, never a 200", async () => {
    const store = memoryKeyStore();
    let mode: "ok" | "fail" | "hang" = "ok";
    const faulty: KeyStore = {
      ...store,
      get: (id) => store.get(id),
      spendCredits: (id, cost, now) =>
        mode === "fail"
          ? Promise.reject(new Error("down"))
          : mode === "hang"
            ? new Promise(() => {})
            : store.spendCredits(id, cost, now),
    };
    const auth = createAuth({
      apiKeys: { store: faulty, hasher: cheapArgon2(), storeTimeout: 50 },
    });
    try {
      const made = await auth.keys.create({ ownerId: "a", name: "k", credits: { remaining: 9 } });
      const request = () =>
        auth.authenticate(new Request("http://x/", { headers: { "x-api-key": made.key } }));
      expect(codeOf(await request())).toBe("ok");
      mode = "fail";
      expect(codeOf(await request())).toBe("unavailable");
      mode = "hang";
      expect(codeOf(await request())).toBe("unavailable");
      mode = "ok";
      expect(codeOf(await request())).toBe("ok");
    } finally {
      await auth.close();
    }
  });
});

const schema = `gh_credits_${randomId(4)}`;
afterAll(async () => {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

const SHARED: ReadonlyArray<{
  name: string;
  pair: () => { a: KeyStore; b: KeyStore; done: () => void };
}> = [
  {
    name: "PostgreSQL",
    pair: () => {
      const open = () =>
        postgresKeyStore({ connectionString: PG_URL, schema, table: "keys", onError: () => {} });
      return { a: open(), b: open(), done: () => undefined };
    },
  },
  {
    name: "Redis",
    pair: () => {
      const prefix = `gh-credits-${randomId(4)}:`;
      return {
        a: redisKeyStore({ url: REDIS_URL, prefix }),
        b: redisKeyStore({ url: REDIS_URL, prefix }),
        done: () => undefined,
      };
    },
  },
  {
    name: "SQLite (two connections to one file)",
    pair: () => {
      const dir = mkdtempSync(join(tmpdir(), "gatehouse-credits-"));
      const path = join(dir, "keys.db");
      return {
        a: sqliteKeyStore({ path }),
        b: sqliteKeyStore({ path }),
        done: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

for (const { name, pair } of SHARED) {
  it(`two instances on one ${name} store spend one count: never more than it holds`, async () => {
    const { a, b, done } = pair();
    const authA = createAuth({ apiKeys: { store: a, hasher: cheapArgon2() } });
    const authB = createAuth({ apiKeys: { store: b, hasher: cheapArgon2() } });
    try {
      const made = await authA.keys.create({ ownerId: "o", name: "k", credits: { remaining: 30 } });
      const request = (auth: typeof authA) =>
        auth.authenticate(new Request("http://x/", { headers: { "x-api-key": made.key } }));
      // Warm both caches first, so that the race is between spends, not verifications.
      await request(authA);
      await request(authB);
      const answers = await Promise.all(
        Array.from({ length: 80 }, (_, i) => request(i % 2 === 0 ? authA : authB)),
      );
      const codes = answers.map(codeOf);
      expect(codes.filter((code) => code === "ok").length).toBe(28);
      expect(codes.filter((code) => code === "usage_exceeded").length).toBe(52);
      expect((await authB.keys.admin.get(made.record.id))?.credits?.remaining).toBe(0);
    } finally {
      await authA.close();
      await authB.close();
      done();
    }
  });
}
