/**
 * Known attacks over real HTTP, one row each, against every adapter
 * and framework major, over a memory store and over SQLite. Each row makes the keys it
 * needs, so rows cannot lean on each other, and asserts the safe answer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { KeyStore } from "../../src/types.js";
import { send, wrongSecret } from "../keys/throttle-fixture.js";
import { makeFixture, type Fixture } from "./fixture.js";
import { servers, type Running } from "./servers.js";

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

interface Ctx {
  fx: Fixture;
  url: string;
}

async function call(
  ctx: Ctx,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await fetch(new URL(path, ctx.url), init);
  const text = await res.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function exchange(ctx: Ctx, key: string): Promise<string> {
  const reply = await call(
    ctx,
    "POST",
    "/auth/token",
    {},
    {
      grant_type: "refresh_token",
      refresh_token: key,
    },
  );
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body!.access_token as string;
}

async function clientCredentials(ctx: Ctx, id: string, key: string): Promise<string> {
  const reply = await call(
    ctx,
    "POST",
    "/auth/token",
    {},
    {
      grant_type: "client_credentials",
      client_id: id,
      client_secret: key,
    },
  );
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body!.access_token as string;
}

function newKey(ctx: Ctx, ownerId: string, scopes: string[] = [], roles: string[] = []) {
  return ctx.fx.auth.keys.create({ ownerId, name: "row key", scopes, roles });
}

const userToken = (ctx: Ctx, sub: string, roles: string[] = []) =>
  ctx.fx.auth.tokens.issue({ sub, scopes: ["reports:read"], roles });

interface Attack {
  name: string;
  run(ctx: Ctx): Promise<void>;
}

const attacks: Attack[] = [
  {
    name: "a read-only key exchanged for a token cannot create or delete keys",
    async run(ctx) {
      const readOnly = await newKey(ctx, "alice", ["reports:read"]);
      const victim = await newKey(ctx, "alice");
      const token = await exchange(ctx, readOnly.key);
      const created = await call(ctx, "POST", "/users/keys", bearer(token), { name: "mine" });
      expect(created.status).toBe(403);
      const deleted = await call(ctx, "DELETE", `/users/keys/${victim.record.id}`, bearer(token));
      expect(deleted.status).toBe(403);
      expect((await call(ctx, "GET", "/users/keys", bearer(token))).status).toBe(200);
      expect(await ctx.fx.auth.keys.get("alice", victim.record.id)).not.toBeNull();
    },
  },
  {
    name: "a service key exchanged through client_credentials cannot create keys",
    async run(ctx) {
      const service = await ctx.fx.auth.keys.create({
        ownerId: "billing-app",
        ownerType: "service",
        name: "billing",
        scopes: ["reports:read"],
      });
      const token = await clientCredentials(ctx, service.record.id, service.key);
      const me = await call(ctx, "GET", "/me", bearer(token));
      expect(me.body).toMatchObject({ user: { type: "service", key: { id: service.record.id } } });
      const created = await call(ctx, "POST", "/users/keys", bearer(token), { name: "more" });
      expect(created.status).toBe(403);
    },
  },
  {
    name: "an admin-role key without keys:write, exchanged, cannot change other users' keys",
    async run(ctx) {
      const adminKey = await newKey(ctx, "root", ["reports:read"], ["admin"]);
      const target = await newKey(ctx, "bob");
      const token = await exchange(ctx, adminKey.key);
      const path = `/users/keys/by-user/bob/${target.record.id}`;
      expect((await call(ctx, "PATCH", path, bearer(token), { enabled: false })).status).toBe(403);
      expect((await call(ctx, "DELETE", path, bearer(token))).status).toBe(403);
      expect((await ctx.fx.auth.keys.get("bob", target.record.id))?.enabled).toBe(true);
    },
  },
  {
    name: "a token minted from a key dies when the key is deleted",
    async run(ctx) {
      const key = await newKey(ctx, "alice", ["reports:read"]);
      const token = await exchange(ctx, key.key);
      const me = await call(ctx, "GET", "/me", bearer(token));
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        user: { id: "alice", via: "jwt", type: "apiKey", key: { id: key.record.id } },
      });
      const owner = await userToken(ctx, "alice");
      expect(
        (await call(ctx, "DELETE", `/users/keys/${key.record.id}`, bearer(owner))).status,
      ).toBe(204);
      const after = await call(ctx, "GET", "/me", bearer(token));
      expect(after.status).toBe(401);
      expect(after.body).toMatchObject({ code: "invalid_token" });
    },
  },
  {
    name: "a token minted from a disabled key stays dead, even after the key is enabled again",
    async run(ctx) {
      const key = await newKey(ctx, "alice", ["keys:write", "reports:read"]);
      const token = await exchange(ctx, key.key);
      const owner = await userToken(ctx, "alice");
      const path = `/users/keys/${key.record.id}`;
      expect((await call(ctx, "PATCH", path, bearer(owner), { enabled: false })).status).toBe(200);
      expect((await call(ctx, "GET", "/me", bearer(token))).status).toBe(401);
      // The leaked token cannot bring its key back either.
      expect((await call(ctx, "PATCH", path, bearer(token), { enabled: true })).status).toBe(401);
      expect((await call(ctx, "PATCH", path, bearer(owner), { enabled: true })).status).toBe(200);
      expect((await call(ctx, "GET", "/me", { "x-api-key": key.key })).status).toBe(200);
      expect((await call(ctx, "GET", "/me", bearer(token))).status).toBe(401);
      // A token minted after the re-enable works.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const fresh = await exchange(ctx, key.key);
      expect((await call(ctx, "GET", "/me", bearer(fresh))).status).toBe(200);
    },
  },
  {
    name: "a token minted from a key with keys:write cannot enable a disabled key",
    async run(ctx) {
      const writer = await newKey(ctx, "alice", ["keys:write", "reports:read"]);
      const off = await newKey(ctx, "alice");
      await ctx.fx.auth.keys.update("alice", off.record.id, { enabled: false });
      const token = await exchange(ctx, writer.key);
      const path = `/users/keys/${off.record.id}`;
      const revived = await call(ctx, "PATCH", path, bearer(token), { enabled: true });
      expect(revived.status).toBe(403);
      const direct = await call(ctx, "PATCH", path, { "x-api-key": writer.key }, { enabled: true });
      expect(direct.status).toBe(403);
      expect((await ctx.fx.auth.keys.get("alice", off.record.id))?.enabled).toBe(false);
    },
  },
  {
    name: "a key's scopes cut the scopes of tokens already minted from it",
    async run(ctx) {
      const key = await newKey(ctx, "alice", ["reports:read"]);
      const token = await exchange(ctx, key.key);
      expect((await call(ctx, "GET", "/reports", bearer(token))).status).toBe(200);
      await ctx.fx.auth.keys.update("alice", key.record.id, { scopes: [] });
      expect((await call(ctx, "GET", "/reports", bearer(token))).status).toBe(403);
    },
  },
  {
    name: "Authorization: Bearer, 16 000 spaces and a comma is refused, not a 500",
    async run(ctx) {
      const reply = await call(ctx, "GET", "/me", {
        authorization: `Bearer${" ".repeat(16_000)}x,`,
      });
      expect([400, 401]).toContain(reply.status);
      expect(reply.body).toMatchObject({ status: reply.status });
    },
  },
  {
    name: "a CORS preflight on a guarded all-methods route gets no data",
    async run(ctx) {
      const reply = await call(ctx, "OPTIONS", "/admin-all", {
        origin: "https://evil.example",
        "access-control-request-method": "GET",
      });
      expect(reply.status).toBe(401);
      expect(reply.body).not.toHaveProperty("user");
      const admin = await userToken(ctx, "root", ["admin"]);
      expect((await call(ctx, "GET", "/admin-all", bearer(admin))).status).toBe(200);
    },
  },
  {
    name: "a comma inside another cookie's value does not smuggle the token cookie",
    async run(ctx) {
      const token = await userToken(ctx, "alice");
      const reply = await call(ctx, "GET", "/me", { cookie: `pref=x,access_token=${token}` });
      expect(reply.status).toBe(401);
      expect((await call(ctx, "GET", "/me", { cookie: `access_token=${token}` })).status).toBe(200);
    },
  },
  {
    name: "the cookie-setting login and logout refuse another origin (login CSRF)",
    async run(ctx) {
      const login = {
        grant_type: "password",
        username: "alice",
        password: "wonderland",
        cookie: "1",
      };
      const foreign = await call(
        ctx,
        "POST",
        "/auth/token",
        { origin: "https://evil.example" },
        login,
      );
      expect(foreign.status).toBe(403);
      expect(foreign.headers.get("set-cookie")).toBeNull();
      const sibling = await call(
        ctx,
        "POST",
        "/auth/token",
        { origin: "https://app.example.test", "sec-fetch-site": "same-site" },
        login,
      );
      expect(sibling.status).toBe(403);
      const out = await call(ctx, "POST", "/auth/logout", { origin: "https://evil.example" });
      expect(out.status).toBe(403);
      const own = await call(ctx, "POST", "/auth/token", { origin: ctx.url }, login);
      expect(own.status).toBe(200);
      expect(own.headers.get("set-cookie")).toMatch(/^access_token=/);
      expect((await call(ctx, "POST", "/auth/logout", { origin: ctx.url })).status).toBe(204);
    },
  },
  {
    name: "wrong secrets for a public key id from another address do not lock the real key out",
    async run(ctx) {
      const key = await newKey(ctx, "alice", ["reports:read"]);
      // The default budget is 20 failures a minute per (key id, address): spend it twice over.
      for (let n = 0; n < 40; n++) {
        const reply = await send(ctx.url, "127.0.0.2", {
          path: "/me",
          headers: { "x-api-key": wrongSecret(key.key, n) },
        });
        expect([401, 429]).toContain(reply.status);
      }
      const flooder = await send(ctx.url, "127.0.0.2", {
        path: "/me",
        headers: { "x-api-key": wrongSecret(key.key, 99) },
      });
      expect(flooder.status).toBe(429);
      expect((await call(ctx, "GET", "/me", { "x-api-key": key.key })).status).toBe(200);
      // The token endpoint names the key id as client_id: the same rule holds there.
      const service = await ctx.fx.auth.keys.create({
        ownerId: "billing-app",
        ownerType: "service",
        name: "billing",
      });
      for (let n = 0; n < 30; n++) {
        await send(ctx.url, "127.0.0.3", {
          path: "/auth/token",
          form: `grant_type=client_credentials&client_id=${service.record.id}&client_secret=${wrongSecret(service.key, n)}`,
        });
      }
      await clientCredentials(ctx, service.record.id, service.key);
    },
  },
  {
    name: "an admin's disable cannot be undone by the owner",
    async run(ctx) {
      const key = await newKey(ctx, "bob");
      const admin = await userToken(ctx, "root", ["admin"]);
      const bob = await userToken(ctx, "bob");
      const adminPath = `/users/keys/by-user/bob/${key.record.id}`;
      expect((await call(ctx, "PATCH", adminPath, bearer(admin), { enabled: false })).status).toBe(
        200,
      );
      const own = `/users/keys/${key.record.id}`;
      const undone = await call(ctx, "PATCH", own, bearer(bob), { enabled: true });
      expect(undone.status).toBe(403);
      expect((await call(ctx, "GET", own, bearer(bob))).body).toMatchObject({
        enabled: false,
        disabledBy: "admin",
      });
      expect((await call(ctx, "PATCH", adminPath, bearer(admin), { enabled: true })).status).toBe(
        200,
      );
    },
  },
  {
    name: "an owner cannot rotate their way around an admin's disable",
    async run(ctx) {
      const key = await newKey(ctx, "bob");
      await ctx.fx.auth.keys.admin.update(key.record.id, { enabled: false });
      await expect(
        ctx.fx.auth.keys.rotate("bob", key.record.id, { overlap: 0 }),
      ).rejects.toMatchObject({
        code: "forbidden",
      });
      expect((await call(ctx, "GET", "/me", { "x-api-key": key.key })).status).toBe(401);
    },
  },
  {
    name: "a key rotated out with overlap 0 can never be enabled again",
    async run(ctx) {
      const key = await newKey(ctx, "alice");
      const rotated = await ctx.fx.auth.keys.rotate("alice", key.record.id, { overlap: 0 });
      const owner = await userToken(ctx, "alice");
      const path = `/users/keys/${key.record.id}`;
      const revived = await call(ctx, "PATCH", path, bearer(owner), { enabled: true });
      expect(revived.status).toBe(409);
      const extended = await call(ctx, "PATCH", path, bearer(owner), { expiresAt: null });
      expect(extended.status).toBe(409);
      expect((await call(ctx, "GET", path, bearer(owner))).body).toMatchObject({
        status: "rotated",
        disabledBy: "rotation",
      });
      expect((await call(ctx, "GET", "/me", { "x-api-key": key.key })).status).toBe(401);
      expect((await call(ctx, "GET", "/me", { "x-api-key": rotated!.key })).status).toBe(200);
      // An admin's disable does not relabel it into something an admin can undo.
      const admin = await userToken(ctx, "root", ["admin"]);
      const adminPath = `/users/keys/by-user/alice/${key.record.id}`;
      expect((await call(ctx, "PATCH", adminPath, bearer(admin), { enabled: false })).status).toBe(
        200,
      );
      expect((await call(ctx, "PATCH", adminPath, bearer(admin), { enabled: true })).status).toBe(
        409,
      );
    },
  },
  {
    name: "overlong ids, scopes, names and admin paths get 4xx problems, never a 500",
    async run(ctx) {
      const owner = await userToken(ctx, "alice");
      const admin = await userToken(ctx, "root", ["admin"]);
      const long = "x".repeat(300);
      expect((await call(ctx, "GET", `/users/keys/${long}`, bearer(owner))).status).toBe(404);
      expect((await call(ctx, "DELETE", `/users/keys/${long}`, bearer(owner))).status).toBe(404);
      expect((await call(ctx, "GET", `/users/keys/by-user/${long}`, bearer(admin))).status).toBe(
        404,
      );
      const path = `/users/keys/by-user/${long}/${long}`;
      expect((await call(ctx, "PATCH", path, bearer(admin), { name: "x" })).status).toBe(404);
      for (const body of [
        { name: "x", scopes: ["s".repeat(200)] },
        { name: "n".repeat(10_000) },
        { name: "x", scopes: ['reports"read'] },
      ]) {
        const reply = await call(ctx, "POST", "/users/keys", bearer(owner), body);
        expect(reply.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      }
      const key = await newKey(ctx, "alice");
      const patched = await call(ctx, "PATCH", `/users/keys/${key.record.id}`, bearer(owner), {
        scopes: ["s".repeat(200)],
      });
      expect(patched.status).toBe(400);
    },
  },
];

const stores: Record<string, () => { store: KeyStore; done: () => void }> = {
  memory: () => ({ store: memoryKeyStore(), done: () => undefined }),
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-attacks-"));
    return {
      store: sqliteKeyStore({ path: join(dir, "keys.db") }),
      done: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

for (const [storeName, openStore] of Object.entries(stores)) {
  for (const [serverName, start] of Object.entries(servers)) {
    describe(`${serverName} on ${storeName}`, () => {
      const ctx = {} as Ctx;
      let server: Running | undefined;
      let done = () => undefined as void;
      beforeAll(async () => {
        const opened = openStore();
        done = opened.done;
        ctx.fx = await makeFixture(opened.store);
        server = await start(ctx.fx);
        ctx.url = server.url;
      });
      afterAll(async () => {
        await server?.close();
        await ctx.fx?.auth.close();
        await ctx.fx?.downAuth.close();
        done();
      });
      for (const attack of attacks) it(attack.name, () => attack.run(ctx), 20_000);
    });
  }
}
