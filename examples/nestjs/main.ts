// A small NestJS server guarded by gatehouse (memory key store; keys vanish on restart), on
// Express by default or on Fastify with PLATFORM=fastify.
// Start from the repository root: node examples/nestjs/start.mjs
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { NestFactory } from "@nestjs/core";
import { ExpressAdapter } from "@nestjs/platform-express";
import { FastifyAdapter } from "@nestjs/platform-fastify";
import { createAuth, hashPassword, memoryKeyStore, verifyPassword } from "../../src/index.js";
import { appModule } from "./app.module.js";

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
async function verifyUser(username: string, password: string) {
  const known = username === alice.id;
  const ok = await verifyPassword(known ? alice.hash : dummyHash, password);
  if (!known || !ok) return null;
  return { id: alice.id, scopes: alice.scopes, roles: alice.roles };
}

const platform = process.env.PLATFORM === "fastify" ? new FastifyAdapter() : new ExpressAdapter();
const app = await NestFactory.create(appModule(auth, verifyUser), platform, { logger: false });
// On Ctrl-C: stop serving, then flush pending last-used writes and release the store.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void app.close().then(() => auth.close());
  });
}

const { key } = await auth.keys.create({
  ownerId: "alice",
  name: "demo",
  scopes: ["reports:read"],
});
await app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1");
const server = app.getHttpServer() as { address(): AddressInfo };
const { port } = server.address();
console.log(`listening on http://127.0.0.1:${port}`);
console.log(`try: curl -H "x-api-key: ${key}" http://127.0.0.1:${port}/me`);
