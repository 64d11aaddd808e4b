/**
 * Every parser on the request path costs a bounded number of steps per input character,
 * checked by counting (test/http/linear-steps.ts), never by timing. Where a parser relies
 * on a regular expression or a built-in parser whose inside cannot be counted, its answers
 * are compared with a reference written here as plain forward scans.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readApiKeyHeader } from "../../src/extract/api-key-header.js";
import { parseAuthorization, type AuthorizationHeader } from "../../src/extract/authorization.js";
import { cookieValues, readCookie } from "../../src/extract/cookies.js";
import { parseBodyText } from "../../src/http/read-body.js";
import { checkTokenShape, isCanonicalBase64url } from "../../src/verify/jwt/token-shape.js";
import { formatApiKey, parseApiKey } from "../../src/verify/api-key/key-format.js";
import { readBasicAuth, type BasicResult } from "../../src/tokens/token-params.js";
import { countSteps } from "./linear-steps.js";

/** Steps allowed per input character (plus a constant); far below n² at these sizes. */
const PER_CHAR = 10;
const budget = (input: string) => PER_CHAR * (input.length + 1) + 64;

// The characters and words the parsers treat specially, alone or repeated hundreds of times:
// runs of spaces, commas, `;`, `=`, quotes, scheme names, cookie names, percent signs.
const PIECES = [
  " ",
  "  ",
  ",",
  ", ",
  " ,",
  ";",
  "; ",
  "=",
  "==",
  '"',
  "\t",
  "\u00a0",
  "\u2028",
  "Bearer",
  "bearer ",
  "BEARER  ",
  "Basic ",
  "basic",
  "x",
  "abc",
  "a.b-c_d~e+f/g",
  "YWI6Y2Q=",
  "access_token",
  "access_token=",
  "__Host-access_token=",
  "!",
  "é",
  // Non-ASCII letters whose upper case is ASCII: a non-Unicode `i` flag must not match them.
  "\u017f",
  "\u212a",
  ":",
  "%",
  "%zz",
  "%41",
  "&",
  "+",
  ".",
  "[",
  "]",
  "{",
  '"a":',
];
const piece = fc.constantFrom(...PIECES);
const run = fc
  .tuple(piece, fc.integer({ min: 1, max: 600 }))
  .map(([text, times]) => text.repeat(times));
/** Hostile text up to a few thousand characters, plus arbitrary strings. */
const hostile = fc.oneof(
  fc.array(fc.oneof(piece, run), { maxLength: 10 }).map((parts) => parts.join("")),
  fc.string({ unit: "binary", maxLength: 300 }),
);
/** Short text over the same pieces, for comparing answers exhaustively enough. */
const short = fc.oneof(
  fc.array(piece, { maxLength: 10 }).map((parts) => parts.join("")),
  fc.string({ maxLength: 40 }),
);

/** `Basic` and a credential that gets past the scheme: base64-ish runs, spaces, junk. */
const basicHeader = fc
  .tuple(
    fc.constantFrom("Basic ", "basic  ", "BASIC"),
    fc.oneof(hostile, fc.string({ unit: fc.constantFrom(..."QUJD+/="), maxLength: 9000 })),
    fc.constantFrom("", " ", "   ", "=", "!"),
  )
  .map((parts) => parts.join(""));
/** Three dot-separated segments, so that each is read. */
const threeSegments = fc
  .tuple(
    fc.oneof(hostile, fc.constant("eyJhbGciOiJIUzI1NiJ9")),
    fc.oneof(hostile, fc.string({ unit: fc.constantFrom(..."Ab0_-"), maxLength: 3000 })),
    hostile,
  )
  .map((parts) => parts.join("."));

/**
 * The regular expressions the parsers may run, each linear by its shape: anchored (so one
 * start position), and every repeated set is followed by a set or literal it shares no
 * character with, or by the end, so a failed match gives each character back at most once.
 * A quantifier-free pattern costs one test per position. A new pattern in a parser fails
 * these tests until it is argued for here.
 */
const LINEAR_PATTERNS = {
  canonicalBearer: /^bearer [A-Za-z0-9\-._~+/]+=*$/i,
  basicScheme: /^basic(?: |$)/i,
  basicCredentials: /^basic +(\S+) *$/i,
  base64: /^[A-Za-z0-9+/]+={0,2}$/,
  plus: /\+/g,
  base64url: /^[A-Za-z0-9_-]+$/,
  // Only ever sees at most 128 characters (the length is checked first). The optional
  // environment is a fixed five-character literal: trying it and giving it back costs at
  // most five steps, once, since the anchor leaves one start position.
  apiKey: /^([a-z][a-z0-9]{0,15})_(?:(test|live)_)?([0-9A-Za-z]{16})_([0-9A-Za-z]{38})$/,
};
const spelled = (pattern: RegExp) => `/${pattern.source}/${pattern.flags}`;

function expectLinear(input: string, parse: () => unknown, allowed: RegExp[] = []): void {
  const counted = countSteps(parse);
  for (const pattern of counted.patterns) expect(allowed.map(spelled)).toContain(pattern);
  // Regular expressions count the length of what they were given: together they read the
  // input a bounded number of times too.
  expect(counted.steps).toBeLessThanOrEqual(budget(input));
}

describe("the step counter", () => {
  it("sees a quadratic scan: the budget would catch one", () => {
    // Searching from every ";" for the next "=" (the mistake a cookie reader can make when
    // no pair has one) is quadratic in the number of pairs.
    const input = `${"a;".repeat(400)}=`;
    const quadratic = () => {
      let found = 0;
      for (let at = input.indexOf(";"); at >= 0; at = input.indexOf(";", at + 1)) {
        if (input.indexOf("=", at) >= 0) found++;
      }
      return found;
    };
    expect(countSteps(quadratic).steps).toBeGreaterThan(10 * budget(input));
    expect(countSteps(() => /^a/.test(input)).regexCalls).toBe(1);
    expect(countSteps(() => input.split(/;/)).regexCalls).toBe(1);
  });
});

describe("the pattern allow-list", () => {
  it("would have refused the previous Authorization parser's split on ` *, *`", () => {
    const counted = countSteps(() => previousParseAuthorization("Bearer a , b"));
    expect(counted.patterns).toContain("/ *, */");
    expect(Object.values(LINEAR_PATTERNS).map(spelled)).not.toContain("/ *, */");
  });
});

describe("Authorization", () => {
  it("is linear, with one linear pattern for the common case, on any input", () => {
    fc.assert(
      fc.property(hostile, (value) => {
        expectLinear(value, () => parseAuthorization(value), [LINEAR_PATTERNS.canonicalBearer]);
      }),
      { numRuns: 300 },
    );
  });

  it("answers exactly as the previous (regular-expression) parser did", () => {
    fc.assert(
      fc.property(short, (value) => {
        expect(parseAuthorization(value)).toEqual(previousParseAuthorization(value));
      }),
      { numRuns: 3000 },
    );
  });

  it("Bearer, 16,000 spaces and `x,` is the token x, as before, in linear steps", () => {
    const value = `Bearer${" ".repeat(16_000)}x,`;
    expect(parseAuthorization(value)).toEqual({ kind: "bearer", token: "x" });
    expectLinear(value, () => parseAuthorization(value), [LINEAR_PATTERNS.canonicalBearer]);
  });
});

describe("Cookie", () => {
  it("is linear and runs no regular expression, on any input", () => {
    fc.assert(
      fc.property(
        hostile,
        fc.constantFrom("access_token", "__Host-access_token", "a"),
        (header, name) => {
          expectLinear(header, () => readCookie(header, name));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("matches a reference that splits on ';' and trims spaces and tabs", () => {
    fc.assert(
      fc.property(
        short,
        fc.constantFrom("access_token", "__Host-access_token", "x"),
        (header, name) => {
          expect(cookieValues(header, name)).toEqual(referenceCookieValues(header, name));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("API-key header", () => {
  it("is linear and runs no regular expression, on any input", () => {
    fc.assert(
      fc.property(hostile, fc.boolean(), (value, twoNames) => {
        const headers = { get: (name: string) => (name === "x-api-key" ? value : null) };
        const names = twoNames ? ["x-api-key", "x-api-auth"] : ["x-api-key"];
        expectLinear(value, () => readApiKeyHeader(headers, names));
      }),
      { numRuns: 300 },
    );
  });
});

describe("HTTP Basic", () => {
  const BASIC_PATTERNS = [
    LINEAR_PATTERNS.basicScheme,
    LINEAR_PATTERNS.basicCredentials,
    LINEAR_PATTERNS.base64,
    LINEAR_PATTERNS.plus,
  ];

  it("is linear, with linear patterns only, and answers as a plain scan does", () => {
    fc.assert(
      fc.property(fc.oneof(hostile, basicHeader), (header) => {
        expectLinear(header, () => readBasicAuth(header), BASIC_PATTERNS);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          short,
          short.map((rest) => `Basic ${rest}`),
        ),
        fc.constantFrom("", " ", "  "),
        (header, pad) => {
          const value = `${header}${pad}`;
          expect(readBasicAuth(value)).toEqual(referenceBasic(value));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a huge base64 credential is refused unread", () => {
    const header = `Basic ${"QUJD".repeat(4096)}`;
    expect(readBasicAuth(header)).toEqual({ present: true, ok: false });
    expectLinear(header, () => readBasicAuth(header), BASIC_PATTERNS);
  });
});

describe("token shape", () => {
  it("is linear, with one linear pattern per segment, on any input", () => {
    const algorithms = new Set(["HS256"]);
    fc.assert(
      fc.property(fc.oneof(hostile, threeSegments), (token) => {
        expectLinear(token, () => checkTokenShape(token, 1 << 20, algorithms), [
          LINEAR_PATTERNS.base64url,
        ]);
      }),
      { numRuns: 300 },
    );
  });

  it("isCanonicalBase64url answers as a plain scan does", () => {
    const segment = fc.oneof(
      fc.string({ unit: fc.constantFrom(..."AQgw_-zZ09+/=. "), maxLength: 12 }),
      fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes).toString("base64url")),
    );
    fc.assert(
      fc.property(segment, (text) => {
        expect(isCanonicalBase64url(text)).toBe(referenceCanonicalBase64url(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("API key", () => {
  it("reads at most its 128-character cap, whatever the input's length", () => {
    const key = formatApiKey({ prefix: "gh", id: "0123456789abcdef", secret: "a".repeat(32) });
    fc.assert(
      fc.property(fc.oneof(hostile, fc.constant(key)), (raw) => {
        const counted = countSteps(() => parseApiKey(raw));
        expect(counted.patterns).toEqual(
          counted.regexCalls === 0 ? [] : [spelled(LINEAR_PATTERNS.apiKey)],
        );
        expect(counted.regexCalls).toBeLessThanOrEqual(1);
        expect(counted.steps).toBeLessThanOrEqual(PER_CHAR * 128 + 2000);
      }),
      { numRuns: 300 },
    );
    expect(parseApiKey(key)).not.toBeNull();
  });
});

describe("request bodies", () => {
  it("a form body reads as a plain '&' and '=' scan reads it", () => {
    // ASCII text: Node decodes a raw non-ASCII character beside a bad escape its own way
    // (as Latin-1 bytes), a quirk of the built-in that is not what is compared here.
    const formText = fc.oneof(
      short.filter((text) => [...text].every((c) => c.charCodeAt(0) < 0x80)),
      fc
        .array(fc.constantFrom("a", "b", "=", "&", "+", "%", "%2", "%41", "%e9", "%C3%A9"), {
          maxLength: 16,
        })
        .map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(formText, (text) => {
        const result = parseBodyText(text, "application/x-www-form-urlencoded");
        const expected = referenceForm(text);
        if (expected === null) expect(result.ok ? 200 : result.answer.status).toBe(400);
        else expect(result.ok ? { ...(result.body as object) } : result).toEqual({ ...expected });
      }),
      { numRuns: 2000 },
    );
  });

  it("hostile bodies of either type answer 200 or 400, never throw", () => {
    fc.assert(
      fc.property(
        hostile,
        fc.constantFrom("application/json", "application/x-www-form-urlencoded"),
        (text, type) => {
          const result = parseBodyText(text, type);
          expect(result.ok || result.answer.status === 400).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    const deep = `${"[".repeat(8000)}${"]".repeat(8000)}`;
    expect(parseBodyText(deep, "application/json").ok).toBe(true);
    expect(parseBodyText("[".repeat(16_000), "application/json").ok).toBe(false);
  });

  it("the content type is read in linear steps", () => {
    fc.assert(
      fc.property(hostile, (type) => {
        expectLinear(type, () => parseBodyText("", type));
      }),
      { numRuns: 300 },
    );
  });
});

// ----- references -----

/** The Authorization parser as it was before the scans, kept as the oracle of its answers. */
function previousParseAuthorization(value: string | null): AuthorizationHeader {
  const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
  const BEARER_SCHEME = /^bearer(?![!#$%&'*+.^_`|~0-9A-Za-z-])/i;
  const BEARER_ELEMENT = /^bearer(?: |$)/i;
  const parseBearer = (text: string): AuthorizationHeader => {
    const rest = text.slice("bearer".length);
    if (rest.length === 0 || rest.trim().length === 0) {
      return { kind: "invalid", detail: "The Bearer scheme came without a token." };
    }
    if (!rest.startsWith(" ")) {
      return { kind: "invalid", detail: "The Bearer scheme must be followed by spaces." };
    }
    const token = rest.replace(/^ +/, "");
    if (!B64TOKEN.test(token)) {
      return { kind: "invalid", detail: "The Bearer token has characters outside b64token." };
    }
    return { kind: "bearer", token };
  };
  if (value === null) return { kind: "absent" };
  if (/^bearer [^ ]/i.test(value) && B64TOKEN.test(value.slice(7))) {
    return { kind: "bearer", token: value.slice(7) };
  }
  const trimmed = value.trim();
  if (trimmed.length === 0) return { kind: "absent" };
  if (trimmed.includes(",")) {
    const elements = trimmed.split(/ *, */).filter((element) => element.length > 0);
    const bearers = elements.filter((element) => BEARER_ELEMENT.test(element));
    if (bearers.length === 0) {
      return BEARER_SCHEME.test(trimmed) ? parseBearer(trimmed) : { kind: "absent" };
    }
    const parsed = bearers.map(parseBearer);
    const first = parsed[0];
    const allSame =
      bearers.length === elements.length &&
      first?.kind === "bearer" &&
      parsed.every((p) => p.kind === "bearer" && p.token === first.token);
    if (allSame) return first;
    return { kind: "invalid", detail: "More than one Authorization value was sent." };
  }
  if (!BEARER_SCHEME.test(trimmed)) return { kind: "absent" };
  return parseBearer(trimmed);
}

function trimWsp(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === " " || text[start] === "\t")) start++;
  while (end > start && (text[end - 1] === " " || text[end - 1] === "\t")) end--;
  return text.slice(start, end);
}

function referenceCookieValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || trimWsp(pair.slice(0, eq)) !== name) continue;
    let value = trimWsp(pair.slice(eq + 1));
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    if (value.length > 0) values.push(value);
  }
  return values;
}

const isAsciiLetter = (c: string, lower: string) => c === lower || c === lower.toUpperCase();

function referenceBasic(header: string): BasicResult {
  const scheme = [..."basic"].every((letter, i) => isAsciiLetter(header[i] ?? "", letter));
  if (!scheme || (header.length > 5 && header[5] !== " ")) return { present: false };
  const refused: BasicResult = { present: true, ok: false };
  let at = 5;
  while (header[at] === " ") at++;
  if (at === 5) return refused;
  const start = at;
  while (at < header.length && !/\s/.test(header[at]!)) at++;
  const encoded = header.slice(start, at);
  while (header[at] === " ") at++;
  if (encoded.length === 0 || at !== header.length || encoded.length > 8192) return refused;
  let i = 0;
  while (i < encoded.length && /[A-Za-z0-9+/]/.test(encoded[i]!)) i++;
  const padding = encoded.length - i;
  if (i === 0 || padding > 2 || encoded.slice(i) !== "=".repeat(padding)) return refused;
  // From here on both run the same built-ins (atob, TextDecoder, decodeURIComponent).
  try {
    const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    const colon = text.indexOf(":");
    if (colon < 0) return refused;
    const form = (part: string) => decodeURIComponent(part.split("+").join(" "));
    return {
      present: true,
      ok: true,
      clientId: form(text.slice(0, colon)),
      clientSecret: form(text.slice(colon + 1)),
    };
  } catch {
    return refused;
  }
}

const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function referenceCanonicalBase64url(segment: string): boolean {
  if (segment.length === 0 || segment.length % 4 === 1) return false;
  if (![...segment].every((c) => BASE64URL_ALPHABET.includes(c))) return false;
  // The unused low bits of the last character must be zero (RFC 4648 §3.5).
  const last = BASE64URL_ALPHABET.indexOf(segment[segment.length - 1]!);
  const unusedBits = { 0: 0, 2: 4, 3: 2 }[(segment.length % 4) as 0 | 2 | 3];
  return (last & ((1 << unusedBits) - 1)) === 0;
}

/** WHATWG application/x-www-form-urlencoded parsing; `null` where a name repeats. */
function referenceForm(text: string): Record<string, string> | null {
  const decode = (part: string): string => {
    const bytes = Buffer.from(part.split("+").join(" "), "utf8");
    const out: number[] = [];
    const hex = (b: number | undefined) =>
      b !== undefined && /^[0-9A-Fa-f]$/.test(String.fromCharCode(b));
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0x25 && hex(bytes[i + 1]) && hex(bytes[i + 2])) {
        out.push(parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
        i += 2;
      } else {
        out.push(bytes[i]!);
      }
    }
    // Node decodes bytes that are not UTF-8 its own way; the same decoder here.
    return Buffer.from(out).toString("utf8");
  };
  const fields = Object.create(null) as Record<string, string>;
  // The URLSearchParams constructor drops one leading "?" of a string.
  for (const sequence of (text.startsWith("?") ? text.slice(1) : text).split("&")) {
    if (sequence.length === 0) continue;
    const eq = sequence.indexOf("=");
    const name = decode(eq < 0 ? sequence : sequence.slice(0, eq));
    const value = decode(eq < 0 ? "" : sequence.slice(eq + 1));
    if (name in fields) return null;
    fields[name] = value;
  }
  return fields;
}
