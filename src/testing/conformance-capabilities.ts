/**
 * Conformance: the optional capabilities (touch, subscribe and the health of its feed) and
 * close.
 */
import { describe, expect, it } from "vitest";
import type { KeyStoreChange } from "../types.js";
import { normalize, type SuiteContext } from "./conformance-context.js";
import { randomId, sampleKeyRecord, waitUntil } from "./fixtures.js";

export function capabilityTests({ open, setup, changeTimeout }: SuiteContext): void {
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
      const changes: KeyStoreChange[] = [];
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
      const gone: KeyStoreChange[] = [];
      const kept: KeyStoreChange[] = [];
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

    it("reports the feed's health, if at all, before subscribe settles", async ({ skip }) => {
      const store = await open();
      if (!store.subscribe) return skip("the store has no subscribe");
      const statuses: unknown[] = [];
      const unsubscribe = await store.subscribe(
        () => {},
        (status) => statuses.push(status),
      );
      const atSettle = statuses.length;
      // A first report that came only later would leave subscribers trusting a feed that
      // was not up yet in between; a store that never reports is one that cannot lose it.
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, changeTimeout)));
      if (statuses.length > 0) expect(atSettle).toBeGreaterThan(0);
      for (const status of statuses) expect(["up", "down"]).toContain(status);
      unsubscribe();
    });

    it("a listener that throws does not stop the write or other listeners", async ({ skip }) => {
      const { store, put } = await setup(skip);
      if (!store.subscribe || !store.update) return skip("no subscribe or no update");
      const record = sampleKeyRecord();
      await put(record);
      const heard: KeyStoreChange[] = [];
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
}
