/**
 * The neutral key-route handler on its own: what the behaviour table cannot reach through a
 * framework (options, an outage in the middle of a route, paths that are not ours).
 */
import { describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { createKeyRoutes } from "../../src/http/key-routes.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { cheapArgon2 } from "../keys/helpers.js";
import type { KeyRouteRequest } from "../../src/http/key-routes.js";
import type { Principal } from "../../src/types.js";
import { useFixture } from "../adapters/fixture.js";

const fx = useFixture();

const alice: Principal = {
  id: "alice",
  type: "user",
  via: "jwt",
  scopes: ["reports:read"],
  roles: [],
};

function request(
  method: string,
  path: string,
  principal: Principal | null,
  body?: unknown,
): KeyRouteRequest {
  return { method, path, headers: new Headers(), body, principal };
}

describe("createKeyRoutes", () => {
  it("answers 503 with Retry-After when the store fails mid-route, never 401 or 404", async () => {
    const routes = createKeyRoutes(fx.downAuth);
    const answer = await routes.handle(request("GET", "/some-id", alice));
    expect(answer?.status).toBe(503);
    expect(answer?.headers["retry-after"]).toMatch(/^\d+$/);
    expect(answer?.body).toMatchObject({ code: "unavailable" });
  });

  it("returns null for paths and methods that are not its own", async () => {
    const routes = createKeyRoutes(fx.auth);
    expect(await routes.handle(request("GET", "/a/b", alice))).toBeNull();
    expect(await routes.handle(request("GET", "/by-user", alice))).toBeNull();
    expect(await routes.handle(request("OPTIONS", "/", null))).toBeNull();
  });

  it("takes the admin role from options", async () => {
    const routes = createKeyRoutes(fx.auth, { adminRole: "keymaster" });
    const admin = { ...alice, id: "root", roles: ["admin"] };
    expect((await routes.handle(request("GET", "/by-user/bob", admin)))?.status).toBe(403);
    const keymaster = { ...alice, id: "root", roles: ["keymaster"] };
    expect((await routes.handle(request("GET", "/by-user/bob", keymaster)))?.status).toBe(200);
  });

  it("takes the write scope from apiKeys.writeScope, the same one the manager enforces", async () => {
    const auth = createAuth({
      apiKeys: { store: memoryKeyStore(), writeScope: "keys:manage", hasher: cheapArgon2() },
    });
    try {
      const routes = createKeyRoutes(auth);
      const key = { id: "k1", name: "ci", ownerId: "alice" };
      const withDefault: Principal = { ...alice, via: "apiKey", key, scopes: ["keys:write"] };
      const refused = await routes.handle(request("POST", "/", withDefault, { name: "x" }));
      expect(refused?.status).toBe(403);
      expect(refused?.headers["www-authenticate"]).toMatch(/scope="keys:manage"/);
      // Holding the configured scope, a key gets past the route *and* the manager.
      const withCustom: Principal = { ...alice, via: "apiKey", key, scopes: ["keys:manage"] };
      const created = await routes.handle(request("POST", "/", withCustom, { name: "x" }));
      expect(created?.status).toBe(201);
    } finally {
      await auth.close();
    }
  });

  it("answers 409 with a problem past apiKeys.maxKeysPerOwner", async () => {
    const auth = createAuth({
      apiKeys: { store: memoryKeyStore(), maxKeysPerOwner: 1, hasher: cheapArgon2() },
    });
    try {
      const routes = createKeyRoutes(auth);
      expect((await routes.handle(request("POST", "/", alice, { name: "one" })))?.status).toBe(201);
      const refused = await routes.handle(request("POST", "/", alice, { name: "two" }));
      expect(refused?.status).toBe(409);
      expect(refused?.body).toMatchObject({ code: "conflict" });
      expect((refused?.body as { detail: string }).detail).toMatch(/1 keys/);
    } finally {
      await auth.close();
    }
  });

  it("answers HEAD like GET", async () => {
    const routes = createKeyRoutes(fx.auth);
    expect((await routes.handle(request("HEAD", `/${fx.ids.alice}`, alice)))?.status).toBe(200);
  });

  it("refuses empty option values at construction", () => {
    expect(() => createKeyRoutes(fx.auth, { adminRole: "" })).toThrow(TypeError);
  });

  it("decodes ids and tolerates a trailing slash", async () => {
    const routes = createKeyRoutes(fx.auth);
    const answer = await routes.handle(
      request("GET", `/${encodeURIComponent(fx.ids.alice)}/`, alice),
    );
    expect(answer?.status).toBe(200);
    expect(await routes.handle(request("GET", "/%E0%A4%A", alice))).toBeNull();
  });
});
