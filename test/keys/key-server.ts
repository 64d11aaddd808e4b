/**
 * An Express 5 server over a real auth, for the key tests that go through HTTP: `GET /me`
 * answers the principal (or the adapter's refusal), the key routes sit at `/users/keys`,
 * the token routes at `/auth`. Stores are memory or SQLite (a file of its own per call).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import * as ex from "../../adapters/express.js";
import { createAuth } from "../../src/create-auth.js";
import type { Auth } from "../../src/options/auth-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import type { TokenRouteOptions } from "../../src/tokens/token-endpoint.js";
import type { AuthEvent, KeyStore } from "../../src/types.js";
import type { ApiKeyOptions } from "../../src/verify/api-key/api-keys.js";
import { withServer } from "../adapters/with-server.js";
import { cheapArgon2 } from "./helpers.js";

export const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";

/** The stores every HTTP key test runs against; each call makes a fresh one. */
export const STORES: ReadonlyArray<{
  name: string;
  open: () => { store: KeyStore; done: () => void };
}> = [
  { name: "memory", open: () => ({ store: memoryKeyStore(), done: () => undefined }) },
  {
    name: "sqlite",
    open: () => {
      const dir = mkdtempSync(join(tmpdir(), "gatehouse-keys-"));
      return {
        store: sqliteKeyStore({ path: join(dir, "keys.db") }),
        done: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

export interface KeyWorld {
  auth: Auth;
  store: KeyStore;
  events: AuthEvent[];
  url: string;
  /** `GET /me` with the key in `x-api-key`. */
  me: (key: string) => Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * Runs `work` against a server over a fresh auth. `onEvent` given: it replaces the
 * recording listener (the events list then stays empty).
 */
export async function withKeyServer(
  storeName: string,
  apiKeys: Partial<ApiKeyOptions>,
  work: (world: KeyWorld) => Promise<void>,
  onEvent?: (event: AuthEvent) => void,
  tokenOptions: TokenRouteOptions = {},
): Promise<void> {
  const opened = STORES.find((s) => s.name === storeName)!.open();
  const events: AuthEvent[] = [];
  const listener = onEvent ?? ((event: AuthEvent) => void events.push(event));
  const auth = createAuth({
    jwt: {
      secret: SECRET,
      algorithms: ["HS256"],
      issuer: "https://api.example.test",
      audience: "api",
      ttl: "15m",
    },
    apiKeys: { hasher: cheapArgon2(), ...apiKeys, store: opened.store },
    onEvent: listener,
  });
  const app = express();
  app.use(express.json());
  app.use(ex.authenticate(auth, { optional: true }));
  app.get("/me", ex.requireAuth(), (req, res) => {
    res.json(ex.getCurrentUser(req));
  });
  app.use("/users/keys", ex.keyRoutes(auth));
  // The auth itself: the token endpoint reports through its onEvent.
  app.use("/auth", ex.tokenRoutes(auth, tokenOptions));
  try {
    await withServer(app, async (url) => {
      await work({
        auth,
        store: opened.store,
        events,
        url,
        me: async (key) => {
          const response = await fetch(`${url}/me`, { headers: { "x-api-key": key } });
          return {
            status: response.status,
            body: (await response.json()) as Record<string, unknown>,
          };
        },
      });
    });
  } finally {
    await auth.close();
    opened.done();
  }
}
