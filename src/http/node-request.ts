/**
 * The {@link RequestView} of a Node `IncomingMessage`, shared by the Express and Koa
 * adapters (and Hono on `@hono/node-server`). Node's `req.headers` keeps only the first
 * `Authorization` header and drops the rest, which would hide a duplicated credential from
 * the core, so values are read from `rawHeaders`, which keeps every line as sent, and joined
 * with `", "` as the Fetch `Headers` class does. Cookie lines are joined with `"; "` instead:
 * HTTP/2 splits one cookie header into several, and they must read back as one.
 */
import type { IncomingMessage } from "node:http";
import type { RequestView } from "../types.js";
import type { BodySource } from "./read-body.js";

/**
 * @param url - the absolute URL of the request as the framework sees it (it knows about
 *   proxies and mount points; Node alone does not). A function, because building it costs
 *   more than most requests need: it is computed on first read only.
 */
export function nodeRequestView(req: IncomingMessage, url: () => string): RequestView {
  let absolute: string | undefined;
  return {
    method: req.method ?? "GET",
    get url() {
      absolute ??= url();
      return absolute;
    },
    headers: {
      get(name: string): string | null {
        // A scan without allocation: the core asks for a handful of headers per request,
        // and building a full header map (headersDistinct) costs more than these scans.
        const wanted = name.toLowerCase();
        const separator = wanted === "cookie" ? "; " : ", ";
        const raw = req.rawHeaders;
        let found: string | null = null;
        for (let i = 0; i < raw.length; i += 2) {
          const key = raw[i]!;
          if (key.length === wanted.length && key.toLowerCase() === wanted) {
            const value = raw[i + 1]!;
            found = found === null ? value : `${found}${separator}${value}`;
          }
        }
        return found;
      },
    },
  };
}

/** The body of a Node request for {@link readBody}, or no body when there is none. */
export function nodeBodySource(req: IncomingMessage): BodySource {
  const contentLength = req.headers["content-length"] ?? null;
  const hasBody = contentLength !== null || req.headers["transfer-encoding"] !== undefined;
  return {
    contentType: req.headers["content-type"] ?? null,
    contentLength,
    chunks: hasBody && !req.readableEnded ? req : null,
  };
}

/** Whether a request is a CORS preflight, which must pass without credentials. */
export function isPreflight(method: string, headers: RequestView["headers"]): boolean {
  return method === "OPTIONS" && headers.get("access-control-request-method") !== null;
}
