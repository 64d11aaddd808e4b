/**
 * The {@link RequestView} of a Node `IncomingMessage`, shared by the Express and Koa
 * adapters. Node's `req.headers` keeps only the first `Authorization` header and drops the
 * rest, which would hide a duplicated credential from the core; `headersDistinct` keeps
 * every value, and they are joined with `", "` as the Fetch `Headers` class does.
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
  const distinct = req.headersDistinct;
  let absolute: string | undefined;
  return {
    method: req.method ?? "GET",
    get url() {
      absolute ??= url();
      return absolute;
    },
    headers: {
      get(name: string): string | null {
        const values = distinct[name.toLowerCase()];
        return values === undefined || values.length === 0 ? null : values.join(", ");
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
