/* global Bun */
// A Bun server guarded by gatehouse: bun run examples/fetch/bun/server.js
import { createAuth, memoryKeyStore } from "gatehouse";
import { getCurrentUser, keyRoutes, tokenRoutes, withAuth } from "gatehouse/fetch";

const auth = createAuth({
  jwt: {
    secret: process.env.JWT_SECRET,
    algorithms: ["HS256"],
    issuer: "http://localhost",
    audience: "api",
    ttl: "15m",
  },
  apiKeys: { store: memoryKeyStore() },
});

// Bun passes the server after the request; it knows the peer's address.
const clientAddress = (req, server) => server.requestIP(req)?.address;

const me = withAuth(auth, (req) => Response.json(getCurrentUser(req)), { clientAddress });
const reports = withAuth(auth, () => Response.json([]), {
  scopes: ["reports:read"],
  clientAddress,
});
const keys = keyRoutes(auth, { prefix: "/users/keys", clientAddress });
const tokens = tokenRoutes(auth, { prefix: "/auth", clientAddress });

const { key } = await auth.keys.create({
  ownerId: "alice",
  name: "demo",
  scopes: ["reports:read"],
});

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  async fetch(req, server) {
    const { pathname } = new URL(req.url);
    if (pathname === "/me") return me(req, server);
    if (pathname === "/reports") return reports(req, server);
    return (
      (await keys(req, server)) ??
      (await tokens(req, server)) ??
      new Response("not found", { status: 404 })
    );
  },
});
console.log(`listening on ${server.url}`);
console.log(`try: curl ${server.url}me -H "x-api-key: ${key}"`);
