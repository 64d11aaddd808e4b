/**
 * GATEHOUSE_HMAC_PEPPER: keys the CLI issues for a deployment that hashes with
 * `hmacSha256Hasher` must verify there, and only there.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hmacSha256Hasher } from "../../src/crypto/hmac-hasher.js";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import type { SecretHasher } from "../../src/types.js";
import { ensureBuild } from "../e2e/ensure-build.js";
import { authenticates, gatehouse, isOneLine } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-hmac-"));
const path = join(dir, "keys.db");
const pepper = "a pepper of at least thirty-two bytes, for tests";

beforeAll(ensureBuild, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verifies(key: string, hasher?: SecretHasher): Promise<boolean> {
  return authenticates(sqliteKeyStore({ path }), key, hasher);
}

describe("gatehouse keys with GATEHOUSE_HMAC_PEPPER", () => {
  it("issues keys that an HMAC deployment with the same pepper verifies", async () => {
    const created = await gatehouse(["keys", "create", "--owner", "svc", "--name", "hmac"], {
      env: { GATEHOUSE_STORE: `sqlite:${path}`, GATEHOUSE_HMAC_PEPPER: pepper },
    });
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(await verifies(key, hmacSha256Hasher({ pepper }))).toBe(true);
    expect(await verifies(key, hmacSha256Hasher({ pepper: `${pepper}, but another` }))).toBe(false);
    expect(await verifies(key)).toBe(false);
  });

  it("refuses a short pepper as a usage error, without echoing it", async () => {
    const result = await gatehouse(["keys", "create", "--owner", "svc", "--name", "x"], {
      env: {
        GATEHOUSE_STORE: `sqlite:${join(dir, "never.db")}`,
        GATEHOUSE_HMAC_PEPPER: "short-secret",
      },
    });
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(/at least 32 bytes/);
    expect(result.stderr).not.toContain("short-secret");
  });
});
