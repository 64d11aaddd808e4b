export { AuthError, statusOf } from "./errors.js";
export type { AuthErrorCode, AuthErrorOptions, ProblemBody } from "./errors.js";
export { memoryKeyStore } from "./stores/memory.js";
export type { MemoryKeyStore } from "./stores/memory.js";
export type * from "./types.js";
export { createApiKeys } from "./keys/api-keys.js";
export type {
  AdminKeyManager,
  AdminKeyUpdate,
  ApiKeyOptions,
  ApiKeys,
  CreateKeyInput,
  CreatedKey,
  KeyManager,
  KeyStatus,
  KeyUpdate,
  ManagedKey,
  RotateOptions,
} from "./keys/api-keys.js";
export { formatApiKey, generateApiKey, parseApiKey, parseColonKey } from "./keys/key-format.js";
export type { ParsedApiKey } from "./keys/key-format.js";
export { memoryRateLimiter } from "./keys/rate-limiter.js";
export type {
  MemoryRateLimiter,
  MemoryRateLimiterOptions,
  RateLimitDecision,
  RateLimiter,
} from "./keys/rate-limiter.js";
export {
  argon2Hasher,
  configureArgon2Gate,
  hashPassword,
  hashSecret,
  OWASP_ARGON2ID,
  verifyPassword,
  verifySecret,
} from "./crypto/argon2.js";
export type { Argon2GateOptions, Argon2Params } from "./crypto/argon2.js";
export type { HashSubject } from "./keys/hash-gate.js";
export { hmacSha256Hasher } from "./crypto/hmac-hasher.js";
export type { HmacHasherOptions } from "./crypto/hmac-hasher.js";
export { createAuth } from "./create-auth.js";
export type { Auth, AuthConfig, AuthJwtOptions, AuthOptions, AuthTokens } from "./auth-options.js";
export type { CookieOptions, CsrfOptions, JwtOptions, KeyInput } from "./jwt/jwt-options.js";
export type { PrincipalContext, ToPrincipal } from "./principal.js";
export type { ResolvedCsrf } from "./csrf.js";
export { createTokenEndpoint } from "./tokens/token-endpoint.js";
export type {
  TokenEndpoint,
  TokenRouteOptions,
  TokenRouteRequest,
} from "./tokens/token-endpoint.js";
export type { TokenEndpointAuth, VerifiedUser, VerifyUser } from "./tokens/grants.js";
export { memoryAttemptLimiter } from "./tokens/attempt-limiter.js";
export type { AttemptLimiter, MemoryAttemptLimiterOptions } from "./tokens/attempt-limiter.js";
export type { IssueInput, IssuedToken, TokenIssuer } from "./tokens/token-service.js";
export type { PublicJwk } from "./tokens/public-jwks.js";
