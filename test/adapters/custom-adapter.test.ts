/**
 * The custom-adapter example of docs/writing-an-adapter.md answers the whole behaviour table
 * (it runs in adapters.test.ts and attacks.test.ts through servers.ts as well), and a step
 * that fails stays the application's 500.
 */
import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import * as cu from "../../examples/custom-adapter/adapter.js";
import { useFixture } from "./fixture.js";
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
});
