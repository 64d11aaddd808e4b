/**
 * Team-owned keys and the rotate routes over real HTTP, on Express 4 and 5, Koa 2 and 3,
 * Hono, Fastify, fetch and NestJS (on Express): `keyRoutes(auth, { owner, ownerType, maxRotateOverlap })` mounted beside the
 * default `keyRoutes(auth)`, each server with an auth and a store of its own.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import express5 from "express";
import express4 from "express4";
import Koa3 from "koa";
import Koa2 from "koa2";
import { Hono } from "hono";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";
import * as fa from "../../adapters/fastify.js";
import * as fe from "../../adapters/fetch.js";
import fastify5 from "fastify";
import type { MiddlewareConsumer, NestModule } from "@nestjs/common";
import { Controller, Get, Module } from "@nestjs/common";
import { APP_GUARD } from "@nestjs/core";
import * as ne from "../../adapters/nestjs.js";
import { createAuth } from "../../src/create-auth.js";
import type { KeyRoutesOptions } from "../../src/http/key-routes.js";
import type { Auth } from "../../src/options/auth-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { Principal } from "../../src/types.js";
import { cheapArgon2 } from "../keys/helpers.js";
import { listen, type Running } from "./server-parts.js";
import { listenFastify } from "./servers-fastify.js";
import { serveFetch, type Peer } from "./servers-fetch.js";
import { nestExpress } from "./servers-nestjs.js";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";

/** The organization of a token's `org` claim; a key (or a token minted from one) is its owner. */
function orgOf(principal: Principal): string | null {
  if (principal.key) return principal.id;
  const org = principal.claims?.org;
  return typeof org === "string" ? org : null;
}

const TEAM: KeyRoutesOptions = { owner: orgOf, ownerType: "org", maxRotateOverlap: 3600 };

function expressApp(express: typeof express5, auth: Auth) {
  const app = express();
  app.use(express.json());
  app.use(ex.authenticate(auth, { optional: true }));
  app.get("/me", ex.requireAuth(), (req, res) => {
    res.json(ex.getCurrentUser(req));
  });
  app.use("/users/keys", ex.keyRoutes(auth));
  app.use("/org/keys", ex.keyRoutes(auth, TEAM));
  return app;
}

function koaApp(KoaClass: typeof Koa3, auth: Auth) {
  const app = new KoaClass<ko.State>();
  app.use(ko.authenticate(auth, { optional: true }));
  app.use(ko.keyRoutes(auth, { prefix: "/users/keys" }));
  app.use(ko.keyRoutes(auth, { prefix: "/org/keys", ...TEAM }));
  app.use((ctx) => {
    if (ctx.path !== "/me") return;
    const user = ko.getCurrentUser(ctx);
    ctx.status = user ? 200 : 401;
    ctx.body = user ?? {};
  });
  return app;
}

function honoApp(auth: Auth) {
  const app = new Hono<{ Variables: ho.Variables }>();
  app.use("*", ho.authenticate(auth, { optional: true }));
  app.get("/me", ho.requireAuth(), (c) => c.json(ho.getCurrentUser(c)));
  app.route("/users/keys", ho.keyRoutes(auth));
  app.route("/org/keys", ho.keyRoutes(auth, TEAM));
  return app;
}

function koaServer(app: {
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}) {
  const handle = app.callback();
  return createServer((req, res) => {
    void handle(req, res);
  });
}

function honoServer(auth: Auth): Promise<Running> {
  return new Promise((resolve) => {
    const server = serve({ fetch: honoApp(auth).fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            (server as Server).closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

async function fastifyServer(auth: Auth): Promise<Running> {
  const app = fastify5();
  app.addHook("onRequest", fa.authenticate(auth, { optional: true }));
  app.get("/me", { preHandler: fa.requireAuth() }, (request) => fa.getCurrentUser(request));
  await app.register(fa.keyRoutes(auth), { prefix: "/users/keys" });
  await app.register(fa.keyRoutes(auth, TEAM), { prefix: "/org/keys" });
  return listenFastify(app);
}

function fetchServer(auth: Auth): Promise<Running> {
  const clientAddress = (_req: Request, peer: Peer) => peer.remoteAddress;
  const me = fe.withAuth(auth, (req) => Response.json(fe.getCurrentUser(req)), { clientAddress });
  const own = fe.keyRoutes(auth, { prefix: "/users/keys", clientAddress });
  const team = fe.keyRoutes(auth, { prefix: "/org/keys", clientAddress, ...TEAM });
  return serveFetch(async (req, peer) => {
    if (new URL(req.url).pathname === "/me") return me(req, peer);
    return (await own(req, peer)) ?? (await team(req, peer));
  });
}

function nestServer(auth: Auth): Promise<Running> {
  @Controller()
  class Me {
    @Get("me")
    me(@ne.CurrentUser() user: Principal | null) {
      return user;
    }
  }
  @Module({
    imports: [ne.GatehouseModule.forRoot(auth, { keyRoutes: { prefix: "/users/keys" } })],
    controllers: [Me],
    providers: [{ provide: APP_GUARD, useClass: ne.AuthGuard }],
  })
  class TeamModule implements NestModule {
    configure(consumer: MiddlewareConsumer) {
      consumer.apply(ne.keyRoutes(auth, { prefix: "/org/keys", ...TEAM })).forRoutes("*");
    }
  }
  return nestExpress(TeamModule);
}

const servers: Record<string, (auth: Auth) => Promise<Running>> = {
  "nestjs (express)": nestServer,
  "fastify 5": fastifyServer,
  fetch: fetchServer,
  "express 5": (auth) => listen(createServer(expressApp(express5, auth))),
  "express 4": (auth) => listen(createServer(expressApp(express4, auth))),
  "koa 3": (auth) => listen(koaServer(koaApp(Koa3, auth))),
  "koa 2": (auth) => listen(koaServer(koaApp(Koa2, auth))),
  "hono 4": honoServer,
};

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

interface KeyBody {
  key: string;
  record: { id: string; ownerId: string; ownerType: string; name: string; scopes: string[] };
}

describe.each(Object.keys(servers))("%s: team keys and rotation", (name) => {
  let auth: Auth;
  let server: Running;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    auth = createAuth({
      jwt: { secret: SECRET, algorithms: ["HS256"], issuer: "https://t.test", audience: "api" },
      apiKeys: { store: memoryKeyStore(), hasher: cheapArgon2(), prefix: "gh" },
    });
    const scopes = ["reports:read", "keys:write"];
    const issue = (sub: string, claims: Record<string, unknown> = {}, roles: string[] = []) =>
      auth.tokens.issue({ sub, scopes, roles, claims });
    tokens.alice = await issue("alice", { org: "org:acme" });
    tokens.carol = await issue("carol", { org: "org:acme" });
    tokens.dave = await issue("dave", { org: "org:other" });
    tokens.eve = await issue("eve");
    tokens.bob = await issue("bob");
    tokens.admin = await issue("root", {}, ["admin"]);
    server = await servers[name]!(auth);
  });
  afterAll(async () => {
    await server?.close();
    await auth?.close();
  });

  async function call(
    method: string,
    path: string,
    credential: { token?: string; key?: string },
    body?: unknown,
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (credential.token) headers.authorization = `Bearer ${credential.token}`;
    if (credential.key) headers["x-api-key"] = credential.key;
    let payload: string | undefined;
    if (body instanceof URLSearchParams) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      payload = body.toString();
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, body: payload });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }
  const as = (who: string) => ({ token: tokens[who]! });
  const ids = (answer: Answer) => (answer.body.items as { id: string }[]).map((k) => k.id);

  describe("an owner resolver", () => {
    let orgKey: KeyBody;

    beforeAll(async () => {
      const created = await call("POST", "/org/keys", as("alice"), {
        name: "acme deploy",
        scopes: ["reports:read", "keys:write"],
      });
      expect(created.status).toBe(201);
      orgKey = created.body as unknown as KeyBody;
    });

    it("creates keys for the resolved owner, with the configured ownerType", () => {
      expect(orgKey.record).toMatchObject({ ownerId: "org:acme", ownerType: "org" });
    });

    it("lets every member of the organization list and change its keys", async () => {
      expect(ids(await call("GET", "/org/keys", as("carol")))).toContain(orgKey.record.id);
      const renamed = await call("PATCH", `/org/keys/${orgKey.record.id}`, as("carol"), {
        name: "acme deploy (renamed by carol)",
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: "acme deploy (renamed by carol)" });
    });

    it("answers another organization's member 404, as for a missing key", async () => {
      expect(ids(await call("GET", "/org/keys", as("dave")))).not.toContain(orgKey.record.id);
      for (const [method, path, body] of [
        ["GET", `/org/keys/${orgKey.record.id}`, undefined],
        ["PATCH", `/org/keys/${orgKey.record.id}`, { name: "taken" }],
        ["POST", `/org/keys/${orgKey.record.id}/rotate`, {}],
        ["DELETE", `/org/keys/${orgKey.record.id}`, undefined],
      ] as const) {
        const answer = await call(method, path, as("dave"), body);
        expect(answer.status, `${method} ${path}`).toBe(404);
        expect(answer.body).toMatchObject({ code: "not_found" });
      }
    });

    it("refuses a caller that resolves to no owner with 403 and a problem body", async () => {
      for (const [method, path] of [
        ["GET", "/org/keys"],
        ["POST", "/org/keys"],
        ["GET", `/org/keys/${orgKey.record.id}`],
      ] as const) {
        const answer = await call(
          method,
          path,
          as("eve"),
          method === "POST" ? { name: "x" } : undefined,
        );
        expect(answer.status, `${method} ${path}`).toBe(403);
        expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({ code: "forbidden", status: 403 });
      }
    });

    it("keeps the organization's keys out of each member's own keys", async () => {
      expect(ids(await call("GET", "/users/keys", as("alice")))).not.toContain(orgKey.record.id);
    });

    it("makes keys that authenticate as the organization and manage its keys", async () => {
      const me = await call("GET", "/me", { key: orgKey.key });
      expect(me.body).toMatchObject({ id: "org:acme", via: "apiKey" });
      expect(ids(await call("GET", "/org/keys", { key: orgKey.key }))).toContain(orgKey.record.id);
    });

    it("leaves the admin routes as they are: by owner id, admin role only", async () => {
      const listed = await call("GET", "/org/keys/by-user/org:acme", as("admin"));
      expect(ids(listed)).toContain(orgKey.record.id);
      expect((await call("GET", "/org/keys/by-user/org:acme", as("alice"))).status).toBe(403);
    });
  });

  describe("POST /:id/rotate", () => {
    async function aliceKey(name: string, scopes = ["reports:read"]): Promise<KeyBody> {
      const created = await call("POST", "/users/keys", as("alice"), { name, scopes });
      expect(created.status).toBe(201);
      return created.body as unknown as KeyBody;
    }

    it("answers 201 with the new key once, no-store; the old one works through the overlap", async () => {
      const old = await aliceKey("to rotate");
      const before = Date.now();
      const rotated = await call("POST", `/users/keys/${old.record.id}/rotate`, as("alice"), {
        overlap: 120,
      });
      expect(rotated.status).toBe(201);
      expect(rotated.headers.get("cache-control")).toBe("no-store");
      const fresh = rotated.body as unknown as KeyBody;
      expect(fresh.key).not.toBe(old.key);
      expect(fresh.record).toMatchObject({ name: "to rotate", scopes: ["reports:read"] });
      expect(JSON.stringify(rotated.body)).not.toMatch(/hash/);

      expect((await call("GET", "/me", { key: fresh.key })).status).toBe(200);
      expect((await call("GET", "/me", { key: old.key })).status).toBe(200);
      // The old key's end is in its record: now + overlap.
      const record = await call("GET", `/users/keys/${old.record.id}`, as("alice"));
      expect(record.body).toMatchObject({ disabledBy: "rotation", status: "active" });
      const end = Date.parse(record.body.expiresAt as string);
      expect(end).toBeGreaterThanOrEqual(before + 120_000 - 1000);
      expect(end).toBeLessThanOrEqual(Date.now() + 120_000 + 1000);

      const again = await call("POST", `/users/keys/${old.record.id}/rotate`, as("alice"), {});
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: "conflict" });
    });

    it("ends the old key at once without a body, and lists it as rotated", async () => {
      const old = await aliceKey("rotate now");
      const rotated = await call("POST", `/users/keys/${old.record.id}/rotate`, as("alice"));
      expect(rotated.status).toBe(201);
      expect((await call("GET", "/me", { key: old.key })).status).toBe(401);
      const listed = await call("GET", "/users/keys", as("alice"));
      const entry = (listed.body.items as { id: string; status: string }[]).find(
        (k) => k.id === old.record.id,
      );
      expect(entry?.status).toBe("rotated");
    });

    it("takes the overlap from a form body too", async () => {
      const old = await aliceKey("form rotate");
      const path = `/users/keys/${old.record.id}/rotate`;
      const rotated = await call("POST", path, as("alice"), new URLSearchParams({ overlap: "30" }));
      expect(rotated.status).toBe(201);
      expect((await call("GET", "/me", { key: old.key })).status).toBe(200);
    });

    it("refuses an overlap above the maximum, or not whole seconds, with 400 and a problem", async () => {
      const old = await aliceKey("bad overlaps");
      const path = `/users/keys/${old.record.id}/rotate`;
      for (const overlap of [604_801, -1, 1.5, "soon", null, true]) {
        const answer = await call("POST", path, as("alice"), { overlap });
        expect(answer.status, JSON.stringify(overlap)).toBe(400);
        expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({ code: "invalid_body", errors: [{ field: "overlap" }] });
      }
      expect((await call("POST", path, as("alice"), { overlap: 1, why: "x" })).status).toBe(400);
      // The mount's own maximum: 3600 on the team routes.
      const team = await call("POST", "/org/keys", as("alice"), { name: "team rotate" });
      const teamPath = `/org/keys/${(team.body as unknown as KeyBody).record.id}/rotate`;
      const over = await call("POST", teamPath, as("carol"), { overlap: 3601 });
      expect(over.status).toBe(400);
      expect(over.body.detail).toMatch(/at most 3600 seconds/);
      expect((await call("POST", teamPath, as("carol"), { overlap: 3600 })).status).toBe(201);
      // Nothing was rotated by the refused requests.
      expect((await call("GET", "/me", { key: old.key })).status).toBe(200);
    });

    it("follows the write rules: a key needs keys:write, and grants stay within the caller's", async () => {
      const old = await aliceKey("reader");
      const path = `/users/keys/${old.record.id}/rotate`;
      const byReader = await call("POST", path, { key: old.key }, {});
      expect(byReader.status).toBe(403);
      expect(byReader.headers.get("www-authenticate")).toMatch(/scope="keys:write"/);
      const writer = await aliceKey("writer", ["keys:write"]);
      // The writer key holds keys:write but not reports:read, which the rotated key carries.
      const narrow = await call("POST", path, { key: writer.key }, {});
      expect(narrow.status).toBe(403);
      expect(narrow.body).toMatchObject({ code: "forbidden" });
    });

    it("answers 404 for another user's key and 405 for other methods", async () => {
      const old = await aliceKey("not bob's");
      const path = `/users/keys/${old.record.id}/rotate`;
      expect((await call("POST", path, as("bob"), {})).status).toBe(404);
      const get = await call("GET", path, as("alice"));
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      expect((await call("POST", path, {}, {})).status).toBe(401);
    });

    it("has an admin form under by-user, for the named owner's keys only", async () => {
      const old = await aliceKey("admin rotates");
      const path = `/users/keys/by-user/alice/${old.record.id}/rotate`;
      expect((await call("POST", path, as("alice"), {})).status).toBe(403);
      const wrongOwner = `/users/keys/by-user/bob/${old.record.id}/rotate`;
      expect((await call("POST", wrongOwner, as("admin"), {})).status).toBe(404);
      const rotated = await call("POST", path, as("admin"), { overlap: 10 });
      expect(rotated.status).toBe(201);
      expect(rotated.headers.get("cache-control")).toBe("no-store");
      expect((rotated.body as unknown as KeyBody).record.ownerId).toBe("alice");
    });
  });
});
