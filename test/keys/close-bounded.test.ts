/**
 * Shutdown is bounded: a store that hangs on its last-used flush and on close delays
 * `auth.close()` by at most `storeTimeout` a step, and close still resolves.
 */
import { describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { cheapArgon2 } from "./helpers.js";

describe("auth.close()", () => {
  it("resolves within its bound when the store hangs on touch and close", async () => {
    const inner = memoryKeyStore();
    const never = () => new Promise<never>(() => undefined);
    const auth = createAuth({
      apiKeys: {
        store: {
          ...inner,
          get: (id) => inner.get(id),
          create: (r) => inner.create(r),
          touch: never,
          close: never,
        },
        hasher: cheapArgon2(),
        storeTimeout: 100,
      },
    });
    const { key } = await auth.keys.create({ ownerId: "alice", name: "ci" });
    const result = await auth.authenticate(
      new Request("http://x/", { headers: { "x-api-key": key } }),
    );
    expect(result.ok).toBe(true); // a last-used write is now pending
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    try {
      // Unbounded, this would wait forever and the test would time out.
      await auth.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.some((w) => /did not finish on close/.test(w))).toBe(true);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
