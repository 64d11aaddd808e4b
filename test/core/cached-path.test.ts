/**
 * The cached request path (the promise-free twin of authenticate): a repeated credential
 * is answered from the caches, and nothing the full path enforces is skipped on the way:
 * events, revocation, key changes, rate limits, CSRF, malformed headers, a throwing mapper.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import type { Auth, AuthOptions } from "../../src/options/auth-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { AuthEvent, AuthResult, RequestView } from "../../src/types.js";
import { cheapArgon2 } from "../keys/helpers.js";
import { jwtOptions, sign } from "./helpers.js";

const ORIGIN = "https://app.example.com";
const CACHED = Symbol.for("gatehouse.cachedAuthenticate");

type HiddenFn = (view: RequestView) => AuthResult | Promise<AuthResult>;
/** The hidden method's answer when it gives one synchronously; `undefined` for a promise. */
type CachedFn = (view: RequestView) => AuthResult | undefined;

let made: Auth[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(made.map((auth) => auth.close()));
  made = [];
});

/** A real auth: HS256 JWTs, the access-token cookie, API keys over a memory store, events. */
function build(extra: { jwt?: Partial<AuthOptions["jwt"]>; events?: boolean } = {}) {
  const events: AuthEvent[] = [];
  const auth = createAuth({
    jwt: { ...jwtOptions, ...extra.jwt },
    cookie: { name: "access_token" },
    apiKeys: { store: memoryKeyStore(), header: "x-api-key", prefix: "gh", hasher: cheapArgon2() },
    ...(extra.events === false ? {} : { onEvent: (event: AuthEvent) => events.push(event) }),
  });
  made.push(auth);
  return { auth, events };
}

function bearer(token: string, init: RequestInit = {}): Request {
  return new Request(`${ORIGIN}/resource`, {
    ...init,
    headers: { authorization: `Bearer ${token}` },
  });
}

/** A same-origin POST with the cookie: CSRF passes. */
function cookiePost(token: string, origin = ORIGIN): Request {
  return new Request(`${ORIGIN}/resource`, {
    method: "POST",
    headers: { cookie: `access_token=${token}`, origin },
  });
}

function apiKey(key: string): Request {
  return new Request(`${ORIGIN}/resource`, { headers: { "x-api-key": key } });
}

function codeOf(result: AuthResult): string {
  return result.ok ? "ok" : result.error.code;
}

/** The authenticate function of `auth` as an object, to read the symbols it carries. */
const authenticateOf = (auth: Auth) =>
  (auth as unknown as { authenticate: Record<symbol, HiddenFn> }).authenticate;

function hiddenOf(auth: Auth): HiddenFn {
  return authenticateOf(auth)[CACHED]!;
}

function cachedOf(auth: Auth): CachedFn {
  const hidden = hiddenOf(auth);
  return (view) => {
    const answer = hidden(view);
    return answer instanceof Promise ? undefined : answer;
  };
}

function viewOf(request: Request): RequestView {
  return { method: request.method, url: request.url, headers: request.headers };
}

describe("a repeated token is mapped once per way of arrival", () => {
  it("a custom toPrincipal runs twice for 5 Bearer requests, once more for the cookie", async () => {
    const calls: string[] = [];
    const { auth } = build({
      jwt: {
        toPrincipal: (claims, { via }) => {
          calls.push(via);
          return { id: String(claims.sub), type: "user", via, scopes: [], roles: [] };
        },
      },
    });
    const token = await sign();
    const bearerResults: AuthResult[] = [];
    for (let i = 0; i < 5; i++) bearerResults.push(await auth.authenticate(bearer(token)));
    expect(bearerResults.map(codeOf)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    // Once for the first verification, which caches nothing, once for the second, whose
    // entry keeps the answer.
    expect(calls).toEqual(["jwt", "jwt"]);
    for (const result of bearerResults) {
      expect(result.ok && result.principal).toMatchObject({ id: "alice", via: "jwt" });
    }

    const viaCookie: AuthResult[] = [];
    for (let i = 0; i < 3; i++) viaCookie.push(await auth.authenticate(cookiePost(token)));
    expect(viaCookie.map(codeOf)).toEqual(["ok", "ok", "ok"]);
    expect(calls).toEqual(["jwt", "jwt", "cookie"]);
    for (const result of viaCookie) {
      expect(result.ok && result.principal).toMatchObject({ id: "alice", via: "cookie" });
    }
    // Bearer again: still the memoized "jwt" answer, not the cookie one.
    const again = await auth.authenticate(bearer(token));
    expect(again.ok && again.principal.via).toBe("jwt");
    expect(calls).toEqual(["jwt", "jwt", "cookie"]);
  });
});

describe("the default JWT principal is frozen and shared", () => {
  it("is frozen (object, scopes, roles), the same object per request, and cannot be edited", async () => {
    const { auth } = build();
    const token = await sign({ scope: "reports:read reports:write", roles: ["admin"] });
    // The first verification caches nothing; the second's principal is the one kept.
    await auth.authenticate(bearer(token));
    const first = await auth.authenticate(bearer(token));
    const second = await auth.authenticate(bearer(token));
    if (!first.ok || !second.ok) throw new Error("the token did not verify");
    const principal = first.principal;
    expect(Object.isFrozen(principal)).toBe(true);
    expect(Object.isFrozen(principal.scopes)).toBe(true);
    expect(Object.isFrozen(principal.roles)).toBe(true);
    expect(second.principal).toBe(principal);

    expect(() => (principal.scopes as string[]).push("keys:write")).toThrow(TypeError);
    expect(() => {
      (principal as { id: string }).id = "mallory";
    }).toThrow(TypeError);
    const third = await auth.authenticate(bearer(token));
    expect(third.ok && third.principal.scopes).toEqual(["reports:read", "reports:write"]);
    expect(third.ok && third.principal.id).toBe("alice");
  });
});

describe("expiry on the cached path", () => {
  it("a cached token stops being accepted once its exp has passed", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { auth } = build();
    const token = await sign({ exp: Math.floor(Date.now() / 1000) + 60 });
    expect((await auth.authenticate(bearer(token))).ok).toBe(true);
    expect((await auth.authenticate(bearer(token))).ok).toBe(true);
    expect(cachedOf(auth)(viewOf(bearer(token)))?.ok).toBe(true);

    vi.setSystemTime(Date.now() + 10 * 60_000);
    // Not from the cache: the signature path answers, at once (HMAC is synchronous), and refuses.
    const sync = cachedOf(auth)(viewOf(bearer(token)));
    expect(sync && codeOf(sync)).toBe("token_expired");
    const late = await auth.authenticate(bearer(token));
    expect(codeOf(late)).toBe("token_expired");
    expect(!late.ok && late.error.status).toBe(401);
  });
});

describe("events on the cached path", () => {
  it("every cached hit emits authenticated; every failure emits failed", async () => {
    const { auth, events } = build();
    const token = await sign();
    for (let i = 0; i < 4; i++) expect((await auth.authenticate(bearer(token))).ok).toBe(true);
    for (let i = 0; i < 2; i++) expect((await auth.authenticate(cookiePost(token))).ok).toBe(true);
    expect(events).toEqual([
      ...Array.from({ length: 4 }, () => ({
        type: "authenticated",
        source: "jwt",
        principalId: "alice",
      })),
      ...Array.from({ length: 2 }, () => ({
        type: "authenticated",
        source: "cookie",
        principalId: "alice",
      })),
    ]);

    events.length = 0;
    const forged = await sign({}, {}, "another-secret-that-is-long-enough-123456");
    for (let i = 0; i < 3; i++) {
      expect(codeOf(await auth.authenticate(bearer(forged)))).toBe("invalid_token");
    }
    // A CSRF refusal of a cached cookie token is a failure too.
    expect(codeOf(await auth.authenticate(cookiePost(token, "https://evil.example")))).toBe(
      "csrf_failed",
    );
    expect(events.map((e) => [e.type, "source" in e ? e.source : undefined])).toEqual([
      ["failed", "jwt"],
      ["failed", "jwt"],
      ["failed", "jwt"],
      ["failed", "cookie"],
    ]);
    expect(events.map((e) => (e.type === "failed" ? e.code : undefined))).toEqual([
      "invalid_token",
      "invalid_token",
      "invalid_token",
      "csrf_failed",
    ]);
  });

  it("API-key hits from the cache emit authenticated every time", async () => {
    const { auth, events } = build();
    const { key, record } = await auth.keys.create({ ownerId: "bob", name: "ci" });
    // Creating the key is reported too; only the requests are counted here.
    expect(events.map((e) => e.type)).toEqual(["key_changed"]);
    events.length = 0;
    for (let i = 0; i < 3; i++) expect((await auth.authenticate(apiKey(key))).ok).toBe(true);
    expect(events).toEqual(
      Array.from({ length: 3 }, () => ({
        type: "authenticated",
        source: "apiKey",
        principalId: "bob",
        keyId: record.id,
      })),
    );
  });
});

describe("jwt.isRevoked is asked on every request", () => {
  it("is called for cached tokens too, and a true answer refuses the next request", async () => {
    let revoked = false;
    const asked: unknown[] = [];
    const { auth } = build({
      jwt: {
        isRevoked: (claims) => {
          asked.push(claims.sub);
          return revoked;
        },
      },
    });
    const token = await sign();
    for (let i = 0; i < 3; i++) expect((await auth.authenticate(bearer(token))).ok).toBe(true);
    expect((await auth.authenticate(cookiePost(token))).ok).toBe(true);
    expect(asked).toEqual(["alice", "alice", "alice", "alice"]);
    // No synchronous answer while a revocation hook is configured: the hook is asked.
    const probe = hiddenOf(auth)(viewOf(bearer(token)));
    expect(probe).toBeInstanceOf(Promise);
    expect((await probe).ok).toBe(true);
    expect(asked).toHaveLength(5);

    revoked = true;
    const refused = await auth.authenticate(bearer(token));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.code).toBe("invalid_token");
    expect(refused.error.status).toBe(401);
    expect(codeOf(await auth.authenticate(cookiePost(token)))).toBe("invalid_token");
    expect(asked).toHaveLength(7);
  });
});

describe("API keys on the cached path", () => {
  it("a cached key deleted through auth.keys is refused on the very next request", async () => {
    const { auth } = build();
    const { key, record } = await auth.keys.create({ ownerId: "alice", name: "ci" });
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("ok");
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("ok");
    expect(cachedOf(auth)(viewOf(apiKey(key)))?.ok).toBe(true);

    expect(await auth.keys.delete("alice", record.id)).toBe(true);
    expect(cachedOf(auth)(viewOf(apiKey(key)))).toBeUndefined();
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("invalid_api_key");
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("invalid_api_key");
  });

  it("a cached key disabled through auth.keys is refused on the very next request", async () => {
    const { auth } = build();
    const { key, record } = await auth.keys.create({ ownerId: "alice", name: "ci" });
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("ok");
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("ok");

    await auth.keys.update("alice", record.id, { enabled: false });
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("key_disabled");
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("key_disabled");

    await auth.keys.update("alice", record.id, { enabled: true });
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("ok");
  });

  it("a cached key disabled through auth.keys.admin is refused on the very next request", async () => {
    const { auth } = build();
    const { key, record } = await auth.keys.create({ ownerId: "alice", name: "ci" });
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("ok");
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("ok");
    await auth.keys.admin.update(record.id, { enabled: false });
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("key_disabled");
  });

  it("a key's rateLimit still applies when the key is cached", async () => {
    const { auth } = build();
    const { key } = await auth.keys.create({
      ownerId: "alice",
      name: "limited",
      rateLimit: { limit: 2, window: 60_000 },
    });
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("ok");
    // Cached now, but a rate-limited key is never answered synchronously: the limiter is
    // asked, and this second request counts.
    const probe = hiddenOf(auth)(viewOf(apiKey(key)));
    expect(probe).toBeInstanceOf(Promise);
    expect(codeOf(await probe)).toBe("ok");
    const over = await auth.authenticate(apiKey(key));
    expect(codeOf(over)).toBe("rate_limited");
    expect(!over.ok && over.error.status).toBe(429);
    expect(!over.ok && over.error.retryAfter).toBeGreaterThanOrEqual(1);
  });

  it("a rateLimit set by admin on a cached key applies on the next requests", async () => {
    const { auth } = build();
    const { key, record } = await auth.keys.create({ ownerId: "alice", name: "ci" });
    for (let i = 0; i < 3; i++) expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("ok");
    expect(cachedOf(auth)(viewOf(apiKey(key)))?.ok).toBe(true);

    await auth.keys.admin.update(record.id, { rateLimit: { limit: 1, window: 60_000 } });
    const probe = hiddenOf(auth)(viewOf(apiKey(key)));
    expect(probe).toBeInstanceOf(Promise);
    expect(codeOf(await probe)).toBe("ok");
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("rate_limited");
    expect(codeOf(await auth.authenticate(apiKey(key)))).toBe("rate_limited");
  });

  it("the API-key principal handed out from the cache is frozen and shared", async () => {
    const { auth } = build();
    const { key } = await auth.keys.create({
      ownerId: "alice",
      name: "ci",
      scopes: ["reports:read"],
    });
    const first = await auth.authenticate(apiKey(key));
    const second = await auth.authenticate(apiKey(key));
    if (!first.ok || !second.ok) throw new Error("the key did not verify");
    expect(second.principal).toBe(first.principal);
    expect(Object.isFrozen(first.principal)).toBe(true);
    expect(Object.isFrozen(first.principal.key)).toBe(true);
    expect(() => (first.principal.scopes as string[]).push("keys:write")).toThrow(TypeError);
    const third = await auth.authenticate(apiKey(key));
    expect(third.ok && third.principal.scopes).toEqual(["reports:read"]);
  });
});

describe("refusals that the cache must not skip", () => {
  it("a cached cookie token in a cross-site POST is csrf_failed", async () => {
    const { auth } = build();
    const token = await sign();
    expect((await auth.authenticate(cookiePost(token))).ok).toBe(true);
    expect((await auth.authenticate(bearer(token))).ok).toBe(true);

    const refused = await auth.authenticate(cookiePost(token, "https://evil.example"));
    expect(codeOf(refused)).toBe("csrf_failed");
    expect(!refused.ok && refused.error.status).toBe(403);
    const noOrigin = await auth.authenticate(
      new Request(`${ORIGIN}/resource`, {
        method: "POST",
        headers: { cookie: `access_token=${token}` },
      }),
    );
    expect(codeOf(noOrigin)).toBe("csrf_failed");
    const sync = cachedOf(auth)(viewOf(cookiePost(token, "https://evil.example")));
    expect(sync && codeOf(sync)).toBe("csrf_failed");
    // And the same-origin POST still passes afterwards.
    expect((await auth.authenticate(cookiePost(token))).ok).toBe(true);
  });

  it("a cached Bearer token beside a second, different Authorization header is invalid_request", async () => {
    const { auth } = build();
    const token = await sign();
    const other = await sign({ sub: "mallory" });
    expect((await auth.authenticate(bearer(token))).ok).toBe(true);
    expect((await auth.authenticate(bearer(other))).ok).toBe(true);

    const headers = new Headers();
    headers.append("authorization", `Bearer ${token}`);
    headers.append("authorization", `Bearer ${other}`);
    const request = new Request(`${ORIGIN}/resource`, { headers });
    const result = await auth.authenticate(request);
    expect(codeOf(result)).toBe("invalid_request");
    expect(!result.ok && result.error.status).toBe(400);
    const sync = cachedOf(auth)(viewOf(request));
    expect(sync && codeOf(sync)).toBe("invalid_request");
  });
});

describe("a throwing toPrincipal never makes authenticate throw", () => {
  it("resolves to unavailable on the first request and on the cached ones", async () => {
    let calls = 0;
    const { auth, events } = build({
      jwt: {
        toPrincipal: () => {
          calls++;
          throw new Error("directory down");
        },
      },
    });
    const token = await sign();
    for (let i = 0; i < 3; i++) {
      const result = await auth.authenticate(bearer(token));
      expect(codeOf(result)).toBe("unavailable");
      expect(!result.ok && result.error.status).toBe(503);
      expect(!result.ok && (result.error.cause as Error).message).toBe("directory down");
    }
    // A failed mapping is not memoized: it is tried again on every request.
    expect(calls).toBe(3);
    // The promise-free method does not throw either: it answers unavailable, synchronously.
    const now = cachedOf(auth)(viewOf(bearer(token)));
    expect(now && codeOf(now)).toBe("unavailable");
    expect(calls).toBe(4);
    expect(events.map((e) => [e.type, "source" in e ? e.source : undefined])).toEqual([
      ["unavailable", "jwt"],
      ["unavailable", "jwt"],
      ["unavailable", "jwt"],
      ["unavailable", "jwt"],
    ]);
  });

  it("a mapper that throws only for the cookie: the cached token's cookie request is unavailable", async () => {
    const { auth } = build({
      jwt: {
        toPrincipal: (claims, { via }) => {
          if (via === "cookie") throw new Error("no cookies here");
          return { id: String(claims.sub), type: "user", via, scopes: [], roles: [] };
        },
      },
    });
    const token = await sign();
    expect((await auth.authenticate(bearer(token))).ok).toBe(true);
    const promise = auth.authenticate(cookiePost(token));
    expect(promise).toBeInstanceOf(Promise);
    const result = await promise;
    expect(codeOf(result)).toBe("unavailable");
    expect((await auth.authenticate(bearer(token))).ok).toBe(true);
  });
});

describe("the hidden cache-only method", () => {
  it("is not enumerable, and answers at once for a cached token and for a new HS256 one", async () => {
    const { auth } = build({ events: false });
    // It belongs to the authenticate function, not to the auth object.
    expect(Object.getOwnPropertySymbols(auth)).not.toContain(CACHED);
    expect(Object.getOwnPropertySymbols(authenticateOf(auth))).toContain(CACHED);
    expect(Object.getOwnPropertyDescriptor(authenticateOf(auth), CACHED)?.enumerable).toBe(false);
    expect(Object.getOwnPropertyDescriptor(authenticateOf(auth), CACHED)?.writable).toBe(false);

    const cached = cachedOf(auth);
    expect(typeof cached).toBe("function");
    // Nor is it reachable under any enumerable name.
    expect(Object.values(auth)).not.toContain(cached);
    const token = await sign();
    // A new token whose signature node:crypto checks needs no promise either: the first
    // verification only marks it, the second caches it, the third is the cache's answer.
    const first = cached(viewOf(bearer(token)));
    expect(first?.ok && first.principal).toMatchObject({ id: "alice", via: "jwt" });

    const verified = await auth.authenticate(bearer(token));
    expect(verified.ok).toBe(true);
    expect(verified.ok && verified.principal).not.toBe(first?.ok && first.principal);
    const hit = cached(viewOf(bearer(token)));
    expect(hit?.ok).toBe(true);
    expect(hit?.ok && hit.principal).toBe(verified.ok && verified.principal);
    expect(hit?.ok && hit.principal).toMatchObject({ id: "alice", via: "jwt" });

    // Another token is verified on its own terms, and a forged one refused, both at once.
    const carol = cached(viewOf(bearer(await sign({ sub: "carol" }))));
    expect(carol?.ok && carol.principal.id).toBe("carol");
    const forged = cached(
      viewOf(bearer(await sign({}, {}, "another-secret-that-is-long-enough-123456"))),
    );
    expect(forged && codeOf(forged)).toBe("invalid_token");
    // No credential: decided at once, as missing_credentials.
    const none = cached(viewOf(new Request(`${ORIGIN}/resource`)));
    expect(none && codeOf(none)).toBe("missing_credentials");
  });

  it("a key is unknown until authenticate verified it once", async () => {
    const { auth } = build({ events: false });
    const { key } = await auth.keys.create({ ownerId: "bob", name: "ci" });
    expect(cachedOf(auth)(viewOf(apiKey(key)))).toBeUndefined();
    const verified = await auth.authenticate(apiKey(key));
    const hit = cachedOf(auth)(viewOf(apiKey(key)));
    expect(hit?.ok && hit.principal).toBe(verified.ok && verified.principal);
  });

  it("Object.keys lists only the public members", () => {
    const { auth } = build({ events: false });
    const keys: string[] = Object.keys(auth);
    expect(keys.some((k) => k.includes("cached"))).toBe(false);
    expect(keys).toEqual(expect.arrayContaining(["authenticate", "keys", "config", "tokens"]));
  });
});
