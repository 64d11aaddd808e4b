/**
 * What the fetch adapter knows of a request beyond the `Request` itself: the client address
 * your runtime reports, and the principal `withAuth` recorded. Imports no Node built-in.
 */
import type { Principal, RequestView } from "../../src/types.js";

/**
 * The client's address for a request, from what your runtime knows: Bun's
 * `server.requestIP(req)?.address`, Deno's `info.remoteAddr.hostname`, or the first hop of an
 * `X-Forwarded-For` that your own proxy sets. It receives the request and the arguments the
 * runtime passed after it. Return `undefined` when unknown.
 */
export type ClientAddress<Args extends unknown[] = unknown[]> = (
  req: Request,
  ...args: Args
) => string | undefined;

/** Where the client address comes from; shared by `withAuth`, `keyRoutes` and `tokenRoutes`. */
export interface AddressOptions<Args extends unknown[] = unknown[]> {
  /**
   * The client address, which keys the failure budgets of API keys (per key id and address)
   * and the token endpoint's per-address throttles. Default: none, and a `Request` carries
   * no address, so those budgets are kept per credential id only: failures sent from any
   * address count against the same key id. Read `X-Forwarded-For` only when a proxy you run
   * sets it; a client can send any value.
   */
  clientAddress?: ClientAddress<Args> | undefined;
}

// A WeakMap, not a property on the request: a Request is a platform object that the
// handler and the runtime share, and an entry here dies with it.
export const principals = new WeakMap<Request, Principal | null>();

/**
 * The view the core reads when a client address is known: the request's own method, URL and
 * headers, and the address computed on first read only (most requests never need it).
 */
class AddressedView<Args extends unknown[]> implements RequestView {
  #ip: string | undefined | null = null;
  readonly #req: Request;
  readonly #args: Args;
  readonly #addressOf: ClientAddress<Args>;

  constructor(req: Request, args: Args, addressOf: ClientAddress<Args>) {
    this.#req = req;
    this.#args = args;
    this.#addressOf = addressOf;
  }

  get method(): string {
    return this.#req.method;
  }

  get url(): string {
    return this.#req.url;
  }

  get headers(): RequestView["headers"] {
    return this.#req.headers;
  }

  get ip(): string | undefined {
    if (this.#ip === null) {
      const ip = this.#addressOf(this.#req, ...this.#args);
      this.#ip = ip === "" ? undefined : ip;
    }
    return this.#ip;
  }
}

/** The request itself when no address is known: a `Request` already is a view. */
export function viewOf<Args extends unknown[]>(
  req: Request,
  args: Args,
  addressOf: ClientAddress<Args> | undefined,
): RequestView {
  return addressOf === undefined ? req : new AddressedView(req, args, addressOf);
}
