/**
 * The design's "Usage that must work as written" adapter snippets, line for line, each
 * served over real HTTP.
 */
import express from "express";
import Koa from "koa";
import Router from "@koa/router";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";
import { useFixture } from "./fixture.js";
import { withServer } from "./with-server.js";

const fx = useFixture();

async function exercise(url: string) {
  const login = await fetch(`${url}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=password&username=alice&password=wonderland",
  });
  expect(login.status).toBe(200);
  const { access_token } = (await login.json()) as { access_token: string };
  const viaLogin = await fetch(`${url}/me`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  expect(viaLogin.status).toBe(200);
  const auth = { authorization: `Bearer ${fx.tokens.alice}` };
  const me = await fetch(`${url}/me`, { headers: auth });
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({ id: "alice", via: "jwt" });
  expect((await fetch(`${url}/me`)).status).toBe(401);
  const keys = await fetch(`${url}/users/keys`, { headers: auth });
  expect(keys.status).toBe(200);
  expect(await keys.json()).toMatchObject({ items: expect.any(Array) as unknown });
}

describe("README snippets", () => {
  it("Express", async () => {
    const { getCurrentUser, requireAuth, requireScopes, authenticate, keyRoutes, tokenRoutes } = ex;
    const { auth, verifyUser } = fx;
    const app = express();
    app.use(express.json());
    app.use(authenticate(auth, { optional: true }));
    app.get("/me", requireAuth(), (req, res) => res.json(getCurrentUser(req)));
    app.get("/reports", requireScopes("reports:read"), (req, res) => res.json([]));
    app.use("/users/keys", keyRoutes(auth));
    app.use("/auth", tokenRoutes(auth, { verifyUser })); // POST /auth/token, POST /auth/logout
    await withServer(app, async (url) => {
      await exercise(url);
      const reports = await fetch(`${url}/reports`, {
        headers: { "x-api-key": fx.keys.alice },
      });
      expect(reports.status).toBe(200);
    });
  });

  it("Koa", async () => {
    const { authenticate, requireAuth, getCurrentUser, keyRoutes, tokenRoutes } = ko;
    const { auth, verifyUser } = fx;
    const app = new Koa();
    const router = new Router();
    app.use(authenticate(auth, { optional: true }));
    app.use(keyRoutes(auth, { prefix: "/users/keys" }));
    app.use(tokenRoutes(auth, { prefix: "/auth", verifyUser }));
    router.get("/me", requireAuth(), (ctx) => {
      ctx.body = getCurrentUser(ctx);
    });
    app.use(router.routes());
    const handle = app.callback();
    await withServer((req, res) => void handle(req, res), exercise);
  });

  it("Hono", async () => {
    const { authenticate, requireAuth, getCurrentUser, keyRoutes, tokenRoutes } = ho;
    const { auth, verifyUser } = fx;
    const app = new Hono();
    app.use("*", authenticate(auth, { optional: true }));
    app.route("/users/keys", keyRoutes(auth));
    app.route("/auth", tokenRoutes(auth, { verifyUser }));
    app.get("/me", requireAuth(), (c) => c.json(getCurrentUser(c)));
    const { getRequestListener } = await import("@hono/node-server");
    const listener = getRequestListener(app.fetch);
    await withServer((req, res) => void listener(req, res), exercise);
  });
});
