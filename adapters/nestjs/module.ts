/**
 * `GatehouseModule.forRoot(auth, options)`: a global module that provides the auth and the
 * {@link AuthGuard}, and serves the key and token routes when asked to.
 */
import type { DynamicModule, MiddlewareConsumer, NestModule } from "@nestjs/common";
import { Inject, Module } from "@nestjs/common";
import { APP_FILTER } from "@nestjs/core";
import type { AdapterAuth } from "../../src/http/adapter-auth.js";
import type { TokenEndpointAuth } from "../../src/tokens/grants.js";
import { AuthGuard } from "./guard.js";
import type { GatehouseModuleOptions } from "./options.js";
import { GATEHOUSE_AUTH, GATEHOUSE_OPTIONS } from "./options.js";
import { AuthRefusalFilter } from "./refusal.js";
import type { NodeMiddleware } from "./routes.js";
import { keyRoutes, tokenRoutes, wellKnownRoutes } from "./routes.js";
import type { WellKnownAuth } from "../../src/http/well-known.js";

const GATEHOUSE_ROUTES = Symbol("gatehouse.routes");

/**
 * Provides the `Auth` under {@link GATEHOUSE_AUTH} and the {@link AuthGuard} to the whole
 * application (the module is global), registers {@link AuthRefusalFilter}, and serves the
 * key routes and the token endpoint when their options are given:
 *
 * ```ts
 * @Module({
 *   imports: [GatehouseModule.forRoot(auth, {
 *     keyRoutes: { prefix: "/users/keys" },
 *     tokenRoutes: { prefix: "/auth", verifyUser },
 *   })],
 *   providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
 * })
 * export class AppModule {}
 * ```
 */
export class GatehouseModule implements NestModule {
  readonly #routes: readonly NodeMiddleware[];

  /** Made by Nest, with the routes that {@link GatehouseModule.forRoot} was asked to serve. */
  constructor(routes: readonly NodeMiddleware[]) {
    this.#routes = routes;
  }

  /** The module for `imports`: the auth, its options, the guard and the filter, global. */
  static forRoot<A extends AdapterAuth>(
    auth: A,
    options: GatehouseModuleOptions<A> = {},
  ): DynamicModule {
    const routes: NodeMiddleware[] = [];
    if (options.wellKnownRoutes) {
      const known = options.wellKnownRoutes === true ? {} : options.wellKnownRoutes;
      // The options type admits wellKnownRoutes only for an auth with the resolved config.
      routes.push(wellKnownRoutes(auth as A & WellKnownAuth, known));
    }
    if (options.keyRoutes) routes.push(keyRoutes(auth, options.keyRoutes));
    if (options.tokenRoutes) {
      // The options type admits tokenRoutes only for an auth that can issue tokens.
      routes.push(tokenRoutes(auth as A & TokenEndpointAuth, options.tokenRoutes));
    }
    return {
      module: GatehouseModule,
      global: true,
      providers: [
        { provide: GATEHOUSE_AUTH, useValue: auth },
        { provide: GATEHOUSE_OPTIONS, useValue: options },
        { provide: GATEHOUSE_ROUTES, useValue: routes },
        { provide: APP_FILTER, useClass: AuthRefusalFilter },
        AuthGuard,
      ],
      exports: [GATEHOUSE_AUTH, GATEHOUSE_OPTIONS, AuthGuard],
    };
  }

  /** Applies the route middleware to every path; each answers only below its prefix. */
  configure(consumer: MiddlewareConsumer): void {
    if (this.#routes.length > 0) consumer.apply(...this.#routes).forRoutes("*");
  }
}

// As for the guard: no decorator syntax, and the dependency named by its token.
Module({})(GatehouseModule);
Inject(GATEHOUSE_ROUTES)(GatehouseModule, undefined, 0);
