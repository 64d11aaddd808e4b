import { generateKeyPairSync } from "node:crypto";
import { SignJWT, base64url } from "jose";
import { describe, expect, it } from "vitest";
import { createReporter } from "../../src/decide/report.js";
import { claimsToPrincipal } from "../../src/principal/from-claims.js";
import { createJwtVerifier } from "../../src/verify/jwt/jwt-verifier.js";
import { joseSignatureStep } from "../../src/verify/jwt/jwt-signature.js";
import { createTokenVerifier, TokenMiss } from "../../src/verify/verify-token.js";
import { AUDIENCE, ISSUER, SECRET, jwtOptions, makeAuth, now, req, sign } from "./helpers.js";

const enc = (value: unknown): string => base64url.encode(JSON.stringify(value));
const hs = new TextEncoder().encode(SECRET);

async function codeOf(token: string, extra: Parameters<typeof makeAuth>[0] = {}) {
  const { auth } = makeAuth(extra);
  const result = await auth.authenticate(req({ authorization: `Bearer ${token}` }));
  expect(result.ok).toBe(false);
  return result.ok ? undefined : { code: result.error.code, detail: result.error.detail };
}

describe("JWT verification: claims", () => {
  it("expired, not-yet-valid, wrong issuer and wrong audience each have their own answer", async () => {
    const t = now();
    const expired = await codeOf(await sign({ iat: t - 3600, exp: t - 600 }));
    const early = await codeOf(await sign({ nbf: t + 600 }));
    const issuer = await codeOf(await sign({ iss: "https://evil.example" }));
    const audience = await codeOf(await sign({ aud: "other" }));
    expect(expired?.code).toBe("token_expired");
    for (const [result, detail] of [
      [early, /not yet valid/],
      [issuer, /issuer/],
      [audience, /audience/],
    ] as const) {
      expect(result?.code).toBe("invalid_token");
      expect(result?.detail).toMatch(detail);
    }
  });

  it("a wrong signature is invalid_token and the detail never echoes the token", async () => {
    const token = await sign({}, {}, "some-other-secret-of-sufficient-length-xyz");
    const { auth } = makeAuth();
    const result = await auth.authenticate(req({ authorization: `Bearer ${token}` }));
    expect(!result.ok && result.error.detail).toMatch(/signature/);
    if (result.ok) return;
    const wire = JSON.stringify(result.error.toProblem()) + result.error.challenge("api");
    for (const part of token.split(".")) expect(wire).not.toContain(part);
  });

  it("a missing exp and exp: 1e309 are refused", async () => {
    const header = enc({ alg: "HS256", typ: "at+jwt" });
    const noExp = await new SignJWT({ sub: "a", iss: ISSUER, aud: AUDIENCE })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .setIssuedAt()
      .sign(hs);
    expect((await codeOf(noExp))?.detail).toMatch(/exp/);
    // JSON.stringify cannot write 1e309, so the payload is written by hand.
    const payload = base64url.encode(
      `{"sub":"a","iss":"${ISSUER}","aud":"${AUDIENCE}","iat":${now()},"exp":1e309}`,
    );
    const { createHmac } = await import("node:crypto");
    const sig = createHmac("sha256", SECRET).update(`${header}.${payload}`).digest("base64url");
    const result = await codeOf(`${header}.${payload}.${sig}`);
    expect(result?.code).toBe("invalid_token");
  });

  it("a lifetime beyond maxLifetime is refused", async () => {
    const t = now();
    const long = await sign({ iat: t, exp: t + 3 * 86400 });
    expect((await codeOf(long))?.detail).toMatch(/lifetime/);
    const allowed = makeAuth({ jwt: { maxLifetime: "7d" } });
    const ok = await allowed.auth.authenticate(req({ authorization: `Bearer ${long}` }));
    expect(ok.ok).toBe(true);
  });

  it("maxTokenAge refuses an old iat as token_expired", async () => {
    const t = now();
    const old = await sign({ iat: t - 600, exp: t + 600 });
    expect((await codeOf(old, { jwt: { maxTokenAge: "5m" } }))?.code).toBe("token_expired");
  });

  it("typ at+jwt is required by default for our own tokens; typ: false lifts it", async () => {
    const jwtTyp = await sign({}, { typ: "JWT" });
    expect((await codeOf(jwtTyp))?.detail).toMatch(/typ/);
    const relaxed = makeAuth({ jwt: { typ: false } });
    const ok = await relaxed.auth.authenticate(req({ authorization: `Bearer ${jwtTyp}` }));
    expect(ok.ok).toBe(true);
  });

  it("a token without sub is refused", async () => {
    const token = await new SignJWT({ scope: "a" })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(hs);
    expect((await codeOf(token))?.detail).toMatch(/sub/);
  });

  it("rotation: every configured secret verifies", async () => {
    const old = "an-older-secret-that-was-rotated-out-9f8e7d6c";
    const { auth } = makeAuth({ jwt: { secret: [SECRET, old] } });
    const result = await auth.authenticate(
      req({ authorization: `Bearer ${await sign({}, {}, old)}` }),
    );
    expect(result.ok).toBe(true);
  });
});

describe("JWT verification: hostile tokens", () => {
  const forge = (
    header: Record<string, unknown>,
    body: Record<string, unknown> = {},
    sig = "c2ln",
  ) =>
    `${enc(header)}.${enc({ sub: "a", iss: ISSUER, aud: AUDIENCE, exp: now() + 60, ...body })}.${sig}`;

  it.each([
    ["alg none, empty signature", forge({ alg: "none" }, {}, ""), /canonical/],
    ["alg none with signature", forge({ alg: "none" }), /algorithm/],
    ["embedded jwk", forge({ alg: "HS256", jwk: { kty: "oct", k: "AAAA" } }), /jwk/],
    ["jku", forge({ alg: "HS256", jku: "https://evil.example/jwks" }), /jku/],
    ["x5u", forge({ alg: "HS256", x5u: "https://evil.example/cert" }), /x5u/],
    ["crit", forge({ alg: "HS256", crit: ["exp"] }), /crit/],
    ["b64 false", forge({ alg: "HS256", b64: false, crit: ["b64"] }), /crit|b64/],
    ["JWE (five segments)", "a.b.c.d.e", /JWE/],
    [
      "JSON serialization",
      JSON.stringify({ payload: "x", signature: "y" }),
      /three segments|b64token/,
    ],
  ])("%s is refused", async (_name, token, detail) => {
    const { auth } = makeAuth();
    const result = await auth.tokens.verify(token);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe("invalid_token");
      expect(result.error.detail).toMatch(detail);
    }
  });

  it("HS256 signed with an RSA public key as the secret is refused (RS256 configured)", async () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const token = await new SignJWT({ sub: "a" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(pem));
    const verifier = createJwtVerifier({ algorithms: ["RS256"], publicKey: pem, audience: "api" });
    const result = await verifier.verify(token);
    expect(!result.ok && result.error.detail).toMatch(/algorithm/);
  });

  it("a 3 MB token is refused by length before decoding", async () => {
    const huge = `${enc({ alg: "HS256" })}.${"A".repeat(3 * 1024 * 1024)}.sig`;
    const result = await makeAuth().auth.tokens.verify(huge);
    expect(!result.ok && result.error.detail).toMatch(/longer than 8192/);
  });

  it("whitespace inside a segment and a non-canonical trailing character are refused", async () => {
    const token = await sign();
    const [h, p, s] = token.split(".") as [string, string, string];
    const spaced = `${h}.${p.slice(0, 5)} ${p.slice(5)}.${s}`;
    // HS256 signatures are 32 bytes: 43 characters whose last one carries 2 unused bits.
    const last = s.at(-1) ?? "A";
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const twin = alphabet[alphabet.indexOf(last) + 1] ?? "B";
    const nonCanonical = `${h}.${p}.${s.slice(0, -1)}${twin}`;
    const verifier = makeAuth().auth.tokens;
    expect((await verifier.verify(token)).ok).toBe(true);
    for (const bad of [spaced, nonCanonical, `${token}=`]) {
      const result = await verifier.verify(bad);
      expect(!result.ok && result.error.code).toBe("invalid_token");
    }
  });
});

describe("verified-token cache", () => {
  it("a repeated token is served from the cache, and isRevoked is still asked", async () => {
    let revoked = false;
    const seen: unknown[] = [];
    const verifier = createJwtVerifier({
      ...jwtOptions,
      isRevoked: (claims) => {
        seen.push(claims.jti);
        return revoked;
      },
    });
    const token = await sign({ jti: "t1" });
    // Cached the second time it verifies (the first leaves only its digest behind).
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    const third = await verifier.verify(token);
    expect(first.ok && first.cached).toBe(false);
    expect(second.ok && second.cached).toBe(false);
    expect(third.ok && third.cached).toBe(true);
    revoked = true;
    const fourth = await verifier.verify(token);
    expect(!fourth.ok && fourth.error.detail).toMatch(/revoked/);
    expect(seen).toEqual(["t1", "t1", "t1", "t1"]);
  });

  it("an entry never outlives the token's exp", async () => {
    let clock = Date.now();
    const verifier = createJwtVerifier({ ...jwtOptions, clockTolerance: 0 }, () => clock);
    const t = Math.floor(clock / 1000);
    const token = await sign({ iat: t, exp: t + 30 });
    expect((await verifier.verify(token)).ok).toBe(true);
    expect((await verifier.verify(token)).ok).toBe(true);
    expect(await verifier.verify(token)).toMatchObject({ ok: true, cached: true });
    clock += 31_000;
    const later = await verifier.verify(token);
    expect(!later.ok && later.error.code).toBe("token_expired");
  });

  it("an isRevoked that throws makes the request unavailable, not authenticated", async () => {
    const verifier = createJwtVerifier({
      ...jwtOptions,
      isRevoked: () => Promise.reject(new Error("db down")),
    });
    const result = await verifier.verify(await sign());
    expect(!result.ok && result.error.code).toBe("unavailable");
  });

  it("a miss handed on keys its own token only", async () => {
    const jwt = createJwtVerifier(jwtOptions);
    const verifyToken = createTokenVerifier({
      jwt,
      apiKeys: null,
      toPrincipal: claimsToPrincipal,
      now: Date.now,
      report: createReporter(undefined),
    });
    const [a, b] = await Promise.all([sign({ sub: "a" }), sign({ sub: "b" })]);
    const missOfA = verifyToken.cached(a, "jwt");
    if (!(missOfA instanceof TokenMiss)) throw new Error("a is not cached yet");
    expect(missOfA.digest).toBe(jwt.cacheKey(a));
    // Handed with another token's miss, b is verified and cached under its own key (on its
    // second verification, as every token).
    expect((await verifyToken(b, "jwt", missOfA)).ok).toBe(true);
    const result = await verifyToken(b, "jwt", missOfA);
    expect(result.ok && result.principal.id).toBe("b");
    expect(verifyToken.cached(b, "jwt")).not.toBeInstanceOf(TokenMiss);
    expect(verifyToken.cached(a, "jwt")).toBeInstanceOf(TokenMiss);
    expect((await verifyToken(a, "jwt", missOfA)).ok).toBe(true);
    expect((await verifyToken(a, "jwt", missOfA)).ok).toBe(true);
    expect(await verifyToken.cached(a, "jwt")).toMatchObject({ ok: true, principal: { id: "a" } });
  });

  it("is bounded by cacheMax", async () => {
    const verifier = createJwtVerifier({ ...jwtOptions, cacheMax: 2 });
    const tokens = await Promise.all([1, 2, 3].map((n) => sign({ jti: String(n) })));
    for (const token of tokens) await verifier.verify(token);
    const again = await verifier.verify(tokens[0] ?? "");
    expect(again.ok && again.cached).toBe(false);
  });
});

describe("when verification needs a promise", () => {
  it("a new HS256 token is answered at once, accepted or refused; only a step that waits makes a promise", async () => {
    const token = await sign();
    const forged = await sign({}, {}, "some-other-secret-of-sufficient-length-xyz");
    const plain = createJwtVerifier(jwtOptions);
    const accepted = plain.verifyNew(token);
    expect(accepted).not.toBeInstanceOf(Promise);
    expect(accepted).toMatchObject({ ok: true, cached: false, claims: { sub: "alice" } });
    const refused = plain.verifyNew(forged);
    expect(refused).not.toBeInstanceOf(Promise);
    expect(refused).toMatchObject({ ok: false });
    expect(plain.verify("not.a.token")).not.toBeInstanceOf(Promise);

    // The revocation hook, even a synchronous one, is awaited.
    const hooked = createJwtVerifier({ ...jwtOptions, isRevoked: () => false });
    const viaHook = hooked.verifyNew(token);
    expect(viaHook).toBeInstanceOf(Promise);
    expect((await viaHook).ok).toBe(true);
    // A key jose has to judge: the async WebCrypto path.
    const jose = createJwtVerifier(jwtOptions, Date.now, { signature: joseSignatureStep });
    const viaJose = jose.verifyNew(token);
    expect(viaJose).toBeInstanceOf(Promise);
    expect(await viaJose).toMatchObject({ ok: true, claims: { sub: "alice" } });
    expect((await jose.verifyNew(forged)).ok).toBe(false);
  });
});
