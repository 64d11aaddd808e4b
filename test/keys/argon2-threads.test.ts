/**
 * argon2's own threads: every computation runs off the event loop on a thread that has
 * lowered its CPU priority below the loop's (read back from the kernel, not assumed), several
 * run at once on threads of their own, a failed computation leaves its thread usable, and a
 * process that hashed exits by itself, in both builds.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { configureArgon2Gate, hashSecret, verifySecret } from "../../src/crypto/argon2.js";
import { ensureBuild, ROOT } from "../e2e/ensure-build.js";

const CHEAP = { memoryCost: 256, timeCost: 1 };
const onLinux = process.platform === "linux";

/** The nice value of each thread of this process, by thread id, as the kernel reports it. */
function threadNice(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended between the listing and the read
    }
    // Fields after the command name (which may hold spaces): state is field 3, nice field 19.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    nice.set(Number(tid), Number(fields[16]));
  }
  return nice;
}

describe("argon2 threads", () => {
  it.runIf(onLinux)(
    "compute at nice 19 while the event loop's thread keeps its priority",
    async () => {
      const loopNice = threadNice().get(process.pid);
      const hash = await hashSecret("s3cret", CHEAP);
      expect(await verifySecret(hash, "s3cret")).toBe(true);
      const after = threadNice();
      expect(after.get(process.pid)).toBe(loopNice);
      expect(loopNice).not.toBe(19);
      expect([...after.values()].filter((n) => n === 19).length).toBeGreaterThanOrEqual(1);
    },
  );

  it("runs as many computations at once as the gate admits, each answered with its own result", async () => {
    configureArgon2Gate({ max: 4 });
    const secrets = ["a", "b", "c", "d"];
    const hashes = await Promise.all(secrets.map((secret) => hashSecret(secret, CHEAP)));
    const checks = await Promise.all(
      hashes.flatMap((hashed, i) => [
        verifySecret(hashed, secrets[i]!),
        verifySecret(hashed, secrets[(i + 1) % secrets.length]!),
      ]),
    );
    expect(checks).toEqual([true, false, true, false, true, false, true, false]);
    // Four at once took four threads, each lowered on its own.
    if (onLinux) {
      expect([...threadNice().values()].filter((n) => n === 19).length).toBeGreaterThanOrEqual(4);
    }
  });

  it("rejects a computation that fails and stays usable after it", async () => {
    await expect(verifySecret("not-a-phc-string", "x")).rejects.toThrow(Error);
    const hash = await hashSecret("after", CHEAP);
    expect(await verifySecret(hash, "after")).toBe(true);
  });

  describe("a process that hashed", () => {
    beforeAll(ensureBuild, 180_000);

    it.each([
      ["ESM", "import", "index.js"],
      ["CommonJS", "require", "index.cjs"],
    ])("exits by itself (%s build)", (_name, how, file) => {
      const entry = JSON.stringify(join(ROOT, "dist", file));
      const load = how === "import" ? `await import(${entry})` : `require(${entry})`;
      const script = `(async () => {
        const { argon2Hasher } = ${load};
        const hasher = argon2Hasher({ memoryCost: 256, timeCost: 1 });
        const hash = await hasher.hash("s3cret");
        console.log(await hasher.verify(hash, "s3cret"), await hasher.verify(hash, "nope"));
      })();`;
      const ran = spawnSync(process.execPath, ["-e", script], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(ran.signal).toBeNull();
      expect(ran.status).toBe(0);
      expect(ran.stdout.trim()).toBe("true false");
    });
  });
});
