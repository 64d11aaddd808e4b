/**
 * The behaviour every KeyStore must show, as a vitest suite. Our own stores run it, and so
 * can a store written on someone else's database:
 *
 *     keyStoreConformance(() => myStore({ ... }));
 *
 * Each test gets a fresh store from `makeStore` and uses random ids and owners, so a store
 * backed by a shared database may keep its data between tests. Optional capabilities
 * (`touch`, `subscribe`, `spendCredits`, the write methods) skip their tests, saying so, when absent.
 */
import { afterEach, describe } from "vitest";
import type { ApiKeyRecord, KeyStore, Milliseconds } from "../types.js";
import { capabilityTests } from "./conformance-capabilities.js";
import { creditTests } from "./conformance-credits.js";
import { idTests } from "./conformance-ids.js";
import { listingTests } from "./conformance-listing.js";
import { recordTests } from "./conformance-records.js";

/** Options of {@link keyStoreConformance}. */
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

    const context = { open, setup, changeTimeout };
    recordTests(context);
    idTests(context);
    listingTests(context);
    capabilityTests(context);
    creditTests(context);
  });
}
