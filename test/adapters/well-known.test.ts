/**
 * Discovery and several issuers over real HTTP on every adapter: the 401 and
 * 403 challenges name the metadata URL, the documents are served at the root and pass a
 * third-party OAuth client's discovery checks (oauth4webapi), the token endpoint they point
 * at issues a token that then opens the resource, and tokens of two issuers authenticate
 * while cross-signed ones are refused.
 */
import type { RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import Router from "@koa/router";
import express from "express";
import { Hono } from "hono";
import Koa from "koa";
import * as oauth from "oauth4webapi";
import { Controller, Get, Module } from "@nestjs/common";
import { APP_GUARD } from "@nestjs/core";
import fastify from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import * as ex from "../../adapters/express.js";
import * as fa from "../../adapters/fastify.js";
import * as fe from "../../adapters/fetch.js";
import * as ne from "../../adapters/nestjs.js";
import * as ho from "../../adapters/hono.js";
import * as ko from "../../adapters/koa.js";
import { createAuth } from "../../src/create-auth.js";
import type { Auth } from "../../src/options/auth-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { auth0Claims, provider } from "../core/issuers-fixture.js";
import { closeNestApps, fetchListener, nestListener } from "./apps-listeners.js";
import { fastifyListener } from "./servers-fastify.js";
import { withServer } from "./with-server.js";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const auth0 = provider("https://tenant.eu.auth0.com/", "auth0-1");
const keycloak = provider("https://sso.example.com/realms/acme", "kc-1");
const AUDIENCE = "https://api.example.test/mcp";

function makeAuth(base: string): Auth {
  return createAuth({
    jwt: [
      { secret: SECRET, algorithms: ["HS256"], issuer: `${base}/`, audience: AUDIENCE },
      {
        algorithms: ["RS256"],
        jwks: { keys: [auth0.jwk] },
        issuer: auth0.issuer,
        audience: AUDIENCE,
      },
    ],
    apiKeys: { store: memoryKeyStore() },
    protectedResource: {
      resource: `${base}/mcp`,
      authorizationServers: [`${base}/`, auth0.issuer],
      scopesSupported: ["reports:read"],
    },
  });
}

type App = (auth: Auth) => RequestListener;

function nestModule(auth: Auth) {
  @Controller()
  class Routes {
    @Get("mcp")
    mcp(@ne.CurrentUser() principal: unknown) {
      return user(principal);
    }

    @Get("reports")
    @ne.Scopes("reports:read")
    reports() {
      return [];
    }
  }
  @Module({
    imports: [
      ne.GatehouseModule.forRoot(auth, {
        wellKnownRoutes: true,
        tokenRoutes: { prefix: "/auth", attempts: false },
      }),
    ],
    controllers: [Routes],
    providers: [{ provide: APP_GUARD, useClass: ne.AuthGuard }],
  })
  class AppModule {}
  return AppModule;
}

afterAll(closeNestApps);
const user = (principal: unknown) => ({ user: principal });

const apps: Record<string, App> = {
  "express 5": (auth) => {
    const app = express();
    app.use(ex.wellKnownRoutes(auth));
    app.use(ex.authenticate(auth, { optional: true }));
    app.get("/mcp", ex.requireAuth(), (req, res) => res.json(user(ex.getCurrentUser(req))));
    app.get("/reports", ex.requireScopes("reports:read"), (_req, res) => res.json([]));
    app.use("/auth", ex.tokenRoutes(auth, { attempts: false }));
    return app;
  },
  "koa 3": (auth) => {
    const app = new Koa<ko.State>();
    const router = new Router<ko.State>();
    router.get("/mcp", ko.requireAuth(), (ctx) => {
      ctx.body = user(ko.getCurrentUser(ctx));
    });
    router.get("/reports", ko.requireScopes("reports:read"), (ctx) => {
      ctx.body = [];
    });
    app.use(ko.wellKnownRoutes(auth));
    app.use(ko.authenticate(auth, { optional: true }));
    app.use(ko.tokenRoutes(auth, { prefix: "/auth", attempts: false }));
    app.use(router.routes());
    const handle = app.callback();
    return (req, res) => void handle(req, res);
  },
  "hono 4": (auth) => {
    const app = new Hono<{ Variables: ho.Variables }>();
    app.route("/", ho.wellKnownRoutes(auth));
    app.use("*", ho.authenticate(auth, { optional: true }));
    app.get("/mcp", ho.requireAuth(), (c) => c.json(user(ho.getCurrentUser(c))));
    app.get("/reports", ho.requireScopes("reports:read"), (c) => c.json([]));
    app.route("/auth", ho.tokenRoutes(auth, { attempts: false }));
    const listener = getRequestListener(app.fetch);
    return (req, res) => void listener(req, res);
  },
  "fastify 5": (auth) => {
    const app = fastify();
    void app.register(fa.wellKnownRoutes(auth));
    app.addHook("onRequest", fa.authenticate(auth, { optional: true }));
    app.get("/mcp", { preHandler: fa.requireAuth() }, (req) =>
      Promise.resolve(user(fa.getCurrentUser(req))),
    );
    app.get("/reports", { preHandler: fa.requireScopes("reports:read") }, () =>
      Promise.resolve([]),
    );
    void app.register(fa.tokenRoutes(auth, { attempts: false }), { prefix: "/auth" });
    return fastifyListener(app);
  },
  fetch: (auth) => {
    const known = fe.wellKnownRoutes(auth);
    const tokens = fe.tokenRoutes(auth, { prefix: "/auth", attempts: false });
    const mcp = fe.withAuth(auth, (req) => Response.json(user(fe.getCurrentUser(req))));
    const reports = fe.withAuth(auth, () => Response.json([]), { scopes: ["reports:read"] });
    return fetchListener(async (req) => {
      const path = new URL(req.url).pathname;
      const hosted = (await known(req)) ?? (await tokens(req));
      if (hosted !== null) return hosted;
      if (path === "/mcp") return mcp(req);
      return path === "/reports" ? reports(req) : null;
    });
  },
  "nestjs express": (auth) => nestListener(nestModule(auth), "express"),
  "nestjs fastify": (auth) => nestListener(nestModule(auth), "fastify"),
};

/** Serves the app for an auth made once the port is known: the issuer names the server. */
async function serving(app: App, run: (url: string, auth: Auth) => Promise<void>) {
  let listener: RequestListener = (_req, res) => res.end();
  const auths: Auth[] = [];
  await withServer(
    (req, res) => listener(req, res),
    async (url) => {
      const auth = makeAuth(url);
      auths.push(auth);
      listener = app(auth);
      await run(url, auth);
    },
  );
  await Promise.all(auths.map((a) => a.close()));
}

const insecure = { [oauth.allowInsecureRequests]: true };

describe.each(Object.entries(apps))("%s", (_name, app) => {
  it("a 401 and a 403 name the metadata URL in their challenge", async () => {
    await serving(app, async (url, auth) => {
      const metadata = `${url}/.well-known/oauth-protected-resource/mcp`;
      const anonymous = await fetch(`${url}/mcp`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toBe(
        `Bearer realm="api", resource_metadata="${metadata}"`,
      );
      const bad = await fetch(`${url}/mcp`, { headers: { authorization: "Bearer a.b.c" } });
      expect(bad.status).toBe(401);
      expect(bad.headers.get("www-authenticate")).toContain(`resource_metadata="${metadata}"`);
      const token = await auth.tokens.issue({ sub: "alice", scopes: [] });
      const scoped = await fetch(`${url}/reports`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(scoped.status).toBe(403);
      expect(scoped.headers.get("www-authenticate")).toBe(
        `Bearer realm="api", error="insufficient_scope", scope="reports:read", resource_metadata="${metadata}"`,
      );
    });
  });

  it("discovery from the 401 to a token, with a third-party OAuth client's checks", async () => {
    await serving(app, async (url, auth) => {
      const challenge = (await fetch(`${url}/mcp`)).headers.get("www-authenticate") ?? "";
      const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      expect(metadataUrl).toBe(`${url}/.well-known/oauth-protected-resource/mcp`);

      // RFC 9728: oauth4webapi builds the well-known URL itself and checks `resource`.
      const resource = new URL(`${url}/mcp`);
      const rs = await oauth.processResourceDiscoveryResponse(
        resource,
        await oauth.resourceDiscoveryRequest(resource, insecure),
      );
      expect(rs).toMatchObject({
        resource: `${url}/mcp`,
        authorization_servers: [`${url}/`, auth0.issuer],
        scopes_supported: ["reports:read"],
        bearer_methods_supported: ["header"],
      });
      const direct = await fetch(metadataUrl!);
      expect(direct.headers.get("content-type")).toMatch(/^application\/json/);
      expect(direct.headers.get("access-control-allow-origin")).toBe("*");

      // RFC 8414 for the first authorization server, which is this one.
      const issuer = new URL(rs.authorization_servers![0]!);
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure }),
      );
      expect(as).toMatchObject({
        issuer: `${url}/`,
        token_endpoint: `${url}/auth/token`,
        grant_types_supported: ["client_credentials", "refresh_token"],
        token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        scopes_supported: ["reports:read"],
      });
      expect(as.jwks_uri).toBeUndefined();

      // The token endpoint it names exchanges an API key for a token that opens /mcp.
      const { key } = await auth.keys.create({
        ownerId: "alice",
        name: "mcp",
        scopes: ["reports:read"],
      });
      const exchanged = await fetch(as.token_endpoint!, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: key }),
      });
      expect(exchanged.status).toBe(200);
      const { access_token } = (await exchanged.json()) as { access_token: string };
      const opened = await fetch(`${url}/mcp`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(opened.status).toBe(200);
      expect(await opened.json()).toMatchObject({
        user: { id: "alice", scopes: ["reports:read"] },
      });
    });
  });

  it("tokens of two issuers authenticate; cross-signed and unknown ones are refused", async () => {
    await serving(app, async (url, auth) => {
      const get = (token: string) =>
        fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${token}` } });
      const ours = await get(await auth.tokens.issue({ sub: "alice", scopes: ["reports:read"] }));
      expect(ours.status).toBe(200);
      const theirs = await get(await auth0.sign(auth0Claims("auth0|42", AUDIENCE)));
      expect(theirs.status).toBe(200);
      expect(await theirs.json()).toMatchObject({ user: { id: "auth0|42" } });
      const crossSigned = await get(
        await keycloak.sign({ ...auth0Claims("auth0|42", AUDIENCE), iss: auth0.issuer }),
      );
      expect(crossSigned.status).toBe(401);
      const unknown = await get(await keycloak.sign(auth0Claims("auth0|42", AUDIENCE)));
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get("www-authenticate")).toContain('error="invalid_token"');
    });
  });
});
