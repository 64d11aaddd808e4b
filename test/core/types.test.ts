/** Compile-time checks of the public types; the runtime assertions keep vitest honest. */
import { describe, expect, expectTypeOf, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import type { Auth, AuthOptions } from "../../src/options/auth-options.js";
import type { AuthResult, Principal } from "../../src/types.js";
import { jwtOptions } from "./helpers.js";

interface Member extends Principal {
  tenant: string;
}

describe("public types", () => {
  it("AuthOptions needs jwt or apiKeys", () => {
    // @ts-expect-error neither jwt nor apiKeys
    const none: AuthOptions = { realm: "x" };
    expect(() => createAuth(none)).toThrow(TypeError);
    expectTypeOf<{ jwt: typeof jwtOptions }>().toExtend<AuthOptions>();
  });

  it("createAuth<TUser> carries the user type to authenticate and tokens.verify", () => {
    const auth = createAuth<Member>({
      jwt: {
        ...jwtOptions,
        toPrincipal: (claims, { via }) => ({
          id: String(claims.sub),
          type: "user",
          via,
          scopes: [],
          roles: [],
          tenant: "t",
        }),
      },
    });
    expectTypeOf(auth).toEqualTypeOf<Auth<Member>>();
    expectTypeOf<ReturnType<typeof auth.authenticate>>().toEqualTypeOf<
      Promise<AuthResult<Member>>
    >();
    expectTypeOf<ReturnType<typeof auth.tokens.verify>>().toEqualTypeOf<
      Promise<AuthResult<Member>>
    >();
    expect(auth.config.realm).toBe("api");
  });

  it("auth.config is read-only", () => {
    const auth = createAuth({ jwt: jwtOptions });
    expect(() => {
      // @ts-expect-error config is readonly
      auth.config.realm = "other";
    }).toThrow(TypeError);
  });
});
