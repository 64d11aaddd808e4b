/**
 * The signature step of JWT verification, and only that: given the algorithm the header
 * names (already allow-listed), one candidate key and the signed bytes, answer whether the
 * signature is valid. Every header and claim rule lives in jwt-verifier.ts, before and after
 * this step, whichever step runs.
 *
 * {@link nodeSignatureStep} checks with `node:crypto` directly, synchronously: jose's
 * WebCrypto path costs an async round trip and a key re-check per token, several times the
 * signature itself for HMAC. It handles the key and algorithm pairs it can check completely
 * (HMAC secrets; RSA PKCS#1 v1.5 and PSS with plain RSA keys of 2048 bits or more; ECDSA on
 * the curve the algorithm names; Ed25519), as KeyObjects or as the CryptoKeys a JWKS
 * resolves to, and hands anything else to {@link joseSignatureStep}, so a pair it does not
 * know gets jose's own verdict and jose's own error.
 *
 * Ed448 is not here because jose refuses it for JWS (its `EdDSA` means Ed25519 only), and a
 * faster path must never accept what the slower one refuses.
 */
import {
  constants,
  createHmac,
  KeyObject,
  verify as cryptoVerify,
  type webcrypto,
} from "node:crypto";
import { compactVerify, errors } from "jose";
import { sameString } from "../../crypto/same-string.js";
import { keyFitsAlgorithm, MIN_RSA_BITS } from "./jwt-keys.js";

/** What a key resolver may hand the signature step (jose's key forms). */
export type VerifyKey = KeyObject | webcrypto.CryptoKey | Uint8Array | object;

/** The parts of a compact JWS the signature covers, decoded once by the verifier. */
export interface SignedParts {
  /** The whole compact token (jose's fallback re-reads it). */
  readonly token: string;
  /** `header.payload`: the ASCII bytes the signature covers, as a string. */
  readonly signingInput: string;
  /**
   * The signature segment as the token spells it, base64url: canonical, since the shape
   * check refuses any other spelling, so its bytes have this one string.
   */
  readonly signature: string;
}

/**
 * Answers whether `parts.signature` is `alg`'s signature over `parts.signingInput` under
 * `key`. `false` means "not this key" (the verifier may try the next one); a throw means the
 * key cannot be used for the algorithm at all, in jose's terms (a jose error or TypeError).
 */
export type SignatureStep = (
  alg: string,
  key: VerifyKey,
  parts: SignedParts,
) => boolean | Promise<boolean>;

type Family = "hmac" | "rsa" | "pss" | "ecdsa" | "eddsa";
interface Scheme {
  family: Family;
  /** The digest `node:crypto` names, `null` where the algorithm has its own (Ed25519). */
  hash: string | null;
  /** The WebCrypto algorithm name jose requires of a CryptoKey. */
  webName: string;
  /** ECDSA: the IEEE P1363 signature length (r‖s), which is all WebCrypto accepts. */
  signatureLength?: number;
  /** ECDSA: the WebCrypto curve name. */
  curve?: string;
}

const hmac = (bits: number): Scheme => ({ family: "hmac", hash: `sha${bits}`, webName: "HMAC" });
const rsa = (bits: number): Scheme => ({
  family: "rsa",
  hash: `sha${bits}`,
  webName: "RSASSA-PKCS1-v1_5",
});
const pss = (bits: number): Scheme => ({ family: "pss", hash: `sha${bits}`, webName: "RSA-PSS" });
const ecdsa = (bits: number, curve: string, size: number): Scheme => ({
  family: "ecdsa",
  hash: `sha${bits}`,
  webName: "ECDSA",
  signatureLength: 2 * size,
  curve,
});
const eddsa: Scheme = { family: "eddsa", hash: null, webName: "Ed25519" };

const SCHEMES: ReadonlyMap<string, Scheme> = new Map([
  ["HS256", hmac(256)],
  ["HS384", hmac(384)],
  ["HS512", hmac(512)],
  ["RS256", rsa(256)],
  ["RS384", rsa(384)],
  ["RS512", rsa(512)],
  ["PS256", pss(256)],
  ["PS384", pss(384)],
  ["PS512", pss(512)],
  ["ES256", ecdsa(256, "P-256", 32)],
  ["ES384", ecdsa(384, "P-384", 48)],
  ["ES512", ecdsa(512, "P-521", 66)],
  ["EdDSA", eddsa],
  ["Ed25519", eddsa],
]);

const isCryptoKey = (key: unknown): key is webcrypto.CryptoKey =>
  typeof key === "object" &&
  key !== null &&
  (key as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === "CryptoKey";

/**
 * Whether a CryptoKey passes the checks jose makes before using it for `alg`: the key type,
 * the algorithm name, hash and curve it was imported with, the `verify` usage, and the RSA
 * modulus length. A key that fails any of them goes to jose, which refuses it.
 */
function cryptoKeyFits(key: webcrypto.CryptoKey, scheme: Scheme): boolean {
  const algorithm = key.algorithm as {
    name?: unknown;
    hash?: { name?: unknown };
    namedCurve?: unknown;
    modulusLength?: unknown;
  };
  if (key.type !== (scheme.family === "hmac" ? "secret" : "public")) return false;
  if (algorithm.name !== scheme.webName || !key.usages.includes("verify")) return false;
  if (scheme.hash !== null && scheme.family !== "ecdsa") {
    if (algorithm.hash?.name !== `SHA-${scheme.hash.slice(3)}`) return false;
  }
  if (scheme.curve !== undefined && algorithm.namedCurve !== scheme.curve) return false;
  if (scheme.family === "rsa" || scheme.family === "pss") {
    const bits = algorithm.modulusLength;
    if (typeof bits !== "number" || bits < MIN_RSA_BITS) return false;
  }
  return true;
}

// One conversion per CryptoKey: a JWKS resolver hands back the same object for the same key.
const converted = new WeakMap<webcrypto.CryptoKey, KeyObject | null>();

function fromCryptoKey(key: webcrypto.CryptoKey): KeyObject | null {
  let object = converted.get(key);
  if (object === undefined) {
    try {
      object = KeyObject.from(key);
    } catch {
      object = null;
    }
    converted.set(key, object);
  }
  return object;
}

/**
 * The KeyObject this module can check `alg` with, or `null` when the pair is jose's to
 * judge: another key form (JWK, bytes), a key jose would refuse for the algorithm, or a pair
 * whose every parameter is not pinned down here (RSA-PSS keys carry their own restrictions).
 */
export function nodeKeyFor(alg: string, key: VerifyKey): KeyObject | null {
  const scheme = SCHEMES.get(alg);
  if (scheme === undefined) return null;
  let object: KeyObject | null;
  if (key instanceof KeyObject) object = key;
  else if (isCryptoKey(key) && cryptoKeyFits(key, scheme)) object = fromCryptoKey(key);
  else return null;
  if (object === null || !keyFitsAlgorithm(object, alg)) return null;
  if (object.asymmetricKeyType === "rsa-pss") return null;
  if (scheme.family === "rsa" || scheme.family === "pss") {
    if ((object.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return null;
  }
  // WebCrypto refuses to import an empty HMAC key; leave that refusal to jose.
  if (scheme.family === "hmac" && object.symmetricKeySize === 0) return null;
  return object;
}

/**
 * Verifies with `node:crypto`, for a key {@link nodeKeyFor} returned. Never throws: anything
 * OpenSSL refuses to check is an invalid signature, as WebCrypto's refusal is for jose.
 */
export function verifyWithNode(
  alg: string,
  key: KeyObject,
  signingInput: string,
  encodedSignature: string,
): boolean {
  const scheme = SCHEMES.get(alg);
  if (scheme === undefined) return false;
  try {
    if (scheme.family === "hmac") {
      // The expected MAC compared as base64url text: one canonical spelling per byte string,
      // so equal text is equal bytes, and no Buffer is made for either side. The compare's
      // time depends on the lengths only, and an HMAC's length is public.
      const expected = createHmac(scheme.hash!, key)
        .update(signingInput, "latin1")
        .digest("base64url");
      return sameString(expected, encodedSignature);
    }
    const signature = Buffer.from(encodedSignature, "base64url");
    switch (scheme.family) {
      case "ecdsa":
        // P1363 is fixed-length; DER or a truncated r‖s is not a JWS signature.
        if (signature.length !== scheme.signatureLength) return false;
        return cryptoVerify(
          scheme.hash,
          Buffer.from(signingInput, "latin1"),
          { key, dsaEncoding: "ieee-p1363" },
          signature,
        );
      case "rsa":
        return cryptoVerify(scheme.hash, Buffer.from(signingInput, "latin1"), key, signature);
      case "pss":
        return cryptoVerify(
          scheme.hash,
          Buffer.from(signingInput, "latin1"),
          {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            // RFC 7518 §3.5: the salt is as long as the hash, and only that length verifies.
            saltLength: Number(scheme.hash!.slice(3)) / 8,
          },
          signature,
        );
      case "eddsa":
        if (signature.length !== 64) return false;
        return cryptoVerify(null, Buffer.from(signingInput, "latin1"), key, signature);
    }
  } catch {
    return false;
  }
}

/**
 * jose's verdict on the signature alone: `compactVerify` with the one allowed algorithm,
 * which re-reads the header (already checked, so it agrees) and checks key and signature
 * through WebCrypto. Its claims-free answer leaves every claim rule to the verifier.
 */
export const joseSignatureStep: SignatureStep = async (alg, key, parts) => {
  try {
    await compactVerify(parts.token, key as Parameters<typeof compactVerify>[1], {
      algorithms: [alg],
    });
    return true;
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) return false;
    throw error;
  }
};

/** `node:crypto` where {@link nodeKeyFor} accepts the pair, jose otherwise. */
export const nodeSignatureStep: SignatureStep = (alg, key, parts) => {
  const object = nodeKeyFor(alg, key);
  if (object === null) return joseSignatureStep(alg, key, parts);
  return verifyWithNode(alg, object, parts.signingInput, parts.signature);
};
