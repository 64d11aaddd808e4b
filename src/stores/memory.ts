/**
 * The in-process key store: for tests, demos and single-process servers that can afford to
 * lose their keys on restart. Records are copied on the way in and out so that callers can
 * never mutate what the store holds.
 */
import type {
  ApiKeyPatch,
  ApiKeyRecord,
  KeyStore,
  KeyStoreChange,
  Page,
  PageRequest,
  TouchEntry,
} from "../types.js";
import { comparePosition, decodeCursor, encodeCursor, pageLimit } from "./page-cursor.js";
import { spendFrom } from "../verify/api-key/credits.js";

function copy(record: ApiKeyRecord): ApiKeyRecord {
  return structuredClone(record);
}

/** A full {@link KeyStore} in process memory; `subscribe` announces this process's own writes. */
export interface MemoryKeyStore extends Required<Omit<KeyStore, "close">> {
  /** Drops the change listeners; the records stay readable. */
  close(): Promise<void>;
  /** How many records it holds. */
  readonly size: number;
}

/** Creates an empty in-memory store. Keys are lost when the process ends; not shared between processes. */
export function memoryKeyStore(): MemoryKeyStore {
  const records = new Map<string, ApiKeyRecord>();
  const listeners = new Set<(change: KeyStoreChange) => void>();

  function announce(change: KeyStoreChange): void {
    for (const listener of listeners) {
      // A listener that throws must not stop the others or the write that announced.
      try {
        listener(change);
      } catch {
        /* ignored on purpose */
      }
    }
  }

  return {
    get size() {
      return records.size;
    },

    get(id) {
      const record = records.get(id);
      return Promise.resolve(record ? copy(record) : null);
    },

    create(record) {
      if (records.has(record.id)) {
        return Promise.reject(new Error(`a key with id ${record.id} exists already`));
      }
      records.set(record.id, copy(record));
      return Promise.resolve();
    },

    update(id, patch: ApiKeyPatch) {
      const current = records.get(id);
      if (!current) return Promise.resolve(null);
      const next: ApiKeyRecord = {
        ...current,
        ...structuredClone(patch),
        id,
        createdAt: current.createdAt,
      };
      records.set(id, next);
      announce({ type: "update", id });
      return Promise.resolve(copy(next));
    },

    delete(id) {
      const existed = records.delete(id);
      if (existed) announce({ type: "delete", id });
      return Promise.resolve(existed);
    },

    listByOwner(ownerId, page?: PageRequest): Promise<Page<ApiKeyRecord>> {
      const limit = pageLimit(page);
      const after = decodeCursor(page?.cursor);
      const owned = [...records.values()]
        .filter((r) => r.ownerId === ownerId)
        .map((r) => ({ record: r, position: { createdAt: r.createdAt.getTime(), id: r.id } }))
        .filter((r) => !after || comparePosition(r.position, after) > 0)
        .sort((a, b) => comparePosition(a.position, b.position));
      const items = owned.slice(0, limit);
      const last = items.at(-1);
      const next = owned.length > limit && last ? encodeCursor(last.position) : null;
      return Promise.resolve({ items: items.map((r) => copy(r.record)), next });
    },

    touch(batch: TouchEntry[]) {
      for (const { id, lastUsedAt } of batch) {
        const record = records.get(id);
        if (record) record.lastUsedAt = new Date(lastUsedAt.getTime());
      }
      return Promise.resolve();
    },

    spendCredits(id, cost, now) {
      const record = records.get(id);
      if (!record?.credits) return Promise.resolve(null);
      const spent = spendFrom(record.credits, cost, now.getTime());
      // Not announced: a spend is not a change of the key (see KeyStore.spendCredits).
      if (spent.ok) record.credits = spent.credits;
      return Promise.resolve(structuredClone(spent));
    },

    subscribe(onChange) {
      listeners.add(onChange);
      return () => {
        listeners.delete(onChange);
      };
    },

    close() {
      listeners.clear();
      return Promise.resolve();
    },
  };
}
