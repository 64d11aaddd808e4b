/**
 * Every access token gatehouse issues is an RFC 9068 JWT access token: a token of each grant,
 * minted through the real token endpoint, passes oauth4webapi's resource-server validation
 * (`validateJwtAccessToken`: `typ: at+jwt`, a signature by a key of the issuer's JWKS, and
 * `iss exp aud sub client_id iat jti` present, typed, and `iss`/`aud` as expected).
 */
import { generateKeyPairSync } from "node:crypto";
import { decodeJwt } from "jose";
import * as oauth from "oauth4webapi";
import { beforeAll, describe, expect, it } from "vitest";
import type { Auth } from "../../src/options/auth-options.js";
import { createAuth } from "../../src/create-auth.js";
import type { JwtOptions } from "../../src/options/jwt-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { createTokenEndpoint, type TokenEndpoint } from "../../src/tokens/token-endpoint.js";
import { DIRECT_CLIENT_ID } from "../../src/tokens/token-service.js";
import { basic, post, routeRequest, verifyUser } from "./endpoint-fixture.js";

const ISSUER = "https://api.test";
const AUDIENCE = "reports-api";
const JWKS_URI = `${ISSUER}/auth/.well-known/jwks.json`;
const signing = generateKeyPairSync("ec", { namedCurve: "P-256" });

function makeAuth(jwt: Partial<JwtOptions> = {}): Auth {
  return createAuth({
    jwt: {
      algorithms: ["ES256"],
      privateKey: signing.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      ...jwt,
    },
    apiKeys: { store: memoryKeyStore() },
  });
}

/** Validates as a resource server would, fetching the JWKS from the endpoint's own route. */
async function validate(
  endpoint: TokenEndpoint,
  token: string,
  audience: string = AUDIENCE,
): Promise<oauth.JWTAccessTokenClaims> {
  const as: oauth.AuthorizationServer = { issuer: ISSUER, jwks_uri: JWKS_URI };
  const request = new Request(`${ISSUER}/reports`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return oauth.validateJwtAccessToken(as, request, audience, {
    signingAlgorithms: ["ES256"],
    async [oauth.customFetch](url) {
      expect(url).toBe(JWKS_URI);
      const answer = await endpoint.handle(routeRequest("GET", "/.well-known/jwks.json"));
      return Response.json(answer?.body, { status: answer?.status ?? 404 });
    },
  });
}

const REQUIRED = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] as const;

function accessToken(answer: Awaited<ReturnType<TokenEndpoint["handle"]>>): string {
  expect(answer?.status).toBe(200);
  const token = (answer?.body as { access_token?: unknown }).access_token;
  expect(typeof token).toBe("string");
  return token as string;
}

describe("RFC 9068: a token of each grant, through the token endpoint", () => {
  let auth: Auth;
  let endpoint: TokenEndpoint;
  let userKey: string;
  let userKeyId: string;
  let serviceKey: string;
  let serviceKeyId: string;

  beforeAll(async () => {
    auth = makeAuth();
    endpoint = createTokenEndpoint(auth, { verifyUser, attempts: false });
    const user = await auth.keys.create({ ownerId: "alice", name: "cli", scopes: ["r:read"] });
    userKey = user.key;
    userKeyId = user.record.id;
    const service = await auth.keys.create({
      ownerId: "billing-service",
      ownerType: "service",
      name: "billing",
      scopes: ["invoices:read"],
    });
    serviceKey = service.key;
    serviceKeyId = service.record.id;
  });

  // grant, request, expected sub, expected client_id (the table of docs/tokens.md)
  const grants = [
    [
      "refresh_token (an API key)",
      () => post("/token", { grant_type: "refresh_token", refresh_token: userKey }),
      "alice",
      () => userKeyId,
    ],
    [
      "client_credentials in the body",
      () =>
        post("/token", {
          grant_type: "client_credentials",
          client_id: serviceKeyId,
          client_secret: serviceKey,
        }),
      "billing-service",
      () => serviceKeyId,
    ],
    [
      "client_credentials with HTTP Basic",
      () =>
        post(
          "/token",
          { grant_type: "client_credentials" },
          { headers: { authorization: basic(serviceKeyId, serviceKey) } },
        ),
      "billing-service",
      () => serviceKeyId,
    ],
    [
      "client_credentials as the app_token JSON shape",
      () => post("/token", { grantType: "app_token", AppId: serviceKeyId, AppSecret: serviceKey }),
      "billing-service",
      () => serviceKeyId,
    ],
    [
      "password",
      () =>
        post("/token", { grant_type: "password", username: "alice", password: "correct horse" }),
      "user-alice",
      () => "gatehouse:password",
    ],
  ] as const;

  it.each(grants)("%s", async (_grant, request, sub, clientId) => {
    const token = accessToken(await endpoint.handle(request()));
    const claims = await validate(endpoint, token);
    for (const claim of REQUIRED) expect(claims).toHaveProperty(claim);
    expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub, client_id: clientId() });
    // The claims are gatehouse's own too: the core accepts what a resource server accepts.
    const verified = await auth.tokens.verify(token);
    expect(verified.ok && verified.principal.id).toBe(sub);
  });

  it("a token the application issues directly, without clientId", async () => {
    const token = await auth.tokens.issue({ sub: "alice", scopes: ["r:read"] });
    const claims = await validate(endpoint, token);
    expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, client_id: DIRECT_CLIENT_ID });
    const verified = await auth.tokens.verify(token);
    expect(verified.ok && verified.principal).toMatchObject({ id: "alice", type: "user" });
  });
});

describe("RFC 9068 defaults when issuing", () => {
  it("aud is the issuer when jwt.audience is unset or false", async () => {
    for (const audience of [undefined, false] as const) {
      const auth = makeAuth({ audience });
      const endpoint = createTokenEndpoint(auth);
      const token = await auth.tokens.issue({ sub: "alice" });
      const claims = await validate(endpoint, token, ISSUER);
      expect(claims.aud).toBe(ISSUER);
    }
  });

  it("iss is the first accepted issuer, aud every accepted audience", async () => {
    const auth = makeAuth({ issuer: [ISSUER, "https://old.api.test"], audience: ["a", "b"] });
    const claims = decodeJwt(await auth.tokens.issue({ sub: "alice" }));
    expect(claims).toMatchObject({ iss: ISSUER, aud: ["a", "b"] });
    await expect(
      validate(createTokenEndpoint(auth), await auth.tokens.issue({ sub: "x" }), "b"),
    ).resolves.toBeTruthy();
  });

  it("without jwt.issuer, createAuth still verifies but issuing is a TypeError", async () => {
    const auth = makeAuth({ issuer: undefined });
    await expect(auth.tokens.issue({ sub: "alice" })).rejects.toThrow(TypeError);
    await expect(auth.tokens.issue({ sub: "alice" })).rejects.toThrow(/jwt.issuer/);
    // The token routes refuse the configuration when they are mounted, not at the first login.
    expect(() => createTokenEndpoint(auth, { verifyUser, attempts: false })).toThrow(/issuer/);
    // Verifying needs no issuer: a token of the same key, minted elsewhere, still passes.
    const verified = await auth.tokens.verify(await makeAuth().tokens.issue({ sub: "alice" }));
    expect(verified.ok).toBe(true);
  });

  it("client_id is clientId, else keyId, else the documented default", async () => {
    const auth = makeAuth();
    const claimsOf = async (input: Parameters<Auth["tokens"]["issue"]>[0]) =>
      decodeJwt(await auth.tokens.issue(input));
    expect((await claimsOf({ sub: "alice", clientId: "portal" })).client_id).toBe("portal");
    expect((await claimsOf({ sub: "alice", keyId: "k1" })).client_id).toBe("k1");
    expect((await claimsOf({ sub: "alice", clientId: "portal", keyId: "k1" })).client_id).toBe(
      "portal",
    );
    expect((await claimsOf({ sub: "alice" })).client_id).toBe(DIRECT_CLIENT_ID);
  });

  it("never makes a user token look like a service token by default", async () => {
    const auth = makeAuth();
    // client_id === sub reads as a service: only an explicit clientId may say so.
    await expect(auth.tokens.issue({ sub: DIRECT_CLIENT_ID })).rejects.toThrow(/explicit clientId/);
    await expect(auth.tokens.issue({ sub: "k9", keyId: "k9" })).rejects.toThrow(
      /explicit clientId/,
    );
    const service = await auth.tokens.issue({ sub: "cron", clientId: "cron" });
    const verified = await auth.tokens.verify(service);
    expect(verified.ok && verified.principal.type).toBe("service");
  });

  it("refuses an empty clientId or keyId", async () => {
    const auth = makeAuth();
    await expect(auth.tokens.issue({ sub: "a", clientId: "" })).rejects.toThrow(/clientId/);
    await expect(auth.tokens.issue({ sub: "a", keyId: "" })).rejects.toThrow(/keyId/);
  });
});
