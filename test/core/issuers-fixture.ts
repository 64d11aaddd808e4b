/**
 * Identity providers for the several-issuers tests: each one an RSA key of its own, an
 * issuer, and tokens shaped like the provider's access tokens (the claims each one puts
 * where, as their documentation describes them). A local JWKS is served over HTTP on
 * 127.0.0.1, port 0, never from the internet.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, type JWK, type JWTPayload } from "jose";

export interface Provider {
  issuer: string;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
  /** Signs `claims` (with `iss`, `iat`, `exp` filled in) as this provider would. */
  sign(claims: JWTPayload, header?: Record<string, unknown>, key?: KeyObject): Promise<string>;
}

export function provider(issuer: string, kid: string): Provider {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk: JWK = { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
  return {
    issuer,
    kid,
    privateKey,
    publicKey,
    jwk,
    sign(claims, header = {}, key = privateKey) {
      const iat = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, iat, exp: iat + 600, ...claims })
        .setProtectedHeader({ alg: "RS256", typ: "JWT", kid, ...header })
        .sign(key);
    },
  };
}

/** An Auth0 access token for an API with RBAC on: `permissions` beside `scope`. */
export const auth0Claims = (sub: string, audience: string): JWTPayload => ({
  sub,
  aud: [audience, "https://tenant.eu.auth0.com/userinfo"],
  azp: "spa-client-id",
  scope: "openid profile",
  permissions: ["reports:read", "reports:write"],
});

/** A Keycloak access token: realm roles in `realm_access`, client roles in `resource_access`. */
export const keycloakClaims = (sub: string, audience: string): JWTPayload => ({
  sub,
  aud: audience,
  typ: "Bearer",
  azp: "reports-ui",
  scope: "profile email",
  realm_access: { roles: ["offline_access", "analyst"] },
  resource_access: { [audience]: { roles: ["reports:read"] } },
  preferred_username: "carol",
});

/** A Microsoft Entra ID v2 access token: app `roles`, delegated `scp`. */
export const entraClaims = (sub: string, audience: string): JWTPayload => ({
  sub,
  aud: audience,
  tid: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  oid: "00000000-0000-0000-0000-000000000042",
  azp: "11111111-2222-3333-4444-555555555555",
  scp: "Reports.Read Reports.Write",
  roles: ["Reports.Admin"],
  ver: "2.0",
});

/** A Clerk session token (version 2): no `aud`, the organisation under `o`. */
export const clerkClaims = (sub: string): JWTPayload => ({
  sub,
  azp: "https://app.example.com",
  sid: "sess_2abc",
  v: 2,
  o: { id: "org_2xyz", rol: "admin", slg: "acme", per: "reports:read,reports:write" },
});

/** A JWKS served on 127.0.0.1, counting its fetches. */
export async function serveJwks(keys: JWK[]): Promise<{
  url: string;
  fetches: () => number;
  close(): Promise<void>;
}> {
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    fetches: () => fetches,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
