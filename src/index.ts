export { AuthError, statusOf, withResourceMetadata } from "./errors.js";
export type { AuthErrorCode, AuthErrorOptions, ProblemBody } from "./errors.js";
export { memoryKeyStore } from "./stores/memory.js";
export type { MemoryKeyStore } from "./stores/memory.js";
export type * from "./types.js";
export { createApiKeys } from "./verify/api-key/api-keys.js";
export type {
  AdminKeyManager,
  AdminKeyUpdate,
  ApiKeyOptions,
  ApiKeys,
  CreateKeyInput,
  CreatedKey,
  CreditsInput,
  KeyManager,
  KeyStatus,
  KeyToPrincipal,
  KeyUpdate,
  ManagedKey,
  RotateOptions,
} from "./verify/api-key/api-keys.js";
export {
  DEFAULT_KEY_PREFIX,
  formatApiKey,
  generateApiKey,
  hashedSecret,
  parseApiKey,
  parseColonKey,
} from "./verify/api-key/key-format.js";
export type { ParsedApiKey } from "./verify/api-key/key-format.js";
export { memoryRateLimiter } from "./verify/api-key/rate-limiter.js";
export type {
  MemoryRateLimiter,
  MemoryRateLimiterOptions,
  RateLimitDecision,
  RateLimiter,
} from "./verify/api-key/rate-limiter.js";
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
export type { HashSubject } from "./verify/api-key/hash-gate.js";
export { hmacSha256Hasher } from "./crypto/hmac-hasher.js";
export type { HmacHasherOptions } from "./crypto/hmac-hasher.js";
export { createAuth } from "./create-auth.js";
export type {
  Auth,
  AuthConfig,
  AuthJwtOption,
  AuthJwtOptions,
  AuthOptions,
  AuthTokens,
  IssuerView,
  ProtectedResourceOptions,
  ResolvedProtectedResource,
} from "./options/auth-options.js";
export {
  authorizationServerDocument,
  createWellKnownRoutes,
  protectedResourceDocument,
  protectedResourceMetadataUrl,
} from "./http/well-known.js";
export type { WellKnownAuth, WellKnownOptions } from "./http/well-known.js";
export type { CookieOptions, CsrfOptions, JwtOptions, KeyInput } from "./options/jwt-options.js";
export type { PrincipalContext, ToPrincipal } from "./principal/from-claims.js";
export type { ResolvedCsrf } from "./pick/csrf.js";
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
