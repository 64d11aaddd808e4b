/**
 * The token cookie's options are resolved and checked once, when `createAuth` runs; the
 * token routes' `cookieOptions` may override attributes, and the merged result goes through
 * the same check. What a browser would drop, or what would let another site or subdomain
 * shadow the cookie, is refused with a `TypeError` naming the option. A `__Host-` cookie
 * login then works over HTTP on every adapter.
 */
import type { RequestListener } from "node:http";
import express5 from "express";
import express4 from "express4";
import Koa3 from "koa";
import Koa2 from "koa2";
import Router from "@koa/router";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import fastify5 from "fastify";
import fastify4 from "fastify4";
import { Controller, Get, Module, type Type } from "@nestjs/common";
import { APP_GUARD } from "@nestjs/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";
import * as fa from "../../adapters/fastify.js";
import * as fe from "../../adapters/fetch.js";
import * as ne from "../../adapters/nestjs.js";
import { createAuth } from "../../src/create-auth.js";
import type { Auth, AuthJwtOptions } from "../../src/options/auth-options.js";
import type { CookieOptions } from "../../src/options/jwt-options.js";
import type { TokenRouteOptions } from "../../src/tokens/token-endpoint.js";
import type { Principal } from "../../src/types.js";
import { SECRET } from "./fixture.js";
import { closeNestApps, fetchListener, nestListener, type NestPlatform } from "./apps-listeners.js";
import { fastifyListener } from "./servers-fastify.js";
import { withServer } from "./with-server.js";

const jwt: AuthJwtOptions = {
  secret: SECRET,
  algorithms: ["HS256"],
  issuer: "https://api.example.test",
  ttl: "15m",
};

const authWith = (cookie: CookieOptions) => createAuth({ jwt, cookie });

const verifyUser = (username: string, password: string) =>
  Promise.resolve(
    username === "alice" && password === "wonderland"
      ? { id: "alice", scopes: ["reports:read"], roles: [] }
      : null,
  );

describe("createAuth refuses unsafe cookie options, naming the option", () => {
  const refused: Array<[string, CookieOptions, RegExp]> = [
    ["SameSite=None without Secure", { sameSite: "None", secure: false }, /cookie\.secure\b.*None/],
    ["a SameSite value browsers do not know", { sameSite: "lax" as "Lax" }, /cookie\.sameSite/],
    ["a name that is no HTTP token", { name: "access token" }, /cookie\.name/],
    ["a path with ;", { path: "/app; Domain=evil.example" }, /cookie\.path/],
    ["a path with ,", { path: "/a,b" }, /cookie\.path/],
    ["a path with a space", { path: "/a b" }, /cookie\.path/],
    ["a path with a tab", { path: "/a\tb" }, /cookie\.path/],
    ["a path with a line break", { path: "/a\r\nSet-Cookie: x=y" }, /cookie\.path/],
    ["a path with NUL", { path: "/a\u0000" }, /cookie\.path/],
    ["a path with DEL", { path: "/a\u007f" }, /cookie\.path/],
    ["a path not starting with /", { path: "app" }, /cookie\.path/],
    ["an empty path", { path: "" }, /cookie\.path/],
    ["a domain with ;", { domain: "example.com; Secure" }, /cookie\.domain/],
    ["a domain with ,", { domain: "a.example,b.example" }, /cookie\.domain/],
    ["a domain with a space", { domain: "example .com" }, /cookie\.domain/],
    ["a domain with a control character", { domain: "example.com\u0001" }, /cookie\.domain/],
    ["an empty domain", { domain: "" }, /cookie\.domain/],
    ["__Host- without Secure", { name: "__Host-access_token", secure: false }, /cookie\.secure/],
    [
      "__Host- with a Domain",
      { name: "__Host-access_token", domain: "example.com" },
      /cookie\.domain/,
    ],
    [
      "__Host- with a path other than /",
      { name: "__Host-access_token", path: "/app" },
      /cookie\.path/,
    ],
    [
      "__host- (any case) without Secure",
      { name: "__host-access_token", secure: false },
      /cookie\.secure/,
    ],
    [
      "__Secure- without Secure",
      { name: "__Secure-access_token", secure: false },
      /cookie\.secure/,
    ],
  ];

  it.each(refused)("%s", (_name, cookie, message) => {
    expect(() => authWith(cookie)).toThrow(TypeError);
    expect(() => authWith(cookie)).toThrow(message);
  });

  it("accepts what is safe", () => {
    const accepted: CookieOptions[] = [
      {},
      { secure: false },
      { sameSite: "None", secure: true },
      { sameSite: "Strict", path: "/app/v1", domain: "example.com" },
      { domain: ".example.com" },
      { name: "__Host-access_token" },
      { name: "__Host-access_token", secure: true, path: "/", sameSite: "Strict" },
      { name: "__Secure-access_token", domain: "example.com", path: "/api" },
    ];
    for (const cookie of accepted) expect(() => authWith(cookie)).not.toThrow();
    expect(authWith({ name: "__Host-access_token" }).config.cookie).toEqual({
      enabled: true,
      name: "__Host-access_token",
      secure: true,
      sameSite: "Lax",
      path: "/",
      domain: undefined,
    });
  });

  it("checks the defaults with the cookie off too, and cookie: true is the defaults", () => {
    const off = createAuth({ jwt });
    expect(off.config.cookie).toMatchObject({ enabled: false, name: "access_token" });
    const on = createAuth({ jwt, cookie: true });
    expect(on.config.cookie).toEqual({
      enabled: true,
      name: "access_token",
      secure: true,
      sameSite: "Lax",
      path: "/",
      domain: undefined,
    });
    expect(Object.isFrozen(on.config.cookie)).toBe(true);
  });
});

/** Every adapter's tokenRoutes, built (not served): the options are checked when it is made. */
const tokenRouteMakers: Record<string, (auth: Auth, options: TokenRouteOptions) => unknown> = {
  express: (auth, options) => ex.tokenRoutes(auth, options),
  koa: (auth, options) => ko.tokenRoutes(auth, { prefix: "/auth", ...options }),
  hono: (auth, options) => ho.tokenRoutes(auth, options),
  fastify: (auth, options) => fa.tokenRoutes(auth, options),
  fetch: (auth, options) => fe.tokenRoutes(auth, { prefix: "/auth", ...options }),
  nestjs: (auth, options) => ne.tokenRoutes(auth, { prefix: "/auth", ...options }),
  "nestjs GatehouseModule": (auth, options) =>
    ne.GatehouseModule.forRoot(auth, { tokenRoutes: { prefix: "/auth", ...options } }),
};

describe.each(Object.keys(tokenRouteMakers))("%s tokenRoutes cookieOptions", (name) => {
  const make = tokenRouteMakers[name]!;

  it("an override goes through the same check, and the message names cookieOptions", () => {
    const host = authWith({ name: "__Host-access_token" });
    const routes = (cookieOptions: CookieOptions) => () =>
      make(host, { verifyUser, cookie: true, cookieOptions });
    expect(routes({ secure: false })).toThrow(/cookieOptions\.secure/);
    expect(routes({ path: "/auth" })).toThrow(/cookieOptions\.path/);
    expect(routes({ domain: "example.com" })).toThrow(/cookieOptions\.domain/);
    expect(routes({ sameSite: "Strict" })).not.toThrow();

    const plain = authWith({ secure: false });
    const plainRoutes = (cookieOptions: CookieOptions) => () =>
      make(plain, { verifyUser, cookie: true, cookieOptions });
    // The Secure of the merged result comes from createAuth, the SameSite from the route.
    expect(plainRoutes({ sameSite: "None" })).toThrow(/cookie\.secure\b.*cookieOptions\.sameSite/);
    expect(plainRoutes({ sameSite: "None", secure: true })).not.toThrow();
    expect(plainRoutes({ name: "__Secure-token" })).toThrow(/cookie\.secure/);
    expect(plainRoutes({ path: "/a;b" })).toThrow(/cookieOptions\.path/);
    expect(plainRoutes({ name: "bad name" })).toThrow(/cookieOptions\.name/);
  });
});

let hostAuth: Auth;
beforeAll(() => {
  hostAuth = authWith({ name: "__Host-access_token" });
});
afterAll(async () => {
  await closeNestApps();
  await hostAuth.close();
});

const routeOptions = { verifyUser, cookie: true as const, attempts: false as const };

function expressApp(express: typeof express5): RequestListener {
  const app = express();
  app.use("/auth", ex.tokenRoutes(hostAuth, routeOptions));
  app.get("/me", ex.authenticate(hostAuth), (req, res) => {
    res.json({ user: ex.getCurrentUser(req) });
  });
  return app;
}

function koaApp(KoaClass: typeof Koa3): RequestListener {
  const app = new KoaClass<ko.State>();
  const router = new Router<ko.State>();
  router.get("/me", ko.authenticate(hostAuth), (ctx) => {
    ctx.body = { user: ko.getCurrentUser(ctx) };
  });
  app.use(ko.tokenRoutes(hostAuth, { prefix: "/auth", ...routeOptions }));
  app.use(router.routes());
  const handle = app.callback();
  return (req, res) => void handle(req, res);
}

function honoApp(): RequestListener {
  const app = new Hono<{ Variables: ho.Variables }>();
  app.route("/auth", ho.tokenRoutes(hostAuth, routeOptions));
  app.get("/me", ho.authenticate(hostAuth), (c) => c.json({ user: ho.getCurrentUser(c) }));
  const listener = getRequestListener(app.fetch);
  return (req, res) => void listener(req, res);
}

function fastifyApp(make: typeof fastify5): RequestListener {
  const app = make();
  void app.register(fa.tokenRoutes(hostAuth, routeOptions), { prefix: "/auth" });
  app.get("/me", { onRequest: fa.authenticate(hostAuth) }, (request) => ({
    user: fa.getCurrentUser(request),
  }));
  return fastifyListener(app);
}

function fetchApp(): RequestListener {
  const tokens = fe.tokenRoutes(hostAuth, { prefix: "/auth", ...routeOptions });
  const me = fe.withAuth(hostAuth, (req) => Response.json({ user: fe.getCurrentUser(req) }));
  return fetchListener((req) =>
    req.method === "GET" && new URL(req.url).pathname === "/me" ? me(req) : tokens(req),
  );
}

function nestModule(): Type<unknown> {
  @Controller()
  class Routes {
    @Get("me")
    me(@ne.CurrentUser() user: Principal | null) {
      return { user };
    }
  }

  @Module({
    imports: [
      ne.GatehouseModule.forRoot(hostAuth, { tokenRoutes: { prefix: "/auth", ...routeOptions } }),
    ],
    controllers: [Routes],
    providers: [{ provide: APP_GUARD, useClass: ne.AuthGuard }],
  })
  class AppModule {}
  return AppModule;
}

const nestApp = (platform: NestPlatform) => () => nestListener(nestModule(), platform);

const apps: Record<string, () => RequestListener> = {
  "express 5": () => expressApp(express5),
  "express 4": () => expressApp(express4),
  "koa 3": () => koaApp(Koa3),
  "koa 2": () => koaApp(Koa2),
  "hono 4": honoApp,
  "fastify 5": () => fastifyApp(fastify5),
  "fastify 4": () => fastifyApp(fastify4),
  fetch: fetchApp,
  "nestjs express": nestApp("express"),
  "nestjs fastify": nestApp("fastify"),
};

describe.each(Object.keys(apps))("%s: a __Host- cookie login", (name) => {
  const app = apps[name]!;

  it("sets the cookie with Secure, Path=/ and no Domain, and the verifier reads it back", async () => {
    await withServer(app(), async (url) => {
      const login = await fetch(`${url}/auth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=password&username=alice&password=wonderland",
      });
      expect(login.status).toBe(200);
      const body = (await login.json()) as Record<string, unknown>;
      expect(body.access_token).toBeUndefined();
      const setCookie = login.headers.getSetCookie();
      expect(setCookie).toHaveLength(1);
      const [pair, ...attributes] = setCookie[0]!.split("; ");
      expect(pair).toMatch(/^__Host-access_token=[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(attributes).toEqual([
        `Max-Age=${String(body.expires_in)}`,
        "Path=/",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
      ]);
      expect(setCookie[0]).not.toMatch(/domain=/i);

      // A browser sends a Secure cookie over https only; here it is sent back by hand.
      const me = await fetch(`${url}/me`, { headers: { cookie: `theme=dark; ${pair!}` } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ user: { id: "alice", via: "cookie" } });

      // The cookie is read under its exact name only.
      const other = await fetch(`${url}/me`, {
        headers: { cookie: pair!.replace("__Host-", "") },
      });
      expect(other.status).toBe(401);

      const logout = await fetch(`${url}/auth/logout`, { method: "POST" });
      expect(logout.status).toBe(204);
      expect(logout.headers.getSetCookie()).toEqual([
        "__Host-access_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
      ]);
    });
  });
});
