export { AuthError, statusOf } from "./errors.js";
export type { AuthErrorCode, AuthErrorOptions, ProblemBody } from "./errors.js";
export { memoryKeyStore } from "./stores/memory.js";
export type { MemoryKeyStore } from "./stores/memory.js";
export type * from "./types.js";
