/**
 * The NestJS idioms, over HTTP on both platforms: the global guard with `@Public`, a guard
 * per controller, `@CurrentUser` and its types, refusals that Nest's exception layer leaves
 * as the core sent them, and the module's routes behind Nest's default body parsers. The
 * shared behaviours are in behaviours.ts.
 */
import type {
  ArgumentsHost,
  CanActivate,
  ExceptionFilter,
  ExecutionContext,
  Type,
} from "@nestjs/common";
import { Catch, Controller, Get, HttpException, Module, Req, UseGuards } from "@nestjs/common";
import { APP_FILTER, APP_GUARD, BaseExceptionFilter, NestFactory } from "@nestjs/core";
import type { NestApplicationOptions } from "@nestjs/common";
import { ExpressAdapter } from "@nestjs/platform-express";
import { FastifyAdapter } from "@nestjs/platform-fastify";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as ne from "../../adapters/nestjs.js";
import type { AuthError } from "../../src/errors.js";
import type { Principal } from "../../src/types.js";
import { useFixture } from "./fixture.js";
import { listenNest } from "./servers-nestjs.js";

const fx = useFixture();

interface NestAppLike {
  useGlobalFilters(...filters: ExceptionFilter[]): unknown;
  listen(port: number, host: string): Promise<unknown>;
  getHttpServer(): { address(): unknown; closeAllConnections(): void };
  close(): Promise<void>;
}

const platforms = {
  express: () => new ExpressAdapter(),
  fastify: () => new FastifyAdapter(),
} as const;

/** Starts `module` on the platform (Nest's default body parsers on) for the length of `run`. */
async function serve(
  platform: keyof typeof platforms,
  module: Type<unknown>,
  run: (url: string) => Promise<void>,
  setup: (app: NestAppLike) => void = () => undefined,
): Promise<void> {
  const options: NestApplicationOptions = { logger: false };
  const app = (await NestFactory.create(
    module,
    platforms[platform](),
    options,
  )) as unknown as NestAppLike;
  setup(app);
  const running = await listenNest(app);
  try {
    await run(running.url);
  } finally {
    await running.close();
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const PROBLEM = "application/problem+json";

async function problemOf(res: Response) {
  expect(res.headers.get("content-type")).toBe(PROBLEM);
  return (await res.json()) as { status: number; code: string; type: string; title: string };
}

function globalGuardApp(providers: unknown[] = [], onError?: ne.GatehouseModuleOptions["onError"]) {
  @Controller()
  class Routes {
    @Get("open")
    @ne.Public()
    open(@ne.CurrentUser() user: Principal | null) {
      return { user };
    }

    @Get("me")
    me(@ne.CurrentUser() user: Principal) {
      return { id: user.id };
    }

    @Get("id")
    id(@ne.CurrentUser("id") id: string) {
      return { id };
    }

    @Get("by-request")
    byRequest(@Req() req: ne.PlatformRequest) {
      return { id: ne.getCurrentUser(req)?.id ?? null };
    }

    @Get("teapot")
    @ne.Public()
    teapot() {
      throw new HttpException({ brewed: false }, 418);
    }
  }

  @Module({
    imports: [
      ne.GatehouseModule.forRoot(fx.auth, {
        onError,
        keyRoutes: { prefix: "/users/keys" },
        tokenRoutes: { prefix: "/auth", verifyUser: fx.verifyUser, attempts: false },
      }),
    ],
    controllers: [Routes],
    providers: [{ provide: APP_GUARD, useClass: ne.AuthGuard }, ...(providers as [])],
  })
  class AppModule {}
  return AppModule;
}

@Catch()
class CatchAll extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost) {
    super.catch(exception, host);
  }
}

@Catch(ne.AuthRefusal)
class Reshape implements ExceptionFilter<ne.AuthRefusal> {
  catch(refusal: ne.AuthRefusal, host: ArgumentsHost) {
    const res = host.switchToHttp().getResponse<{
      raw?: unknown;
      code?(s: number): { send(b: unknown): void };
      status?(s: number): { json(b: unknown): void };
    }>();
    const body = {
      mine: refusal.error.code,
      challenge: refusal.answer.headers["www-authenticate"],
    };
    if (res.code) res.code(499).send(body);
    else res.status!(499).json(body);
  }
}

for (const platform of Object.keys(platforms) as (keyof typeof platforms)[]) {
  describe(`nestjs ${platform}`, () => {
    it("global guard: a route without a decorator needs a credential; @Public reads none", async () => {
      await serve(platform, globalGuardApp(), async (url) => {
        const refused = await fetch(`${url}/me`);
        expect(refused.status).toBe(401);
        expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="api"');
        const ok = await fetch(`${url}/me`, { headers: bearer(fx.tokens.alice) });
        expect(await ok.json()).toEqual({ id: "alice" });
        // No credential is read on a public route: a bad one is not refused there, and the
        // handler sees no user even with a good one.
        for (const headers of [{}, bearer("not.a.jwt"), bearer(fx.tokens.alice)]) {
          const open = await fetch(`${url}/open`, { headers });
          expect(open.status).toBe(200);
          expect(await open.json()).toEqual({ user: null });
        }
      });
    });

    it("@CurrentUser(field) and getCurrentUser(req) read the same principal", async () => {
      await serve(platform, globalGuardApp(), async (url) => {
        const headers = { "x-api-key": fx.keys.alice };
        expect(await (await fetch(`${url}/id`, { headers })).json()).toEqual({ id: "alice" });
        const byRequest = await fetch(`${url}/by-request`, { headers });
        expect(await byRequest.json()).toEqual({ id: "alice" });
      });
    });

    it("a refusal leaves Nest exactly as the core made it: status, challenge, problem body", async () => {
      await serve(platform, globalGuardApp(), async (url) => {
        const res = await fetch(`${url}/me`, { headers: bearer(fx.tokens.expired) });
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(
          /^Bearer realm="api", error="invalid_token"/,
        );
        const body = await problemOf(res);
        expect(body).toEqual({
          type: "https://gatehouse.dev/errors/token_expired",
          title: expect.any(String) as unknown,
          status: 401,
          detail: expect.any(String) as unknown,
          code: "token_expired",
        });
        // Nest's own shape ({ statusCode, message }) is not added or substituted.
        expect(body).not.toHaveProperty("statusCode");
      });
    });

    it("an app's own catch-all filter (APP_FILTER) does not reshape refusals", async () => {
      const module = globalGuardApp([{ provide: APP_FILTER, useClass: CatchAll }]);
      await serve(platform, module, async (url) => {
        const res = await fetch(`${url}/me`, { headers: bearer(fx.tokens.wrongSignature) });
        expect(res.status).toBe(401);
        expect((await problemOf(res)).code).toBe("invalid_token");
        // Other exceptions still go through Nest's filters as before.
        const teapot = await fetch(`${url}/teapot`);
        expect(teapot.status).toBe(418);
        expect(await teapot.json()).toEqual({ brewed: false });
      });
    });

    it("a filter of the app's own for AuthRefusal reshapes it, with the answer to hand", async () => {
      await serve(
        platform,
        globalGuardApp(),
        async (url) => {
          const res = await fetch(`${url}/me`);
          expect(res.status).toBe(499);
          expect(await res.json()).toEqual({
            mine: "missing_credentials",
            challenge: 'Bearer realm="api"',
          });
        },
        (app) => app.useGlobalFilters(new Reshape()),
      );
    });

    it("onError reshapes refusals; an onError that throws becomes Nest's 500", async () => {
      const teapot = (error: AuthError) => ({
        status: 418,
        headers: { "content-type": "application/json", "x-code": error.code },
        body: { refused: error.code },
      });
      await serve(platform, globalGuardApp([], teapot), async (url) => {
        const res = await fetch(`${url}/me`, { headers: { "x-api-key": fx.keys.unknown } });
        expect(res.status).toBe(418);
        expect(res.headers.get("x-code")).toBe("invalid_api_key");
        expect(await res.json()).toEqual({ refused: "invalid_api_key" });
      });
      const throwing = () => {
        throw new Error("shaping failed");
      };
      await serve(platform, globalGuardApp([], throwing), async (url) => {
        const res = await fetch(`${url}/me`);
        expect(res.status).toBe(500);
        expect(await res.json()).toMatchObject({ statusCode: 500 });
      });
    });

    it("a guard per controller guards that controller only; @Public and class requirements", async () => {
      @Controller("guarded")
      @UseGuards(ne.AuthGuard)
      class Guarded {
        @Get()
        get(@ne.CurrentUser() user: Principal) {
          return { id: user.id };
        }

        @Get("public")
        @ne.Public()
        open() {
          return { open: true };
        }
      }

      @Controller("admin")
      @UseGuards(ne.AuthGuard)
      @ne.Roles("admin")
      class Admin {
        // The class's role still applies: @Public cannot open an admin-only controller.
        @Get("public")
        @ne.Public()
        open() {
          return { open: true };
        }

        @Get("reports")
        @ne.Scopes("reports:read")
        reports() {
          return [];
        }
      }

      // Inherits Admin's role requirement.
      @Controller("sub-admin")
      class SubAdmin extends Admin {}

      @Controller("free")
      class Free {
        @Get()
        get(@ne.CurrentUser() user: Principal | null) {
          return { user };
        }
      }

      @Module({
        imports: [ne.GatehouseModule.forRoot(fx.auth)],
        controllers: [Guarded, Admin, SubAdmin, Free],
      })
      class AppModule {}

      await serve(platform, AppModule, async (url) => {
        expect((await fetch(`${url}/guarded`)).status).toBe(401);
        const ok = await fetch(`${url}/guarded`, { headers: bearer(fx.tokens.alice) });
        expect(await ok.json()).toEqual({ id: "alice" });
        expect((await fetch(`${url}/guarded/public`)).status).toBe(200);
        // No guard: the module alone does not guard anything.
        expect(await (await fetch(`${url}/free`)).json()).toEqual({ user: null });

        for (const base of ["admin", "sub-admin"]) {
          expect((await fetch(`${url}/${base}/public`)).status).toBe(401);
          const alice = await fetch(`${url}/${base}/public`, { headers: bearer(fx.tokens.alice) });
          expect((await problemOf(alice)).code).toBe("forbidden");
          const admin = { headers: bearer(fx.tokens.admin) };
          expect((await fetch(`${url}/${base}/public`, admin)).status).toBe(200);
          expect((await fetch(`${url}/${base}/reports`, admin)).status).toBe(200);
        }
      });
    });

    it("a guard made by hand needs no module; with AuthRefusalFilter the answer is exact", async () => {
      @Controller()
      @UseGuards(new ne.AuthGuard(fx.auth))
      class Routes {
        @Get("me")
        me(@ne.CurrentUser() user: Principal) {
          return { id: user.id };
        }

        @Get("down")
        @ne.UseAuth(fx.downAuth)
        down() {
          return {};
        }
      }
      @Module({ controllers: [Routes] })
      class AppModule {}

      await serve(
        platform,
        AppModule,
        async (url) => {
          const ok = await fetch(`${url}/me`, { headers: { "x-api-key": fx.keys.alice } });
          expect(await ok.json()).toEqual({ id: "alice" });
          const down = await fetch(`${url}/down`, {
            headers: { "x-api-key": fx.keys.onDownStore },
          });
          expect(down.status).toBe(503);
          expect(down.headers.get("retry-after")).toMatch(/^\d+$/);
          expect((await problemOf(down)).code).toBe("unavailable");
        },
        (app) => app.useGlobalFilters(new ne.AuthRefusalFilter()),
      );
    });

    it("the module's routes work behind Nest's default body parsers (JSON and form)", async () => {
      await serve(platform, globalGuardApp(), async (url) => {
        const json = await fetch(`${url}/users/keys`, {
          method: "POST",
          headers: { ...bearer(fx.tokens.alice), "content-type": "application/json" },
          body: JSON.stringify({ name: "from json", scopes: ["reports:read"] }),
        });
        expect(json.status).toBe(201);
        const form = await fetch(`${url}/users/keys`, {
          method: "POST",
          headers: {
            ...bearer(fx.tokens.alice),
            "content-type": "application/x-www-form-urlencoded",
          },
          body: "name=from-a-form",
        });
        expect(form.status).toBe(201);
        expect(await form.json()).toMatchObject({ record: { name: "from-a-form" } });
        const token = await fetch(`${url}/auth/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "grant_type=password&username=alice&password=wonderland",
        });
        expect(token.status).toBe(200);
        expect(await token.json()).toMatchObject({ token_type: "Bearer" });
        // The global guard does not stand in front of the routes: they identify their callers
        // themselves, and a path below the prefix that is none of theirs reaches Nest.
        expect((await fetch(`${url}/users/keys`)).status).toBe(401);
        expect(
          (await fetch(`${url}/auth/other`, { headers: bearer(fx.tokens.alice) })).status,
        ).toBe(404);
      });
    });

    it("a route guarded twice (globally and per controller) is verified once", async () => {
      let calls = 0;
      const counted = {
        keys: fx.auth.keys,
        config: fx.auth.config,
        authenticate: (view: Parameters<typeof fx.auth.authenticate>[0]) => {
          calls += 1;
          return fx.auth.authenticate(view);
        },
      };
      @Controller()
      @UseGuards(ne.AuthGuard)
      class Routes {
        @Get("me")
        me(@ne.CurrentUser() user: Principal) {
          return { id: user.id };
        }
      }
      @Module({
        imports: [ne.GatehouseModule.forRoot(counted)],
        controllers: [Routes],
        providers: [{ provide: APP_GUARD, useClass: ne.AuthGuard }],
      })
      class AppModule {}
      await serve(platform, AppModule, async (url) => {
        const res = await fetch(`${url}/me`, { headers: bearer(fx.tokens.alice) });
        expect(await res.json()).toEqual({ id: "alice" });
        expect(calls).toBe(1);
      });
    });
  });
}

describe("nestjs, outside HTTP", () => {
  it("the guard fails closed on a context that is not HTTP", () => {
    const guard: CanActivate = new ne.AuthGuard(fx.auth);
    const rpc = { getType: () => "rpc" } as unknown as ExecutionContext;
    expect(() => guard.canActivate(rpc)).toThrow(TypeError);
  });

  it("@Scopes() and @Roles() without a name fail when the class is defined", () => {
    expect(() => ne.Scopes()).toThrow(TypeError);
    expect(() => ne.Roles()).toThrow(TypeError);
  });

  it("types: getCurrentUser takes either platform's request and returns the user type", () => {
    interface AppUser extends Principal {
      tenant: string;
    }
    expectTypeOf(ne.getCurrentUser<AppUser>)
      .parameter(0)
      .toEqualTypeOf<ne.PlatformRequest>();
    expectTypeOf(ne.getCurrentUser<AppUser>).returns.toEqualTypeOf<AppUser | null>();
    expectTypeOf(ne.getCurrentUser).returns.toEqualTypeOf<Principal | null>();
    expectTypeOf(ne.CurrentUser).parameter(0).toEqualTypeOf<keyof Principal | undefined>();
    // tokenRoutes is admitted only for an auth that can issue tokens.
    expectTypeOf<ne.GatehouseModuleOptions<typeof fx.auth>["tokenRoutes"]>().not.toBeNever();
    expectTypeOf<
      ne.GatehouseModuleOptions<{
        keys: typeof fx.auth.keys;
        authenticate: typeof fx.auth.authenticate;
      }>["tokenRoutes"]
    >().toEqualTypeOf<undefined>();
  });
});
