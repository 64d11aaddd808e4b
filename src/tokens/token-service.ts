/**
 * Issuing access tokens: `createAuth` builds one issuer from `options.jwt` and exposes it as
 * `auth.tokens` beside the core's verifier. jose's `SignJWT` is called here and nowhere
 * else. Tokens follow RFC 9068 (`typ: at+jwt`) so that the verifier can tell an access token
 * from any other JWT signed with the same key, and every one carries the claims §2.2 makes
 * required: `iss exp aud sub client_id iat jti`.
 */
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { Seconds } from "../types.js";
import type { JwtOptions } from "../options/jwt-options.js";
import { toSeconds } from "../options/durations.js";
import { hasScopeSyntax } from "../manage/key-input.js";
import { buildPublicJwks, thumbprintOf, type PublicJwk } from "./public-jwks.js";
import { resolveSigningKey } from "./signing-key.js";

/** What {@link TokenIssuer.issue} signs. */
export interface IssueInput {
  /** The subject (`sub`): who the token speaks for; required, non-empty. */
  sub: string;
  /** Scopes, sent space-delimited as the `scope` claim; RFC 6749 scope-tokens. Default `[]`. */
  scopes?: readonly string[];
  /** Roles, sent as the `roles` claim (duplicates dropped). Default `[]`. */
  roles?: readonly string[];
  /** Overrides `jwt.ttl` for this token: seconds or a span such as `"5m"`. */
  ttl?: string | Seconds;
  /** Extra claims. They never override the registered ones or those listed above. */
  claims?: Record<string, unknown>;
  /**
   * Becomes the `client_id` claim (RFC 9068 §2.2): the client the token was minted for.
   * Default: {@link keyId} when given (the key is the client that asked), else
   * `"gatehouse:app"`, the application itself; a default equal to {@link sub} is a
   * `TypeError`. Equal to `sub`, it marks a token with no separate resource owner, which the
   * default `toPrincipal` reads as a `service`.
   */
  clientId?: string;
  /** Becomes the `key_id` claim: the API key the token was exchanged for. */
  keyId?: string;
}

/** An issued token with the facts the token endpoint answers with. */
export interface IssuedToken {
  /** The compact JWT. Security: a bearer credential; never log it. */
  token: string;
  /** Its lifetime, in seconds (`expires_in`). */
  expiresIn: Seconds;
  /** When it expires (its `exp`). */
  expiresAt: Date;
  /** Space-delimited scopes carried by the token. */
  scope: string;
  /** The `jti` claim, for revocation lists and logs. */
  jti: string;
}

/** Issues access tokens with the configured signing key; `auth.tokens` builds on it. */
export interface TokenIssuer {
  /** Signs an access token (`typ: at+jwt`) and resolves to the compact JWT. */
  issue(input: IssueInput): Promise<string>;
  /** The same, with the lifetime facts the token endpoint answers with. */
  issueDetailed(input: IssueInput): Promise<IssuedToken>;
  /** The public keys (asymmetric setups) with `kid`, `alg` and `use: "sig"`; empty for HMAC. */
  jwks(): Promise<{
    /** The public keys, signing key first. */
    keys: PublicJwk[];
  }>;
  /** The default lifetime of issued tokens, in seconds (`jwt.ttl`, default 15 minutes). */
  readonly ttl: Seconds;
  /** The signing algorithm. */
  readonly alg: string;
}

/**
 * The `client_id` of a token the application mints itself (`auth.tokens.issue` without
 * `clientId` or `keyId`). RFC 9068 wants a client in every token; here the client is the
 * application. Its shape (a colon, a `gatehouse` prefix) is meant never to be a user id:
 * `client_id === sub` reads as a service token, and issuing with this default for a `sub`
 * equal to it is a `TypeError`.
 */
export const DIRECT_CLIENT_ID = "gatehouse:app";

/** The lifetime of issued access tokens when `jwt.ttl` is not given. */
export const DEFAULT_TTL: Seconds = 15 * 60;
/** The verifier's default `maxLifetime`: a longer token would be issued and then refused. */
const DEFAULT_MAX_LIFETIME: Seconds = 24 * 60 * 60;
/** Claims the issuer sets itself; `claims` may not replace them. */
const RESERVED = new Set([
  "sub",
  "iat",
  "exp",
  "nbf",
  "jti",
  "iss",
  "aud",
  "scope",
  "roles",
  "client_id",
  "key_id",
]);

function scopeString(scopes: readonly string[]): string {
  for (const scope of scopes) {
    if (!hasScopeSyntax(scope)) {
      throw new TypeError(
        `gatehouse: scope ${JSON.stringify(scope)} is not an RFC 6749 scope-token`,
      );
    }
  }
  return [...new Set(scopes)].join(" ");
}

/** A lifetime of zero would issue tokens that are expired on arrival. */
function positiveSeconds(
  value: string | Seconds | undefined,
  option: string,
  fallback: Seconds,
): Seconds {
  const seconds = toSeconds(value, option, fallback);
  if (seconds <= 0) throw new TypeError(`gatehouse: ${option} must be longer than 0 seconds`);
  return seconds;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

/**
 * `iss` is the first accepted issuer. There is no default: the issuer identifies this
 * authorization server to every verifier, and a made-up value would be the same for every
 * deployment. Without one no conformant token can be minted, so issuing is refused.
 */
function issuerClaim(jwt: JwtOptions): string {
  const first = Array.isArray(jwt.issuer) ? (jwt.issuer as unknown[])[0] : jwt.issuer;
  if (!nonEmpty(first)) {
    throw new TypeError(
      'gatehouse: issuing tokens needs jwt.issuer (e.g. "https://api.example.com"): ' +
        "RFC 9068 access tokens always name their issuer in iss",
    );
  }
  return first;
}

/**
 * `aud` is `jwt.audience` when set; otherwise (unset or `false`) the issuer itself: a token
 * this server mints without a named audience is meant for the API the issuer serves.
 */
function audienceClaim(jwt: JwtOptions, issuer: string): string | string[] {
  const { audience } = jwt;
  if (audience === undefined || audience === false) return issuer;
  const list: unknown[] = Array.isArray(audience) ? audience : [audience];
  if (list.length === 0 || !list.every(nonEmpty)) {
    throw new TypeError(
      "gatehouse: jwt.audience must be a non-empty string, a non-empty list of them, or false",
    );
  }
  return audience;
}

/** Builds the issuer from the `jwt` option; throws a `TypeError` naming a bad option. */
export function createTokenIssuer(jwt: JwtOptions): TokenIssuer {
  const signing = resolveSigningKey(jwt);
  const ttl = positiveSeconds(jwt.ttl, "jwt.ttl", DEFAULT_TTL);
  const maxLifetime = positiveSeconds(jwt.maxLifetime, "jwt.maxLifetime", DEFAULT_MAX_LIFETIME);
  if (ttl > maxLifetime) {
    throw new TypeError("gatehouse: jwt.ttl exceeds jwt.maxLifetime; the verifier would refuse");
  }
  const issuer = issuerClaim(jwt);
  const audience = audienceClaim(jwt, issuer);

  // The thumbprint is async in jose; derive it once and share the promise.
  let kid: Promise<string | undefined> | undefined;
  const resolveKid = (): Promise<string | undefined> =>
    (kid ??=
      signing.kid !== undefined || signing.publicKey === undefined
        ? Promise.resolve(signing.kid)
        : thumbprintOf(signing.publicKey));
  let jwks: Promise<{ keys: PublicJwk[] }> | undefined;

  async function issueDetailed(input: IssueInput): Promise<IssuedToken> {
    if (typeof input.sub !== "string" || input.sub === "") {
      throw new TypeError("gatehouse: tokens.issue needs a non-empty sub");
    }
    const lifetime = positiveSeconds(input.ttl, "ttl", ttl);
    if (lifetime > maxLifetime) {
      throw new TypeError("gatehouse: ttl exceeds jwt.maxLifetime; the verifier would refuse");
    }
    for (const name of ["clientId", "keyId"] as const) {
      if (input[name] !== undefined && !nonEmpty(input[name])) {
        throw new TypeError(`gatehouse: tokens.issue ${name} must be a non-empty string`);
      }
    }
    const clientId = input.clientId ?? input.keyId ?? DIRECT_CLIENT_ID;
    if (input.clientId === undefined && clientId === input.sub) {
      throw new TypeError(
        `gatehouse: tokens.issue for sub ${JSON.stringify(input.sub)} needs an explicit ` +
          "clientId: the default client_id equals the sub, which reads as a service token",
      );
    }
    const scope = scopeString(input.scopes ?? []);
    const jti = randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + lifetime;

    const payload: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input.claims ?? {})) {
      if (!RESERVED.has(name)) payload[name] = value;
    }
    payload.scope = scope;
    payload.roles = [...new Set(input.roles ?? [])];
    payload.client_id = clientId;
    if (input.keyId !== undefined) payload.key_id = input.keyId;

    const keyId = await resolveKid();
    const builder = new SignJWT(payload)
      .setProtectedHeader({ alg: signing.alg, typ: "at+jwt", ...(keyId ? { kid: keyId } : {}) })
      .setSubject(input.sub)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .setIssuer(issuer)
      .setAudience(audience);
    const token = await builder.sign(signing.key);
    return { token, expiresIn: lifetime, expiresAt: new Date(exp * 1000), scope, jti };
  }

  return {
    ttl,
    alg: signing.alg,
    issueDetailed,
    async issue(input) {
      return (await issueDetailed(input)).token;
    },
    jwks() {
      jwks ??= resolveKid().then((signingKid) => buildPublicJwks(jwt, signing, signingKid));
      return jwks;
    },
  };
}
