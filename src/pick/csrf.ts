/**
 * The cross-site request rule for cookie authentication. A browser attaches the cookie to
 * requests any site can trigger, so an unsafe request authenticated by the cookie must
 * prove it came from our own pages: by its `Origin` (or `Sec-Fetch-Site: same-origin`),
 * which browsers set and pages cannot forge, or by a double-submit token when configured.
 * Bearer and API-key requests are not affected: a browser never adds those on its own.
 */
import { sameString } from "../crypto/same-string.js";
import { AuthError } from "../errors.js";
import { cookieValues } from "../extract/cookies.js";
import type { CsrfOptions } from "../options/jwt-options.js";
import type { RequestView } from "../types.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** The `csrf` option with defaults filled in, as `auth.config.csrf`. */
export interface ResolvedCsrf {
  /** Whether cookie-authenticated unsafe requests are checked (default `true`). */
  enabled: boolean;
  /** Serialised origins (`https://app.example.com`), compared exactly. */
  allowedOrigins: readonly string[];
  /** The double-submit names, or `null` when double-submit is off (the default). */
  doubleSubmit: {
    /** The cookie name (default `csrf_token`). */
    cookie: string;
    /** The header name, lower-case (default `x-csrf-token`). */
    header: string;
  } | null;
}

function normaliseOrigin(value: string, option: string): string {
  let origin: string;
  try {
    origin = new URL(value).origin;
  } catch {
    origin = "null";
  }
  if (origin === "null")
    throw new TypeError(`gatehouse: ${option} has an invalid origin: ${value}`);
  return origin;
}

let warned = false;

/** `warn`: whether turning the rule off matters here (the cookie is read as a credential). */
export function resolveCsrf(options: CsrfOptions | boolean | undefined, warn = true): ResolvedCsrf {
  const object = typeof options === "object" && options !== null ? options : {};
  const enabled = options === false ? false : (object.enabled ?? true);
  const allowedOrigins = (object.allowedOrigins ?? []).map((origin, i) =>
    normaliseOrigin(origin, `csrf.allowedOrigins[${i}]`),
  );
  const ds = object.doubleSubmit;
  const doubleSubmit =
    ds === undefined || ds === false
      ? null
      : {
          cookie: (ds === true ? undefined : ds.cookie) ?? "csrf_token",
          header: ((ds === true ? undefined : ds.header) ?? "x-csrf-token").toLowerCase(),
        };
  if (!enabled && warn && !warned) {
    warned = true;
    process.emitWarning(
      "gatehouse: csrf is disabled; cookie-authenticated requests from other sites will be accepted",
      { code: "GATEHOUSE_CSRF_DISABLED", type: "SecurityWarning" },
    );
  }
  return Object.freeze({ enabled, allowedOrigins: Object.freeze(allowedOrigins), doubleSubmit });
}

/** The origins this request itself was made to: its URL's, and its Host header's. */
function ownOrigins(view: RequestView): string[] {
  const origins: string[] = [];
  let scheme: string | undefined;
  try {
    const url = new URL(view.url);
    origins.push(url.origin);
    scheme = url.protocol;
  } catch {
    // A path-only URL: the scheme is unknown, so the Host header is tried with both.
  }
  const host = view.headers.get("host");
  if (host !== null && /^[A-Za-z0-9.\-[\]:]+$/.test(host)) {
    for (const protocol of scheme === undefined ? ["https:", "http:"] : [scheme]) {
      try {
        origins.push(new URL(`${protocol}//${host}`).origin);
      } catch {
        // An unparseable Host names no origin.
      }
    }
  }
  return origins;
}

function doubleSubmitPasses(
  view: RequestView,
  config: NonNullable<ResolvedCsrf["doubleSubmit"]>,
): boolean {
  const header = view.headers.get(config.header);
  const cookies = cookieValues(view.headers.get("cookie"), config.cookie);
  const cookie = cookies[0];
  if (header === null || header.length === 0 || cookie === undefined) return false;
  if (cookies.some((value) => value !== cookie)) return false;
  return sameString(header, cookie);
}

/** `csrf_failed` when a cookie-authenticated unsafe request fails the rule, else `null`. */
export function checkCsrf(view: RequestView, config: ResolvedCsrf): AuthError | null {
  if (!config.enabled || SAFE_METHODS.has(view.method.toUpperCase())) return null;
  if (config.doubleSubmit !== null && doubleSubmitPasses(view, config.doubleSubmit)) return null;
  if (view.headers.get("sec-fetch-site") === "same-origin") return null;
  const origin = view.headers.get("origin");
  if (origin !== null && origin !== "null") {
    if (config.allowedOrigins.includes(origin) || ownOrigins(view).includes(origin)) return null;
    return new AuthError("csrf_failed", { detail: "The request came from another origin." });
  }
  return new AuthError("csrf_failed", {
    detail:
      config.doubleSubmit === null
        ? "The request carried no Origin to check."
        : "The request carried neither a matching CSRF token nor an Origin to check.",
  });
}
