import { describe, expect, it } from "vitest";
import { AuthError, type AuthErrorCode } from "../src/errors.js";

const table: Array<[AuthErrorCode, number, RegExp | undefined]> = [
  ["missing_credentials", 401, /^Bearer realm="api"$/],
  ["invalid_request", 400, /^Bearer realm="api", error="invalid_request", error_description="/],
  ["invalid_token", 401, /error="invalid_token"/],
  ["token_expired", 401, /error="invalid_token"/],
  ["invalid_api_key", 401, /^ApiKey realm="api", error="invalid_key", error_description="/],
  ["key_disabled", 401, /^ApiKey realm="api", error="invalid_key", error_description="/],
  ["key_expired", 401, /^ApiKey realm="api", error="invalid_key", error_description="/],
  ["insufficient_scope", 403, /error="insufficient_scope"/],
  ["forbidden", 403, undefined],
  ["csrf_failed", 403, undefined],
  ["rate_limited", 429, undefined],
  ["unavailable", 503, undefined],
];

describe("AuthError", () => {
  it("carries no stack frames, leaves Error.stackTraceLimit as it was, keeps its cause", () => {
    const before = Error.stackTraceLimit;
    const cause = new Error("store down");
    const error = new AuthError("unavailable", { cause });
    expect(Error.stackTraceLimit).toBe(before);
    expect(error.stack).toBe(`AuthError: ${error.detail}`);
    expect(error.cause).toBe(cause);
    expect(cause.stack).toMatch(/\n\s+at /);
    expect(new Error("x").stack).toMatch(/\n\s+at /);
  });

  it.each(table)("%s answers %i with the design's challenge", (code, status, challenge) => {
    const error = new AuthError(code);
    expect(error.status).toBe(status);
    const headers = error.headers();
    if (challenge) expect(headers["www-authenticate"]).toMatch(challenge);
    else expect(headers["www-authenticate"]).toBeUndefined();
    expect(headers["content-type"]).toBe("application/problem+json");
    expect(error.toProblem()).toMatchObject({ status, code, title: expect.any(String) as string });
  });

  it("carries the required scope on insufficient_scope and no description", () => {
    const error = new AuthError("insufficient_scope", { scope: "reports:read reports:write" });
    expect(error.challenge()).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="reports:read reports:write"',
    );
    expect(error.toProblem().scope).toBe("reports:read reports:write");
  });

  it("sends Retry-After on unavailable and rate_limited", () => {
    expect(new AuthError("unavailable").headers()["retry-after"]).toBe("1");
    expect(new AuthError("rate_limited", { retryAfter: 2.2 }).headers()["retry-after"]).toBe("3");
  });

  it("cannot be made to break the challenge header with quotes or newlines", () => {
    const error = new AuthError("invalid_token", { detail: 'bad"\r\nX-Evil: 1' });
    expect(error.challenge()).not.toMatch(/[\r\n]/);
    expect(error.challenge()).toContain('error_description="badX-Evil: 1"');
  });
});
