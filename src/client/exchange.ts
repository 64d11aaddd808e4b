/**
 * One token request: the API key as a refresh token, or an application's id and secret as
 * client credentials (HTTP Basic, RFC 6749 §2.3.1). Web APIs only (fetch, btoa,
 * URLSearchParams), so that it runs in browsers, Deno and Bun as well as Node.
 */
import { TokenClientError } from "./token-client-error.js";

export type ClientCredentials = { apiKey: string } | { clientId: string; clientSecret: string };

export interface ExchangedToken {
  accessToken: string;
  /** Seconds, as the endpoint said; `undefined` when it did not say. */
  expiresIn: number | undefined;
}

/** RFC 6749 §2.3.1: form-encode each half before the Basic encoding. */
export function basicAuth(id: string, secret: string): string {
  const form = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
  // Form-encoding leaves only ASCII, which is all that btoa accepts.
  return `Basic ${btoa(`${form(id)}:${form(secret)}`)}`;
}

function request(credentials: ClientCredentials, scope: string | undefined): RequestInit {
  const body = new URLSearchParams();
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  if ("apiKey" in credentials) {
    body.set("grant_type", "refresh_token");
    body.set("refresh_token", credentials.apiKey);
  } else {
    body.set("grant_type", "client_credentials");
    headers.authorization = basicAuth(credentials.clientId, credentials.clientSecret);
  }
  if (scope !== undefined) body.set("scope", scope);
  // No `cache` or `credentials` fields: some runtimes (edge workers) refuse them, and the
  // endpoint's `Cache-Control: no-store` already keeps the answer out of caches.
  return { method: "POST", headers, body };
}

async function readJson(response: Response): Promise<Record<string, unknown> | null> {
  try {
    const value: unknown = await response.json();
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function exchange(
  fetchImpl: typeof fetch,
  tokenUrl: string,
  credentials: ClientCredentials,
  scope: string | undefined,
): Promise<ExchangedToken> {
  let response: Response;
  try {
    response = await fetchImpl(tokenUrl, request(credentials, scope));
  } catch (cause) {
    throw new TokenClientError("exchange_failed", "The token endpoint could not be reached.", {
      cause,
    });
  }
  const body = await readJson(response);
  if (!response.ok) {
    const oauthError = typeof body?.error === "string" ? body.error : undefined;
    const description =
      typeof body?.error_description === "string" ? `: ${body.error_description}` : "";
    throw new TokenClientError(
      response.status >= 500 || response.status === 429 ? "exchange_failed" : "exchange_refused",
      `The token endpoint answered ${response.status}${oauthError ? ` ${oauthError}` : ""}${description}`,
      { status: response.status, ...(oauthError === undefined ? {} : { oauthError }) },
    );
  }
  const accessToken = body?.access_token ?? body?.accessToken;
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new TokenClientError("exchange_failed", "The token endpoint answered without a token.", {
      status: response.status,
    });
  }
  const expiresIn = typeof body?.expires_in === "number" ? body.expires_in : undefined;
  return { accessToken, expiresIn };
}
