/**
 * The behaviour-table application (the routes of servers.ts) in Fastify's idiom, for
 * Fastify 5 and 4. The down routes sit beside an encapsulated scope that holds the global
 * optional `authenticate`, as in the other apps they come before it.
 */
import type { RequestListener } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fastify5 from "fastify";
import fastify4 from "fastify4";
import * as fa from "../../adapters/fastify.js";
import type { Fixture } from "./fixture.js";
import { tokenOptions, type Running } from "./server-parts.js";

const user = (request: FastifyRequest) => ({ user: fa.getCurrentUser(request) });

/** The application's routes on `app`; exported for the Fastify-specific tests. */
export async function fastifyRoutes(app: FastifyInstance, fx: Fixture): Promise<void> {
  app.get("/down", { onRequest: fa.authenticate(fx.downAuth) }, user);
  await app.register(
    async (down) => {
      down.addHook("onRequest", fa.authenticate(fx.downAuth));
      await down.register(fa.keyRoutes(fx.downAuth));
    },
    { prefix: "/down-keys" },
  );
  await app.register(async (main) => {
    main.addHook("onRequest", fa.authenticate(fx.auth, { optional: true }));
    main.get("/optional", user);
    main.get("/me", { preHandler: fa.requireAuth() }, user);
    main.get("/required", { onRequest: fa.authenticate(fx.auth) }, user);
    main.post("/required", { onRequest: fa.authenticate(fx.auth) }, user);
    main.options(
      "/required",
      { onRequest: fa.authenticate(fx.auth) },
      (_request, reply: FastifyReply) => reply.code(204).send(),
    );
    main.get("/reports", { preHandler: fa.requireScopes("reports:read") }, () => []);
    main.get("/admin", { preHandler: fa.requireRoles("admin") }, user);
    main.all("/admin-all", { preHandler: fa.requireRoles("admin") }, user);
    await main.register(fa.keyRoutes(fx.auth), { prefix: "/users/keys" });
    await main.register(fa.tokenRoutes(fx.auth, tokenOptions(fx)), { prefix: "/auth" });
  });
}

/** Listens on 127.0.0.1, port 0; close does not wait for idle keep-alive connections. */
export async function listenFastify(app: FastifyInstance): Promise<Running> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

/**
 * An app as a plain request listener, for the tests that serve each framework through
 * `withServer`: requests wait for the app to be ready, then go to Fastify's router.
 */
export function fastifyListener(app: FastifyInstance): RequestListener {
  const ready = app.ready();
  return (req, res) => {
    void ready.then(() => app.routing(req, res));
  };
}

async function start(make: typeof fastify5, fx: Fixture): Promise<Running> {
  const app = make();
  await fastifyRoutes(app, fx);
  return listenFastify(app);
}

export const fastifyServers: Record<string, (fx: Fixture) => Promise<Running>> = {
  "fastify 5": (fx) => start(fastify5, fx),
  "fastify 4": (fx) => start(fastify4, fx),
};
