/** The hash gate shares its queue fairly across clients and, within a client, across ids. */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { configureArgon2Gate, hashPassword, hashSecret } from "../../src/crypto/argon2.js";
import { argon2Hasher } from "../../src/crypto/argon2.js";
import { createHashGate, GateFullError, isGateFull } from "../../src/verify/api-key/hash-gate.js";
import type { HashGate, HashSubject } from "../../src/verify/api-key/hash-gate.js";

/** Work that runs until the test lets it finish, in the order it started. */
function heldWork() {
  const started: string[] = [];
  const releases: Array<() => void> = [];
  return {
    started,
    work: (label: string) => () =>
      new Promise<string>((resolve) => {
        started.push(label);
        releases.push(() => resolve(label));
      }),
    /** Finishes the oldest running work and waits until the gate has admitted the next. */
    async finishOne(): Promise<void> {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

type Outcome = "done" | "refused";

function settle(promise: Promise<unknown>): { outcome?: Outcome } {
  const box: { outcome?: Outcome } = {};
  promise.then(
    () => (box.outcome = "done"),
    (error: unknown) => {
      if (!(error instanceof GateFullError)) throw error;
      box.outcome = "refused";
    },
  );
  return box;
}

function submit(
  gate: HashGate,
  held: ReturnType<typeof heldWork>,
  label: string,
  who: HashSubject,
) {
  return settle(gate.run(held.work(label), who));
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("fair hash gate", () => {
  it("lets a lone caller use the whole queue", async () => {
    const held = heldWork();
    const gate = createHashGate(1, 4);
    const all = Array.from({ length: 6 }, (_, i) =>
      submit(gate, held, `a${i}`, { id: "k", client: "A" }),
    );
    await flush();
    expect([gate.active, gate.queued]).toEqual([1, 4]);
    expect(all.map((b) => b.outcome)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      "refused",
    ]);
  });

  it("admits another address's first entry into a queue one address has filled", async () => {
    const held = heldWork();
    const gate = createHashGate(1, 8);
    // One attacker address, a hundred key ids, many entries each.
    const flood = Array.from({ length: 300 }, (_, i) =>
      submit(gate, held, `attacker${i}`, { id: `id${i % 100}`, client: "198.51.100.1" }),
    );
    await flush();
    expect(flood.filter((b) => b.outcome === "refused")).toHaveLength(300 - 9);
    const victim = submit(gate, held, "victim", { id: "victim-id", client: "203.0.113.5" });
    await flush();
    expect(victim.outcome).toBeUndefined();
    expect(gate.queued).toBe(8);
    // One of the attacker's entries made room; the victim is served right after the
    // attacker's next turn, not after all of its entries.
    expect(flood[1]!.outcome).toBe("refused");
    expect(flood.filter((b) => b.outcome === "refused")).toHaveLength(300 - 8);
    await held.finishOne();
    await held.finishOne();
    expect(held.started).toEqual(["attacker0", "attacker2", "victim"]);
    await held.finishOne();
    expect(victim.outcome).toBe("done");
  });

  it("within one address, admits a new id into a queue another id has filled", async () => {
    const held = heldWork();
    const gate = createHashGate(1, 4);
    const flood = Array.from({ length: 10 }, (_, i) =>
      submit(gate, held, `x${i}`, { id: "X", client: "A" }),
    );
    const other = submit(gate, held, "y", { id: "Y", client: "A" });
    await flush();
    expect(other.outcome).toBeUndefined();
    expect(flood.filter((b) => b.outcome === "refused")).toHaveLength(10 - 4);
    await held.finishOne();
    expect(held.started).toEqual(["x0", "x1"]);
    await held.finishOne();
    expect(held.started).toEqual(["x0", "x1", "y"]);
  });

  it("does not churn equal shares: a newcomer that would not be fairer is refused", async () => {
    const held = heldWork();
    const gate = createHashGate(1, 1);
    submit(gate, held, "running", { id: "r" });
    const waiting = submit(gate, held, "a", { id: "a" });
    const newcomer = submit(gate, held, "b", { id: "b" });
    await flush();
    expect([waiting.outcome, newcomer.outcome]).toEqual([undefined, "refused"]);
  });

  it("serves waiting entries round-robin across addresses", async () => {
    const held = heldWork();
    const gate = createHashGate(1, 16);
    submit(gate, held, "first", { id: "k", client: "A" });
    for (let i = 1; i <= 3; i++) submit(gate, held, `A${i}`, { id: `k${i}`, client: "A" });
    submit(gate, held, "B1", { id: "k", client: "B" });
    submit(gate, held, "U1", { id: "k" });
    for (let i = 0; i < 5; i++) await held.finishOne();
    expect(held.started).toEqual(["first", "A1", "B1", "U1", "A2", "A3"]);
  });

  it("refuses at once with no queue, and recognises its refusal through a cause", async () => {
    const held = heldWork();
    const gate = createHashGate(1, 0);
    submit(gate, held, "running", {});
    const refusal = await gate.run(held.work("x")).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(GateFullError);
    expect(isGateFull(new AuthError("unavailable", { cause: refusal }))).toBe(true);
    expect(isGateFull(new Error("other"))).toBe(false);
  });
});

describe("the process-wide argon2 gate", () => {
  const cheap = { memoryCost: 256, timeCost: 1 };

  it("bounds key creation hashes, refusing the excess with AuthError(unavailable)", async () => {
    configureArgon2Gate({ max: 1, queue: 3 });
    try {
      const hasher = argon2Hasher(cheap);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => hasher.hash(`secret-${i}`)),
      );
      const refused = results.filter((r) => r.status === "rejected");
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
      expect(refused).toHaveLength(16);
      const reason = (refused[0] as PromiseRejectedResult).reason as AuthError;
      expect(AuthError.is(reason) && reason.code).toBe("unavailable");
      expect(isGateFull(reason)).toBe(true);
    } finally {
      configureArgon2Gate();
    }
  });

  it("keeps room for password checks while key creation floods it", async () => {
    configureArgon2Gate({ max: 1, queue: 4 });
    try {
      const hasher = argon2Hasher(cheap);
      const creations = Array.from({ length: 20 }, (_, i) => hasher.hash(`secret-${i}`));
      const login = hashPassword("correct horse", cheap);
      const settled = await Promise.allSettled([...creations, login]);
      expect(settled.at(-1)?.status).toBe("fulfilled");
      expect(settled.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    } finally {
      configureArgon2Gate();
    }
  });

  it("shares the queue per subject and client that the caller names", async () => {
    configureArgon2Gate({ max: 1, queue: 4 });
    try {
      const flood = Array.from({ length: 10 }, (_, i) =>
        hashSecret(`s${i}`, cheap, { id: "mallory", client: "198.51.100.1" }),
      );
      const other = hashSecret("s", cheap, { id: "alice", client: "203.0.113.5" });
      const settled = await Promise.allSettled([...flood, other]);
      expect(settled.at(-1)?.status).toBe("fulfilled");
    } finally {
      configureArgon2Gate();
    }
  });

  it("refuses nonsense sizes", () => {
    expect(() => configureArgon2Gate({ max: 0 })).toThrow(TypeError);
    expect(() => configureArgon2Gate({ queue: -1 })).toThrow(TypeError);
    configureArgon2Gate();
  });
});
