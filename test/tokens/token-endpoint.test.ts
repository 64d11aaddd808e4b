import { decodeJwt } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { createTokenEndpoint } from "../../src/tokens/token-endpoint.js";
import type { HttpAnswer } from "../../src/http/answer.js";
import {
  basic,
  makeAuth,
  post,
  routeRequest,
  switchableStore,
  verifyUser,
} from "./endpoint-fixture.js";

type Auth = ReturnType<typeof makeAuth>;

function bodyOf(answer: HttpAnswer | null): Record<string, unknown> {
  expect(answer).not.toBeNull();
  return answer!.body as Record<string, unknown>;
}

function expectOAuthError(answer: HttpAnswer | null, status: number, error: string): void {
  expect(answer?.status).toBe(status);
  expect(bodyOf(answer).error).toBe(error);
  expect(answer?.headers["cache-control"]).toBe("no-store");
}

describe("the token endpoint", () => {
  let auth: Auth;
  let userKey: string;
  let userKeyId: string;
  let serviceKey: string;
  let serviceKeyId: string;

  beforeEach(async () => {
    auth = makeAuth();
    const user = await auth.keys.create({
      ownerId: "alice",
      name: "portal",
      scopes: ["reports:read", "reports:write"],
      roles: ["editor"],
    });
    userKey = user.key;
    userKeyId = user.record.id;
    const service = await auth.keys.create({
      ownerId: "billing-service",
      ownerType: "service",
      name: "billing",
      scopes: ["invoices:read"],
      roles: ["app"],
    });
    serviceKey = service.key;
    serviceKeyId = service.record.id;
  });

  describe("refresh_token (the API key is the refresh token)", () => {
    it("answers an RFC 6749 token whose principal is the key's owner with its scopes and roles", async () => {
      const endpoint = createTokenEndpoint(auth);
      const answer = await endpoint.handle(
        post("/token", { grant_type: "refresh_token", refresh_token: userKey }),
      );
      expect(answer?.status).toBe(200);
      expect(answer?.headers).toMatchObject({
        "cache-control": "no-store",
        pragma: "no-cache",
        "content-type": "application/json",
      });
      const body = bodyOf(answer);
      expect(body).toMatchObject({
        token_type: "Bearer",
        expires_in: 900,
        scope: "reports:read reports:write",
      });
      const verified = await auth.tokens.verify(body.access_token as string);
      expect(verified.ok && verified.principal).toMatchObject({
        id: "alice",
        scopes: ["reports:read", "reports:write"],
        roles: ["editor"],
      });
      expect(decodeJwt(body.access_token as string).key_id).toBe(userKeyId);
    });

    it("narrows to a requested subset and refuses to widen", async () => {
      const endpoint = createTokenEndpoint(auth);
      const narrow = bodyOf(
        await endpoint.handle(
          post("/token", {
            grant_type: "refresh_token",
            refresh_token: userKey,
            scope: "reports:read",
          }),
        ),
      );
      expect(narrow.scope).toBe("reports:read");
      expect(decodeJwt(narrow.access_token as string).scope).toBe("reports:read");

      const wide = await endpoint.handle(
        post("/token", {
          grant_type: "refresh_token",
          refresh_token: userKey,
          scope: "reports:read admin",
        }),
      );
      expectOAuthError(wide, 400, "invalid_scope");
    });

    it("answers invalid_grant for a disabled, revoked, expired or made-up key", async () => {
      const endpoint = createTokenEndpoint(auth, { attempts: false });
      const store = memoryKeyStore();
      const local = makeAuth(store);
      const expiring = await local.keys.create({ ownerId: "bob", name: "old" });
      // Straight into the store: the key manager refuses a past expiry, as it should.
      await store.update(expiring.record.id, { expiresAt: new Date(Date.now() - 60_000) });
      const localEndpoint = createTokenEndpoint(local, { attempts: false });
      expectOAuthError(
        await localEndpoint.handle(
          post("/token", { grant_type: "refresh_token", refresh_token: expiring.key }),
        ),
        400,
        "invalid_grant",
      );

      await auth.keys.update("alice", userKeyId, { enabled: false });
      expectOAuthError(
        await endpoint.handle(
          post("/token", { grant_type: "refresh_token", refresh_token: userKey }),
        ),
        400,
        "invalid_grant",
      );
      await auth.keys.delete("billing-service", serviceKeyId);
      expectOAuthError(
        await endpoint.handle(
          post("/token", { grant_type: "refresh_token", refresh_token: serviceKey }),
        ),
        400,
        "invalid_grant",
      );
      expectOAuthError(
        await endpoint.handle(
          post("/token", { grant_type: "refresh_token", refresh_token: "not-a-key" }),
        ),
        400,
        "invalid_grant",
      );
    });

    it("answers 503 temporarily_unavailable when the key store is down", async () => {
      const store = switchableStore();
      const local = makeAuth(store);
      const { key } = await local.keys.create({ ownerId: "bob", name: "k" });
      store.down = true;
      const answer = await createTokenEndpoint(local).handle(
        post("/token", { grant_type: "refresh_token", refresh_token: key }),
      );
      expectOAuthError(answer, 503, "temporarily_unavailable");
      expect(answer?.headers["retry-after"]).toMatch(/^\d+$/);
    });
  });

  describe("client_credentials (client_id = key id, client_secret = the whole key)", () => {
    it("accepts the credentials in the form body", async () => {
      const answer = await createTokenEndpoint(auth).handle(
        post("/token", {
          grant_type: "client_credentials",
          client_id: serviceKeyId,
          client_secret: serviceKey,
        }),
      );
      const body = bodyOf(answer);
      expect(answer?.status).toBe(200);
      expect(body.scope).toBe("invoices:read");
      expect(body).not.toHaveProperty("accessToken");
      const claims = decodeJwt(body.access_token as string);
      expect(claims).toMatchObject({
        sub: "billing-service",
        client_id: serviceKeyId,
        roles: ["app"],
        scope: "invoices:read",
      });
    });

    it("accepts HTTP Basic", async () => {
      const answer = await createTokenEndpoint(auth).handle(
        post(
          "/token",
          { grant_type: "client_credentials" },
          { headers: { authorization: basic(serviceKeyId, serviceKey) } },
        ),
      );
      expect(answer?.status).toBe(200);
      expect(bodyOf(answer).token_type).toBe("Bearer");
    });

    it("answers the app_token JSON shape with accessToken as well", async () => {
      const answer = await createTokenEndpoint(auth).handle(
        post("/token", { grantType: "app_token", AppId: serviceKeyId, AppSecret: serviceKey }),
      );
      const body = bodyOf(answer);
      expect(answer?.status).toBe(200);
      expect(body.accessToken).toBe(body.access_token);
      const verified = await auth.tokens.verify(body.accessToken as string);
      expect(verified.ok && verified.principal.id).toBe("billing-service");
    });

    it("answers 401 invalid_client with a Basic challenge when Basic was used", async () => {
      const answer = await createTokenEndpoint(auth).handle(
        post(
          "/token",
          { grant_type: "client_credentials" },
          { headers: { authorization: basic(serviceKeyId, userKey) } },
        ),
      );
      expectOAuthError(answer, 401, "invalid_client");
      expect(answer?.headers["www-authenticate"]).toBe('Basic realm="api", charset="UTF-8"');
    });

    it("answers 400 invalid_client without a challenge for a wrong secret in the body", async () => {
      const endpoint = createTokenEndpoint(auth);
      for (const body of [
        { grant_type: "client_credentials", client_id: serviceKeyId, client_secret: "wrong" },
        // A real key, but not the one client_id names.
        { grant_type: "client_credentials", client_id: serviceKeyId, client_secret: userKey },
        { grant_type: "client_credentials", client_id: serviceKeyId },
      ]) {
        const answer = await endpoint.handle(post("/token", body));
        expectOAuthError(answer, 400, "invalid_client");
        expect(answer?.headers).not.toHaveProperty("www-authenticate");
      }
    });

    it("answers invalid_request when both Basic and body credentials are sent", async () => {
      const answer = await createTokenEndpoint(auth).handle(
        post(
          "/token",
          { grant_type: "client_credentials", client_id: serviceKeyId, client_secret: serviceKey },
          { headers: { authorization: basic(serviceKeyId, serviceKey) } },
        ),
      );
      expectOAuthError(answer, 400, "invalid_request");
    });

    it("answers unauthorized_client for a key that is not owned by a service", async () => {
      const answer = await createTokenEndpoint(auth).handle(
        post("/token", {
          grant_type: "client_credentials",
          client_id: userKeyId,
          client_secret: userKey,
        }),
      );
      expectOAuthError(answer, 400, "unauthorized_client");
    });

    it("narrows scope and refuses to widen it", async () => {
      const endpoint = createTokenEndpoint(auth);
      const base = {
        grant_type: "client_credentials",
        client_id: serviceKeyId,
        client_secret: serviceKey,
      };
      expectOAuthError(
        await endpoint.handle(post("/token", { ...base, scope: "invoices:write" })),
        400,
        "invalid_scope",
      );
      const narrowed = bodyOf(await endpoint.handle(post("/token", { ...base, scope: "" })));
      expect(narrowed.scope).toBe("invoices:read");
    });
  });

  describe("password", () => {
    it("issues a token with the user's scopes and roles", async () => {
      const answer = await createTokenEndpoint(auth, { verifyUser }).handle(
        post("/token", { grant_type: "password", username: "alice", password: "correct horse" }),
      );
      const body = bodyOf(answer);
      expect(body.scope).toBe("reports:read profile");
      expect(answer?.headers).not.toHaveProperty("set-cookie");
      const verified = await auth.tokens.verify(body.access_token as string);
      expect(verified.ok && verified.principal).toMatchObject({
        id: "user-alice",
        roles: ["member"],
      });
    });

    it("treats a bare username and password as the password grant", async () => {
      const answer = await createTokenEndpoint(auth, { verifyUser }).handle(
        post("/token/", { username: "alice", password: "correct horse" }),
      );
      expect(answer?.status).toBe(200);
    });

    it("answers invalid_grant for a wrong password and unsupported_grant_type without verifyUser", async () => {
      expectOAuthError(
        await createTokenEndpoint(auth, { verifyUser }).handle(
          post("/token", { grant_type: "password", username: "alice", password: "wrong" }),
        ),
        400,
        "invalid_grant",
      );
      expectOAuthError(
        await createTokenEndpoint(auth).handle(
          post("/token", { grant_type: "password", username: "alice", password: "correct horse" }),
        ),
        400,
        "unsupported_grant_type",
      );
    });

    it("answers 503 when verifyUser rejects", async () => {
      const answer = await createTokenEndpoint(auth, {
        verifyUser: () => Promise.reject(new Error("db down")),
      }).handle(post("/token", { grant_type: "password", username: "a", password: "b" }));
      expectOAuthError(answer, 503, "temporarily_unavailable");
    });

    it("sets an HttpOnly token cookie with cookie: true and keeps the token out of the body", async () => {
      const answer = await createTokenEndpoint(auth, { verifyUser, cookie: true }).handle(
        post("/token", { username: "alice", password: "correct horse" }),
      );
      const body = bodyOf(answer);
      expect(body).not.toHaveProperty("access_token");
      expect(body).toMatchObject({ token_type: "Bearer", expires_in: 900 });
      const cookie = answer?.headers["set-cookie"] as string;
      expect(cookie).toMatch(
        /^access_token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
      const token = cookie.slice("access_token=".length, cookie.indexOf(";"));
      const viaCookie = await auth.authenticate(
        new Request("http://x/me", { headers: { cookie: `access_token=${token}` } }),
      );
      expect(viaCookie.ok && viaCookie.principal).toMatchObject({
        id: "user-alice",
        via: "cookie",
      });
    });

    it("sets the cookie on request only with cookie: 'on-request'", async () => {
      const endpoint = createTokenEndpoint(auth, {
        verifyUser,
        cookie: "on-request",
        cookieOptions: { secure: false },
      });
      const login = { username: "alice", password: "correct horse" };
      const plain = await endpoint.handle(post("/token", login));
      expect(plain?.headers).not.toHaveProperty("set-cookie");
      expect(bodyOf(plain)).toHaveProperty("access_token");

      const byQuery = await endpoint.handle(post("/token", login, { query: "cookie=1" }));
      const byBody = await endpoint.handle(post("/token", { ...login, cookie: true }));
      for (const answer of [byQuery, byBody]) {
        const cookie = answer?.headers["set-cookie"] as string;
        expect(cookie).toContain("HttpOnly");
        expect(cookie).not.toContain("Secure");
      }
    });

    it("refuses a cookie login from another site", async () => {
      const answer = await createTokenEndpoint(auth, { verifyUser, cookie: true }).handle(
        post(
          "/token",
          { username: "alice", password: "correct horse" },
          { headers: { "sec-fetch-site": "cross-site" } },
        ),
      );
      expect(answer?.status).toBe(403);
      expect(answer?.headers).not.toHaveProperty("set-cookie");
    });
  });

  describe("request errors", () => {
    it.each([
      [{ grant_type: "authorization_code", code: "x" }, "unsupported_grant_type"],
      [{ grant_type: "__proto__" }, "unsupported_grant_type"],
      [{}, "invalid_request"],
      [undefined, "invalid_request"],
      [{ grant_type: ["refresh_token", "password"] }, "invalid_request"],
      [{ grant_type: "refresh_token" }, "invalid_request"],
      [{ grant_type: "password", username: "alice" }, "invalid_request"],
      ["grant_type=refresh_token", "invalid_request"],
    ])("answers %o with %s", async (body, error) => {
      const answer = await createTokenEndpoint(auth, { verifyUser }).handle(post("/token", body));
      expectOAuthError(answer, 400, error);
    });
  });

  describe("throttling", () => {
    it("stops password attempts per username and address, also for the right password, and not elsewhere", async () => {
      const endpoint = createTokenEndpoint(auth, { verifyUser, attempts: { perSubject: 3 } });
      const attempt = (username: string, password: string, ip = "198.51.100.7") =>
        endpoint.handle(post("/token", { grant_type: "password", username, password }, { ip }));
      for (let i = 0; i < 3; i++)
        expectOAuthError(await attempt("alice", "guess"), 400, "invalid_grant");
      const blocked = await attempt("ALICE", "correct horse");
      expectOAuthError(blocked, 429, "rate_limited");
      expect(Number(blocked?.headers["retry-after"])).toBeGreaterThan(0);
      expect((await attempt("alice", "correct horse", "198.51.100.8"))?.status).toBe(200);
      expectOAuthError(await attempt("bob", "guess"), 400, "invalid_grant");
    });

    it("stops a single IP that cycles through usernames", async () => {
      const endpoint = createTokenEndpoint(auth, { verifyUser, attempts: { perIp: 2 } });
      const attempt = (username: string, ip: string) =>
        endpoint.handle(
          post("/token", { grant_type: "password", username, password: "x" }, { ip }),
        );
      await attempt("u1", "192.0.2.1");
      await attempt("u2", "192.0.2.1");
      expectOAuthError(await attempt("u3", "192.0.2.1"), 429, "rate_limited");
      expectOAuthError(await attempt("u3", "192.0.2.2"), 400, "invalid_grant");
    });

    it("stops client-secret guessing per client id", async () => {
      const limiter = { failures: [] as string[][], blocked: false };
      const endpoint = createTokenEndpoint(auth, {
        attempts: {
          retryAfter: () => (limiter.blocked ? 30 : 0),
          fail: (subjects) => void limiter.failures.push([...subjects]),
        },
      });
      const attempt = (secret: string) =>
        endpoint.handle(
          post("/token", {
            grant_type: "client_credentials",
            client_id: serviceKeyId,
            client_secret: secret,
          }),
        );
      await attempt("wrong");
      const id = serviceKeyId.toLowerCase();
      expect(limiter.failures).toEqual([
        [`client@203.0.113.1 ${id}`, `client:${id}`, "ip:203.0.113.1"],
      ]);
      limiter.blocked = true;
      const blocked = await attempt(serviceKey);
      expectOAuthError(blocked, 429, "rate_limited");
      expect(blocked?.headers["retry-after"]).toBe("30");
    });
  });

  describe("routes", () => {
    it("clears the cookie on logout", async () => {
      const answer = await createTokenEndpoint(auth).handle(routeRequest("POST", "/logout"));
      expect(answer?.status).toBe(204);
      expect(answer?.body).toBeUndefined();
      expect(answer?.headers["set-cookie"]).toMatch(
        /^access_token=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax; Expires=/,
      );
    });

    it("answers null for paths that are not its own and 405 for wrong methods", async () => {
      const endpoint = createTokenEndpoint(auth);
      await expect(endpoint.handle(routeRequest("GET", "/other"))).resolves.toBeNull();
      await expect(endpoint.handle(routeRequest("OPTIONS", "/token"))).resolves.toBeNull();
      const get = await endpoint.handle(routeRequest("GET", "/token"));
      expect(get?.status).toBe(405);
      expect(get?.headers.allow).toBe("POST");
    });

    it("has no JWKS route for HMAC setups", async () => {
      await expect(
        createTokenEndpoint(auth).handle(routeRequest("GET", "/.well-known/jwks.json")),
      ).resolves.toBeNull();
    });

    it("takes configured paths", async () => {
      const endpoint = createTokenEndpoint(auth, {
        verifyUser,
        paths: { token: "/v1/token", logout: "/v1/logout", jwks: false },
      });
      await expect(
        endpoint.handle(post("/token", { username: "alice", password: "correct horse" })),
      ).resolves.toBeNull();
      const answer = await endpoint.handle(
        post("/v1/token", { username: "alice", password: "correct horse" }),
      );
      expect(answer?.status).toBe(200);
      expect(() => createTokenEndpoint(auth, { paths: { token: "token" } })).toThrow(TypeError);
    });
  });
});
