/**
 * The request path, in the order the design draws it: normalise → pick one credential by
 * precedence → (CSRF for the cookie) → verify → principal. `createAuth` is this with the
 * real API-key module; tests reach {@link createAuthWith} to plug a stub key verifier in.
 * Not exported from the package.
 */
import type { Auth, AuthConfig, AuthOptions, AuthTokens } from "./auth-options.js";
import { withCachedAuthenticate, type CachedAuthenticate } from "./cached-authenticate.js";
import { checkCsrf, resolveCsrf } from "./csrf.js";
import { AuthError, presentedAs } from "./errors.js";
import {
  pickCredential,
  type CredentialSlot,
  type PickedCredential,
} from "./extract/pick-credential.js";
import { toRequestView } from "./extract/request-view.js";
import { toSeconds } from "./jwt/durations.js";
import { createJwtVerifier, type JwtOutcome, type JwtVerifier } from "./jwt/jwt-verifier.js";
import type { CachedToken } from "./jwt/token-cache.js";
import { createApiKeys, type ApiKeys, type KeyManager } from "./keys/api-keys.js";
import { KEYS_WRITE_SCOPE } from "./keys/grant-rules.js";
import { claimsToPrincipal, keyDerivedPrincipal, type ToPrincipal } from "./principal.js";
import type { KeyStanding } from "./keys/key-state.js";
import type { ClientAddress } from "./keys/key-verifier.js";
import { resolveCookieOption } from "./tokens/token-cookie.js";
import { createLazyIssuer } from "./tokens-facade.js";
import type { AuthEvent, AuthResult, CredentialSource, Principal, RequestView } from "./types.js";

export interface AuthParts {
  /** Replaces `createApiKeys(options.apiKeys)`; tests only. */
  apiKeys?: ApiKeys;
  now?: () => number;
}

const SOURCE_OF_SLOT: Readonly<Record<CredentialSlot, CredentialSource>> = {
  bearer: "jwt",
  "bearer-key": "apiKey",
  "api-key-header": "apiKey",
  cookie: "cookie",
};

function unconfiguredKeys(): KeyManager {
  const refuse = (): Promise<never> =>
    Promise.reject(new TypeError("gatehouse: auth.keys needs the apiKeys option of createAuth"));
  return {
    writeScope: KEYS_WRITE_SCOPE,
    create: refuse,
    list: refuse,
    get: refuse,
    update: refuse,
    delete: refuse,
    rotate: refuse,
    admin: { get: refuse, list: refuse, update: refuse, delete: refuse, rotate: refuse },
  };
}

function checkOptions(options: AuthOptions<Principal>): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("gatehouse: createAuth needs an options object");
  }
  if (options.jwt === undefined && options.apiKeys === undefined) {
    throw new TypeError("gatehouse: createAuth needs at least one of the jwt and apiKeys options");
  }
  if (options.cookie !== undefined && options.cookie !== false && options.jwt === undefined) {
    throw new TypeError("gatehouse: the cookie option carries a JWT and needs the jwt option");
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== "function") {
    throw new TypeError("gatehouse: onEvent must be a function");
  }
}

/** The one place a value-or-promise answer is mapped: in this tick when it is ready. */
function settleWith<T, U>(
  value: T | Promise<T>,
  map: (ready: T) => U | Promise<U>,
): U | Promise<U> {
  // `then` flattens a map that itself answers with a promise.
  return value instanceof Promise ? value.then<U>(map) : map(value);
}

export function createAuthWith<TUser extends Principal = Principal>(
  options: AuthOptions<TUser>,
  parts: AuthParts = {},
): Auth<TUser> {
  checkOptions(options);
  const onEvent = options.onEvent;
  const emit = (event: AuthEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A failing logger must not change the answer.
    }
  };

  const jwt: JwtVerifier | null =
    options.jwt === undefined ? null : createJwtVerifier(options.jwt, parts.now);
  const now = parts.now ?? options.apiKeys?.now ?? Date.now;
  // Without a custom mapper the user type is Principal itself, so the default's result is TUser.
  const toPrincipal = (options.jwt?.toPrincipal ?? claimsToPrincipal) as (
    ...args: Parameters<ToPrincipal>
  ) => TUser | null;
  const apiKeys: ApiKeys | null =
    parts.apiKeys ??
    (options.apiKeys === undefined
      ? null
      : createApiKeys(options.apiKeys, onEvent === undefined ? {} : { onEvent: emit }));
  const acceptBearer = apiKeys?.acceptBearer === true;
  const cookie = resolveCookieOption(options.cookie);
  const csrf = resolveCsrf(options.csrf, cookie.enabled);
  const apiKeyHeaders = Object.freeze((apiKeys?.headers ?? []).map((name) => name.toLowerCase()));
  const extractConfig = {
    apiKeyHeaders,
    cookieName: cookie.enabled ? cookie.name : null,
    bearerIsApiKey:
      acceptBearer && apiKeys !== null ? (raw: string) => apiKeys.matches(raw) : undefined,
  };
  const issuer = createLazyIssuer(options.jwt);

  const config: AuthConfig = Object.freeze({
    realm: options.realm ?? "api",
    cookie,
    csrf,
    apiKeys: Object.freeze({ enabled: apiKeys !== null, headers: apiKeyHeaders, acceptBearer }),
    jwt: Object.freeze({
      enabled: jwt !== null,
      algorithms: Object.freeze([...(jwt?.settings.algorithms ?? [])]),
      issuer: options.jwt?.issuer,
      audience: options.jwt?.audience === false ? undefined : options.jwt?.audience,
      ttl: toSeconds(options.jwt?.ttl, "jwt.ttl", 15 * 60),
      typ: jwt?.settings.typ,
    }),
  });

  function failed(source: CredentialSource | "none", error: AuthError): AuthResult<TUser> {
    // Without a listener no event object is built: this runs for every refused request.
    if (onEvent === undefined) return { ok: false, error };
    if (error.code === "unavailable") {
      if (source !== "none") emit({ type: "unavailable", source, reason: error.detail });
    } else {
      emit({ type: "failed", source, code: error.code, reason: error.detail });
    }
    return { ok: false, error };
  }

  /** Synchronous for a cached token (see {@link JwtVerifier.verify}). */
  function verifyToken(
    token: string,
    via: "jwt" | "cookie",
  ): AuthResult<TUser> | Promise<AuthResult<TUser>> {
    if (jwt === null) {
      return failed(
        via,
        new AuthError("invalid_token", { detail: "Bearer tokens are not accepted here." }),
      );
    }
    const settle = (outcome: JwtOutcome): AuthResult<TUser> | Promise<AuthResult<TUser>> =>
      outcome.ok ? admitToken(outcome.claims, outcome.entry, via) : failed(via, outcome.error);
    const outcome = jwt.verify(token);
    return settleWith(outcome, settle);
  }

  /**
   * Claims that verified → the answer. The answer is kept in the token's cache entry, so a
   * repeated token is mapped once and its later requests allocate nothing here. A token
   * minted from an API key (`key_id`) is answered only while that key stands, and holds at
   * most what the key holds now; its answer is kept beside the key's standing, so it is
   * dropped whenever the key changes.
   */
  function admitToken(
    claims: Readonly<Record<string, unknown>>,
    entry: CachedToken | undefined,
    via: "jwt" | "cookie",
  ): AuthResult<TUser> | Promise<AuthResult<TUser>> {
    const keyId = claims.key_id;
    if (keyId !== undefined) return admitKeyToken(claims, entry, via, keyId);
    let result = entry?.results[via] as AuthResult<TUser> | undefined;
    if (result === undefined) {
      const mapped = mapClaims(claims, via);
      if (!mapped.ok) return mapped;
      result = mapped;
      if (entry !== undefined) entry.results[via] = result;
    }
    if (onEvent !== undefined && result.ok) {
      emit({ type: "authenticated", source: via, principalId: result.principal.id });
    }
    return result;
  }

  function mapClaims(
    claims: Readonly<Record<string, unknown>>,
    via: "jwt" | "cookie",
  ): AuthResult<TUser> {
    const principal = toPrincipal(claims, { via });
    if (principal === null) {
      return failed(
        via,
        new AuthError("invalid_token", { detail: "The token has no subject (sub)." }),
      );
    }
    return Object.freeze({ ok: true as const, principal });
  }

  const keyGone = (via: "jwt" | "cookie"): AuthResult<TUser> =>
    failed(
      via,
      new AuthError("invalid_token", {
        detail: "The API key this token was minted from is no longer valid.",
      }),
    );

  // Per standing object, so that a changed key (a new standing) maps its tokens anew.
  const keyTokenResults = new WeakMap<object, WeakMap<CachedToken, AuthResult<TUser>>>();

  function admitKeyToken(
    claims: Readonly<Record<string, unknown>>,
    entry: CachedToken | undefined,
    via: "jwt" | "cookie",
    keyId: unknown,
  ): AuthResult<TUser> | Promise<AuthResult<TUser>> {
    // Without the key store the key cannot be checked, so the token cannot be trusted.
    if (typeof keyId !== "string" || keyId === "" || apiKeys === null) return keyGone(via);
    const settle = (standing: KeyStanding): AuthResult<TUser> => {
      if (!standing.ok) {
        if (standing.reason !== "unavailable") return keyGone(via);
        return failed(via, new AuthError("unavailable", { retryAfter: 1, cause: standing.cause }));
      }
      const at = now();
      const iat = typeof claims.iat === "number" ? claims.iat * 1000 : -Infinity;
      if (
        (standing.expiresAt !== null && standing.expiresAt <= at) ||
        (standing.disabledAt !== null && iat <= standing.disabledAt) ||
        claims.sub !== standing.facts.ownerId
      ) {
        return keyGone(via);
      }
      let perToken = keyTokenResults.get(standing);
      let result = entry === undefined ? undefined : perToken?.get(entry);
      if (result === undefined) {
        const mapped = mapClaims(claims, via);
        if (!mapped.ok) return mapped;
        result = Object.freeze({
          ok: true as const,
          principal: keyDerivedPrincipal(mapped.principal, standing.facts),
        });
        if (entry !== undefined) {
          if (perToken === undefined) keyTokenResults.set(standing, (perToken = new WeakMap()));
          perToken.set(entry, result);
        }
      }
      if (onEvent !== undefined && result.ok) {
        emit({ type: "authenticated", source: via, principalId: result.principal.id, keyId });
      }
      return result;
    };
    const standing = apiKeys.standing(keyId);
    return settleWith(standing, settle);
  }

  /** Synchronous when the key cache decides (see {@link ApiKeys.check}). */
  function verifyKey(
    raw: string,
    client: ClientAddress | undefined,
  ): AuthResult<TUser> | Promise<AuthResult<TUser>> {
    if (apiKeys === null) {
      return {
        ok: false,
        error: new AuthError("invalid_api_key", { detail: "API keys are not accepted here." }),
      };
    }
    // The key module reports its own events (it was given `emit`).
    return apiKeys.check(raw, client) as AuthResult<TUser> | Promise<AuthResult<TUser>>;
  }

  const asBearer = (result: AuthResult<TUser>): AuthResult<TUser> =>
    result.ok ? result : { ok: false, error: presentedAs(result.error, "Bearer") };

  /** No credential, or one too malformed to verify. */
  function unusable(
    picked: Extract<PickedCredential, { kind: "none" | "invalid" }>,
  ): AuthResult<TUser> {
    if (picked.kind === "none") return { ok: false, error: new AuthError("missing_credentials") };
    return failed(
      SOURCE_OF_SLOT[picked.slot],
      new AuthError("invalid_request", {
        detail: picked.detail,
        ...(picked.slot === "api-key-header" ? { scheme: "ApiKey" as const } : {}),
      }),
    );
  }

  /**
   * The decision, made once per request: synchronous whenever the request and the caches
   * settle it (no credential, a malformed one, a CSRF refusal, a token or key verified
   * before), a promise when a signature, the store or the hasher must be asked. Throws only
   * what a user's `toPrincipal` throws.
   */
  function decide(
    view: RequestView,
    picked: PickedCredential,
  ): AuthResult<TUser> | Promise<AuthResult<TUser>> {
    switch (picked.kind) {
      case "none":
      case "invalid":
        return unusable(picked);
      case "apiKey":
        // The view, not its address: `ip` is read only if the key is not cached (Express
        // computes req.ip from the proxy settings on every read).
        if (picked.slot !== "bearer-key") return verifyKey(picked.raw, view);
        // A key sent as a Bearer token is refused with a Bearer challenge: the client used
        // that scheme, so that is the one it can read.
        return settleWith(verifyKey(picked.raw, view), asBearer);
      case "jwt": {
        if (picked.slot === "cookie") {
          const refused = checkCsrf(view, csrf);
          if (refused !== null) return failed("cookie", refused);
          return verifyToken(picked.token, "cookie");
        }
        return verifyToken(picked.token, "jwt");
      }
    }
  }

  function unexpected(source: CredentialSource | "none", cause: unknown): AuthResult<TUser> {
    return failed(
      source,
      new AuthError("unavailable", { detail: "Authentication failed unexpectedly.", cause }),
    );
  }

  async function guarded(
    source: CredentialSource | "none",
    run: () => AuthResult<TUser> | Promise<AuthResult<TUser>>,
  ): Promise<AuthResult<TUser>> {
    try {
      return await run();
    } catch (cause) {
      return unexpected(source, cause);
    }
  }

  /** `authenticate` without the promise when the answer is ready. Never throws or rejects. */
  const authenticateNow: CachedAuthenticate<TUser> = (request) => {
    let source: CredentialSource | "none" = "none";
    try {
      const view = toRequestView(request);
      if (view === null) throw new TypeError("authenticate() needs a Request or a RequestView");
      const picked = pickCredential(view, extractConfig);
      if (picked.kind !== "none") source = SOURCE_OF_SLOT[picked.slot];
      const result = decide(view, picked);
      if (!(result instanceof Promise)) return result;
      const reported = source;
      return result.catch((cause: unknown) => unexpected(reported, cause));
    } catch (cause) {
      return unexpected(source, cause);
    }
  };

  let closed: Promise<void> | undefined;
  const tokens: AuthTokens<TUser> = {
    issue: (input) => issuer.get().then((i) => i.issue(input)),
    issueDetailed: (input) => issuer.get().then((i) => i.issueDetailed(input)),
    jwks: () => issuer.get().then((i) => i.jwks()),
    ttl: issuer.issuer?.ttl ?? config.jwt.ttl,
    alg: issuer.issuer?.alg ?? config.jwt.algorithms[0] ?? "",
    verify: (token) => guarded("jwt", () => verifyToken(token, "jwt")),
  };

  const auth: Auth<TUser> = {
    config,
    tokens,
    keys: apiKeys?.manager ?? unconfiguredKeys(),
    authenticate: withCachedAuthenticate(
      (request: Request | RequestView) => Promise.resolve(authenticateNow(request)),
      authenticateNow,
    ),
    verifyApiKey: (raw, client) => guarded("apiKey", () => verifyKey(raw, client)),
    close() {
      closed ??= (async () => {
        jwt?.clearCache();
        await apiKeys?.close();
      })();
      return closed;
    },
  };
  return auth;
}
