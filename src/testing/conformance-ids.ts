/**
 * Conformance: ids and owner ids match exactly, byte for byte. A database collation that
 * folds case or accents, or ignores trailing spaces (MariaDB's and MySQL's defaults do all
 * of it, and even their `PAD SPACE` binary collations ignore trailing spaces), turns
 * `listByOwner("Alice ")` into a listing of `alice`'s keys and makes two keys whose ids
 * differ only in case collide.
 */
import { describe, expect, it } from "vitest";
import type { ApiKeyRecord, KeyStore } from "../types.js";
import type { SuiteContext } from "./conformance-context.js";
import { randomId, sampleKeyRecord } from "./fixtures.js";

/**
 * What a store gets wrong about exact matching, one sentence per problem; empty when it
 * matches exactly. Exported so that a store's own tests can show a bad collation failing.
 */
export async function idMatchingProblems(
  store: KeyStore,
  put: (record: ApiKeyRecord) => Promise<void>,
): Promise<string[]> {
  const problems: string[] = [];
  const id = `Key${randomId()}`;
  const ownerId = `Owner-${randomId()}`;
  await put(sampleKeyRecord({ id, ownerId }));

  for (const variant of [id.toLowerCase(), id.toUpperCase(), `${id} `]) {
    if ((await store.get(variant)) !== null) {
      problems.push(`get(${JSON.stringify(variant)}) found the key ${JSON.stringify(id)}`);
    }
  }
  const accented = `clé-${randomId()}`;
  await put(sampleKeyRecord({ id: accented }));
  const folded = accented.replace("é", "e");
  if ((await store.get(folded)) !== null) {
    problems.push(`get(${JSON.stringify(folded)}) found the key ${JSON.stringify(accented)}`);
  }

  const lowerOwner = ownerId.toLowerCase();
  try {
    await put(sampleKeyRecord({ id: id.toLowerCase(), ownerId: lowerOwner }));
  } catch {
    problems.push(
      `a key ${JSON.stringify(id.toLowerCase())} was refused beside ${JSON.stringify(id)}`,
    );
  }
  if (store.listByOwner) {
    for (const owner of [lowerOwner, `${ownerId} `]) {
      const { items } = await store.listByOwner(owner);
      const foreign = items.filter((record) => record.ownerId !== owner).map((r) => r.ownerId);
      if (foreign.length > 0) {
        problems.push(`listByOwner(${JSON.stringify(owner)}) listed keys of ${foreign.join(", ")}`);
      }
    }
  }
  return problems;
}

export function idTests({ setup }: SuiteContext): void {
  describe("exact ids", () => {
    it("ids and owner ids match exactly: no case or accent folding, no trailing-space padding", async ({
      skip,
    }) => {
      const { store, put } = await setup(skip);
      expect(await idMatchingProblems(store, put)).toEqual([]);
    });
  });
}
