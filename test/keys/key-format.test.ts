import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BASE62_ALPHABET } from "../../src/crypto/base62.js";
import { crc32 } from "../../src/crypto/crc32.js";
import {
  DEFAULT_KEY_PREFIX,
  formatApiKey,
  generateApiKey,
  hashedSecret,
  MAX_KEY_LENGTH,
  parseApiKey,
  parseColonKey,
} from "../../src/verify/api-key/key-format.js";
import type { KeyEnvironment } from "../../src/types.js";

/** The pattern docs/api-keys.md gives secret scanners, for the default prefix. */
const SCANNER = /\bgatehouse_(?:test_|live_)?[0-9A-Za-z]{16}_[0-9A-Za-z]{38}\b/;

const base62 = fc.constantFrom(...BASE62_ALPHABET.split(""));
const part = (n: number) => fc.array(base62, { minLength: n, maxLength: n }).map((c) => c.join(""));
const prefixArb = fc
  .tuple(
    fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz".split("")),
    fc.array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789".split("")), {
      maxLength: 15,
    }),
  )
  .map(([first, rest]) => first + rest.join(""));
const environmentArb = fc.constantFrom<KeyEnvironment | null>(null, "test", "live");

describe("crc32", () => {
  it("matches the IEEE check value", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(crc32("")).toBe(0);
  });
});

describe("generateApiKey / parseApiKey", () => {
  it("round-trips and carries prefix, a 16-char id and a 32-char secret", () => {
    const generated = generateApiKey({ prefix: "acme" });
    expect(generated.key).toMatch(/^acme_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/);
    expect(parseApiKey(generated.key)).toEqual({
      prefix: "acme",
      environment: null,
      id: generated.id,
      secret: generated.secret,
    });
    expect(generated.secret).toHaveLength(32);
  });

  it("defaults to the gatehouse prefix, which the documented scanner pattern finds in text", () => {
    const { key } = generateApiKey();
    expect(DEFAULT_KEY_PREFIX).toBe("gatehouse");
    expect(key.startsWith("gatehouse_")).toBe(true);
    expect(`export API_KEY=${key}\n`).toMatch(SCANNER);
    expect(`export API_KEY=${generateApiKey({ environment: "test" }).key}\n`).toMatch(SCANNER);
  });

  it("writes the environment after the prefix and reads it back", () => {
    const test = generateApiKey({ prefix: "acme", environment: "test" });
    expect(test.key).toMatch(/^acme_test_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/);
    expect(parseApiKey(test.key)).toEqual({
      prefix: "acme",
      environment: "test",
      id: test.id,
      secret: test.secret,
    });
    const live = generateApiKey({ environment: "live" });
    expect(parseApiKey(live.key)?.environment).toBe("live");
    expect(() => generateApiKey({ environment: "prod" as KeyEnvironment })).toThrow(TypeError);
  });

  it("reads prefixes named like an environment as prefixes", () => {
    const key = generateApiKey({ prefix: "test", environment: "live" });
    expect(parseApiKey(key.key)).toMatchObject({ prefix: "test", environment: "live" });
    expect(parseApiKey(generateApiKey({ prefix: "live" }).key)).toMatchObject({
      prefix: "live",
      environment: null,
    });
  });

  it("accepts a list of prefixes", () => {
    const old = generateApiKey({ prefix: "gh" }).key;
    const now = generateApiKey().key;
    expect(parseApiKey(old, { prefix: ["gatehouse", "gh"] })).not.toBeNull();
    expect(parseApiKey(now, { prefix: ["gatehouse", "gh"] })).not.toBeNull();
    expect(parseApiKey(old, { prefix: ["gatehouse"] })).toBeNull();
    expect(parseApiKey(now, { prefix: [] })).toBeNull();
  });

  it("hashes the environment with the secret, so that a relabelled key has another secret", () => {
    expect(hashedSecret({ secret: "s", environment: null })).toBe("s");
    expect(hashedSecret({ secret: "s" })).toBe("s");
    expect(hashedSecret({ secret: "s", environment: "test" })).toBe("test_s");
    fc.assert(
      fc.property(part(16), part(32), (id, secret) => {
        const test = parseApiKey(
          formatApiKey({ prefix: "acme", environment: "test", id, secret }),
        )!;
        // Anyone can compute a checksum: the relabelled key parses, but hashes differently.
        const live = parseApiKey(
          formatApiKey({ prefix: "acme", environment: "live", id, secret }),
        )!;
        const bare = parseApiKey(formatApiKey({ prefix: "acme", id, secret }))!;
        const hashed = new Set([hashedSecret(test), hashedSecret(live), hashedSecret(bare)]);
        expect(hashed.size).toBe(3);
      }),
      { numRuns: 300 },
    );
  });

  it("makes a different id and secret every time", () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().key));
    expect(keys.size).toBe(200);
  });

  it("refuses a prefix outside [a-z][a-z0-9]{0,15}", () => {
    for (const prefix of ["", "Gh", "1a", "a_b", "a".repeat(17), "ä"]) {
      expect(() => generateApiKey({ prefix })).toThrow(TypeError);
    }
  });

  it("rejects another prefix than the expected one", () => {
    const { key } = generateApiKey({ prefix: "test" });
    expect(parseApiKey(key, { prefix: "live" })).toBeNull();
    expect(parseApiKey(key, { prefix: "test" })).not.toBeNull();
  });

  it("rejects non-strings, over-long strings and stray whitespace", () => {
    const { key } = generateApiKey();
    for (const raw of [
      undefined,
      null,
      42,
      {},
      ` ${key}`,
      `${key}\n`,
      key + "x".repeat(MAX_KEY_LENGTH),
    ]) {
      expect(parseApiKey(raw)).toBeNull();
    }
  });

  it("never throws and never accepts arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (raw) => {
        expect(parseApiKey(raw)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it("never accepts grammar-shaped strings with a random checksum", () => {
    fc.assert(
      fc.property(
        prefixArb,
        environmentArb,
        part(16),
        part(38),
        (prefix, environment, id, tail) => {
          const raw =
            environment === null
              ? `${prefix}_${id}_${tail}`
              : `${prefix}_${environment}_${id}_${tail}`;
          const expected = formatApiKey({ prefix, environment, id, secret: tail.slice(0, 32) });
          expect(parseApiKey(raw) === null).toBe(raw !== expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("round-trips every prefix, environment, id and secret, and only under its prefix", () => {
    fc.assert(
      fc.property(
        prefixArb,
        environmentArb,
        part(16),
        part(32),
        (prefix, environment, id, secret) => {
          const key = formatApiKey({ prefix, environment, id, secret });
          expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
          expect(parseApiKey(key)).toEqual({ prefix, environment, id, secret });
          expect(parseApiKey(key, { prefix })).not.toBeNull();
          expect(parseApiKey(key, { prefix: prefix === "zz" ? "zy" : "zz" })).toBeNull();
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never reads an environment other than test or live", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), part(16), part(32), (label, id, secret) => {
        const body = `acme_${label}_${id}_${secret}`;
        const parsed = parseApiKey(body + "000000");
        if (parsed !== null) expect([null, "test", "live"]).toContain(parsed.environment);
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects every single-character typo, at every position, for several keys", () => {
    const alphabet = `${BASE62_ALPHABET}_-. :`;
    for (let k = 0; k < 5; k++) {
      const { key } = generateApiKey({
        prefix: k % 2 ? "gh" : "live2",
        environment: ([null, "test", "live"] as const)[k % 3],
      });
      for (let i = 0; i < key.length; i++) {
        for (const char of alphabet) {
          if (char === key[i]) continue;
          const typo = key.slice(0, i) + char + key.slice(i + 1);
          expect(parseApiKey(typo), `typo at ${i}: ${char}`).toBeNull();
        }
      }
    }
  });

  it("rejects a dropped, doubled or swapped neighbouring character", () => {
    const { key } = generateApiKey();
    for (let i = 0; i < key.length; i++) {
      expect(parseApiKey(key.slice(0, i) + key.slice(i + 1))).toBeNull();
      expect(parseApiKey(key.slice(0, i) + key[i] + key.slice(i))).toBeNull();
      if (i + 1 < key.length && key[i] !== key[i + 1]) {
        const swapped = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
        expect(parseApiKey(swapped)).toBeNull();
      }
    }
  });

  it("formatApiKey refuses parts outside the grammar", () => {
    expect(() => formatApiKey({ prefix: "gh", id: "short", secret: "x".repeat(32) })).toThrow(
      TypeError,
    );
  });
});

describe("parseColonKey (legacy username:key)", () => {
  it("splits at the first colon; the username is the lookup id", () => {
    expect(parseColonKey("myUsername:myLongKeyGoesHere")).toEqual({
      id: "myUsername",
      secret: "myLongKeyGoesHere",
    });
    expect(parseColonKey("a:b:c")).toEqual({ id: "a", secret: "b:c" });
  });

  it("refuses empty parts, spaces, control and non-ASCII characters, and long input", () => {
    for (const raw of [":k", "u:", "u", "u k:x", "u:k\n", "ü:k", `u:${"k".repeat(200)}`]) {
      expect(parseColonKey(raw)).toBeNull();
    }
  });

  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (raw) => {
        parseColonKey(raw);
      }),
    );
  });
});
