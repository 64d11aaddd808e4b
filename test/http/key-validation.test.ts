import { describe, expect, it } from "vitest";
import { checkCreateBody, checkPageQuery, checkUpdateBody } from "../../src/http/key-validation.js";

const now = new Date("2030-01-01T00:00:00Z");

describe("key route validation", () => {
  it("accepts a minimal create body and trims the name", () => {
    expect(checkCreateBody({ name: "  ci " }, now)).toEqual({
      ok: true,
      value: { name: "ci", scopes: undefined, expiresAt: undefined },
    });
  });

  it("lists every bad field at once, unknown ones included", () => {
    const result = checkCreateBody(
      { name: 3, scopes: ["ok", "has space"], expiresAt: "2020-01-01T00:00:00Z", ownerId: "bob" },
      now,
    );
    expect(result.ok ? [] : result.errors.map((e) => e.field).sort()).toEqual([
      "expiresAt",
      "name",
      "ownerId",
      "scopes",
    ]);
  });

  it("refuses non-object bodies", () => {
    for (const body of [undefined, null, [], "name=x", 1]) {
      expect(checkCreateBody(body, now).ok).toBe(false);
      expect(checkUpdateBody(body, now).ok).toBe(false);
    }
  });

  it("builds a patch of only the fields sent; null expiry clears it", () => {
    expect(checkUpdateBody({ enabled: false, expiresAt: null }, now)).toEqual({
      ok: true,
      value: { enabled: false, expiresAt: null },
    });
    expect(checkUpdateBody({ enabled: "no" }, now).ok).toBe(false);
  });

  it("checks page queries", () => {
    expect(checkPageQuery(new URLSearchParams("limit=10&cursor=abc"))).toEqual({
      ok: true,
      value: { limit: 10, cursor: "abc" },
    });
    expect(checkPageQuery(new URLSearchParams("limit=0")).ok).toBe(false);
    expect(checkPageQuery(undefined)).toEqual({ ok: true, value: {} });
  });
});
