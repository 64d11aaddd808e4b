// A small Express server guarded by gatehouse (memory key store; keys vanish on restart).
// Start: npm run build && node examples/express/server.mjs   (Express 4 or 5)
import { randomUUID } from "node:crypto";
import express from "express";
import { createAuth, hashPassword, memoryKeyStore, verifyPassword } from "gatehouse";
import {
  authenticate,
  getCurrentUser,
  keyRoutes,
  requireAuth,
  requireRoles,
  requireScopes,
  tokenRoutes,
} from "gatehouse/express";

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

const app = express();
app.use(express.json());
app.use(authenticate(auth, { optional: true }));
app.get("/", (req, res) => res.json({ hello: getCurrentUser(req)?.id ?? "anonymous" }));
app.get("/me", requireAuth(), (req, res) => res.json(getCurrentUser(req)));
app.get("/reports", requireScopes("reports:read"), (req, res) => res.json([]));
app.get("/admin", requireRoles("admin"), (req, res) => res.json({ ok: true }));
app.use("/users/keys", keyRoutes(auth));
app.use("/auth", tokenRoutes(auth, { verifyUser, cookie: "on-request" }));

const { key } = await auth.keys.create({
  ownerId: "alice",
  name: "demo",
  scopes: ["reports:read"],
});
const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
  console.log(`try: curl -H "x-api-key: ${key}" http://127.0.0.1:${server.address().port}/me`);
});
process.on("SIGTERM", () => server.close(() => void auth.close()));
