import { generateKeyPairSync } from "node:crypto";
import { exportJWK } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { startTokenServer, type TokenServer } from "../client/token-server.js";

const issuer = "https://api.test";
const audience = "reports";
const previous = generateKeyPairSync("ec", { namedCurve: "P-256" });
const current = generateKeyPairSync("ec", { namedCurve: "P-256" });

/** Before the rotation: the previous key signs. */
const before = createAuth({
  jwt: { algorithms: ["ES256"], privateKey: previous.privateKey, kid: "2025", issuer, audience },
});
/**
 * After: the current key signs; the previous one still verifies. It is given as a JWK with
 * the kid it signed with, so that JWKS consumers (who look keys up by kid) find it.
 */
const after = createAuth({
  jwt: {
    algorithms: ["ES256"],
    privateKey: current.privateKey,
    kid: "2026",
    publicKey: [{ ...(await exportJWK(previous.publicKey)), kid: "2025" }],
    issuer,
    audience,
  },
});

/** Without explicit kids both sides use the RFC 7638 thumbprint, which matches by itself. */
const unnamedBefore = createAuth({
  jwt: { algorithms: ["ES256"], privateKey: previous.privateKey, issuer, audience },
});
const unnamedAfter = createAuth({
  jwt: {
    algorithms: ["ES256"],
    privateKey: current.privateKey,
    publicKey: previous.publicKey.export({ format: "pem", type: "spki" }) as string,
    issuer,
    audience,
  },
});

const servers: TokenServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

describe("rotation with the core verifier", () => {
  it("accepts tokens of the previous key and of the current one", async () => {
    const oldToken = await before.tokens.issue({ sub: "alice", scopes: ["a"] });
    const newToken = await after.tokens.issue({ sub: "alice", scopes: ["a"] });
    for (const token of [oldToken, newToken]) {
      const result = await after.tokens.verify(token);
      expect(result.ok && result.principal).toMatchObject({ id: "alice", scopes: ["a"] });
    }
    // And the previous setup cannot verify what the new key signs.
    const refused = await before.tokens.verify(newToken);
    expect(refused.ok).toBe(false);
  });
});

describe("the JWKS route over HTTP", () => {
  it("serves keys that a verifier configured with only the JWKS URL accepts", async () => {
    const server = await startTokenServer(after);
    servers.push(server);
    const jwksUrl = `${server.url}/auth/.well-known/jwks.json`;

    const response = await fetch(jwksUrl);
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((k) => k.kid)).toEqual(["2026", "2025"]);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
      expect(key).not.toHaveProperty("d");
    }

    const remote = createAuth({ jwt: { algorithms: ["ES256"], jwks: jwksUrl, issuer, audience } });
    const oldToken = await before.tokens.issue({ sub: "bob" });
    const newToken = await after.tokens.issue({ sub: "carol" });
    const [oldResult, newResult] = await Promise.all([
      remote.tokens.verify(oldToken),
      remote.tokens.verify(newToken),
    ]);
    expect(oldResult.ok && oldResult.principal.id).toBe("bob");
    expect(newResult.ok && newResult.principal.id).toBe("carol");
  });

  it("matches thumbprint kids when no kid is configured", async () => {
    const server = await startTokenServer(unnamedAfter);
    servers.push(server);
    const remote = createAuth({
      jwt: {
        algorithms: ["ES256"],
        jwks: `${server.url}/auth/.well-known/jwks.json`,
        issuer,
        audience,
      },
    });
    const result = await remote.tokens.verify(await unnamedBefore.tokens.issue({ sub: "dave" }));
    expect(result.ok && result.principal.id).toBe("dave");
  });
});
