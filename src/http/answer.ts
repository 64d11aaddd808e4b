/**
 * The framework-neutral HTTP answer that core route handlers (key routes, token routes)
 * return and adapters translate into their framework's response, field for field.
 */
export interface HttpAnswer {
  status: number;
  /** Lower-case header names. `set-cookie` may carry several values. */
  headers: Record<string, string | string[]>;
  /** A JSON-serialisable body, or `undefined` for none (204). */
  body?: unknown;
}

/**
 * The neutral view of a request that reaches a core route handler: the adapter has read the
 * method, the path below the mount point, the parsed body and the principal (if any).
 */
export interface RouteRequest {
  method: string;
  /** The path below the mount point, starting with `/` (e.g. `/by-user/alice`). */
  path: string;
  headers: { get(name: string): string | null };
  /** The parsed body: a JSON value, or a record of form fields; `undefined` when none. */
  body: unknown;
  /** The remote address, for throttling. */
  ip?: string;
  /** The query string, parsed; absent when the adapter has none to give. */
  query?: URLSearchParams;
}
