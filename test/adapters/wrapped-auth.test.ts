/**
 * The adapters with an auth that has no cache-only method (a plain wrapper object, as a user
 * may write to decorate `authenticate`) and with the real auth, whose second request with the
 * same credential is answered from the caches. Both must answer the same.
 */
import type { RequestListener } from "node:http";
import express5 from "express";
import express4 from "express4";
import Koa3 from "koa";
import Koa2 from "koa2";
import Router from "@koa/router";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import type { FastifyRequest } from "fastify";
import fastify5 from "fastify";
import fastify4 from "fastify4";
import { Controller, Get, HttpCode, Module, Post, type Type } from "@nestjs/common";
import { APP_GUARD } from "@nestjs/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";
import * as fa from "../../adapters/fastify.js";
import * as fe from "../../adapters/fetch.js";
import * as ne from "../../adapters/nestjs.js";
import { createAuth } from "../../src/create-auth.js";
import type { Auth } from "../../src/options/auth-options.js";
import type { AdapterAuth } from "../../src/http/adapter-auth.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { AuthResult, Principal, RequestView } from "../../src/types.js";
import { formatApiKey, parseApiKey } from "../../src/verify/api-key/key-format.js";
import { cheapArgon2 } from "../keys/helpers.js";
import { closeNestApps, fetchListener, nestListener } from "./apps-listeners.js";
import { fastifyListener } from "./servers-fastify.js";
import { withServer } from "./with-server.js";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const CACHED = Symbol.for("gatehouse.cachedAuthenticate");

let auth: Auth;
let wrapped: AdapterAuth;
let wrapperCalls = 0;

beforeAll(() => {
  auth = createAuth({
    jwt: {
      secret: SECRET,
      algorithms: ["HS256"],
      issuer: "https://api.example.test",
      audience: "api",
      ttl: "15m",
    },
    apiKeys: { store: memoryKeyStore(), header: "x-api-key", prefix: "gh", hasher: cheapArgon2() },
    cookie: { name: "access_token", secure: false },
  });
  wrapped = {
    authenticate: (request) => {
      wrapperCalls++;
      return auth.authenticate(request);
    },
    keys: auth.keys,
    config: auth.config,
  };
});
afterAll(async () => {
  await closeNestApps();
  await auth.close();
});

type App = (a: AdapterAuth) => RequestListener;

/**
 * GET and POST /me behind authenticate(a); GET /maybe behind authenticate(a, { optional: true }).
 * On fetch, withAuth in its place; on NestJS, the global AuthGuard of
 * `GatehouseModule.forRoot(a)`, with `@OptionalAuth()` on /maybe.
 */
const apps: Record<string, App> = {
  "express 5": (a) => expressApp(express5, a),
  "express 4": (a) => expressApp(express4, a),
  "koa 3": (a) => koaApp(Koa3, a),
  "koa 2": (a) => koaApp(Koa2, a),
  "hono 4": (a) => {
    const app = new Hono<{ Variables: ho.Variables }>();
    app.get("/me", ho.authenticate(a), (c) => c.json({ user: ho.getCurrentUser(c) }));
    app.post("/me", ho.authenticate(a), (c) => c.json({ user: ho.getCurrentUser(c) }));
    app.get("/maybe", ho.authenticate(a, { optional: true }), (c) =>
      c.json({ user: ho.getCurrentUser(c) }),
    );
    const listener = getRequestListener(app.fetch);
    return (req, res) => void listener(req, res);
  },
  "fastify 5": (a) => fastifyApp(fastify5, a),
  "fastify 4": (a) => fastifyApp(fastify4, a),
  fetch: fetchApp,
  "nestjs express": (a) => nestListener(nestModule(a), "express"),
  "nestjs fastify": (a) => nestListener(nestModule(a), "fastify"),
};

function fastifyApp(make: typeof fastify5, a: AdapterAuth): RequestListener {
  const app = make();
  const user = (request: FastifyRequest) => ({ user: fa.getCurrentUser(request) });
  app.get("/me", { onRequest: fa.authenticate(a) }, user);
  app.post("/me", { onRequest: fa.authenticate(a) }, user);
  app.get("/maybe", { onRequest: fa.authenticate(a, { optional: true }) }, user);
  return fastifyListener(app);
}

function fetchApp(a: AdapterAuth): RequestListener {
  const user = (req: Request) => Response.json({ user: fe.getCurrentUser(req) });
  const me = fe.withAuth(a, user);
  const maybe = fe.withAuth(a, user, { optional: true });
  return fetchListener((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/me" && (req.method === "GET" || req.method === "POST")) return me(req);
    if (path === "/maybe" && req.method === "GET") return maybe(req);
    return null;
  });
}

function nestModule(a: AdapterAuth): Type<unknown> {
  @Controller()
  class Routes {
    @Get("me")
    me(@ne.CurrentUser() user: Principal | null) {
      return { user };
    }

    @Post("me")
    @HttpCode(200)
    postMe(@ne.CurrentUser() user: Principal | null) {
      return { user };
    }

    @Get("maybe")
    @ne.OptionalAuth()
    maybe(@ne.CurrentUser() user: Principal | null) {
      return { user };
    }
  }

  @Module({
    imports: [ne.GatehouseModule.forRoot(a)],
    controllers: [Routes],
    providers: [{ provide: APP_GUARD, useClass: ne.AuthGuard }],
  })
  class AppModule {}
  return AppModule;
}

function expressApp(express: typeof express5, a: AdapterAuth): RequestListener {
  const app = express();
  const user = (req: express5.Request, res: express5.Response) => {
    res.json({ user: ex.getCurrentUser(req) });
  };
  app.get("/me", ex.authenticate(a), user);
  app.post("/me", ex.authenticate(a), user);
  app.get("/maybe", ex.authenticate(a, { optional: true }), user);
  return app;
}

function koaApp(KoaClass: typeof Koa3, a: AdapterAuth): RequestListener {
  const app = new KoaClass<ko.State>();
  const router = new Router<ko.State>();
  const user = (ctx: { body: unknown; state: ko.State }) => {
    ctx.body = { user: ko.getCurrentUser(ctx) };
  };
  router.get("/me", ko.authenticate(a), user);
  router.post("/me", ko.authenticate(a), user);
  router.get("/maybe", ko.authenticate(a, { optional: true }), user);
  app.use(router.routes());
  const handle = app.callback();
  return (req, res) => void handle(req, res);
}

interface Answer {
  status: number;
  challenge: string | null;
  body: unknown;
}

async function get(
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Answer> {
  const res = await fetch(url, { headers, method });
  const text = await res.text();
  return {
    status: res.status,
    challenge: res.headers.get("www-authenticate"),
    body: text === "" ? null : (JSON.parse(text) as unknown),
  };
}

/** The authenticate function of `a` as an object, to read the symbols it carries. */
const authenticateOf = (a: AdapterAuth) => (a as unknown as { authenticate: object }).authenticate;

/** The hidden method's synchronous answer (a cache hit), or `undefined` when it needs a promise. */
function cachedHit(headers: Record<string, string>): AuthResult | undefined {
  const view: RequestView = { method: "GET", url: "http://x/me", headers: new Headers(headers) };
  const twin = authenticateOf(auth) as Record<symbol, (v: RequestView) => unknown>;
  const hidden = twin[CACHED]!;
  const answer = hidden(view);
  return answer instanceof Promise ? undefined : (answer as AuthResult);
}

/** A token that no request has presented yet, so the first request is a cache miss. */
function freshToken(sub: string) {
  return auth.tokens.issue({ sub, scopes: ["reports:read"], roles: [] });
}

/** A signature no key made: refused on the full path, and then (as a bad token) again. */
function forged(token: string): string {
  const [header, payload, signature] = token.split(".");
  const flipped = signature!.startsWith("A")
    ? `B${signature!.slice(1)}`
    : `A${signature!.slice(1)}`;
  return `${header}.${payload}.${flipped}`;
}

/** The key's id and checksum with another secret: refused, and then refused from the cache. */
function wrongSecret(key: string): string {
  const parts = parseApiKey(key)!;
  return formatApiKey({ ...parts, secret: "x".repeat(parts.secret.length) });
}

describe.each(Object.keys(apps))("%s", (name) => {
  const app = apps[name]!;

  it("a wrapper without the hidden method: 200 with the principal, 401 for a bad token", async () => {
    expect(Object.getOwnPropertySymbols(authenticateOf(wrapped))).not.toContain(CACHED);
    const token = await freshToken(`wrapped-${name}`);
    await withServer(app(wrapped), async (url) => {
      const before = wrapperCalls;
      for (let i = 0; i < 2; i++) {
        const ok = await get(`${url}/me`, { authorization: `Bearer ${token}` });
        expect(ok.status).toBe(200);
        expect(ok.body).toMatchObject({
          user: { id: `wrapped-${name}`, via: "jwt", scopes: ["reports:read"] },
        });
      }
      // The wrapper's authenticate ran for each request, the cached one included.
      expect(wrapperCalls - before).toBe(2);

      for (let i = 0; i < 2; i++) {
        const bad = await get(`${url}/me`, { authorization: `Bearer ${forged(token)}` });
        expect(bad.status).toBe(401);
        expect(bad.challenge).toMatch(/error="invalid_token"/);
        expect(bad.body).toMatchObject({ code: "invalid_token" });
      }
      const none = await get(`${url}/me`);
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ code: "missing_credentials" });
      const anonymous = await get(`${url}/maybe`);
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ user: null });
      expect(wrapperCalls - before).toBe(6);
    });
  });

  it("the real auth: the same answers for a miss and then a cache hit", async () => {
    const token = await freshToken(`real-${name}`);
    const { key } = await auth.keys.create({ ownerId: `owner-${name}`, name: "ci" });
    const requests: Record<string, string>[] = [
      { authorization: `Bearer ${token}` },
      { authorization: `Bearer ${forged(token)}` },
      { "x-api-key": key },
      {},
      { "x-api-key": wrongSecret(key) },
      { cookie: `access_token=${token}` },
    ];
    // A new key waits for its hash; a new token is checked at once, so the only sign of a
    // cache hit for it is the principal: a hit hands out the one it stored.
    expect(cachedHit(requests[2]!)).toBeUndefined();
    expect(cachedHit(requests[4]!)).toBeUndefined();

    await withServer(app(auth), async (url) => {
      for (const headers of requests) {
        const first = await get(`${url}/me`, headers);
        const second = await get(`${url}/me`, headers);
        expect(second).toEqual(first);
      }
      for (const headers of requests) {
        const first = await get(`${url}/maybe`, headers);
        const second = await get(`${url}/maybe`, headers);
        expect(second).toEqual(first);
      }
    });
    // The second requests were cache hits.
    const hit = cachedHit(requests[0]!);
    expect(hit?.ok).toBe(true);
    const again = cachedHit(requests[0]!);
    expect(hit?.ok && hit.principal).toBe(again?.ok && again.principal);
    expect(cachedHit(requests[2]!)?.ok).toBe(true);
    const badKey = cachedHit(requests[4]!);
    expect(!badKey?.ok && badKey?.error.code).toBe("invalid_api_key");

    await withServer(app(auth), async (url) => {
      const good = await get(`${url}/me`, requests[0]);
      expect(good.status).toBe(200);
      expect(good.body).toMatchObject({ user: { id: `real-${name}`, via: "jwt" } });
      const viaKey = await get(`${url}/me`, requests[2]);
      expect(viaKey.status).toBe(200);
      expect(viaKey.body).toMatchObject({ user: { id: `owner-${name}`, via: "apiKey" } });
      const bad = await get(`${url}/me`, requests[1]);
      expect(bad.status).toBe(401);
      expect(bad.body).toMatchObject({ code: "invalid_token" });
      expect((await get(`${url}/maybe`, {})).body).toEqual({ user: null });
      const keyRefused = await get(`${url}/me`, requests[4]);
      expect(keyRefused.status).toBe(401);
      expect(keyRefused.body).toMatchObject({ code: "invalid_api_key" });
      const viaCookie = await get(`${url}/me`, requests[5]);
      expect(viaCookie.status).toBe(200);
      expect(viaCookie.body).toMatchObject({ user: { id: `real-${name}`, via: "cookie" } });
    });
  });

  it("a cached cookie token in a cross-site POST is refused by the adapter (403), twice", async () => {
    const token = await freshToken(`csrf-${name}`);
    const cookie = `access_token=${token}`;
    await withServer(app(auth), async (url) => {
      for (let i = 0; i < 2; i++) {
        const same = await get(`${url}/me`, { cookie, origin: url }, "POST");
        expect(same.status).toBe(200);
        expect(same.body).toMatchObject({ user: { id: `csrf-${name}`, via: "cookie" } });
      }
      expect(cachedHit({ cookie })?.ok).toBe(true);
      for (let i = 0; i < 2; i++) {
        const cross = await get(`${url}/me`, { cookie, origin: "https://evil.example" }, "POST");
        expect(cross.status).toBe(403);
        expect(cross.body).toMatchObject({ code: "csrf_failed" });
      }
    });
  });

  it("the wrapper and the real auth answer alike for the same requests", async () => {
    const token = await freshToken(`both-${name}`);
    const headerSets: Record<string, string>[] = [
      { authorization: `Bearer ${token}` },
      { authorization: `Bearer ${forged(token)}` },
      { authorization: "Bearer not-a-jwt" },
      {},
    ];
    const answers = async (a: AdapterAuth) => {
      const out: Answer[] = [];
      await withServer(app(a), async (url) => {
        for (const headers of headerSets) out.push(await get(`${url}/me`, headers));
      });
      return out;
    };
    const viaWrapper = await answers(wrapped);
    const viaReal = await answers(auth);
    expect(viaReal).toEqual(viaWrapper);
    expect(viaReal.map((a) => a.status)).toEqual([200, 401, 401, 401]);
  });
});
