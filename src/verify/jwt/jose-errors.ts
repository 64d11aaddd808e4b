/**
 * Maps what jose throws to gatehouse codes. Each failure keeps its own `detail` so that logs
 * and clients can tell an expired token from a wrong audience, and none of them repeats the
 * token. Anything unrecognised is `unavailable`: a bug or an outage must never read as a
 * verdict on the caller's credential.
 */
import { errors } from "jose";
import { AuthError } from "../../errors.js";

/** Thrown by the remote JWKS resolver wrapper when the key set cannot be fetched. */
export class KeySetUnavailable extends Error {
  override readonly name = "KeySetUnavailable";
}

function claimDetail(claim: string, reason: string): string {
  if (reason === "missing") return `The token lacks the required "${claim}" claim.`;
  switch (claim) {
    case "nbf":
      return "The token is not yet valid (nbf).";
    case "iss":
      return "The token issuer is not accepted.";
    case "aud":
      return "The token audience is not accepted.";
    case "typ":
      return "The token type (typ) is not accepted.";
    default:
      return `The token claim "${claim}" is invalid.`;
  }
}

export function fromJoseError(error: unknown): AuthError {
  if (error instanceof KeySetUnavailable) {
    return new AuthError("unavailable", { detail: "The JWKS could not be fetched.", cause: error });
  }
  if (error instanceof errors.JWTExpired) {
    const detail =
      error.claim === "iat"
        ? "The token is older than the accepted maximum age."
        : "The token has expired.";
    return new AuthError("token_expired", { detail, cause: error });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthError("invalid_token", {
      detail: claimDetail(error.claim, error.reason),
      cause: error,
    });
  }
  const invalid = (detail: string): AuthError =>
    new AuthError("invalid_token", { detail, cause: error });
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalid("The token signature is invalid.");
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return invalid("The token algorithm is not allowed.");
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return invalid("The token is malformed.");
  }
  if (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return invalid("No verification key matches the token.");
  }
  if (error instanceof errors.JOSENotSupported)
    return invalid("The token uses an unsupported feature.");
  // jose raises TypeError when a resolved key does not fit the algorithm (e.g. a short RSA key
  // in a remote JWKS): the token cannot be verified with what the issuer published.
  if (error instanceof TypeError) return invalid("The verification key cannot verify this token.");
  return new AuthError("unavailable", {
    detail: "Token verification failed unexpectedly.",
    cause: error,
  });
}
