/**
 * The behaviour-table application for the custom-adapter example of
 * docs/writing-an-adapter.md (plain node:http, written with the kit in src/http), with the
 * routes listed in servers.ts.
 */
import { createServer, type RequestListener } from "node:http";
import * as cu from "../../examples/custom-adapter/adapter.js";
import type { Fixture } from "./fixture.js";
import { listen, tokenOptions, type Running } from "./server-parts.js";
import { targetPath } from "../../src/http/route-host.js";

function customApp(fx: Fixture): RequestListener {
  const user: cu.Step = (req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ user: cu.getCurrentUser(req) }));
  };
  const optional = cu.authenticate(fx.auth, { optional: true });
  const required = cu.authenticate(fx.auth);
  const down = cu.authenticate(fx.downAuth);
  const noContent: cu.Step = (_req, res) => {
    res.statusCode = 204;
    res.end();
  };
  const reports: cu.Step = (_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end("[]");
  };
  const routes: Record<string, RequestListener> = {
    "GET /down": cu.chain(down, user),
    "GET /optional": cu.chain(optional, user),
    "GET /me": cu.chain(optional, cu.requireAuth(), user),
    "GET /required": cu.chain(optional, required, user),
    "POST /required": cu.chain(optional, required, user),
    "OPTIONS /required": cu.chain(optional, required, noContent),
    "GET /reports": cu.chain(optional, cu.requireScopes("reports:read"), reports),
    "GET /admin": cu.chain(optional, cu.requireRoles("admin"), user),
  };
  const adminAll = cu.chain(optional, cu.requireRoles("admin"), user);
  const downKeys = cu.chain(down, cu.keyRoutes(fx.downAuth, { prefix: "/down-keys" }));
  const rest = cu.chain(
    optional,
    cu.keyRoutes(fx.auth, { prefix: "/users/keys" }),
    cu.tokenRoutes(fx.auth, { prefix: "/auth", ...tokenOptions(fx) }),
  );
  return (req, res) => {
    const path = targetPath(req.url ?? "/");
    if (path === "/down-keys" || path.startsWith("/down-keys/")) return downKeys(req, res);
    if (path === "/admin-all") return adminAll(req, res);
    return (routes[`${req.method} ${path}`] ?? rest)(req, res);
  };
}

export const customServers: Record<string, (fx: Fixture) => Promise<Running>> = {
  "custom (node:http)": (fx) => listen(createServer(customApp(fx))),
};
