/**
 * The credit bodies of the key routes under any input: the admin PATCH's `credits` and the
 * top-up's `amount` either pass the key manager's own rules or come back as field problems;
 * nothing throws, and nothing outside those rules gets through.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkTopUpBody, checkUpdateBody } from "../../src/http/key-validation.js";
import { checkCredits } from "../../src/manage/key-input.js";

const NOW = new Date(Date.UTC(2026, 5, 1));

/** Values near every edge of the rules, mixed with anything JSON can hold. */
const edgy = fc.oneof(
  fc.constantFrom(0, 1, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, NaN),
  fc.constantFrom("1", "007", "", "1e3", " 1", null, true, [], {}),
  fc.jsonValue(),
);
const refill = fc.oneof(
  fc.record({ amount: edgy, interval: edgy }, { requiredKeys: [] }),
  fc.record({ amount: edgy, interval: edgy, extra: edgy }),
  edgy,
);
const credits = fc.oneof(
  fc.record({ remaining: edgy, refill }, { requiredKeys: [] }),
  fc.record({ remaining: edgy, refilledAt: edgy }),
  edgy,
);

describe("credit bodies, any input", () => {
  it("admin PATCH: credits pass the manager's rule or are a field problem, never a throw", () => {
    fc.assert(
      fc.property(credits, (value) => {
        const checked = checkUpdateBody({ credits: value }, NOW, true);
        let manager: unknown = "refused";
        try {
          manager = checkCredits(value, NOW.getTime());
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
        }
        if (manager === "refused") {
          expect(checked.ok).toBe(false);
          if (!checked.ok) expect(checked.errors.length).toBeGreaterThan(0);
        } else {
          expect(checked.ok).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("an owner's PATCH never takes credits, whatever they are", () => {
    fc.assert(
      fc.property(credits, (value) => {
        const checked = checkUpdateBody({ credits: value }, NOW, false);
        expect(checked.ok).toBe(false);
        if (!checked.ok) expect(checked.errors.map((e) => e.field)).toContain("credits");
      }),
    );
  });

  it("top-up: a positive safe integer (or its digits) or a field problem, never a throw", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.record({ amount: edgy }), fc.dictionary(fc.string(), edgy), edgy),
        (body) => {
          const checked = checkTopUpBody(body);
          if (checked.ok) {
            expect(Number.isSafeInteger(checked.value.amount)).toBe(true);
            expect(checked.value.amount).toBeGreaterThan(0);
          } else {
            expect(checked.errors.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
