/**
 * Replays the Wycheproof JOSE vectors (test/vectors/wycheproof, see the README there)
 * through `authenticate`, each group configured with its own key and algorithm. No JWS
 * payload there is a JWT claims set, so nothing may authenticate — valid signatures
 * included — and nothing may throw. Weak keys must be refused at configuration or
 * verification.
 *
 * Then every signature vector is replayed through the verifier's signature step itself,
 * `node:crypto` and jose side by side: each must give the verdict Wycheproof expects, and
 * the two steps must agree on every case.
 */
import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import type { Auth } from "../../src/options/auth-options.js";
import type { JwtOptions } from "../../src/options/jwt-options.js";
import {
  joseSignatureStep,
  nodeKeyFor,
  nodeSignatureStep,
  verifyWithNode,
  type SignatureStep,
} from "../../src/verify/jwt/jwt-signature.js";
import { checkTokenShape } from "../../src/verify/jwt/token-shape.js";

const DIR = new URL("../vectors/wycheproof/", import.meta.url);
type Jwk = Record<string, unknown> & { kty?: string; alg?: string; k?: string };
interface Case {
  tcId: number;
  comment: string;
  jws?: string;
  jwe?: string;
  result: "valid" | "invalid" | "acceptable";
}
interface Group {
  comment: string;
  private?: Jwk | { keys: Jwk[] };
  public?: Jwk | { keys: Jwk[] };
  tests: Case[];
}
const load = (name: string) =>
  JSON.parse(readFileSync(new URL(name, DIR), "utf8")) as { testGroups: Group[] };

const isSet = (key: unknown): key is { keys: Jwk[] } =>
  typeof key === "object" && key !== null && Array.isArray((key as { keys?: unknown }).keys);

function headerAlg(jws: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(jws.split(".")[0] ?? "", "base64url").toString()) as {
      alg?: unknown;
    };
    return typeof header.alg === "string" ? header.alg : undefined;
  } catch {
    return undefined;
  }
}

/** The `jwt` option a deployment holding this group's key would write. */
function optionsFor(group: Group): JwtOptions {
  const key = group.public ?? group.private;
  const first = isSet(key) ? key.keys[0] : key;
  const alg = first?.alg ?? headerAlg(group.tests[0]?.jws ?? "") ?? "none";
  // The loosest checks a deployment may choose (any typ, any audience), so that only the
  // shape, the key and the signature stand between a vector and success.
  const base = { algorithms: [alg], typ: false as const, audience: false as const };
  if (isSet(key)) {
    if (key.keys.every((k) => k.kty === "oct")) {
      return { ...base, secret: key.keys.map((k) => Buffer.from(k.k ?? "", "base64url")) };
    }
    return { ...base, jwks: { keys: key.keys } };
  }
  if (first?.kty === "oct") return { ...base, secret: Buffer.from(first.k ?? "", "base64url") };
  return { ...base, publicKey: first ?? {} };
}

interface Replay {
  refusedAtConfig: boolean;
  configError?: string;
  outcomes: Array<{
    tcId: number;
    token: string;
    result: Case["result"];
    code: string;
    detail: string;
  }>;
}

async function replay(group: Group, field: "jws" | "jwe" = "jws"): Promise<Replay> {
  let auth: Auth;
  try {
    auth = createAuth({ jwt: optionsFor(group) });
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return { refusedAtConfig: true, configError: String(error), outcomes: [] };
  }
  const outcomes: Replay["outcomes"] = [];
  for (const test of group.tests) {
    const raw: unknown = test[field] ?? "";
    // The JSON-serialization cases hold an object: try it as given and as JSON text.
    const token = typeof raw === "string" ? raw : JSON.stringify(raw);
    const asGiven = await auth.tokens.verify(raw as string);
    expect(asGiven.ok).toBe(false);
    // Both doors: the Authorization header (which also parses b64token) and the verifier.
    const viaHeader = await auth.authenticate(
      new Request("http://api.test/", { headers: { authorization: `Bearer ${token}` } }),
    );
    const direct = await auth.tokens.verify(token);
    expect(viaHeader.ok).toBe(false);
    expect(direct.ok).toBe(false);
    if (!direct.ok) {
      const { code, detail } = direct.error;
      outcomes.push({ tcId: test.tcId, token, result: test.result, code, detail });
    }
  }
  await auth.close();
  return { refusedAtConfig: false, outcomes };
}

describe("Wycheproof JWS vectors", () => {
  for (const file of [
    "wycheproof_json_web_signature_test.json",
    "wycheproof_json_web_crypto_test.json",
  ]) {
    const groups = load(file).testGroups.filter((g) => g.tests.some((t) => t.jws !== undefined));
    it(`${file}: ${groups.reduce((n, g) => n + g.tests.length, 0)} cases, none authenticates or throws`, async () => {
      let reachedClaims = 0;
      for (const group of groups) {
        const { outcomes } = await replay(group);
        for (const outcome of outcomes) {
          expect(["invalid_token", "token_expired"]).toContain(outcome.code);
          // Where the key was accepted, a valid signature must pass the signature check and
          // fail on the claims (the payloads are not JWT claims sets): proof that the replay
          // reaches real verification rather than failing at the door.
          // An empty payload is a valid JWS but never a JWT, and a token whose alg differs from
          // the one its key declares (RFC 7520 tcId 346) is refused by the allow-list: both
          // are right to stop at the door.
          const emptySegment = outcome.token.split(".").includes("");
          const declaredAlg = optionsFor(group).algorithms[0] === headerAlg(outcome.token);
          if (outcome.result === "valid" && !emptySegment && declaredAlg) {
            expect(`${outcome.tcId} ${outcome.detail}`).not.toMatch(
              /signature|algorithm|canonical|No verification key/,
            );
            reachedClaims++;
          }
        }
      }
      expect(reachedClaims).toBeGreaterThan(0);
    });
  }

  it("wycheproof_json_web_encryption_test.json: every JWE is refused before decoding", async () => {
    const groups = load("wycheproof_json_web_encryption_test.json").testGroups;
    const hs = {
      ...groups[0],
      private: {
        kty: "oct",
        alg: "HS256",
        k: Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1)).toString("base64url"),
      },
    } as Group;
    for (const group of groups) {
      const { outcomes } = await replay({ ...hs, tests: group.tests }, "jwe");
      expect(outcomes.length).toBe(group.tests.length);
      for (const outcome of outcomes) expect(outcome.code).toBe("invalid_token");
    }
  });
});

describe("Wycheproof base64 mutations against the token-shape check", () => {
  // The group's key is 32 zero bytes, which createAuth rightly refuses as weak; its tokens
  // are replayed through the shape check, which runs before any key is involved.
  const group = load("wycheproof_json_web_signature_test.json").testGroups.find(
    (g) => g.comment === "base64",
  ) as Group;
  // Upstream data defects (vectors README): 367/370 equal the valid 357; 372/373 hold a "?".
  const mislabelled = new Set([367, 370, 372, 373]);

  it.each(
    group.tests.filter((t) => !mislabelled.has(t.tcId)).map((t) => [t.tcId, t.comment, t] as const),
  )("tcId %i (%s)", (_id, _comment, test) => {
    const shape = checkTokenShape(test.jws, 8192, new Set(["HS256"]));
    expect(shape.ok).toBe(test.result === "valid");
  });

  it("the mislabelled cases are refused by shape (372, 373) or are the valid token (367, 370)", () => {
    const verdicts = group.tests
      .filter((t) => mislabelled.has(t.tcId))
      .map((t) => [t.tcId, checkTokenShape(t.jws, 8192, new Set(["HS256"])).ok]);
    expect(verdicts).toEqual([
      [367, true],
      [370, true],
      [372, false],
      [373, false],
    ]);
  });
});

describe("Wycheproof key sets", () => {
  const groups = load("wycheproof_json_web_key_test.json").testGroups;

  it.each([
    ["exponentOne", /unsafe public exponent/],
    ["keysize_too_small", /under 2048 bits/],
    ["invalid_use", /use "enc"/],
    ["jws_mixedSymmetryKeyset", /symmetric|mixes|oct|cannot be used/],
    ["invalid_point", /not a usable public key/],
  ])("%s is refused at configuration", async (name, message) => {
    const group = groups.find((g) => g.comment === name);
    expect(group).toBeDefined();
    const result = await replay(group as Group);
    expect(result.refusedAtConfig).toBe(true);
    expect(result.configError).toMatch(message);
  });

  it("short HMAC keys are refused at configuration", async () => {
    const short = groups.filter((g) => {
      const key = isSet(g.private) ? g.private.keys[0] : undefined;
      return key?.kty === "oct" && Buffer.from(key.k ?? "", "base64url").length < 32;
    });
    expect(short.length).toBeGreaterThan(0);
    for (const group of short) expect((await replay(group)).refusedAtConfig).toBe(true);
  });

  it("every group is refused at configuration or fails verification, never throwing", async () => {
    for (const group of groups) {
      const result = await replay(group);
      if (!result.refusedAtConfig) expect(result.outcomes.length).toBe(group.tests.length);
    }
  });
});

describe("Wycheproof raw signatures in JWS encoding", () => {
  const claims = Buffer.from(JSON.stringify({ sub: "a", exp: 4102444800 })).toString("base64url");
  it.each([
    ["wycheproof_ecdsa_secp256r1_sha256_p1363_test.json", "ES256"],
    ["wycheproof_ed25519_test.json", "EdDSA"],
  ])("%s: odd signatures never authenticate or throw", async (file, alg) => {
    const data = load(file) as unknown as {
      testGroups: Array<{ publicKeyPem: string; tests: Array<{ sig: string }> }>;
    };
    const header = Buffer.from(JSON.stringify({ alg })).toString("base64url");
    let cases = 0;
    for (const group of data.testGroups) {
      let auth: Auth;
      try {
        auth = createAuth({
          jwt: { algorithms: [alg], publicKey: group.publicKeyPem, audience: false },
        });
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError);
        continue;
      }
      for (const test of group.tests) {
        const sig = Buffer.from(test.sig, "hex").toString("base64url");
        const result = await auth.tokens.verify(`${header}.${claims}.${sig}`);
        expect(result.ok).toBe(false);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(100);
  });
});

/** A step's verdict on one token: "true", "false", or the name of what it threw. */
async function stepVerdict(
  step: SignatureStep,
  alg: string,
  key: KeyObject,
  token: string,
  segments: readonly [string, string, string],
): Promise<string> {
  const [header, payload, signature] = segments;
  try {
    const valid = await step(alg, key, {
      token,
      signingInput: `${header}.${payload}`,
      signature,
    });
    return String(valid);
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

/** The group's (first) key as a KeyObject, without the strength rules of createAuth. */
function rawKey(group: Group): { key: KeyObject; alg: string } | undefined {
  const declared = group.public ?? group.private;
  const jwk = isSet(declared) ? declared.keys[0] : declared;
  if (jwk === undefined || typeof jwk.alg !== "string") return undefined;
  try {
    const key =
      jwk.kty === "oct"
        ? createSecretKey(Buffer.from(jwk.k ?? "", "base64url"))
        : createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
    return { key, alg: jwk.alg };
  } catch {
    return undefined;
  }
}

describe("Wycheproof JWS vectors against the signature step", () => {
  // Where the verdict differs from Wycheproof's label, and why: the step is never asked.
  // Each reason is checked to be the one that applies, so the list cannot hide a verdict.
  const beforeTheStep: Record<number, RegExp> = {
    // A valid JWS with an empty payload is never a JWT: refused by shape.
    259: /canonical/,
    264: /canonical/,
    268: /canonical/,
    272: /canonical/,
    320: /canonical/,
    325: /canonical/,
    // The token's alg is not the one its key declares (PS384 for a PS256 key, ES512 for a key
    // declaring the unknown "ES521"): the allow-list of one refuses it.
    346: /algorithm/,
    347: /algorithm/,
    350: /algorithm/,
    351: /algorithm/,
    // Upstream data defects (vectors README): labelled valid with a "?" inside a segment.
    372: /canonical/,
    373: /canonical/,
  };
  // Labelled invalid although the signature is valid: upstream defects (367 and 370 equal the
  // valid 357), or a verdict on the key, not the signature (a ROCA key; a key set mixing
  // HMAC and EC keys), which the step cannot see and createAuth answers at configuration.
  const validSignatureLabelledInvalid: Record<string, number[]> = {
    "wycheproof_json_web_signature_test.json": [367, 370],
    "wycheproof_json_web_crypto_test.json": [46, 47],
  };

  for (const file of [
    "wycheproof_json_web_signature_test.json",
    "wycheproof_json_web_crypto_test.json",
  ]) {
    it(`${file}: every compact JWS gets Wycheproof's verdict from both steps`, async () => {
      let replayed = 0;
      let validated = 0;
      const signed = load(file).testGroups.filter((g) =>
        g.tests.some((test) => typeof test.jws === "string"),
      );
      for (const group of signed) {
        const raw = rawKey(group);
        if (raw === undefined) {
          // A key declared for no algorithm (an encryption key, `use: "enc"`) never reaches
          // the step: configuration refuses it, and Wycheproof expects every case refused.
          expect((await replay(group)).refusedAtConfig).toBe(true);
          expect(group.tests.every((test) => test.result === "invalid")).toBe(true);
          replayed += group.tests.length;
          continue;
        }
        const { key, alg } = raw;
        for (const test of group.tests) {
          if (typeof test.jws !== "string") continue;
          const shape = checkTokenShape(test.jws, 8192, new Set([alg]));
          const expected = test.result === "valid";
          if (!shape.ok) {
            // Refused at the door: either an invalid case or one of the listed reasons.
            const reason = beforeTheStep[test.tcId];
            if (reason === undefined || !expected) {
              expect(expected, `tcId ${test.tcId}: ${shape.detail}`).toBe(false);
            } else {
              expect(shape.detail).toMatch(reason);
            }
            replayed++;
            continue;
          }
          expect(beforeTheStep[test.tcId], `tcId ${test.tcId}`).toBeUndefined();
          const node = await stepVerdict(nodeSignatureStep, alg, key, test.jws, shape.segments);
          const jose = await stepVerdict(joseSignatureStep, alg, key, test.jws, shape.segments);
          expect(node, `tcId ${test.tcId} (${test.comment})`).toBe(jose);
          const labelledWrong = validSignatureLabelledInvalid[file]!.includes(test.tcId);
          expect(node === "true", `tcId ${test.tcId} (${test.comment})`).toBe(
            expected || labelledWrong,
          );
          if (node === "true") validated++;
          replayed++;
        }
      }
      expect(replayed).toBeGreaterThan(0);
      expect(validated).toBeGreaterThan(0);
    });
  }
});

describe("Wycheproof raw signatures against the signature step", () => {
  // The message bytes as the step receives a signing input: one char per byte.
  const asInput = (hex: string) => Buffer.from(hex, "hex").toString("latin1");

  it.each([
    ["wycheproof_ecdsa_secp256r1_sha256_p1363_test.json", "ES256"],
    ["wycheproof_ed25519_test.json", "EdDSA"],
  ])("%s: node:crypto gives every case its verdict, as WebCrypto does", async (file, alg) => {
    const data = load(file) as unknown as {
      testGroups: Array<{
        publicKeyPem: string;
        tests: Array<{ tcId: number; msg: string; sig: string; result: string }>;
      }>;
    };
    const webAlgorithm =
      alg === "ES256"
        ? {
            import: { name: "ECDSA", namedCurve: "P-256" },
            verify: { name: "ECDSA", hash: "SHA-256" },
          }
        : { import: { name: "Ed25519" }, verify: { name: "Ed25519" } };
    let cases = 0;
    for (const group of data.testGroups) {
      const key = createPublicKey(group.publicKeyPem);
      const nodeKey = nodeKeyFor(alg, key);
      expect(nodeKey).toBe(key);
      const cryptoKey = await crypto.subtle.importKey(
        "spki",
        key.export({ type: "spki", format: "der" }),
        webAlgorithm.import,
        false,
        ["verify"],
      );
      // The step also takes the CryptoKey a JWKS resolves to, converted once.
      expect(nodeKeyFor(alg, cryptoKey)?.equals(key)).toBe(true);
      for (const test of group.tests) {
        const signature = Buffer.from(test.sig, "hex");
        const verdict = verifyWithNode(
          alg,
          key,
          asInput(test.msg),
          signature.toString("base64url"),
        );
        expect(verdict, `tcId ${test.tcId}`).toBe(test.result === "valid");
        const web = await crypto.subtle
          .verify(webAlgorithm.verify, cryptoKey, signature, Buffer.from(test.msg, "hex"))
          .catch(() => false);
        expect(verdict, `tcId ${test.tcId} (WebCrypto)`).toBe(web);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(100);
  });
});
