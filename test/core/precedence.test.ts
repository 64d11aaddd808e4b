import { describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { GOOD_KEY, jwtOptions, makeAuth, req, sign, stubApiKeys } from "./helpers.js";

describe("credential precedence", () => {
  it("a valid Bearer JWT authenticates, mapped to a principal", async () => {
    const { auth, events } = makeAuth();
    const result = await auth.authenticate(req({ authorization: `Bearer ${await sign()}` }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.principal).toMatchObject({
      id: "alice",
      type: "user",
      via: "jwt",
      scopes: ["reports:read"],
      roles: ["admin"],
    });
    expect(events).toEqual([{ type: "authenticated", source: "jwt", principalId: "alice" }]);
  });

  it("a bad JWT beside a valid API key is 401: no fall-through", async () => {
    const { auth, keys } = makeAuth();
    const bad = await sign({}, {}, "another-secret-that-is-long-enough-123456");
    const result = await auth.authenticate(
      req({ authorization: `Bearer ${bad}`, "x-api-key": GOOD_KEY }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("invalid_token");
    expect(result.error.status).toBe(401);
    expect(keys.calls).toEqual([]);
  });

  it("the cookie is ignored when a Bearer header is present", async () => {
    const { auth } = makeAuth();
    const good = await sign({ sub: "from-cookie" });
    const result = await auth.authenticate(
      req({ authorization: "Bearer not.a.jwt", cookie: `access_token=${good}` }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("invalid_token");
  });

  it("an API key wins over the cookie, and a bad key beside a good cookie is 401", async () => {
    const { auth } = makeAuth();
    const cookie = `access_token=${await sign({ sub: "carol" })}`;
    const good = await auth.authenticate(req({ "x-api-key": GOOD_KEY, cookie }));
    expect(good.ok && good.principal.id).toBe("bob");
    const bad = await auth.authenticate(req({ "x-api-key": "gh_wrong", cookie }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe("invalid_api_key");
  });

  it("the cookie authenticates a GET when nothing else is sent", async () => {
    const { auth } = makeAuth();
    const result = await auth.authenticate(
      req({ cookie: `theme=dark; access_token=${await sign()}` }),
    );
    expect(result.ok && result.principal.via).toBe("cookie");
  });

  it("no credential is missing_credentials with a bare challenge", async () => {
    const { auth, events } = makeAuth();
    const result = await auth.authenticate(req());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("missing_credentials");
    expect(result.error.challenge("api")).toBe('Bearer realm="api"');
    expect(events).toEqual([]);
  });

  it("non-Bearer Authorization schemes count as absent", async () => {
    const { auth } = makeAuth();
    const basic = await auth.authenticate(
      req({ authorization: "Basic YWxpY2U6cHc=", "x-api-key": GOOD_KEY }),
    );
    expect(basic.ok && basic.principal.id).toBe("bob");
  });

  it("a key-shaped Bearer goes to the key verifier only when acceptBearer is on", async () => {
    const on = makeAuth({}, stubApiKeys({ acceptBearer: true }));
    const viaKey = await on.auth.authenticate(req({ authorization: `Bearer ${GOOD_KEY}` }));
    expect(viaKey.ok && viaKey.principal.id).toBe("bob");
    const off = makeAuth({}, stubApiKeys({ acceptBearer: false }));
    const viaJwt = await off.auth.authenticate(req({ authorization: `Bearer ${GOOD_KEY}` }));
    expect(viaJwt.ok).toBe(false);
    if (!viaJwt.ok) expect(viaJwt.error.code).toBe("invalid_token");
    expect(off.keys.calls).toEqual([]);
  });

  it("two different Authorization values are invalid_request (400)", async () => {
    const { auth } = makeAuth();
    const headers = new Headers();
    headers.append("authorization", `Bearer ${await sign()}`);
    headers.append("authorization", `Bearer ${await sign({ sub: "mallory" })}`);
    const result = await auth.authenticate(new Request("http://api.test/", { headers }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("invalid_request");
    expect(result.error.status).toBe(400);
  });

  it("two different API-key headers are invalid_request; the same one twice is fine", async () => {
    const { auth } = makeAuth({}, stubApiKeys({ headers: ["x-api-key", "x-api-auth"] }));
    const two = new Headers([
      ["x-api-key", GOOD_KEY],
      ["x-api-auth", "gh_other"],
    ]);
    const bad = await auth.authenticate(new Request("http://api.test/", { headers: two }));
    expect(!bad.ok && bad.error.code).toBe("invalid_request");
    const same = new Headers();
    same.append("x-api-key", GOOD_KEY);
    same.append("x-api-key", GOOD_KEY);
    const ok = await auth.authenticate(new Request("http://api.test/", { headers: same }));
    expect(ok.ok).toBe(true);
  });

  it("two token cookies with different values are invalid_request", async () => {
    const { auth } = makeAuth();
    const cookie = `access_token=${await sign()}; access_token=${await sign({ sub: "x" })}`;
    const result = await auth.authenticate(req({ cookie }));
    expect(!result.ok && result.error.code).toBe("invalid_request");
  });

  it("accepts a neutral RequestView", async () => {
    const { auth } = makeAuth();
    const token = await sign();
    const result = await auth.authenticate({
      method: "GET",
      url: "/x",
      headers: { get: (name) => (name === "authorization" ? `bearer   ${token}` : null) },
    });
    expect(result.ok).toBe(true);
  });

  it("never throws: a broken request or a throwing header getter is unavailable", async () => {
    const { auth } = makeAuth();
    const broken = await auth.authenticate({} as Request);
    expect(!broken.ok && broken.error.code).toBe("unavailable");
    const throwing = await auth.authenticate({
      method: "GET",
      url: "/",
      headers: {
        get() {
          throw new Error("boom");
        },
      },
    });
    expect(!throwing.ok && throwing.error.code).toBe("unavailable");
  });

  it("a throwing onEvent does not change the answer", async () => {
    const { auth } = makeAuth({
      onEvent: () => {
        throw new Error("logger down");
      },
    });
    const result = await auth.authenticate(req({ authorization: `Bearer ${await sign()}` }));
    expect(result.ok).toBe(true);
  });
});

describe("events", () => {
  it("report failures and outages against the credential that decided, never the token", async () => {
    const { auth, events } = makeAuth({
      jwt: {
        toPrincipal: () => {
          throw new Error("mapper bug");
        },
      },
    });
    const token = await sign();
    const broken = await auth.authenticate(req({ authorization: `Bearer ${token}` }));
    expect(!broken.ok && broken.error.code).toBe("unavailable");
    await auth.authenticate(req({ cookie: "access_token=a; access_token=b" }));
    await auth.authenticate(req({ authorization: "Bearer expired.or.bad" }));
    expect(events.map((e) => [e.type, "source" in e ? e.source : undefined])).toEqual([
      ["unavailable", "jwt"],
      ["failed", "cookie"],
      ["failed", "jwt"],
    ]);
    expect(JSON.stringify(events)).not.toContain(token.split(".")[2]);
  });
});

describe("createAuth", () => {
  it("needs jwt or apiKeys", () => {
    expect(() => createAuth({} as never)).toThrow(/at least one of the jwt and apiKeys/);
  });

  it("works with jwt alone; keys reject with a TypeError naming apiKeys", async () => {
    const auth = createAuth({ jwt: jwtOptions });
    await expect(auth.keys.create({ ownerId: "a", name: "n" })).rejects.toThrow(/apiKeys/);
    const result = await auth.tokens.verify(await sign());
    expect(result.ok).toBe(true);
    expect(auth.config.cookie.enabled).toBe(false);
    expect(auth.config.jwt.typ).toBe("at+jwt");
    await auth.close();
  });

  it("refuses the cookie option without jwt", () => {
    expect(() =>
      createAuth({ apiKeys: { store: { get: () => Promise.resolve(null) } }, cookie: true }),
    ).toThrow(/cookie option carries a JWT/);
  });

  it("issues tokens that its own verifier accepts", async () => {
    const auth = createAuth({ jwt: jwtOptions });
    const token = await auth.tokens.issue({ sub: "alice", scopes: ["a", "b"], roles: ["r"] });
    const result = await auth.authenticate(req({ authorization: `Bearer ${token}` }));
    expect(result.ok && result.principal.scopes).toEqual(["a", "b"]);
  });
});
