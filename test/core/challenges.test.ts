/**
 * The challenge names the scheme the refused credential was sent with: a key in its header
 * gets an ApiKey challenge, the same key sent as a Bearer token a Bearer one.
 */
import { describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { cheapArgon2 } from "../keys/helpers.js";

describe("challenges of key failures", () => {
  it("follow the way the key arrived", async () => {
    const auth = createAuth({
      apiKeys: { store: memoryKeyStore(), hasher: cheapArgon2(), acceptBearer: true },
    });
    try {
      const { key } = await auth.keys.create({ ownerId: "alice", name: "ci" });
      await auth.keys.update("alice", key.split("_")[1]!, { enabled: false });
      const send = (headers: Record<string, string>) =>
        auth.authenticate(new Request("http://x/", { headers }));

      const inHeader = await send({ "x-api-key": key });
      expect(inHeader.ok).toBe(false);
      if (!inHeader.ok) {
        expect(inHeader.error.code).toBe("key_disabled");
        expect(inHeader.error.headers()["www-authenticate"]).toMatch(
          /^ApiKey realm="api", error="invalid_key"/,
        );
      }
      const asBearer = await send({ authorization: `Bearer ${key}` });
      if (!asBearer.ok) {
        expect(asBearer.error.code).toBe("key_disabled");
        expect(asBearer.error.headers()["www-authenticate"]).toMatch(
          /^Bearer realm="api", error="invalid_token"/,
        );
      }
      expect(asBearer.ok).toBe(false);
      const twoValues = await send({ "x-api-key": `${key}, other` });
      expect(twoValues.ok).toBe(false);
      if (!twoValues.ok) expect(twoValues.error.headers()["www-authenticate"]).toMatch(/^ApiKey /);
    } finally {
      await auth.close();
    }
  });
});
