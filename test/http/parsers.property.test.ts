/**
 * Properties of the HTTP-side parsers over arbitrary input: they answer, they never throw.
 */
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCreateBody, checkPageQuery, checkUpdateBody } from "../../src/http/key-validation.js";
import { createKeyRoutes } from "../../src/http/key-routes.js";
import { parseBodyText, readBody } from "../../src/http/read-body.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { createAuth } from "../../src/create-auth.js";
import type { Principal } from "../../src/types.js";

const contentTypes = fc.constantFrom(
  null,
  "application/json",
  "application/problem+json; charset=utf-8",
  "application/x-www-form-urlencoded",
  "text/plain",
  "multipart/form-data; boundary=x",
);

describe("HTTP parsers (properties)", () => {
  it("readBody resolves for any bytes: a body, or a 400/413/415 answer", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
        contentTypes,
        fc.option(fc.string({ maxLength: 6 }), { nil: null }),
        async (chunks, contentType, contentLength) => {
          const result = await readBody(
            {
              contentType,
              contentLength,
              chunks: Readable.from(chunks.map((c) => Buffer.from(c))),
            },
            { limit: 200 },
          );
          if (!result.ok) expect([400, 413, 415]).toContain(result.answer.status);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a form body never sets a prototype, whatever the field names", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 6 }), (pairs) => {
        const text = new URLSearchParams(pairs).toString();
        const result = parseBodyText(text, "application/x-www-form-urlencoded");
        if (result.ok) expect(Object.getPrototypeOf(result.body)).toBeNull();
        else expect(result.answer.status).toBe(400);
      }),
    );
  });

  it("key-route validation answers for any JSON value, and accepts only known fields", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const checked of [checkCreateBody(value), checkUpdateBody(value)]) {
          if (checked.ok) {
            const known = ["name", "enabled", "scopes", "expiresAt"];
            expect(Object.keys(checked.value).every((k) => known.includes(k))).toBe(true);
          } else {
            expect(checked.errors.length).toBeGreaterThan(0);
          }
        }
      }),
    );
    fc.assert(
      fc.property(fc.string(), (query) => {
        expect(typeof checkPageQuery(new URLSearchParams(query)).ok).toBe("boolean");
      }),
    );
  });

  it("the key-route handler answers or passes for any method, path and body; never throws", async () => {
    const auth = createAuth({ apiKeys: { store: memoryKeyStore() } });
    const routes = createKeyRoutes(auth);
    const principal: Principal = {
      id: "u",
      type: "user",
      via: "jwt",
      scopes: [],
      roles: ["admin"],
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"),
        fc.array(fc.oneof(fc.constant("by-user"), fc.string({ maxLength: 8 })), { maxLength: 4 }),
        fc.jsonValue(),
        async (method, segments, body) => {
          const answer = await routes.handle({
            method,
            path: `/${segments.join("/")}`,
            headers: new Headers(),
            body,
            principal,
          });
          if (answer !== null) expect(answer.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    await auth.close();
  });
});
