import { SignJWT, type JWTPayload } from "jose";
import { createAuthWith } from "../../src/create-auth.js";
import type { AuthOptions } from "../../src/options/auth-options.js";
import { AuthError } from "../../src/errors.js";
import type { ApiKeys } from "../../src/verify/api-key/api-keys.js";
import type { AuthEvent, Principal } from "../../src/types.js";

export const SECRET = "k2J9xQ7mV4pL1sT8wZ3nB6rY0cF5hD2gA9eU7iO4";
export const ISSUER = "https://api.example.com";
export const AUDIENCE = "api";
export const GOOD_KEY = "gh_goodkey";

export function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** Signs an HS256 access token the way gatehouse's issuer would, with overrides. */
export async function sign(
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
  secret: string = SECRET,
): Promise<string> {
  const iat = now();
  return new SignJWT({ sub: "alice", scope: "reports:read", roles: ["admin"], ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "at+jwt", ...header })
    .setIssuedAt(typeof claims.iat === "number" ? claims.iat : iat)
    .setIssuer(typeof claims.iss === "string" ? claims.iss : ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setExpirationTime(typeof claims.exp === "number" ? claims.exp : iat + 600)
    .sign(new TextEncoder().encode(secret));
}

/** A stand-in key verifier: only `gh_goodkey` is valid. Tests only, never shipped. */
export function stubApiKeys(
  options: { acceptBearer?: boolean; headers?: string[] } = {},
): ApiKeys & {
  calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    headers: options.headers ?? ["x-api-key"],
    acceptBearer: options.acceptBearer ?? false,
    matches: (raw) => raw.startsWith("gh_"),
    // No key stands behind a token here: tokens carrying key_id are refused.
    standing: () => ({ ok: false, reason: "unknown_key" }),
    use: () => ({ ok: true }),
    check(raw) {
      return this.verify(raw);
    },
    verify(raw) {
      calls.push(raw);
      if (raw === GOOD_KEY) {
        const principal: Principal = {
          id: "bob",
          type: "apiKey",
          via: "apiKey",
          scopes: ["keys:read"],
          roles: [],
          key: { id: "k1", name: "ci", ownerId: "bob" },
        };
        return Promise.resolve({ ok: true, principal });
      }
      return Promise.resolve({ ok: false, error: new AuthError("invalid_api_key") });
    },
    manager: undefined as never,
    invalidate: () => undefined,
    close: () => Promise.resolve(),
  };
}

export const jwtOptions = {
  secret: SECRET,
  algorithms: ["HS256"],
  issuer: ISSUER,
  audience: AUDIENCE,
};

type Extra = Partial<Omit<AuthOptions, "jwt" | "apiKeys">> & { jwt?: Partial<AuthOptions["jwt"]> };

/** An auth with HS256 + cookie + the stub key verifier, recording events. */
export function makeAuth(extra: Extra = {}, keys = stubApiKeys()) {
  const events: AuthEvent[] = [];
  const { jwt, ...rest } = extra;
  const auth = createAuthWith(
    {
      jwt: { ...jwtOptions, ...jwt },
      cookie: { name: "access_token" },
      onEvent: (event) => events.push(event),
      ...rest,
    },
    { apiKeys: keys },
  );
  return { auth, events, keys };
}

export function req(headers: Record<string, string> = {}, init: RequestInit = {}): Request {
  return new Request("http://api.test/resource", { ...init, headers });
}
