/**
 * Throttling without lockout: a key id's failure budget is kept per client address, with a
 * softer budget per id over all addresses, so failing on purpose with someone's public key
 * id refuses the attacker and not the key's holder. Checked on the verifier and over real
 * HTTP through each adapter, whose request view carries the client address.
 */
import type { RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import express from "express";
import { Hono } from "hono";
import Koa from "koa";
import { afterEach, describe, expect, it } from "vitest";
import { withServer } from "../adapters/with-server.js";
import * as ex from "../../adapters/express.js";
import * as ho from "../../adapters/hono.js";
import * as ko from "../../adapters/koa.js";
import type { AdapterAuth } from "../../src/http/adapter-auth.js";
import type { KeyManager } from "../../src/verify/api-key/api-keys.js";
import type { AuthResult, RequestView } from "../../src/types.js";
import { send, verifierSetup, wrongSecret } from "./throttle-fixture.js";
import type { VerifierSetup } from "./throttle-fixture.js";

const codeOf = (result: AuthResult): string => (result.ok ? "ok" : result.error.code);

let current: VerifierSetup[] = [];
function make(...args: Parameters<typeof verifierSetup>): VerifierSetup {
  const made = verifierSetup(...args);
  current.push(made);
  return made;
}
afterEach(async () => {
  await Promise.all(current.map((s) => s.close()));
  current = [];
});

describe("key failure budgets per (id, address)", () => {
  it("failures from one address refuse that address only, the right key too", async () => {
    const { verify, create } = make({ failureThrottle: { max: 5, window: 60_000 } });
    const { key } = await create("alice");
    for (let n = 0; n < 5; n++) {
      expect(codeOf(await verify(wrongSecret(key, n), "198.51.100.1"))).toBe("invalid_api_key");
    }
    expect(codeOf(await verify(wrongSecret(key, 5), "198.51.100.1"))).toBe("rate_limited");
    expect(codeOf(await verify(key, "198.51.100.1"))).toBe("rate_limited");
    expect(codeOf(await verify(key, "203.0.113.7"))).toBe("ok");
  });

  it("past the softer budget per id, the id is refused from every address", async () => {
    const { verify, create } = make({ failureThrottle: { max: 3, maxPerId: 6 } });
    const { key } = await create("alice");
    let n = 0;
    for (const from of ["198.51.100.1", "198.51.100.2"]) {
      for (let i = 0; i < 3; i++) await verify(wrongSecret(key, n++), from);
    }
    const refused = await verify(key, "203.0.113.7");
    expect(codeOf(refused)).toBe("rate_limited");
    expect(!refused.ok && refused.error.retryAfter).toBeGreaterThan(1);
  });

  it("the softer budget defaults to ten times the per-address one", async () => {
    const { verify, create } = make({ failureThrottle: { max: 2 } });
    const { key } = await create("alice");
    for (let from = 1; from <= 9; from++) {
      for (let i = 0; i < 2; i++) await verify(wrongSecret(key, from * 10 + i), `10.0.0.${from}`);
    }
    expect(codeOf(await verify(key, "203.0.113.7"))).toBe("ok");
    const other = await create("bob");
    for (let from = 1; from <= 10; from++) {
      for (let i = 0; i < 2; i++)
        await verify(wrongSecret(other.key, from * 10 + i), `10.0.0.${from}`);
    }
    expect(codeOf(await verify(other.key, "203.0.113.7"))).toBe("rate_limited");
  });

  it("callers whose address is unknown share one budget apart from known addresses", async () => {
    const { verify, create } = make({ failureThrottle: { max: 2 } });
    const { key } = await create("alice");
    await verify(wrongSecret(key, 0));
    await verify(wrongSecret(key, 1), "");
    expect(codeOf(await verify(key))).toBe("rate_limited");
    expect(codeOf(await verify(key, "203.0.113.7"))).toBe("ok");
  });

  it("refuses a nonsense softer budget", () => {
    expect(() => make({ failureThrottle: { maxPerId: 0 } })).toThrow(/maxPerId/);
  });
});

/** An auth whose authenticate is the verifier under test, given the view's address. */
function authOver(setup: VerifierSetup, seen: Array<string | undefined>): AdapterAuth {
  return {
    keys: {} as KeyManager,
    authenticate(view: RequestView) {
      seen.push(view.ip);
      return Promise.resolve(setup.verifier.verify(view.headers.get("x-api-key"), view.ip));
    },
  };
}

const apps: Record<string, (auth: AdapterAuth) => RequestListener> = {
  express: (auth) => {
    const app = express();
    app.get("/me", ex.authenticate(auth), (_req, res) => void res.json({ ok: true }));
    return app;
  },
  koa: (auth) => {
    const app = new Koa();
    app.use(ko.authenticate(auth));
    app.use((ctx) => void (ctx.body = { ok: true }));
    const handle = app.callback();
    return (req, res) => void handle(req, res);
  },
  hono: (auth) => {
    const app = new Hono();
    app.get("/me", ho.authenticate(auth), (c) => c.json({ ok: true }));
    const listener = getRequestListener(app.fetch);
    return (req, res) => void listener(req, res);
  },
};

describe.each(Object.keys(apps))("over HTTP with %s", (name) => {
  it("a wrong-secret flood from one address does not make the key answer 429 elsewhere", async () => {
    const setup = make({ failureThrottle: { max: 20, window: 60_000 } });
    const { key } = await setup.create("alice");
    const seen: Array<string | undefined> = [];
    await withServer(apps[name]!(authOver(setup, seen)), async (url) => {
      const from = (address: string, apiKey: string) =>
        send(url, address, { path: "/me", headers: { "x-api-key": apiKey } });
      for (let n = 0; n < 20; n++) {
        expect((await from("127.0.0.2", wrongSecret(key, n))).status).toBe(401);
      }
      const attacker = await from("127.0.0.2", key);
      expect(attacker.status).toBe(429);
      expect(Number(attacker.headers["retry-after"])).toBeGreaterThan(1);
      expect((await from("127.0.0.3", key)).status).toBe(200);
    });
    expect(new Set(seen)).toEqual(new Set(["127.0.0.2", "127.0.0.3"]));
  });
});
