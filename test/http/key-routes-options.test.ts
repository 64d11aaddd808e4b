/**
 * The key-route options `owner`, `ownerType` and `maxRotateOverlap` on the neutral handler:
 * what HTTP cannot show (what the resolver is handed, a resolver's bug, construction
 * errors), and the rotate body's parser as a property.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { AuthError } from "../../src/errors.js";
import { createKeyRoutes } from "../../src/http/key-routes.js";
import type { KeyOwnerResolver, KeyRouteRequest } from "../../src/http/key-routes.js";
import { checkRotateBody } from "../../src/http/key-validation.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { Principal } from "../../src/types.js";
import { cheapArgon2 } from "../keys/helpers.js";

const auth = createAuth({ apiKeys: { store: memoryKeyStore(), hasher: cheapArgon2() } });
afterAll(() => auth.close());

const alice: Principal = {
  id: "alice",
  type: "user",
  via: "jwt",
  scopes: ["reports:read"],
  roles: [],
  claims: { org: "org:acme" },
};

function request(
  method: string,
  path: string,
  principal: Principal | null,
  body?: unknown,
): KeyRouteRequest {
  return { method, path, headers: new Headers({ "x-team": "org:acme" }), body, principal };
}

describe("keyRoutes option owner", () => {
  it("hands the resolver the caller and the request, and may be async", async () => {
    const seen: [string, string | null][] = [];
    const owner: KeyOwnerResolver = async (principal, req) => {
      seen.push([principal.id, req.headers.get("x-team")]);
      return Promise.resolve(req.headers.get("x-team"));
    };
    const routes = createKeyRoutes(auth, { owner, ownerType: "org" });
    const created = await routes.handle(request("POST", "/", alice, { name: "team" }));
    expect(created?.status).toBe(201);
    expect(created?.body).toMatchObject({ record: { ownerId: "org:acme", ownerType: "org" } });
    expect(seen).toEqual([["alice", "org:acme"]]);
  });

  it("is not asked for the admin routes, nor for anonymous callers", async () => {
    let asked = 0;
    const routes = createKeyRoutes(auth, {
      owner: () => {
        asked++;
        return null;
      },
    });
    const admin = { ...alice, id: "root", roles: ["admin"] };
    expect((await routes.handle(request("GET", "/by-user/org:acme", admin)))?.status).toBe(200);
    expect((await routes.handle(request("GET", "/", null)))?.status).toBe(401);
    expect(asked).toBe(0);
  });

  it("throws what is not an owner id: the application's bug, never a 4xx", async () => {
    for (const value of ["", "x".repeat(257), 42, undefined]) {
      const routes = createKeyRoutes(auth, { owner: () => value as string });
      await expect(routes.handle(request("GET", "/", alice))).rejects.toThrow(TypeError);
    }
  });

  it("answers an AuthError the resolver throws (its directory down → 503)", async () => {
    const routes = createKeyRoutes(auth, {
      owner: () => {
        throw new AuthError("unavailable", { detail: "The directory is unavailable." });
      },
    });
    const answer = await routes.handle(request("GET", "/", alice));
    expect(answer?.status).toBe(503);
    expect(answer?.body).toMatchObject({ code: "unavailable" });
  });

  it("refuses bad option values at construction", () => {
    expect(() => createKeyRoutes(auth, { owner: "org" as never })).toThrow(TypeError);
    expect(() => createKeyRoutes(auth, { ownerType: "team" as never })).toThrow(TypeError);
    for (const max of [-1, 1.5, Number.NaN, Infinity, "60"]) {
      expect(() => createKeyRoutes(auth, { maxRotateOverlap: max as number })).toThrow(
        /maxRotateOverlap/,
      );
    }
  });
});

describe("the rotate body", () => {
  it("takes no body as overlap 0, and refuses what is not an object", () => {
    expect(checkRotateBody(undefined, 60)).toEqual({ ok: true, value: { overlap: 0 } });
    expect(checkRotateBody({}, 60)).toEqual({ ok: true, value: { overlap: 0 } });
    for (const body of [null, [], "overlap=1", 3]) expect(checkRotateBody(body, 60).ok).toBe(false);
  });

  it("accepts exactly the whole seconds from 0 to the maximum, as numbers or digit strings", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.oneof(
          fc.integer({ min: -5, max: 20_000_000 }),
          fc.double(),
          fc.string(),
          fc.constant(null),
        ),
        fc.boolean(),
        (max, overlap, asString) => {
          const sent = asString && typeof overlap === "number" ? String(overlap) : overlap;
          const result = checkRotateBody({ overlap: sent }, max);
          // A digit string is a form field; "-1", "1.5", "1e3" and the like are not.
          const value = typeof sent === "string" && /^\d+$/.test(sent) ? Number(sent) : sent;
          const expected =
            typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= max;
          expect(result.ok).toBe(expected);
          if (result.ok) expect(result.value.overlap).toBe(value);
          else expect(result.errors.map((e) => e.field)).toEqual(["overlap"]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
