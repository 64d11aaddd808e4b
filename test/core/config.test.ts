import { generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import type { JwtOptions } from "../../src/options/jwt-options.js";
import { SECRET } from "./helpers.js";

const jwt = (options: Partial<JwtOptions>) => () =>
  createAuth({ jwt: { algorithms: ["HS256"], secret: SECRET, ...options } });

const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ecPem = ec.publicKey.export({ type: "spki", format: "pem" }).toString();

describe("createAuth refuses unsafe JWT configuration", () => {
  it.each([
    ["no algorithm list", { algorithms: undefined }, /jwt.algorithms is required/],
    ["an empty algorithm list", { algorithms: [] }, /jwt.algorithms is required/],
    ["none in the list", { algorithms: ["HS256", "none"] }, /never contain "none"/],
    ["None in any case", { algorithms: ["NONE"] }, /never contain "none"/],
    ["an unknown algorithm", { algorithms: ["HS1"] }, /unsupported algorithm/],
    ["HMAC mixed with asymmetric", { algorithms: ["HS256", "RS256"] }, /mixes HMAC/],
    ["a 31-byte secret", { secret: "x".repeat(20) + "abcdefghijk" }, /31 bytes/],
    ["a secret of one repeated byte", { secret: "a".repeat(64) }, /repeated/],
    ["a short pattern repeated", { secret: "secret12".repeat(8) }, /repeated/],
    ["HS512 with a 32-byte secret", { algorithms: ["HS512"] }, /at least 64/],
    ["a weak secret in a rotation list", { secret: [SECRET, "short"] }, /jwt.secret\[1\]/],
    ["HS256 without a secret", { secret: undefined }, /jwt.secret is required/],
    [
      "a secret with asymmetric algorithms",
      { algorithms: ["ES256"] },
      /symmetric\) cannot be used/,
    ],
    ["a public key with HMAC", { publicKey: ecPem }, /asymmetric key/],
  ])("%s", (_name, options, message) => {
    expect(jwt(options as Partial<JwtOptions>)).toThrow(TypeError);
    expect(jwt(options as Partial<JwtOptions>)).toThrow(message);
  });

  it("refuses an RSA key under 2048 bits", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(() =>
      createAuth({ jwt: { algorithms: ["RS256"], publicKey: small.publicKey } }),
    ).toThrow(/under 2048 bits/);
  });

  it("refuses a key that fits none of the algorithms", () => {
    expect(() => createAuth({ jwt: { algorithms: ["RS256"], publicKey: ecPem } })).toThrow(
      /cannot verify any of jwt.algorithms/,
    );
  });

  it("refuses a JWK meant for encryption and an oct JWK", () => {
    const jwk = ec.publicKey.export({ format: "jwk" });
    expect(() =>
      createAuth({ jwt: { algorithms: ["ES256"], jwks: { keys: [{ ...jwk, use: "enc" }] } } }),
    ).toThrow(/use "enc"/);
    expect(() =>
      createAuth({ jwt: { algorithms: ["ES256"], publicKey: { kty: "oct", k: "AAAA" } } }),
    ).toThrow(/oct/);
  });

  it("refuses a plain-http remote JWKS except on localhost", () => {
    expect(() =>
      createAuth({
        jwt: { algorithms: ["ES256"], jwks: "http://issuer.example/jwks.json", audience: "api" },
      }),
    ).toThrow(/https/);
    expect(() =>
      createAuth({
        jwt: { algorithms: ["ES256"], jwks: "http://localhost:1/jwks.json", audience: "api" },
      }),
    ).not.toThrow();
  });

  it("refuses a malformed duration, naming the option", () => {
    expect(jwt({ maxLifetime: "forever" })).toThrow(/jwt.maxLifetime/);
  });

  it("accepts a strong setup and derives the public key from privateKey", async () => {
    const auth = createAuth({
      jwt: { algorithms: ["ES256"], privateKey: ec.privateKey, issuer: "me" },
    });
    const token = await auth.tokens.issue({ sub: "alice" });
    const result = await auth.tokens.verify(token);
    expect(result.ok && result.principal.id).toBe("alice");
  });

  it("verify-only setups (publicKey) still build; issuing rejects", async () => {
    const auth = createAuth({ jwt: { algorithms: ["ES256"], publicKey: ecPem, audience: "api" } });
    expect(auth.config.jwt.typ).toBeUndefined();
    await expect(auth.tokens.issue({ sub: "a" })).rejects.toThrow();
  });
});

describe("the audience with only foreign keys", () => {
  const otherApi = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const tenantKey = otherApi.publicKey.export({ format: "jwk" });
  /** What one identity provider mints for two APIs of the same tenant, under one key. */
  const mint = (aud: string) =>
    new SignJWT({ sub: "alice" })
      .setProtectedHeader({ alg: "ES256" })
      .setAudience(aud)
      .setExpirationTime("5m")
      .sign(otherApi.privateKey);

  it.each([
    ["a public key", { publicKey: ecPem }],
    ["a local JWKS", { jwks: { keys: [tenantKey] } }],
    ["a JWKS URL", { jwks: "https://idp.example/.well-known/jwks.json" }],
    ["several public keys", { publicKey: [ecPem, tenantKey] }],
  ])("is required with %s: TypeError naming the opt-out", (_name, keys) => {
    expect(() => createAuth({ jwt: { algorithms: ["ES256"], ...keys } })).toThrow(TypeError);
    expect(() => createAuth({ jwt: { algorithms: ["ES256"], ...keys } })).toThrow(
      /jwt.audience is required with only foreign keys.*audience: false/,
    );
  });

  it("is optional with this server's own key", () => {
    expect(jwt({})).not.toThrow();
    expect(() =>
      createAuth({ jwt: { algorithms: ["ES256"], privateKey: ec.privateKey, publicKey: ecPem } }),
    ).not.toThrow();
  });

  it.each([
    ["an empty string", ""],
    ["an empty list", []],
    ["a list with an empty entry", ["api", ""]],
    ["true", true],
  ])("refuses %s as the audience", (_name, audience) => {
    expect(() =>
      createAuth({
        jwt: { algorithms: ["ES256"], publicKey: ecPem, audience: audience as string },
      }),
    ).toThrow(/jwt.audience must be/);
  });

  it("with an audience, accepts the tokens minted for it and refuses the tenant's others", async () => {
    const auth = createAuth({
      jwt: { algorithms: ["ES256"], jwks: { keys: [tenantKey] }, audience: "reports" },
    });
    expect(auth.config.jwt.audience).toBe("reports");
    expect((await auth.tokens.verify(await mint("reports"))).ok).toBe(true);
    const foreign = await auth.tokens.verify(await mint("billing"));
    expect(!foreign.ok && foreign.error.detail).toMatch(/audience/);
  });

  it("audience: false opts out and accepts a token minted for any API of the tenant", async () => {
    const auth = createAuth({
      jwt: { algorithms: ["ES256"], jwks: { keys: [tenantKey] }, audience: false },
    });
    for (const aud of ["reports", "billing"]) {
      const result = await auth.tokens.verify(await mint(aud));
      expect(result.ok && result.principal.id).toBe("alice");
    }
  });
});
