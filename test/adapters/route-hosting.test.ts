/**
 * The key and token routes share their mount points with the app's own routes: a request
 * that is not one of theirs must reach the routes after them as it came, its body unread and
 * no credential verified for it, on every adapter and framework major.
 *
 *   /auth            tokenRoutes
 *   POST /auth/other the app's own route, with its own body parser
 *   /auth/v1         tokenRoutes again, mounted deeper
 *   /keys            keyRoutes (no authenticate in front: the routes identify the caller)
 *   POST /keys/a/b/c/d  the app's own route, with its own body parser
 *   /keys/v2         keyRoutes again, mounted deeper
 *
 * Fastify registers each as a plugin at its prefix. The fetch handlers are chained in that
 * order, each answering `null` for what is not theirs, and the app's own routes come last.
 * On NestJS the route middleware are applied in that order, and the app's own routes are a
 * controller's.
 */
import type { IncomingMessage, RequestListener } from "node:http";
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
import {
  Body,
  Controller,
  HttpCode,
  Module,
  Post,
  type MiddlewareConsumer,
  type NestModule,
  type Type,
} from "@nestjs/common";
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
import { cheapArgon2 } from "../keys/helpers.js";
import { SECRET } from "./fixture.js";
import { closeNestApps, fetchListener, nestListener, type NestPlatform } from "./apps-listeners.js";
import { fastifyListener } from "./servers-fastify.js";
import { withServer } from "./with-server.js";

let auth: Auth;
/** The auth behind the key routes, counting the identifications they run. */
let counted: AdapterAuth;
let identifications = 0;

const verifyUser = (username: string, password: string) =>
  Promise.resolve(
    username === "alice" && password === "wonderland"
      ? { id: "alice", scopes: ["reports:read"], roles: [] }
      : null,
  );
const tokenOptions = { verifyUser, attempts: false as const };

beforeAll(() => {
  auth = createAuth({
    jwt: { secret: SECRET, algorithms: ["HS256"], issuer: "https://api.example.test", ttl: "15m" },
    apiKeys: { store: memoryKeyStore(), header: "x-api-key", prefix: "gh", hasher: cheapArgon2() },
  });
  counted = {
    authenticate: (request) => {
      identifications++;
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

/** The raw body, as a route of the app would read it with a parser of its own. */
async function rawText(req: IncomingMessage): Promise<string> {
  let text = "";
  req.setEncoding("utf8");
  for await (const chunk of req) text += chunk as string;
  return text;
}

function expressApp(express: typeof express5): RequestListener {
  const app = express();
  const echo = (req: express5.Request, res: express5.Response) => {
    res.json({ body: (req.body as unknown) ?? null });
  };
  app.use("/auth", ex.tokenRoutes(auth, tokenOptions));
  app.post("/auth/other", express.json(), echo);
  app.use("/auth/v1", ex.tokenRoutes(auth, tokenOptions));
  app.use("/keys", ex.keyRoutes(counted));
  app.post("/keys/a/b/c/d", express.json(), echo);
  app.use("/keys/v2", ex.keyRoutes(counted));
  return app;
}

function koaApp(KoaClass: typeof Koa3): RequestListener {
  const app = new KoaClass<ko.State>();
  const router = new Router<ko.State>();
  const echo = async (ctx: { req: IncomingMessage; body: unknown }) => {
    const text = await rawText(ctx.req);
    ctx.body = { body: text === "" ? null : (JSON.parse(text) as unknown) };
  };
  app.use(ko.tokenRoutes(auth, { prefix: "/auth", ...tokenOptions }));
  app.use(ko.tokenRoutes(auth, { prefix: "/auth/v1", ...tokenOptions }));
  app.use(ko.keyRoutes(counted, { prefix: "/keys" }));
  app.use(ko.keyRoutes(counted, { prefix: "/keys/v2" }));
  router.post("/auth/other", echo);
  router.post("/keys/a/b/c/d", echo);
  app.use(router.routes());
  const handle = app.callback();
  return (req, res) => void handle(req, res);
}

function honoApp(): RequestListener {
  const app = new Hono<{ Variables: ho.Variables }>();
  app.route("/auth", ho.tokenRoutes(auth, tokenOptions));
  app.post("/auth/other", async (c) => c.json({ body: await c.req.json<unknown>() }));
  app.route("/auth/v1", ho.tokenRoutes(auth, tokenOptions));
  app.route("/keys", ho.keyRoutes(counted));
  app.post("/keys/a/b/c/d", async (c) => c.json({ body: await c.req.json<unknown>() }));
  app.route("/keys/v2", ho.keyRoutes(counted));
  const listener = getRequestListener(app.fetch);
  return (req, res) => void listener(req, res);
}

function fastifyApp(make: typeof fastify5): RequestListener {
  const app = make();
  const echo = (request: FastifyRequest) => ({ body: request.body ?? null });
  void app.register(fa.tokenRoutes(auth, tokenOptions), { prefix: "/auth" });
  app.post("/auth/other", echo);
  void app.register(fa.tokenRoutes(auth, tokenOptions), { prefix: "/auth/v1" });
  void app.register(fa.keyRoutes(counted), { prefix: "/keys" });
  app.post("/keys/a/b/c/d", echo);
  void app.register(fa.keyRoutes(counted), { prefix: "/keys/v2" });
  return fastifyListener(app);
}

function fetchApp(): RequestListener {
  const mounted = [
    fe.tokenRoutes(auth, { prefix: "/auth", ...tokenOptions }),
    fe.tokenRoutes(auth, { prefix: "/auth/v1", ...tokenOptions }),
    fe.keyRoutes(counted, { prefix: "/keys" }),
    fe.keyRoutes(counted, { prefix: "/keys/v2" }),
  ];
  const own = new Set(["/auth/other", "/keys/a/b/c/d"]);
  return fetchListener(async (req) => {
    for (const routes of mounted) {
      const answer = await routes(req);
      if (answer !== null) return answer;
    }
    if (req.method !== "POST" || !own.has(new URL(req.url).pathname)) return null;
    return Response.json({ body: (await req.json()) as unknown });
  });
}

function nestModule(): Type<unknown> {
  @Controller()
  class Routes {
    @Post("auth/other")
    @HttpCode(200)
    other(@Body() body: unknown) {
      return { body: body ?? null };
    }

    @Post("keys/a/b/c/d")
    @HttpCode(200)
    deep(@Body() body: unknown) {
      return { body: body ?? null };
    }
  }

  @Module({ controllers: [Routes] })
  class AppModule implements NestModule {
    configure(consumer: MiddlewareConsumer) {
      consumer
        .apply(
          ne.tokenRoutes(auth, { prefix: "/auth", ...tokenOptions }),
          ne.tokenRoutes(auth, { prefix: "/auth/v1", ...tokenOptions }),
          ne.keyRoutes(counted, { prefix: "/keys" }),
          ne.keyRoutes(counted, { prefix: "/keys/v2" }),
        )
        .forRoutes("*");
    }
  }
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

interface Reply {
  status: number;
  body: Record<string, unknown> | null;
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  method = "POST",
): Promise<Reply> {
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  return {
    status: res.status,
    body: text === "" ? null : (JSON.parse(text) as Record<string, unknown>),
  };
}

const json = { "content-type": "application/json" };
const form = { "content-type": "application/x-www-form-urlencoded" };
const login = "grant_type=password&username=alice&password=wonderland";

describe.each(Object.keys(apps))("%s", (name) => {
  const app = apps[name]!;

  it("a route of the app under the token routes' mount point gets its body", async () => {
    await withServer(app(), async (url) => {
      const other = await post(`${url}/auth/other`, JSON.stringify({ hello: "world" }), json);
      expect(other).toEqual({ status: 200, body: { body: { hello: "world" } } });
    });
  });

  it("token routes mounted below other token routes read their own body", async () => {
    await withServer(app(), async (url) => {
      for (const prefix of ["/auth", "/auth/v1"]) {
        const viaForm = await post(`${url}${prefix}/token`, login, form);
        expect(viaForm.status, `${prefix} form`).toBe(200);
        expect(viaForm.body).toMatchObject({ token_type: "Bearer", scope: "reports:read" });
        const viaJson = await post(
          `${url}${prefix}/token`,
          JSON.stringify({ grant_type: "password", username: "alice", password: "wonderland" }),
          json,
        );
        expect(viaJson.status, `${prefix} json`).toBe(200);
        expect(typeof viaJson.body?.access_token).toBe("string");
      }
      const refused = await post(`${url}/auth/v1/token`, "grant_type=magic", form);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: "unsupported_grant_type" });
    });
  });

  it("a route of the app under the key routes' mount point: its body, and no identification", async () => {
    const token = await auth.tokens.issue({ sub: "alice", scopes: [], roles: [] });
    await withServer(app(), async (url) => {
      const before = identifications;
      const other = await post(`${url}/keys/a/b/c/d`, JSON.stringify({ n: 1 }), {
        ...json,
        authorization: `Bearer ${token}`,
      });
      expect(other).toEqual({ status: 200, body: { body: { n: 1 } } });
      expect(identifications - before).toBe(0);
    });
  });

  it("key routes mounted below other key routes get the request, its body and one identification", async () => {
    const { record } = await auth.keys.create({ ownerId: `alice-${name}`, name: "before" });
    const token = await auth.tokens.issue({
      sub: `alice-${name}`,
      scopes: ["keys:write"],
      roles: [],
    });
    await withServer(app(), async (url) => {
      const before = identifications;
      const renamed = await post(
        `${url}/keys/v2/${record.id}`,
        JSON.stringify({ name: "after" }),
        { ...json, authorization: `Bearer ${token}` },
        "PATCH",
      );
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ id: record.id, name: "after" });
      // The outer key routes did not claim the request, so only the inner ones identified.
      expect(identifications - before).toBe(1);
      const listed = await fetch(`${url}/keys`, { headers: { authorization: `Bearer ${token}` } });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { items: unknown[] }).items).toHaveLength(1);
    });
  });
});
