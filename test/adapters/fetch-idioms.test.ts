/**
 * What the fetch adapter does that the behaviour table does not ask: route handlers that
 * answer `null` off their paths, the WeakMap accessor, the runtime's extra arguments, the
 * client address reaching the throttles, a handler's own failure staying its own, and the
 * discovery routes.
 */
import { describe, expect, expectTypeOf, it, vi } from "vitest";
import * as fe from "../../adapters/fetch.js";
import { createAuth } from "../../src/create-auth.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { Principal } from "../../src/types.js";
import { send, wrongSecret } from "../keys/throttle-fixture.js";
import { SECRET, useFixture } from "./fixture.js";
import { serveFetch, type Peer } from "./servers-fetch.js";

const fx = useFixture();

const user = (req: Request) => Response.json({ user: fe.getCurrentUser(req) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("keyRoutes and tokenRoutes", () => {
  it("resolve to null for a path that is not theirs, leaving the body unread", async () => {
    const keys = fe.keyRoutes(fx.auth, { prefix: "/users/keys" });
    const tokens = fe.tokenRoutes(fx.auth, { prefix: "/auth" });
    for (const path of ["/users/keysmith", "/users", "/other/users/keys", "/auth2/token", "/"]) {
      const req = new Request(`http://x${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(fx.tokens.alice) },
        body: JSON.stringify({ name: "x" }),
      });
      expect(await keys(req), path).toBeNull();
      expect(await tokens(req), path).toBeNull();
      expect(req.bodyUsed, path).toBe(false);
    }
    // A path below the prefix that no route has is not theirs either.
    expect(await keys(new Request("http://x/users/keys/a/b/c/d"))).toBeNull();
    expect(await tokens(new Request("http://x/auth/elsewhere", { method: "POST" }))).toBeNull();
  });

  it("answer their own paths, identifying the caller when withAuth did not run", async () => {
    const keys = fe.keyRoutes(fx.auth, { prefix: "/users/keys/" });
    const mine = await keys(
      new Request("http://x/users/keys", { headers: bearer(fx.tokens.alice) }),
    );
    expect(mine?.status).toBe(200);
    const anonymous = await keys(new Request("http://x/users/keys"));
    expect(anonymous?.status).toBe(401);
    expect(anonymous?.headers.get("www-authenticate")).toBe('Bearer realm="api"');
  });

  it("default to /keys for key routes and the root for token routes", async () => {
    const keys = fe.keyRoutes(fx.auth);
    const tokens = fe.tokenRoutes(fx.auth);
    expect(
      (await keys(new Request("http://x/keys", { headers: bearer(fx.tokens.alice) })))?.status,
    ).toBe(200);
    expect((await tokens(new Request("http://x/token")))?.status).toBe(405);
  });

  it("refuse a prefix that does not start with a slash when made", () => {
    expect(() => fe.keyRoutes(fx.auth, { prefix: "keys" })).toThrow(TypeError);
    expect(() => fe.tokenRoutes(fx.auth, { prefix: "auth" })).toThrow(TypeError);
  });

  it("answer 400, not 500, when something read the body first", async () => {
    const keys = fe.keyRoutes(fx.auth, { prefix: "/users/keys" });
    const req = new Request("http://x/users/keys", {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(fx.tokens.alice) },
      body: JSON.stringify({ name: "read twice" }),
    });
    await req.text();
    const answer = await keys(req);
    expect(answer?.status).toBe(400);
    expect(await answer?.json()).toMatchObject({ code: "invalid_body" });
  });

  it("use the caller withAuth recorded instead of identifying again", async () => {
    const keys = fe.keyRoutes(fx.auth, { prefix: "/keys" });
    // An optional withAuth that let an anonymous caller through: the routes see null and
    // refuse with 401 themselves, without a second verification of anything.
    let seen: Response | null = null;
    const optional = fe.withAuth(
      fx.auth,
      async (req) => {
        seen = await keys(req);
        return seen ?? new Response(null, { status: 404 });
      },
      { optional: true },
    );
    expect((await optional(new Request("http://x/keys"))).status).toBe(401);
    expect(seen).not.toBeNull();
  });
});

describe("withAuth and getCurrentUser", () => {
  it("keep the caller beside the Request, which stays as it was", async () => {
    const req = new Request("http://x/", { headers: bearer(fx.tokens.alice) });
    const ownBefore = Reflect.ownKeys(req);
    let inside: Principal | null = null;
    const answer = await fe.withAuth(fx.auth, (r) => {
      inside = fe.getCurrentUser(r);
      return new Response("ok");
    })(req);
    expect(answer.status).toBe(200);
    expect(inside).toMatchObject({ id: "alice", via: "jwt" });
    expect(Reflect.ownKeys(req)).toEqual(ownBefore);
    expect(fe.getCurrentUser(req)).toMatchObject({ id: "alice" });
    // Another Request with the same headers was never seen: no caller.
    expect(fe.getCurrentUser(req.clone())).toBeNull();
    expect(
      fe.getCurrentUser(new Request("http://x/", { headers: bearer(fx.tokens.alice) })),
    ).toBeNull();
  });

  it("hand the runtime's extra arguments to the handler and to clientAddress", async () => {
    const context = { params: Promise.resolve({ id: "7" }) };
    const addressArgs: unknown[] = [];
    const handler = fe.withAuth(
      fx.auth,
      async (_req, ctx: typeof context) => Response.json(await ctx.params),
      {
        clientAddress: (_req, ctx: typeof context) => {
          addressArgs.push(ctx);
          return "203.0.113.9";
        },
      },
    );
    // A key not verified yet is checked against its failure budget, which reads the address
    // (once, however often the core asks).
    const { key } = await fx.auth.keys.create({ ownerId: "alice", name: "context" });
    const res = await handler(new Request("http://x/", { headers: { "x-api-key": key } }), context);
    expect(await res.json()).toEqual({ id: "7" });
    expect(addressArgs).toEqual([context]);
  });

  it("refuse with the core answer, reshaped by onError, before the handler runs", async () => {
    let ran = 0;
    const handler = fe.withAuth(
      fx.auth,
      () => {
        ran += 1;
        return new Response("ok");
      },
      {
        scopes: ["billing:write"],
        onError: (error, answer) => ({
          ...answer,
          headers: { ...answer.headers, "x-code": error.code },
        }),
      },
    );
    const res = await handler(new Request("http://x/", { headers: bearer(fx.tokens.alice) }));
    expect(res.status).toBe(403);
    expect(res.headers.get("x-code")).toBe("insufficient_scope");
    expect(res.headers.get("www-authenticate")).toMatch(
      /insufficient_scope", scope="billing:write"/,
    );
    expect(ran).toBe(0);
  });

  it("need every scope and one of the roles when both are set", async () => {
    const handler = fe.withAuth(fx.auth, user, { scopes: ["reports:read"], roles: ["admin"] });
    const admin = await handler(new Request("http://x/", { headers: bearer(fx.tokens.admin) }));
    expect(admin.status).toBe(200);
    const alice = await handler(new Request("http://x/", { headers: bearer(fx.tokens.alice) }));
    expect(alice.status).toBe(403);
    expect(await alice.json()).toMatchObject({ code: "forbidden" });
  });

  it("call auth.authenticate as it is now, a spy set after the handler was made included", async () => {
    const handler = fe.withAuth(fx.auth, user);
    const keys = fe.keyRoutes(fx.auth);
    const req = () => new Request("http://x/keys", { headers: bearer(fx.tokens.alice) });
    expect((await handler(req())).status).toBe(200); // cached from here on
    const spy = vi.spyOn(fx.auth, "authenticate");
    try {
      expect((await handler(req())).status).toBe(200);
      expect((await keys(req()))?.status).toBe(200);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it("refuse an empty scope or role list when the handler is made", () => {
    expect(() => fe.withAuth(fx.auth, user, { scopes: [] })).toThrow(TypeError);
    expect(() => fe.withAuth(fx.auth, user, { roles: [] })).toThrow(TypeError);
  });

  it("leave what the handler throws to the runtime: a 500, not an auth answer", async () => {
    let refusals = 0;
    const failing = fe.withAuth(
      fx.auth,
      (req) => {
        if (new URL(req.url).pathname === "/sync") throw new Error("handler bug");
        return Promise.reject(new Error("async handler bug"));
      },
      {
        onError: (_error, answer) => {
          refusals += 1;
          return answer;
        },
      },
    );
    const server = await serveFetch((req) => failing(req));
    try {
      for (const path of ["/sync", "/async"]) {
        const res = await fetch(`${server.url}${path}`, { headers: bearer(fx.tokens.alice) });
        expect(res.status, path).toBe(500);
        expect(res.headers.get("www-authenticate"), path).toBeNull();
        expect(await res.text(), path).toBe("handler failed");
      }
      // The same direct call: the throw comes out of withAuth as the handler's own error.
      const direct = new Request("http://x/sync", { headers: bearer(fx.tokens.alice) });
      await expect(Promise.resolve().then(() => failing(direct))).rejects.toThrow("handler bug");
      expect(refusals).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("types the user by a type argument and keeps the runtime's arguments", () => {
    interface AppUser extends Principal {
      tenant: string;
    }
    expectTypeOf(
      fe.getCurrentUser<AppUser>(new Request("http://x/")),
    ).toEqualTypeOf<AppUser | null>();
    expectTypeOf(fe.getCurrentUser(new Request("http://x/"))).toEqualTypeOf<Principal | null>();
    const next = fe.withAuth(fx.auth, (_req, ctx: { params: Promise<{ id: string }> }) =>
      Response.json(ctx),
    );
    expectTypeOf(next).parameters.toEqualTypeOf<[Request, { params: Promise<{ id: string }> }]>();
    interface Server {
      requestIP(req: Request): { address: string } | null;
    }
    const bun = fe.withAuth(fx.auth, user, {
      clientAddress: (req, server: Server) => server.requestIP(req)?.address,
    });
    expectTypeOf(bun).parameters.toEqualTypeOf<[Request, Server]>();
    const routes = fe.keyRoutes(fx.auth, {
      clientAddress: (req, server: Server) => server.requestIP(req)?.address,
    });
    expectTypeOf(routes).returns.toEqualTypeOf<Promise<Response | null>>();
  });
});

describe("clientAddress and the failure throttle", () => {
  // The default budget is 20 failures a minute per (key id, address); spend it twice over
  // from 127.0.0.2, then try the real key, not cached yet, from 127.0.0.1.
  async function flood(url: string, key: string): Promise<void> {
    for (let n = 0; n < 40; n++) {
      const reply = await send(url, "127.0.0.2", {
        path: "/",
        headers: { "x-api-key": wrongSecret(key, n) },
      });
      expect([401, 429]).toContain(reply.status);
    }
  }

  it("with the peer address, failures from another address do not refuse the real key", async () => {
    const server = await serveFetch(
      fe.withAuth(fx.auth, user, { clientAddress: (_req, peer: Peer) => peer.remoteAddress }),
    );
    try {
      const { key } = await fx.auth.keys.create({ ownerId: "alice", name: "addressed" });
      await flood(server.url, key);
      const own = await send(server.url, "127.0.0.1", { path: "/", headers: { "x-api-key": key } });
      expect(own.status).toBe(200);
    } finally {
      await server.close();
    }
  }, 20_000);

  it("without it, every caller shares the key id's budget", async () => {
    const server = await serveFetch(fe.withAuth(fx.auth, user));
    try {
      const { key } = await fx.auth.keys.create({ ownerId: "alice", name: "unaddressed" });
      await flood(server.url, key);
      const own = await send(server.url, "127.0.0.1", { path: "/", headers: { "x-api-key": key } });
      expect(own.status).toBe(429);
      expect(own.headers["retry-after"]).toMatch(/^\d+$/);
    } finally {
      await server.close();
    }
  }, 20_000);

  it("reaches the token endpoint's throttles too", async () => {
    const seen: (string | undefined)[] = [];
    const tokens = fe.tokenRoutes(fx.auth, {
      clientAddress: (_req, peer: Peer) => {
        seen.push(peer.remoteAddress);
        return peer.remoteAddress;
      },
    });
    const server = await serveFetch((req, peer) => tokens(req, peer));
    try {
      const reply = await send(server.url, "127.0.0.3", {
        path: "/token",
        form: `grant_type=refresh_token&refresh_token=${wrongSecret(fx.keys.alice, 1)}`,
      });
      expect(reply.status).toBe(400);
      expect(seen).toContain("127.0.0.3");
    } finally {
      await server.close();
    }
  });
});

describe("wellKnownRoutes", () => {
  it("serves the resource metadata that the guards' challenges name, and null elsewhere", async () => {
    const base = "https://api.example.test";
    const auth = createAuth({
      jwt: { secret: SECRET, algorithms: ["HS256"], issuer: `${base}/`, audience: "api" },
      apiKeys: { store: memoryKeyStore() },
      protectedResource: { resource: `${base}/mcp`, authorizationServers: [`${base}/`] },
    });
    try {
      const wellKnown = fe.wellKnownRoutes(auth);
      const token = await auth.tokens.issue({ sub: "alice", scopes: [], roles: [] });
      const guarded = fe.withAuth(auth, user, { scopes: ["reports:read"] });
      const refused = await guarded(new Request(`${base}/mcp`, { headers: bearer(token) }));
      expect(refused.status).toBe(403);
      const challenge = refused.headers.get("www-authenticate") ?? "";
      const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      expect(metadataUrl).toBe(`${base}/.well-known/oauth-protected-resource/mcp`);
      const served = await wellKnown(new Request(metadataUrl!));
      expect(served?.status).toBe(200);
      expect(await served?.json()).toMatchObject({ resource: `${base}/mcp` });
      expect(await wellKnown(new Request(`${base}/.well-known/other`))).toBeNull();
      expect(await wellKnown(new Request(`${base}/mcp`))).toBeNull();
    } finally {
      await auth.close();
    }
  });
});
