/**
 * Which key and algorithm pairs the `node:crypto` signature step takes itself and which it
 * leaves to jose: it must take the ones it checks completely (KeyObjects, and the CryptoKeys
 * a JWKS resolves to, converted once), and hand every other pair to jose, whose verdict or
 * refusal then stands. The remote case runs against a real JWKS server on an ephemeral port.
 */
import { createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  joseSignatureStep,
  nodeKeyFor,
  nodeSignatureStep,
  verifyWithNode,
  type SignatureStep,
  type VerifyKey,
} from "../../src/verify/jwt/jwt-signature.js";
import { createJwtVerifier } from "../../src/verify/jwt/jwt-verifier.js";

const ec256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ec384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
const ed = generateKeyPairSync("ed25519");
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const secret = createSecretKey(randomBytes(32));

const sign = (alg: string, key: KeyObject, claims: Record<string, unknown> = {}) =>
  new SignJWT({ sub: "svc", ...claims })
    .setProtectedHeader({ alg })
    .setAudience("api")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);

describe("nodeKeyFor", () => {
  it("takes KeyObjects that fit the algorithm", () => {
    expect(nodeKeyFor("HS256", secret)).toBe(secret);
    expect(nodeKeyFor("ES256", ec256.publicKey)).toBe(ec256.publicKey);
    expect(nodeKeyFor("ES384", ec384.publicKey)).toBe(ec384.publicKey);
    expect(nodeKeyFor("EdDSA", ed.publicKey)).toBe(ed.publicKey);
    expect(nodeKeyFor("Ed25519", ed.publicKey)).toBe(ed.publicKey);
    for (const alg of ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]) {
      expect(nodeKeyFor(alg, rsa.publicKey)).toBe(rsa.publicKey);
    }
  });

  it("leaves to jose every pair it does not check completely", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    const pss = generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).publicKey;
    const ed448 = generateKeyPairSync("ed448").publicKey;
    const cases: Array<[string, VerifyKey]> = [
      ["ES256", ec384.publicKey], // wrong curve
      ["ES256", ec256.privateKey], // a private key where jose wants a public one
      ["HS256", ec256.publicKey], // a public key as an HMAC secret
      ["RS256", secret],
      ["RS256", small], // under jose's 2048 bits
      ["PS256", pss], // RSA-PSS keys carry their own parameters
      ["EdDSA", ed448], // jose's EdDSA is Ed25519 only
      ["none", secret],
      ["ES256", { kty: "EC" }], // a JWK object
      ["HS256", new Uint8Array(32)],
    ];
    for (const [alg, key] of cases) expect(nodeKeyFor(alg, key), alg).toBeNull();
  });

  it("converts a fitting CryptoKey once, and leaves a CryptoKey imported for another use", async () => {
    const jwk = await exportJWK(ec256.publicKey);
    const cryptoKey = await importJWK(jwk, "ES256");
    const first = nodeKeyFor("ES256", cryptoKey);
    expect(first?.equals(ec256.publicKey)).toBe(true);
    expect(nodeKeyFor("ES256", cryptoKey)).toBe(first);
    const rsaJwk = await exportJWK(rsa.publicKey);
    const forRs384 = await importJWK(rsaJwk, "RS384");
    expect(nodeKeyFor("RS384", forRs384)).not.toBeNull();
    // Imported for SHA-384 PKCS#1: jose refuses it for RS256 and for PS384, so must we.
    expect(nodeKeyFor("RS256", forRs384)).toBeNull();
    expect(nodeKeyFor("PS384", forRs384)).toBeNull();
    const token = await sign("RS256", rsa.privateKey);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const parts = {
      token,
      signingInput: `${header}.${payload}`,
      signature,
    };
    await expect(joseSignatureStep("RS256", forRs384, parts)).rejects.toThrow(TypeError);
    await expect(Promise.resolve(nodeSignatureStep("RS256", forRs384, parts))).rejects.toThrow(
      TypeError,
    );
  });
});

/** The signature step, recording whether node:crypto or jose answered each call. */
function recording(): { step: SignatureStep; paths: string[] } {
  const paths: string[] = [];
  return {
    paths,
    step: (alg, key, parts) => {
      paths.push(nodeKeyFor(alg, key) === null ? "jose" : "node");
      return nodeSignatureStep(alg, key, parts);
    },
  };
}

describe("through the verifier", () => {
  it("static keys of every family go through node:crypto", async () => {
    const otherRsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const cases: Array<[string, KeyObject, KeyObject, KeyObject]> = [
      [
        "ES256",
        ec256.privateKey,
        ec256.publicKey,
        generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
      ],
      ["EdDSA", ed.privateKey, ed.publicKey, generateKeyPairSync("ed25519").privateKey],
      ["RS256", rsa.privateKey, rsa.publicKey, otherRsa],
      ["PS256", rsa.privateKey, rsa.publicKey, otherRsa],
    ];
    for (const [alg, privateKey, publicKey, otherKey] of cases) {
      const { step, paths } = recording();
      const verifier = createJwtVerifier(
        { algorithms: [alg], publicKey, audience: "api" },
        Date.now,
        { signature: step },
      );
      expect((await verifier.verifyNew(await sign(alg, privateKey))).ok, alg).toBe(true);
      const forged = await sign(alg, otherKey);
      expect((await verifier.verifyNew(forged)).ok, alg).toBe(false);
      expect(paths, alg).toEqual(["node", "node"]);
    }
    const { step, paths } = recording();
    const hmac = createJwtVerifier(
      { algorithms: ["HS256"], secret: secret.export(), typ: false },
      Date.now,
      { signature: step },
    );
    expect((await hmac.verifyNew(await sign("HS256", secret))).ok).toBe(true);
    expect(paths).toEqual(["node"]);
  });

  describe("a remote JWKS", () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      const jwk = { ...(await exportJWK(ec256.publicKey)), kid: "a", alg: "ES256" };
      server = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("verifies with the CryptoKey jose resolves, through node:crypto", async () => {
      const { step, paths } = recording();
      const verifier = createJwtVerifier(
        { algorithms: ["ES256"], jwks: url, audience: "api" },
        Date.now,
        { signature: step },
      );
      for (let i = 0; i < 3; i++) {
        const token = await new SignJWT({ sub: `svc-${i}` })
          .setProtectedHeader({ alg: "ES256", kid: "a" })
          .setAudience("api")
          .setExpirationTime("5m")
          .sign(ec256.privateKey);
        const outcome = await verifier.verifyNew(token);
        expect(outcome.ok && outcome.claims.sub).toBe(`svc-${i}`);
      }
      expect(paths).toEqual(["node", "node", "node"]);
      const unsigned = await new SignJWT({ sub: "x" })
        .setProtectedHeader({ alg: "ES256", kid: "a" })
        .setAudience("api")
        .setExpirationTime("5m")
        .sign(ec384.privateKey)
        .catch(() => undefined);
      // A P-384 key cannot make an ES256 token; jose refuses to sign it at all.
      expect(unsigned).toBeUndefined();
      const forged = await new SignJWT({ sub: "x" })
        .setProtectedHeader({ alg: "ES256", kid: "a" })
        .setAudience("api")
        .setExpirationTime("5m")
        .sign(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
      const refused = await verifier.verifyNew(forged);
      expect(!refused.ok && refused.error.detail).toBe("The token signature is invalid.");
    });
  });
});

describe("an HMAC compared as base64url text", () => {
  it("accepts exactly the canonical spelling of the right MAC, for every HS length", async () => {
    for (const alg of ["HS256", "HS384", "HS512"]) {
      const key = createSecretKey(randomBytes(64));
      const token = await sign(alg, key);
      const dot = token.lastIndexOf(".");
      const input = token.slice(0, dot);
      const mac = token.slice(dot + 1);
      expect(verifyWithNode(alg, key, input, mac)).toBe(true);
      const bytes = Buffer.from(mac, "base64url");
      // The same bytes spelled otherwise (padded, standard alphabet) are not the token's text.
      expect(verifyWithNode(alg, key, input, `${mac}=`)).toBe(false);
      expect(verifyWithNode(alg, key, input, bytes.toString("base64"))).toBe(
        bytes.toString("base64") === mac,
      );
      expect(verifyWithNode(alg, key, input, mac.slice(0, -1))).toBe(false);
      expect(verifyWithNode(alg, key, input, "")).toBe(false);
      const flipped = Buffer.from(bytes);
      flipped[flipped.length - 1]! ^= 1;
      expect(verifyWithNode(alg, key, input, flipped.toString("base64url"))).toBe(false);
      expect(verifyWithNode(alg, createSecretKey(randomBytes(64)), input, mac)).toBe(false);
    }
  });
});
