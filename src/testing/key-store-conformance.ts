/**
 * The behaviour every KeyStore must show, as a vitest suite. Our own stores run it, and so
 * can a store written on someone else's database:
 *
 *     keyStoreConformance(() => myStore({ ... }));
 *
 * Each test gets a fresh store from `makeStore` and uses random ids and owners, so a store
 * backed by a shared database may keep its data between tests. Optional capabilities
 * (`touch`, `subscribe`, the write methods) skip their tests, saying so, when absent.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ApiKeyRecord, KeyStore, KeyStoreChange, Milliseconds } from "../types.js";
import { RECORD_FIELDS, randomId, sampleKeyRecord, waitUntil } from "./fixtures.js";

export interface KeyStoreConformanceOptions {
  /** The name of the `describe` block. Default `"KeyStore conformance"`. */
  name?: string;
  /**
   * How long a subscriber may take to hear of a change, in milliseconds. Default 2000. A
   * store that announces through a server (NOTIFY, pub/sub) needs a few; memory needs none.
   */
  changeTimeout?: Milliseconds;
  /**
   * How the suite inserts records into a store without `create` (a read-only store over keys
   * another system manages). Default: the store's own `create`. Without either, the tests
   * that need records skip.
   */
  seed?: (store: KeyStore, record: ApiKeyRecord) => Promise<void>;
}

type Change = KeyStoreChange;

/** Optional fields read back as absent or `null` alike; compare them as `null`. */
function normalize(record: ApiKeyRecord | null): Record<string, unknown> | null {
  if (!record) return null;
  return {
    ...record,
    expiresAt: record.expiresAt ?? null,
    lastUsedAt: record.lastUsedAt ?? null,
    metadata: record.metadata ?? null,
    rateLimit: record.rateLimit ?? null,
  };
}

export function keyStoreConformance(
  makeStore: () => KeyStore | Promise<KeyStore>,
  options: KeyStoreConformanceOptions = {},
): void {
  const changeTimeout = options.changeTimeout ?? 2000;
  const opened: KeyStore[] = [];

  async function open(): Promise<KeyStore> {
    const store = await makeStore();
    opened.push(store);
    return store;
  }

  /** Inserts through `seed` or `create`; `null` when the store offers neither. */
  function seeder(store: KeyStore): ((record: ApiKeyRecord) => Promise<void>) | null {
    if (options.seed) {
      const seed = options.seed;
      return (record) => seed(store, record);
    }
    return store.create ? (record) => store.create!(record) : null;
  }

  /** The store plus a way to insert, or a skipped test when the store cannot be seeded. */
  async function setup(skip: (note?: string) => void) {
    const store = await open();
    const put = seeder(store);
    if (!put) skip("the store has no create and no seed option was given");
    return { store, put: put! };
  }

  describe(options.name ?? "KeyStore conformance", () => {
    afterEach(async () => {
      const stores = opened.splice(0);
      for (const store of stores) await store.close?.();
    });

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

    describe("listByOwner (write capability)", () => {
      /** Seven keys of one owner with tied createdAt values, plus another owner's key. */
      async function seedOwner(put: (r: ApiKeyRecord) => Promise<void>) {
        const ownerId = `owner-${randomId()}`;
        const base = Date.UTC(2026, 3, 1);
        const offsets = [5, 0, 3, 0, 3, 9, 0];
        const records = offsets.map((offset, i) =>
          sampleKeyRecord({
            id: `k${i}${randomId(3)}`,
            ownerId,
            createdAt: new Date(base + offset),
          }),
        );
        for (const record of records) await put(record);
        await put(sampleKeyRecord({ createdAt: new Date(base + 1) }));
        const order = records
          .slice()
          .sort(
            (a, b) =>
              a.createdAt.getTime() - b.createdAt.getTime() ||
              (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
          )
          .map((r) => r.id);
        return { ownerId, records, order };
      }

      it("lists only the owner's keys, oldest first, ties by id", async ({ skip }) => {
        const { store, put } = await setup(skip);
        if (!store.listByOwner) return skip("the store has no listByOwner");
        const { ownerId, order } = await seedOwner(put);
        const page = await store.listByOwner(ownerId);
        expect(page.items.map((r) => r.id)).toEqual(order);
        expect(page.next).toBeNull();
      });

      it("pages with cursors: no repeats, no skips, null next on the last page", async ({
        skip,
      }) => {
        const { store, put } = await setup(skip);
        if (!store.listByOwner) return skip("the store has no listByOwner");
        const { ownerId, order } = await seedOwner(put);
        const seen: string[] = [];
        const sizes: number[] = [];
        let cursor: string | null = null;
        do {
          const page = await store.listByOwner(ownerId, { limit: 3, cursor });
          seen.push(...page.items.map((r) => r.id));
          sizes.push(page.items.length);
          cursor = page.next;
        } while (cursor && sizes.length < 10);
        expect(sizes).toEqual([3, 3, 1]);
        expect(seen).toEqual(order);
      });

      it("a page that ends exactly at the last key has next null", async ({ skip }) => {
        const { store, put } = await setup(skip);
        if (!store.listByOwner) return skip("the store has no listByOwner");
        const { ownerId, order } = await seedOwner(put);
        const page = await store.listByOwner(ownerId, { limit: order.length });
        expect(page.items).toHaveLength(order.length);
        expect(page.next).toBeNull();
      });

      it("keys deleted or added between pages neither repeat nor skip the others", async ({
        skip,
      }) => {
        const { store, put } = await setup(skip);
        if (!store.listByOwner || !store.delete) return skip("no listByOwner or no delete");
        const { ownerId, order } = await seedOwner(put);
        const first = await store.listByOwner(ownerId, { limit: 3 });
        // Delete the last key of the first page and one key of the next page.
        await store.delete(order[2]!);
        await store.delete(order[4]!);
        const late = sampleKeyRecord({ ownerId, createdAt: new Date(Date.UTC(2026, 5, 1)) });
        await put(late);
        const rest: string[] = [];
        let cursor = first.next;
        while (cursor) {
          const page = await store.listByOwner(ownerId, { limit: 3, cursor });
          rest.push(...page.items.map((r) => r.id));
          cursor = page.next;
        }
        expect(first.items.map((r) => r.id)).toEqual(order.slice(0, 3));
        expect(rest).toEqual([order[3], order[5], order[6], late.id]);
      });

      it("an owner without keys gets an empty last page", async ({ skip }) => {
        const store = await open();
        if (!store.listByOwner) return skip("the store has no listByOwner");
        expect(await store.listByOwner(`nobody-${randomId()}`)).toEqual({ items: [], next: null });
      });
    });

    describe("touch (optional capability)", () => {
      it("touch writes lastUsedAt for a batch and ignores unknown ids", async ({ skip }) => {
        const { store, put } = await setup(skip);
        if (!store.touch) return skip("the store has no touch");
        const a = sampleKeyRecord({ lastUsedAt: null });
        const b = sampleKeyRecord();
        await put(a);
        await put(b);
        const at = new Date(Date.UTC(2026, 6, 7, 8, 9, 10, 11));
        const later = new Date(at.getTime() + 1234);
        const unknown = `missing-${randomId()}`;
        await store.touch([
          { id: a.id, lastUsedAt: at },
          { id: unknown, lastUsedAt: at },
          { id: b.id, lastUsedAt: later },
        ]);
        expect((await store.get(a.id))?.lastUsedAt).toEqual(at);
        expect((await store.get(b.id))?.lastUsedAt).toEqual(later);
        expect(await store.get(unknown)).toBeNull();
        // Only lastUsedAt moved.
        expect(normalize(await store.get(b.id))).toEqual(normalize({ ...b, lastUsedAt: later }));
      });

      it("touch with an empty batch resolves", async ({ skip }) => {
        const store = await open();
        if (!store.touch) return skip("the store has no touch");
        await expect(store.touch([])).resolves.toBeUndefined();
      });
    });

    describe("subscribe (optional capability)", () => {
      it("announces update and delete to a subscriber", async ({ skip }) => {
        const { store, put } = await setup(skip);
        if (!store.subscribe) return skip("the store has no subscribe");
        if (!store.update || !store.delete) return skip("no update or no delete to announce");
        const changes: Change[] = [];
        const unsubscribe = await store.subscribe((change) => changes.push(change));
        const record = sampleKeyRecord();
        await put(record);
        await store.update(record.id, { enabled: false });
        await waitUntil(
          () => changes.some((c) => c.type === "update" && c.id === record.id),
          changeTimeout,
          "the update announcement",
        );
        await store.delete(record.id);
        await waitUntil(
          () => changes.some((c) => c.type === "delete" && c.id === record.id),
          changeTimeout,
          "the delete announcement",
        );
        unsubscribe();
      });

      it("stops announcing to a listener after its unsubscribe", async ({ skip }) => {
        const { store, put } = await setup(skip);
        if (!store.subscribe || !store.update) return skip("no subscribe or no update");
        const record = sampleKeyRecord();
        await put(record);
        const gone: Change[] = [];
        const kept: Change[] = [];
        const stop = await store.subscribe((change) => gone.push(change));
        const stopKept = await store.subscribe((change) => kept.push(change));
        stop();
        await store.update(record.id, { name: "after unsubscribe" });
        // Ordering, not timing: once the kept listener heard it, the other one would have too.
        await waitUntil(
          () => kept.some((c) => c.id === record.id),
          changeTimeout,
          "the kept listener",
        );
        expect(gone.filter((c) => c.id === record.id)).toEqual([]);
        stopKept();
      });

      it("a listener that throws does not stop the write or other listeners", async ({ skip }) => {
        const { store, put } = await setup(skip);
        if (!store.subscribe || !store.update) return skip("no subscribe or no update");
        const record = sampleKeyRecord();
        await put(record);
        const heard: Change[] = [];
        const stopBad = await store.subscribe(() => {
          throw new Error("listener bug");
        });
        const stopGood = await store.subscribe((change) => heard.push(change));
        expect(await store.update(record.id, { name: "x" })).not.toBeNull();
        await waitUntil(() => heard.some((c) => c.id === record.id), changeTimeout, "delivery");
        stopBad();
        stopGood();
      });
    });

    describe("close", () => {
      it("close resolves, and a second close resolves too", async () => {
        const store = await open();
        await store.close?.();
        await store.close?.();
      });
    });
  });
}
