// What it costs a middleware to hand per-request state to the middleware after it, on a
// context object made per request: an entry in a WeakMap keyed by the context, or a symbol
// property on a plain object the context already carries (Koa's ctx.state). The adapters
// chose by this. `node bench/state-handoff.mjs`; no build needed.
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

function bench(name, fn, n = 2_000_000) {
  for (let i = 0; i < 200_000; i++) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const ns = Number(process.hrtime.bigint() - started) / n;
  console.log(`${name}: ${ns.toFixed(0)} ns`);
}

bench("new context", () => new Context());
bench("new context + WeakMap.set", () => byContext.set(new Context(), settings));
bench("new context + state[symbol]", () => {
  new Context().state[SETTINGS] = settings;
});
