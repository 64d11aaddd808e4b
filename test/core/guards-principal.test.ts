import { describe, expect, it } from "vitest";
import { requireAuth, requireRoles, requireScopes } from "../../src/guard/requirements.js";
import { claimsToPrincipal } from "../../src/principal/from-claims.js";
import type { Principal } from "../../src/types.js";
import { makeAuth, req, sign } from "./helpers.js";

const alice: Principal = {
  id: "alice",
  type: "user",
  via: "jwt",
  scopes: ["a", "b"],
  roles: ["editor"],
};

describe("guards", () => {
  it("requireAuth: anonymous is missing_credentials, anyone else passes", () => {
    expect(requireAuth(null)?.code).toBe("missing_credentials");
    expect(requireAuth(alice)).toBeNull();
  });

  it("requireScopes needs all; the error carries the scope for the challenge", () => {
    expect(requireScopes(alice, "a", "b")).toBeNull();
    const error = requireScopes(alice, "a", "c");
    expect(error?.code).toBe("insufficient_scope");
    expect(error?.status).toBe(403);
    expect(error?.challenge("api")).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="a c"',
    );
    expect(requireScopes(null, "a")?.code).toBe("missing_credentials");
  });

  it("requireRoles needs any one of the roles", () => {
    expect(requireRoles(alice, "admin", "editor")).toBeNull();
    expect(requireRoles(alice, "admin")?.code).toBe("forbidden");
    expect(requireRoles(null, "admin")?.code).toBe("missing_credentials");
  });
});

describe("claims to principal", () => {
  it("merges scope (space-delimited), scopes and scp; reads roles", () => {
    const principal = claimsToPrincipal(
      { sub: "u", scope: "a  b", scopes: ["b", "c", 7], scp: ["d"], roles: ["r"] },
      { via: "jwt" },
    );
    expect(principal).toMatchObject({
      id: "u",
      type: "user",
      scopes: ["a", "b", "c", "d"],
      roles: ["r"],
    });
  });

  it("is a service when client_id equals sub; an unsigned-for owner_type claim changes nothing", () => {
    expect(claimsToPrincipal({ sub: "app", client_id: "app" }, { via: "jwt" })?.type).toBe(
      "service",
    );
    expect(claimsToPrincipal({ sub: "u", client_id: "app" }, { via: "jwt" })?.type).toBe("user");
    expect(claimsToPrincipal({ sub: "s", owner_type: "service" }, { via: "jwt" })?.type).toBe(
      "user",
    );
  });

  it("a custom toPrincipal shapes the user type", async () => {
    interface Member extends Principal {
      tenant: string;
    }
    const { auth } = makeAuth({
      jwt: {
        toPrincipal: (claims, { via }) =>
          ({
            id: String(claims.sub),
            type: "user",
            via,
            scopes: [],
            roles: [],
            tenant: String(claims.tenant),
          }) satisfies Member,
      },
    });
    const result = await auth.authenticate(
      req({ authorization: `Bearer ${await sign({ tenant: "t1" })}` }),
    );
    expect(result.ok && (result.principal as Member).tenant).toBe("t1");
  });
});
