/**
 * The neutral key-route handler on its own: what the behaviour table cannot reach through a
 * framework (options, an outage in the middle of a route, paths that are not ours).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyRoutes } from "../../src/http/key-routes.js";
import type { KeyRouteRequest } from "../../src/http/key-routes.js";
import type { Principal } from "../../src/types.js";
import { makeFixture } from "../adapters/fixture.js";
import type { Fixture } from "../adapters/fixture.js";

let fx: Fixture;
beforeAll(async () => {
  fx = await makeFixture();
});
afterAll(async () => {
  await fx.auth.close();
  await fx.downAuth.close();
});

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

  it("takes the admin role and the write scope from options", async () => {
    const routes = createKeyRoutes(fx.auth, { adminRole: "keymaster", writeScope: "keys:manage" });
    const admin = { ...alice, id: "root", roles: ["admin"] };
    expect((await routes.handle(request("GET", "/by-user/bob", admin)))?.status).toBe(403);
    const keymaster = { ...alice, id: "root", roles: ["keymaster"] };
    expect((await routes.handle(request("GET", "/by-user/bob", keymaster)))?.status).toBe(200);
    const viaKey: Principal = { ...alice, via: "apiKey", scopes: ["keys:write"] };
    const refused = await routes.handle(request("POST", "/", viaKey, { name: "x" }));
    expect(refused?.headers["www-authenticate"]).toMatch(/scope="keys:manage"/);
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
