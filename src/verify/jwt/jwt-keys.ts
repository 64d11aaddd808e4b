/**
 * Turns the key material of the `jwt` option into verification keys, once, at construction:
 * HMAC secrets become secret KeyObjects, PEM/JWK/private keys become public KeyObjects, a
 * remote JWKS URL becomes jose's cached resolver. Every refusal is a `TypeError` naming the
 * option, so that a weak or mismatched key stops the server at start, not at first request.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  KeyObject,
  type JsonWebKey,
} from "node:crypto";
import { createRemoteJWKSet, type JWK, type JWTVerifyGetKey } from "jose";
import type { JwtOptions, KeyInput } from "../../options/jwt-options.js";
import { assertStrongSecret, secretBytes } from "./weak-secret.js";

/**
 * The smallest RSA modulus accepted, in bits: configured keys under it are refused at
 * start-up, and jose refuses RS* and PS* verification with one under it too.
 */
export const MIN_RSA_BITS = 2048;

export const HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"] as const;
export const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;
const KNOWN = new Set<string>([...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS]);
const EC_CURVE: Readonly<Record<string, string>> = {
  ES256: "prime256v1",
  ES384: "secp384r1",
  ES512: "secp521r1",
};

export interface VerificationKey {
  key: KeyObject;
  kid?: string;
  /** The JWK `alg`, when the key was declared for one algorithm only. */
  alg?: string;
}

export type KeySource =
  { kind: "static"; keys: VerificationKey[] } | { kind: "remote"; getKey: JWTVerifyGetKey };

/** Whether `key` may verify a token signed with `alg`. */
export function keyFitsAlgorithm(key: KeyObject, alg: string): boolean {
  if (alg.startsWith("HS")) return key.type === "secret";
  if (key.type !== "public") return false;
  const type = key.asymmetricKeyType;
  if (alg.startsWith("RS")) return type === "rsa";
  if (alg.startsWith("PS")) return type === "rsa" || type === "rsa-pss";
  if (alg.startsWith("ES")) {
    return type === "ec" && key.asymmetricKeyDetails?.namedCurve === EC_CURVE[alg];
  }
  return (alg === "EdDSA" || alg === "Ed25519") && type === "ed25519";
}

/** Checks the allow-list itself and answers whether it is the HMAC family. */
export function checkAlgorithms(algorithms: unknown): { hmac: boolean; list: string[] } {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('gatehouse: jwt.algorithms is required, e.g. ["HS256"] or ["ES256"]');
  }
  for (const alg of algorithms as unknown[]) {
    if (typeof alg === "string" && alg.toLowerCase() === "none") {
      throw new TypeError('gatehouse: jwt.algorithms must never contain "none"');
    }
    if (typeof alg !== "string" || !KNOWN.has(alg)) {
      throw new TypeError(`gatehouse: jwt.algorithms has an unsupported algorithm: ${String(alg)}`);
    }
  }
  const list = algorithms as string[];
  const hmac = list.filter((alg) => alg.startsWith("HS")).length;
  if (hmac !== 0 && hmac !== list.length) {
    throw new TypeError(
      "gatehouse: jwt.algorithms mixes HMAC (HS*) and asymmetric algorithms; a server that accepts both can be fooled into checking an HMAC with a public key",
    );
  }
  return { hmac: hmac !== 0, list };
}

function assertStrongPublicKey(key: KeyObject, where: string, algorithms: readonly string[]): void {
  if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") {
    const details = key.asymmetricKeyDetails;
    if ((details?.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw new TypeError(`gatehouse: ${where} is an RSA key under ${MIN_RSA_BITS} bits`);
    }
    const exponent = details?.publicExponent ?? 0n;
    if (exponent < 3n || exponent % 2n === 0n) {
      throw new TypeError(`gatehouse: ${where} is an RSA key with an unsafe public exponent`);
    }
  }
  if (!algorithms.some((alg) => keyFitsAlgorithm(key, alg))) {
    throw new TypeError(
      `gatehouse: ${where} (${key.asymmetricKeyType ?? key.type}) cannot verify any of jwt.algorithms (${algorithms.join(", ")})`,
    );
  }
}

function checkJwkUse(jwk: JWK, where: string): void {
  if (jwk.kty === "oct") {
    throw new TypeError(
      `gatehouse: ${where} is a symmetric (oct) key; pass HMAC keys as jwt.secret`,
    );
  }
  if (jwk.use !== undefined && jwk.use !== "sig") {
    throw new TypeError(`gatehouse: ${where} has use "${jwk.use}", not "sig"`);
  }
  if (
    jwk.key_ops !== undefined &&
    !jwk.key_ops.includes("verify") &&
    !jwk.key_ops.includes("sign")
  ) {
    throw new TypeError(`gatehouse: ${where} has key_ops that allow no signature verification`);
  }
}

/** A public key from any accepted input; private inputs give their public half. */
export function toPublicKey(
  input: KeyInput,
  where: string,
): { key: KeyObject; kid?: string; alg?: string } {
  try {
    if (typeof input === "string") return { key: createPublicKey(input) };
    if (input instanceof KeyObject) {
      const object = input;
      if (object.type === "secret") {
        throw new TypeError(`gatehouse: ${where} is a secret key; pass HMAC keys as jwt.secret`);
      }
      return { key: object.type === "private" ? createPublicKey(object) : object };
    }
    const jwk = input;
    checkJwkUse(jwk, where);
    const key = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
    return { key, kid: jwk.kid, alg: jwk.alg };
  } catch (cause) {
    if (cause instanceof TypeError && cause.message.startsWith("gatehouse:")) throw cause;
    throw new TypeError(`gatehouse: ${where} is not a usable public key`, { cause });
  }
}

function privateToPublic(input: KeyInput): { key: KeyObject; kid?: string } {
  if (typeof input === "string") {
    try {
      return { key: createPublicKey(createPrivateKey(input)) };
    } catch (cause) {
      throw new TypeError("gatehouse: jwt.privateKey is not a usable private key", { cause });
    }
  }
  return toPublicKey(input, "jwt.privateKey");
}

/** Builds the verification keys; throws a `TypeError` for any weak or mismatched key. */
export function resolveKeys(options: JwtOptions, algorithms: string[], hmac: boolean): KeySource {
  const asymmetricGiven =
    options.privateKey !== undefined ||
    options.publicKey !== undefined ||
    options.jwks !== undefined;
  if (hmac) {
    if (asymmetricGiven) {
      throw new TypeError(
        "gatehouse: jwt.algorithms is HMAC (HS*) but an asymmetric key (privateKey/publicKey/jwks) was given",
      );
    }
    if (options.secret === undefined) {
      throw new TypeError("gatehouse: jwt.secret is required for HS* algorithms");
    }
    const secrets = Array.isArray(options.secret) ? options.secret : [options.secret];
    if (secrets.length === 0) throw new TypeError("gatehouse: jwt.secret is an empty list");
    return {
      kind: "static",
      keys: secrets.map((secret, index) => {
        const bytes = secretBytes(secret);
        assertStrongSecret(bytes, algorithms, index);
        return { key: createSecretKey(Buffer.from(bytes)) };
      }),
    };
  }

  if (options.secret !== undefined) {
    throw new TypeError(
      `gatehouse: jwt.secret (symmetric) cannot be used with ${algorithms.join(", ")}; give publicKey, privateKey or jwks`,
    );
  }
  if (typeof options.jwks === "string" || options.jwks instanceof URL) {
    if (options.publicKey !== undefined || options.privateKey !== undefined) {
      // The remote set is authoritative; mixing makes rotation reasoning ambiguous.
      throw new TypeError(
        "gatehouse: jwt.jwks as a URL cannot be combined with publicKey/privateKey",
      );
    }
    const url = new URL(options.jwks);
    if (url.protocol !== "https:" && url.hostname !== "localhost" && url.hostname !== "127.0.0.1") {
      throw new TypeError(
        "gatehouse: jwt.jwks URL must use https (http is allowed for localhost only)",
      );
    }
    return {
      kind: "remote",
      getKey: createRemoteJWKSet(url, { cooldownDuration: 30_000, timeoutDuration: 5_000 }),
    };
  }

  const keys: VerificationKey[] = [];
  const add = (entry: { key: KeyObject; kid?: string; alg?: string }, where: string): void => {
    assertStrongPublicKey(entry.key, where, algorithms);
    keys.push(entry);
  };
  if (options.privateKey !== undefined) {
    const derived = privateToPublic(options.privateKey);
    add({ ...derived, kid: options.kid ?? derived.kid }, "jwt.privateKey");
  }
  const publicKeys = options.publicKey === undefined ? [] : [options.publicKey].flat();
  publicKeys.forEach((input, i) =>
    add(toPublicKey(input, `jwt.publicKey[${i}]`), `jwt.publicKey[${i}]`),
  );
  if (options.jwks !== undefined) {
    if (!Array.isArray(options.jwks.keys))
      throw new TypeError("gatehouse: jwt.jwks has no keys array");
    options.jwks.keys.forEach((jwk, i) =>
      add(toPublicKey(jwk, `jwt.jwks.keys[${i}]`), `jwt.jwks.keys[${i}]`),
    );
  }
  if (keys.length === 0) {
    throw new TypeError(
      `gatehouse: ${algorithms.join(", ")} needs jwt.publicKey, jwt.privateKey or jwt.jwks`,
    );
  }
  return { kind: "static", keys };
}
