/**
 * The two questions every adapter asks, answered once: who is calling (with the `optional`
 * rule applied) and does a guard let them through. Adapters only translate the outcome.
 */
import type { AuthError } from "../errors.js";
import type { Principal, RequestView } from "../types.js";
import type { AdapterAuth } from "./adapter-auth.js";

export type Identified<TUser extends Principal> =
  { ok: true; principal: TUser | null } | { ok: false; error: AuthError };

/**
 * Runs the core verifier. With `optional`, a request that carries no credential at all is
 * anonymous (`principal: null`); a credential that is present but bad still fails.
 */
export async function identify<TUser extends Principal>(
  auth: AdapterAuth<TUser>,
  view: RequestView,
  optional: boolean,
): Promise<Identified<TUser>> {
  const result = await auth.authenticate(view);
  if (result.ok) return result; // already the success shape: no copy on the hot path
  if (optional && result.error.code === "missing_credentials") return { ok: true, principal: null };
  return { ok: false, error: result.error };
}

/** Options every adapter's `authenticate` accepts. */
export interface IdentifyOptions {
  /**
   * Let requests without any credential through as anonymous (`getCurrentUser` is `null`).
   * Default `false`: such requests get 401. A credential that is present but invalid is a
   * 401 either way: there is never a silent downgrade to anonymous.
   */
  optional?: boolean;
}
