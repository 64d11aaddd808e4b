/**
 * A key that verified once in this process is confirmed with one store read, not a second
 * argon2, after its cache entry's `ttl` runs out; anything that changed the stored record
 * sends it back to the full path or refuses it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { formatApiKey, parseApiKey } from "../../src/verify/api-key/key-format.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { AuthResult, KeyStore } from "../../src/types.js";
import { setup } from "./helpers.js";
import type { Setup } from "./helpers.js";

// Verified entries age on the verifier's clock, which the setup's fake clock drives.
const TTL = 40;

let current: Setup[] = [];
afterEach(async () => {
  await Promise.all(current.map((s) => s.keys.close()));
  current = [];
});

function codeOf(result: AuthResult): string {
  return result.ok ? "ok" : result.error.code;
}

/**
 * A store that counts reads; with `announce: false` it has no `subscribe`, so a write made
 * straight to `inner` reaches nobody, like a write by a tool that bypasses the feed.
 */
function countingStore(announce = true) {
  const inner = memoryKeyStore();
  const spy = { gets: 0, inner, store: undefined as unknown as KeyStore };
  const { subscribe: _subscribe, ...quiet } = inner;
  spy.store = {
    ...(announce ? inner : quiet),
    get(id: string) {
      spy.gets++;
      return inner.get(id);
    },
  };
  return spy;
}

function make(announce = true) {
  const spy = countingStore(announce);
  const made = setup({ store: spy.store, cache: { ttl: TTL } });
  current.push(made);
  return { ...made, spy, pastTtl: () => made.clock.advance(TTL * 2) };
}

describe("argon2 once per key per process", () => {
  it("admits a key again after its ttl with one store read and no hash verification", async () => {
    const { keys, hasher, spy, pastTtl } = make();
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    expect(codeOf(await keys.verify(key))).toBe("ok");
    expect(hasher.verifies).toBe(1);
    pastTtl();
    const verifies = hasher.verifies;
    const gets = spy.gets;
    expect(codeOf(await keys.verify(key))).toBe("ok");
    expect(hasher.verifies - verifies).toBe(0);
    expect(spy.gets - gets).toBe(1);
    // Back in the verified cache: the next use reads nothing.
    expect(codeOf(await keys.verify(key))).toBe("ok");
    expect(spy.gets - gets).toBe(1);
  });

  it("shares one store read among concurrent uses of the same key", async () => {
    const { keys, hasher, spy, pastTtl } = make();
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await keys.verify(key);
    pastTtl();
    const gets = spy.gets;
    const results = await Promise.all([keys.verify(key), keys.verify(key), keys.verify(key)]);
    expect(results.map(codeOf)).toEqual(["ok", "ok", "ok"]);
    expect(spy.gets - gets).toBe(1);
    expect(hasher.verifies).toBe(1);
  });

  it("verifies the secret again when the stored hash changed", async () => {
    const { keys, hasher, spy, pastTtl } = make(false);
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await keys.verify(key);
    // The same secret hashed again (new salt): an unannounced rehash.
    await spy.inner.update(record.id, { hash: await hasher.hash(parseApiKey(key)!.secret) });
    pastTtl();
    expect(codeOf(await keys.verify(key))).toBe("ok");
    expect(hasher.verifies).toBe(2);
  });

  it("refuses a key whose hash moved to another secret", async () => {
    const { keys, hasher, spy, pastTtl } = make(false);
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await keys.verify(key);
    await spy.inner.update(record.id, { hash: await hasher.hash("another-secret") });
    pastTtl();
    expect(codeOf(await keys.verify(key))).toBe("invalid_api_key");
    expect(hasher.verifies).toBe(2);
  });

  it("refuses a key disabled through the manager", async () => {
    const { keys, hasher, pastTtl } = make();
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await keys.verify(key);
    await keys.manager.update("alice", record.id, { enabled: false });
    pastTtl();
    expect(codeOf(await keys.verify(key))).toBe("key_disabled");
    // Invalidation dropped the memory too: the refusal came from a full verification.
    expect(hasher.verifies).toBe(2);
  });

  it("refuses a key disabled by a write nobody announced", async () => {
    const { keys, hasher, spy, pastTtl } = make(false);
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await keys.verify(key);
    await spy.inner.update(record.id, { enabled: false });
    pastTtl();
    expect(codeOf(await keys.verify(key))).toBe("key_disabled");
    expect(hasher.verifies).toBe(1);
  });

  it("refuses a key deleted by a write nobody announced", async () => {
    const { keys, spy, pastTtl } = make(false);
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await keys.verify(key);
    await spy.inner.delete(record.id);
    pastTtl();
    expect(codeOf(await keys.verify(key))).toBe("invalid_api_key");
  });

  it("never admits a wrong secret for a remembered key id", async () => {
    const { keys, hasher, pastTtl } = make();
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await keys.verify(key);
    pastTtl();
    const parts = parseApiKey(key)!;
    const wrong = formatApiKey({ ...parts, secret: "x".repeat(parts.secret.length) });
    expect(codeOf(await keys.verify(wrong))).toBe("invalid_api_key");
    expect(hasher.verifies).toBe(2);
    expect(codeOf(await keys.verify(key))).toBe("ok");
    expect(hasher.verifies).toBe(2);
  });

  it("answers unavailable when the confirming read fails", async () => {
    const { keys, hasher, spy, pastTtl } = make(false);
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await keys.verify(key);
    pastTtl();
    spy.store.get = () => Promise.reject(new Error("connection refused"));
    expect(codeOf(await keys.verify(key))).toBe("unavailable");
    expect(hasher.verifies).toBe(1);
  });

  it("rejects revalidate options that are not positive integers", () => {
    expect(() => setup({ store: memoryKeyStore(), cache: { revalidateTtl: 0 } })).toThrow(
      /cache\.revalidateTtl/,
    );
    expect(() => setup({ store: memoryKeyStore(), cache: { revalidateMax: -1 } })).toThrow(
      /cache\.revalidateMax/,
    );
  });
});
