// The application of the NestJS example: one controller behind the global guard, the key
// routes and the token endpoint served by the module. Imported from the sources so that it
// runs from a clone without a build; an app imports "gatehouse" and "gatehouse/nestjs".
import type { DynamicModule } from "@nestjs/common";
import { Controller, Get, Inject, Injectable, Module } from "@nestjs/common";
import { APP_GUARD } from "@nestjs/core";
import type { Auth, Principal, VerifyUser } from "../../src/index.js";
import {
  AuthGuard,
  CurrentUser,
  GATEHOUSE_AUTH,
  GatehouseModule,
  OptionalAuth,
  Roles,
  Scopes,
} from "../../adapters/nestjs.js";

// Injected by token: nothing here depends on emitted decorator metadata.
@Injectable()
class KeysService {
  constructor(@Inject(GATEHOUSE_AUTH) private readonly auth: Auth) {}

  async count(ownerId: string): Promise<number> {
    return (await this.auth.keys.list(ownerId)).items.length;
  }
}

@Controller()
class AppController {
  constructor(@Inject(KeysService) private readonly keys: KeysService) {}

  @Get()
  @OptionalAuth()
  hello(@CurrentUser("id") id: string | undefined) {
    return { hello: id ?? "anonymous" };
  }

  @Get("me")
  async me(@CurrentUser() user: Principal) {
    return { ...user, keys: await this.keys.count(user.id) };
  }

  @Get("reports")
  @Scopes("reports:read")
  reports() {
    return [];
  }

  @Get("admin")
  @Roles("admin")
  admin() {
    return { ok: true };
  }
}

/** The root module for `auth`; `verifyUser` checks the password grant's logins. */
export function appModule(auth: Auth, verifyUser: VerifyUser): DynamicModule {
  return {
    module: AppModule,
    imports: [
      GatehouseModule.forRoot(auth, {
        keyRoutes: { prefix: "/users/keys" },
        tokenRoutes: { prefix: "/auth", verifyUser, cookie: "on-request" },
      }),
    ],
    controllers: [AppController],
    providers: [KeysService, { provide: APP_GUARD, useClass: AuthGuard }],
  };
}

@Module({})
class AppModule {}
