/**
 * The decision, made once per request in the order the design draws it: normalise → pick
 * one credential by precedence → (CSRF for the cookie) → verify → answer. Synchronous
 * whenever no step has to wait (no credential, a malformed one, a CSRF refusal, a token or
 * key verified before, a new token `node:crypto` checks with a static key), a promise when
 * a JWKS, the revocation hook, the store or the hasher must be asked.
 */
import { AuthError, presentedAs } from "../errors.js";
import { toRequestView } from "../extract/request-view.js";
import { checkCsrf, type ResolvedCsrf } from "../pick/csrf.js";
import {
  bearerCandidate,
  pickCredential,
  type CredentialSlot,
  type ExtractConfig,
  type PickedCredential,
} from "../pick/pick-credential.js";
import type { ApiKeys } from "../verify/api-key/api-keys.js";
import type { ClientAddress } from "../verify/api-key/key-verifier.js";
import { TokenMiss, type CachedTokenAnswer, type VerifyToken } from "../verify/verify-token.js";
import type { AuthResult, CredentialSource, Principal, RequestView } from "../types.js";
import type { CachedAuthenticate } from "./cached-authenticate.js";
import type { Reporter } from "./report.js";
import { settleWith, type Ready } from "./settle.js";

const SOURCE_OF_SLOT: Readonly<Record<CredentialSlot, CredentialSource>> = {
  bearer: "jwt",
  "bearer-key": "apiKey",
  "api-key-header": "apiKey",
  cookie: "cookie",
};

export interface DecisionParts<TUser extends Principal> {
  extract: ExtractConfig;
  csrf: ResolvedCsrf;
  verifyToken: VerifyToken<TUser>;
  apiKeys: ApiKeys | null;
  report: Reporter;
  /**
   * The answer for a token accepted before, a miss when it is not cached: nothing is
   * verified and nothing reported then. With it, a Bearer value that is exactly a cached
   * token is answered before the `Authorization` parse (which reads every character of
   * the token). Optional: without it every request is parsed first.
   */
  cachedToken?: CachedTokenAnswer<TUser>;
}

export interface Decision<TUser extends Principal> {
  /** `authenticate` without the promise when the answer is ready. Never throws or rejects. */
  authenticateNow: CachedAuthenticate<TUser>;
  /** A raw API key → the answer (the token endpoint's grants). Never rejects. */
  readonly verifyApiKey: (raw: string, client?: ClientAddress) => Promise<AuthResult<TUser>>;
  /** A compact token → the answer, as a Bearer header would get. Never rejects. */
  readonly verifyBearer: (token: string) => Promise<AuthResult<TUser>>;
}

export function createDecision<TUser extends Principal>(
  parts: DecisionParts<TUser>,
): Decision<TUser> {
  const { extract, csrf, verifyToken, apiKeys, report, cachedToken } = parts;

  /** Synchronous when the key cache decides (see {@link ApiKeys.check}). */
  function verifyKey(raw: string, client: ClientAddress | undefined): Ready<AuthResult<TUser>> {
    if (apiKeys === null) {
      return {
        ok: false,
        error: new AuthError("invalid_api_key", { detail: "API keys are not accepted here." }),
      };
    }
    // The key module reports its own events.
    return apiKeys.check(raw, client) as Ready<AuthResult<TUser>>;
  }

  const asBearer = (result: AuthResult<TUser>): AuthResult<TUser> =>
    result.ok ? result : { ok: false, error: presentedAs(result.error, "Bearer") };

  /** No credential, or one too malformed to verify. */
  function unusable(
    picked: Extract<PickedCredential, { kind: "none" | "invalid" }>,
  ): AuthResult<TUser> {
    if (picked.kind === "none") return { ok: false, error: new AuthError("missing_credentials") };
    return report.failed(
      SOURCE_OF_SLOT[picked.slot],
      new AuthError("invalid_request", {
        detail: picked.detail,
        ...(picked.slot === "api-key-header" ? { scheme: "ApiKey" as const } : {}),
      }),
    );
  }

  /** Throws only what a user's `toPrincipal` throws. */
  function decide(
    view: RequestView,
    picked: PickedCredential,
    miss: TokenMiss | undefined,
  ): Ready<AuthResult<TUser>> {
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
          if (refused !== null) return report.failed("cookie", refused);
          return verifyToken(picked.token, "cookie");
        }
        return verifyToken(picked.token, "jwt", miss);
      }
    }
  }

  function unexpected(source: CredentialSource | "none", cause: unknown): AuthResult<TUser> {
    return report.failed(
      source,
      new AuthError("unavailable", { detail: "Authentication failed unexpectedly.", cause }),
    );
  }

  async function guarded(
    source: CredentialSource | "none",
    run: () => Ready<AuthResult<TUser>>,
  ): Promise<AuthResult<TUser>> {
    try {
      return await run();
    } catch (cause) {
      return unexpected(source, cause);
    }
  }

  /** A promise's rejection answered as `unexpected`, as a throw is. */
  function settled(
    result: Ready<AuthResult<TUser>>,
    source: CredentialSource | "none",
  ): Ready<AuthResult<TUser>> {
    if (!(result instanceof Promise)) return result;
    return result.catch((cause: unknown) => unexpected(source, cause));
  }

  const authenticateNow: CachedAuthenticate<TUser> = (request) => {
    let source: CredentialSource | "none" = "none";
    try {
      const view = toRequestView(request);
      if (view === null) throw new TypeError("authenticate() needs a Request or a RequestView");
      const authorization = view.headers.get("authorization");
      let miss: TokenMiss | undefined;
      if (cachedToken !== undefined) {
        // The Bearer token comes first by precedence, so a cached one decides alone. A value
        // in the key format is a key, whatever a token cache holds.
        const token = bearerCandidate(authorization);
        if (token !== null && extract.bearerIsApiKey?.(token) !== true) {
          source = "jwt";
          const hit = cachedToken(token, "jwt");
          if (!(hit instanceof TokenMiss)) return settled(hit, source);
          miss = hit;
        }
        source = "none";
      }
      const picked = pickCredential(view, extract, authorization);
      if (picked.kind !== "none") source = SOURCE_OF_SLOT[picked.slot];
      return settled(decide(view, picked, miss), source);
    } catch (cause) {
      return unexpected(source, cause);
    }
  };

  return {
    authenticateNow,
    verifyApiKey: (raw, client) => guarded("apiKey", () => verifyKey(raw, client)),
    verifyBearer: (token) => guarded("jwt", () => verifyToken(token, "jwt")),
  };
}
