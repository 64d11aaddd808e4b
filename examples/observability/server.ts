/**
 * An Express server whose gatehouse events reach OpenTelemetry and pino through
 * `observe()`. Register your OpenTelemetry SDK before this module runs (for example with
 * `node --import ./otel-setup.mjs`); without one the API is a no-op and only the logs show.
 */
import express from "express";
import pino from "pino";
import {
  authenticate,
  getCurrentUser,
  keyRoutes,
  requireAuth,
  tokenRoutes,
} from "../../adapters/express.js";
import { createAuth, memoryKeyStore } from "../../src/index.js";
import { observe } from "./observe.js";

const secret = process.env.JWT_SECRET ?? "a-demo-secret-that-is-long-enough-for-hs256!";
const onEvent = observe({ logger: pino({ name: "gatehouse", level: "debug" }) });

const auth = createAuth({
  jwt: { secret, algorithms: ["HS256"], issuer: "http://127.0.0.1:3000", audience: "api" },
  apiKeys: { store: memoryKeyStore(), environment: "test" },
  onEvent,
});

const app = express();
app.use(express.json());
app.use(authenticate(auth, { optional: true }));
app.get("/me", requireAuth(), (req, res) => {
  res.json(getCurrentUser(req));
});
app.use("/users/keys", keyRoutes(auth));
// The token routes report `token_issued` to the listener they are given.
app.use("/auth", tokenRoutes(auth));

const { key } = await auth.keys.create({ ownerId: "alice", name: "demo", scopes: ["keys:write"] });
const port = Number(process.env.PORT ?? 3000);
app.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening on http://127.0.0.1:${port}; alice's key: ${key}\n`);
});
