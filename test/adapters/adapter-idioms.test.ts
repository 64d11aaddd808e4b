/**
 * What differs between the adapters on purpose: each framework's error idiom, `onError`,
 * where the principal is kept, and misuse (a guard without authenticate). The shared
 * behaviours are in behaviours.ts.
 */
import express from "express";
import express4 from "express4";
import type { NextFunction, Request, Response } from "express";
import Koa from "koa";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import type { Principal } from "../../src/types.js";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";
import { useFixture } from "./fixture.js";
import { withServer } from "./with-server.js";

const fx = useFixture();

const teapot = (error: AuthError) => ({
  status: 418,
  headers: { "content-type": "application/json", "x-code": error.code },
  body: { refused: error.code },
});

describe("Express", () => {
  for (const [name, make] of [
    ["5", express],
    ["4", express4],
  ] as const) {
    it(`${name}: onError "next" hands the AuthError to error middleware`, async () => {
      const app = make();
      app.get("/", ex.authenticate(fx.auth, { onError: "next" }), (_req, res) => {
        res.json({});
      });
      app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
        if (!AuthError.is(err)) return next(err);
        res.status(299).json({ seen: err.code });
      });
      await withServer(app, async (url) => {
        const res = await fetch(url);
        expect(res.status).toBe(299);
        expect(await res.json()).toEqual({ seen: "missing_credentials" });
      });
    });

    it(`${name}: onError function reshapes the answer, guards included`, async () => {
      const app = make();
      app.use(ex.authenticate(fx.auth, { optional: true, onError: teapot }));
      app.get("/", ex.requireScopes("nope"), (_req, res) => {
        res.json({});
      });
      await withServer(app, async (url) => {
        const res = await fetch(url, { headers: { "x-api-key": fx.keys.alice } });
        expect(res.status).toBe(418);
        expect(res.headers.get("x-code")).toBe("insufficient_scope");
        expect(await res.json()).toEqual({ refused: "insufficient_scope" });
      });
    });

    it(`${name}: an onError that throws reaches error middleware, not the process`, async () => {
      const app = make();
      app.use(
        ex.authenticate(fx.auth, {
          onError: () => {
            throw new Error("shaping failed");
          },
        }),
      );
      app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).json({ message: (err as Error).message });
      });
      await withServer(app, async (url) => {
        const res = await fetch(url);
        expect(res.status).toBe(500);
        expect(await res.json()).toEqual({ message: "shaping failed" });
      });
    });

    it(`${name}: req.user and req.auth from other middleware are left alone`, async () => {
      const app = make();
      app.use((req, _res, next) => {
        Object.assign(req, { user: "passport's", auth: "express-jwt's" });
        next();
      });
      app.use(ex.authenticate(fx.auth));
      app.get("/", (req, res) => {
        const other = req as unknown as { user: unknown; auth: unknown };
        res.json({
          user: other.user,
          auth: other.auth,
          principal: ex.getCurrentUser(req)?.id,
          locals: (res.locals.principal as Principal).id,
        });
      });
      await withServer(app, async (url) => {
        const res = await fetch(url, { headers: { "x-api-key": fx.keys.alice } });
        expect(await res.json()).toEqual({
          user: "passport's",
          auth: "express-jwt's",
          principal: "alice",
          locals: "alice",
        });
      });
    });

    it(`${name}: a guard without authenticate fails closed (500)`, async () => {
      const app = make();
      app.get("/", ex.requireAuth(), (_req, res) => {
        res.json({ leaked: true });
      });
      // Express's default handler logs the error; this one keeps the test output clean.
      app.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).end();
      });
      await withServer(app, async (url) => {
        expect((await fetch(url, { headers: { "x-api-key": fx.keys.alice } })).status).toBe(500);
      });
    });
  }
});

describe("Koa", () => {
  it("onError function reshapes the answer", async () => {
    const app = new Koa<ko.State>();
    app.use(ko.authenticate(fx.auth, { onError: teapot }));
    const handle = app.callback();
    await withServer(
      (req, res) => void handle(req, res),
      async (url) => {
        const res = await fetch(url, { headers: { "x-api-key": fx.keys.disabled } });
        expect(res.status).toBe(418);
        expect(await res.json()).toEqual({ refused: "key_disabled" });
      },
    );
  });

  it("the principal is in ctx.state.principal", async () => {
    const app = new Koa<ko.State>();
    app.use(ko.authenticate(fx.auth));
    app.use((ctx) => {
      ctx.body = {
        id: ctx.state.principal?.id,
        same: ctx.state.principal === ko.getCurrentUser(ctx),
      };
    });
    const handle = app.callback();
    await withServer(
      (req, res) => void handle(req, res),
      async (url) => {
        const res = await fetch(url, { headers: { "x-api-key": fx.keys.alice } });
        expect(await res.json()).toEqual({ id: "alice", same: true });
      },
    );
  });

  it("a guard without authenticate fails closed (500)", async () => {
    const app = new Koa();
    app.silent = true;
    app.use(ko.requireAuth());
    const handle = app.callback();
    await withServer(
      (req, res) => void handle(req, res),
      async (url) => {
        expect((await fetch(url)).status).toBe(500);
      },
    );
  });
});

describe("Hono", () => {
  it("refusals are HTTPExceptions carrying the response and the AuthError as cause", async () => {
    const app = new Hono<{ Variables: ho.Variables }>();
    let seen: unknown;
    app.onError((err) => {
      seen = err;
      return (err as HTTPException).getResponse();
    });
    app.use("*", ho.authenticate(fx.auth));
    app.get("/", (c) => c.json({}));
    const res = await app.request("/", { headers: { authorization: "Bearer x.y.z" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    expect(seen).toBeInstanceOf(HTTPException);
    expect(AuthError.is((seen as HTTPException).cause)).toBe(true);
  });

  it("onError function reshapes the answer", async () => {
    const app = new Hono();
    app.use("*", ho.authenticate(fx.auth, { onError: teapot }));
    app.get("/", (c) => c.json({}));
    const res = await app.request("/");
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ refused: "missing_credentials" });
  });

  it("the principal is c.var.principal; web Requests work outside node-server", async () => {
    const app = new Hono<{ Variables: ho.Variables }>();
    app.use("*", ho.authenticate(fx.auth));
    app.get("/", (c) => c.json({ id: c.var.principal?.id }));
    const res = await app.request("/", { headers: { "x-api-key": fx.keys.alice } });
    expect(await res.json()).toEqual({ id: "alice" });
  });

  it("a guard without authenticate fails closed (500)", async () => {
    const app = new Hono();
    app.get("/", ho.requireAuth(), (c) => c.json({ leaked: true }));
    app.onError((_err, c) => c.text("misconfigured", 500));
    expect((await app.request("/")).status).toBe(500);
  });

  it("key routes still get the body when a middleware before them read it", async () => {
    const app = new Hono();
    app.use("*", ho.authenticate(fx.auth, { optional: true }));
    app.use("*", async (c, next) => {
      if (c.req.method === "POST") await c.req.json();
      await next();
    });
    app.route("/keys", ho.keyRoutes(fx.auth));
    const res = await app.request("/keys", {
      method: "POST",
      headers: { authorization: `Bearer ${fx.tokens.alice}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "read twice" }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ record: { name: "read twice" } });
  });

  it("key routes mounted under a path with parameters", async () => {
    const app = new Hono();
    app.use("*", ho.authenticate(fx.auth, { optional: true }));
    app.route("/orgs/:org/keys", ho.keyRoutes(fx.auth));
    const res = await app.request(`/orgs/acme/keys/${fx.ids.alice}`, {
      headers: { "x-api-key": fx.keys.alice },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: fx.ids.alice });
  });
});

describe("key routes without authenticate in front identify the caller themselves", () => {
  async function check(url: string) {
    expect((await fetch(`${url}/keys`)).status).toBe(401);
    const bad = await fetch(`${url}/keys`, { headers: { "x-api-key": fx.keys.unknown } });
    expect(bad.status).toBe(401);
    const good = await fetch(`${url}/keys`, { headers: { "x-api-key": fx.keys.alice } });
    expect(good.status).toBe(200);
  }

  it("Express", async () => {
    const app = express();
    app.use("/keys", ex.keyRoutes(fx.auth));
    await withServer(app, check);
  });

  it("Koa", async () => {
    const app = new Koa();
    app.use(ko.keyRoutes(fx.auth));
    const handle = app.callback();
    await withServer((req, res) => void handle(req, res), check);
  });

  it("Hono", async () => {
    const app = new Hono();
    app.route("/keys", ho.keyRoutes(fx.auth));
    const { getRequestListener } = await import("@hono/node-server");
    const listener = getRequestListener(app.fetch);
    await withServer((req, res) => void listener(req, res), check);
  });
});
