import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256 } from "../../src/crypto/sha256.js";

describe("sha256 (the caches' key)", () => {
  it("is the 32 bytes createHash gives, as a latin1 string, for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        const digest = sha256(text);
        expect(digest).toHaveLength(32);
        expect(Buffer.from(digest, "latin1")).toEqual(createHash("sha256").update(text).digest());
      }),
    );
  });

  it("tells apart strings that differ in one character", () => {
    expect(sha256("gh_a")).not.toBe(sha256("gh_b"));
    expect(sha256("")).toBe(createHash("sha256").update("").digest("binary"));
  });
});
