/**
 * The entry point: `createAuth(options)` validates every option at construction (a bad key,
 * a weak secret or a missing algorithm list throws a `TypeError` naming the option) and
 * returns the {@link Auth} that adapters and route handlers share. It only wires parts that
 * are built and checked in their own modules; the request path itself is decide/.
 */
import { withCachedAuthenticate } from "./decide/cached-authenticate.js";
import { createDecision } from "./decide/authenticate.js";
import { createReporter } from "./decide/report.js";
import { unconfiguredKeys } from "./manage/unconfigured-keys.js";
import type { Auth, AuthOptions } from "./options/auth-options.js";
import { checkOptions } from "./options/check-options.js";
import { resolveConfig } from "./options/resolve-config.js";
import { createAuthTokens, createLazyIssuer } from "./tokens/lazy-issuer.js";
import type { Principal, RequestView } from "./types.js";
import { createApiKeys, type ApiKeys } from "./verify/api-key/api-keys.js";
import { pointAtMetadata } from "./http/well-known.js";
import { createJwtIssuers, principalMapper } from "./verify/jwt/jwt-issuers.js";
import { createTokenVerifier } from "./verify/verify-token.js";

/** Parts a test may supply instead of the ones built from the options. Not exported from the package. */
export interface AuthParts {
  /** Replaces `createApiKeys(options.apiKeys)`. */
  apiKeys?: ApiKeys;
  now?: () => number;
}

/**
 * Creates the verifier. `TUser` is the principal type your `jwt.toPrincipal` returns; it
 * flows to `authenticate`'s result and the adapters' `getCurrentUser`.
 *
 * @throws TypeError for a configuration that is invalid or unsafe.
 */
export function createAuth<TUser extends Principal = Principal>(
  options: AuthOptions<TUser>,
): Auth<TUser> {
  return createAuthWith(options);
}

/** {@link createAuth} with parts plugged in. Not exported from the package. */
export function createAuthWith<TUser extends Principal = Principal>(
  options: AuthOptions<TUser>,
  parts: AuthParts = {},
): Auth<TUser> {
  checkOptions(options);
  const report = createReporter(options.onEvent);
  const jwt = options.jwt === undefined ? null : createJwtIssuers(options.jwt, parts.now);
  const apiKeys =
    parts.apiKeys ??
    (options.apiKeys === undefined
      ? null
      : createApiKeys(options.apiKeys, report.listening ? { onEvent: report.emit } : {}));
  const { config, extract } = resolveConfig(options, jwt, apiKeys);

  const verifyToken = createTokenVerifier<TUser>({
    jwt,
    apiKeys,
    toPrincipal: principalMapper<TUser>(jwt),
    now: parts.now ?? options.apiKeys?.now ?? Date.now,
    report,
  });
  const decision = createDecision<TUser>({
    extract,
    csrf: config.csrf,
    verifyToken,
    apiKeys,
    report,
    cachedToken: verifyToken.cached,
  });

  const authenticateNow = pointAtMetadata(
    decision.authenticateNow,
    config.protectedResource?.metadataUrl,
  );
  let closed: Promise<void> | undefined;
  return {
    config,
    tokens: createAuthTokens(createLazyIssuer(options.jwt), config, decision.verifyBearer),
    keys: apiKeys?.manager ?? unconfiguredKeys(),
    authenticate: withCachedAuthenticate(
      (request: Request | RequestView) => Promise.resolve(authenticateNow(request)),
      authenticateNow,
    ),
    verifyApiKey: decision.verifyApiKey,
    ...(report.listening ? { onEvent: report.emit } : {}),
    close() {
      closed ??= (async () => {
        jwt?.clearCache();
        await apiKeys?.close();
      })();
      return closed;
    },
  };
}
