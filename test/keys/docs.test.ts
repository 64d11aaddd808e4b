/** The API-key docs quote a key and a scanner pattern; keep them true. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateApiKey, parseApiKey } from "../../src/verify/api-key/key-format.js";

const doc = readFileSync(new URL("../../docs/api-keys.md", import.meta.url), "utf8");

describe("docs/api-keys.md", () => {
  it("shows an example key that parses", () => {
    const examples = [...doc.matchAll(/^(gatehouse_[0-9A-Za-z_]+)$/gm)].map((m) => m[1]);
    expect(examples.length).toBeGreaterThanOrEqual(2);
    const parsed = examples.map((example) => parseApiKey(example));
    expect(parsed.map((p) => p?.environment)).toEqual(["live", null]);
  });

  it("gives a scanner pattern that finds generated keys and nothing of another prefix", () => {
    const pattern = /^(\\bgatehouse_.*\\b)$/m.exec(doc)?.[1];
    expect(pattern).toBeDefined();
    const scanner = new RegExp(pattern!);
    for (const environment of [null, "test", "live"] as const) {
      for (let i = 0; i < 20; i++) {
        expect(`token: ${generateApiKey({ environment }).key};`).toMatch(scanner);
      }
    }
    expect(generateApiKey({ prefix: "gatehousex" }).key).not.toMatch(scanner);
    expect(generateApiKey({ prefix: "gh" }).key).not.toMatch(scanner);
  });
});
