/**
 * Picks what signs access tokens from the `jwt` option: the private key with an asymmetric
 * algorithm, or the first HMAC secret. Keys are parsed here with node:crypto once, at
 * construction, so a bad key is a `TypeError` at startup rather than a 500 on first login.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import type { JwtOptions, KeyInput } from "../options/jwt-options.js";

export interface SigningKey {
  alg: string;
  /** What jose's `sign` receives: a KeyObject or the HMAC bytes. */
  key: KeyObject | Uint8Array;
  /** The `kid` given in the options; absent means "derive the RFC 7638 thumbprint". */
  kid?: string;
  /** The public half, for the JWKS; absent for HMAC. */
  publicKey?: KeyObject;
}

const HMAC = /^HS(256|384|512)$/;
const MIN_SECRET_BYTES = 32;

/** The algorithms a key of this type can sign with, as jose names them. */
export function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === "prime256v1" || curve === "P-256") return ["ES256"];
      if (curve === "secp384r1" || curve === "P-384") return ["ES384"];
      if (curve === "secp521r1" || curve === "P-521") return ["ES512"];
      return [];
    }
    case "ed25519":
      return ["EdDSA", "Ed25519"];
    case "rsa":
      return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    case "rsa-pss":
      return ["PS256", "PS384", "PS512"];
    default:
      return [];
  }
}

export function isKeyObject(value: unknown): value is KeyObject {
  return typeof value === "object" && value !== null && "asymmetricKeyType" in value;
}

function toPrivateKey(input: KeyInput): KeyObject {
  if (isKeyObject(input)) {
    if (input.type !== "private") {
      throw new TypeError("gatehouse: jwt.privateKey is a public or secret KeyObject");
    }
    return input;
  }
  try {
    return typeof input === "string"
      ? createPrivateKey(input)
      : createPrivateKey({ key: input as JsonWebKey, format: "jwk" });
  } catch (cause) {
    throw new TypeError("gatehouse: jwt.privateKey is not a private key (PEM or JWK)", { cause });
  }
}

/** Parses a public key input; a private key is reduced to its public half. */
export function toPublicKey(input: KeyInput, option: string): KeyObject {
  try {
    if (isKeyObject(input)) return input.type === "public" ? input : createPublicKey(input);
    return typeof input === "string"
      ? createPublicKey(input)
      : createPublicKey({ key: input as JsonWebKey, format: "jwk" });
  } catch (cause) {
    throw new TypeError(`gatehouse: ${option} is not a usable public key`, { cause });
  }
}

function toBytes(secret: string | Uint8Array): Uint8Array {
  return typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
}

/** Resolves the signing key and algorithm, or throws a `TypeError` naming the option. */
export function resolveSigningKey(jwt: JwtOptions): SigningKey {
  const algorithms = jwt.algorithms ?? [];
  if (jwt.privateKey !== undefined) {
    const key = toPrivateKey(jwt.privateKey);
    const fits = algorithmsFor(key);
    const alg = algorithms.find((a) => fits.includes(a));
    if (alg === undefined) {
      throw new TypeError(
        `gatehouse: jwt.algorithms has no algorithm for this jwt.privateKey (it can sign ${fits.join(", ") || "nothing we support"})`,
      );
    }
    const jwkKid =
      typeof jwt.privateKey === "object" && !isKeyObject(jwt.privateKey)
        ? jwt.privateKey.kid
        : undefined;
    const kid = jwt.kid ?? jwkKid;
    return { alg, key, publicKey: createPublicKey(key), ...(kid === undefined ? {} : { kid }) };
  }
  if (jwt.secret !== undefined) {
    const alg = algorithms.find((a) => HMAC.test(a));
    if (alg === undefined) {
      throw new TypeError("gatehouse: jwt.secret needs an HS* algorithm in jwt.algorithms");
    }
    const first = Array.isArray(jwt.secret) ? jwt.secret[0] : jwt.secret;
    if (first === undefined) throw new TypeError("gatehouse: jwt.secret is an empty array");
    const key = toBytes(first);
    // A short HMAC secret can be brute-forced offline from any one token.
    if (key.byteLength < MIN_SECRET_BYTES) {
      throw new TypeError(`gatehouse: jwt.secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    return { alg, key, ...(jwt.kid === undefined ? {} : { kid: jwt.kid }) };
  }
  throw new TypeError("gatehouse: issuing tokens needs jwt.secret or jwt.privateKey");
}
