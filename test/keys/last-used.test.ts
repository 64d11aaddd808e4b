/**
 * A key's last use reaches the store at most once per `touchInterval`, and a key answered
 * from the cache on every request is still written again once the interval has passed.
 */
import { describe, expect, it } from "vitest";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { KeyStore, TouchEntry } from "../../src/types.js";
import { setup } from "./helpers.js";

function touchRecordingStore() {
  const inner = memoryKeyStore();
  const batches: TouchEntry[][] = [];
  const store: KeyStore = {
    ...inner,
    touch(batch) {
      batches.push(batch);
      return inner.touch(batch);
    },
  };
  return { store, batches };
}

describe("last-used writes of cached keys", () => {
  it("notes a cached key again once the interval has passed, and not before", async () => {
    const { store, batches } = touchRecordingStore();
    // The cache trusts the entry far longer than the interval: every use below is a hit.
    const made = setup({ store, touchInterval: 60_000, cache: { ttl: 3_600_000 } });
    const { keys, clock } = made;
    const { key, record } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const first = clock.now();
    expect(await keys.verify(key)).toMatchObject({ ok: true });
    for (let i = 0; i < 50; i++) {
      expect(keys.check(key)).toMatchObject({ ok: true });
      clock.advance(1_000);
    }
    await keys.close();
    // Pending notes of one key keep the latest time; fifty-one uses in 50 s noted once, at the first.
    expect(batches.flat()).toEqual([{ id: record.id, lastUsedAt: new Date(first) }]);

    const again = setup({ store, touchInterval: 60_000, cache: { ttl: 3_600_000 } });
    const start = again.clock.now();
    await again.keys.verify(key);
    again.clock.advance(59_999);
    expect(again.keys.check(key)).toMatchObject({ ok: true });
    again.clock.advance(1);
    expect(again.keys.check(key)).toMatchObject({ ok: true });
    again.clock.advance(5_000);
    expect(again.keys.check(key)).toMatchObject({ ok: true });
    await again.keys.close();
    expect(batches.slice(1).flat()).toEqual([
      { id: record.id, lastUsedAt: new Date(start + 60_000) },
    ]);
  });
});
