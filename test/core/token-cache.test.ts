/**
 * The verified-token cache keys an entry by the digest of the signature and holds the
 * signed part: a hit must be exactly the token that verified, and the cache must not keep
 * the signature (nor the token) where a heap snapshot would show it.
 */
import { getHeapSnapshot } from "node:v8";
import { describe, expect, it } from "vitest";
import { createJwtVerifier } from "../../src/verify/jwt/jwt-verifier.js";
import {
  createTokenCache,
  tokenDigest,
  type TokenCache,
} from "../../src/verify/jwt/token-cache.js";
import { jwtOptions, sign } from "./helpers.js";

const future = Math.floor(Date.now() / 1000) + 3600;
const claims = Object.freeze({ sub: "alice", exp: future });

function fresh(text: string): string {
  // A string of its own, as a request header would bring.
  return Buffer.from(text, "latin1").toString("latin1");
}

/** The heap as a snapshot's text: every string the process holds is in it. */
function heapSnapshot(): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = getHeapSnapshot();
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    stream.on("error", reject);
  });
}

/** Sets `token` as the verifier does on each verification: twice, so that it is stored. */
function verifiedTwice(cache: TokenCache, token: string, value = claims) {
  expect(cache.set(token, value)).toBeUndefined();
  return cache.set(token, value);
}

describe("token cache hits", () => {
  const signed = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9";
  const signature = "c2lnbmF0dXJlLW9mLXRoZS10b2tlbi0wMTIzNDU2Nzg5";
  const token = `${signed}.${signature}`;

  it("answers the token that was stored, presented as a new string", () => {
    const cache = createTokenCache(10);
    expect(verifiedTwice(cache, token)).toBeDefined();
    const copy = fresh(token);
    expect(cache.get(copy, tokenDigest(copy))?.claims).toBe(claims);
  });

  it("misses a token with the same signature but another signed part", () => {
    const cache = createTokenCache(10);
    verifiedTwice(cache, token);
    expect(cache.size).toBe(1);
    for (const other of [
      `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.${signature}`,
      `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ8.${signature}`,
      `${signed}x.${signature}`,
      `${signed}.x.${signature}`,
      `${signed.slice(0, -1)}.${signature}`,
      `.${signature}`,
      signature,
    ]) {
      expect(cache.get(other, tokenDigest(other))).toBeUndefined();
    }
  });

  it("misses a token whose signature differs, and one past its exp", () => {
    let now = Date.now();
    const cache = createTokenCache(10, () => now);
    verifiedTwice(cache, token);
    expect(cache.size).toBe(1);
    const changed = `${token.slice(0, -1)}A`;
    expect(cache.get(changed, tokenDigest(changed))).toBeUndefined();
    now = future * 1000;
    expect(cache.get(token, tokenDigest(token))).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("keeps neither the signature nor the token in memory", async () => {
    const cache = createTokenCache(10);
    // Built here and dropped: only the cache could keep it alive.
    const marker = Buffer.from("c2lnbmF0dXJlLW1hcmtlci1mb3ItdGhlLWhlYXA").toString("latin1");
    (() => {
      const stored = fresh(`${signed}.${marker}`);
      verifiedTwice(cache, stored);
      expect(cache.get(stored, tokenDigest(stored))).toBeDefined();
    })();
    const snapshot = await heapSnapshot();
    expect(cache.size).toBe(1);
    // The signed part is held (it is the payload the entry already holds parsed) ...
    expect(snapshot.includes(signed)).toBe(true);
    // ... and the marker signature only as the Buffer literal's text, never a string that
    // follows the signed part.
    expect(snapshot.includes(`${signed}.${marker}`)).toBe(false);
  }, 60_000);
});

describe("admission on the second verification", () => {
  const a = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLWEtMDEyMzQ1Njc4OWFiY2RlZg";
  const b = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiIn0.c2lnbmF0dXJlLWItMDEyMzQ1Njc4OWFiY2RlZg";

  it("stores nothing for a token verified once, and the entry the second time", () => {
    const cache = createTokenCache(10);
    expect(cache.set(a, claims)).toBeUndefined();
    expect(cache.get(a, tokenDigest(a))).toBeUndefined();
    expect(cache.size).toBe(0);
    // Another token in between does not count for the first.
    expect(cache.set(b, claims)).toBeUndefined();
    expect(cache.set(a, claims)).toBeDefined();
    expect(cache.get(a, tokenDigest(a))?.claims).toBe(claims);
    expect(cache.size).toBe(1);
  });

  it("keeps its marks within the same bound, and clears them", () => {
    // One slot: every other token's first verification takes the place of a's.
    const cache = createTokenCache(1);
    expect(cache.set(a, claims)).toBeUndefined();
    expect(cache.set(b, claims)).toBeUndefined();
    expect(cache.set(a, claims)).toBeUndefined();
    cache.clear();
    expect(cache.set(a, claims)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.set(a, claims)).toBeDefined();
  });

  it("caches each of many tokens on its second verification", () => {
    const cache = createTokenCache(1000);
    const many = Array.from({ length: 200 }, (_, i) => `${a}${i.toString(36)}`);
    for (const token of many) expect(cache.set(token, claims)).toBeUndefined();
    // A shared slot can push a mark out: most, not necessarily all, are stored now.
    const stored = many.filter((token) => cache.set(token, claims) !== undefined).length;
    expect(stored).toBeGreaterThan(150);
    expect(cache.size).toBe(stored);
  });
});

describe("the verifier's memory", () => {
  it("keeps no token it verified, through its cache or its header memo", async () => {
    // A header no other test uses, so that this token is the one its memo entry is made from.
    const verifier = createJwtVerifier({ ...jwtOptions, typ: false });
    let wire: Buffer;
    await (async () => {
      const token = fresh(await sign({}, { typ: "heap-check+jwt" }));
      wire = Buffer.from(token, "latin1");
      expect((await verifier.verify(token)).ok).toBe(true);
      expect(await verifier.verify(fresh(token))).toMatchObject({ ok: true, cached: false });
      expect(await verifier.verify(fresh(token))).toMatchObject({ ok: true, cached: true });
    })();
    // V8 keeps the subject of the last successful RegExp match (RegExp.input) until the next
    // one: one string, whoever matched it. Moved on, so that only what the verifier keeps counts.
    expect(/y/.test("y")).toBe(true);
    const snapshot = await heapSnapshot();
    const token = wire!.toString("latin1");
    expect(snapshot.includes(token.slice(0, token.lastIndexOf(".")))).toBe(true);
    expect(snapshot.includes(token)).toBe(false);
  }, 60_000);
});
