/**
 * THE behaviour table: every adapter and framework major must answer these requests the
 * same way. Rows run in order against one server with a fresh {@link Fixture}; rows that
 * change keys only touch keys reserved for them.
 */
import { expect } from "vitest";
import type { Fixture } from "./fixture.js";

export interface RowRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent as flat `[name, value, name, value…]` through node:http (fetch merges duplicates). */
  rawHeaders?: string[];
  /** An object is sent as JSON; a string is sent as is (set the content-type). */
  body?: unknown;
  /** Send on a connection of its own (for answers after which a server may close it). */
  ownConnection?: boolean;
}

export interface RowExpect {
  status: number;
  /** Lower-case names; a RegExp must match; `null` means the header must be absent. */
  headers?: Record<string, string | RegExp | null>;
  /** Dot paths into the JSON body → expected value (vitest asymmetric matchers welcome). */
  body?: Record<string, unknown>;
}

/** Values a row hands to the rows after it (a token, a cookie), per server. */
export type Memo = Record<string, string>;

export interface Row {
  name: string;
  request: (fx: Fixture, origin: string, memo: Memo) => RowRequest;
  expect: (fx: Fixture) => RowExpect;
  /** Stores what later rows need from this row's answer. */
  keep?: (
    reply: { body: unknown; headers: { get(name: string): string | null } },
    memo: Memo,
  ) => void;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const apiKey = (key: string) => ({ "x-api-key": key });
const cookie = (token: string) => ({ cookie: `access_token=${token}` });

const CHALLENGE_ONLY = 'Bearer realm="api"';
const INVALID_TOKEN = /^Bearer realm="api", error="invalid_token", error_description="/;
/** A key in X-API-Key is not a Bearer token: its refusal names the ApiKey scheme. */
const INVALID_KEY = /^ApiKey realm="api", error="invalid_key", error_description="/;
const PROBLEM = "application/problem+json";

function problem(status: number, code: string, challenge: string | RegExp | null): RowExpect {
  return {
    status,
    headers: { "content-type": PROBLEM, "www-authenticate": challenge },
    body: { status, code, type: `https://gatehouse.dev/errors/${code}`, title: expect.any(String) },
  };
}

const ok = (via: string, id = "alice"): RowExpect => ({
  status: 200,
  headers: { "www-authenticate": null },
  body: { "user.id": id, "user.via": via },
});

export const precedenceRows: Row[] = [
  {
    name: "nothing → 401 where required, bare challenge",
    request: () => ({ path: "/required" }),
    expect: () => problem(401, "missing_credentials", CHALLENGE_ONLY),
  },
  {
    name: "nothing → 200 anonymous where optional",
    request: () => ({ path: "/optional" }),
    expect: () => ({ status: 200, body: { user: null } }),
  },
  {
    name: "nothing → 401 behind requireAuth",
    request: () => ({ path: "/me" }),
    expect: () => problem(401, "missing_credentials", CHALLENGE_ONLY),
  },
  {
    name: "good Bearer → 200 via jwt",
    request: (fx) => ({ path: "/me", headers: bearer(fx.tokens.alice) }),
    expect: () => ok("jwt"),
  },
  {
    name: "good key → 200 via apiKey, key named, no hash",
    request: (fx) => ({ path: "/me", headers: apiKey(fx.keys.alice) }),
    expect: (fx) => ({
      ...ok("apiKey"),
      body: { "user.via": "apiKey", "user.key.id": fx.ids.alice, "user.key.hash": undefined },
    }),
  },
  {
    name: "bad Bearer + good key → 401 (Bearer decides)",
    request: (fx) => ({
      path: "/optional",
      headers: { ...bearer(fx.tokens.wrongSignature), ...apiKey(fx.keys.alice) },
    }),
    expect: () => problem(401, "invalid_token", INVALID_TOKEN),
  },
  {
    name: "good key + bad cookie → 200 via apiKey",
    request: (fx) => ({ path: "/me", headers: { ...apiKey(fx.keys.alice), ...cookie("junk") } }),
    expect: () => ok("apiKey"),
  },
  {
    name: "bad key + good cookie → 401 (key decides)",
    request: (fx) => ({
      path: "/optional",
      headers: { ...apiKey(fx.keys.unknown), ...cookie(fx.tokens.alice) },
    }),
    expect: () => problem(401, "invalid_api_key", INVALID_KEY),
  },
  {
    name: "cookie only → 200 via cookie",
    request: (fx) => ({ path: "/required", headers: cookie(fx.tokens.alice) }),
    expect: () => ok("cookie"),
  },
  {
    name: "non-Bearer Authorization counts as absent (optional → anonymous)",
    request: () => ({ path: "/optional", headers: { authorization: "Basic dXNlcjpwYXNz" } }),
    expect: () => ({ status: 200, body: { user: null } }),
  },
  {
    name: "present but bad credential on an optional route → 401, never anonymous",
    request: () => ({ path: "/optional", headers: bearer("not.a.jwt") }),
    expect: () => ({ status: 401, headers: { "www-authenticate": INVALID_TOKEN } }),
  },
];

export const errorRows: Row[] = [
  {
    name: "invalid_request: two Authorization headers → 400",
    request: (fx) => ({
      path: "/optional",
      rawHeaders: ["Authorization", `Bearer ${fx.tokens.alice}`, "Authorization", "Bearer other"],
    }),
    expect: () => problem(400, "invalid_request", /^Bearer realm="api", error="invalid_request"/),
  },
  {
    name: "invalid_token: wrong signature",
    request: (fx) => ({ path: "/required", headers: bearer(fx.tokens.wrongSignature) }),
    expect: () => problem(401, "invalid_token", INVALID_TOKEN),
  },
  {
    name: "invalid_token: oversized token refused",
    request: (fx) => ({ path: "/required", headers: bearer(fx.tokens.oversized) }),
    expect: () => problem(401, "invalid_token", INVALID_TOKEN),
  },
  {
    name: "token_expired",
    request: (fx) => ({ path: "/required", headers: bearer(fx.tokens.expired) }),
    expect: () => problem(401, "token_expired", INVALID_TOKEN),
  },
  {
    name: "invalid_api_key: unknown key",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.unknown) }),
    expect: () => problem(401, "invalid_api_key", INVALID_KEY),
  },
  {
    name: "invalid_api_key: malformed key",
    request: () => ({ path: "/required", headers: apiKey("gh_not-a-key") }),
    expect: () => problem(401, "invalid_api_key", INVALID_KEY),
  },
  {
    name: "key_disabled",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.disabled) }),
    expect: () => problem(401, "key_disabled", INVALID_KEY),
  },
  {
    name: "key_expired",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.expired) }),
    expect: () => problem(401, "key_expired", INVALID_KEY),
  },
  {
    name: "insufficient_scope with the scope in the challenge",
    request: (fx) => ({ path: "/reports", headers: bearer(fx.tokens.noScopes) }),
    expect: () =>
      problem(
        403,
        "insufficient_scope",
        'Bearer realm="api", error="insufficient_scope", scope="reports:read"',
      ),
  },
  {
    name: "forbidden: missing role, no challenge",
    request: (fx) => ({ path: "/admin", headers: bearer(fx.tokens.alice) }),
    expect: () => problem(403, "forbidden", null),
  },
  {
    name: "csrf_failed: cookie POST from another origin → 403",
    request: (fx) => ({
      method: "POST",
      path: "/required",
      headers: { ...cookie(fx.tokens.alice), origin: "https://evil.example" },
    }),
    expect: () => problem(403, "csrf_failed", null),
  },
  {
    name: "cookie POST from the same origin → 200",
    request: (fx, origin) => ({
      method: "POST",
      path: "/required",
      headers: { ...cookie(fx.tokens.alice), origin },
    }),
    expect: () => ok("cookie"),
  },
  {
    name: "Bearer POST from another origin is not subject to CSRF → 200",
    request: (fx) => ({
      method: "POST",
      path: "/required",
      headers: { ...bearer(fx.tokens.alice), origin: "https://evil.example" },
    }),
    expect: () => ok("jwt"),
  },
  {
    name: "rate_limited: a key over its budget → 429 with Retry-After, not 401",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.limitedSpent) }),
    expect: () => ({
      ...problem(429, "rate_limited", null),
      headers: { "content-type": PROBLEM, "www-authenticate": null, "retry-after": /^\d+$/ },
    }),
  },
  {
    name: "usage_exceeded: a metered key with no credits left → 429 with Retry-After until its refill, not 401",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.exhausted) }),
    expect: () => ({
      ...problem(429, "usage_exceeded", null),
      headers: { "content-type": PROBLEM, "www-authenticate": null, "retry-after": /^\d+$/ },
    }),
  },
  {
    name: "usage_exceeded: a token minted from a key with no credits left → 429 too",
    request: (fx) => ({ path: "/required", headers: bearer(fx.tokens.fromExhausted) }),
    expect: () => ({
      ...problem(429, "usage_exceeded", null),
      headers: { "content-type": PROBLEM, "www-authenticate": null, "retry-after": /^\d+$/ },
    }),
  },
  {
    name: "a metered key with credits → 200, its metadata and environment on principal.key",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.metered) }),
    expect: () => ({
      status: 200,
      body: {
        "user.via": "apiKey",
        "user.key.metadata.tenant": "acme",
        "user.key.environment": "test",
      },
    }),
  },
  {
    name: "a token minted from a key → 200, the key's metadata and environment on principal.key",
    request: (fx) => ({ path: "/required", headers: bearer(fx.tokens.fromMetered) }),
    expect: () => ({
      status: 200,
      body: {
        "user.via": "jwt",
        "user.key.metadata.tenant": "acme",
        "user.key.environment": "test",
      },
    }),
  },
  {
    name: "unavailable: key store down → 503 with Retry-After, never 401",
    request: (fx) => ({ path: "/down", headers: apiKey(fx.keys.onDownStore) }),
    expect: () => ({
      ...problem(503, "unavailable", null),
      headers: { "content-type": PROBLEM, "www-authenticate": null, "retry-after": /^\d+$/ },
    }),
  },
];

export const guardRows: Row[] = [
  {
    name: "requireScopes: held scope → 200",
    request: (fx) => ({ path: "/reports", headers: apiKey(fx.keys.alice) }),
    expect: () => ({ status: 200 }),
  },
  {
    name: "requireScopes: anonymous → 401",
    request: () => ({ path: "/reports" }),
    expect: () => problem(401, "missing_credentials", CHALLENGE_ONLY),
  },
  {
    name: "requireRoles: held role → 200",
    request: (fx) => ({ path: "/admin", headers: bearer(fx.tokens.admin) }),
    expect: () => ok("jwt", "root"),
  },
  {
    name: "requireRoles: anonymous → 401",
    request: () => ({ path: "/admin" }),
    expect: () => problem(401, "missing_credentials", CHALLENGE_ONLY),
  },
  {
    name: "CORS preflight passes a required authenticate untouched",
    request: (fx, origin) => ({
      method: "OPTIONS",
      path: "/required",
      headers: { origin, "access-control-request-method": "GET" },
    }),
    expect: () => ({ status: 204, headers: { "www-authenticate": null } }),
  },
  {
    name: "OPTIONS without Access-Control-Request-Method is not a preflight → 401",
    request: () => ({ method: "OPTIONS", path: "/required" }),
    expect: () => ({ status: 401 }),
  },
];

const K = "/users/keys";
const json = (body: unknown) => body;

export const keyRouteRows: Row[] = [
  {
    name: "keys: anonymous list → 401",
    request: () => ({ path: K }),
    expect: () => problem(401, "missing_credentials", CHALLENGE_ONLY),
  },
  {
    name: "keys: list own, no hashes, no-store",
    request: (fx) => ({ path: `${K}/`, headers: bearer(fx.tokens.alice) }),
    expect: (fx) => ({
      status: 200,
      headers: { "cache-control": "no-store", "content-type": /^application\/json/ },
      body: {
        items: expect.arrayContaining([expect.objectContaining({ id: fx.ids.alice })]) as unknown,
        "items.0.hash": undefined,
        "items.0.ownerId": "alice",
        next: null,
      },
    }),
  },
  {
    name: "keys: list never shows another user's key",
    request: (fx) => ({ path: K, headers: bearer(fx.tokens.alice) }),
    expect: (fx) => ({
      status: 200,
      body: {
        items: expect.not.arrayContaining([expect.objectContaining({ id: fx.ids.bob })]) as unknown,
      },
    }),
  },
  {
    name: "keys: create → 201, plaintext once, no-store",
    request: (fx) => ({
      method: "POST",
      path: K,
      headers: bearer(fx.tokens.alice),
      body: json({ name: "deploy", scopes: ["reports:read"] }),
    }),
    expect: () => ({
      status: 201,
      headers: { "cache-control": "no-store" },
      body: {
        key: expect.stringMatching(/^gh_/) as unknown,
        "record.name": "deploy",
        "record.ownerId": "alice",
        "record.scopes": ["reports:read"],
        "record.hash": undefined,
      },
    }),
  },
  {
    name: "keys: create from a form body",
    request: (fx) => ({
      method: "POST",
      path: K,
      headers: { ...bearer(fx.tokens.alice), "content-type": "application/x-www-form-urlencoded" },
      body: "name=from-a-form",
    }),
    expect: () => ({ status: 201, body: { "record.name": "from-a-form" } }),
  },
  {
    name: "keys: create with bad and unknown fields → 400 listing each",
    request: (fx) => ({
      method: "POST",
      path: K,
      headers: bearer(fx.tokens.alice),
      body: json({ name: "", roles: ["admin"], expiresAt: "yesterday" }),
    }),
    expect: () => ({
      status: 400,
      headers: { "content-type": PROBLEM, "www-authenticate": null },
      body: {
        code: "invalid_body",
        errors: expect.arrayContaining([
          expect.objectContaining({ field: "name" }),
          expect.objectContaining({ field: "roles" }),
          expect.objectContaining({ field: "expiresAt" }),
        ]) as unknown,
      },
    }),
  },
  {
    name: "keys: create with malformed JSON → 400",
    request: (fx) => ({
      method: "POST",
      path: K,
      headers: { ...bearer(fx.tokens.alice), "content-type": "application/json" },
      body: '{"name": ',
    }),
    // Only the status: when the app has its own JSON parser in front (express.json()),
    // that parser answers in its own format before the key routes see the body.
    expect: () => ({ status: 400 }),
  },
  {
    name: "keys: create with an oversized body → 413",
    request: (fx) => ({
      method: "POST",
      path: K,
      headers: { ...bearer(fx.tokens.alice), "content-type": "application/x-www-form-urlencoded" },
      body: `name=${"x".repeat(200_000)}`,
      ownConnection: true,
    }),
    expect: () => ({ status: 413, headers: { "content-type": PROBLEM } }),
  },
  {
    name: "keys: scopes beyond the caller's own → 403",
    request: (fx) => ({
      method: "POST",
      path: K,
      headers: bearer(fx.tokens.alice),
      body: json({ name: "greedy", scopes: ["billing:write"] }),
    }),
    expect: () => ({ status: 403, body: { code: "forbidden" } }),
  },
  {
    name: "keys: an API key without keys:write cannot create keys → 403",
    request: (fx) => ({
      method: "POST",
      path: K,
      headers: apiKey(fx.keys.alice),
      body: json({ name: "from a key" }),
    }),
    expect: () =>
      problem(403, "insufficient_scope", /error="insufficient_scope", scope="keys:write"/),
  },
  {
    name: "keys: an API key with keys:write can → 201",
    request: (fx) => ({
      method: "POST",
      path: K,
      headers: apiKey(fx.keys.aliceWriter),
      body: json({ name: "from a writer key", scopes: ["reports:read"] }),
    }),
    expect: () => ({ status: 201, body: { "record.ownerId": "alice" } }),
  },
  {
    name: "keys: get own",
    request: (fx) => ({ path: `${K}/${fx.ids.alice}`, headers: bearer(fx.tokens.alice) }),
    expect: (fx) => ({ status: 200, body: { id: fx.ids.alice, name: "ci", hash: undefined } }),
  },
  {
    name: "keys: get another user's key → 404",
    request: (fx) => ({ path: `${K}/${fx.ids.bob}`, headers: bearer(fx.tokens.alice) }),
    expect: () => ({ status: 404, headers: { "content-type": PROBLEM } }),
  },
  {
    name: "keys: patch own name and enabled",
    request: (fx) => ({
      method: "PATCH",
      path: `${K}/${fx.ids.alicePatchable}`,
      headers: bearer(fx.tokens.alice),
      body: json({ name: "renamed", enabled: false }),
    }),
    expect: () => ({ status: 200, body: { name: "renamed", enabled: false, status: "disabled" } }),
  },
  {
    name: "keys: patch with nothing to change → 400",
    request: (fx) => ({
      method: "PATCH",
      path: `${K}/${fx.ids.alicePatchable}`,
      headers: bearer(fx.tokens.alice),
      body: json({}),
    }),
    expect: () => ({ status: 400, body: { code: "invalid_body" } }),
  },
  {
    name: "keys: patch another user's key → 404",
    request: (fx) => ({
      method: "PATCH",
      path: `${K}/${fx.ids.bob}`,
      headers: bearer(fx.tokens.alice),
      body: json({ enabled: false }),
    }),
    expect: () => ({ status: 404 }),
  },
  {
    name: "keys: delete another user's key → 404",
    request: (fx) => ({
      method: "DELETE",
      path: `${K}/${fx.ids.bob}`,
      headers: bearer(fx.tokens.alice),
    }),
    expect: () => ({ status: 404 }),
  },
  {
    name: "keys: delete own → 204",
    request: (fx) => ({
      method: "DELETE",
      path: `${K}/${fx.ids.aliceDeletable}`,
      headers: bearer(fx.tokens.alice),
    }),
    expect: () => ({ status: 204 }),
  },
  {
    name: "keys: a deleted key is gone → 404",
    request: (fx) => ({ path: `${K}/${fx.ids.aliceDeletable}`, headers: bearer(fx.tokens.alice) }),
    expect: () => ({ status: 404 }),
  },
  {
    name: "keys: unsupported method → 405 with Allow",
    request: (fx) => ({ method: "PUT", path: K, headers: bearer(fx.tokens.alice), body: {} }),
    expect: () => ({ status: 405, headers: { allow: "GET, POST" } }),
  },
  {
    name: "admin: list by user without the role → 403",
    request: (fx) => ({ path: `${K}/by-user/bob`, headers: bearer(fx.tokens.alice) }),
    expect: () => problem(403, "forbidden", null),
  },
  {
    name: "admin: list by user",
    request: (fx) => ({ path: `${K}/by-user/bob`, headers: bearer(fx.tokens.admin) }),
    expect: (fx) => ({
      status: 200,
      body: {
        items: expect.arrayContaining([expect.objectContaining({ id: fx.ids.bob })]) as unknown,
        "items.0.ownerId": "bob",
        "items.0.hash": undefined,
      },
    }),
  },
  {
    name: "admin: patch a key under the wrong user → 404",
    request: (fx) => ({
      method: "PATCH",
      path: `${K}/by-user/alice/${fx.ids.bobAdminTarget}`,
      headers: bearer(fx.tokens.admin),
      body: json({ enabled: false }),
    }),
    expect: () => ({ status: 404 }),
  },
  {
    name: "admin: patch another user's key",
    request: (fx) => ({
      method: "PATCH",
      path: `${K}/by-user/bob/${fx.ids.bobAdminTarget}`,
      headers: bearer(fx.tokens.admin),
      body: json({ enabled: false }),
    }),
    expect: (fx) => ({ status: 200, body: { id: fx.ids.bobAdminTarget, enabled: false } }),
  },
  {
    name: "admin: delete another user's key",
    request: (fx) => ({
      method: "DELETE",
      path: `${K}/by-user/bob/${fx.ids.bobAdminTarget}`,
      headers: bearer(fx.tokens.admin),
    }),
    expect: () => ({ status: 204 }),
  },
  {
    name: "admin: delete without the role → 403",
    request: (fx) => ({
      method: "DELETE",
      path: `${K}/by-user/bob/${fx.ids.bob}`,
      headers: bearer(fx.tokens.alice),
    }),
    expect: () => problem(403, "forbidden", null),
  },
  {
    name: "keys: rotate own → 201, the new key once, no-store, the old one named replaced",
    request: (fx) => ({
      method: "POST",
      path: `${K}/${fx.ids.rotatable}/rotate`,
      headers: bearer(fx.tokens.alice),
      body: json({ overlap: 0 }),
    }),
    expect: () => ({
      status: 201,
      headers: { "cache-control": "no-store" },
      body: { key: expect.stringMatching(/^[a-z]+_/), "record.name": "to rotate" },
    }),
  },
  {
    name: "keys: a key rotated with no overlap → 401 key_disabled",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.rotatable) }),
    expect: () => problem(401, "key_disabled", INVALID_KEY),
  },
  {
    name: "credits: an owner cannot set a key's credits → 400",
    request: (fx) => ({
      method: "PATCH",
      path: `${K}/${fx.ids.toppable}`,
      headers: bearer(fx.tokens.alice),
      body: json({ credits: { remaining: 1000 } }),
    }),
    expect: () => ({ status: 400, body: { code: "invalid_body" } }),
  },
  {
    name: "credits: top-up without the admin role → 403",
    request: (fx) => ({
      method: "POST",
      path: `${K}/by-user/alice/${fx.ids.toppable}/credits`,
      headers: bearer(fx.tokens.alice),
      body: json({ amount: 5 }),
    }),
    expect: () => problem(403, "forbidden", null),
  },
  {
    name: "credits: an exhausted key before its top-up → 429 usage_exceeded, no Retry-After",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.toppable) }),
    expect: () => ({
      ...problem(429, "usage_exceeded", null),
      headers: { "content-type": PROBLEM, "retry-after": null },
    }),
  },
  {
    name: "credits: admin top-up → 200 with the new count, no-store",
    request: (fx) => ({
      method: "POST",
      path: `${K}/by-user/alice/${fx.ids.toppable}/credits`,
      headers: bearer(fx.tokens.admin),
      body: json({ amount: 1 }),
    }),
    expect: () => ({
      status: 200,
      headers: { "cache-control": "no-store" },
      body: { "credits.remaining": 1, "credits.refill": null },
    }),
  },
  {
    name: "credits: the topped-up key → 200, once (app-wide and route authenticate count it once)",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.toppable) }),
    expect: () => ok("apiKey"),
  },
  {
    name: "credits: and then out again → 429",
    request: (fx) => ({ path: "/required", headers: apiKey(fx.keys.toppable) }),
    expect: () => problem(429, "usage_exceeded", null),
  },
];

const D = "/down-keys";

/** An outage: 503 with Retry-After, no challenge, and nothing of the store's own error. */
function unavailable(): RowExpect {
  const base = problem(503, "unavailable", null);
  return {
    ...base,
    headers: {
      "content-type": PROBLEM,
      "cache-control": "no-store",
      "www-authenticate": null,
      "retry-after": /^\d+$/,
    },
    body: {
      ...base.body,
      title: "Key store unavailable",
      detail: expect.not.stringContaining("connection refused") as unknown,
    },
  };
}

/**
 * The key routes of the down auth: the caller authenticates with a JWT (no store needed),
 * so each answer is the store's failure, never a 401, a 404 or a 500.
 */
export const downKeyRouteRows: Row[] = [
  {
    name: "down keys: the down auth's JWT authenticates (by-user without the role → 403, no store)",
    request: (fx) => ({ path: `${D}/by-user/bob`, headers: bearer(fx.tokens.onDownAuth) }),
    expect: () => problem(403, "forbidden", null),
  },
  {
    name: "down keys: list own, store down → 503 unavailable",
    request: (fx) => ({ path: D, headers: bearer(fx.tokens.onDownAuth) }),
    expect: () => unavailable(),
  },
  {
    name: "down keys: create, store down → 503 unavailable",
    request: (fx) => ({
      method: "POST",
      path: D,
      headers: bearer(fx.tokens.onDownAuth),
      body: json({ name: "during the outage", scopes: ["reports:read"] }),
    }),
    expect: () => unavailable(),
  },
  {
    name: "down keys: get own, store down → 503 unavailable, not 404",
    request: (fx) => ({
      path: `${D}/${fx.ids.onDownStore}`,
      headers: bearer(fx.tokens.onDownAuth),
    }),
    expect: () => unavailable(),
  },
  {
    name: "down keys: patch own, store down → 503 unavailable",
    request: (fx) => ({
      method: "PATCH",
      path: `${D}/${fx.ids.onDownStore}`,
      headers: bearer(fx.tokens.onDownAuth),
      body: json({ name: "renamed" }),
    }),
    expect: () => unavailable(),
  },
  {
    name: "down keys: delete own, store down → 503 unavailable",
    request: (fx) => ({
      method: "DELETE",
      path: `${D}/${fx.ids.onDownStore}`,
      headers: bearer(fx.tokens.onDownAuth),
    }),
    expect: () => unavailable(),
  },
  {
    name: "down keys: admin list by user, store down → 503 unavailable",
    request: (fx) => ({ path: `${D}/by-user/alice`, headers: bearer(fx.tokens.adminOnDownAuth) }),
    expect: () => unavailable(),
  },
  {
    name: "down keys: admin delete, store down → 503 unavailable",
    request: (fx) => ({
      method: "DELETE",
      path: `${D}/by-user/alice/${fx.ids.onDownStore}`,
      headers: bearer(fx.tokens.adminOnDownAuth),
    }),
    expect: () => unavailable(),
  },
];

const T = "/auth/token";
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function tokenAnswer(scope: string): RowExpect {
  return {
    status: 200,
    headers: { "cache-control": "no-store", "content-type": /^application\/json/ },
    body: {
      access_token: expect.stringMatching(/^ey/) as unknown,
      token_type: "Bearer",
      expires_in: 900,
      scope,
    },
  };
}

const keepToken =
  (name: string): Row["keep"] =>
  (reply, memo) => {
    const body = reply.body as { access_token?: string; accessToken?: string };
    memo[name] = body.access_token ?? body.accessToken ?? "";
  };

function oauthError(status: number, error: string): RowExpect {
  return { status, headers: { "cache-control": "no-store" }, body: { error } };
}

export const tokenRouteRows: Row[] = [
  {
    name: "token: refresh_token grant with an API key (form)",
    request: (fx) => ({
      method: "POST",
      path: T,
      headers: FORM,
      body: form({ grant_type: "refresh_token", refresh_token: fx.keys.alice }),
    }),
    expect: () => tokenAnswer("reports:read"),
    keep: keepToken("refreshed"),
  },
  {
    name: "token: the refreshed token authenticates with exactly the key's scopes",
    request: (_fx, _o, memo) => ({ path: "/me", headers: bearer(memo.refreshed ?? "") }),
    expect: () => ({ ...ok("jwt"), body: { "user.id": "alice", "user.scopes": ["reports:read"] } }),
  },
  {
    name: "token: refresh_token with a disabled key → invalid_grant",
    request: (fx) => ({
      method: "POST",
      path: T,
      headers: FORM,
      body: form({ grant_type: "refresh_token", refresh_token: fx.keys.disabled }),
    }),
    expect: () => oauthError(400, "invalid_grant"),
  },
  {
    name: "token: a scope parameter narrows, never widens",
    request: (fx) => ({
      method: "POST",
      path: T,
      body: { grant_type: "refresh_token", refresh_token: fx.keys.alice, scope: "admin" },
    }),
    expect: () => oauthError(400, "invalid_scope"),
  },
  {
    name: "token: client_credentials in the body (JSON)",
    request: (fx) => ({
      method: "POST",
      path: T,
      body: {
        grant_type: "client_credentials",
        client_id: fx.ids.service,
        client_secret: fx.keys.service,
        scope: "invoices:write",
      },
    }),
    expect: () => tokenAnswer("invoices:write"),
    keep: keepToken("client"),
  },
  {
    name: "token: the client token authenticates as the service",
    request: (_fx, _o, memo) => ({ path: "/me", headers: bearer(memo.client ?? "") }),
    expect: () => ({
      status: 200,
      body: { "user.id": "billing-app", "user.scopes": ["invoices:write"] },
    }),
  },
  {
    name: "token: client_credentials with HTTP Basic",
    request: (fx) => ({
      method: "POST",
      path: T,
      headers: {
        ...FORM,
        authorization: `Basic ${Buffer.from(`${fx.ids.service}:${fx.keys.service}`).toString("base64")}`,
      },
      body: form({ grant_type: "client_credentials" }),
    }),
    expect: () => tokenAnswer("reports:read invoices:write"),
  },
  {
    name: "token: client_credentials with a wrong Basic secret → 401 invalid_client, Basic challenge",
    request: (fx) => ({
      method: "POST",
      path: T,
      headers: {
        ...FORM,
        authorization: `Basic ${Buffer.from(`${fx.ids.service}:${fx.keys.bob}`).toString("base64")}`,
      },
      body: form({ grant_type: "client_credentials" }),
    }),
    expect: () => ({
      ...oauthError(401, "invalid_client"),
      headers: { "www-authenticate": /^Basic / },
    }),
  },
  {
    name: "token: the app_token JSON shape answers accessToken too",
    request: (fx) => ({
      method: "POST",
      path: T,
      body: { grantType: "app_token", AppId: fx.ids.service, AppSecret: fx.keys.service },
    }),
    expect: () => ({
      status: 200,
      body: {
        accessToken: expect.stringMatching(/^ey/) as unknown,
        access_token: expect.stringMatching(/^ey/) as unknown,
      },
    }),
  },
  {
    name: "token: password grant through verifyUser",
    request: () => ({
      method: "POST",
      path: T,
      headers: FORM,
      body: form({ grant_type: "password", username: "alice", password: "wonderland" }),
    }),
    expect: () => ({ ...tokenAnswer("reports:read"), headers: { "set-cookie": null } }),
  },
  {
    name: "token: wrong password → invalid_grant",
    request: () => ({
      method: "POST",
      path: T,
      headers: FORM,
      body: form({ grant_type: "password", username: "alice", password: "guess" }),
    }),
    expect: () => oauthError(400, "invalid_grant"),
  },
  {
    name: "token: unknown grant → unsupported_grant_type",
    request: () => ({ method: "POST", path: T, body: { grant_type: "magic" } }),
    expect: () => oauthError(400, "unsupported_grant_type"),
  },
  {
    name: "token: cookie login sets an HttpOnly SameSite=Lax cookie",
    request: () => ({
      method: "POST",
      path: `${T}?cookie=1`,
      headers: FORM,
      body: form({ grant_type: "password", username: "alice", password: "wonderland" }),
    }),
    expect: () => ({
      status: 200,
      headers: { "set-cookie": /^access_token=ey[^;]+;.*HttpOnly.*SameSite=Lax/i },
      body: { access_token: undefined, token_type: "Bearer" },
    }),
    keep: (reply, memo) => {
      memo.cookie = (reply.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    },
  },
  {
    name: "token: GET with only the login cookie → 200 via cookie",
    request: (_fx, _o, memo) => ({ path: "/me", headers: { cookie: memo.cookie ?? "" } }),
    expect: () => ok("cookie"),
  },
  {
    name: "token: cookie POST cross-origin → 403 csrf_failed",
    request: (_fx, _o, memo) => ({
      method: "POST",
      path: "/required",
      headers: { cookie: memo.cookie ?? "", origin: "https://evil.example" },
    }),
    expect: () => problem(403, "csrf_failed", null),
  },
  {
    name: "token: cookie POST same-origin → 200",
    request: (_fx, origin, memo) => ({
      method: "POST",
      path: "/required",
      headers: { cookie: memo.cookie ?? "", origin },
    }),
    expect: () => ok("cookie"),
  },
  {
    name: "token: logout clears the cookie",
    request: (_fx, origin) => ({ method: "POST", path: "/auth/logout", headers: { origin } }),
    expect: () => ({
      status: 204,
      headers: { "set-cookie": /^access_token=;.*Max-Age=0/i },
    }),
  },
  {
    name: "token: GET on the token route → 405",
    request: () => ({ path: T }),
    expect: () => ({ status: 405, headers: { allow: "POST" } }),
  },
];

export const behaviours: Row[] = [
  ...precedenceRows,
  ...errorRows,
  ...guardRows,
  ...keyRouteRows,
  ...downKeyRouteRows,
  ...tokenRouteRows,
];
