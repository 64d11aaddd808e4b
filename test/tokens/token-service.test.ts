import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createTokenIssuer } from "../../src/tokens/token-service.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";

function pair(kind: "ec" | "ed25519" | "rsa"): { privateKey: KeyObject; publicKey: KeyObject } {
  if (kind === "ec") return generateKeyPairSync("ec", { namedCurve: "P-256" });
  if (kind === "rsa") return generateKeyPairSync("rsa", { modulusLength: 2048 });
  return generateKeyPairSync("ed25519");
}

describe("createTokenIssuer with an HMAC secret", () => {
  const issuer = createTokenIssuer({
    algorithms: ["HS256"],
    secret: SECRET,
    issuer: "https://api.example.com",
    audience: "api",
    ttl: "15m",
  });

  it("signs an at+jwt that jose verifies, with every registered claim", async () => {
    const issued = await issuer.issueDetailed({
      sub: "alice",
      scopes: ["reports:read", "reports:write", "reports:read"],
      roles: ["admin"],
      clientId: "app-1",
      keyId: "k1",
    });
    const { payload, protectedHeader } = await jwtVerify(
      issued.token,
      new TextEncoder().encode(SECRET),
      { algorithms: ["HS256"], issuer: "https://api.example.com", audience: "api", typ: "at+jwt" },
    );
    expect(protectedHeader).toEqual({ alg: "HS256", typ: "at+jwt" });
    expect(payload).toMatchObject({
      sub: "alice",
      scope: "reports:read reports:write",
      roles: ["admin"],
      client_id: "app-1",
      key_id: "k1",
    });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload.jti).toBe(issued.jti);
    expect(issued.expiresIn).toBe(900);
    expect(issued.scope).toBe("reports:read reports:write");
    expect(issued.expiresAt.getTime()).toBe(payload.exp! * 1000);
  });

  it("gives every token its own jti", async () => {
    const a = await issuer.issueDetailed({ sub: "alice" });
    const b = await issuer.issueDetailed({ sub: "alice" });
    expect(a.jti).not.toBe(b.jti);
  });

  it("lets extra claims through but never over the registered ones", async () => {
    const token = await issuer.issue({
      sub: "alice",
      scopes: ["a"],
      claims: { tenant: "t1", sub: "mallory", scope: "admin", exp: 9_999_999_999 },
    });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET));
    expect(payload).toMatchObject({ tenant: "t1", sub: "alice", scope: "a" });
    expect(payload.exp).toBeLessThan(9_999_999_999);
  });

  it("honours a per-token ttl", async () => {
    const issued = await issuer.issueDetailed({ sub: "alice", ttl: 60 });
    expect(issued.expiresIn).toBe(60);
  });

  it("publishes no keys", async () => {
    await expect(issuer.jwks()).resolves.toEqual({ keys: [] });
  });

  it("signs with the first secret of a rotation array", async () => {
    const next = "the-next-secret-also-at-least-32-bytes-long";
    const rotating = createTokenIssuer({
      issuer: "https://api.example.com",
      algorithms: ["HS256"],
      secret: [next, SECRET],
    });
    const token = await rotating.issue({ sub: "bob" });
    await expect(jwtVerify(token, new TextEncoder().encode(next))).resolves.toBeTruthy();
    await expect(jwtVerify(token, new TextEncoder().encode(SECRET))).rejects.toThrow();
  });

  it("refuses bad input from the developer with a TypeError", async () => {
    await expect(issuer.issue({ sub: "" })).rejects.toThrow(TypeError);
    await expect(issuer.issue({ sub: "a", scopes: ["two words"] })).rejects.toThrow(TypeError);
    await expect(issuer.issue({ sub: "a", ttl: "3 days" })).rejects.toThrow(/maxLifetime/);
  });
});

describe("createTokenIssuer option checks", () => {
  it.each([
    [{ algorithms: ["HS256"], secret: "short" }, /32 bytes/],
    [{ algorithms: ["ES256"], secret: SECRET }, /HS\*/],
    [{ algorithms: ["HS256"] }, /secret or jwt.privateKey/],
    [{ algorithms: ["HS256"], secret: SECRET, ttl: "soon" }, /jwt.ttl/],
    [{ algorithms: ["HS256"], secret: SECRET, ttl: 0 }, /jwt.ttl/],
    [{ algorithms: ["HS256"], secret: SECRET, ttl: "2d" }, /maxLifetime/],
    [{ algorithms: ["RS256"], privateKey: pair("ec").privateKey }, /ES256/],
    [{ algorithms: ["ES256"], privateKey: "not a pem" }, /privateKey/],
    [{ algorithms: ["ES256"], privateKey: pair("ec").publicKey }, /privateKey/],
  ])("throws for %o", (options, message) => {
    expect(() => createTokenIssuer(options)).toThrow(message);
  });
});

describe.each([
  ["ES256", "ec"],
  ["EdDSA", "ed25519"],
  ["RS256", "rsa"],
] as const)("createTokenIssuer with %s", (alg, kind) => {
  const keys = pair(kind);

  it.each([
    ["a PEM string", keys.privateKey.export({ format: "pem", type: "pkcs8" }) as string],
    ["a KeyObject", keys.privateKey],
  ])("signs with %s and a kid that the JWKS serves", async (_label, privateKey) => {
    const issuer = createTokenIssuer({
      issuer: "https://api.example.com",
      algorithms: [alg],
      privateKey,
      kid: "k-2026",
    });
    const token = await issuer.issue({ sub: "svc", scopes: ["x"] });
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: "at+jwt", kid: "k-2026" });
    const jwks = await issuer.jwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: "k-2026", alg, use: "sig" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: [alg] });
    expect(payload.sub).toBe("svc");
    await expect(jwtVerify(token, keys.publicKey, { algorithms: [alg] })).resolves.toBeTruthy();
  });

  it("takes the kid from a private JWK, or derives the thumbprint", async () => {
    const jwk = { ...(await exportJWK(keys.privateKey)), kid: "from-jwk" };
    const named = createTokenIssuer({
      issuer: "https://api.example.com",
      algorithms: [alg],
      privateKey: jwk,
    });
    expect(decodeProtectedHeader(await named.issue({ sub: "a" })).kid).toBe("from-jwk");

    const unnamed = createTokenIssuer({
      issuer: "https://api.example.com",
      algorithms: [alg],
      privateKey: keys.privateKey,
    });
    const kid = decodeProtectedHeader(await unnamed.issue({ sub: "a" })).kid;
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await unnamed.jwks()).keys[0]?.kid).toBe(kid);
  });
});

describe("key rotation", () => {
  it("serves the old key beside the new one so old tokens keep verifying", async () => {
    const previous = pair("ec");
    const current = pair("ec");
    const before = createTokenIssuer({
      issuer: "https://api.example.com",
      algorithms: ["ES256"],
      privateKey: previous.privateKey,
      kid: "old",
    });
    const oldToken = await before.issue({ sub: "alice" });

    const after = createTokenIssuer({
      issuer: "https://api.example.com",
      algorithms: ["ES256"],
      privateKey: current.privateKey,
      kid: "new",
      publicKey: [{ ...(await exportJWK(previous.publicKey)), kid: "old" }, current.publicKey],
    });
    const jwks = await after.jwks();
    // The current key is listed once even though publicKey repeats it without a kid.
    expect(jwks.keys.map((k) => k.kid)).toEqual(["new", "old"]);
    const newToken = await after.issue({ sub: "alice" });
    const keySet = createLocalJWKSet(jwks);
    await expect(jwtVerify(oldToken, keySet)).resolves.toBeTruthy();
    await expect(jwtVerify(newToken, keySet)).resolves.toBeTruthy();
    expect(decodeProtectedHeader(newToken).kid).toBe("new");
  });

  it("also publishes the keys of a local jwks, without private members", async () => {
    const previous = pair("ed25519");
    const current = pair("ed25519");
    const privateJwk = { ...(await exportJWK(previous.privateKey)), kid: "old" };
    const issuer = createTokenIssuer({
      issuer: "https://api.example.com",
      algorithms: ["EdDSA"],
      privateKey: current.privateKey,
      kid: "new",
      jwks: { keys: [privateJwk] },
    });
    const { keys } = await issuer.jwks();
    expect(keys.map((k) => k.kid)).toEqual(["new", "old"]);
    for (const key of keys) expect(key).not.toHaveProperty("d");
  });
});
