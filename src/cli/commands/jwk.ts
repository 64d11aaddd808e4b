/**
 * `gatehouse jwk`: a signing key pair for asymmetric access tokens. The private JWK goes to
 * `jwt.privateKey`; the public JWKS goes to verifiers. Both carry the same `kid`, so that a
 * verifier holding several keys during rotation picks the right one.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { COMMON_FLAGS, expectPositionals, parseFlags, required } from "../args.js";
import { usageError } from "../errors.js";
import { JWK_HELP } from "../help.js";
import { toJson } from "../io.js";
import type { CliIo } from "../io.js";

const ALGORITHMS = ["ES256", "EdDSA", "RS256"] as const;
type Algorithm = (typeof ALGORITHMS)[number];

function isAlgorithm(value: string): value is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(value);
}

export async function jwkCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(args, {
    ...COMMON_FLAGS,
    alg: { type: "string" },
    kid: { type: "string" },
  });
  if (values.help) {
    io.out(JWK_HELP);
    return;
  }
  expectPositionals(positionals, []);
  const alg = required(values.alg, "alg");
  if (!isAlgorithm(alg)) throw usageError(`--alg must be one of ${ALGORITHMS.join(", ")}`);

  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
    ...(alg === "RS256" ? { modulusLength: 2048 } : {}),
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = values.kid ?? (await calculateJwkThumbprint(publicJwk));
  const meta = { kid, alg, use: "sig" };
  const privateJwk = { ...(await exportJWK(privateKey)), ...meta };
  const jwks = { keys: [{ ...publicJwk, ...meta }] };

  if (values.json) {
    io.out(toJson({ privateJwk, jwks }));
    return;
  }
  io.out(`# Private JWK (jwt.privateKey): keep it secret\n${JSON.stringify(privateJwk)}\n`);
  io.out(
    `# Public JWKS (jwt.jwks, or serve it at /.well-known/jwks.json)\n${JSON.stringify(jwks)}`,
  );
}
