/**
 * Turns whatever the caller handed to `authenticate` into the {@link RequestView} the core
 * reads. A web `Request` already has that shape; the check exists so that a wrong argument
 * becomes a clear failure instead of a `TypeError` deep inside a parser.
 */
import type { RequestView } from "../types.js";

export function toRequestView(input: Request | RequestView): RequestView | null {
  if (typeof input !== "object" || input === null) return null;
  const { headers, method } = input as Partial<RequestView>;
  if (typeof headers?.get !== "function") return null;
  // A view that is already well-formed is used as it is: no wrapper per request, and its
  // `url` is not read here, because only the cookie's CSRF check needs it and adapters
  // build it lazily (building it on every request measured as a third of an authenticated
  // route's cost, docs/benchmarks.md).
  // The usual methods first: no case conversion of the method on every request.
  if (method === "GET" || method === "POST") return input;
  if (typeof method === "string" && method === method.toUpperCase()) return input;
  const { url, ip } = input as Partial<RequestView>;
  return {
    method: typeof method === "string" ? method.toUpperCase() : "GET",
    url: typeof url === "string" ? url : "/",
    headers,
    ...(typeof ip === "string" ? { ip } : {}),
  };
}
