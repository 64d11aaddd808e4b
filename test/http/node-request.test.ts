import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { isPreflight, nodeRequestView } from "../../src/http/node-request.js";

const fake = (rawHeaders: string[], method = "GET") =>
  ({ rawHeaders, method }) as unknown as IncomingMessage;

describe("nodeRequestView", () => {
  it("keeps every value of a repeated header, case-insensitively, joined like Fetch", () => {
    const view = nodeRequestView(
      fake(["Authorization", "Bearer a", "x-api-key", "k", "authorization", "Bearer b"]),
      () => "http://x/",
    );
    expect(view.headers.get("AUTHORIZATION")).toBe("Bearer a, Bearer b");
    expect(view.headers.get("X-Api-Key")).toBe("k");
    expect(view.headers.get("origin")).toBeNull();
  });

  it("joins split cookie lines with '; '", () => {
    const view = nodeRequestView(fake(["cookie", "a=1", "Cookie", "b=2"]), () => "http://x/");
    expect(view.headers.get("cookie")).toBe("a=1; b=2");
  });

  it("builds the URL only when read", () => {
    let built = 0;
    const view = nodeRequestView(fake([]), () => {
      built += 1;
      return "http://x/y";
    });
    expect(built).toBe(0);
    expect(view.url).toBe("http://x/y");
    expect(view.url).toBe("http://x/y");
    expect(built).toBe(1);
  });

  it("recognises a CORS preflight only with Access-Control-Request-Method", () => {
    const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });
    expect(isPreflight("OPTIONS", headers({ "access-control-request-method": "GET" }))).toBe(true);
    expect(isPreflight("OPTIONS", headers({}))).toBe(false);
    expect(isPreflight("GET", headers({ "access-control-request-method": "GET" }))).toBe(false);
  });
});
