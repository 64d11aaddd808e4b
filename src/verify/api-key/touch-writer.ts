/**
 * Last-used timestamps, written behind: a verify only notes the use; at most one write per
 * key per interval reaches the store, and the writes of one moment go as one
 * `store.touch(batch)`. A hot key at 10 000 requests/s thus costs one write a minute.
 */
import { LRUCache } from "lru-cache";
import type { KeyStore, Milliseconds, TouchEntry } from "../../types.js";

export interface TouchWriter {
  /**
   * Notes a use of key `id` at `now`. Returns the earliest time at which noting `id` again
   * can write anything, so that a caller holding that id may skip the calls before it.
   */
  note(id: string, now: Milliseconds): Milliseconds;
  /** Writes what is pending now. Never rejects. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

/** How long notes gather before a batch is written. */
const BATCH_DELAY: Milliseconds = 1000;

export function createTouchWriter(
  store: KeyStore,
  interval: Milliseconds,
  onError: (error: unknown) => void,
): TouchWriter {
  const pending = new Map<string, number>();
  // When each key was last noted for writing; bounded so that a flood of ids cannot grow it.
  const written = new LRUCache<string, number>({ max: 100_000 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0 || !store.touch) return;
    const batch: TouchEntry[] = [...pending].map(([id, at]) => ({ id, lastUsedAt: new Date(at) }));
    pending.clear();
    try {
      await store.touch(batch);
    } catch (error) {
      onError(error);
    }
  }

  return {
    note(id, now) {
      if (!store.touch || closed) return Infinity;
      const last = written.get(id);
      if (last !== undefined && now - last < interval) return last + interval;
      written.set(id, now);
      pending.set(id, now);
      if (!timer) {
        timer = setTimeout(() => void flush(), Math.min(BATCH_DELAY, interval));
        // A pending last-used write must not keep a process alive; close() flushes it.
        timer.unref();
      }
      return now + interval;
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}
