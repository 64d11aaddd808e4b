/**
 * The checks on `createAuth`'s options that belong to no single part: the options object
 * itself, and the combinations (one of `jwt`/`apiKeys`; a cookie needs a JWT). Each part
 * checks its own option when it is built (`jwt` in verify/jwt, `apiKeys` in verify/api-key,
 * `cookie` in tokens/token-cookie, `csrf` in pick/csrf).
 */
import type { Principal } from "../types.js";
import type { AuthOptions } from "./auth-options.js";

/** @throws TypeError naming the option that is missing or does not fit. */
export function checkOptions(options: AuthOptions<Principal>): void {
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
