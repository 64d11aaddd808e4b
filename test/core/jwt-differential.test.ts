/**
 * The verifier against jose's `jwtVerify`, on generated tokens: valid ones and mangled ones
 * (flipped signature bits, altered header or payload, alg swaps including "none", HMAC
 * signed with the RSA public key, padding, extra dots, non-canonical base64url, odd and huge
 * claims, exp/nbf/iat at the edges of the clock tolerance, any header and payload bytes
 * under a valid signature). For HS256, ES256, EdDSA, RS256 and PS256:
 *
 * - the verifier with the `node:crypto` signature step and the one with jose's answer
 *   exactly alike (verdict, code, detail, claims);
 * - whatever the verifier accepts, jose accepts, with the same claims;
 * - whatever jose accepts and the verifier refuses is refused for one of the verifier's own
 *   stricter rules (canonical base64url, refused header parameters, a finite and bounded
 *   exp), never for a signature or a claim jose would have passed.
 */
import {
  constants,
  createHmac,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
  type KeyObject,
} from "node:crypto";
import fc from "fast-check";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import type { JwtOptions } from "../../src/options/jwt-options.js";
import { joseSignatureStep, nodeSignatureStep } from "../../src/verify/jwt/jwt-signature.js";
import { createJwtVerifier, type JwtOutcome } from "../../src/verify/jwt/jwt-verifier.js";

/** A fixed wall clock, mid-second, so that flooring to seconds matters. */
const NOW_MS = 1_900_000_000_600;
const NOW = Math.floor(NOW_MS / 1000);
const TOLERANCE = 5;
const ISSUER = "https://issuer.test";
const AUDIENCE = "api";

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");

interface Suite {
  alg: string;
  signKey: KeyObject;
  verifyKey: KeyObject;
  options: JwtOptions;
}

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ type: "spki", format: "pem" }).toString();

function suite(alg: string): Suite {
  const base = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, clockTolerance: TOLERANCE };
  if (alg === "HS256") {
    const secret = randomBytes(32);
    const key = createSecretKey(secret);
    return { alg, signKey: key, verifyKey: key, options: { ...base, secret } };
  }
  const pair =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "prime256v1" })
      : alg === "EdDSA"
        ? generateKeyPairSync("ed25519")
        : rsa;
  const verifyKey = createPublicKey(pair.privateKey);
  const pem = verifyKey.export({ type: "spki", format: "pem" }).toString();
  return { alg, signKey: pair.privateKey, verifyKey, options: { ...base, publicKey: pem } };
}

/** Signs `input` as `alg` would, whatever bytes the header and payload hold. */
function signAs(alg: string, key: KeyObject | Buffer, input: string): Buffer {
  const data = Buffer.from(input, "latin1");
  switch (alg) {
    case "HS256":
      return createHmac("sha256", key).update(data).digest();
    case "ES256":
      return cryptoSign("sha256", data, { key: key as KeyObject, dsaEncoding: "ieee-p1363" });
    case "EdDSA":
      return cryptoSign(null, data, key);
    case "RS256":
      return cryptoSign("sha256", data, key);
    case "PS256":
      return cryptoSign("sha256", data, {
        key: key as KeyObject,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
    default:
      return Buffer.alloc(0);
  }
}

/** NumericDate values: mostly in `[low, high]`, then the edges that matter, then odd ones. */
const timeValue = (low: number, high: number, center: number) =>
  fc.oneof(
    { weight: 30, arbitrary: fc.integer({ min: low, max: high }) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        center,
        center - TOLERANCE,
        center - TOLERANCE - 1,
        center - TOLERANCE + 1,
        center + TOLERANCE,
        center + TOLERANCE + 1,
      ),
    },
    { weight: 1, arbitrary: fc.double({ min: center - 100, max: center + 100, noNaN: true }) },
    { weight: 1, arbitrary: fc.integer() },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(
        String(center + 60),
        null,
        true,
        [center],
        { v: center },
        1e308,
        -1,
        0,
      ),
    },
  );

const OMIT = Symbol("omit");
/** Mostly `usual`, sometimes one of `odd`, sometimes absent. */
const usually = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<unknown>, omit = 1) =>
  fc.oneof(
    { weight: 30, arbitrary: usual },
    { weight: 2, arbitrary: odd },
    { weight: omit, arbitrary: fc.constant(OMIT) },
  );
const rarely = (odd: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 1, arbitrary: odd }, { weight: 40, arbitrary: fc.constant(OMIT) });

/** A claims set as JSON text: mostly plausible, sometimes odd, huge or not an object. */
const payloadText = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .record({
        iss: usually(fc.constant(ISSUER), fc.constantFrom(`${ISSUER}/`, "other", [ISSUER], 7)),
        aud: usually(
          fc.constantFrom<unknown>(AUDIENCE, [AUDIENCE], ["x", AUDIENCE]),
          fc.constantFrom(["x"], "API", [1, AUDIENCE], 3, []),
        ),
        sub: usually(fc.string({ maxLength: 12 }), fc.constantFrom(5, null, "")),
        exp: usually(
          timeValue(NOW + 1, NOW + 3600, NOW),
          timeValue(NOW - 7200, NOW + 200_000, NOW),
        ),
        nbf: fc.oneof(
          { weight: 1, arbitrary: timeValue(NOW - 3600, NOW + 60, NOW) },
          { weight: 3, arbitrary: fc.constant(OMIT) },
        ),
        iat: usually(
          timeValue(NOW - 600, NOW, NOW),
          timeValue(NOW - 7200, NOW + 60, NOW - 3600),
          3,
        ),
        extra: rarely(fc.jsonValue({ maxDepth: 3 })),
        big: rarely(fc.string({ minLength: 0, maxLength: 2000 })),
        key_id: rarely(fc.string({ maxLength: 8 })),
      })
      .chain((record) =>
        fc.constantFrom("plain", "inf-exp", "neg-zero").map((variant) => {
          const claims: Record<string, unknown> = {};
          for (const [name, value] of Object.entries(record)) {
            if (value !== OMIT) claims[name] = value;
          }
          const text = JSON.stringify(claims);
          // JSON has no Infinity, but 1e309 parses to it: jose treats that exp as forever.
          if (variant === "inf-exp" && "exp" in claims) {
            return text.replace(/"exp":[^,}]*/, '"exp":1e309');
          }
          if (variant === "neg-zero") return text.replace(/^\{/, '{"n":-0,');
          return text;
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "[]",
      "null",
      '"claims"',
      "42",
      "",
      "{",
      `{"__proto__":{"exp":${NOW + 60}},"exp":${NOW + 60},"iss":"${ISSUER}","aud":"${AUDIENCE}"}`,
      `{"exp":${NOW + 60},"exp":${NOW - 60},"iss":"${ISSUER}","aud":"${AUDIENCE}"}`,
      `\uFEFF{"exp":${NOW + 60},"iss":"${ISSUER}","aud":"${AUDIENCE}"}`,
      ` {"exp":${NOW + 60},"iss":"${ISSUER}","aud":"${AUDIENCE}"} `,
    ),
  },
);

/** Header fields: the right alg mostly, others, "none", and parameters jose reacts to. */
const headerFor = (alg: string) =>
  fc
    .record({
      alg: fc.oneof(
        { weight: 30, arbitrary: fc.constant<unknown>(alg) },
        {
          weight: 2,
          arbitrary: fc.constantFrom<unknown>(
            "none",
            "None",
            "HS256",
            "RS256",
            "PS256",
            "ES256",
            "EdDSA",
            "Ed25519",
            "ES384",
            "",
            null,
            [alg],
          ),
        },
      ),
      typ: usually(
        fc.constant("at+jwt"),
        fc.constantFrom("JWT", "application/at+jwt", "AT+JWT", "application/jwt", 1),
        2,
      ),
      kid: rarely(fc.constantFrom("k1", "", 5, null)),
      crit: rarely(fc.constantFrom(["b64"], ["exp"], [], "b64")),
      b64: rarely(fc.constantFrom(false, true)),
      jwk: rarely(fc.constant({ kty: "oct", k: "AAAA" })),
    })
    .map((record) => {
      const header: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(record)) {
        if (value !== OMIT) header[name] = value;
      }
      return header;
    });

type Mangle =
  | { kind: "none" }
  | { kind: "flip-signature"; at: number; bit: number }
  | { kind: "flip-char"; segment: 0 | 1; at: number }
  | { kind: "replace-payload"; text: string }
  | { kind: "strip-signature" }
  | { kind: "pad"; segment: 0 | 1 | 2 }
  | { kind: "extra-dot" }
  | { kind: "non-canonical"; segment: 0 | 1 | 2 }
  | { kind: "whitespace" }
  | { kind: "hmac-with-public-key" }
  | { kind: "bad-utf8"; segment: 0 | 1 };

const mangle: fc.Arbitrary<Mangle> = fc.oneof(
  { weight: 20, arbitrary: fc.constant({ kind: "none" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("flip-signature" as const),
      at: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("flip-char" as const),
      segment: fc.constantFrom(0 as const, 1 as const),
      at: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("replace-payload" as const), text: payloadText }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "strip-signature" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("pad" as const),
      segment: fc.constantFrom(0 as const, 1 as const, 2 as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "extra-dot" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("non-canonical" as const),
      segment: fc.constantFrom(0 as const, 1 as const, 2 as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "whitespace" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "hmac-with-public-key" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("bad-utf8" as const),
      segment: fc.constantFrom(0 as const, 1 as const),
    }),
  },
);

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The same bytes with the unused low bits of the last character set, if it has any. */
function nonCanonical(segment: string): string {
  const tail = segment.length % 4;
  if (tail < 2) return segment;
  const value = ALPHABET.indexOf(segment.at(-1)!);
  return segment.slice(0, -1) + ALPHABET[value | (tail === 2 ? 0b1111 : 0b11)]!;
}

function build(s: Suite, header: Record<string, unknown>, payload: string, m: Mangle): string {
  const signed = (h: string, p: string, alg = s.alg, key: KeyObject | Buffer = s.signKey) =>
    `${h}.${p}.${b64(signAs(alg, key, `${h}.${p}`))}`;
  let h = b64(JSON.stringify(header));
  let p = b64(payload);
  if (m.kind === "bad-utf8") {
    // A lone continuation byte inside a JSON string: lossy decoders read U+FFFD, jose refuses.
    const text = m.segment === 0 ? JSON.stringify(header) : payload;
    const bytes = Buffer.concat([
      Buffer.from(text.slice(0, -1)),
      Buffer.from([0x80]),
      Buffer.from(text.slice(-1)),
    ]);
    if (m.segment === 0) h = b64(bytes);
    else p = b64(bytes);
  }
  if (m.kind === "hmac-with-public-key") {
    // The classic confusion: an HS256 token keyed with the RSA public key's PEM text.
    const confused = b64(JSON.stringify({ ...header, alg: "HS256" }));
    return signed(confused, p, "HS256", Buffer.from(rsaPem));
  }
  const token = signed(h, p);
  const [eh, ep, es] = token.split(".") as [string, string, string];
  const segments: [string, string, string] = [eh, ep, es];
  switch (m.kind) {
    case "flip-signature": {
      const sig = Buffer.from(es, "base64url");
      if (sig.length > 0) sig[m.at % sig.length]! ^= 1 << m.bit;
      return `${eh}.${ep}.${b64(sig)}`;
    }
    case "flip-char": {
      const seg = segments[m.segment];
      const at = m.at % seg.length;
      const swapped = ALPHABET[(ALPHABET.indexOf(seg[at]!) + 1) % 64]!;
      segments[m.segment] = seg.slice(0, at) + swapped + seg.slice(at + 1);
      return segments.join(".");
    }
    case "replace-payload":
      return `${eh}.${b64(m.text)}.${es}`;
    case "strip-signature":
      return `${eh}.${ep}.`;
    case "pad":
      segments[m.segment] += "=".repeat((4 - (segments[m.segment].length % 4)) % 4 || 1);
      return segments.join(".");
    case "extra-dot":
      return `${token}.`;
    case "non-canonical":
      segments[m.segment] = nonCanonical(segments[m.segment]);
      return segments.join(".");
    case "whitespace":
      return `${eh}.${ep} .${es}`;
    default:
      return token;
  }
}

/** The verifier's own refusals, stricter than jose: the only ones allowed where jose accepts. */
const STRICTER =
  /canonical|header parameter|kid is not a string|lacks the required "exp"|exp claim is not a finite|lifetime exceeds|iat claim is not a finite|nbf claim is not a finite/;

type Verdict =
  { ok: true; claims: Record<string, unknown> } | { ok: false; code: string; detail: string };

const verdict = (outcome: JwtOutcome): Verdict =>
  outcome.ok
    ? { ok: true, claims: { ...outcome.claims } }
    : { ok: false, code: outcome.error.code, detail: outcome.error.detail ?? "" };

describe("the verifier and jose's jwtVerify agree", () => {
  for (const alg of ["HS256", "ES256", "EdDSA", "RS256", "PS256"]) {
    it(`${alg}: same verdict, same claims, stricter only by its own rules`, async () => {
      const s = suite(alg);
      const configs: JwtOptions[] = [
        { ...s.options, typ: "at+jwt", cacheMax: 0 },
        { ...s.options, typ: false, maxTokenAge: 3600, requiredClaims: ["sub"], cacheMax: 0 },
      ];
      const pairs = configs.map((options) => ({
        node: createJwtVerifier(options, () => NOW_MS, { signature: nodeSignatureStep }),
        jose: createJwtVerifier(options, () => NOW_MS, { signature: joseSignatureStep }),
      }));
      const tally = { bothAccept: 0, bothRefuse: 0, stricter: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: configs.length - 1 }),
          headerFor(alg),
          payloadText,
          mangle,
          async (which, header, payload, m) => {
            const token = build(s, header, payload, m);
            const { node, jose } = pairs[which]!;
            const ours = verdict(await node.verifyNew(token));
            expect(verdict(await jose.verifyNew(token))).toEqual(ours);
            const settings = node.settings;
            let theirs: Verdict;
            try {
              const { payload: claims } = await jwtVerify(token, s.verifyKey, {
                algorithms: [alg],
                issuer: settings.issuer,
                audience: settings.audience,
                typ: settings.typ,
                clockTolerance: settings.clockTolerance,
                maxTokenAge: settings.maxTokenAge,
                // The option as given: jose adds iss, aud and iat on its own, as ours must.
                requiredClaims: configs[which]!.requiredClaims,
                currentDate: new Date(NOW_MS),
              });
              theirs = { ok: true, claims: { ...claims } };
            } catch (error) {
              theirs = { ok: false, code: "jose", detail: String(error) };
            }
            expect(ours.ok === false && ours.code === "unavailable").toBe(false);
            if (ours.ok) {
              expect(theirs).toEqual(ours);
              tally.bothAccept++;
            } else if (theirs.ok) {
              expect(ours.detail).toMatch(STRICTER);
              tally.stricter++;
            } else {
              tally.bothRefuse++;
            }
          },
        ),
        { numRuns: 500 },
      );
      // The generators reach every branch: accepted tokens, refused ones, and the rules that
      // are stricter than jose's.
      expect(tally.bothAccept).toBeGreaterThan(25);
      expect(tally.bothRefuse).toBeGreaterThan(25);
      expect(tally.stricter).toBeGreaterThan(0);
    }, 120_000);
  }
});
