import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  formatApiKey,
  generateApiKey,
  parseApiKey,
  parseColonKey,
} from "../../src/verify/api-key/key-format.js";
import type { RateLimiter } from "../../src/verify/api-key/rate-limiter.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { ApiKeyRecord, AuthResult, KeyStore } from "../../src/types.js";
import { cheapArgon2, setup } from "./helpers.js";
import type { Setup } from "./helpers.js";

let current: Setup[] = [];
function make(...args: Parameters<typeof setup>): Setup {
  const made = setup(...args);
  current.push(made);
  return made;
}
afterEach(async () => {
  await Promise.all(current.map((s) => s.keys.close()));
  current = [];
});

function codeOf(result: AuthResult): string {
  return result.ok ? "ok" : result.error.code;
}

/** A key with the right id and checksum but the wrong secret. */
function wrongSecret(key: string, fill = "x"): string {
  const parts = parseApiKey(key)!;
  return formatApiKey({ ...parts, secret: fill.repeat(parts.secret.length) });
}

/** A store that counts reads and can be told to hang or fail. */
function spyStore(inner: KeyStore = memoryKeyStore()) {
  const spy = {
    gets: 0,
    mode: "ok" as "ok" | "hang" | "fail",
    store: {
      ...inner,
      get(id: string) {
        spy.gets++;
        if (spy.mode === "hang") return new Promise<ApiKeyRecord | null>(() => undefined);
        if (spy.mode === "fail") return Promise.reject(new Error("connection refused"));
        return inner.get(id);
      },
    },
  };
  return spy;
}

describe("verify: the happy path", () => {
  it("authenticates a key it created, as the owner, via apiKey", async () => {
    const { keys, events } = make();
    const { key, record } = await keys.manager.create({
      ownerId: "alice",
      name: "ci",
      scopes: ["reports:read"],
      roles: ["reader"],
    });
    events.length = 0;
    const result = await keys.verify(key);
    expect(result).toEqual({
      ok: true,
      principal: {
        id: "alice",
        type: "apiKey",
        via: "apiKey",
        scopes: ["reports:read"],
        roles: ["reader"],
        key: { id: record.id, name: "ci", ownerId: "alice", environment: null, metadata: null },
      },
    });
    expect(events).toEqual([
      { type: "authenticated", source: "apiKey", principalId: "alice", keyId: record.id },
    ]);
  });

  it("makes service-owned keys authenticate as type service", async () => {
    const { keys } = make();
    const { key } = await keys.manager.create({
      ownerId: "billing",
      ownerType: "service",
      name: "s",
    });
    const result = await keys.verify(key);
    expect(result.ok && result.principal.type).toBe("service");
  });

  it("serves a repeated key from the cache: one store read, one hash verify", async () => {
    const spy = spyStore();
    const { keys, hasher } = make({ store: spy.store });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    for (let i = 0; i < 5; i++) expect(codeOf(await keys.verify(key))).toBe("ok");
    expect(spy.gets).toBe(1);
    expect(hasher.verifies).toBe(1);
  });

  it("shares one frozen principal per cached key: editing it throws, the cache is unchanged", async () => {
    const { keys } = make();
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci", scopes: ["a"] });
    const first = await keys.verify(key);
    if (!first.ok) throw first.error;
    expect(Object.isFrozen(first.principal)).toBe(true);
    expect(() => (first.principal.scopes as string[]).push("admin")).toThrow(TypeError);
    expect(() => Object.assign(first.principal.key ?? {}, { id: "other" })).toThrow(TypeError);
    const second = await keys.verify(key);
    expect(second.ok && second.principal.scopes).toEqual(["a"]);
    expect(second.ok && second.principal).toBe(first.principal);
  });

  it("50 concurrent requests with one new key cause exactly one hash verify", async () => {
    const spy = spyStore();
    const { keys, hasher } = make({ store: spy.store });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const results = await Promise.all(Array.from({ length: 50 }, () => keys.verify(key)));
    expect(results.map(codeOf)).toEqual(Array(50).fill("ok"));
    expect(hasher.verifies).toBe(1);
    expect(spy.gets).toBe(1);
  });
});

describe("verify: refusals", () => {
  it("refuses malformed input before any store read or hash", async () => {
    const spy = spyStore();
    const { keys, hasher, events } = make({ store: spy.store });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    events.length = 0;
    for (const raw of ["", "nope", key.slice(0, -1) + (key.endsWith("a") ? "b" : "a"), key + " "]) {
      expect(codeOf(await keys.verify(raw))).toBe("invalid_api_key");
    }
    expect(codeOf(await keys.verify(undefined as unknown as string))).toBe("invalid_api_key");
    expect(spy.gets).toBe(0);
    expect(hasher.verifies).toBe(0);
    expect(events.every((e) => e.type === "failed" && e.code === "invalid_api_key")).toBe(true);
  });

  it("arbitrary strings never authenticate and never throw", async () => {
    const { keys } = make();
    await keys.manager.create({ ownerId: "alice", name: "ci" });
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 150 }), async (raw) => {
        expect((await keys.verify(raw)).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a key of another prefix", async () => {
    const { keys } = make({ prefix: "live" });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    expect(codeOf(await keys.verify(key))).toBe("ok");
    const other = make({ prefix: "test", store: current[0]!.store });
    expect(codeOf(await other.keys.verify(key))).toBe("invalid_api_key");
  });

  it("answers invalid_api_key alike for a wrong secret and an unknown id", async () => {
    const { keys } = make();
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const wrong = await keys.verify(wrongSecret(key));
    const unknown = await keys.verify(generateApiKey().key);
    expect(codeOf(wrong)).toBe("invalid_api_key");
    expect(codeOf(unknown)).toBe("invalid_api_key");
    expect(!wrong.ok && !unknown.ok && wrong.error.detail === unknown.error.detail).toBe(true);
  });

  it("remembers a failed key: the same bad key again costs no hash", async () => {
    const { keys, hasher } = make();
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const bad = wrongSecret(key);
    for (let i = 0; i < 5; i++) expect(codeOf(await keys.verify(bad))).toBe("invalid_api_key");
    expect(hasher.verifies).toBe(1);
    expect(codeOf(await keys.verify(key))).toBe("ok");
  });

  it("throttles an id after repeated failures, without touching the store", async () => {
    const spy = spyStore();
    const { keys, clock } = make({ store: spy.store, failureThrottle: { max: 3, window: 60_000 } });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    for (const fill of ["a", "b", "c"])
      expect(codeOf(await keys.verify(wrongSecret(key, fill)))).toBe("invalid_api_key");
    const reads = spy.gets;
    const blocked = await keys.verify(wrongSecret(key, "d"));
    expect(codeOf(blocked)).toBe("rate_limited");
    expect(!blocked.ok && blocked.error.retryAfter).toBeGreaterThan(0);
    expect(codeOf(await keys.verify(key))).toBe("rate_limited");
    expect(spy.gets).toBe(reads);
    clock.advance(60_000);
    expect(codeOf(await keys.verify(key))).toBe("ok");
  });

  it("a flood of bad secrets for one id costs at most `max` hashes; good keys still pass", async () => {
    const { keys, hasher } = make({ failureThrottle: { max: 5, window: 60_000 } });
    const victim = await keys.manager.create({ ownerId: "alice", name: "victim" });
    const bystander = await keys.manager.create({ ownerId: "bob", name: "other" });
    expect(codeOf(await keys.verify(victim.key))).toBe("ok");
    const before = hasher.verifies;
    const parts = parseApiKey(victim.key)!;
    const guess = (i: number) => formatApiKey({ ...parts, secret: `${i}`.padStart(32, "x") });
    // Concurrent guesses: running verifications count against the budget too.
    const flood = await Promise.all(Array.from({ length: 100 }, (_, i) => keys.verify(guess(i))));
    expect(new Set(flood.map(codeOf))).toEqual(new Set(["invalid_api_key", "rate_limited"]));
    for (let i = 100; i < 150; i++)
      expect(codeOf(await keys.verify(guess(i)))).toBe("rate_limited");
    expect(hasher.verifies - before).toBe(5);
    // The victim's key is cached and unaffected; other ids are not throttled.
    expect(codeOf(await keys.verify(victim.key))).toBe("ok");
    expect(codeOf(await keys.verify(bystander.key))).toBe("ok");
  });

  it("answers key_disabled and key_expired only to the holder of the secret", async () => {
    const { keys, clock } = make();
    const off = await keys.manager.create({ ownerId: "alice", name: "off" });
    await keys.manager.update("alice", off.record.id, { enabled: false });
    const old = await keys.manager.create({
      ownerId: "alice",
      name: "old",
      expiresAt: new Date(clock.now() + 1000),
    });
    clock.advance(1000);
    expect(codeOf(await keys.verify(off.key))).toBe("key_disabled");
    expect(codeOf(await keys.verify(old.key))).toBe("key_expired");
    expect(codeOf(await keys.verify(wrongSecret(off.key)))).toBe("invalid_api_key");
    expect(codeOf(await keys.verify(wrongSecret(old.key)))).toBe("invalid_api_key");
    expect((await keys.manager.get("alice", old.record.id))?.status).toBe("expired");
  });

  it("stops a cached key when it expires", async () => {
    const { keys, clock } = make();
    const { key } = await keys.manager.create({
      ownerId: "alice",
      name: "ci",
      expiresAt: new Date(clock.now() + 10_000),
    });
    expect(codeOf(await keys.verify(key))).toBe("ok");
    clock.advance(10_000);
    expect(codeOf(await keys.verify(key))).toBe("key_expired");
  });
});

describe("verify: changes take effect at once", () => {
  it("a disabled key stops working in this process even while cached", async () => {
    const { keys } = make();
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    expect(codeOf(await keys.verify(key))).toBe("ok");
    await keys.manager.update("alice", record.id, { enabled: false });
    expect(codeOf(await keys.verify(key))).toBe("key_disabled");
    await keys.manager.update("alice", record.id, { enabled: true });
    expect(codeOf(await keys.verify(key))).toBe("ok");
  });

  it("a deleted key stops working at once", async () => {
    const { keys } = make();
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    expect(codeOf(await keys.verify(key))).toBe("ok");
    expect(await keys.manager.delete("alice", record.id)).toBe(true);
    expect(codeOf(await keys.verify(key))).toBe("invalid_api_key");
  });

  it("scope changes show in the next request", async () => {
    const { keys } = make();
    const { key, record } = await keys.manager.create({
      ownerId: "alice",
      name: "ci",
      scopes: ["a"],
    });
    await keys.verify(key);
    await keys.manager.update("alice", record.id, { scopes: ["b"] });
    const result = await keys.verify(key);
    expect(result.ok && result.principal.scopes).toEqual(["b"]);
  });

  it("a change another instance makes reaches this one through store.subscribe", async () => {
    const store = memoryKeyStore();
    const a = make({ store });
    const b = make({ store });
    const { key, record } = await a.keys.manager.create({ ownerId: "alice", name: "ci" });
    expect(codeOf(await b.keys.verify(key))).toBe("ok");
    await a.keys.manager.update("alice", record.id, { enabled: false });
    expect(codeOf(await b.keys.verify(key))).toBe("key_disabled");
  });

  it("a change during a verification in flight is neither cached nor shared", async () => {
    const store = memoryKeyStore();
    const held: Array<() => void> = [];
    let holding = false;
    const gated: KeyStore = {
      ...store,
      async get(id) {
        const record = await store.get(id);
        if (holding) await new Promise<void>((resolve) => held.push(resolve));
        return record;
      },
    };
    const { keys, hasher } = make({ store: gated });
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    holding = true;
    const started = keys.verify(key);
    await expect.poll(() => held.length).toBe(1);
    holding = false;
    await keys.manager.update("alice", record.id, { enabled: false });
    // A request after the change must not join the flight that read the old record.
    expect(codeOf(await keys.verify(key))).toBe("key_disabled");
    held.forEach((resolve) => resolve());
    await started;
    // Nor may that flight leave its stale "good" answer in the cache.
    expect(codeOf(await keys.verify(key))).toBe("key_disabled");
    expect(hasher.verifies).toBeGreaterThanOrEqual(2);
  });
});

describe("verify: unavailable, never 200 and never a throw", () => {
  it("a store whose get hangs answers unavailable within the timeout", async () => {
    const spy = spyStore();
    const { keys, events } = make({ store: spy.store, storeTimeout: 50 });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    spy.mode = "hang";
    const result = await keys.verify(key);
    expect(codeOf(result)).toBe("unavailable");
    expect(!result.ok && result.error.retryAfter).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: "unavailable", reason: "store_error" });
  });

  it("a store that throws answers unavailable, and recovers when it is back", async () => {
    const spy = spyStore();
    const { keys } = make({ store: spy.store });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    spy.mode = "fail";
    expect(codeOf(await keys.verify(key))).toBe("unavailable");
    spy.mode = "ok";
    expect(codeOf(await keys.verify(key))).toBe("ok");
  });

  it("while the store is failing, a cached key keeps working by default (serve-cached)", async () => {
    const spy = spyStore();
    const { keys } = make({ store: spy.store });
    const cached = await keys.manager.create({ ownerId: "alice", name: "cached" });
    const other = await keys.manager.create({ ownerId: "alice", name: "other" });
    expect(codeOf(await keys.verify(cached.key))).toBe("ok");
    spy.mode = "fail";
    expect(codeOf(await keys.verify(other.key))).toBe("unavailable");
    expect(codeOf(await keys.verify(cached.key))).toBe("ok");
  });

  it("with whenStoreDown fail-closed, a cached key is refused once the store is seen failing", async () => {
    const spy = spyStore();
    const { keys } = make({ store: spy.store, whenStoreDown: "fail-closed" });
    const cached = await keys.manager.create({ ownerId: "alice", name: "cached" });
    const other = await keys.manager.create({ ownerId: "alice", name: "other" });
    expect(codeOf(await keys.verify(cached.key))).toBe("ok");
    const readsWhileHealthy = spy.gets;
    expect(codeOf(await keys.verify(cached.key))).toBe("ok");
    expect(spy.gets).toBe(readsWhileHealthy); // a hit, no store read while healthy
    spy.mode = "fail";
    expect(codeOf(await keys.verify(other.key))).toBe("unavailable");
    expect(codeOf(await keys.verify(cached.key))).toBe("unavailable");
    spy.mode = "ok";
    expect(codeOf(await keys.verify(cached.key))).toBe("ok");
    const readsAfterRecovery = spy.gets;
    expect(codeOf(await keys.verify(cached.key))).toBe("ok");
    expect(spy.gets).toBe(readsAfterRecovery); // back to cache hits
  });

  it("refuses an unknown whenStoreDown value at construction", () => {
    expect(() =>
      make({ store: memoryKeyStore(), whenStoreDown: "open" as unknown as "fail-closed" }),
    ).toThrow(/whenStoreDown/);
  });

  it("a hasher that throws answers unavailable", async () => {
    const store = memoryKeyStore();
    const { keys } = make({ store });
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await store.update(record.id, { hash: "not a hash" });
    expect(codeOf(await keys.verify(key))).toBe("unavailable");
  });

  it("past the bounded verify queue, answers unavailable at once", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const inner = cheapArgon2();
    const { keys } = make({
      hashConcurrency: { max: 1, queue: 1 },
      hasher: {
        id: "slow",
        hash: (s) => inner.hash(s),
        verify: async (h, s) => {
          await gate;
          return inner.verify(h, s);
        },
      },
    });
    const made = await Promise.all(
      [1, 2, 3].map((n) => keys.manager.create({ ownerId: "alice", name: `k${n}` })),
    );
    const pending = made.map((m) => keys.verify(m.key));
    const third = await pending[2]!;
    expect(codeOf(third)).toBe("unavailable");
    open();
    expect((await Promise.all(pending.slice(0, 2))).map(codeOf)).toEqual(["ok", "ok"]);
  });

  it("an onEvent listener that throws does not change the answer", async () => {
    const { keys } = make();
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const throwing = setup({ store: current[0]!.store });
    current.push(throwing);
    const { createApiKeys } = await import("../../src/verify/api-key/api-keys.js");
    const loud = createApiKeys(
      { store: throwing.store, hasher: cheapArgon2() },
      {
        onEvent: () => {
          throw new Error("listener bug");
        },
      },
    );
    expect(codeOf(await loud.verify(key))).toBe("ok");
    await loud.close();
  });
});

describe("verify: per-key rate limit", () => {
  it("is off by default", async () => {
    const { keys } = make();
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    for (let i = 0; i < 50; i++) expect(codeOf(await keys.verify(key))).toBe("ok");
  });

  it("answers rate_limited with retryAfter past the key's budget, then recovers", async () => {
    const { keys, clock } = make();
    const { key } = await keys.manager.create({
      ownerId: "alice",
      name: "ci",
      rateLimit: { limit: 3, window: 10_000 },
    });
    clock.set(Math.ceil(clock.now() / 10_000) * 10_000);
    for (let i = 0; i < 3; i++) expect(codeOf(await keys.verify(key))).toBe("ok");
    const limited = await keys.verify(key);
    expect(codeOf(limited)).toBe("rate_limited");
    expect(!limited.ok && limited.error.retryAfter).toBe(10);
    clock.advance(10_000);
    expect(codeOf(await keys.verify(key))).toBe("ok");
  });

  it("takes a pluggable limiter", async () => {
    const calls: string[] = [];
    const limiter: RateLimiter = {
      consume(keyId) {
        calls.push(keyId);
        return Promise.resolve({ ok: false, retryAfter: 2500 });
      },
    };
    const { keys } = make({ rateLimiter: limiter });
    const { key, record } = await keys.manager.create({
      ownerId: "alice",
      name: "ci",
      rateLimit: { limit: 1, window: 1000 },
    });
    const result = await keys.verify(key);
    expect(!result.ok && [result.error.code, result.error.retryAfter]).toEqual(["rate_limited", 3]);
    expect(calls).toEqual([record.id]);
  });
});

describe("verify: last use, rehash, legacy keys", () => {
  it("coalesces last-used writes into one touch per key, flushed on close", async () => {
    const store = memoryKeyStore();
    const batches: unknown[] = [];
    const touching: KeyStore = {
      ...store,
      touch: (batch) => {
        batches.push(batch);
        return store.touch(batch);
      },
    };
    const { keys, clock } = make({ store: touching, touchInterval: 60_000 });
    const a = await keys.manager.create({ ownerId: "alice", name: "a" });
    const b = await keys.manager.create({ ownerId: "alice", name: "b" });
    for (let i = 0; i < 20; i++) {
      await keys.verify(a.key);
      await keys.verify(b.key);
    }
    await keys.close();
    expect(batches).toEqual([
      [
        { id: a.record.id, lastUsedAt: new Date(clock.now()) },
        { id: b.record.id, lastUsedAt: new Date(clock.now()) },
      ],
    ]);
    expect((await store.get(a.record.id))?.lastUsedAt).toEqual(new Date(clock.now()));
  });

  it("warns once, with a code, when the store keeps failing last-used writes", async () => {
    const inner = memoryKeyStore();
    let failures = 0;
    const store: KeyStore = {
      ...inner,
      touch: () => Promise.reject(new Error(`read-only ${++failures}`)),
    };
    const warnings: Array<Error & { code?: string }> = [];
    const listen = (w: Error & { code?: string }) => void warnings.push(w);
    process.on("warning", listen);
    try {
      // A 50 ms interval also makes the batch timer fire after 50 ms: two separate writes.
      const { keys, clock } = make({ store, touchInterval: 50 });
      const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
      await keys.verify(key);
      await expect.poll(() => failures).toBe(1);
      clock.advance(100);
      await keys.verify(key);
      await keys.close();
      expect(failures).toBe(2);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.code === "GATEHOUSE_TOUCH_FAILED")).toHaveLength(1);
    } finally {
      process.off("warning", listen);
    }
  });

  it("re-hashes an outdated hash after a good verify", async () => {
    const store = memoryKeyStore();
    const old = make({ store, hasher: cheapArgon2() });
    const { key, record } = await old.keys.manager.create({ ownerId: "alice", name: "ci" });
    const before = (await store.get(record.id))!.hash;
    const { argon2Hasher } = await import("../../src/crypto/argon2.js");
    const upgraded = make({ store, hasher: argon2Hasher({ memoryCost: 512, timeCost: 1 }) });
    expect(codeOf(await upgraded.keys.verify(key))).toBe("ok");
    await expect.poll(async () => (await store.get(record.id))!.hash).not.toBe(before);
    expect((await store.get(record.id))!.hash).toMatch(/m=512,t=1/);
    expect(codeOf(await upgraded.keys.verify(key))).toBe("ok");
  });

  it("accepts a legacy username:key through parseKey", async () => {
    const store = memoryKeyStore();
    const hasher = cheapArgon2();
    await store.create({
      id: "myUsername",
      ownerId: "user-7",
      ownerType: "user",
      name: "legacy",
      prefix: "",
      hash: await hasher.hash("myLongKeyGoesHere"),
      scopes: [],
      roles: [],
      enabled: true,
      createdAt: new Date(),
    });
    const { keys } = make({ store, hasher, parseKey: parseColonKey, header: ["x-api-auth"] });
    expect(keys.headers).toEqual(["x-api-auth"]);
    const result = await keys.verify("myUsername:myLongKeyGoesHere");
    expect(result.ok && result.principal.id).toBe("user-7");
    expect(codeOf(await keys.verify("myUsername:wrong"))).toBe("invalid_api_key");
    expect(keys.matches("myUsername:myLongKeyGoesHere")).toBe(false);
  });

  it("survives a parseKey that throws or returns junk", async () => {
    const { keys } = make({
      parseKey: (raw) => {
        if (raw === "boom") throw new Error("bug");
        return { id: "", secret: raw };
      },
    });
    expect(codeOf(await keys.verify("boom"))).toBe("invalid_api_key");
    expect(codeOf(await keys.verify("whatever"))).toBe("invalid_api_key");
  });
});

describe("events", () => {
  it("reports each outcome with a reason for logs and the key id, never the key", async () => {
    const spy = spyStore();
    const { keys, events } = make({ store: spy.store });
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    events.length = 0;
    await keys.verify("garbage");
    await keys.verify(wrongSecret(key));
    await keys.verify(key);
    spy.mode = "fail";
    await keys.verify(generateApiKey().key);
    expect(events.map((e) => [e.type, "reason" in e ? e.reason : undefined])).toEqual([
      ["failed", "malformed"],
      ["failed", "wrong_secret"],
      ["authenticated", undefined],
      ["unavailable", "store_error"],
    ]);
    expect(events[1]).toMatchObject({ code: "invalid_api_key", keyId: record.id });
    expect(JSON.stringify(events)).not.toContain(parseApiKey(key)!.secret);
  });
});

describe("close", () => {
  it("can be called twice, and writes the pending last use first", async () => {
    const inner = memoryKeyStore();
    let closed = 0;
    const store: KeyStore = { ...inner, close: () => Promise.resolve(void closed++) };
    const { keys, clock } = make({ store });
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await keys.verify(key);
    await keys.close();
    await keys.close();
    expect((await inner.get(record.id))?.lastUsedAt).toEqual(new Date(clock.now()));
    expect(closed).toBe(1);
  });
});

describe("matches / headers / options", () => {
  it("matches only this deployment's format with a valid checksum", async () => {
    const { keys } = make({ prefix: "live" });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    expect(keys.matches(key)).toBe(true);
    expect(keys.matches(wrongSecret(key))).toBe(true);
    expect(keys.matches(key.slice(0, -1))).toBe(false);
    expect(keys.matches(generateApiKey({ prefix: "test" }).key)).toBe(false);
    expect(keys.matches("eyJhbGciOiJIUzI1NiJ9.e30.sig")).toBe(false);
  });

  it("defaults to the x-api-key header and lower-cases configured ones", () => {
    expect(make().keys.headers).toEqual(["x-api-key"]);
    expect(make({ header: ["X-API-Key", "X-Api-Auth"] }).keys.headers).toEqual([
      "x-api-key",
      "x-api-auth",
    ]);
  });

  it("refuses bad options with a TypeError naming them", async () => {
    const { createApiKeys } = await import("../../src/verify/api-key/api-keys.js");
    const store = memoryKeyStore();
    const ctx = { onEvent: () => undefined };
    expect(() => createApiKeys({} as never, ctx)).toThrow(/store/);
    expect(() => createApiKeys({ store, prefix: "Bad_" }, ctx)).toThrow(/prefix/);
    expect(() => createApiKeys({ store, header: "bad header" }, ctx)).toThrow(/header/);
    expect(() => createApiKeys({ store, storeTimeout: 0 }, ctx)).toThrow(/storeTimeout/);
    expect(() => createApiKeys({ store, cache: { ttl: -1 } }, ctx)).toThrow(/cache.ttl/);
    expect(() => createApiKeys({ store, hashConcurrency: { queue: -1 } }, ctx)).toThrow(
      /hashConcurrency.queue/,
    );
    expect(() => createApiKeys({ store, hashConcurrency: { max: 0 } }, ctx)).toThrow(
      /hashConcurrency.max/,
    );
    expect(() => createApiKeys({ store, parseKey: "x" as never }, ctx)).toThrow(/parseKey/);
  });
});
