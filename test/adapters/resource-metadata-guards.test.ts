/**
 * With `protectedResource`, a guard's own refusal (not only the core's) names the metadata
 * URL in its challenge (RFC 9728 §5.1), on the adapters whose guards answer through their
 * framework's exception layer: NestJS on both platforms, and the fetch adapter's guards.
 * Express, Koa and Hono are covered in well-known.test.ts.
 */
import { Controller, Get, Module } from "@nestjs/common";
import { APP_GUARD } from "@nestjs/core";
import { afterAll, describe, expect, it } from "vitest";
import * as fe from "../../adapters/fetch.js";
import * as ne from "../../adapters/nestjs.js";
import { createAuth } from "../../src/create-auth.js";
import type { Auth } from "../../src/options/auth-options.js";
import type { Running } from "./server-parts.js";
import { serveFetch } from "./servers-fetch.js";
import { nestExpress, nestFastify } from "./servers-nestjs.js";

const RESOURCE = "https://api.example.test/mcp";
const METADATA = "https://api.example.test/.well-known/oauth-protected-resource/mcp";

const auth: Auth = createAuth({
  jwt: {
    secret: "a-test-secret-that-is-long-enough-for-hs256!",
    algorithms: ["HS256"],
    issuer: "https://api.example.test/",
    audience: RESOURCE,
  },
  protectedResource: { resource: RESOURCE, authorizationServers: ["https://api.example.test/"] },
});
afterAll(() => auth.close());

function nestModule() {
  @Controller()
  class Routes {
    @Get("reports")
    @ne.Scopes("reports:read")
    reports() {
      return [];
    }
  }
  @Module({
    imports: [ne.GatehouseModule.forRoot(auth)],
    controllers: [Routes],
    providers: [{ provide: APP_GUARD, useClass: ne.AuthGuard }],
  })
  class AppModule {}
  return AppModule;
}

const fetchApp = fe.withAuth(auth, () => Response.json([]), { scopes: ["reports:read"] });

const servers: Record<string, () => Promise<Running>> = {
  "nestjs express": () => nestExpress(nestModule()),
  "nestjs fastify": () => nestFastify(nestModule()),
  fetch: () => serveFetch((req) => fetchApp(req)),
};

describe.each(Object.entries(servers))("%s", (_name, start) => {
  it("names the metadata URL in the 401 of an anonymous request and the 403 of a guard", async () => {
    const server = await start();
    try {
      const anonymous = await fetch(`${server.url}/reports`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toContain(
        `resource_metadata="${METADATA}"`,
      );
      const token = await auth.tokens.issue({ sub: "alice", scopes: ["other"] });
      const scoped = await fetch(`${server.url}/reports`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(scoped.status).toBe(403);
      const challenge = scoped.headers.get("www-authenticate") ?? "";
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toContain(`resource_metadata="${METADATA}"`);
    } finally {
      await server.close();
    }
  });
});
