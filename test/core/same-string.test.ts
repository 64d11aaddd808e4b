import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sameString } from "../../src/crypto/same-string.js";

describe("sameString", () => {
  it("agrees with === on any two strings, near misses included", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(sameString(a, b)).toBe(a === b);
        expect(sameString(a, a)).toBe(true);
        if (a.length > 0)
          expect(sameString(a, `${a.slice(0, -1)}\u0000`)).toBe(a.endsWith("\u0000"));
      }),
    );
  });
});
