// What one refusal object costs: an AuthError (made without a stack trace) against a plain
// Error (which captures one). Every anonymous or refused request makes an AuthError.
// `npm run build && node bench/auth-error.mjs`.
import { AuthError } from "../dist/index.js";
import { bench } from "./micro.mjs";

bench("new Error (with a stack trace)", () => new Error("Authentication required"));
bench("new AuthError", () => new AuthError("missing_credentials"));
