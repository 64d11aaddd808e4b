/**
 * The same application written for each adapter and framework major, listening on
 * 127.0.0.1 port 0. Routes:
 *
 *   GET  /down          authenticate(downAuth) (its key store rejects)
 *   /down-keys          authenticate(downAuth), then keyRoutes(downAuth)
 *   *    (global)       authenticate(auth, { optional: true })
 *   GET  /optional      the user or null
 *   GET  /me            requireAuth()
 *   GET|POST /required  authenticate(auth) at route level
 *   OPTIONS /required   authenticate(auth), then 204 (preflights must pass it)
 *   GET  /reports       requireScopes("reports:read")
 *   GET  /admin         requireRoles("admin")
 *   ALL  /admin-all     requireRoles("admin") on every method (CORS preflights included)
 *   /users/keys         keyRoutes(auth)
 *   /auth               tokenRoutes(auth, { verifyUser, cookie: "on-request" })
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import express5 from "express";
import express4 from "express4";
import Koa3 from "koa";
import Koa2 from "koa2";
import Router from "@koa/router";
import { Hono } from "hono";
import { serve } from "@hono/node-server";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";
import type { Fixture } from "./fixture.js";
import { listen, tokenOptions, type Running } from "./server-parts.js";
import { fastifyServers } from "./servers-fastify.js";
import { fetchServers } from "./servers-fetch.js";
import { customServers } from "./servers-custom.js";
import { nestServers } from "./servers-nestjs.js";

export type { Running } from "./server-parts.js";

function expressApp(express: typeof express5, fx: Fixture) {
  const app = express();
  const user = (req: express5.Request, res: express5.Response) => {
    res.json({ user: ex.getCurrentUser(req) });
  };
  app.get("/down", ex.authenticate(fx.downAuth), user);
  app.use("/down-keys", ex.authenticate(fx.downAuth), ex.keyRoutes(fx.downAuth));
  app.use(express.json());
  app.use(ex.authenticate(fx.auth, { optional: true }));
  app.get("/optional", user);
  app.get("/me", ex.requireAuth(), user);
  app.get("/required", ex.authenticate(fx.auth), user);
  app.post("/required", ex.authenticate(fx.auth), user);
  app.options("/required", ex.authenticate(fx.auth), (_req, res) => {
    res.status(204).end();
  });
  app.get("/reports", ex.requireScopes("reports:read"), (_req, res) => {
    res.json([]);
  });
  app.get("/admin", ex.requireRoles("admin"), user);
  app.all("/admin-all", ex.requireRoles("admin"), user);
  app.use("/users/keys", ex.keyRoutes(fx.auth));
  app.use("/auth", ex.tokenRoutes(fx.auth, tokenOptions(fx)));
  return app;
}

function koaApp(KoaClass: typeof Koa3, fx: Fixture) {
  const app = new KoaClass<ko.State>();
  const router = new Router<ko.State>();
  const down = new Router<ko.State>();
  const user = (ctx: { body: unknown; state: ko.State }) => {
    ctx.body = { user: ko.getCurrentUser(ctx) };
  };
  down.get("/down", ko.authenticate(fx.downAuth), user);
  down.all(
    ["/down-keys", "/down-keys/(.*)"],
    ko.authenticate(fx.downAuth),
    ko.keyRoutes(fx.downAuth, { prefix: "/down-keys" }),
  );
  app.use(down.routes());
  app.use(ko.authenticate(fx.auth, { optional: true }));
  router.get("/optional", user);
  router.get("/me", ko.requireAuth(), user);
  router.get("/required", ko.authenticate(fx.auth), user);
  router.post("/required", ko.authenticate(fx.auth), user);
  router.options("/required", ko.authenticate(fx.auth), (ctx) => {
    ctx.status = 204;
  });
  router.get("/reports", ko.requireScopes("reports:read"), (ctx) => {
    ctx.body = [];
  });
  router.get("/admin", ko.requireRoles("admin"), user);
  router.all("/admin-all", ko.requireRoles("admin"), user);
  app.use(ko.keyRoutes(fx.auth, { prefix: "/users/keys" }));
  app.use(ko.tokenRoutes(fx.auth, { prefix: "/auth", ...tokenOptions(fx) }));
  app.use(router.routes());
  return app;
}

function honoApp(fx: Fixture) {
  const app = new Hono<{ Variables: ho.Variables }>();
  app.get("/down", ho.authenticate(fx.downAuth), (c) => c.json({ user: ho.getCurrentUser(c) }));
  app.use("/down-keys/*", ho.authenticate(fx.downAuth));
  app.route("/down-keys", ho.keyRoutes(fx.downAuth));
  app.use("*", ho.authenticate(fx.auth, { optional: true }));
  app.get("/optional", (c) => c.json({ user: ho.getCurrentUser(c) }));
  app.get("/me", ho.requireAuth(), (c) => c.json({ user: ho.getCurrentUser(c) }));
  app.get("/required", ho.authenticate(fx.auth), (c) => c.json({ user: ho.getCurrentUser(c) }));
  app.post("/required", ho.authenticate(fx.auth), (c) => c.json({ user: ho.getCurrentUser(c) }));
  app.options("/required", ho.authenticate(fx.auth), (c) => c.body(null, 204));
  app.get("/reports", ho.requireScopes("reports:read"), (c) => c.json([]));
  app.get("/admin", ho.requireRoles("admin"), (c) => c.json({ user: ho.getCurrentUser(c) }));
  app.all("/admin-all", ho.requireRoles("admin"), (c) => c.json({ user: ho.getCurrentUser(c) }));
  app.route("/users/keys", ho.keyRoutes(fx.auth));
  app.route("/auth", ho.tokenRoutes(fx.auth, tokenOptions(fx)));
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

export const servers: Record<string, (fx: Fixture) => Promise<Running>> = {
  ...fastifyServers,
  ...fetchServers,
  ...customServers,
  ...nestServers,
  "express 5": (fx) => listen(createServer(expressApp(express5, fx))),
  "express 4": (fx) => listen(createServer(expressApp(express4, fx))),
  "koa 3": (fx) => listen(koaServer(koaApp(Koa3, fx))),
  "koa 2": (fx) => listen(koaServer(koaApp(Koa2, fx))),
  "hono 4": (fx) =>
    new Promise((resolve) => {
      const server = serve({ fetch: honoApp(fx).fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              (server as Server).closeAllConnections();
              server.close(() => done());
            }),
        });
      });
    }),
};
