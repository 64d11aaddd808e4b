/**
 * What is Fastify's own in the Fastify adapter, on Fastify 5 and 4: `trustProxy` feeding the
 * client address and the request's origin, encapsulation (the plugins' form parser stays in
 * their scope; one plugin under two prefixes), refusals sent through the reply (hooks see
 * them, `onError` reshapes them), callback hooks among async ones, Fastify's own body
 * parsing, and the typed accessor. The shared behaviours are in behaviours.ts.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import fastify5 from "fastify";
import fastify4 from "fastify4";
import { describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import type { AuthError } from "../../src/errors.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { Principal } from "../../src/types.js";
import * as fa from "../../adapters/fastify.js";
import { wrongSecret } from "../keys/throttle-fixture.js";
import { SECRET, useFixture } from "./fixture.js";
import { fastifyListener, listenFastify } from "./servers-fastify.js";
import { withServer } from "./with-server.js";

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(value: T) => value;

const fx = useFixture();

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function serve(app: FastifyInstance, run: (url: string) => Promise<void>): Promise<void> {
  const running = await listenFastify(app);
  try {
    await run(running.url);
  } finally {
    await running.close();
  }
}

const majors = [
  ["5", fastify5],
  ["4", fastify4],
] as const;

for (const [major, make] of majors) {
  describe(`Fastify ${major}`, () => {
    it("trustProxy: the forwarded client address keys the failure throttle", async () => {
      for (const trustProxy of [true, false]) {
        const { key } = await fx.auth.keys.create({ ownerId: "alice", name: "throttled" });
        const app = make({ trustProxy });
        app.addHook("onRequest", fa.authenticate(fx.auth));
        app.get("/me", (request) => ({ id: fa.getCurrentUser(request)?.id }));
        await serve(app, async (url) => {
          const from = (address: string, secret: string) =>
            fetch(`${url}/me`, { headers: { "x-api-key": secret, "x-forwarded-for": address } });
          // The default budget: 20 failures a minute per (key id, address).
          for (let n = 0; n < 21; n++) {
            expect([401, 429]).toContain((await from("203.0.113.7", wrongSecret(key, n))).status);
          }
          expect((await from("203.0.113.7", wrongSecret(key, 99))).status).toBe(429);
          const other = await from("203.0.113.8", wrongSecret(key, 100));
          // Behind a trusted proxy the other client has its own budget; without trustProxy
          // the header is not believed and every request comes from the one socket address.
          expect(other.status).toBe(trustProxy ? 401 : 429);
          if (trustProxy) expect((await from("203.0.113.8", key)).status).toBe(200);
        });
      }
    });

    it("trustProxy: the forwarded host and protocol are the request's origin for CSRF", async () => {
      for (const trustProxy of [true, false]) {
        const app = make({ trustProxy });
        app.addHook("onRequest", fa.authenticate(fx.auth));
        app.post("/required", (request) => ({ id: fa.getCurrentUser(request)?.id }));
        await serve(app, async (url) => {
          const res = await fetch(`${url}/required`, {
            method: "POST",
            headers: {
              cookie: `access_token=${fx.tokens.alice}`,
              origin: "https://api.example.com",
              "x-forwarded-proto": "https",
              "x-forwarded-host": "api.example.com",
            },
          });
          expect(res.status).toBe(trustProxy ? 200 : 403);
        });
      }
    });

    it("tokenRoutes' form parser stays inside its plugin; sibling routes keep the app's parsers", async () => {
      const app = make();
      await app.register(fa.tokenRoutes(fx.auth), { prefix: "/auth" });
      app.post("/echo", (request) => ({ body: request.body }));
      await serve(app, async (url) => {
        const form = `grant_type=refresh_token&refresh_token=${fx.keys.alice}`;
        const token = await fetch(`${url}/auth/token`, {
          method: "POST",
          headers: FORM,
          body: form,
        });
        expect(token.status).toBe(200);
        expect(await token.json()).toMatchObject({ token_type: "Bearer" });
        const sibling = await fetch(`${url}/echo`, { method: "POST", headers: FORM, body: "a=1" });
        expect(sibling.status).toBe(415);
        const json = await fetch(`${url}/echo`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ a: 1 }),
        });
        expect(await json.json()).toEqual({ body: { a: 1 } });
      });
    });

    it("an app's own form parser is used by the plugins, not replaced", async () => {
      const app = make();
      let parsed = 0;
      app.addContentTypeParser(
        "application/x-www-form-urlencoded",
        { parseAs: "string" },
        (_request, body, done) => {
          parsed += 1;
          done(null, Object.fromEntries(new URLSearchParams(body as string)));
        },
      );
      await app.register(fa.tokenRoutes(fx.auth), { prefix: "/auth" });
      await serve(app, async (url) => {
        const res = await fetch(`${url}/auth/token`, {
          method: "POST",
          headers: FORM,
          body: `grant_type=refresh_token&refresh_token=${fx.keys.alice}`,
        });
        expect(res.status).toBe(200);
        expect(parsed).toBe(1);
      });
    });

    it("one plugin registered under two prefixes, one with a parameter, serves both", async () => {
      const app = make();
      app.setNotFoundHandler((_request, reply) => reply.code(404).send({ ours: "not found" }));
      // No authenticate hook in front: the plugin identifies the caller itself.
      const keys = fa.keyRoutes(fx.auth);
      await app.register(keys, { prefix: "/a/keys" });
      await app.register(keys, { prefix: "/orgs/:org/keys" });
      await serve(app, async (url) => {
        const auth = { headers: bearer(fx.tokens.alice) };
        for (const path of ["/a/keys", "/a/keys/", "/orgs/acme/keys", "/orgs/acme/keys/"]) {
          const res = await fetch(`${url}${path}`, auth);
          expect(res.status, path).toBe(200);
          expect(await res.json()).toMatchObject({ items: expect.any(Array) as unknown });
        }
        const one = await fetch(`${url}/orgs/acme/keys/${fx.ids.alice}`, auth);
        expect(await one.json()).toMatchObject({ id: fx.ids.alice, ownerId: "alice" });
        // Not a key route: Fastify's not-found handler answers.
        const other = await fetch(`${url}/a/keys/by-user/bob/x/y`, auth);
        expect(other.status).toBe(404);
        expect(await other.json()).toEqual({ ours: "not found" });
      });
    });

    it("refusals are sent through the reply: onSend hooks see them, onError reshapes them, guards too", async () => {
      const app = make();
      app.addHook("onSend", (_request, reply, payload, done) => {
        reply.header("x-seen", "onSend");
        done(null, payload);
      });
      const teapot = (error: AuthError) => ({
        status: 418,
        headers: { "content-type": "application/json", "x-code": error.code },
        body: { refused: error.code },
      });
      app.addHook("onRequest", fa.authenticate(fx.auth, { optional: true, onError: teapot }));
      app.get("/scoped", { preHandler: fa.requireScopes("nope") }, () => ({ secret: 1 }));
      app.get("/me", { onRequest: fa.authenticate(fx.auth) }, () => ({ secret: 1 }));
      await serve(app, async (url) => {
        const scoped = await fetch(`${url}/scoped`, { headers: { "x-api-key": fx.keys.alice } });
        expect(scoped.status).toBe(418);
        expect(scoped.headers.get("x-code")).toBe("insufficient_scope");
        expect(scoped.headers.get("x-seen")).toBe("onSend");
        expect(await scoped.json()).toEqual({ refused: "insufficient_scope" });
        const bare = await fetch(`${url}/me`);
        expect(bare.status).toBe(401);
        expect(bare.headers.get("content-type")).toBe("application/problem+json");
        expect(bare.headers.get("www-authenticate")).toBe('Bearer realm="api"');
        expect(bare.headers.get("x-seen")).toBe("onSend");
        expect(await bare.json()).toMatchObject({ code: "missing_credentials", status: 401 });
      });
    });

    it("a throw from onError reaches Fastify's error handler, in this tick or later", async () => {
      const app = make();
      app.setErrorHandler((error: Error, _request, reply) =>
        reply.code(502).send({ handled: error.message }),
      );
      const broken = () => {
        throw new Error("reshaper broke");
      };
      app.addHook("onRequest", fa.authenticate(fx.auth, { onError: broken }));
      app.get("/me", () => ({ secret: 1 }));
      await serve(app, async (url) => {
        // A malformed token is refused before any store read; an unknown key after one.
        for (const headers of [bearer("not.a.jwt"), { "x-api-key": fx.keys.unknown }]) {
          const res = await fetch(`${url}/me`, { headers });
          expect(res.status).toBe(502);
          expect(await res.json()).toEqual({ handled: "reshaper broke" });
        }
      });
    });

    it("serves as a plain request listener too (for withServer)", async () => {
      const app = make();
      app.addHook("onRequest", fa.authenticate(fx.auth));
      app.get("/me", (request) => ({ id: fa.getCurrentUser(request)?.id }));
      await withServer(fastifyListener(app), async (url) => {
        const res = await fetch(`${url}/me`, { headers: bearer(fx.tokens.alice) });
        expect(await res.json()).toEqual({ id: "alice" });
        expect((await fetch(`${url}/me`)).status).toBe(401);
      });
      await app.close();
    });

    it("a guard without authenticate fails closed with a developer error", async () => {
      const app = make();
      const seen: unknown[] = [];
      app.setErrorHandler((error, _request, reply) => {
        seen.push(error);
        return reply.code(500).send({ error: "internal" });
      });
      app.get("/x", { preHandler: fa.requireAuth() }, () => ({ secret: 1 }));
      await serve(app, async (url) => {
        const res = await fetch(`${url}/x`, { headers: bearer(fx.tokens.alice) });
        expect(res.status).toBe(500);
        expect(await res.json()).toEqual({ error: "internal" });
        expect(String(seen[0])).toMatch(/requireAuth\(\) needs authenticate\(\)/);
      });
    });

    it("callback hooks run among async hooks with one response per request, fresh or cached", async () => {
      const lines: string[] = [];
      const app = make({
        logger: { level: "warn", stream: { write: (l: string) => lines.push(l) } },
      });
      const { key } = await fx.auth.keys.create({ ownerId: "alice", name: "mixed" });
      // Async hooks as Fastify tells them apart: they return a promise.
      const later = () => Promise.resolve();
      app.addHook("onRequest", later);
      app.addHook("onRequest", fa.authenticate(fx.auth));
      app.addHook("onRequest", later);
      let handled = 0;
      app.get("/me", { preHandler: [later, fa.requireAuth(), later] }, (request) => {
        handled += 1;
        return Promise.resolve({ id: fa.getCurrentUser(request)?.id });
      });
      await serve(app, async (url) => {
        // A key not yet verified (the promise path), then the same key cached (this tick).
        for (let n = 0; n < 2; n++) {
          const res = await fetch(`${url}/me`, { headers: { "x-api-key": key } });
          expect(await res.json()).toEqual({ id: "alice" });
        }
        // Refusals on both paths: an unknown key goes to the store, a bad token does not.
        const unknown = await fetch(`${url}/me`, { headers: { "x-api-key": fx.keys.unknown } });
        expect(unknown.status).toBe(401);
        const bad = await fetch(`${url}/me`, { headers: bearer("not.a.jwt") });
        expect(bad.status).toBe(401);
      });
      expect(handled).toBe(2);
      // Fastify logs a warning for a reply sent twice.
      expect(lines).toEqual([]);
    });

    it("key-route bodies go through Fastify's parser for JSON and ours for forms, never a 500", async () => {
      const app = make();
      app.addHook("onRequest", fa.authenticate(fx.auth, { optional: true }));
      await app.register(fa.keyRoutes(fx.auth), { prefix: "/users/keys" });
      await serve(app, async (url) => {
        const post = (type: string, body: string) =>
          fetch(`${url}/users/keys`, {
            method: "POST",
            headers: { ...bearer(fx.tokens.alice), "content-type": type },
            body,
          });
        const json = "application/json";
        expect((await post(json, '{"name": ')).status).toBe(400);
        // The plugins' routes bound Fastify's JSON parser to the 16 KiB of ours.
        expect((await post(json, JSON.stringify({ name: "x".repeat(20_000) }))).status).toBe(413);
        expect((await post(json, '{"__proto__": {"admin": true}, "name": "p"}')).status).toBe(400);
        const repeated = await post(FORM["content-type"], "name=a&name=b");
        expect(repeated.status).toBe(400);
        expect(repeated.headers.get("content-type")).toBe("application/problem+json");
        expect(await repeated.json()).toMatchObject({ code: "invalid_body" });
        const text = await post("text/plain", "name=a");
        expect(text.status).toBeGreaterThanOrEqual(400);
        expect(text.status).toBeLessThan(500);
        expect((await post(json, '{"name": "from JSON"}')).status).toBe(201);
      });
    });

    it("wellKnownRoutes serves the discovery documents at the root; challenges name them", async () => {
      const auth = createAuth({
        jwt: {
          secret: SECRET,
          algorithms: ["HS256"],
          issuer: "https://api.example.test/",
          audience: "https://api.example.test/mcp",
        },
        apiKeys: { store: memoryKeyStore() },
        protectedResource: {
          resource: "https://api.example.test/mcp",
          authorizationServers: ["https://api.example.test/"],
        },
      });
      const app = make();
      await app.register(fa.wellKnownRoutes(auth));
      app.addHook("onRequest", fa.authenticate(auth, { optional: true }));
      app.get("/mcp", { preHandler: fa.requireAuth() }, (request) => fa.getCurrentUser(request));
      app.get("/.well-known/other", () => ({ mine: true }));
      try {
        await serve(app, async (url) => {
          const metadata = "/.well-known/oauth-protected-resource/mcp";
          const anonymous = await fetch(`${url}/mcp`);
          expect(anonymous.status).toBe(401);
          expect(anonymous.headers.get("www-authenticate")).toBe(
            `Bearer realm="api", resource_metadata="https://api.example.test${metadata}"`,
          );
          const document = await fetch(`${url}${metadata}`);
          expect(document.status).toBe(200);
          expect(await document.json()).toMatchObject({ resource: "https://api.example.test/mcp" });
          const server = await fetch(`${url}/.well-known/oauth-authorization-server`);
          expect(await server.json()).toMatchObject({ issuer: "https://api.example.test/" });
          const preflight = await fetch(`${url}${metadata}`, {
            method: "OPTIONS",
            headers: {
              origin: "https://inspector.example",
              "access-control-request-method": "GET",
            },
          });
          expect(preflight.status).toBe(204);
          // A static route of the app beats the plugin's wildcard; an unknown one is a 404.
          expect(await (await fetch(`${url}/.well-known/other`)).json()).toEqual({ mine: true });
          expect((await fetch(`${url}/.well-known/unknown`)).status).toBe(404);
        });
      } finally {
        await auth.close();
      }
    });

    it("getCurrentUser reads the principal off typed routes and keeps off request.user", async () => {
      const app = make();
      app.addHook("onRequest", fa.authenticate(fx.auth));
      app.get<{ Params: { id: string } }>(
        "/users/:id",
        { onRequest: [fa.authenticate(fx.auth)], preHandler: [fa.requireAuth()] },
        (request) => {
          const user = fa.getCurrentUser(request);
          assertType<Equals<typeof user, Principal | null>>(true);
          return {
            id: user?.id,
            param: request.params.id,
            requestUser: (request as FastifyRequest & { user?: unknown }).user ?? null,
          };
        },
      );
      await serve(app, async (url) => {
        const res = await fetch(`${url}/users/42`, { headers: bearer(fx.tokens.alice) });
        expect(await res.json()).toEqual({ id: "alice", param: "42", requestUser: null });
      });
    });
  });
}
