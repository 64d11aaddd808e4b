/** Compile-time checks of the public API-key types; `tsc --noEmit` fails if they drift. */
import { describe, expectTypeOf, it } from "vitest";
import type {
  ApiKeys,
  CreatedKey,
  KeyManager,
  ManagedKey,
  PublicApiKeyRecord,
  SecretHasher,
} from "../../src/index.js";
import { argon2Hasher, hmacSha256Hasher, parseApiKey } from "../../src/index.js";

describe("public API-key types", () => {
  it("keeps the manager's shapes", () => {
    expectTypeOf<ManagedKey>().toExtend<PublicApiKeyRecord>();
    expectTypeOf<ManagedKey>().not.toHaveProperty("hash");
    expectTypeOf<KeyManager["get"]>().returns.resolves.toEqualTypeOf<ManagedKey | null>();
    expectTypeOf<KeyManager["admin"]["get"]>().parameters.toEqualTypeOf<[id: string]>();
    expectTypeOf<KeyManager["rotate"]>().returns.resolves.toEqualTypeOf<CreatedKey | null>();
    expectTypeOf<ApiKeys["verify"]>().returns.resolves.toHaveProperty("ok");
    expectTypeOf(argon2Hasher()).toEqualTypeOf<SecretHasher>();
    expectTypeOf(hmacSha256Hasher).returns.toEqualTypeOf<SecretHasher>();
    expectTypeOf(parseApiKey).returns.toExtend<{ id: string; secret: string } | null>();
  });
});
