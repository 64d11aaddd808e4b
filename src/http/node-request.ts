/**
 * The {@link RequestView} of a Node `IncomingMessage`, shared by the Express and Koa
 * adapters (and Hono on `@hono/node-server`). A header's value is every line of it joined
 * with `", "` (cookies with `"; "`), as the Fetch `Headers` class does. Node's own
 * `req.headers` does the same except for the headers whose repeats it drops, keeping the
 * first line only (`authorization` among them): a duplicated credential must stay visible
 * to the core, so for those the raw lines are counted and, when there are several, joined.
 *
 * `req.headers` is built by Node on first read, for every header at once (about 0.8 µs for a
 * browser's dozen headers, docs/benchmarks.md). When nothing has read it yet, the raw lines
 * are scanned instead, comparing lengths before names so that nothing is allocated; once it
 * exists it is what we read, so that a middleware that rewrote a header is respected.
 */
import { IncomingMessage } from "node:http";
import type { RequestView } from "../types.js";
import type { BodySource } from "./read-body.js";

// From Node's documentation of `message.headers`: duplicates of these are discarded.
const FIRST_LINE_ONLY = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

// Node keeps the parsed headers under this symbol, `null` until `req.headers` is first read.
// Found by name once; on a Node without it, `req.headers` is always used.
const kHeaders = Object.getOwnPropertySymbols(new IncomingMessage(null as never)).find(
  (symbol) => symbol.description === "kHeaders",
);

/** Every raw line of header `name` (lower-case), joined; `null` when there is none. */
function rawValue(raw: string[], name: string): string | null {
  let value: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length !== name.length || (key !== name && key.toLowerCase() !== name)) continue;
    const line = raw[i + 1]!;
    value = value === null ? line : `${value}${name === "cookie" ? "; " : ", "}${line}`;
  }
  return value;
}

/** Every raw line of a header Node deduplicates, joined with `", "`. */
function allLines(req: IncomingMessage, name: string, first: string): string {
  const raw = req.rawHeaders;
  let joined: string | null = null;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) {
      count += 1;
      const value = raw[i + 1]!;
      joined = joined === null ? value : `${joined}, ${value}`;
    }
  }
  return count > 1 && joined !== null ? joined : first;
}

/**
 * A class rather than an object literal with a getter and closures: one shape shared by all
 * requests and nothing allocated per request but the instance, which keeps this off the
 * garbage collector's books on the hot path.
 */
class NodeRequestView<T> implements RequestView {
  readonly method: string;
  readonly headers: RequestView["headers"] = this;
  #url: string | undefined;
  readonly #req: IncomingMessage;
  readonly #from: T;
  readonly #urlOf: (from: T) => string;

  constructor(req: IncomingMessage, from: T, urlOf: (from: T) => string) {
    this.#req = req;
    this.#from = from;
    this.#urlOf = urlOf;
    this.method = req.method ?? "GET";
  }

  get url(): string {
    this.#url ??= this.#urlOf(this.#from);
    return this.#url;
  }

  get(name: string): string | null {
    const wanted = name.toLowerCase();
    const req = this.#req;
    if (kHeaders !== undefined && (req as unknown as Record<symbol, unknown>)[kHeaders] === null) {
      return rawValue(req.rawHeaders, wanted);
    }
    const value = req.headers[wanted];
    if (value === undefined) return null;
    if (Array.isArray(value)) return value.join(wanted === "cookie" ? "; " : ", ");
    return FIRST_LINE_ONLY.has(wanted) ? allLines(this.#req, wanted, value) : value;
  }
}

/**
 * @param from - what `urlOf` reads the URL from: the framework's request or context.
 * @param urlOf - the absolute URL of the request as the framework sees it (it knows about
 *   proxies and mount points; Node alone does not). A function, because building it costs
 *   more than most requests need: it is computed on first read only. Pass a function made
 *   once, not a closure per request: that would be one more allocation on every request.
 */
export function nodeRequestView<T>(
  req: IncomingMessage,
  from: T,
  urlOf: (from: T) => string,
): RequestView {
  return new NodeRequestView(req, from, urlOf);
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
