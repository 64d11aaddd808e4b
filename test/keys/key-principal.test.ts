/**
 * `principal.key.metadata` and `apiKeys.toPrincipal`, over HTTP on memory and SQLite: the
 * metadata a key was created with reaches the handler deep-frozen, a mapper shapes the
 * principal once per cached verification and never widens the key, and a mapper that
 * throws answers 503.
 */
import { describe, expect, it } from "vitest";
import type { Principal } from "../../src/types.js";
import { setup } from "./helpers.js";
import { STORES, withKeyServer } from "./key-server.js";

describe.each(STORES.map((s) => s.name))("principal.key over HTTP, %s store", (store) => {
  it("carries the record's metadata and environment to the handler", async () => {
    await withKeyServer(store, { environment: "live" }, async ({ auth, me }) => {
      const { key, record } = await auth.keys.create({
        ownerId: "alice",
        name: "ci",
        scopes: ["reports:read"],
        metadata: { tenantId: "t-42", plan: { tier: "pro", seats: [1, 2] } },
      });
      const { status, body } = await me(key);
      expect(status).toBe(200);
      expect(body.key).toEqual({
        id: record.id,
        name: "ci",
        ownerId: "alice",
        environment: "live",
        metadata: { tenantId: "t-42", plan: { tier: "pro", seats: [1, 2] } },
      });
    });
  });

  it("shapes the principal with apiKeys.toPrincipal, within the key", async () => {
    let calls = 0;
    await withKeyServer(
      store,
      {
        toPrincipal: (record, base) => {
          calls++;
          return {
            ...base,
            id: "someone-else",
            via: "jwt",
            type: "user",
            scopes: [...base.scopes, "admin:all"],
            roles: ["admin"],
            tenantId: record.metadata?.tenantId ?? null,
          } as Principal;
        },
      },
      async ({ auth, me }) => {
        const { key, record } = await auth.keys.create({
          ownerId: "alice",
          name: "ci",
          scopes: ["reports:read"],
          metadata: { tenantId: "t-7" },
        });
        for (let i = 0; i < 3; i++) {
          const { status, body } = await me(key);
          expect(status).toBe(200);
          // The mapper added the tenant; it could not change who, how, or what the key holds.
          expect(body).toMatchObject({
            id: "alice",
            via: "apiKey",
            type: "apiKey",
            scopes: ["reports:read"],
            roles: [],
            tenantId: "t-7",
            key: { id: record.id, ownerId: "alice" },
          });
        }
        // Once per cached verification, not per request.
        expect(calls).toBe(1);
      },
    );
  });

  it("answers 503 when apiKeys.toPrincipal throws, and tries again on the next request", async () => {
    let broken = true;
    await withKeyServer(
      store,
      {
        toPrincipal: (_record, base) => {
          if (broken) throw new Error("mapper bug");
          return base;
        },
      },
      async ({ auth, events, me }) => {
        const { key } = await auth.keys.create({ ownerId: "alice", name: "ci" });
        events.length = 0;
        const refused = await me(key);
        expect(refused.status).toBe(503);
        expect(refused.body).toMatchObject({ code: "unavailable" });
        expect(events).toContainEqual(
          expect.objectContaining({ type: "unavailable", reason: "to_principal_error" }),
        );
        broken = false;
        expect((await me(key)).status).toBe(200);
      },
    );
  });
});

describe("principal.key.metadata", () => {
  it("is a deep-frozen copy: neither handlers nor later record edits change it", async () => {
    const { keys } = setup();
    const metadata = { tenantId: "t-1", nested: { list: ["a"] } };
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci", metadata });
    const result = await keys.verify(key);
    expect(result.ok).toBe(true);
    const held = result.ok ? result.principal.key!.metadata! : null;
    expect(held).toEqual(metadata);
    expect(Object.isFrozen(held)).toBe(true);
    expect(Object.isFrozen((held as { nested: object }).nested)).toBe(true);
    expect(Object.isFrozen((held as { nested: { list: string[] } }).nested.list)).toBe(true);
    expect(() => {
      (held as { tenantId: string }).tenantId = "t-2";
    }).toThrow(TypeError);
    metadata.nested.list.push("b");
    const again = await keys.verify(key);
    expect(again.ok && again.principal.key!.metadata).toEqual({
      tenantId: "t-1",
      nested: { list: ["a"] },
    });
  });

  it("is null for a key without metadata, and the mapper never sees the hash", async () => {
    let seen: Record<string, unknown> | undefined;
    const { keys } = setup({
      toPrincipal: (record, base) => {
        seen = { ...record };
        return base;
      },
    });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const result = await keys.verify(key);
    expect(result.ok && result.principal.key!.metadata).toBeNull();
    expect(seen).toBeDefined();
    expect(seen).not.toHaveProperty("hash");
    expect(JSON.stringify(seen)).not.toContain("$argon2id$");
  });

  it("refuses a toPrincipal that is not a function at construction", () => {
    expect(() => setup({ toPrincipal: "nope" as never })).toThrow(/toPrincipal/);
  });

  it("treats a mapper that returns no object as an outage", async () => {
    const { keys } = setup({ toPrincipal: () => null as never });
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const result = await keys.verify(key);
    expect(!result.ok && result.error.code).toBe("unavailable");
  });
});
