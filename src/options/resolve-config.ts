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
import { resolveProtectedResource } from "../http/well-known.js";
import type { IssuerEntry, JwtIssuers } from "../verify/jwt/jwt-issuers.js";
import type { AuthConfig, AuthOptions, IssuerView } from "./auth-options.js";
import { toSeconds } from "./durations.js";

export interface ResolvedConfig {
  config: AuthConfig;
  /** What the credential picker needs: header names, the cookie name, the Bearer-key test. */
  extract: ExtractConfig;
}

function issuerView(entry: IssuerEntry): IssuerView {
  const { options, verifier } = entry;
  return Object.freeze({
    algorithms: Object.freeze([...verifier.settings.algorithms]),
    issuer: options.issuer,
    audience: options.audience === false ? undefined : options.audience,
    typ: verifier.settings.typ,
    signs: entry.signs,
  });
}

/**
 * `auth.config.jwt`: the entry that issues (the first when none does) at the top, as a lone
 * `jwt` option always was, so the token routes and adapters read one issuer; every entry in
 * `issuers`.
 */
function jwtView(jwt: JwtIssuers | null): AuthConfig["jwt"] {
  const issuers = Object.freeze(jwt?.entries.map(issuerView) ?? []);
  const top = jwt?.signing ?? jwt?.entries[0];
  const view: IssuerView =
    top === undefined
      ? { algorithms: [], issuer: undefined, audience: undefined, typ: undefined, signs: false }
      : (issuers[jwt!.entries.indexOf(top)] as IssuerView);
  return Object.freeze({
    ...view,
    enabled: jwt !== null,
    ttl: toSeconds(top?.options.ttl, "jwt.ttl", DEFAULT_TTL),
    issuers,
  });
}

export function resolveConfig<TUser extends Principal>(
  options: AuthOptions<TUser>,
  jwt: JwtIssuers | null,
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
    jwt: jwtView(jwt),
    protectedResource: resolveProtectedResource(options.protectedResource),
  });
  const extract: ExtractConfig = {
    apiKeyHeaders,
    cookieName: cookie.enabled ? cookie.name : null,
    bearerIsApiKey:
      acceptBearer && apiKeys !== null ? (raw: string) => apiKeys.matches(raw) : undefined,
  };
  return { config, extract };
}
