/**
 * fast-check properties for every parser on the request path: arbitrary input never throws
 * and never authenticates.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readApiKeyHeader } from "../../src/extract/api-key-header.js";
import { parseAuthorization } from "../../src/extract/authorization.js";
import { readCookie } from "../../src/extract/cookies.js";
import { checkTokenShape, isCanonicalBase64url } from "../../src/verify/jwt/token-shape.js";
import { makeAuth, sign } from "./helpers.js";

const RUNS = { numRuns: 300 };
const headerText = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.stringMatching(/^(Bearer|bearer|Basic|BEARER)[ \t,]{0,3}[A-Za-z0-9._~+/=," -]{0,40}$/),
);
const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,30}$/);
const tokenish = fc.oneof(
  fc.string(),
  fc.tuple(segment, segment, segment).map((parts) => parts.join(".")),
  fc.array(segment, { maxLength: 6 }).map((parts) => parts.join(".")),
);

describe("parsers never throw on arbitrary input", () => {
  it("parseAuthorization always answers one of its three kinds", () => {
    fc.assert(
      fc.property(headerText, (value) => {
        const parsed = parseAuthorization(value);
        expect(["absent", "bearer", "invalid"]).toContain(parsed.kind);
        if (parsed.kind === "bearer") expect(parsed.token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
      }),
      RUNS,
    );
  });

  it("the fast paths answer what the full parsers answer", () => {
    // A leading space sends a value down the full parse (it trims); without one, canonical
    // values take the fast path. Both must agree on every input.
    fc.assert(
      fc.property(headerText, (value) => {
        expect(parseAuthorization(value)).toEqual(parseAuthorization(` ${value}`));
        // Two configured names turn the one-header fast path off.
        const one = { get: (name: string) => (name === "x-api-key" ? value : null) };
        expect(readApiKeyHeader(one, ["x-api-key"])).toEqual(
          readApiKeyHeader(one, ["x-api-key", "x-other"]),
        );
      }),
      RUNS,
    );
  });

  it("readCookie and readApiKeyHeader are total", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (cookie, key) => {
        expect(["absent", "value", "invalid"]).toContain(readCookie(cookie, "access_token").kind);
        const headers = { get: (name: string) => (name === "x-api-key" ? key : null) };
        const read = readApiKeyHeader(headers, ["x-api-key"]);
        if (read.kind === "key") expect(read.raw).not.toContain(",");
      }),
      RUNS,
    );
  });

  it("checkTokenShape is total and only passes three canonical segments", () => {
    fc.assert(
      fc.property(tokenish, (token) => {
        const shape = checkTokenShape(token, 8192, new Set(["HS256"]));
        if (shape.ok) {
          const parts = token.split(".");
          expect(parts).toHaveLength(3);
          expect(parts.every(isCanonicalBase64url)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("a canonical segment re-encodes to itself", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        expect(isCanonicalBase64url(Buffer.from(bytes).toString("base64url"))).toBe(true);
      }),
      RUNS,
    );
  });
});

describe("authenticate never authenticates arbitrary credentials", () => {
  it("random Authorization, API-key and Cookie headers are refused without a throw", async () => {
    const { auth } = makeAuth();
    await fc.assert(
      fc.asyncProperty(headerText, fc.string(), fc.string(), async (authorization, key, cookie) => {
        const headers = { authorization, "x-api-key": key, cookie };
        const result = await auth.authenticate({
          method: "POST",
          url: "http://api.test/",
          headers: { get: (name: string) => headers[name as keyof typeof headers] ?? null },
        });
        // Only the stub's one good key may pass; nothing random does.
        expect(result.ok).toBe(false);
      }),
      RUNS,
    );
  });

  it("a real token with one character changed never authenticates", async () => {
    const { auth } = makeAuth({ jwt: { cacheMax: 0 } });
    const token = await sign();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_. =";
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom(...alphabet),
        async (index, char) => {
          fc.pre(token[index] !== char);
          const mutated = token.slice(0, index) + char + token.slice(index + 1);
          const result = await auth.tokens.verify(mutated);
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
