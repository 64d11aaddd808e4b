/**
 * Test and live keys, and the default prefix: keys carry their environment, `accept`
 * refuses the others before the store, a relabelled key never verifies, and keys made with
 * the old default prefix `gh` keep working where no prefix was set.
 */
import { describe, expect, it } from "vitest";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { ApiKeyRecord } from "../../src/types.js";
import {
  formatApiKey,
  generateApiKey,
  hashedSecret,
  parseApiKey,
} from "../../src/verify/api-key/key-format.js";
import { cheapArgon2, setup } from "./helpers.js";
import { STORES, withKeyServer } from "./key-server.js";

/** Puts a key made elsewhere (another prefix, say) into a store, as a migration would. */
async function plant(
  store: { create?: (record: ApiKeyRecord) => Promise<void> },
  key: string,
): Promise<string> {
  const parts = parseApiKey(key)!;
  await store.create!({
    id: parts.id,
    ownerId: "alice",
    ownerType: "user",
    name: "old",
    prefix: parts.prefix,
    environment: parts.environment,
    hash: await cheapArgon2().hash(hashedSecret(parts)),
    scopes: [],
    roles: [],
    enabled: true,
    createdAt: new Date(Date.UTC(2025, 0, 1)),
  });
  return parts.id;
}

describe.each(STORES.map((s) => s.name))("test and live keys over HTTP, %s store", (store) => {
  it("issues keys of apiKeys.environment, or of the key's own, and reads them back", async () => {
    await withKeyServer(store, { environment: "test" }, async ({ auth, me }) => {
      const test = await auth.keys.create({ ownerId: "alice", name: "ci" });
      expect(test.key).toMatch(/^gatehouse_test_/);
      expect(test.record.environment).toBe("test");
      const live = await auth.keys.create({ ownerId: "alice", name: "prod", environment: "live" });
      expect(live.key).toMatch(/^gatehouse_live_/);
      const none = await auth.keys.create({ ownerId: "alice", name: "bare", environment: null });
      expect(none.key).toMatch(/^gatehouse_[0-9A-Za-z]{16}_/);
      for (const [key, environment] of [
        [test.key, "test"],
        [live.key, "live"],
        [none.key, null],
      ] as const) {
        const { status, body } = await me(key);
        expect(status).toBe(200);
        expect((body.key as { environment: unknown }).environment).toBe(environment);
      }
      await expect(
        auth.keys.create({ ownerId: "alice", name: "x", environment: "prod" as never }),
      ).rejects.toThrow(/environment/);
    });
  });

  it("refuses environments apiKeys.accept does not list, with a detail, before the store", async () => {
    await withKeyServer(store, { accept: ["live"] }, async ({ auth, events, me }) => {
      const test = await auth.keys.create({ ownerId: "alice", name: "t", environment: "test" });
      const bare = await auth.keys.create({ ownerId: "alice", name: "b" });
      const live = await auth.keys.create({ ownerId: "alice", name: "l", environment: "live" });
      events.length = 0;
      const refused = await me(test.key);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({
        code: "invalid_api_key",
        detail: "API keys for the test environment are not accepted here.",
      });
      expect(events).toEqual([
        {
          type: "failed",
          source: "apiKey",
          code: "invalid_api_key",
          reason: "environment_refused",
          keyId: test.record.id,
        },
      ]);
      const untagged = await me(bare.key);
      expect(untagged.status).toBe(401);
      expect(untagged.body.detail).toBe("API keys without an environment are not accepted here.");
      expect((await me(live.key)).status).toBe(200);
    });
  });

  it("never verifies a test key relabelled live, whatever the store keeps", async () => {
    await withKeyServer(store, {}, async ({ auth, me }) => {
      const test = await auth.keys.create({ ownerId: "alice", name: "t", environment: "test" });
      const parts = parseApiKey(test.key)!;
      // Anyone can compute the checksum of the relabelled key.
      const relabelled = formatApiKey({ ...parts, environment: "live" });
      const stripped = formatApiKey({ ...parts, environment: null });
      expect(parseApiKey(relabelled)).not.toBeNull();
      expect((await me(relabelled)).status).toBe(401);
      expect((await me(stripped)).status).toBe(401);
      expect((await me(test.key)).status).toBe(200);
    });
  });

  it("keeps verifying keys with the old default prefix gh when no prefix is set", async () => {
    await withKeyServer(store, {}, async ({ auth, store: keyStore, me }) => {
      const old = generateApiKey({ prefix: "gh" }).key;
      await plant(keyStore, old);
      const { status, body } = await me(old);
      expect(status).toBe(200);
      expect(body.id).toBe("alice");
      const fresh = await auth.keys.create({ ownerId: "alice", name: "new" });
      expect(fresh.key.startsWith("gatehouse_")).toBe(true);
    });
  });
});

describe("prefixes", () => {
  it("verifies gh keys by default, not once a prefix of one's own is set, and with previousPrefixes", async () => {
    const old = generateApiKey({ prefix: "gh" }).key;
    const byDefault = setup();
    await plant(byDefault.store, old);
    expect((await byDefault.keys.verify(old)).ok).toBe(true);
    expect(byDefault.keys.matches(old)).toBe(true);

    const own = setup({ prefix: "acme" });
    await plant(own.store, old);
    expect(!(await own.keys.verify(old)).ok).toBe(true);
    expect(own.keys.matches(old)).toBe(false);

    const moving = setup({ prefix: "acme", previousPrefixes: ["gh"] });
    await plant(moving.store, old);
    expect((await moving.keys.verify(old)).ok).toBe(true);
    const { key } = await moving.keys.manager.create({ ownerId: "bob", name: "new" });
    expect(key.startsWith("acme_")).toBe(true);

    const none = setup({ previousPrefixes: [] });
    await plant(none.store, old);
    expect(none.keys.matches(old)).toBe(false);
  });

  it("refuses bad prefix, environment and accept options at construction", () => {
    const store = memoryKeyStore();
    expect(() => setup({ store, previousPrefixes: ["Bad"] })).toThrow(/previousPrefixes/);
    expect(() => setup({ store, previousPrefixes: "gh" as never })).toThrow(/previousPrefixes/);
    expect(() => setup({ store, environment: "prod" as never })).toThrow(/environment/);
    expect(() => setup({ store, accept: [] })).toThrow(/accept/);
    expect(() => setup({ store, accept: ["prod" as never] })).toThrow(/accept/);
  });

  it("rotates a key into one of the same environment", async () => {
    const { keys, store } = setup({ environment: "live" });
    const { record } = await keys.manager.create({
      ownerId: "alice",
      name: "ci",
      environment: "test",
    });
    const rotated = await keys.manager.rotate("alice", record.id);
    expect(rotated?.key).toMatch(/^gatehouse_test_/);
    expect((await store.get(rotated!.record.id))?.environment).toBe("test");
  });
});
