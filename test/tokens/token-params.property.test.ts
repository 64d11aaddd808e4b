import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { basicAuth } from "../../src/client/exchange.js";
import { narrowScopes } from "../../src/tokens/grants.js";
import { readBasicAuth, readTokenParams } from "../../src/tokens/token-params.js";

const scopeToken = fc.stringMatching(/^[a-z:]{1,8}$/);

describe("token request parsers (properties)", () => {
  it("readBasicAuth never throws and ignores other schemes", () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        const result = readBasicAuth(header);
        if (!/^basic(?: |$)/i.test(header)) expect(result).toEqual({ present: false });
      }),
    );
  });

  it("reads back any id and secret the client encodes, Unicode and colons included", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme" }),
        fc.string({ unit: "grapheme" }),
        (id, secret) => {
          expect(readBasicAuth(basicAuth(id, secret))).toEqual({
            present: true,
            ok: true,
            clientId: id,
            clientSecret: secret,
          });
        },
      ),
    );
  });

  it("readTokenParams never throws and yields only string parameters", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const result = readTokenParams(body);
        if (result.ok) {
          for (const value of Object.values(result.params)) expect(typeof value).toBe("string");
        }
      }),
    );
  });

  it("narrowScopes grants a subset of what is held, or refuses", () => {
    fc.assert(
      fc.property(fc.array(scopeToken), fc.array(scopeToken), (held, asked) => {
        const granted = narrowScopes(held, asked.length === 0 ? undefined : asked.join(" "));
        const widens = asked.some((s) => !held.includes(s));
        if (widens) expect(granted).toBeNull();
        else for (const scope of granted ?? []) expect(held).toContain(scope);
      }),
    );
  });
});
