/**
 * The key-management routes, framework-neutral: each adapter mounts this handler and
 * translates its answer. User routes act on the keys of the caller's owner (the caller
 * itself, or what the `owner` option resolves it to, such as its organization); the
 * `by-user` routes act on anyone's keys and need the admin role.
 *
 *   GET    /                            list the owner's keys
 *   POST   /                            create a key (201; the plaintext is shown this once);
 *                                        { name, scopes?, expiresAt?, environment? }
 *   GET    /:id                         one of the owner's keys
 *   PATCH  /:id                         name, enabled, scopes (within the caller's), expiresAt
 *   DELETE /:id                         204
 *   POST   /:id/rotate                  a new key in its place (201, shown once); { overlap }
 *   GET    /by-user/:userId             admin: that owner's keys
 *   PATCH  /by-user/:userId/:id         admin
 *   DELETE /by-user/:userId/:id         admin
 *   POST   /by-user/:userId/:id/rotate  admin
 *   POST   /by-user/:userId/:id/credits admin: add usage credits; { amount }
 *
 * The admin PATCH also takes `credits` ({ remaining, refill? } or null); the owner's does
 * not: an owner who could set a key's credits would not be metered.
 *
 * Another owner's key answers 404, never 403, so ids cannot be probed.
 */
import { AuthError } from "../errors.js";
import { requireAuth, requireRoles, requireScopes } from "../guard/requirements.js";
import { KeyConflictError, lacksWriteScope } from "../manage/grant-rules.js";
import { checkId, checkOwnerType } from "../manage/key-input.js";
import type { CreatedKey } from "../manage/key-manager-api.js";
import type { KeyManager } from "../verify/api-key/api-keys.js";
import type { OwnerType, Principal, PublicApiKeyRecord, Seconds } from "../types.js";
import type { HttpAnswer, RouteRequest } from "./answer.js";
import { realmOf } from "./adapter-auth.js";
import {
  checkCreateBody,
  checkPageQuery,
  checkRotateBody,
  checkTopUpBody,
  checkUpdateBody,
} from "./key-validation.js";
import { answerFor, errorAnswer, invalidBodyAnswer, jsonAnswer, problemAnswer } from "./problem.js";

/**
 * Whose keys a caller of the user routes manages: an owner id (e.g. the organization named
 * in a token claim), or `null` to refuse the caller (403). Callers resolved to the same id
 * manage the same keys. It is called after authentication, for every user route, with the
 * caller and the request (headers, path, query; the body too on writes).
 */
export type KeyOwnerResolver = (
  principal: Principal,
  request: KeyRouteRequest,
) => string | null | Promise<string | null>;

export interface KeyRoutesOptions {
  /**
   * The role that opens the `/by-user/…` admin routes. Default `"admin"`. The role is read
   * from the principal's `roles`, which come from the token or the key record.
   */
  adminRole?: string;
  /**
   * Whose keys the user routes (`/`, `/:id`, `/:id/rotate`) manage. Default: the caller's
   * own id, so each caller manages their own keys. With a resolver, every caller resolved
   * to the same id (the members of one organization) lists, creates, changes, rotates and
   * deletes that owner's keys, and a caller resolved to `null` is refused with 403. Keys
   * created here get {@link KeyRoutesOptions.ownerType}. The admin `by-user` routes ignore
   * it. Security: a key created for an owner authenticates as that owner (its `id`), with
   * at most the scopes of the member who made it; owner ids of different kinds share one
   * namespace, so give them distinct forms (`org:acme`, never a bare name a user may have).
   */
  owner?: KeyOwnerResolver;
  /**
   * The `ownerType` recorded on keys created through these routes: `"user"` (default),
   * `"org"` or `"service"`. Keys of a `service` owner authenticate as `type: "service"`.
   */
  ownerType?: OwnerType;
  /**
   * The longest `overlap` the rotate routes accept, in seconds: how long a rotated-out key
   * may keep working beside its replacement. Default 604800 (7 days); a larger `overlap`
   * answers 400. `0` allows only rotations that end the old key at once.
   */
  maxRotateOverlap?: Seconds;
}

/** A request as the key routes see it: the route request and who is calling, if anyone. */
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
  | { kind: "userKey"; userId: string; id: string }
  | { kind: "rotate"; id: string }
  | { kind: "userRotate"; userId: string; id: string }
  | { kind: "userCredits"; userId: string; id: string };

/** No id the manager accepts is longer; a longer segment names no key. */
const MAX_SEGMENT = 256;

/** Matches a path below the mount point; a trailing slash is tolerated. */
function matchRoute(path: string): Route | "unknown" | null {
  const segments = path.split("/").filter((s) => s !== "");
  // Percent-encoding at most triples a character, so this bound is checked before decoding.
  if (segments.length > 4) return null;
  if (segments.some((segment) => segment.length > 3 * MAX_SEGMENT)) return "unknown";
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
  if (decoded.some((segment) => segment.length > MAX_SEGMENT)) return "unknown";
  const [first, second, third, fourth] = decoded;
  const admin = first === "by-user";
  switch (decoded.length) {
    case 0:
      return { kind: "collection" };
    case 1:
      return admin ? null : { kind: "key", id: first! };
    case 2:
      if (admin) return { kind: "userCollection", userId: second! };
      return second === "rotate" ? { kind: "rotate", id: first! } : null;
    case 3:
      return admin ? { kind: "userKey", userId: second!, id: third! } : null;
    case 4:
      if (!admin) return null;
      if (fourth === "rotate") return { kind: "userRotate", userId: second!, id: third! };
      return fourth === "credits" ? { kind: "userCredits", userId: second!, id: third! } : null;
    default:
      return null;
  }
}

const ALLOWED: Record<Route["kind"], string[]> = {
  collection: ["GET", "POST"],
  key: ["GET", "PATCH", "DELETE"],
  userCollection: ["GET"],
  userKey: ["PATCH", "DELETE"],
  rotate: ["POST"],
  userRotate: ["POST"],
  userCredits: ["POST"],
};

const ADMIN_KINDS = new Set<Route["kind"]>([
  "userCollection",
  "userKey",
  "userRotate",
  "userCredits",
]);

/** Seven days: long enough to roll a key out to every deployment, short enough to matter. */
const DEFAULT_MAX_ROTATE_OVERLAP: Seconds = 7 * 24 * 60 * 60;

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
    environment: record.environment ?? null,
    scopes: record.scopes,
    roles: record.roles,
    enabled: record.enabled,
    disabledBy: record.disabledBy ?? null,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? null,
    lastUsedAt: record.lastUsedAt ?? null,
    credits: record.credits
      ? {
          remaining: record.credits.remaining,
          refill: record.credits.refill ?? null,
          refilledAt: record.credits.refilledAt ?? null,
        }
      : null,
    replacedBy: record.replacedBy ?? null,
  };
}

function notFound(): HttpAnswer {
  return problemAnswer(404, "not_found", "Not found", "No such key.");
}

/** A new key: no-store, because the plaintext is in this body and must land in no cache. */
function createdAnswer(created: CreatedKey): HttpAnswer {
  return jsonAnswer(201, { key: created.key, record: publicView(created.record) }, NO_STORE);
}

function checkMaxOverlap(value: unknown): Seconds {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      "gatehouse: keyRoutes option maxRotateOverlap must be a whole number of seconds, 0 or more",
    );
  }
  return value;
}

/** The caller's own id: each caller manages the keys issued to it. */
const ownId: KeyOwnerResolver = (principal) => principal.id;

/** Where an adapter that mounts by prefix serves the key routes when it is given none. */
export const DEFAULT_KEY_ROUTES_PREFIX = "/keys";

/**
 * Who owns the keys a user route acts on, as the resolver says; a value that is not an id
 * is the application's bug, so it is thrown as one (a 500), never answered as a refusal.
 */
async function resolveOwner(
  resolver: KeyOwnerResolver,
  req: KeyRouteRequest,
  principal: Principal,
): Promise<string | null> {
  const owner = await resolver(principal, req);
  return owner === null ? null : checkId(owner, "the id the keyRoutes option owner resolved");
}

export function createKeyRoutes(
  auth: { readonly keys: KeyManager; readonly config?: { readonly realm?: string } },
  options: KeyRoutesOptions = {},
): KeyRoutes {
  const adminRole = options.adminRole ?? "admin";
  const resolver = options.owner ?? ownId;
  if (typeof resolver !== "function") {
    throw new TypeError("gatehouse: keyRoutes option owner must be a function");
  }
  const ownerType = checkOwnerType(options.ownerType ?? "user");
  const maxOverlap = checkMaxOverlap(options.maxRotateOverlap ?? DEFAULT_MAX_ROTATE_OVERLAP);
  // One setting for the manager and the routes: `apiKeys.writeScope`.
  const { writeScope } = auth.keys;
  if (adminRole === "") {
    throw new TypeError("gatehouse: keyRoutes option adminRole must be non-empty");
  }
  const realm = realmOf(auth);

  /** Refusals that do not depend on the route's target. */
  function refusal(principal: Principal | null, route: Route, method: string): AuthError | null {
    const admin = ADMIN_KINDS.has(route.kind);
    const refused = admin ? requireRoles(principal, adminRole) : requireAuth(principal);
    if (refused) return refused;
    // A key (or a token minted from one) may read its owner's keys, but changing them takes
    // the write scope: otherwise one leaked key could mint, re-scope or revoke the others.
    if (method === "GET" || !lacksWriteScope(principal, writeScope)) return null;
    return requireScopes(principal, writeScope);
  }

  async function run(req: KeyRouteRequest, route: Route, principal: Principal, ownerId: string) {
    const keys = auth.keys;
    const method = req.method;

    if (method === "GET" && (route.kind === "collection" || route.kind === "userCollection")) {
      const page = checkPageQuery(req.query);
      if (!page.ok) return invalidBodyAnswer(page.errors);
      const result = await keys.list(ownerId, page.value);
      return jsonAnswer(200, { items: result.items.map(publicView), next: result.next }, NO_STORE);
    }
    if (route.kind === "rotate" || route.kind === "userRotate") {
      const checked = checkRotateBody(req.body, maxOverlap);
      if (!checked.ok) return invalidBodyAnswer(checked.errors);
      const rotation = { overlap: checked.value.overlap * 1000 };
      // The admin form goes through the admin path, so that it may rotate a key an
      // administrator disabled; it still answers only for a key of the named owner.
      const created =
        route.kind === "userRotate"
          ? (await keys.get(ownerId, route.id)) &&
            (await keys.admin.rotate(route.id, rotation, principal))
          : await keys.rotate(ownerId, route.id, rotation, principal);
      return created ? createdAnswer(created) : notFound();
    }
    if (route.kind === "userCredits") {
      const checked = checkTopUpBody(req.body);
      if (!checked.ok) return invalidBodyAnswer(checked.errors);
      const record =
        (await keys.get(ownerId, route.id)) &&
        (await keys.admin.topUp(route.id, checked.value.amount, principal));
      return record ? jsonAnswer(200, publicView(record), NO_STORE) : notFound();
    }
    if (method === "POST") {
      const checked = checkCreateBody(req.body);
      if (!checked.ok) return invalidBodyAnswer(checked.errors);
      const { name, scopes, expiresAt, environment } = checked.value;
      const created = await keys.create(
        {
          ownerId,
          ownerType,
          name,
          scopes: scopes ?? [],
          expiresAt: expiresAt ?? null,
          // Left out when the body names none, so that the key gets `apiKeys.environment`.
          ...(environment === undefined ? {} : { environment }),
        },
        principal,
      );
      return createdAnswer(created);
    }
    if (route.kind !== "key" && route.kind !== "userKey") return null;
    if (method === "GET") {
      const record = await keys.get(ownerId, route.id);
      return record ? jsonAnswer(200, publicView(record), NO_STORE) : notFound();
    }
    if (method === "PATCH") {
      const checked = checkUpdateBody(req.body, new Date(), route.kind === "userKey");
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
      const principal = req.principal!;
      let ownerId: string | null;
      if ("userId" in route) {
        ownerId = route.userId;
      } else {
        try {
          ownerId = await resolveOwner(resolver, req, principal);
        } catch (error) {
          return answerFor(error, realm);
        }
        if (ownerId === null) {
          const detail = "This caller belongs to no owner whose keys it may manage.";
          return errorAnswer(new AuthError("forbidden", { detail }), realm);
        }
      }
      try {
        return await run(req, route, principal, ownerId);
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
