/**
 * Conformance: listing an owner's keys with keyset paging.
 */
import { describe, expect, it } from "vitest";
import type { ApiKeyRecord } from "../types.js";
import type { SuiteContext } from "./conformance-context.js";
import { randomId, sampleKeyRecord } from "./fixtures.js";

export function listingTests({ open, setup }: SuiteContext): void {
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

    it("pages with cursors: no repeats, no skips, null next on the last page", async ({ skip }) => {
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
}
