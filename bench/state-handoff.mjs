// What it costs a middleware to hand per-request state to the middleware after it, on a
// context object made per request: an entry in a WeakMap keyed by the context, or a symbol
// property on a plain object the context already carries (Koa's ctx.state). The adapters
// chose by this. `node bench/state-handoff.mjs`; no build needed.
import { bench } from "./micro.mjs";
class Context {
  constructor() {
    this.request = {};
    this.response = {};
    this.state = {};
  }
}
const settings = { realm: "api" };
const byContext = new WeakMap();
const SETTINGS = Symbol("settings");

bench("new context", () => new Context(), 2_000_000);
bench("new context + WeakMap.set", () => byContext.set(new Context(), settings), 2_000_000);
bench(
  "new context + state[symbol]",
  () => {
    new Context().state[SETTINGS] = settings;
  },
  2_000_000,
);
