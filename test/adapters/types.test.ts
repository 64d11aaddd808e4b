/**
 * Compile-time checks of the adapters' typing (the runtime assertions are trivial; the
 * point is that this file type-checks, and the @ts-expect-error lines stay errors).
 */
import type { Context } from "hono";
import type { ParameterizedContext } from "koa";
import type { Request } from "express";
import { describe, expect, it } from "vitest";
import type { Principal } from "../../src/types.js";
import * as ex from "../../adapters/express.js";
import * as ko from "../../adapters/koa.js";
import * as ho from "../../adapters/hono.js";

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(value: T) => value;

interface AppUser extends Principal {
  tenant: string;
}

describe("adapter types", () => {
  it("Koa: State<TUser> types getCurrentUser", () => {
    const read = (ctx: ParameterizedContext<ko.State<AppUser>>) => ko.getCurrentUser(ctx);
    assertType<Equals<ReturnType<typeof read>, AppUser | null>>(true);
    expect(typeof read).toBe("function");
  });

  it("Hono: Variables<TUser> types getCurrentUser", () => {
    const read = (c: Context<{ Variables: ho.Variables<AppUser> }>) => ho.getCurrentUser(c);
    assertType<Equals<ReturnType<typeof read>, AppUser | null>>(true);
    const _untyped = (c: Context) => ho.getCurrentUser(c);
    assertType<Equals<ReturnType<typeof _untyped>, Principal | null>>(true);
    expect(typeof read).toBe("function");
  });

  it("Express: an explicit type argument, Principal by default", () => {
    const read = (req: Request) => ex.getCurrentUser<AppUser>(req);
    assertType<Equals<ReturnType<typeof read>, AppUser | null>>(true);
    const _plain = (req: Request) => ex.getCurrentUser(req);
    assertType<Equals<ReturnType<typeof _plain>, Principal | null>>(true);
    // @ts-expect-error a user type must be a Principal
    ex.getCurrentUser<{ name: string }>({} as Request);
    expect(typeof read).toBe("function");
  });
});
