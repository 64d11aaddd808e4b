/**
 * The custom-adapter example of docs/writing-an-adapter.md answers the whole behaviour table
 * (it runs in adapters.test.ts and attacks.test.ts through servers.ts as well), and a step
 * that fails stays the application's 500, and discovery works as in the shipped adapters.
 */
import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import * as cu from "../../examples/custom-adapter/adapter.js";
import { createAuth } from "../../src/create-auth.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { SECRET, useFixture } from "./fixture.js";
import { listen } from "./server-parts.js";
import { customServers } from "./servers-custom.js";

const fx = useFixture();

describe("custom adapter (node:http)", () => {
  it("is one of the behaviour-table servers", () => {
    expect(Object.keys(customServers)).toEqual(["custom (node:http)"]);
  });

  it("answers a failing handler with a bare 500, and a guard without authenticate too", async () => {
    const failing = cu.chain(cu.authenticate(fx.auth), () => {
      throw new Error("handler bug");
    });
    const unguarded = cu.chain(cu.requireAuth(), (_req, res) => res.end("never"));
    const server = await listen(
      createServer((req, res) => (req.url === "/fail" ? failing : unguarded)(req, res)),
    );
    try {
      const res = await fetch(`${server.url}/fail`, {
        headers: { authorization: `Bearer ${fx.tokens.alice}` },
      });
      expect(res.status).toBe(500);
      expect(res.headers.get("www-authenticate")).toBeNull();
      const misuse = await fetch(`${server.url}/guarded`);
      expect(misuse.status).toBe(500);
      expect(await misuse.text()).toBe("");
    } finally {
      await server.close();
    }
  });

  it("serves the resource metadata that a guard's challenge names", async () => {
    let base = "";
    const made: ReturnType<typeof createAuth>[] = [];
    const server = await listen(
      createServer((req, res) => {
        const auth = made[0]!;
        const optional = cu.authenticate(auth, { optional: true });
        cu.chain(cu.wellKnownRoutes(auth), optional, cu.requireScopes("reports:read"))(req, res);
      }),
    );
    base = server.url;
    const auth = createAuth({
      jwt: { secret: SECRET, algorithms: ["HS256"], issuer: `${base}/`, audience: "api" },
      apiKeys: { store: memoryKeyStore() },
      protectedResource: { resource: `${base}/mcp`, authorizationServers: [`${base}/`] },
    });
    made.push(auth);
    try {
      const token = await auth.tokens.issue({ sub: "alice", scopes: [], roles: [] });
      const refused = await fetch(`${base}/mcp`, { headers: { authorization: `Bearer ${token}` } });
      expect(refused.status).toBe(403);
      const challenge = refused.headers.get("www-authenticate") ?? "";
      const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      expect(metadataUrl).toBe(`${base}/.well-known/oauth-protected-resource/mcp`);
      const served = await fetch(metadataUrl!);
      expect(served.status).toBe(200);
      expect(await served.json()).toMatchObject({ resource: `${base}/mcp` });
    } finally {
      await server.close();
      await auth.close();
    }
  });
});
