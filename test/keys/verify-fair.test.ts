/**
 * argon2 capacity cannot be held by one client: the verifier's gate shares its queue by
 * address and key id, and a refusal by the full queue spends the refused id's budget.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AuthResult } from "../../src/types.js";
import { heldHasher, verifierSetup, wrongSecret } from "./throttle-fixture.js";
import type { VerifierSetup } from "./throttle-fixture.js";

const codeOf = (result: AuthResult): string => (result.ok ? "ok" : result.error.code);

let current: VerifierSetup[] = [];
function make(...args: Parameters<typeof verifierSetup>): VerifierSetup {
  const made = verifierSetup(...args);
  current.push(made);
  return made;
}
afterEach(async () => {
  await Promise.all(current.map((s) => s.close()));
  current = [];
});

const ATTACKER = "198.51.100.66";

describe("fair argon2 capacity for key verification", () => {
  it("a wrong-secret flood for 100 ids of one owner leaves others' first verifications admitted", async () => {
    const hasher = heldHasher();
    const { verify, create } = make({ hashConcurrency: { max: 2, queue: 16 }, hasher });
    const own = await Promise.all(Array.from({ length: 100 }, () => create("mallory")));
    const others = await Promise.all(["alice", "bob", "carol", "dave"].map((o) => create(o)));

    const flood = own.flatMap(({ key }) =>
      Array.from({ length: 10 }, (_, n) => verify(wrongSecret(key, n), ATTACKER)),
    );
    // Never cached before, so each needs a hash; the attacker holds every slot and more.
    const firsts = others.map(({ key }, i) => verify(key, `203.0.113.${i + 1}`));
    hasher.open();

    expect((await Promise.all(firsts)).map(codeOf)).toEqual(["ok", "ok", "ok", "ok"]);
    const outcomes = new Set((await Promise.all(flood)).map(codeOf));
    expect(outcomes).toEqual(new Set(["invalid_api_key", "unavailable"]));
  });

  it("the same holds for another id behind the attacker's own address", async () => {
    const hasher = heldHasher();
    const { verify, create } = make({ hashConcurrency: { max: 1, queue: 8 }, hasher });
    const own = await create("mallory");
    const neighbour = await create("alice");
    const flood = Array.from({ length: 50 }, (_, n) => verify(wrongSecret(own.key, n), ATTACKER));
    const first = verify(neighbour.key, ATTACKER);
    hasher.open();
    expect(codeOf(await first)).toBe("ok");
    expect((await Promise.all(flood)).map(codeOf)).toContain("unavailable");
  });

  it("a refusal by the full queue counts against the refused id, from that address only", async () => {
    const hasher = heldHasher();
    const { verify, create } = make({
      hashConcurrency: { max: 1, queue: 0 },
      failureThrottle: { max: 3, window: 60_000 },
      hasher,
    });
    const busy = await create("alice");
    const target = await create("mallory");
    const holding = verify(busy.key, "203.0.113.1");
    for (let n = 0; n < 3; n++) {
      expect(codeOf(await verify(wrongSecret(target.key, n), ATTACKER))).toBe("unavailable");
    }
    const verifiesBefore = hasher.verifies;
    // The budget is spent: refused before the store and the gate, as any throttled id.
    const blocked = await verify(wrongSecret(target.key, 9), ATTACKER);
    expect(codeOf(blocked)).toBe("rate_limited");
    expect(!blocked.ok && blocked.error.retryAfter).toBeGreaterThan(1);
    hasher.open();
    expect(codeOf(await holding)).toBe("ok");
    // Another address still gets through for the same id.
    expect(codeOf(await verify(target.key, "203.0.113.2"))).toBe("ok");
    expect(hasher.verifies - verifiesBefore).toBe(1);
  });

  it("without an address, the refusals count against the id for unknown callers", async () => {
    const hasher = heldHasher();
    const { verify, create } = make({
      hashConcurrency: { max: 1, queue: 0 },
      failureThrottle: { max: 2, window: 60_000 },
      hasher,
    });
    const busy = await create("alice");
    const target = await create("bob");
    const holding = verify(busy.key);
    for (let n = 0; n < 2; n++) {
      expect(codeOf(await verify(wrongSecret(target.key, n)))).toBe("unavailable");
    }
    expect(codeOf(await verify(target.key))).toBe("rate_limited");
    hasher.open();
    await holding;
    expect(codeOf(await verify(target.key, "203.0.113.9"))).toBe("ok");
  });
});
