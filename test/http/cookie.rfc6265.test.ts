/**
 * The Cookie header as RFC 6265 §4.2.1 and §5.4 define it: pairs separated by ";" only. A
 * comma belongs to the value it is in, so a name that appears after one was never sent as
 * a cookie, and must not authenticate.
 */
import type { RequestListener } from "node:http";
import { connect } from "node:net";
import { getRequestListener } from "@hono/node-server";
import fc from "fast-check";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import * as ho from "../../adapters/hono.js";
import { createAuth } from "../../src/create-auth.js";
import { cookieValues, readCookie } from "../../src/extract/cookies.js";
import { nodeRequestView } from "../../src/http/node-request.js";
import type { RequestView } from "../../src/types.js";
import { withServer } from "../adapters/with-server.js";

const TARGETS = ["access_token", "__Host-access_token"] as const;

// RFC 6265 §4.1.1 cookie-octet (no CTL, whitespace, DQUOTE, comma, semicolon or backslash),
// plus what browsers let through inside a value anyway: commas and inner spaces.
const OCTETS = [..."!#$%&'()*+-./0123456789:<=>?@ABCXYZ[]^_`abcxyz{|}~"];
const octets = (min: number) => fc.string({ unit: fc.constantFrom(...OCTETS), minLength: min });
const otherName = fc
  .string({ unit: fc.constantFrom(..."abcdHost_-"), minLength: 1, maxLength: 10 })
  .filter((name) => !(TARGETS as readonly string[]).includes(name));
const looseValue = fc
  .array(fc.oneof(octets(1), fc.constantFrom(",", ", ", " ")), { maxLength: 6 })
  .map((parts) => parts.join("").replace(/^ +| +$/g, ""));
const separator = fc.constantFrom("; ", ";", " ; ", ";\t");

describe("cookie pairs are separated by ';' only", () => {
  it("a name after a comma inside another cookie's value never yields a value", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(otherName, looseValue), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.constantFrom(...TARGETS),
        fc.constantFrom(",", ", ", " ,", ",  "),
        octets(1),
        separator,
        (pairs, at, target, comma, planted, sep) => {
          const cookies = pairs.map(([name, value]) => `${name}=${value}`);
          const i = at % cookies.length;
          cookies[i] = `${cookies[i]}${comma}${target}=${planted}`;
          const header = cookies.join(sep);
          expect(cookieValues(header, target)).toEqual([]);
          expect(readCookie(header, target)).toEqual({ kind: "absent" });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads back exactly the values a browser would send for the name", () => {
    const pair = fc.tuple(
      fc.oneof(otherName, fc.constantFrom(...TARGETS)),
      looseValue,
      fc.boolean(),
    );
    fc.assert(
      fc.property(
        fc.array(pair, { maxLength: 6 }),
        separator,
        fc.constantFrom(...TARGETS),
        (pairs, sep, target) => {
          const header = pairs
            .map(([name, value, quoted]) => `${name}=${quoted ? `"${value}"` : value}`)
            .join(sep);
          const expected = pairs
            .filter(([name, value]) => name === target && value.length > 0)
            .map(([, value]) => value);
          expect(cookieValues(header, target)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never throws, on any header and name", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.string(), (header, name) => {
        expect(Array.isArray(cookieValues(header, name))).toBe(true);
        expect(["absent", "value", "invalid"]).toContain(readCookie(header, name).kind);
      }),
    );
  });
});

describe("__Host- cookie names", () => {
  it("are read under their full name, and only under it", () => {
    expect(readCookie("__Host-access_token=abc", "__Host-access_token")).toEqual({
      kind: "value",
      value: "abc",
    });
    expect(readCookie("__Host-access_token=abc", "access_token")).toEqual({ kind: "absent" });
    expect(readCookie("access_token=abc", "__Host-access_token")).toEqual({ kind: "absent" });
    expect(readCookie("__host-access_token=abc", "__Host-access_token")).toEqual({
      kind: "absent",
    });
  });

  it("cannot be planted inside another cookie's value", () => {
    expect(readCookie("pref=x,__Host-access_token=evil", "__Host-access_token")).toEqual({
      kind: "absent",
    });
    // A real one beside the planted text is the only value.
    expect(
      readCookie(
        "pref=x,__Host-access_token=evil; __Host-access_token=good",
        "__Host-access_token",
      ),
    ).toEqual({ kind: "value", value: "good" });
  });
});

describe("cookie authentication end to end", () => {
  const auth = createAuth({
    jwt: {
      secret: "cookie-test-secret-0123456789abcdef0123456789",
      algorithms: ["HS256"],
      issuer: "https://api.test",
      audience: "api",
      ttl: "1h",
    },
    cookie: { name: "__Host-access_token" },
  });
  afterAll(() => auth.close());
  const view = (cookie: string): RequestView => ({
    method: "GET",
    url: "https://api.test/me",
    headers: { get: (name) => (name === "cookie" ? cookie : null) },
  });

  it("`pref=x,<our cookie>=<jwt>` does not authenticate; `pref=x; <our cookie>=<jwt>` does", async () => {
    const token = await auth.tokens.issue({ sub: "alice" });
    const planted = await auth.authenticate(view(`pref=x,__Host-access_token=${token}`));
    expect(planted.ok).toBe(false);
    expect(!planted.ok && planted.error.code).toBe("missing_credentials");
    const sent = await auth.authenticate(view(`pref=x; __Host-access_token=${token}`));
    expect(sent.ok && sent.principal).toMatchObject({ id: "alice", via: "cookie" });
  });

  it("two different values for our cookie are invalid_request", async () => {
    const token = await auth.tokens.issue({ sub: "alice" });
    const other = await auth.tokens.issue({ sub: "mallory" });
    const result = await auth.authenticate(
      view(`__Host-access_token=${token}; __Host-access_token=${other}`),
    );
    expect(!result.ok && result.error.code).toBe("invalid_request");
  });

  /** Sends the header lines as written to `listener` over a raw socket; returns the status. */
  async function statusOfRaw(listener: RequestListener, lines: string[]): Promise<number> {
    let raw = "";
    await withServer(listener, async (url) => {
      const socket = connect(Number(new URL(url).port), "127.0.0.1");
      socket.write(
        ["GET /me HTTP/1.1", "Host: api.test", "Connection: close", ...lines, "", ""].join("\r\n"),
      );
      for await (const chunk of socket) raw += String(chunk);
    });
    return Number(raw.split(" ")[1]);
  }

  it("two Cookie lines on Node are joined with '; ' and read (core on a Node request)", async () => {
    const token = await auth.tokens.issue({ sub: "alice" });
    const status = await statusOfRaw(
      (req, res) => {
        void auth
          .authenticate(nodeRequestView(req, null, () => "https://api.test/me"))
          .then((r) => {
            res.statusCode = r.ok ? 200 : r.error.status;
            res.end();
          });
      },
      ["Cookie: theme=dark", `Cookie: __Host-access_token=${token}`],
    );
    expect(status).toBe(200);
  });

  it("two Cookie lines through the Hono adapter on @hono/node-server are read", async () => {
    const token = await auth.tokens.issue({ sub: "alice" });
    const app = new Hono();
    app.use("*", ho.authenticate(auth));
    app.get("/me", (c) => c.text("ok"));
    const handle = getRequestListener(app.fetch);
    const listener: RequestListener = (req, res) => void handle(req, res);
    const lines = ["Cookie: theme=dark", `Cookie: __Host-access_token=${token}`];
    expect(await statusOfRaw(listener, lines)).toBe(200);
    expect(await statusOfRaw(listener, ["Cookie: theme=dark"])).toBe(401);
  });

  it("Node's Fetch Headers join two Cookie lines with '; ' too: read", async () => {
    const token = await auth.tokens.issue({ sub: "alice" });
    const headers = new Headers();
    headers.append("cookie", "theme=dark");
    headers.append("cookie", `__Host-access_token=${token}`);
    expect(headers.get("cookie")).toBe(`theme=dark; __Host-access_token=${token}`);
    const result = await auth.authenticate(new Request("https://api.test/me", { headers }));
    expect(result.ok && result.principal.via).toBe("cookie");
  });

  it("lines joined with ', ' (the generic Fetch combine) leave the second unread: refused", async () => {
    const token = await auth.tokens.issue({ sub: "alice" });
    const result = await auth.authenticate(view(`theme=dark, __Host-access_token=${token}`));
    expect(!result.ok && result.error.code).toBe("missing_credentials");
  });
});
