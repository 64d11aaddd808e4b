/**
 * Conformance: usage credits (the optional `spendCredits` capability). A store that offers
 * it must keep `credits` and `replacedBy` whole, spend atomically (concurrent spends never
 * take more than there is), apply refills exactly as credits.ts does, and never announce
 * a spend to its subscribers.
 */
import { describe, expect, it } from "vitest";
import type { ApiKeyRecord, KeyCredits, KeyStore, KeyStoreChange } from "../types.js";
import { spendFrom } from "../verify/api-key/credits.js";
import type { SuiteContext } from "./conformance-context.js";
import { randomId, sampleKeyRecord } from "./fixtures.js";

const T = Date.UTC(2026, 3, 4, 5, 6, 7, 0);
const HOUR = 3_600_000;

function metered(credits: KeyCredits, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return sampleKeyRecord({ credits, ...overrides });
}

/** `credits` compared with absent parts as `null`. */
function plain(credits: KeyCredits | null | undefined): unknown {
  if (!credits) return null;
  return {
    remaining: credits.remaining,
    refill: credits.refill ?? null,
    refilledAt: credits.refilledAt ?? null,
  };
}

function spender(store: KeyStore): NonNullable<KeyStore["spendCredits"]> {
  return store.spendCredits!.bind(store);
}

export function creditTests({ setup, changeTimeout }: SuiteContext): void {
  describe("usage credits (optional capability: spendCredits)", () => {
    async function ready(skip: (note?: string) => void) {
      const context = await setup(skip);
      if (!context.store.spendCredits) skip("the store has no spendCredits");
      return { ...context, spend: spender(context.store) };
    }

    it("keeps credits and replacedBy whole, and an update replaces or clears them", async ({
      skip,
    }) => {
      const { store, put } = await ready(skip);
      const credits = {
        remaining: 41,
        refill: { amount: 100, interval: HOUR },
        refilledAt: new Date(T),
      };
      const record = metered(credits, { replacedBy: `next-${randomId()}` });
      await put(record);
      const read = await store.get(record.id);
      expect(plain(read?.credits)).toEqual(plain(credits));
      expect(read?.replacedBy).toBe(record.replacedBy);
      const unmetered = sampleKeyRecord();
      await put(unmetered);
      expect((await store.get(unmetered.id))?.credits ?? null).toBeNull();
      if (!store.update) return;
      const plainCredits = { remaining: 7, refill: null, refilledAt: null };
      await store.update(record.id, { credits: plainCredits });
      expect(plain((await store.get(record.id))?.credits)).toEqual(plain(plainCredits));
      await store.update(record.id, { credits: null, replacedBy: null });
      const cleared = await store.get(record.id);
      expect(cleared?.credits ?? null).toBeNull();
      expect(cleared?.replacedBy ?? null).toBeNull();
    });

    it("spends one at a time down to zero, then refuses and spends nothing", async ({ skip }) => {
      const { store, put, spend } = await ready(skip);
      const record = metered({ remaining: 3, refill: null, refilledAt: null });
      await put(record);
      const left: number[] = [];
      for (let i = 0; i < 3; i++) {
        const spent = await spend(record.id, 1, new Date(T));
        expect(spent?.ok).toBe(true);
        left.push(spent!.credits.remaining);
      }
      expect(left).toEqual([2, 1, 0]);
      const refused = await spend(record.id, 1, new Date(T));
      expect(refused).toMatchObject({ ok: false, credits: { remaining: 0 } });
      expect((await store.get(record.id))?.credits?.remaining).toBe(0);
    });

    it("never spends more than there is under concurrent spends", async ({ skip }) => {
      const { store, put, spend } = await ready(skip);
      const record = metered({ remaining: 20, refill: null, refilledAt: null });
      await put(record);
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => spend(record.id, 1, new Date(T))),
      );
      expect(answers.filter((answer) => answer?.ok).length).toBe(20);
      expect((await store.get(record.id))?.credits?.remaining).toBe(0);
    });

    it("refills on schedule: raised to the amount, a top-up above it kept, whole intervals", async ({
      skip,
    }) => {
      const { store, put, spend } = await ready(skip);
      const refill = { amount: 10, interval: 1000 };
      const empty = metered({ remaining: 0, refill, refilledAt: new Date(T) });
      await put(empty);
      expect((await spend(empty.id, 1, new Date(T + 999)))?.ok).toBe(false);
      const refilled = await spend(empty.id, 1, new Date(T + 2500));
      expect(refilled?.ok).toBe(true);
      expect(plain(refilled?.credits)).toEqual(
        plain({ remaining: 9, refill, refilledAt: new Date(T + 2000) }),
      );
      const topped = metered({ remaining: 50, refill, refilledAt: new Date(T) });
      await put(topped);
      expect((await spend(topped.id, 1, new Date(T + 5000)))?.credits.remaining).toBe(49);
      expect((await store.get(topped.id))?.credits?.refilledAt).toEqual(new Date(T + 5000));
    });

    it("adds credits for a negative cost (a top-up)", async ({ skip }) => {
      const { put, spend } = await ready(skip);
      const record = metered({ remaining: 0, refill: null, refilledAt: null });
      await put(record);
      expect(await spend(record.id, -5, new Date(T))).toMatchObject({
        ok: true,
        credits: { remaining: 5 },
      });
    });

    it("answers null for an unknown id and for a key that is not metered", async ({ skip }) => {
      const { put, spend } = await ready(skip);
      const unmetered = sampleKeyRecord();
      await put(unmetered);
      expect(await spend(unmetered.id, 1, new Date(T))).toBeNull();
      expect(await spend(`missing-${randomId()}`, 1, new Date(T))).toBeNull();
    });

    it("agrees with credits.ts on a long mixed sequence of spends, top-ups and waits", async ({
      skip,
    }) => {
      const { put, spend } = await ready(skip);
      let credits: KeyCredits = {
        remaining: 2,
        refill: { amount: 5, interval: 700 },
        refilledAt: new Date(T),
      };
      const record = metered(credits);
      await put(record);
      // A fixed pseudo-random walk, so that a failure is the same on every run.
      let seed = 7;
      const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
      let now = T;
      for (let step = 0; step < 60; step++) {
        now += next() % 900;
        const cost = next() % 6 === 0 ? -(next() % 4) - 1 : 1 + (next() % 2);
        const expected = spendFrom(credits, cost, now);
        const got = await spend(record.id, cost, new Date(now));
        expect({ step, ok: got?.ok, credits: plain(got?.credits) }).toEqual({
          step,
          ok: expected.ok,
          credits: plain(expected.credits),
        });
        if (expected.ok) credits = expected.credits;
      }
    });

    it("does not announce a spend, and announces a change of the credits", async ({ skip }) => {
      const { store, put, spend } = await ready(skip);
      if (!store.subscribe || !store.update) return skip("the store has no subscribe or update");
      const record = metered({ remaining: 5, refill: null, refilledAt: null });
      await put(record);
      const heard: KeyStoreChange[] = [];
      const off = await store.subscribe((change) => {
        if (change.id === record.id) heard.push(change);
      });
      try {
        await spend(record.id, 1, new Date(T));
        await spend(record.id, -3, new Date(T));
        await store.update(record.id, {
          credits: { remaining: 9, refill: null, refilledAt: null },
        });
        const deadline = Date.now() + changeTimeout;
        while (heard.length === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        // Announcements arrive in order: spends, had they been announced, would be heard as
        // updates before this one, or soon after it.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(heard).toEqual([{ type: "update", id: record.id }]);
      } finally {
        off();
      }
    });
  });
}
