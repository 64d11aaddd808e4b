/**
 * The token cookie: its options, resolved and checked in one place for `createAuth` and the
 * token routes, and the `Set-Cookie` values of cookie login and logout. The cookie holds the
 * access token itself, so it is always HttpOnly: page scripts never see it.
 */
import type { AuthConfig } from "../options/auth-options.js";
import type { CookieOptions } from "../options/jwt-options.js";
import type { Seconds } from "../types.js";

/** The resolved cookie of `auth.config`. */
export type CookieConfig = AuthConfig["cookie"];

export interface ResolvedCookie {
  name: string;
  secure: boolean;
  sameSite: "Lax" | "Strict" | "None";
  path: string;
  domain?: string;
}

/** RFC 6265 cookie-name: an HTTP token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Printable ASCII: no whitespace, no control characters. */
const PRINTABLE = /^[!-~]+$/;
const DOMAIN = /^\.?[A-Za-z0-9.-]+$/;
const SAME_SITE = new Set(["Lax", "Strict", "None"]);

/**
 * The option each layer of attributes was given as, for messages: the first layer is
 * `createAuth({ cookie })`, a later one `tokenRoutes({ cookieOptions })`.
 */
const layerName = (index: number): string => (index === 0 ? "cookie" : "cookieOptions");

type Field = keyof CookieOptions;

/** Later layers win, but an `undefined` field never erases an earlier value. */
function mergeLayers(layers: Array<CookieOptions | undefined>): {
  merged: CookieOptions;
  from: (field: Field) => string;
} {
  const merged: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  layers.forEach((layer, index) => {
    const label = layerName(index);
    for (const [name, value] of Object.entries(layer ?? {})) {
      if (value === undefined) continue;
      merged[name] = value;
      source[name] = label;
    }
  });
  return { merged, from: (field) => `${source[field] ?? layerName(0)}.${field}` };
}

/**
 * Refuses what a browser would drop or what would weaken the cookie, naming the option that
 * asked for it: a Set-Cookie header a browser ignores logs nobody in, and the login would
 * look like it worked.
 */
function checked(merged: CookieOptions, from: (field: Field) => string): ResolvedCookie {
  const refuse = (field: Field, why: string): never => {
    throw new TypeError(`gatehouse: ${from(field)} ${why}`);
  };
  const { name = "access_token", secure = true, sameSite = "Lax", path = "/", domain } = merged;
  if (typeof name !== "string" || !TOKEN.test(name)) {
    refuse("name", `is not a cookie name (an HTTP token): ${JSON.stringify(name)}`);
  }
  if (typeof secure !== "boolean") refuse("secure", "must be true or false");
  if (typeof sameSite !== "string" || !SAME_SITE.has(sameSite)) {
    refuse("sameSite", `must be "Lax", "Strict" or "None" (got ${JSON.stringify(sameSite)})`);
  }
  if (
    typeof path !== "string" ||
    !path.startsWith("/") ||
    !PRINTABLE.test(path) ||
    /[;,]/.test(path)
  ) {
    refuse(
      "path",
      `must start with "/" and hold no ";", ",", whitespace or control characters (got ${JSON.stringify(path)})`,
    );
  }
  if (domain !== undefined && (typeof domain !== "string" || !DOMAIN.test(domain))) {
    refuse(
      "domain",
      `must be a domain name, with no ";", ",", whitespace or control characters (got ${JSON.stringify(domain)})`,
    );
  }
  // Browsers drop a SameSite=None cookie that is not Secure.
  if (sameSite === "None" && !secure) {
    refuse("secure", `is false, and SameSite=None (${from("sameSite")}) needs Secure`);
  }
  // Prefixes are matched case-insensitively by current browsers, so `__host-` binds as well.
  const lower = name.toLowerCase();
  if (lower.startsWith("__host-")) {
    const what = `for the cookie ${name}: browsers accept a __Host- cookie only with Secure, Path=/ and no Domain`;
    if (!secure) refuse("secure", `must be true ${what}`);
    if (domain !== undefined) refuse("domain", `must be left out ${what}`);
    if (path !== "/") refuse("path", `must be "/" ${what}`);
  } else if (lower.startsWith("__secure-") && !secure) {
    refuse(
      "secure",
      `must be true for the cookie ${name}: browsers accept a __Secure- cookie only with Secure`,
    );
  }
  return { name, secure, sameSite, path, ...(domain === undefined ? {} : { domain }) };
}

/**
 * Merges the auth's cookie attributes with the route's and checks the result: the one
 * check every cookie gatehouse sets goes through. Throws a `TypeError` naming the option.
 */
export function resolveCookie(...layers: Array<CookieOptions | undefined>): ResolvedCookie {
  const { merged, from } = mergeLayers(layers);
  return checked(merged, from);
}

/** `auth.config.cookie`: the `cookie` option of `createAuth`, resolved and checked once. */
export function resolveCookieOption(option: CookieOptions | boolean | undefined): CookieConfig {
  const cookie = resolveCookie(typeof option === "object" && option !== null ? option : undefined);
  return Object.freeze({
    enabled: option !== undefined && option !== false,
    name: cookie.name,
    secure: cookie.secure,
    sameSite: cookie.sameSite,
    path: cookie.path,
    domain: cookie.domain,
  });
}

function attributes(cookie: ResolvedCookie, maxAge: Seconds): string {
  const parts = [`Max-Age=${Math.max(0, Math.floor(maxAge))}`, `Path=${cookie.path}`];
  if (cookie.domain !== undefined) parts.push(`Domain=${cookie.domain}`);
  parts.push("HttpOnly");
  if (cookie.secure) parts.push("Secure");
  parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join("; ");
}

export function setTokenCookie(cookie: ResolvedCookie, token: string, maxAge: Seconds): string {
  return `${cookie.name}=${token}; ${attributes(cookie, maxAge)}`;
}

/** Same name, path and domain as the login cookie, or the browser keeps the old one. */
export function clearTokenCookie(cookie: ResolvedCookie): string {
  return `${cookie.name}=; ${attributes(cookie, 0)}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}
