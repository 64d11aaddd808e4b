// A small Fastify server (4 or 5) guarded by gatehouse (memory key store).
// Start: npm run build && node examples/fastify/server.mjs
import { randomUUID } from "node:crypto";
import Fastify from "fastify";
import { createAuth, hashPassword, memoryKeyStore, verifyPassword } from "gatehouse";
import {
  authenticate,
  getCurrentUser,
  keyRoutes,
  requireAuth,
  requireRoles,
  requireScopes,
  tokenRoutes,
} from "gatehouse/fastify";

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

// Behind a reverse proxy, `Fastify({ trustProxy: … })` makes req.ip the client's address,
// which the key and login throttles count by.
const app = Fastify();
app.addHook("onRequest", authenticate(auth, { optional: true }));
app.get("/", async (req) => ({ hello: getCurrentUser(req)?.id ?? "anonymous" }));
app.get("/me", { preHandler: requireAuth() }, async (req) => getCurrentUser(req));
app.get("/reports", { preHandler: requireScopes("reports:read") }, async () => []);
app.get("/admin", { preHandler: requireRoles("admin") }, async () => ({ ok: true }));
await app.register(keyRoutes(auth), { prefix: "/users/keys" });
await app.register(tokenRoutes(auth, { verifyUser, cookie: "on-request" }), { prefix: "/auth" });
app.addHook("onClose", () => auth.close());

const { key } = await auth.keys.create({
  ownerId: "alice",
  name: "demo",
  scopes: ["reports:read"],
});
const port = Number(process.env.PORT ?? 3003);
await app.listen({ host: "127.0.0.1", port });
const { port: bound } = app.server.address();
console.log(`listening on http://127.0.0.1:${bound}`);
console.log(`try: curl -H "x-api-key: ${key}" http://127.0.0.1:${bound}/me`);
process.on("SIGTERM", () => void app.close());
