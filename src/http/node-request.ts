/**
 * The {@link RequestView} of a Node `IncomingMessage`, shared by the Express and Koa
 * adapters (and Hono on `@hono/node-server`). Values come from `req.headers`, where Node
 * joins repeated lines with `", "` (cookies with `"; "`) as the Fetch `Headers` class does,
 * except for the headers whose repeats Node drops, keeping the first line only
 * (`authorization` among them): a duplicated credential must stay visible to the core, so
 * for those the raw lines are counted and, when there are several, joined.
 *
 * Scanning `rawHeaders` for every header instead was measured to triple the server's
 * garbage-collection time (docs/benchmarks.md), so the scan runs only for a header that is
 * present and is one Node deduplicates.
 */
import type { IncomingMessage } from "node:http";
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

/**
 * Whether a raw header name is `lower` in any ASCII case. Header names are tokens (the
 * parser refuses anything else), so ASCII folding is what Node itself applies; it allocates
 * nothing, where `toLowerCase` makes a string per header line compared.
 */
function isNamed(raw: string, lower: string): boolean {
  if (raw.length !== lower.length) return false;
  if (raw === lower) return true;
  for (let i = 0; i < raw.length; i++) {
    let c = raw.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Every raw line of a header Node deduplicates, joined with `", "`. */
function allLines(req: IncomingMessage, name: string, first: string): string {
  const raw = req.rawHeaders;
  let joined: string | null = null;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (isNamed(key, name)) {
      count += 1;
      const value = raw[i + 1]!;
      joined = joined === null ? value : `${joined}, ${value}`;
    }
  }
  return count > 1 && joined !== null ? joined : first;
}

// The names the core reads (`authorization`, `cookie`, the configured key headers) are
// lower-case constants asked for on every request: their lower-case form is looked up, not
// made again each time. Bounded, for a caller that reads names of its own.
const LOWER_CASE_NAMES = new Map<string, string>();
const LOWER_CASE_NAMES_MAX = 64;

function lowerCaseName(name: string): string {
  let lower = LOWER_CASE_NAMES.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (LOWER_CASE_NAMES.size < LOWER_CASE_NAMES_MAX) LOWER_CASE_NAMES.set(name, lower);
  }
  return lower;
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
  #ip: string | undefined | null = null;
  readonly #req: IncomingMessage;
  readonly #from: T;
  readonly #urlOf: (from: T) => string;
  readonly #ipOf: ((from: T) => string | undefined) | undefined;

  constructor(
    req: IncomingMessage,
    from: T,
    urlOf: (from: T) => string,
    ipOf: ((from: T) => string | undefined) | undefined,
  ) {
    this.#req = req;
    this.#from = from;
    this.#urlOf = urlOf;
    this.#ipOf = ipOf;
    this.method = req.method ?? "GET";
  }

  get url(): string {
    this.#url ??= this.#urlOf(this.#from);
    return this.#url;
  }

  get ip(): string | undefined {
    // Computed on first read, like the URL: Express's `req.ip` parses X-Forwarded-For
    // against the trust-proxy setting each time it is read.
    if (this.#ip === null) {
      const ip = this.#ipOf ? this.#ipOf(this.#from) : this.#req.socket?.remoteAddress;
      this.#ip = ip === "" ? undefined : ip;
    }
    return this.#ip;
  }

  get(name: string): string | null {
    const wanted = lowerCaseName(name);
    const value = this.#req.headers[wanted];
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
 * @param ipOf - the client address as the framework reports it, honouring its trust-proxy
 *   setting (Express `req.ip`, Koa `ctx.ip`); read only when a verification needs it.
 *   Default the socket's peer address. Made once, like `urlOf`.
 */
export function nodeRequestView<T>(
  req: IncomingMessage,
  from: T,
  urlOf: (from: T) => string,
  ipOf?: (from: T) => string | undefined,
): RequestView {
  return new NodeRequestView(req, from, urlOf, ipOf);
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
