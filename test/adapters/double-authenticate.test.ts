/**
 * `authenticate` mounted app-wide with `optional` and again on a route, as the adapter docs
 * show: a request goes through both, and must be verified and counted once. Otherwise
 * each request would spend two of a key's credits and two of its rate limit.
 */
import { createServer } from "node:http";
import express from "express";
import fastify from "fastify";
import { Hono } from "hono";
import { serve } from "@hono/node-server";
import Koa from "koa";
import Router from "@koa/router";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ex from "../../adapters/express.js";
import * as fa from "../../adapters/fastify.js";
import * as ho from "../../adapters/hono.js";
import * as ko from "../../adapters/koa.js";
import { createAuth } from "../../src/create-auth.js";
import type { Auth } from "../../src/options/auth-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { cheapArgon2 } from "../keys/helpers.js";
import { listen, type Running } from "./server-parts.js";
import { listenFastify } from "./servers-fastify.js";

type Start = (auth: Auth) => Promise<Running>;

const SERVERS: Record<string, Start> = {
  express: (auth) => {
    const app = express();
    app.use(ex.authenticate(auth, { optional: true }));
    app.get("/twice", ex.authenticate(auth), (req, res) => {
      res.json({ id: ex.getCurrentUser(req)?.id ?? null });
    });
    return listen(createServer(app));
  },
  koa: (auth) => {
    const app = new Koa();
    const router = new Router();
    router.get("/twice", ko.authenticate(auth), (ctx) => {
      ctx.body = { id: ko.getCurrentUser(ctx)?.id ?? null };
    });
    app.use(ko.authenticate(auth, { optional: true }));
    app.use(router.routes());
    const handle = app.callback();
    return listen(createServer((req, res) => void handle(req, res)));
  },
  hono: async (auth) => {
    const app = new Hono();
    app.use(ho.authenticate(auth, { optional: true }));
    app.get("/twice", ho.authenticate(auth), (c) =>
      c.json({ id: ho.getCurrentUser(c)?.id ?? null }),
    );
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((done) => {
          (server as unknown as { closeAllConnections(): void }).closeAllConnections();
          server.close(() => done());
        }),
    };
  },
  fastify: async (auth) => {
    const app = fastify();
    app.addHook("onRequest", fa.authenticate(auth, { optional: true }));
    app.get("/twice", { onRequest: fa.authenticate(auth) }, (request) => ({
      id: fa.getCurrentUser(request)?.id ?? null,
    }));
    return listenFastify(app);
  },
};

for (const [name, start] of Object.entries(SERVERS)) {
  describe(`${name}: authenticate app-wide and on the route`, () => {
    let auth: Auth;
    let server: Running;
    beforeAll(async () => {
      auth = createAuth({ apiKeys: { store: memoryKeyStore(), hasher: cheapArgon2() } });
      server = await start(auth);
    });
    afterAll(async () => {
      await server?.close();
      await auth?.close();
    });

    const get = (key: string) => fetch(`${server.url}/twice`, { headers: { "x-api-key": key } });

    it("spends one credit per request, not two", async () => {
      const { key, record } = await auth.keys.create({
        ownerId: "alice",
        name: "metered",
        credits: { remaining: 2 },
      });
      expect((await get(key)).status).toBe(200);
      expect((await auth.keys.admin.get(record.id))?.credits?.remaining).toBe(1);
      const second = await get(key);
      expect(second.status).toBe(200);
      expect(await second.json()).toEqual({ id: "alice" });
      expect((await get(key)).status).toBe(429);
    });

    it("counts one request per request against a key's rate limit", async () => {
      const { key } = await auth.keys.create({
        ownerId: "alice",
        name: "limited",
        rateLimit: { limit: 2, window: 365 * 86_400_000 },
      });
      expect((await get(key)).status).toBe(200);
      expect((await get(key)).status).toBe(200);
      expect((await get(key)).status).toBe(429);
    });

    it("still refuses an anonymous request on the route", async () => {
      expect((await fetch(`${server.url}/twice`)).status).toBe(401);
    });
  });
}
