/**
 * `auth.authenticate` replaced or wrapped (to trace it, to decorate its answers) is the one
 * every adapter calls, whether it was replaced before the middleware was made or after,
 * while a cached credential would otherwise be answered without calling it at all. Put
 * back, the original answers again, from its caches.
 *
 *   GET /me      authenticate(auth)
 *   GET /maybe   authenticate(auth, { optional: true })
 *   /keys        keyRoutes(auth), with no authenticate in front
 */
import type { RequestListener } from "node:http";
import express5 from "express";
import express4 from "express4";
import Koa3 from "koa";
import Koa2 from "koa2";
import Router from "@koa/router";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";
import { createAuth } from "../../src/create-auth.js";
import type { Auth } from "../../src/options/auth-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { AuthResult, Principal } from "../../src/types.js";
import { cheapArgon2 } from "../keys/helpers.js";
import { SECRET } from "./fixture.js";
import { withServer } from "./with-server.js";

let made: Auth[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
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

const apps: Record<string, (auth: Auth) => RequestListener> = {
  "express 5": (auth) => expressApp(express5, auth),
  "express 4": (auth) => expressApp(express4, auth),
  "koa 3": (auth) => koaApp(Koa3, auth),
  "koa 2": (auth) => koaApp(Koa2, auth),
  "hono 4": honoApp,
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
