/**
 * The key-management routes, framework-neutral: each adapter mounts this handler and
 * translates its answer. User routes act on the caller's own keys only; the `by-user`
 * routes act on anyone's keys and need the admin role.
 *
 *   GET    /                       list own keys
 *   POST   /                       create a key (201; the plaintext is shown this once)
 *   GET    /:id                    one own key
 *   PATCH  /:id                    name, enabled, scopes (within the caller's), expiresAt
 *   DELETE /:id                    204
 *   GET    /by-user/:userId        admin: that user's keys
 *   PATCH  /by-user/:userId/:id    admin
 *   DELETE /by-user/:userId/:id    admin
 *
 * Another user's key answers 404, never 403, so ids cannot be probed.
 */
import { AuthError } from "../errors.js";
import { requireAuth, requireRoles, requireScopes } from "../guard/requirements.js";
import { KeyConflictError, lacksWriteScope } from "../manage/grant-rules.js";
import type { KeyManager } from "../verify/api-key/api-keys.js";
import type { Principal, PublicApiKeyRecord } from "../types.js";
import type { HttpAnswer, RouteRequest } from "./answer.js";
import { realmOf } from "./adapter-auth.js";
import { checkCreateBody, checkPageQuery, checkUpdateBody } from "./key-validation.js";
import { answerFor, errorAnswer, invalidBodyAnswer, jsonAnswer, problemAnswer } from "./problem.js";

export interface KeyRoutesOptions {
  /**
   * The role that opens the `/by-user/…` admin routes. Default `"admin"`. The role is read
   * from the principal's `roles`, which come from the token or the key record.
   */
  adminRole?: string;
}

export type KeyRouteRequest = RouteRequest & { principal: Principal | null };

export interface KeyRoutes {
  /** Whether {@link handle} may answer: a cheap synchronous check that reads no body. */
  matches(method: string, path: string): boolean;
  /** The answer for a key route, or `null` when the path is not one of them. */
  handle(req: KeyRouteRequest): Promise<HttpAnswer | null>;
}

type Route =
  | { kind: "collection" }
  | { kind: "key"; id: string }
  | { kind: "userCollection"; userId: string }
  | { kind: "userKey"; userId: string; id: string };

/** No id the manager accepts is longer; a longer segment names no key. */
const MAX_SEGMENT = 256;

/** Matches a path below the mount point; a trailing slash is tolerated. */
function matchRoute(path: string): Route | "unknown" | null {
  const segments = path.split("/").filter((s) => s !== "");
  // Percent-encoding at most triples a character, so this bound is checked before decoding.
  if (segments.length > 3) return null;
  if (segments.some((segment) => segment.length > 3 * MAX_SEGMENT)) return "unknown";
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
  if (decoded.some((segment) => segment.length > MAX_SEGMENT)) return "unknown";
  const [first, second, third] = decoded;
  switch (decoded.length) {
    case 0:
      return { kind: "collection" };
    case 1:
      return first === "by-user" ? null : { kind: "key", id: first! };
    case 2:
      return first === "by-user" ? { kind: "userCollection", userId: second! } : null;
    case 3:
      return first === "by-user" ? { kind: "userKey", userId: second!, id: third! } : null;
    default:
      return null;
  }
}

const ALLOWED: Record<Route["kind"], string[]> = {
  collection: ["GET", "POST"],
  key: ["GET", "PATCH", "DELETE"],
  userCollection: ["GET"],
  userKey: ["PATCH", "DELETE"],
};

const NO_STORE = { "cache-control": "no-store" };

/** The record as sent over HTTP: named fields only, so a hash can never slip through. */
function publicView(record: PublicApiKeyRecord & { status?: string }): Record<string, unknown> {
  return {
    status: record.status,
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    ownerId: record.ownerId,
    ownerType: record.ownerType,
    scopes: record.scopes,
    roles: record.roles,
    enabled: record.enabled,
    disabledBy: record.disabledBy ?? null,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? null,
    lastUsedAt: record.lastUsedAt ?? null,
  };
}

function notFound(): HttpAnswer {
  return problemAnswer(404, "not_found", "Not found", "No such key.");
}

export function createKeyRoutes(
  auth: { readonly keys: KeyManager; readonly config?: { readonly realm?: string } },
  options: KeyRoutesOptions = {},
): KeyRoutes {
  const adminRole = options.adminRole ?? "admin";
  // One setting for the manager and the routes: `apiKeys.writeScope`.
  const { writeScope } = auth.keys;
  if (adminRole === "") {
    throw new TypeError("gatehouse: keyRoutes option adminRole must be non-empty");
  }
  const realm = realmOf(auth);

  /** Refusals that do not depend on the route's target. */
  function refusal(principal: Principal | null, route: Route, method: string): AuthError | null {
    const admin = route.kind === "userCollection" || route.kind === "userKey";
    const refused = admin ? requireRoles(principal, adminRole) : requireAuth(principal);
    if (refused) return refused;
    // A key (or a token minted from one) may read its owner's keys, but changing them takes
    // the write scope: otherwise one leaked key could mint, re-scope or revoke the others.
    if (method === "GET" || !lacksWriteScope(principal, writeScope)) return null;
    return requireScopes(principal, writeScope);
  }

  async function run(req: KeyRouteRequest, route: Route, principal: Principal) {
    const keys = auth.keys;
    const method = req.method;
    const ownerId =
      route.kind === "userCollection" || route.kind === "userKey" ? route.userId : principal.id;

    if (method === "GET" && (route.kind === "collection" || route.kind === "userCollection")) {
      const page = checkPageQuery(req.query);
      if (!page.ok) return invalidBodyAnswer(page.errors);
      const result = await keys.list(ownerId, page.value);
      return jsonAnswer(200, { items: result.items.map(publicView), next: result.next }, NO_STORE);
    }
    if (method === "POST") {
      const checked = checkCreateBody(req.body);
      if (!checked.ok) return invalidBodyAnswer(checked.errors);
      const { name, scopes, expiresAt } = checked.value;
      const created = await keys.create(
        { ownerId, name, scopes: scopes ?? [], expiresAt: expiresAt ?? null },
        principal,
      );
      // no-store: the plaintext key is in this body and must not land in any cache.
      return jsonAnswer(201, { key: created.key, record: publicView(created.record) }, NO_STORE);
    }
    if (route.kind !== "key" && route.kind !== "userKey") return null;
    if (method === "GET") {
      const record = await keys.get(ownerId, route.id);
      return record ? jsonAnswer(200, publicView(record), NO_STORE) : notFound();
    }
    if (method === "PATCH") {
      const checked = checkUpdateBody(req.body);
      if (!checked.ok) return invalidBodyAnswer(checked.errors);
      // The admin form goes through the admin path, so that a disable there is an admin's.
      const record =
        route.kind === "userKey"
          ? (await keys.get(ownerId, route.id)) &&
            (await keys.admin.update(route.id, checked.value, principal))
          : await keys.update(ownerId, route.id, checked.value, principal);
      return record ? jsonAnswer(200, publicView(record), NO_STORE) : notFound();
    }
    if (method === "DELETE") {
      const deleted = await keys.delete(ownerId, route.id, principal);
      return deleted ? jsonAnswer(204, undefined, NO_STORE) : notFound();
    }
    return null;
  }

  return {
    matches(method, path) {
      return method !== "OPTIONS" && matchRoute(path) !== null;
    },
    async handle(incoming) {
      const route = matchRoute(incoming.path);
      if (route === null) return null;
      if (route === "unknown") {
        const refused = requireAuth(incoming.principal);
        return refused ? errorAnswer(refused, realm) : notFound();
      }
      // HEAD is a GET whose body the server drops, as frameworks treat it on their own routes.
      const req = incoming.method === "HEAD" ? { ...incoming, method: "GET" } : incoming;
      const allowed = ALLOWED[route.kind];
      if (!allowed.includes(req.method)) {
        if (req.method === "OPTIONS") return null; // left to the app's CORS handling
        return {
          ...problemAnswer(405, "method_not_allowed", "Method not allowed", "Not on this route."),
          headers: {
            "content-type": "application/problem+json",
            allow: allowed.join(", "),
          },
        };
      }
      const refused = refusal(req.principal, route, req.method);
      if (refused) return errorAnswer(refused, realm);
      try {
        return await run(req, route, req.principal!);
      } catch (error) {
        if (error instanceof KeyConflictError) {
          return problemAnswer(409, "conflict", "Conflict", error.message);
        }
        // The manager refuses bad input with a TypeError naming the field: the caller's
        // mistake, never a server error.
        if (error instanceof TypeError && error.message.startsWith("gatehouse: ")) {
          return invalidBodyAnswer([
            { field: "(body)", message: error.message.replace(/^gatehouse: /, "") },
          ]);
        }
        const answer = answerFor(error, realm);
        // The caller did authenticate; what is down is the store behind these routes, and
        // the title should not send anyone looking at their credentials.
        if (AuthError.is(error) && error.code === "unavailable") {
          return {
            ...answer,
            body: { ...(answer.body as object), title: "Key store unavailable" },
          };
        }
        return answer;
      }
    },
  };
}
