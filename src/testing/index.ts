/**
 * `gatehouse/testing`: the suite a key store must pass, and the helpers it is built from.
 * Needs vitest (an optional peer dependency) in the project that imports it. Load it with
 * `import`, from a vitest test file: vitest refuses to be `require()`d, so the CommonJS
 * build of this entry exists for tooling only.
 */
export { keyStoreConformance } from "./key-store-conformance.js";
export type { KeyStoreConformanceOptions } from "./key-store-conformance.js";
export { RECORD_FIELDS, randomId, sampleKeyRecord, waitUntil } from "./fixtures.js";
