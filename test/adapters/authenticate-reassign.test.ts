/**
 * `auth.authenticate` replaced or wrapped (to trace it, to decorate its answers) is the one
 * every adapter calls, whether it was replaced before the middleware was made or after,
 * while a cached credential would otherwise be answered without calling it at all. Put
 * back, the original answers again, from its caches.
 *
 *   GET /me      authenticate(auth)
 *   GET /maybe   authenticate(auth, { optional: true })
 *   /keys        keyRoutes(auth), with no authenticate in front
 *
 * On fetch, withAuth stands for authenticate; on NestJS, the global AuthGuard (with
 * `@OptionalAuth()` on /maybe) and the module's key routes.
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
import { Controller, Get, Module, type Type } from "@nestjs/common";
import { APP_GUARD } from "@nestjs/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";
import * as fa from "../../adapters/fastify.js";
import * as fe from "../../adapters/fetch.js";
import * as ne from "../../adapters/nestjs.js";
import { createAuth } from "../../src/create-auth.js";
import type { Auth } from "../../src/options/auth-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { AuthResult, Principal } from "../../src/types.js";
import { cheapArgon2 } from "../keys/helpers.js";
import { SECRET } from "./fixture.js";
import { closeNestApps, fetchListener, nestListener } from "./apps-listeners.js";
import { fastifyListener } from "./servers-fastify.js";
import { withServer } from "./with-server.js";

let made: Auth[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await closeNestApps();
  await Promise.all(made.map((auth) => auth.close()));
  made = [];
});

function build(): Auth {
  const auth = createAuth({
    jwt: { secret: SECRET, algorithms: ["HS256"], issuer: "https://api.example.test", ttl: "15m" },
    apiKeys: { store: memoryKeyStore(), header: "x-api-key", prefix: "gh", hasher: cheapArgon2() },
  });
  made.push(auth);
  return auth;
}

/** The very function `auth.authenticate` holds, to call it from a wrapper and to put it back. */
const functionOf = (auth: Auth): Auth["authenticate"] =>
  // eslint-disable-next-line @typescript-eslint/unbound-method -- createAuth's uses no this
  auth.authenticate;

function expressApp(express: typeof express5, auth: Auth): RequestListener {
  const app = express();
  const user = (req: express5.Request, res: express5.Response) => {
    res.json({ user: ex.getCurrentUser(req) });
  };
  app.get("/me", ex.authenticate(auth), user);
  app.get("/maybe", ex.authenticate(auth, { optional: true }), user);
  app.use("/keys", ex.keyRoutes(auth));
  return app;
}

function koaApp(KoaClass: typeof Koa3, auth: Auth): RequestListener {
  const app = new KoaClass<ko.State>();
  const router = new Router<ko.State>();
  const user = (ctx: { body: unknown; state: ko.State }) => {
    ctx.body = { user: ko.getCurrentUser(ctx) };
  };
  router.get("/me", ko.authenticate(auth), user);
  router.get("/maybe", ko.authenticate(auth, { optional: true }), user);
  app.use(ko.keyRoutes(auth, { prefix: "/keys" }));
  app.use(router.routes());
  const handle = app.callback();
  return (req, res) => void handle(req, res);
}

function honoApp(auth: Auth): RequestListener {
  const app = new Hono<{ Variables: ho.Variables }>();
  app.get("/me", ho.authenticate(auth), (c) => c.json({ user: ho.getCurrentUser(c) }));
  app.get("/maybe", ho.authenticate(auth, { optional: true }), (c) =>
    c.json({ user: ho.getCurrentUser(c) }),
  );
  app.route("/keys", ho.keyRoutes(auth));
  const listener = getRequestListener(app.fetch);
  return (req, res) => void listener(req, res);
}

function fastifyApp(make: typeof fastify5, auth: Auth): RequestListener {
  const app = make();
  const user = (request: FastifyRequest) => ({ user: fa.getCurrentUser(request) });
  app.get("/me", { onRequest: fa.authenticate(auth) }, user);
  app.get("/maybe", { onRequest: fa.authenticate(auth, { optional: true }) }, user);
  void app.register(fa.keyRoutes(auth), { prefix: "/keys" });
  return fastifyListener(app);
}

function fetchApp(auth: Auth): RequestListener {
  const user = (req: Request) => Response.json({ user: fe.getCurrentUser(req) });
  const me = fe.withAuth(auth, user);
  const maybe = fe.withAuth(auth, user, { optional: true });
  const keys = fe.keyRoutes(auth, { prefix: "/keys" });
  return fetchListener((req) => {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/me") return me(req);
    if (req.method === "GET" && path === "/maybe") return maybe(req);
    return keys(req);
  });
}

/** The global guard on every route, `@OptionalAuth` on /maybe, the module's key routes. */
function nestModule(auth: Auth): Type<unknown> {
  @Controller()
  class Routes {
    @Get("me")
    me(@ne.CurrentUser() user: Principal | null) {
      return { user };
    }

    @Get("maybe")
    @ne.OptionalAuth()
    maybe(@ne.CurrentUser() user: Principal | null) {
      return { user };
    }
  }

  @Module({
    imports: [ne.GatehouseModule.forRoot(auth, { keyRoutes: { prefix: "/keys" } })],
    controllers: [Routes],
    providers: [{ provide: APP_GUARD, useClass: ne.AuthGuard }],
  })
  class AppModule {}
  return AppModule;
}

const apps: Record<string, (auth: Auth) => RequestListener> = {
  "express 5": (auth) => expressApp(express5, auth),
  "express 4": (auth) => expressApp(express4, auth),
  "koa 3": (auth) => koaApp(Koa3, auth),
  "koa 2": (auth) => koaApp(Koa2, auth),
  "hono 4": honoApp,
  "fastify 5": (auth) => fastifyApp(fastify5, auth),
  "fastify 4": (auth) => fastifyApp(fastify4, auth),
  fetch: fetchApp,
  "nestjs express": (auth) => nestListener(nestModule(auth), "express"),
  "nestjs fastify": (auth) => nestListener(nestModule(auth), "fastify"),
};

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** One of each: a cached token, none at all (optional), a bad token, the key routes. */
async function sendAll(url: string, token: string): Promise<number[]> {
  const bearer = { authorization: `Bearer ${token}` };
  const statuses = [
    (await get(`${url}/me`, bearer)).status,
    (await get(`${url}/me`, bearer)).status,
    (await get(`${url}/maybe`)).status,
    (await get(`${url}/me`, { authorization: "Bearer not-a-jwt" })).status,
    (await get(`${url}/keys`, bearer)).status,
  ];
  return statuses;
}
const EXPECTED = [200, 200, 200, 401, 200];

const traced: Principal = Object.freeze({
  id: "traced",
  type: "user" as const,
  via: "jwt" as const,
  scopes: Object.freeze([]),
  roles: Object.freeze([]),
});

describe.each(Object.keys(apps))("%s", (name) => {
  const app = apps[name]!;

  it("authenticate replaced after the middleware was made: the replacement answers every request", async () => {
    const auth = build();
    const token = await auth.tokens.issue({ sub: "alice", scopes: [], roles: [] });
    await withServer(app(auth), async (url) => {
      // The token is verified once and cached: from now on it needs no call at all.
      expect(await sendAll(url, token)).toEqual(EXPECTED);
      const original = functionOf(auth);
      let calls = 0;
      auth.authenticate = (request) => {
        calls++;
        return original(request);
      };
      expect(await sendAll(url, token)).toEqual(EXPECTED);
      expect(calls).toBe(EXPECTED.length);

      // Put back: the original answers, and the replacement is not called any more.
      auth.authenticate = original;
      expect(await sendAll(url, token)).toEqual(EXPECTED);
      expect(calls).toBe(EXPECTED.length);
    });
  });

  it("the replacement's answer is the one used, for a cached credential too", async () => {
    const auth = build();
    const token = await auth.tokens.issue({ sub: "alice", scopes: [], roles: [] });
    await withServer(app(auth), async (url) => {
      const bearer = { authorization: `Bearer ${token}` };
      expect((await get(`${url}/me`, bearer)).body).toMatchObject({ user: { id: "alice" } });
      auth.authenticate = () => Promise.resolve<AuthResult>({ ok: true, principal: traced });
      expect(await get(`${url}/me`, bearer)).toEqual({ status: 200, body: { user: traced } });
      expect(await get(`${url}/me`)).toEqual({ status: 200, body: { user: traced } });
      expect(await get(`${url}/maybe`)).toEqual({ status: 200, body: { user: traced } });
    });
  });

  it("authenticate replaced before the middleware was made is called for every request", async () => {
    const auth = build();
    const token = await auth.tokens.issue({ sub: "alice", scopes: [], roles: [] });
    const original = functionOf(auth);
    let calls = 0;
    auth.authenticate = (request) => {
      calls++;
      return original(request);
    };
    await withServer(app(auth), async (url) => {
      expect(await sendAll(url, token)).toEqual(EXPECTED);
      expect(await sendAll(url, token)).toEqual(EXPECTED);
      expect(calls).toBe(2 * EXPECTED.length);
    });
  });

  it("a spy on authenticate sees every request", async () => {
    const auth = build();
    const token = await auth.tokens.issue({ sub: "alice", scopes: [], roles: [] });
    await withServer(app(auth), async (url) => {
      expect(await sendAll(url, token)).toEqual(EXPECTED);
      const spy = vi.spyOn(auth, "authenticate");
      expect(await sendAll(url, token)).toEqual(EXPECTED);
      expect(spy).toHaveBeenCalledTimes(EXPECTED.length);
    });
  });
});
