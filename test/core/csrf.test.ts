import { describe, expect, it } from "vitest";
import { checkCsrf, resolveCsrf } from "../../src/pick/csrf.js";
import { GOOD_KEY, makeAuth, sign } from "./helpers.js";

async function post(
  headers: Record<string, string>,
  extra: Parameters<typeof makeAuth>[0] = {},
  method = "POST",
) {
  const { auth } = makeAuth(extra);
  const cookie = `access_token=${await sign()}`;
  return auth.authenticate(
    new Request("https://app.example.com/things", {
      method,
      headers: { cookie, ...headers },
    }),
  );
}

describe("CSRF for cookie authentication", () => {
  it("a same-origin POST with the cookie passes", async () => {
    expect((await post({ origin: "https://app.example.com" })).ok).toBe(true);
    expect((await post({ "sec-fetch-site": "same-origin" })).ok).toBe(true);
  });

  it.each(["POST", "PUT", "PATCH", "DELETE"])(
    "a cross-origin %s is csrf_failed (403)",
    async (method) => {
      const result = await post({ origin: "https://evil.example" }, {}, method);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe("csrf_failed");
      expect(result.error.status).toBe(403);
      expect(result.error.challenge()).toBeUndefined();
    },
  );

  it("no Origin, Origin null and same-site (sibling subdomain) are refused", async () => {
    for (const headers of [
      {} as Record<string, string>,
      { origin: "null" },
      { "sec-fetch-site": "same-site", origin: "https://x.example.com" },
    ]) {
      const result = await post(headers);
      expect(!result.ok && result.error.code).toBe("csrf_failed");
    }
  });

  it("safe methods are not checked", async () => {
    expect((await post({ origin: "https://evil.example" }, {}, "GET")).ok).toBe(true);
  });

  it("the Host header is the request's own origin too (behind a proxy the URL may differ)", () => {
    const config = resolveCsrf(undefined);
    const view = {
      method: "POST",
      url: "https://internal:8080/x",
      headers: new Headers({ host: "app.example.com", origin: "https://app.example.com" }),
    };
    expect(checkCsrf(view, config)).toBeNull();
  });

  it("allowedOrigins admits another origin", async () => {
    const result = await post(
      { origin: "https://admin.example.com" },
      { csrf: { allowedOrigins: ["https://admin.example.com/"] } },
    );
    expect(result.ok).toBe(true);
  });

  it("double-submit: a matching token passes without Origin, a different one does not", async () => {
    const extra = { csrf: { doubleSubmit: true } };
    const { auth } = makeAuth(extra);
    const token = await sign();
    const send = (header: string) =>
      auth.authenticate(
        new Request("https://app.example.com/x", {
          method: "POST",
          headers: { cookie: `access_token=${token}; csrf_token=r4nd0m`, "x-csrf-token": header },
        }),
      );
    expect((await send("r4nd0m")).ok).toBe(true);
    const wrong = await send("other");
    expect(!wrong.ok && wrong.error.code).toBe("csrf_failed");
  });

  it("Bearer and API-key requests are not affected", async () => {
    const { auth } = makeAuth();
    const bearer = await auth.authenticate(
      new Request("https://app.example.com/x", {
        method: "POST",
        headers: { authorization: `Bearer ${await sign()}`, origin: "https://evil.example" },
      }),
    );
    expect(bearer.ok).toBe(true);
    const key = await auth.authenticate(
      new Request("https://app.example.com/x", {
        method: "DELETE",
        headers: { "x-api-key": GOOD_KEY, origin: "https://evil.example" },
      }),
    );
    expect(key.ok).toBe(true);
  });

  it("csrf: false turns the rule off (with a warning)", async () => {
    const result = await post({ origin: "https://evil.example" }, { csrf: false });
    expect(result.ok).toBe(true);
  });

  it("refuses an invalid allowed origin at construction", () => {
    expect(() => resolveCsrf({ allowedOrigins: ["not a url"] })).toThrow(
      /csrf.allowedOrigins\[0\]/,
    );
  });
});
