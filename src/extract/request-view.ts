/**
 * Turns whatever the caller handed to `authenticate` into the {@link RequestView} the core
 * reads. A web `Request` already has that shape; the check exists so that a wrong argument
 * becomes a clear failure instead of a `TypeError` deep inside a parser.
 */
import type { RequestView } from "../types.js";

export function toRequestView(input: Request | RequestView): RequestView | null {
  if (typeof input !== "object" || input === null) return null;
  const { headers, method, url } = input as Partial<RequestView>;
  if (typeof headers?.get !== "function") return null;
  return {
    method: typeof method === "string" ? method.toUpperCase() : "GET",
    url: typeof url === "string" ? url : "/",
    headers,
  };
}
