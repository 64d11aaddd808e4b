import { afterEach, describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { AuthResult, KeyStore, Principal } from "../../src/types.js";
import { setup } from "./helpers.js";
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

const codeOf = (result: AuthResult): string => (result.ok ? "ok" : result.error.code);

function actor(scopes: string[], roles: string[] = [], via: Principal["via"] = "jwt"): Principal {
  const key = via === "apiKey" ? { key: { id: "k1", name: "ci", ownerId: "alice" } } : {};
  return { id: "alice", type: via === "apiKey" ? "apiKey" : "user", via, scopes, roles, ...key };
}

describe("create", () => {
  it("refuses more than apiKeys.maxKeysPerOwner keys per owner, even when created at once", async () => {
    const { keys } = make({ maxKeysPerOwner: 3 });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => keys.manager.create({ ownerId: "alice", name: `k${i}` })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r.status === "rejected" && r.reason).toMatchObject({ name: "KeyConflictError" });
    }
    // Another owner has room of their own.
    await expect(keys.manager.create({ ownerId: "bob", name: "b" })).resolves.toBeTruthy();
    expect(() => make({ maxKeysPerOwner: 0 })).toThrow(TypeError);
  });

  it("returns the plaintext once and stores only a hash", async () => {
    const store = memoryKeyStore();
    const { keys } = make({ store });
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const parts = key.split("_");
    const stored = await store.get(record.id);
    expect(JSON.stringify(stored)).not.toContain(parts[2]!.slice(0, 32));
    expect(stored?.hash).toMatch(/^\$argon2id\$/);
    expect(record).not.toHaveProperty("hash");
    expect(record).toMatchObject({
      ownerId: "alice",
      ownerType: "user",
      name: "ci",
      prefix: "gatehouse",
      scopes: [],
      roles: [],
      enabled: true,
      expiresAt: null,
      lastUsedAt: null,
      status: "active",
    });
    expect(await keys.manager.get("alice", record.id)).toEqual(record);
  });

  it("refuses bad input with a TypeError naming the field", async () => {
    const { keys } = make();
    const base = { ownerId: "alice", name: "ci" };
    const cases: Array<[object, RegExp]> = [
      [{ ...base, ownerId: "" }, /ownerId/],
      [{ ...base, name: " " }, /name/],
      [{ ...base, scopes: ["a b"] }, /scopes/],
      [{ ...base, scopes: "a" }, /scopes/],
      [{ ...base, roles: [1] }, /roles/],
      [{ ...base, ownerType: "robot" }, /ownerType/],
      [{ ...base, expiresAt: new Date(0) }, /expiresAt/],
      [{ ...base, expiresAt: "tomorrow" }, /expiresAt/],
      [{ ...base, metadata: [] }, /metadata/],
      [{ ...base, rateLimit: { limit: 0, window: 1000 } }, /rateLimit/],
      [{ ...base, enabled: false }, /input\.enabled/],
    ];
    for (const [input, message] of cases) {
      await expect(keys.manager.create(input as never)).rejects.toThrow(message);
      await expect(keys.manager.create(input as never)).rejects.toBeInstanceOf(TypeError);
    }
  });

  it("never grants more scopes or roles than the actor holds", async () => {
    const { keys } = make();
    const input = { ownerId: "alice", name: "ci", scopes: ["reports:read", "admin"] };
    const refused = keys.manager.create(input, actor(["reports:read"]));
    await expect(refused).rejects.toBeInstanceOf(AuthError);
    await expect(refused).rejects.toMatchObject({ code: "forbidden" });
    await expect(refused).rejects.toThrow(/admin/);
    await expect(
      keys.manager.create(
        { ownerId: "alice", name: "ci", roles: ["admin"] },
        actor(["x"], ["user"]),
      ),
    ).rejects.toMatchObject({ code: "forbidden" });
    const ok = await keys.manager.create(input, actor(["reports:read", "admin", "more"]));
    expect(ok.record.scopes).toEqual(["reports:read", "admin"]);
  });

  it("lets an API key issue keys only with the keys:write scope", async () => {
    const { keys } = make();
    const input = { ownerId: "alice", name: "child", scopes: ["a"] };
    await expect(keys.manager.create(input, actor(["a"], [], "apiKey"))).rejects.toMatchObject({
      code: "forbidden",
    });
    const made = await keys.manager.create(input, actor(["a", "keys:write"], [], "apiKey"));
    expect(made.record.scopes).toEqual(["a"]);
  });

  it("names the missing store method when the store cannot manage keys", async () => {
    const store = memoryKeyStore();
    const getOnly: KeyStore = { get: (id) => store.get(id) };
    const { keys } = make({ store: getOnly });
    await expect(keys.manager.create({ ownerId: "a", name: "n" })).rejects.toThrow(/create\(\)/);
    await expect(keys.manager.list("a")).rejects.toThrow(/listByOwner\(\)/);
    await store.create({
      id: "k1",
      ownerId: "a",
      ownerType: "user",
      name: "n",
      prefix: "gh",
      hash: "h",
      scopes: [],
      roles: [],
      enabled: true,
      createdAt: new Date(),
    });
    await expect(keys.manager.update("a", "k1", { name: "m" })).rejects.toThrow(/update\(\)/);
    await expect(keys.manager.delete("a", "k1")).rejects.toThrow(/delete\(\)/);
  });

  it("turns a hanging store into AuthError unavailable after managerTimeout", async () => {
    const store = memoryKeyStore();
    const { keys } = make({
      store: { ...store, listByOwner: () => new Promise(() => undefined) },
      managerTimeout: 30,
    });
    await expect(keys.manager.list("alice")).rejects.toMatchObject({ code: "unavailable" });
  });

  it("turns a failing store into AuthError unavailable", async () => {
    const store = memoryKeyStore();
    const { keys } = make({ store: { ...store, create: () => Promise.reject(new Error("down")) } });
    await expect(keys.manager.create({ ownerId: "a", name: "n" })).rejects.toMatchObject({
      code: "unavailable",
    });
  });
});

describe("owner scoping", () => {
  it("treats another owner's key as not found, everywhere", async () => {
    const { keys } = make();
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    expect(await keys.manager.get("mallory", record.id)).toBeNull();
    expect(await keys.manager.update("mallory", record.id, { enabled: false })).toBeNull();
    expect(await keys.manager.delete("mallory", record.id)).toBe(false);
    expect(await keys.manager.rotate("mallory", record.id)).toBeNull();
    expect((await keys.manager.list("mallory")).items).toEqual([]);
    expect(codeOf(await keys.verify(key))).toBe("ok");
    expect(await keys.manager.get("alice", "no-such-id")).toBeNull();
  });

  it("lists an owner's keys oldest first, paged, without hashes", async () => {
    const { keys, clock } = make();
    for (const name of ["a", "b", "c"]) {
      await keys.manager.create({ ownerId: "alice", name });
      clock.advance(1);
    }
    await keys.manager.create({ ownerId: "bob", name: "x" });
    const first = await keys.manager.list("alice", { limit: 2 });
    expect(first.items.map((k) => k.name)).toEqual(["a", "b"]);
    expect(first.items[0]).not.toHaveProperty("hash");
    const second = await keys.manager.list("alice", { limit: 2, cursor: first.next });
    expect(second.items.map((k) => k.name)).toEqual(["c"]);
    expect(second.next).toBeNull();
  });
});

describe("update", () => {
  it("changes name, enabled, scopes and expiry, and refuses other fields", async () => {
    const { keys, clock } = make();
    const { record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const later = new Date(clock.now() + 86_400_000);
    const updated = await keys.manager.update("alice", record.id, {
      name: "deploy",
      enabled: false,
      scopes: ["x"],
      expiresAt: later,
    });
    expect(updated).toMatchObject({
      name: "deploy",
      enabled: false,
      scopes: ["x"],
      expiresAt: later,
      status: "disabled",
    });
    await expect(
      keys.manager.update("alice", record.id, { roles: ["admin"] } as never),
    ).rejects.toThrow(/patch\.roles/);
    await expect(
      keys.manager.update("alice", record.id, { ownerId: "bob" } as never),
    ).rejects.toThrow(/patch\.ownerId/);
    await expect(
      keys.manager.update("alice", record.id, { enabled: "no" } as never),
    ).rejects.toThrow(/enabled/);
  });

  it("refuses scopes beyond the actor's own", async () => {
    const { keys } = make();
    const { record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await expect(
      keys.manager.update("alice", record.id, { scopes: ["admin"] }, actor(["reports:read"])),
    ).rejects.toMatchObject({ code: "forbidden" });
    expect((await keys.manager.get("alice", record.id))?.scopes).toEqual([]);
  });

  it("needs apiKeys.writeScope when the actor is an API key, as create does", async () => {
    const { keys } = make({ writeScope: "keys:manage" });
    expect(keys.manager.writeScope).toBe("keys:manage");
    const { record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const plainKey = actor(["keys:write"], [], "apiKey");
    await expect(
      keys.manager.update("alice", record.id, { name: "renamed" }, plainKey),
    ).rejects.toMatchObject({ code: "forbidden" });
    await expect(
      keys.manager.create({ ownerId: "alice", name: "more" }, plainKey),
    ).rejects.toMatchObject({ code: "forbidden" });
    const writer = actor(["keys:manage"], [], "apiKey");
    const renamed = await keys.manager.update("alice", record.id, { name: "renamed" }, writer);
    expect(renamed?.name).toBe("renamed");
    // A token-authenticated user needs no write scope.
    await expect(
      keys.manager.update("alice", record.id, { name: "again" }, actor([])),
    ).resolves.toMatchObject({ name: "again" });
  });

  it("refuses an empty or multi-word writeScope at construction", () => {
    expect(() => make({ writeScope: "" })).toThrow(/writeScope/);
    expect(() => make({ writeScope: "a b" })).toThrow(/writeScope/);
  });
});

describe("rotate", () => {
  it("issues a new key with the same settings; the old one works for the overlap, then expires", async () => {
    const { keys, clock } = make();
    const old = await keys.manager.create({
      ownerId: "alice",
      name: "ci",
      scopes: ["a"],
      roles: ["r"],
      metadata: { team: "x" },
      rateLimit: { limit: 100, window: 1000 },
    });
    expect(codeOf(await keys.verify(old.key))).toBe("ok");
    const rotated = await keys.manager.rotate("alice", old.record.id, { overlap: 60_000 });
    expect(rotated?.key).not.toBe(old.key);
    expect(rotated?.record).toMatchObject({
      ownerId: "alice",
      name: "ci",
      scopes: ["a"],
      roles: ["r"],
      metadata: { team: "x" },
      rateLimit: { limit: 100, window: 1000 },
      status: "active",
    });
    expect(codeOf(await keys.verify(rotated!.key))).toBe("ok");
    clock.advance(59_999);
    expect(codeOf(await keys.verify(old.key))).toBe("ok");
    clock.advance(1);
    expect(codeOf(await keys.verify(old.key))).toBe("key_expired");
    expect(codeOf(await keys.verify(rotated!.key))).toBe("ok");
    // Marked, not deleted.
    expect((await keys.manager.get("alice", old.record.id))?.status).toBe("rotated");
    expect((await keys.manager.list("alice")).items).toHaveLength(2);
  });

  it("without an overlap disables the old key at once, even while cached", async () => {
    const { keys } = make();
    const old = await keys.manager.create({ ownerId: "alice", name: "ci" });
    expect(codeOf(await keys.verify(old.key))).toBe("ok");
    const rotated = await keys.manager.rotate("alice", old.record.id);
    expect(codeOf(await keys.verify(old.key))).toBe("key_disabled");
    expect(codeOf(await keys.verify(rotated!.key))).toBe("ok");
  });

  it("never extends an expiry the old key already had", async () => {
    const { keys, clock } = make();
    const expiresAt = new Date(clock.now() + 1000);
    const old = await keys.manager.create({ ownerId: "alice", name: "ci", expiresAt });
    const rotated = await keys.manager.rotate("alice", old.record.id, { overlap: 60_000 });
    expect(rotated?.record.expiresAt).toEqual(expiresAt);
    expect((await keys.manager.get("alice", old.record.id))?.expiresAt).toEqual(expiresAt);
  });

  it("refuses a negative overlap", async () => {
    const { keys } = make();
    const old = await keys.manager.create({ ownerId: "alice", name: "ci" });
    await expect(keys.manager.rotate("alice", old.record.id, { overlap: -1 })).rejects.toThrow(
      /overlap/,
    );
  });
});

describe("admin", () => {
  it("acts on any owner's key by id alone", async () => {
    const { keys } = make();
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    expect((await keys.manager.admin.get(record.id))?.ownerId).toBe("alice");
    expect((await keys.manager.admin.list("alice")).items.map((k) => k.id)).toEqual([record.id]);
    const updated = await keys.manager.admin.update(record.id, {
      roles: ["ops"],
      rateLimit: { limit: 5, window: 1000 },
      metadata: { note: "audited" },
    });
    expect(updated).toMatchObject({ roles: ["ops"], rateLimit: { limit: 5, window: 1000 } });
    const verified = await keys.verify(key);
    expect(verified.ok && verified.principal.roles).toEqual(["ops"]);
    const rotated = await keys.manager.admin.rotate(record.id);
    expect(rotated?.record.ownerId).toBe("alice");
    expect(await keys.manager.admin.delete(record.id)).toBe(true);
    expect(codeOf(await keys.verify(key))).toBe("invalid_api_key");
    expect(await keys.manager.admin.get(record.id)).toBeNull();
    expect(await keys.manager.admin.update(record.id, { name: "x" })).toBeNull();
    expect(await keys.manager.admin.delete(record.id)).toBe(false);
  });
});
