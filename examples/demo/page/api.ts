/**
 * The page's calls to the demo API. Every call rides on the HttpOnly cookie that the
 * password login set (same-origin fetch sends it by default); unsafe calls pass the CSRF
 * rule because the browser adds a same-origin `Origin` header to every fetch POST, PATCH
 * and DELETE. The page itself never holds a token.
 */

export interface Me {
  id: string;
  roles: string[];
  scopes: string[];
  via: string;
}

export interface Session {
  user: Me | null;
  /** The team whose keys the user manages too (`/teams/keys`), or `null`. */
  team: string | null;
}

/** A metered key's usage credits, as the key routes answer them. */
export interface KeyCredits {
  /** Requests the key may still make; one more answers 429 `usage_exceeded`. */
  remaining: number;
  /** What the key is topped back up to, and how often (ms); `null` for no refill. */
  refill: { amount: number; interval: number } | null;
  /** When the last refill came (ISO), `null` before the first. */
  refilledAt: string | null;
}

export interface KeyView {
  id: string;
  name: string;
  prefix: string;
  ownerId: string;
  ownerType: "user" | "org" | "service";
  scopes: string[];
  enabled: boolean;
  /** Computed by the server: the one rule for a key's state. */
  status: "active" | "disabled" | "expired" | "rotated";
  /** Who ended the key: its owner, an admin, or a rotation (for good). */
  disabledBy: "owner" | "admin" | "rotation" | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  /** Usage credits; `null` or absent for an unmetered key. */
  credits?: KeyCredits | null;
}

export interface Created {
  key: string;
  record: KeyView;
}

export interface KeyPatch {
  name?: string;
  enabled?: boolean;
}

/** A failed call, with the problem document's detail when the server sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { accept: "application/json" } };
  if (body instanceof URLSearchParams) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { accept: "application/json", "content-type": "application/json" };
  }
  const response = await fetch(path, init);
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok) {
    // Problem documents carry `detail`; OAuth errors carry `error_description` / `error`.
    const detail = [data?.detail, data?.error_description, data?.error].find(
      (value): value is string => typeof value === "string",
    );
    throw new ApiError(response.status, detail ?? response.statusText);
  }
  return data as T;
}

/** The key routes under one mount: your own (`/users/keys`), your team's, or one user's (admin). */
export interface KeyApi {
  list(): Promise<{ items: KeyView[] }>;
  create(name: string, scopes: string[], expiresAt: string | null): Promise<Created>;
  update(id: string, patch: KeyPatch): Promise<KeyView>;
  remove(id: string): Promise<undefined>;
  /** `overlap`: seconds the old key keeps working. */
  rotate(id: string, overlap: number): Promise<Created>;
}

function keysAt(base: string): KeyApi {
  const one = (id: string) => `${base}/${encodeURIComponent(id)}`;
  return {
    list: () => call("GET", base),
    create: (name, scopes, expiresAt) => call("POST", base, { name, scopes, expiresAt }),
    update: (id, patch) => call("PATCH", one(id), patch),
    remove: (id) => call("DELETE", one(id)),
    rotate: (id, overlap) => call("POST", `${one(id)}/rotate`, { overlap }),
  };
}

export const api = {
  session: () => call<Session>("GET", "/api/session"),
  login: (username: string, password: string) =>
    call<unknown>(
      "POST",
      "/auth/token",
      new URLSearchParams({ grant_type: "password", username, password, cookie: "1" }),
    ),
  logout: () => call<unknown>("POST", "/auth/logout"),
  users: () => call<{ users: string[] }>("GET", "/api/users"),

  own: keysAt("/users/keys"),
  team: keysAt("/teams/keys"),
  /** An admin's view of one owner's keys (the `by-user` routes, which have no create). */
  of: (userId: string) => keysAt(`/users/keys/by-user/${encodeURIComponent(userId)}`),
};
