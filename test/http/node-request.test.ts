import type { IncomingMessage, RequestListener } from "node:http";
import { connect } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPreflight, nodeRequestView } from "../../src/http/node-request.js";
import { withServer } from "../adapters/with-server.js";

const fake = (rawHeaders: string[], method = "GET", headers: Record<string, string> = {}) =>
  ({ rawHeaders, headers, method }) as unknown as IncomingMessage;

/** Sends raw header lines to a real Node server and returns what the view reads. */
async function viewOfRaw(
  headerLines: string[],
  names: string[],
  before?: (req: IncomingMessage) => void,
): Promise<Record<string, string | null>> {
  let raw = "";
  const listener: RequestListener = (req, res) => {
    before?.(req);
    const view = nodeRequestView(req, null, () => "http://x/");
    res.end(JSON.stringify(Object.fromEntries(names.map((n) => [n, view.headers.get(n)]))));
  };
  await withServer(listener, async (url) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    socket.write(
      ["GET / HTTP/1.1", "Host: x", "Connection: close", ...headerLines, "", ""].join("\r\n"),
    );
    for await (const chunk of socket) raw += String(chunk);
  });
  return JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as Record<string, string | null>;
}

describe("nodeRequestView", () => {
  it("keeps every value of a repeated header, case-insensitively, joined like Fetch", async () => {
    // Node's req.headers keeps only the first Authorization line; the view must not.
    const seen = await viewOfRaw(
      ["Authorization: Bearer a", "x-api-key: k", "authorization: Bearer b", "X-Api-Key: k2"],
      ["AUTHORIZATION", "X-Api-Key", "origin"],
    );
    expect(seen).toEqual({
      AUTHORIZATION: "Bearer a, Bearer b",
      "X-Api-Key": "k, k2",
      origin: null,
    });
  });

  it("counts every Authorization line whatever its case, and no other name", () => {
    const caseOf = (name: string) =>
      fc
        .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
        .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
    const line = fc.oneof(
      fc.tuple(caseOf("authorization"), fc.stringMatching(/^[a-z]{1,8}$/)),
      // Same length, one letter off: must not count.
      fc.tuple(caseOf("authorizatiom"), fc.stringMatching(/^[a-z]{1,8}$/)),
      fc.tuple(caseOf("x-api-key"), fc.stringMatching(/^[a-z]{1,8}$/)),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => {
        const values = lines
          .filter(([name]) => name.toLowerCase() === "authorization")
          .map(([, value]) => value);
        // As Node fills req.headers: the first Authorization line only.
        const first: Record<string, string> =
          values.length > 0 ? { authorization: values[0]! } : {};
        const view = nodeRequestView(fake(lines.flat(), "GET", first), null, () => "http://x/");
        expect(view.headers.get("Authorization")).toBe(
          values.length > 0 ? values.join(", ") : null,
        );
      }),
    );
  });

  it("respects a header that a middleware rewrote in req.headers", async () => {
    const seen = await viewOfRaw(["x-api-key: sent"], ["x-api-key", "authorization"], (req) => {
      req.headers["x-api-key"] = "rewritten";
      req.headers.authorization = "Bearer added";
    });
    expect(seen).toEqual({ "x-api-key": "rewritten", authorization: "Bearer added" });
  });

  it("reads a single Authorization line as sent", async () => {
    const seen = await viewOfRaw(["Authorization: Bearer a"], ["authorization"]);
    expect(seen).toEqual({ authorization: "Bearer a" });
  });

  it("joins split cookie lines with '; '", async () => {
    const seen = await viewOfRaw(["cookie: a=1", "Cookie: b=2"], ["cookie"]);
    expect(seen).toEqual({ cookie: "a=1; b=2" });
  });

  it("builds the URL only when read", () => {
    let built = 0;
    const view = nodeRequestView(fake([]), null, () => {
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
