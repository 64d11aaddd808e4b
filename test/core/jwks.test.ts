import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwtVerifier } from "../../src/verify/jwt/jwt-verifier.js";

const a = generateKeyPairSync("ec", { namedCurve: "P-256" });
const b = generateKeyPairSync("ec", { namedCurve: "P-256" });
const jwkOf = (key: typeof a.publicKey, kid: string) => ({ ...key.export({ format: "jwk" }), kid });
const signWith = (key: typeof a.privateKey, kid?: string) =>
  new SignJWT({ sub: "svc" })
    .setProtectedHeader({ alg: "ES256", ...(kid ? { kid } : {}) })
    .setAudience("api")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);

describe("asymmetric keys", () => {
  it("a local JWKS with two keys verifies both, by kid and without one", async () => {
    const verifier = createJwtVerifier({
      algorithms: ["ES256"],
      jwks: { keys: [jwkOf(a.publicKey, "a"), jwkOf(b.publicKey, "b")] },
      audience: "api",
    });
    expect((await verifier.verify(await signWith(a.privateKey, "a"))).ok).toBe(true);
    expect((await verifier.verify(await signWith(b.privateKey, "b"))).ok).toBe(true);
    expect((await verifier.verify(await signWith(b.privateKey))).ok).toBe(true);
    const wrongKid = await verifier.verify(await signWith(b.privateKey, "a"));
    expect(!wrongKid.ok && wrongKid.error.code).toBe("invalid_token");
  });
});

describe("remote JWKS", () => {
  let server: Server;
  let url: string;
  let fetches = 0;
  let up = true;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      if (!up) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwkOf(a.publicKey, "a")] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("fetches once, verifies, and refuses an unknown kid without refetching in the cool-down", async () => {
    const verifier = createJwtVerifier({ algorithms: ["ES256"], jwks: url, audience: "api" });
    expect((await verifier.verify(await signWith(a.privateKey, "a"))).ok).toBe(true);
    const before = fetches;
    const unknown = await verifier.verify(await signWith(b.privateKey, "zzz"));
    expect(!unknown.ok && unknown.error.code).toBe("invalid_token");
    expect(fetches - before).toBeLessThanOrEqual(1);
  });

  it("an unreachable JWKS is unavailable, never a 401", async () => {
    up = false;
    const verifier = createJwtVerifier({ algorithms: ["ES256"], jwks: url, audience: "api" });
    const result = await verifier.verify(await signWith(a.privateKey, "a"));
    expect(!result.ok && result.error.code).toBe("unavailable");
    up = true;
  });
});
