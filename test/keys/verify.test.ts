import { afterEach, describe, expect, it } from "vitest";
import { formatApiKey, parseApiKey } from "../../src/keys/key-format.js";
import { setup } from "./helpers.js";
import type { Setup } from "./helpers.js";

let current: Setup | undefined;
function make(...args: Parameters<typeof setup>): Setup {
  current = setup(...args);
  return current;
}
afterEach(async () => {
  await current?.keys.close();
  current = undefined;
});

describe("verify", () => {
  it("authenticates a key it created, as the owner, via apiKey", async () => {
    const { keys } = make();
    const { key, record } = await keys.manager.create({
      ownerId: "alice",
      name: "ci",
      scopes: ["reports:read"],
      roles: ["reader"],
    });
    const result = await keys.verify(key);
    expect(result).toEqual({
      ok: true,
      principal: {
        id: "alice",
        type: "apiKey",
        via: "apiKey",
        scopes: ["reports:read"],
        roles: ["reader"],
        key: { id: record.id, name: "ci", ownerId: "alice" },
      },
    });
  });

  it("makes service-owned keys authenticate as type service", async () => {
    const { keys } = make();
    const { key } = await keys.manager.create({
      ownerId: "billing",
      ownerType: "service",
      name: "s",
    });
    const result = await keys.verify(key);
    expect(result.ok && result.principal.type).toBe("service");
  });

  it("rejects a wrong secret with invalid_api_key", async () => {
    const { keys } = make();
    const { key } = await keys.manager.create({ ownerId: "alice", name: "ci" });
    const parts = parseApiKey(key)!;
    const forged = formatApiKey({ ...parts, secret: "x".repeat(parts.secret.length) });
    const result = await keys.verify(forged);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe("invalid_api_key");
  });
});
