/**
 * The `Set-Cookie` values of cookie login and logout. The cookie holds the access token
 * itself, so it is always HttpOnly: page scripts never see it.
 */
import type { CookieOptions } from "../jwt/jwt-options.js";
import type { Seconds } from "../types.js";

export interface ResolvedCookie {
  name: string;
  secure: boolean;
  sameSite: "Lax" | "Strict" | "None";
  path: string;
  domain?: string;
}

/** RFC 6265 cookie-name: an HTTP token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DOMAIN = /^\.?[A-Za-z0-9.-]+$/;

/** Later layers win, but an `undefined` field never erases an earlier value. */
function mergeLayers(layers: Array<CookieOptions | undefined>): CookieOptions {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer ?? {})) {
      if (value !== undefined) merged[name] = value;
    }
  }
  return merged;
}

/** Merges the auth's cookie options with the route's, checking them once. */
export function resolveCookie(...layers: Array<CookieOptions | undefined>): ResolvedCookie {
  const merged = mergeLayers(layers);
  const cookie: ResolvedCookie = {
    name: merged.name ?? "access_token",
    secure: merged.secure ?? true,
    sameSite: merged.sameSite ?? "Lax",
    path: merged.path ?? "/",
    ...(merged.domain === undefined ? {} : { domain: merged.domain }),
  };
  if (!TOKEN.test(cookie.name)) throw new TypeError("gatehouse: cookie.name is not a cookie name");
  if (!cookie.path.startsWith("/") || /[;\r\n]/.test(cookie.path)) {
    throw new TypeError("gatehouse: cookie.path must start with / and hold no ;");
  }
  if (cookie.domain !== undefined && !DOMAIN.test(cookie.domain)) {
    throw new TypeError("gatehouse: cookie.domain is not a domain name");
  }
  // Browsers drop a SameSite=None cookie that is not Secure, so login would silently fail.
  if (cookie.sameSite === "None" && !cookie.secure) {
    throw new TypeError("gatehouse: cookie.sameSite None needs cookie.secure true");
  }
  return cookie;
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
