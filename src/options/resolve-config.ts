/**
 * `auth.config`, resolved once from the options and the parts built from them: adapters,
 * the key routes and the token endpoint read these values instead of re-deriving defaults,
 * and the request path reads {@link ResolvedConfig.extract} from the same resolution.
 */
import { resolveCsrf } from "../pick/csrf.js";
import type { ExtractConfig } from "../pick/pick-credential.js";
import { resolveCookieOption } from "../tokens/token-cookie.js";
import { DEFAULT_TTL } from "../tokens/token-service.js";
import type { Principal } from "../types.js";
import type { ApiKeys } from "../verify/api-key/api-keys.js";
import type { JwtVerifier } from "../verify/jwt/jwt-verifier.js";
import type { AuthConfig, AuthOptions } from "./auth-options.js";
import { toSeconds } from "./durations.js";

export interface ResolvedConfig {
  config: AuthConfig;
  /** What the credential picker needs: header names, the cookie name, the Bearer-key test. */
  extract: ExtractConfig;
}

export function resolveConfig<TUser extends Principal>(
  options: AuthOptions<TUser>,
  jwt: JwtVerifier | null,
  apiKeys: ApiKeys | null,
): ResolvedConfig {
  const acceptBearer = apiKeys?.acceptBearer === true;
  const cookie = resolveCookieOption(options.cookie);
  const csrf = resolveCsrf(options.csrf, cookie.enabled);
  const apiKeyHeaders = Object.freeze((apiKeys?.headers ?? []).map((name) => name.toLowerCase()));
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
      ttl: toSeconds(options.jwt?.ttl, "jwt.ttl", DEFAULT_TTL),
      typ: jwt?.settings.typ,
    }),
  });
  const extract: ExtractConfig = {
    apiKeyHeaders,
    cookieName: cookie.enabled ? cookie.name : null,
    bearerIsApiKey:
      acceptBearer && apiKeys !== null ? (raw: string) => apiKeys.matches(raw) : undefined,
  };
  return { config, extract };
}
