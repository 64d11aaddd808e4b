/**
 * The behaviour-table application for the nestjs adapter, on the Express and the Fastify
 * platform: the routes of servers.ts as one controller behind the global guard, the key and
 * token routes served by the module, and the down auth's key routes applied as middleware.
 */
import type { AddressInfo } from "node:net";
import type { DynamicModule, MiddlewareConsumer, NestModule, Type } from "@nestjs/common";
import { All, Controller, Get, HttpCode, Module, Options, Post } from "@nestjs/common";
import { APP_GUARD, NestFactory } from "@nestjs/core";
import { ExpressAdapter, type NestExpressApplication } from "@nestjs/platform-express";
import { FastifyAdapter, type NestFastifyApplication } from "@nestjs/platform-fastify";
import * as ne from "../../adapters/nestjs.js";
import type { Principal } from "../../src/types.js";
import type { Fixture } from "./fixture.js";
import { tokenOptions, type Running } from "./server-parts.js";

type User = Principal | null;

export function nestAppModule(fx: Fixture): Type<unknown> {
  @Controller()
  class Routes {
    @Get("down")
    @ne.UseAuth(fx.downAuth)
    down(@ne.CurrentUser() user: User) {
      return { user };
    }

    @Get("optional")
    @ne.OptionalAuth()
    optional(@ne.CurrentUser() user: User) {
      return { user };
    }

    @Get("me")
    me(@ne.CurrentUser() user: User) {
      return { user };
    }

    @Get("required")
    required(@ne.CurrentUser() user: User) {
      return { user };
    }

    @Post("required")
    @HttpCode(200)
    requiredPost(@ne.CurrentUser() user: User) {
      return { user };
    }

    @Options("required")
    @HttpCode(204)
    preflight() {}

    @Get("reports")
    @ne.Scopes("reports:read")
    reports() {
      return [];
    }

    @Get("admin")
    @ne.Roles("admin")
    admin(@ne.CurrentUser() user: User) {
      return { user };
    }

    @All("admin-all")
    @ne.Roles("admin")
    adminAll(@ne.CurrentUser() user: User) {
      return { user };
    }
  }

  @Module({
    imports: [
      ne.GatehouseModule.forRoot(fx.auth, {
        keyRoutes: { prefix: "/users/keys" },
        tokenRoutes: { prefix: "/auth", ...tokenOptions(fx) },
      }),
    ],
    controllers: [Routes],
    providers: [{ provide: APP_GUARD, useClass: ne.AuthGuard }],
  })
  class AppModule implements NestModule {
    configure(consumer: MiddlewareConsumer) {
      consumer.apply(ne.keyRoutes(fx.downAuth, { prefix: "/down-keys" })).forRoutes("*");
    }
  }
  return AppModule;
}

interface NestApp {
  listen(port: number, host: string): Promise<unknown>;
  getHttpServer(): { address(): unknown; closeAllConnections(): void };
  close(): Promise<void>;
}

export async function listenNest(app: NestApp): Promise<Running> {
  await app.listen(0, "127.0.0.1");
  const server = app.getHttpServer();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await app.close();
    },
  };
}

/** Nest on Express, with only a JSON parser in front, as the Express application has. */
export async function nestExpress(module: Type<unknown> | DynamicModule): Promise<Running> {
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), {
    logger: false,
    bodyParser: false,
  });
  app.useBodyParser("json");
  return listenNest(app);
}

export async function nestFastify(module: Type<unknown> | DynamicModule): Promise<Running> {
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), {
    logger: false,
  });
  return listenNest(app);
}

export const nestServers: Record<string, (fx: Fixture) => Promise<Running>> = {
  "nestjs express": (fx) => nestExpress(nestAppModule(fx)),
  "nestjs fastify": (fx) => nestFastify(nestAppModule(fx)),
};
