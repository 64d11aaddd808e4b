/**
 * The Bearer fast path of the decision: a value that is exactly a token accepted before is
 * answered from the token cache before the `Authorization` parse. It must answer as the
 * parse would have: `bearerCandidate` may only ever hand the cache the token the full
 * parse reads (for every token shape a cache can hold), and anything the cache does not
 * hold goes the whole way, with the precedence and the refusals of the full path.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDecision } from "../../src/decide/authenticate.js";
import { createReporter } from "../../src/decide/report.js";
import { AuthError } from "../../src/errors.js";
import { parseAuthorization } from "../../src/extract/authorization.js";
import { resolveCsrf } from "../../src/pick/csrf.js";
import { bearerCandidate } from "../../src/pick/pick-credential.js";
import type { AuthResult, Principal, RequestView } from "../../src/types.js";
import { TokenMiss } from "../../src/verify/verify-token.js";

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const segment = fc.string({ unit: fc.constantFrom(...B64URL), minLength: 1, maxLength: 40 });
/** What a token cache can hold: three base64url segments joined by dots (a compact JWS). */
const cacheableToken = fc.tuple(segment, segment, segment).map((parts) => parts.join("."));
/** `bearer` in any ASCII case. */
const scheme = fc
  .array(fc.boolean(), { minLength: 6, maxLength: 6 })
  .map((upper) => [..."bearer"].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));

describe("bearerCandidate", () => {
  it("hands over exactly the token the full parse reads, for every token a cache can hold", () => {
    fc.assert(
      fc.property(scheme, cacheableToken, (s, token) => {
        const value = `${s} ${token}`;
        expect(bearerCandidate(value)).toBe(token);
        expect(parseAuthorization(value)).toEqual({ kind: "bearer", token });
      }),
    );
  });

  it("never hands over a cacheable token the full parse would not read as that token", () => {
    const header = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.tuple(fc.string(), cacheableToken, fc.string()).map(([a, t, b]) => `${a}${t}${b}`),
      fc.tuple(scheme, fc.string(), cacheableToken).map(([s, pad, t]) => `${s}${pad}${t}`),
    );
    fc.assert(
      fc.property(header, (value) => {
        const candidate = bearerCandidate(value);
        // Only a candidate of the cacheable shape can ever hit; any other misses.
        if (
          candidate === null ||
          !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(candidate)
        )
          return;
        expect(parseAuthorization(value)).toEqual({ kind: "bearer", token: candidate });
      }),
    );
  });

  it("reads nothing but the scheme: null without `bearer` and one space in front", () => {
    expect(bearerCandidate(null)).toBeNull();
    expect(bearerCandidate("Basic a.b.c")).toBeNull();
    expect(bearerCandidate("Bearer")).toBeNull();
    expect(bearerCandidate("Bearer ")).toBeNull();
    expect(bearerCandidate("Bearerx a.b.c")).toBeNull();
    expect(bearerCandidate("Bearer\ta.b.c")).toBeNull();
    expect(bearerCandidate("Bearer  a.b.c")).toBeNull();
    expect(bearerCandidate("Bearer a.b.c, Bearer x.y.z")).toBeNull();
    expect(bearerCandidate("Bearer a.b.c ")).toBeNull();
  });
});

const ALICE: AuthResult = {
  ok: true,
  principal: Object.freeze({
    id: "alice",
    type: "user",
    via: "jwt",
    scopes: [],
    roles: [],
    claims: {},
  }),
};

function viewWith(headers: Record<string, string>): RequestView {
  return { method: "GET", url: "http://api.test/", headers: { get: (n) => headers[n] ?? null } };
}

/**
 * A decision whose token cache holds `a.b.c` only (or, with `cacheHoldsAll`, answers for any
 * value it is asked about), recording what reached each step.
 */
function decisionWith(bearerIsApiKey?: (raw: string) => boolean, cacheHoldsAll = false) {
  const asked: string[] = [];
  const verified: string[] = [];
  const misses: TokenMiss[] = [];
  const handed: (TokenMiss | undefined)[] = [];
  const decision = createDecision<Principal>({
    extract: { apiKeyHeaders: ["x-api-key"], cookieName: null, bearerIsApiKey },
    csrf: resolveCsrf(undefined, false),
    report: createReporter(undefined),
    apiKeys: null,
    verifyToken: (token, _via, miss) => {
      verified.push(token);
      handed.push(miss);
      return { ok: false, error: new AuthError("invalid_token") };
    },
    cachedToken: (token) => {
      asked.push(token);
      if (cacheHoldsAll || token === "a.b.c") return ALICE;
      const miss = new TokenMiss(token, `digest of ${token}`);
      misses.push(miss);
      return miss;
    },
  });
  return { decision, asked, verified, misses, handed };
}

describe("the decision's Bearer fast path", () => {
  it("answers a cached token without the full path, in the same tick", () => {
    const { decision, asked, verified } = decisionWith();
    expect(decision.authenticateNow(viewWith({ authorization: "Bearer a.b.c" }))).toBe(ALICE);
    expect(asked).toEqual(["a.b.c"]);
    expect(verified).toEqual([]);
  });

  it("refuses a malformed value as the full parse does, whatever the cache would answer", () => {
    // A cache that would accept anything: only the parse can refuse these.
    const { decision } = decisionWith(undefined, true);
    for (const value of ["Bearer a b", "Bearer a.b.c, Bearer x.y.z"]) {
      const result = decision.authenticateNow(viewWith({ authorization: value }));
      expect(result, value).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    }
  });

  it("leaves a second space after the scheme to the full parse", () => {
    const { decision, asked, verified } = decisionWith(undefined, true);
    const result = decision.authenticateNow(viewWith({ authorization: "Bearer  a.b.c" }));
    expect(asked).toEqual([]);
    expect(verified).toEqual(["a.b.c"]);
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_token" } });
  });

  it("keeps precedence: a cache miss on the Bearer value never falls to the API key", () => {
    const { decision, verified } = decisionWith();
    const result = decision.authenticateNow(
      viewWith({ authorization: "Bearer x.y.z", "x-api-key": "gh_key" }),
    );
    expect(verified).toEqual(["x.y.z"]);
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_token" } });
  });

  it("hands the miss to the verifier, so that a first-seen token is hashed once", () => {
    const { decision, misses, handed } = decisionWith();
    const first = decision.authenticateNow(viewWith({ authorization: "Bearer x.y.z" }));
    expect(first).toMatchObject({ ok: false, error: { code: "invalid_token" } });
    expect(misses).toHaveLength(1);
    expect(handed).toEqual([misses[0]]);
    // No fast-path lookup (a second space): nothing to hand on.
    const second = decision.authenticateNow(viewWith({ authorization: "Bearer  x.y.z" }));
    expect(second).toMatchObject({ ok: false, error: { code: "invalid_token" } });
    expect(handed).toHaveLength(2);
    expect(handed[1]).toBeUndefined();
  });

  it("leaves a value in the key format to the key path, not the token cache", () => {
    const { decision, asked } = decisionWith((raw) => raw === "a.b.c");
    const result = decision.authenticateNow(viewWith({ authorization: "Bearer a.b.c" }));
    expect(asked).toEqual([]);
    // No key module here: the key path refuses the key, the token cache is not consulted.
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_api_key" } });
  });
});
