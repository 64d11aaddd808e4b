/* global Deno */
// A Deno server guarded by gatehouse:
//   deno run --allow-net --allow-env --allow-read --allow-ffi examples/fetch/deno/server.js
import { createAuth, memoryKeyStore } from "npm:gatehouse";
import { getCurrentUser, keyRoutes, tokenRoutes, withAuth } from "npm:gatehouse/fetch";

const auth = createAuth({
  jwt: {
    secret: Deno.env.get("JWT_SECRET"),
    algorithms: ["HS256"],
    issuer: "http://localhost",
    audience: "api",
    ttl: "15m",
  },
  apiKeys: { store: memoryKeyStore() },
});

// Deno passes the connection info after the request: the peer's address is in it.
const clientAddress = (_req, info) => info.remoteAddr.hostname;

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

Deno.serve({ port: Number(Deno.env.get("PORT") ?? 3000) }, async (req, info) => {
  const { pathname } = new URL(req.url);
  if (pathname === "/me") return me(req, info);
  if (pathname === "/reports") return reports(req, info);
  return (
    (await keys(req, info)) ??
    (await tokens(req, info)) ??
    new Response("not found", { status: 404 })
  );
});
console.log(`try: curl http://localhost:3000/me -H "x-api-key: ${key}"`);
