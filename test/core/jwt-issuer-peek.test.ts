/**
 * The unverified `iss` peek that routes a token among several issuers: it never throws,
 * reads what the payload says and nothing else, and runs in linear steps (counted, never
 * timed); the token-shape hygiene runs before it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { peekIssuer } from "../../src/verify/jwt/issuer-peek.js";
import { countSteps } from "../http/linear-steps.js";

const b64 = (value: string) => Buffer.from(value, "utf8").toString("base64url");
const compact = (payload: string) => `${b64('{"alg":"HS256"}')}.${b64(payload)}.c2ln`;

const hostile = fc.oneof(
  fc.string({ unit: "binary", maxLength: 400 }),
  fc
    .array(fc.constantFrom(".", "eyJ", "pc3MiOi", "=", "%", "\u0000", "{", "}", "a"), {
      maxLength: 200,
    })
    .map((parts) => parts.join("")),
  fc.jsonValue({ maxDepth: 6 }).map((value) => compact(JSON.stringify(value))),
);

describe("peekIssuer", () => {
  it("never throws, and answers ok only with a string iss or none", () => {
    fc.assert(
      fc.property(hostile, (token) => {
        const peeked = peekIssuer(token);
        if (peeked.ok) expect(["string", "undefined"]).toContain(typeof peeked.iss);
      }),
      { numRuns: 1000 },
    );
  });

  it("reads the payload's own iss, whatever else it holds", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
        fc.string(),
        (claims, iss) => {
          const withIss = { ...claims, iss };
          expect(peekIssuer(compact(JSON.stringify(withIss)))).toEqual({ ok: true, iss });
          const without = { ...claims };
          delete without.iss;
          expect(peekIssuer(compact(JSON.stringify(without)))).toEqual({
            ok: true,
            iss: undefined,
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a payload that is not an object, or an iss that is not a string", () => {
    for (const payload of ["[]", "null", '"iss"', "7", '{"iss":7}', '{"iss":["a"]}', "{", ""]) {
      expect(peekIssuer(compact(payload))).toEqual({ ok: false });
    }
    expect(peekIssuer("no-dots")).toEqual({ ok: false });
    expect(peekIssuer("one.dot")).toEqual({ ok: false });
    // A "__proto__" member is data, not the prototype.
    expect(peekIssuer(compact('{"__proto__":{"iss":"x"}}'))).toEqual({ ok: true, iss: undefined });
  });

  it("runs in linear steps and no regular expression, on any input", () => {
    fc.assert(
      fc.property(hostile, (token) => {
        const counted = countSteps(() => peekIssuer(token));
        expect(counted.regexCalls).toBe(0);
        expect(counted.steps).toBeLessThanOrEqual(4 * token.length + 16);
      }),
      { numRuns: 300 },
    );
  });
});

describe("hygiene before routing", () => {
  const SECRET = "k2J9xQ7mV4pL1sT8wZ3nB6rY0cF5hD2gA9eU7iO4";
  it("a malformed token is refused by its shape, before any iss is read", async () => {
    const multi = createAuth({
      jwt: [
        { secret: SECRET, algorithms: ["HS256"], issuer: "https://a.example" },
        {
          algorithms: ["ES256"],
          publicKey: (await import("node:crypto")).generateKeyPairSync("ec", {
            namedCurve: "P-256",
          }).publicKey,
          issuer: "https://b.example",
          audience: "x",
        },
      ],
    });
    const cases: Array<[string, RegExp]> = [
      ["a.b.c.d.e", /JWE/],
      [
        `${b64('{"alg":"none"}')}.${b64('{"iss":"https://a.example"}')}.`,
        /compact JWS|base64url|algorithm/,
      ],
      [
        `${b64('{"alg":"HS256","jku":"https://evil"}')}.${b64('{"iss":"https://a.example"}')}.c2ln`,
        /jku/,
      ],
      [`${b64('{"alg":"HS256"}')}.${b64('{"iss":"https://a.example"}')}.c2ln=`, /base64url/],
      ["x".repeat(9000), /longer than/],
    ];
    for (const [token, detail] of cases) {
      const result = await multi.authenticate(
        new Request("http://x/", { headers: { authorization: `Bearer ${token}` } }),
      );
      expect(!result.ok && result.error.code).toBe("invalid_token");
      expect(!result.ok && result.error.detail).toMatch(detail);
    }
  });
});
