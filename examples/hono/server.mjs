// A small Hono server (on @hono/node-server) guarded by gatehouse (memory key store).
// Start: npm run build && node examples/hono/server.mjs
import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createAuth, hashPassword, memoryKeyStore, verifyPassword } from "gatehouse";
import {
  authenticate,
  getCurrentUser,
  keyRoutes,
  requireAuth,
  requireRoles,
  requireScopes,
  tokenRoutes,
} from "gatehouse/hono";

// A development secret; set JWT_SECRET (32+ bytes) anywhere else.
const secret = process.env.JWT_SECRET ?? "dev-only-secret-change-me-0123456789abcdef";
const auth = createAuth({
  jwt: { secret, algorithms: ["HS256"], issuer: "http://localhost", audience: "api", ttl: "15m" },
  apiKeys: { store: memoryKeyStore(), header: "x-api-key", prefix: "gh" },
  cookie: { name: "access_token", secure: false }, // plain http on localhost
});

// One demo user; a real app looks users up in its own database.
const alice = {
  id: "alice",
  hash: await hashPassword("wonderland"),
  scopes: ["reports:read"],
  roles: ["admin"],
};
// Unknown names are checked against a hash too, so a login costs the same either way and
// its timing does not tell which usernames exist.
const dummyHash = await hashPassword(randomUUID());
async function verifyUser(username, password) {
  const known = username === alice.id;
  const ok = await verifyPassword(known ? alice.hash : dummyHash, password);
  if (!known || !ok) return null;
  return { id: alice.id, scopes: alice.scopes, roles: alice.roles };
}

const app = new Hono();
app.use("*", authenticate(auth, { optional: true }));
app.get("/", (c) => c.json({ hello: getCurrentUser(c)?.id ?? "anonymous" }));
app.get("/me", requireAuth(), (c) => c.json(getCurrentUser(c)));
app.get("/reports", requireScopes("reports:read"), (c) => c.json([]));
app.get("/admin", requireRoles("admin"), (c) => c.json({ ok: true }));
app.route("/users/keys", keyRoutes(auth));
app.route("/auth", tokenRoutes(auth, { verifyUser, cookie: "on-request" }));

const { key } = await auth.keys.create({
  ownerId: "alice",
  name: "demo",
  scopes: ["reports:read"],
});
const port = Number(process.env.PORT ?? 3002);
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
  console.log(`try: curl -H "x-api-key: ${key}" http://127.0.0.1:${info.port}/me`);
});
process.on("SIGTERM", () => server.close(() => void auth.close()));
