import { describe, expect, it } from "vitest";
import {
  argon2Hasher,
  argon2NeedsRehash,
  hashPassword,
  hashSecret,
  OWASP_ARGON2ID,
  verifyPassword,
  verifySecret,
} from "../../src/crypto/argon2.js";
import { hmacSha256Hasher } from "../../src/crypto/hmac-hasher.js";

const PEPPER = "p".repeat(32);

describe("argon2id", () => {
  it("hashes with OWASP parameters by default and verifies", async () => {
    const hash = await hashSecret("s3cret");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifySecret(hash, "s3cret")).toBe(true);
    expect(await verifySecret(hash, "s3creT")).toBe(false);
    expect(argon2NeedsRehash(hash)).toBe(false);
    expect(OWASP_ARGON2ID).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it("salts: one secret hashes differently twice", async () => {
    const params = { memoryCost: 256, timeCost: 1 };
    expect(await hashSecret("x", params)).not.toBe(await hashSecret("x", params));
  });

  it("hashes passwords the same way", async () => {
    const hash = await hashPassword("correct horse", { memoryCost: 256, timeCost: 1 });
    expect(await verifyPassword(hash, "correct horse")).toBe(true);
    expect(await verifyPassword(hash, "wrong horse")).toBe(false);
  });

  it("reports hashes made with other parameters as needing a rehash", async () => {
    const cheap = argon2Hasher({ memoryCost: 256, timeCost: 1 });
    const stronger = argon2Hasher({ memoryCost: 512, timeCost: 1 });
    const hash = await cheap.hash("x");
    expect(cheap.needsRehash?.(hash)).toBe(false);
    expect(stronger.needsRehash?.(hash)).toBe(true);
    expect(stronger.needsRehash?.("not a hash")).toBe(true);
    expect(await stronger.verify(hash, "x")).toBe(true);
  });

  it("refuses nonsense parameters with a TypeError naming them", () => {
    expect(() => argon2Hasher({ timeCost: 0 })).toThrow(/timeCost/);
    expect(() => argon2Hasher({ memoryCost: 1.5 })).toThrow(/memoryCost/);
  });
});

describe("hmacSha256Hasher", () => {
  it("verifies the right secret only", async () => {
    const hasher = hmacSha256Hasher({ pepper: PEPPER });
    const hash = await hasher.hash("secret");
    expect(hash).toMatch(/^hmac-sha256\$1\$[A-Za-z0-9_-]{43}$/);
    expect(await hasher.verify(hash, "secret")).toBe(true);
    expect(await hasher.verify(hash, "secreT")).toBe(false);
    expect(await hasher.verify("garbage", "secret")).toBe(false);
    expect(await hasher.verify(hash.slice(0, -2), "secret")).toBe(false);
  });

  it("is useless without the pepper", async () => {
    const hash = await hmacSha256Hasher({ pepper: PEPPER }).hash("secret");
    const other = hmacSha256Hasher({ pepper: "q".repeat(32) });
    expect(await other.verify(hash, "secret")).toBe(false);
  });

  it("accepts previous peppers and marks their hashes for a rehash", async () => {
    const old = await hmacSha256Hasher({ pepper: PEPPER, pepperId: "a" }).hash("secret");
    const rotated = hmacSha256Hasher({
      pepper: "q".repeat(32),
      pepperId: "b",
      previousPeppers: { a: PEPPER },
    });
    expect(await rotated.verify(old, "secret")).toBe(true);
    expect(rotated.needsRehash?.(old)).toBe(true);
    expect(rotated.needsRehash?.(await rotated.hash("secret"))).toBe(false);
  });

  it("refuses a short pepper or a bad pepper id", () => {
    expect(() => hmacSha256Hasher({ pepper: "short" })).toThrow(/32 bytes/);
    expect(() => hmacSha256Hasher({ pepper: PEPPER, pepperId: "a$b" })).toThrow(/pepperId/);
  });
});
