/**
 * The audit trail: every key change reports a `key_changed` event from the key manager, so
 * the key routes (over HTTP) and direct `auth.keys` calls are audited alike, on memory and
 * SQLite; no event ever holds a key, a secret or a hash; a listener that throws changes no
 * answer.
 */
import { describe, expect, it } from "vitest";
import type { AuthEvent } from "../../src/types.js";
import { parseApiKey } from "../../src/verify/api-key/key-format.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { setup } from "./helpers.js";
import { STORES, withKeyServer, type KeyWorld } from "./key-server.js";

const changes = (events: AuthEvent[]) =>
  events.filter((e): e is Extract<AuthEvent, { type: "key_changed" }> => e.type === "key_changed");

async function call(
  world: KeyWorld,
  method: string,
  path: string,
  credential: { token?: string; key?: string },
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const headers: Record<string, string> = {};
  if (credential.token) headers.authorization = `Bearer ${credential.token}`;
  if (credential.key) headers["x-api-key"] = credential.key;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${world.url}/users/keys${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? null : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** Every secret thing the world holds: plaintext keys, their secrets and stored hashes. */
async function secretsOf(world: KeyWorld, keys: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const key of keys) {
    const parts = parseApiKey(key)!;
    found.push(key, parts.secret);
    const record = await world.store.get(parts.id);
    if (record) found.push(record.hash);
  }
  return found;
}

describe.each(STORES.map((s) => s.name))("key_changed over HTTP, %s store", (store) => {
  it("reports each change the key routes make, with the actor and what changed", async () => {
    await withKeyServer(store, {}, async (world) => {
      const token = await world.auth.tokens.issue({
        sub: "alice",
        scopes: ["reports:read", "keys:write"],
        roles: [],
      });
      const created = await call(
        world,
        "POST",
        "/",
        { token },
        {
          name: "ci",
          scopes: ["reports:read"],
        },
      );
      expect(created.status).toBe(201);
      const key = created.body!.key as string;
      const id = (created.body!.record as { id: string }).id;

      expect(changes(world.events)).toEqual([
        {
          type: "key_changed",
          action: "created",
          keyId: id,
          ownerId: "alice",
          actor: { id: "alice", via: "jwt" },
          changes: {
            ownerType: { to: "user" },
            name: { to: "ci" },
            scopes: { to: ["reports:read"] },
            roles: { to: [] },
            enabled: { to: true },
          },
        },
      ]);
      world.events.length = 0;

      expect((await call(world, "PATCH", `/${id}`, { token }, { name: "deploy" })).status).toBe(
        200,
      );
      // The same value again changes nothing, and reports nothing.
      expect((await call(world, "PATCH", `/${id}`, { token }, { name: "deploy" })).status).toBe(
        200,
      );
      expect((await call(world, "PATCH", `/${id}`, { token }, { enabled: false })).status).toBe(
        200,
      );
      expect((await call(world, "PATCH", `/${id}`, { token }, { enabled: true })).status).toBe(200);
      const events = changes(world.events);
      expect(events.map((e) => [e.action, Object.keys(e.changes)])).toEqual([
        ["updated", ["name"]],
        ["disabled", ["enabled", "disabledBy", "disabledAt"]],
        ["enabled", ["enabled", "disabledBy"]],
      ]);
      expect(events[0]!.changes.name).toEqual({ from: "ci", to: "deploy" });
      expect(events[1]!.changes.disabledBy).toEqual({ from: null, to: "owner" });
      expect(typeof events[1]!.changes.disabledAt!.to).toBe("string");

      // A key with keys:write acting through the routes is named as the actor's key.
      const writer = await world.auth.keys.create({
        ownerId: "alice",
        name: "writer",
        scopes: ["keys:write"],
      });
      world.events.length = 0;
      expect((await call(world, "DELETE", `/${id}`, { key: writer.key })).status).toBe(204);
      expect(changes(world.events)).toEqual([
        {
          type: "key_changed",
          action: "deleted",
          keyId: id,
          ownerId: "alice",
          actor: { id: "alice", via: "apiKey", keyId: writer.record.id },
          changes: {},
        },
      ]);
      const everything = JSON.stringify(world.events);
      for (const secret of await secretsOf(world, [key, writer.key])) {
        expect(everything).not.toContain(secret);
      }
    });
  });

  it("reports a rotation as the replacement's creation and the old key's retirement", async () => {
    await withKeyServer(store, {}, async (world) => {
      const old = await world.auth.keys.create({
        ownerId: "alice",
        name: "ci",
        metadata: { tenantId: "t-9", webhookSecret: "do-not-log-me" },
      });
      world.events.length = 0;
      const rotated = await world.auth.keys.admin.rotate(old.record.id, { overlap: 60_000 });
      const [created, retired] = changes(world.events);
      expect(created).toMatchObject({
        action: "created",
        keyId: rotated!.record.id,
        replaces: old.record.id,
        actor: null,
      });
      // Metadata is named, never shown: it is the application's and may hold anything.
      expect(created!.changes.metadata).toEqual({ to: ["tenantId", "webhookSecret"] });
      expect(retired).toMatchObject({
        action: "rotated",
        keyId: old.record.id,
        ownerId: "alice",
        replacedBy: rotated!.record.id,
        actor: null,
      });
      expect(Object.keys(retired!.changes).sort()).toEqual([
        "disabledBy",
        "expiresAt",
        "replacedBy",
      ]);
      const everything = JSON.stringify(world.events);
      expect(everything).not.toContain("do-not-log-me");
      for (const secret of await secretsOf(world, [old.key, rotated!.key])) {
        expect(everything).not.toContain(secret);
      }
    });
  });

  it("keeps every answer when the listener throws", async () => {
    let calls = 0;
    await withKeyServer(
      store,
      {},
      async (world) => {
        const token = await world.auth.tokens.issue({ sub: "alice", scopes: [], roles: [] });
        const created = await call(world, "POST", "/", { token }, { name: "ci" });
        expect(created.status).toBe(201);
        const key = created.body!.key as string;
        expect((await world.me(key)).status).toBe(200);
        const id = (created.body!.record as { id: string }).id;
        expect((await call(world, "PATCH", `/${id}`, { token }, { enabled: false })).status).toBe(
          200,
        );
        expect((await world.me(key)).status).toBe(401);
        expect((await call(world, "DELETE", `/${id}`, { token })).status).toBe(204);
        expect(calls).toBeGreaterThanOrEqual(5);
      },
      () => {
        calls++;
        throw new Error("logger down");
      },
    );
  });
});

describe("key_changed from auth.keys", () => {
  it("reports owner-path changes with the owner's actor, and admin updates of roles and limits", async () => {
    const { keys, events } = setup();
    const { record } = await keys.manager.create({ ownerId: "bob", name: "ci", roles: [] });
    events.length = 0;
    await keys.manager.admin.update(record.id, {
      roles: ["reader"],
      rateLimit: { limit: 5, window: 1000 },
      metadata: { a: 1 },
    });
    await keys.manager.admin.update(record.id, { metadata: { a: 2 } });
    const [first, second] = changes(events);
    expect(first).toMatchObject({
      action: "updated",
      actor: null,
      changes: {
        roles: { from: [], to: ["reader"] },
        rateLimit: { from: null, to: { limit: 5, window: 1000 } },
        metadata: { from: null, to: ["a"] },
      },
    });
    // The same field names with another value is still a change.
    expect(second!.changes).toEqual({ metadata: { from: ["a"], to: ["a"] } });
  });

  it("reports nothing for a change the store refused", async () => {
    const inner = memoryKeyStore();
    let down = false;
    const store = {
      get: inner.get.bind(inner),
      create: inner.create.bind(inner),
      listByOwner: inner.listByOwner.bind(inner),
      update: (...args: Parameters<typeof inner.update>) =>
        down ? Promise.reject(new Error("store down")) : inner.update(...args),
      delete: (id: string) => (down ? Promise.reject(new Error("store down")) : inner.delete(id)),
    };
    const { keys, events } = setup({ store });
    const { record } = await keys.manager.create({ ownerId: "bob", name: "ci" });
    events.length = 0;
    down = true;
    await expect(keys.manager.update("bob", record.id, { name: "x" })).rejects.toMatchObject({
      code: "unavailable",
    });
    await expect(keys.manager.delete("bob", record.id)).rejects.toMatchObject({
      code: "unavailable",
    });
    expect(changes(events)).toEqual([]);
  });
});
