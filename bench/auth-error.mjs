// What one refusal object costs: an AuthError (made without a stack trace) against a plain
// Error (which captures one). Every anonymous or refused request makes an AuthError.
// `npm run build && node bench/auth-error.mjs`.
import { AuthError } from "../dist/index.js";

function bench(name, fn, n = 300_000) {
  for (let i = 0; i < 30_000; i++) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const ns = Number(process.hrtime.bigint() - started) / n;
  console.log(`${name}: ${ns.toFixed(0)} ns`);
}

bench("new Error (with a stack trace)", () => new Error("Authentication required"));
bench("new AuthError", () => new AuthError("missing_credentials"));
