// What argon2's threads cost in memory: the process's resident set after one cheap hash
// (one thread made) and after N hashes at the default (OWASP) parameters at once, with the
// argon2 gate sized to N (N threads). `node bench/hash-threads-memory.mjs [N]` after
// `npm run build`; GATEHOUSE_DIST measures another build.
import { setTimeout as sleep } from "node:timers/promises";
import { importBuild } from "./common.mjs";

const { hashSecret, configureArgon2Gate } = await importBuild();
const n = Number(process.argv[2] ?? 1);
const mib = () => (process.memoryUsage().rss / 2 ** 20).toFixed(1);

configureArgon2Gate({ max: n });
await hashSecret("warm", { memoryCost: 256, timeCost: 1 });
const afterOne = mib();
await Promise.all(Array.from({ length: n }, (_, i) => hashSecret(`secret-${i}`)));
// The hashes' own 19 MiB each is freed when they end; what stays is the threads'.
await sleep(200);
console.log(
  `argon2 gate max ${n}: ${afterOne} MiB resident after one cheap hash, ${mib()} MiB after ${n} at once`,
);
