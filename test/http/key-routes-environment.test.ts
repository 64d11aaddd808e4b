/**
 * A key's environment chosen through the key routes, over real HTTP on Express, Koa and
 * Hono: `POST /` takes `environment` (`"test"`, `"live"` or `null`), the key carries it,
 * the record and the listing show it, and a deployment whose `apiKeys.accept` leaves test
 * keys out refuses one. Beside them, a property of the create-body check itself.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import express5 from "express";
import Koa3 from "koa";
import { Hono } from "hono";
import { serve } from "@hono/node-server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";
import { createAuth } from "../../src/create-auth.js";
import { checkCreateBody } from "../../src/http/key-validation.js";
import type { Auth } from "../../src/options/auth-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { cheapArgon2 } from "../keys/helpers.js";
import { listen, type Running } from "../adapters/server-parts.js";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const JWT = {
  secret: SECRET,
  algorithms: ["HS256" as const],
  issuer: "https://t.test",
  audience: "api",
};

function expressApp(auth: Auth) {
  const app = express5();
  app.use(express5.json());
  app.use(ex.authenticate(auth, { optional: true }));
  app.get("/me", ex.requireAuth(), (req, res) => {
    res.json(ex.getCurrentUser(req));
  });
  app.use("/keys", ex.keyRoutes(auth));
  return app;
}

function koaServer(auth: Auth): Server {
  const app = new Koa3<ko.State>();
  app.use(ko.authenticate(auth, { optional: true }));
  app.use(ko.keyRoutes(auth, { prefix: "/keys" }));
  app.use((ctx) => {
    if (ctx.path !== "/me") return;
    const user = ko.getCurrentUser(ctx);
    ctx.status = user ? 200 : 401;
    ctx.body = user ?? {};
  });
  const handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> = app.callback();
  return createServer((req, res) => {
    void handle(req, res);
  });
}

function honoServer(auth: Auth): Promise<Running> {
  const app = new Hono<{ Variables: ho.Variables }>();
  app.use("*", ho.authenticate(auth, { optional: true }));
  app.get("/me", ho.requireAuth(), (c) => c.json(ho.getCurrentUser(c)));
  app.route("/keys", ho.keyRoutes(auth));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
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

const servers: Record<string, (auth: Auth) => Promise<Running>> = {
  "express 5": (auth) => listen(createServer(expressApp(auth))),
  "koa 3": (auth) => listen(koaServer(auth)),
  "hono 4": honoServer,
};

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface KeyRecord {
  id: string;
  environment: string | null;
}

describe.each(Object.keys(servers))("%s: a key's environment through the key routes", (name) => {
  const store = memoryKeyStore();
  let auth: Auth;
  // The same keys, verified where only live keys (and keys without one) are accepted.
  let liveOnly: Auth;
  let server: Running;
  let liveServer: Running;
  let token: string;

  beforeAll(async () => {
    const apiKeys = { store, hasher: cheapArgon2(), prefix: "acme" };
    // Keys made without an environment of their own get this one.
    auth = createAuth({ jwt: JWT, apiKeys: { ...apiKeys, environment: "live" } });
    liveOnly = createAuth({ jwt: JWT, apiKeys: { ...apiKeys, accept: ["live", "none"] } });
    token = await auth.tokens.issue({ sub: "alice", scopes: ["reports:read"] });
    server = await servers[name]!(auth);
    liveServer = await servers[name]!(liveOnly);
  });
  afterAll(async () => {
    await server?.close();
    await liveServer?.close();
    await auth?.close();
    await liveOnly?.close();
  });

  async function call(method: string, url: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const response = await fetch(url, { method, headers, body: payload });
    const text = await response.text();
    return {
      status: response.status,
      body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  async function withKey(base: string, key: string): Promise<Answer> {
    const response = await fetch(`${base}/me`, { headers: { "x-api-key": key } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function create(body: Record<string, unknown>) {
    const answer = await call("POST", `${server.url}/keys`, body);
    expect(answer.status).toBe(201);
    return answer.body as { key: string; record: KeyRecord };
  }

  it("issues a test key when asked: the key, the record, the listing and the principal say so", async () => {
    const created = await create({ name: "sandbox", environment: "test" });
    expect(created.key).toMatch(/^acme_test_[0-9A-Za-z]{16}_/);
    expect(created.record.environment).toBe("test");

    const fetched = await call("GET", `${server.url}/keys/${created.record.id}`);
    expect(fetched.body).toMatchObject({ id: created.record.id, environment: "test" });
    const listed = await call("GET", `${server.url}/keys`);
    const items = listed.body.items as KeyRecord[];
    expect(items.find((k) => k.id === created.record.id)?.environment).toBe("test");

    const verified = await withKey(server.url, created.key);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ id: "alice", key: { environment: "test" } });
  });

  it("refuses the test key where apiKeys.accept leaves test keys out", async () => {
    const created = await create({ name: "sandbox-2", environment: "test" });
    const refused = await withKey(liveServer.url, created.key);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({
      code: "invalid_api_key",
      detail: "API keys for the test environment are not accepted here.",
    });
  });

  it("issues a live key when asked, and it verifies on both deployments", async () => {
    const created = await create({ name: "production", environment: "live" });
    expect(created.key).toMatch(/^acme_live_[0-9A-Za-z]{16}_/);
    expect(created.record.environment).toBe("live");
    expect((await withKey(server.url, created.key)).status).toBe(200);
    expect((await withKey(liveServer.url, created.key)).status).toBe(200);
  });

  it("gives apiKeys.environment when the body names none, and none for null", async () => {
    const byDefault = await create({ name: "default" });
    expect(byDefault.key).toMatch(/^acme_live_/);
    expect(byDefault.record.environment).toBe("live");

    const none = await create({ name: "none", environment: null });
    expect(none.key).toMatch(/^acme_[0-9A-Za-z]{16}_/);
    expect(none.key).not.toMatch(/_(test|live)_/);
    expect(none.record.environment).toBeNull();
    expect((await withKey(liveServer.url, none.key)).status).toBe(200);
  });

  it.each([["staging"], ["TEST"], [""], [1], [true], [["test"]], [{ name: "test" }]])(
    "answers 400 with a field problem for environment %j, and creates nothing",
    async (environment) => {
      const before = (await call("GET", `${server.url}/keys?limit=500`)).body.items as KeyRecord[];
      const answer = await call("POST", `${server.url}/keys`, { name: "bad", environment });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        code: "invalid_body",
        errors: [{ field: "environment", message: 'must be "test" or "live" or null' }],
      });
      const after = (await call("GET", `${server.url}/keys?limit=500`)).body.items as KeyRecord[];
      expect(after).toHaveLength(before.length);
    },
  );

  it("lists every bad field in one answer, the environment among them", async () => {
    const answer = await call("POST", `${server.url}/keys`, { name: "", environment: "prod" });
    expect(answer.status).toBe(400);
    const fields = (answer.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields.sort()).toEqual(["environment", "name"]);
  });
});

describe("checkCreateBody", () => {
  const field = fc.oneof(
    fc.constantFrom("name", "scopes", "expiresAt", "environment"),
    fc.string({ maxLength: 12 }),
  );
  const value = fc.oneof(
    fc.anything(),
    fc.constantFrom("test", "live", null, "ci", "2999-01-01T00:00:00Z", ["a:b"]),
  );
  const body = fc.oneof(fc.anything(), fc.dictionary(field, value, { maxKeys: 6 }));

  it("never throws: any body is either accepted or refused with field problems", () => {
    fc.assert(
      fc.property(body, (candidate) => {
        const checked = checkCreateBody(candidate);
        if (checked.ok) {
          const { environment, name } = checked.value;
          expect(typeof name).toBe("string");
          expect([undefined, null, "test", "live"]).toContain(environment);
        } else {
          expect(checked.errors.length).toBeGreaterThan(0);
          for (const problem of checked.errors) {
            expect(typeof problem.field).toBe("string");
            expect(typeof problem.message).toBe("string");
          }
        }
      }),
    );
  });

  it("accepts exactly test, live and null as an environment", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.constantFrom("test", "live", null)), (environment) => {
        const checked = checkCreateBody({ name: "k", environment });
        const valid = environment === "test" || environment === "live" || environment === null;
        expect(checked.ok).toBe(valid || environment === undefined);
        if (!checked.ok) expect(checked.errors.map((e) => e.field)).toEqual(["environment"]);
      }),
    );
  });
});
