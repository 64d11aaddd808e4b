/**
 * `gatehouse/client`: the consumer side of the token endpoint. It turns a long-lived API key
 * (or an application's id and secret) into short-lived access tokens, caches them, and
 * renews them before they expire. Web APIs only: it runs in browsers, Deno, Bun and Node.
 *
 * ```ts
 * const client = createTokenClient({ tokenUrl: "https://api.example.com/auth/token", apiKey });
 * const res = await client.fetch("https://api.example.com/reports");
 * ```
 */
import { exchange, type ClientCredentials, type ExchangedToken } from "./exchange.js";
import { TokenClientError } from "./token-client-error.js";

export { TokenClientError } from "./token-client-error.js";
export type { TokenClientErrorCode } from "./token-client-error.js";

/** Durations here are in seconds, like `expires_in`. */
export type Seconds = number;

/** Where to exchange, and what: an API key, or a client id and secret. Exactly one. */
export type TokenClientConfig = {
  /**
   * The token endpoint, e.g. `https://api.example.com/auth/token`. A relative URL resolves
   * against `location` in a browser. Its origin is the default of {@link TokenClientOptions.origins}.
   */
  tokenUrl: string | URL;
} & (
  | {
      /**
       * The API key, sent as an RFC 6749 `refresh_token` grant. Security: a long-lived
       * secret; only the short-lived access token is sent to the API.
       */
      apiKey: string;
      /** Not with `apiKey`. */
      clientId?: never;
      /** Not with `apiKey`. */
      clientSecret?: never;
    }
  | {
      /** The application's client id, sent with the secret as HTTP Basic (`client_credentials` grant). */
      clientId: string;
      /** The application's client secret. Security: keep it server-side, never in a browser bundle. */
      clientSecret: string;
      /** Not with `clientId`. */
      apiKey?: never;
    }
);

/** Tuning of {@link createTokenClient}: fetch, renewal margin, scope narrowing and allowed origins. */
export interface TokenClientOptions {
  /**
   * The fetch that reaches the token endpoint and the API. Default: the global `fetch`,
   * looked up at each call (so test doubles installed later are seen).
   */
  fetch?: typeof fetch;
  /**
   * How long before expiry a token is renewed, in seconds. Default 30. For tokens that live
   * less than twice this, half their lifetime is used instead, so a short-lived token is
   * still reused.
   */
  refreshSkew?: Seconds;
  /**
   * Ask for fewer scopes than the key holds (space-delimited). Default: all of them. The
   * endpoint never grants more than the key holds.
   */
  scope?: string;
  /**
   * The origins `client.fetch` may send the token to. Default: the token URL's origin only.
   * Security: a bearer token works for whoever holds it, so sending it to any URL a caller
   * passes would leak it; list your API origins here, or `"*"` to allow any.
   */
  origins?: string[] | "*";
}

/** A cached, self-renewing access token, and a `fetch` that sends it. */
export interface TokenClient {
  /**
   * A valid access token: the cached one, or a new one from the token endpoint. Concurrent
   * callers share one exchange. Rejects with {@link TokenClientError}; the next call tries
   * again.
   */
  getAccessToken(): Promise<string>;
  /**
   * `fetch` with `Authorization: Bearer <token>`. On a 401 it renews the token once and
   * retries the request once; a request whose body is a stream cannot be replayed and is
   * not retried.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Forgets the cached token; the next call exchanges again. */
  invalidate(): void;
}

interface CachedToken {
  value: string;
  /** Epoch ms after which the token is renewed rather than used. */
  renewAt: number;
}

function credentialsOf(config: TokenClientConfig): ClientCredentials {
  if (typeof config.apiKey === "string" && config.apiKey !== "") {
    if (config.clientId !== undefined) {
      throw new TypeError("gatehouse/client: give apiKey or clientId + clientSecret, not both");
    }
    return { apiKey: config.apiKey };
  }
  if (typeof config.clientId === "string" && typeof config.clientSecret === "string") {
    return { clientId: config.clientId, clientSecret: config.clientSecret };
  }
  throw new TypeError("gatehouse/client: needs apiKey, or clientId and clientSecret");
}

function baseUrl(): string | undefined {
  const location = (globalThis as { location?: { href?: string } }).location;
  return location?.href;
}

/**
 * Creates a token client. Nothing is fetched until the first `getAccessToken` or `fetch`.
 * Throws a `TypeError` when both or neither credential kinds are given, or `refreshSkew` is
 * negative.
 */
export function createTokenClient(
  config: TokenClientConfig,
  options: TokenClientOptions = {},
): TokenClient {
  const credentials = credentialsOf(config);
  const tokenUrl = new URL(config.tokenUrl, baseUrl()).href;
  const skew = options.refreshSkew ?? 30;
  if (!Number.isFinite(skew) || skew < 0) {
    throw new TypeError("gatehouse/client: refreshSkew must be a number of seconds >= 0");
  }
  const origins =
    options.origins === "*"
      ? null
      : new Set((options.origins ?? [tokenUrl]).map((o) => new URL(o, baseUrl()).origin));
  const fetchImpl: typeof fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init);

  let cached: CachedToken | undefined;
  let pending: Promise<string> | undefined;

  function remember(token: ExchangedToken, startedAt: number): string {
    if (token.expiresIn === undefined) {
      // No lifetime given: use the token until the API refuses it.
      cached = { value: token.accessToken, renewAt: Number.POSITIVE_INFINITY };
    } else {
      const margin = Math.min(skew, token.expiresIn / 2);
      cached = { value: token.accessToken, renewAt: startedAt + (token.expiresIn - margin) * 1000 };
    }
    return token.accessToken;
  }

  function getAccessToken(): Promise<string> {
    if (cached !== undefined && Date.now() < cached.renewAt) return Promise.resolve(cached.value);
    // One exchange in flight: every caller that arrives meanwhile waits for the same one.
    pending ??= (async () => {
      // Counted from before the request, so network time never stretches a token's life.
      const startedAt = Date.now();
      try {
        return remember(await exchange(fetchImpl, tokenUrl, credentials, options.scope), startedAt);
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  }

  function invalidateIf(token: string): void {
    if (cached?.value === token) cached = undefined;
  }

  function checkOrigin(url: string): void {
    if (origins === null) return;
    const origin = new URL(url, baseUrl()).origin;
    if (!origins.has(origin)) {
      throw new TokenClientError(
        "origin_not_allowed",
        `gatehouse/client: not sending the token to ${origin}; add it to the origins option`,
      );
    }
  }

  async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = input instanceof Request ? input.url : input instanceof URL ? input.href : input;
    checkOrigin(url);
    // A Request's body can be read once; keep a copy for the retry.
    const spare = input instanceof Request ? input.clone() : undefined;
    const replayable = !(init?.body instanceof ReadableStream);

    const send = async (request: RequestInfo | URL, token: string): Promise<Response> => {
      const headers = new Headers(
        init?.headers ?? (request instanceof Request ? request.headers : undefined),
      );
      headers.set("authorization", `Bearer ${token}`);
      return fetchImpl(request, { ...init, headers });
    };

    const token = await getAccessToken();
    const response = await send(input, token);
    if (response.status !== 401 || !replayable) return response;
    // The token was refused (revoked, key rotated, clock skew): renew once and retry once.
    await response.body?.cancel();
    invalidateIf(token);
    return send(spare ?? input, await getAccessToken());
  }

  return {
    getAccessToken,
    fetch: authorizedFetch,
    invalidate() {
      cached = undefined;
    },
  };
}
