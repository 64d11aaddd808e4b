/** The design's README snippet, through createAuth: a created key authenticates a request. */
import { describe, expect, it } from "vitest";
import { createAuth, memoryKeyStore } from "../../src/index.js";
import { cheapArgon2 } from "./helpers.js";

describe("API keys through createAuth", () => {
  it("authenticates a key created with auth.keys.create from the x-api-key header", async () => {
    const auth = createAuth({
      apiKeys: {
        store: memoryKeyStore(),
        header: "x-api-key",
        prefix: "gh",
        hasher: cheapArgon2(),
      },
    });
    const { key } = await auth.keys.create({
      ownerId: "alice",
      name: "ci",
      scopes: ["reports:read"],
    });
    const result = await auth.authenticate(
      new Request("http://x/", { headers: { "x-api-key": key } }),
    );
    expect(result.ok && result.principal).toMatchObject({
      id: "alice",
      via: "apiKey",
      scopes: ["reports:read"],
    });
    const bad = await auth.authenticate(
      new Request("http://x/", { headers: { "x-api-key": key.slice(0, -1) } }),
    );
    expect(!bad.ok && bad.error.code).toBe("invalid_api_key");
    await auth.close();
  });

  it("routes a Bearer value in the key format to the key verifier when acceptBearer is on", async () => {
    const auth = createAuth({
      apiKeys: { store: memoryKeyStore(), acceptBearer: true, hasher: cheapArgon2() },
    });
    const { key } = await auth.keys.create({ ownerId: "bob", name: "ci" });
    const result = await auth.authenticate(
      new Request("http://x/", { headers: { authorization: `Bearer ${key}` } }),
    );
    expect(result.ok && result.principal.id).toBe("bob");
    await auth.close();
  });
});
