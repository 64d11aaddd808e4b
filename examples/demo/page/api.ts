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

export interface KeyView {
  id: string;
  name: string;
  prefix: string;
  ownerId: string;
  scopes: string[];
  enabled: boolean;
  /** Computed by the server: the one rule for a key's state. */
  status: "active" | "disabled" | "expired" | "rotated";
  /** Who ended the key: its owner, an admin, or a rotation (for good). */
  disabledBy: "owner" | "admin" | "rotation" | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface Created {
  key: string;
  record: KeyView;
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

export const api = {
  me: () => call<Me>("GET", "/api/me"),
  login: (username: string, password: string) =>
    call<unknown>(
      "POST",
      "/auth/token",
      new URLSearchParams({ grant_type: "password", username, password, cookie: "1" }),
    ),
  logout: () => call<unknown>("POST", "/auth/logout"),
  users: () => call<{ users: string[] }>("GET", "/api/users"),

  list: () => call<{ items: KeyView[] }>("GET", "/users/keys"),
  create: (name: string, scopes: string[], expiresAt: string | null) =>
    call<Created>("POST", "/users/keys", { name, scopes, expiresAt }),
  update: (id: string, patch: { name?: string; enabled?: boolean }) =>
    call<KeyView>("PATCH", `/users/keys/${encodeURIComponent(id)}`, patch),
  remove: (id: string) => call<undefined>("DELETE", `/users/keys/${encodeURIComponent(id)}`),
  rotate: (id: string) => call<Created>("POST", `/users/keys/${encodeURIComponent(id)}/rotate`),

  listOf: (userId: string) =>
    call<{ items: KeyView[] }>("GET", `/users/keys/by-user/${encodeURIComponent(userId)}`),
  updateOf: (userId: string, id: string, patch: { name?: string; enabled?: boolean }) =>
    call<KeyView>(
      "PATCH",
      `/users/keys/by-user/${encodeURIComponent(userId)}/${encodeURIComponent(id)}`,
      patch,
    ),
  removeOf: (userId: string, id: string) =>
    call<undefined>(
      "DELETE",
      `/users/keys/by-user/${encodeURIComponent(userId)}/${encodeURIComponent(id)}`,
    ),
};
