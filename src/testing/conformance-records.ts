/**
 * Conformance: reading and writing single records (get, create, update, delete).
 */
import { describe, expect, it } from "vitest";
import { normalize, type SuiteContext } from "./conformance-context.js";
import { RECORD_FIELDS, randomId, sampleKeyRecord } from "./fixtures.js";

export function recordTests({ open, setup }: SuiteContext): void {
  describe("get / create", () => {
    it("get of an unknown id resolves null", async () => {
      const store = await open();
      expect(await store.get(`missing-${randomId()}`)).toBeNull();
    });

    it("round-trips every field, Dates as Dates to the millisecond", async ({ skip }) => {
      const { store, put } = await setup(skip);
      const record = sampleKeyRecord();
      await put(record);
      const read = await store.get(record.id);
      expect(read?.createdAt).toBeInstanceOf(Date);
      expect(read?.expiresAt).toBeInstanceOf(Date);
      expect(read?.lastUsedAt).toBeInstanceOf(Date);
      expect(normalize(read)).toEqual(normalize(record));
    });

    it("keeps nested JSON metadata, empty lists and unicode names", async ({ skip }) => {
      const { store, put } = await setup(skip);
      const record = sampleKeyRecord({
        name: "déploiement — 鍵 🔑",
        scopes: [],
        roles: [],
        metadata: { a: { b: [1, 2.5, "x", { c: [true, false, null] }] }, empty: {}, s: "é" },
      });
      await put(record);
      expect(normalize(await store.get(record.id))).toEqual(normalize(record));
    });

    it("reads absent and null expiresAt / lastUsedAt / metadata / rateLimit as none", async ({
      skip,
    }) => {
      const { store, put } = await setup(skip);
      const absent = sampleKeyRecord();
      delete absent.expiresAt;
      delete absent.lastUsedAt;
      delete absent.metadata;
      delete absent.rateLimit;
      const nulls = sampleKeyRecord({
        expiresAt: null,
        lastUsedAt: null,
        metadata: null,
        rateLimit: null,
      });
      await put(absent);
      await put(nulls);
      for (const record of [absent, nulls]) {
        const read = await store.get(record.id);
        expect(read).not.toBeNull();
        expect(read?.expiresAt ?? null).toBeNull();
        expect(read?.lastUsedAt ?? null).toBeNull();
        expect(read?.metadata ?? null).toBeNull();
        expect(read?.rateLimit ?? null).toBeNull();
      }
    });

    it("stores only the hash: no field beyond the record's own comes back", async ({ skip }) => {
      const { store, put } = await setup(skip);
      const record = sampleKeyRecord();
      await put(record);
      const read = await store.get(record.id);
      expect(read?.hash).toBe(record.hash);
      for (const field of Object.keys(read ?? {})) expect(RECORD_FIELDS).toContain(field);
    });

    it("accepts ids and owner ids with punctuation (:, /, ., -, _, %)", async ({ skip }) => {
      const { store, put } = await setup(skip);
      const record = sampleKeyRecord({
        id: `k:${randomId()}/a.b-c_d%`,
        ownerId: `org:${randomId()}/team`,
      });
      await put(record);
      expect((await store.get(record.id))?.id).toBe(record.id);
      if (store.listByOwner) {
        const page = await store.listByOwner(record.ownerId);
        expect(page.items.map((r) => r.id)).toEqual([record.id]);
      }
    });

    it("returns copies: mutating a result does not change the store", async ({ skip }) => {
      const { store, put } = await setup(skip);
      const record = sampleKeyRecord();
      await put(record);
      const first = await store.get(record.id);
      first!.scopes.push("everything");
      first!.name = "changed";
      record.roles.push("root");
      expect(normalize(await store.get(record.id))).toEqual(
        normalize({ ...record, roles: ["admin"] }),
      );
    });

    it("create (write capability) rejects a duplicate id and keeps the original", async ({
      skip,
    }) => {
      const store = await open();
      if (!store.create) return skip("the store has no create");
      const record = sampleKeyRecord();
      await store.create(record);
      await expect(store.create({ ...record, name: "impostor" })).rejects.toThrow();
      expect((await store.get(record.id))?.name).toBe(record.name);
    });
  });

  describe("update / delete (write capabilities)", () => {
    it("update applies the patch and resolves the new record", async ({ skip }) => {
      const { store, put } = await setup(skip);
      if (!store.update) return skip("the store has no update");
      const record = sampleKeyRecord();
      await put(record);
      const updated = await store.update(record.id, {
        name: "renamed",
        enabled: false,
        scopes: ["a"],
        expiresAt: null,
        metadata: { v: 2 },
      });
      const expected = {
        ...record,
        name: "renamed",
        enabled: false,
        scopes: ["a"],
        expiresAt: null,
        metadata: { v: 2 },
      };
      expect(normalize(updated)).toEqual(normalize(expected));
      expect(normalize(await store.get(record.id))).toEqual(normalize(expected));
    });

    it("update leaves fields outside the patch alone, and can set a cleared Date again", async ({
      skip,
    }) => {
      const { store, put } = await setup(skip);
      if (!store.update) return skip("the store has no update");
      const record = sampleKeyRecord({ expiresAt: null, rateLimit: null });
      await put(record);
      const expiresAt = new Date(Date.UTC(2030, 1, 1, 0, 0, 0, 1));
      await store.update(record.id, { expiresAt, rateLimit: { limit: 5, window: 1000 } });
      const read = await store.get(record.id);
      expect(normalize(read)).toEqual(
        normalize({ ...record, expiresAt, rateLimit: { limit: 5, window: 1000 } }),
      );
    });

    it("keeps who ended a key and when: disabledBy and disabledAt round-trip and clear", async ({
      skip,
    }) => {
      const { store, put } = await setup(skip);
      if (!store.update) return skip("the store has no update");
      const record = sampleKeyRecord({ disabledBy: null, disabledAt: null });
      await put(record);
      const disabledAt = new Date(Date.UTC(2026, 6, 1, 2, 3, 4, 5));
      await store.update(record.id, { enabled: false, disabledBy: "admin", disabledAt });
      expect(normalize(await store.get(record.id))).toEqual(
        normalize({ ...record, enabled: false, disabledBy: "admin", disabledAt }),
      );
      await store.update(record.id, { disabledBy: "rotation" });
      expect((await store.get(record.id))?.disabledBy).toBe("rotation");
      await store.update(record.id, { enabled: true, disabledBy: null });
      const read = await store.get(record.id);
      expect(read?.disabledBy ?? null).toBeNull();
      expect(read?.disabledAt).toEqual(disabledAt);
    });

    it("keeps the environment a key was issued for (test, live or none)", async ({ skip }) => {
      const { store, put } = await setup(skip);
      const test = sampleKeyRecord({ environment: "test" });
      const none = sampleKeyRecord({ environment: null });
      await put(test);
      await put(none);
      expect((await store.get(test.id))?.environment).toBe("test");
      expect((await store.get(none.id))?.environment ?? null).toBeNull();
    });

    it("update of an unknown id resolves null and creates nothing", async ({ skip }) => {
      const store = await open();
      if (!store.update) return skip("the store has no update");
      const id = `missing-${randomId()}`;
      expect(await store.update(id, { name: "x" })).toBeNull();
      expect(await store.get(id)).toBeNull();
    });

    it("concurrent updates of different fields lose none of them", async ({ skip }) => {
      const { store, put } = await setup(skip);
      if (!store.update) return skip("the store has no update");
      const update = store.update.bind(store);
      const record = sampleKeyRecord();
      await put(record);
      await Promise.all([
        update(record.id, { name: "n2" }),
        update(record.id, { scopes: ["s2"] }),
        update(record.id, { roles: ["r2"] }),
        update(record.id, { enabled: false }),
        update(record.id, { metadata: { m: 2 } }),
        update(record.id, { rateLimit: { limit: 2, window: 2 } }),
      ]);
      expect(normalize(await store.get(record.id))).toEqual(
        normalize({
          ...record,
          name: "n2",
          scopes: ["s2"],
          roles: ["r2"],
          enabled: false,
          metadata: { m: 2 },
          rateLimit: { limit: 2, window: 2 },
        }),
      );
    });

    it("delete resolves true once, then false, and the record is gone", async ({ skip }) => {
      const { store, put } = await setup(skip);
      if (!store.delete) return skip("the store has no delete");
      const record = sampleKeyRecord();
      await put(record);
      expect(await store.delete(record.id)).toBe(true);
      expect(await store.get(record.id)).toBeNull();
      expect(await store.delete(record.id)).toBe(false);
    });
  });
}
