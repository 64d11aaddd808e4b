/** The API-key docs quote a key and a scanner pattern; keep them true. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateApiKey, parseApiKey } from "../../src/verify/api-key/key-format.js";

const doc = readFileSync(new URL("../../docs/api-keys.md", import.meta.url), "utf8");

describe("docs/api-keys.md", () => {
  it("shows an example key that parses", () => {
    const example = /^(gh_[0-9A-Za-z_]+)$/m.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(parseApiKey(example)).not.toBeNull();
  });

  it("gives a scanner pattern that finds generated keys and nothing of another prefix", () => {
    const pattern = /^(\\bgh_.*\\b)$/m.exec(doc)?.[1];
    expect(pattern).toBeDefined();
    const scanner = new RegExp(pattern!);
    for (let i = 0; i < 50; i++) expect(`token: ${generateApiKey().key};`).toMatch(scanner);
    expect(generateApiKey({ prefix: "ghx" }).key).not.toMatch(scanner);
  });
});
