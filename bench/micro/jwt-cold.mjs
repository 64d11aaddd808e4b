// Per-token cost of verifying a JWT seen for the first time (no cache can answer), for
// gatehouse's verifier and the libraries its peers build on. Every contender gets the same
// distinct, valid tokens and a key prepared before the clock starts.
//
//   npm run build && node bench/micro/jwt-cold.mjs            # 5 processes, median
//   node bench/micro/jwt-cold.mjs --runs 3 --tokens 2000
//
// The verifier is bundled from src/verify/jwt/jwt-verifier.ts with esbuild into a temporary
// directory (jose and lru-cache stay external), so its internal `verifyNew` is measured
// without the request path around it. `gatehouse tokens.verify` is the public door of the
// built package (dist/index.js) on the same tokens: shape, signature, claims, cache insertion.
import { spawnSync } from "node:child_process";
import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const RUNS = flag("runs", 5);
const TOKENS = flag("tokens", 3000);
const ALGS = ["HS256", "ES256", "EdDSA"];
/** Tokens each contender verifies before the clock starts, apart from the measured ones. */
const WARM = 300;
/** How many turns the contenders take over the measured tokens. */
const ROUNDS = 20;

if (args.includes("--child")) {
  await child(JSON.parse(readFileSync(args[args.indexOf("--child") + 1], "utf8")));
} else {
  parent();
}

function parent() {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-jwt-cold-"));
  try {
    const require = createRequire(join(ROOT, "package.json"));
    const esbuild = require("esbuild");
    const verifierFile = join(dir, "jwt-verifier.mjs");
    // One bundle of the verifier and of the pieces of its first-seen path, for the profile.
    esbuild.buildSync({
      stdin: {
        contents: [
          'export { createJwtVerifier } from "./src/verify/jwt/jwt-verifier.ts";',
          'export { nodeKeyFor, verifyWithNode } from "./src/verify/jwt/jwt-signature.ts";',
          'export { checkTokenShape, decodeJsonObject } from "./src/verify/jwt/token-shape.ts";',
          'export { createTokenCache, tokenDigest } from "./src/verify/jwt/token-cache.ts";',
          'export { claimsToPrincipal } from "./src/principal/from-claims.ts";',
        ].join("\n"),
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      outfile: verifierFile,
      external: ["jose", "lru-cache"],
      absWorkingDir: ROOT,
    });
    // A bare import from a file outside the project would not find node_modules.
    writeFileSync(
      verifierFile,
      readFileSync(verifierFile, "utf8")
        .replaceAll('from "jose"', `from ${JSON.stringify(require.resolve("jose"))}`)
        .replaceAll('from "lru-cache"', `from ${JSON.stringify(require.resolve("lru-cache"))}`),
    );
    const setupFile = join(dir, "setup.json");
    writeFileSync(setupFile, JSON.stringify({ verifierFile, tokens: TOKENS }));
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      const out = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), "--child", setupFile],
        {
          cwd: ROOT,
          encoding: "utf8",
        },
      );
      if (out.status !== 0) throw new Error(out.stderr || `child exited ${out.status}`);
      runs.push(JSON.parse(out.stdout.trim().split("\n").pop()));
    }
    const names = [...new Set(runs.flatMap((r) => Object.keys(r)))];
    console.log(
      `node ${process.version}, ${TOKENS} distinct tokens per contender, median of ${RUNS} processes (µs per token)`,
    );
    const rows = names.map((name) => {
      const [alg, ...rest] = name.split(" ");
      const values = runs
        .map((r) => r[name])
        .filter((v) => v !== undefined)
        .sort((a, b) => a - b);
      const median = values[Math.floor(values.length / 2)];
      return { alg, contender: rest.join(" "), median, min: values[0], max: values.at(-1) };
    });
    for (const alg of ALGS) {
      console.log(`\n${alg}`);
      for (const row of rows.filter((r) => r.alg === alg)) {
        console.log(
          `  ${row.contender.padEnd(40)} ${row.median.toFixed(1).padStart(7)}   (${row.min.toFixed(1)}–${row.max.toFixed(1)})`,
        );
      }
    }
    const steps = rows.filter((r) => r.alg === "step");
    if (steps.length > 0) {
      console.log("\nFirst-seen path, per step (HS256 unless named)");
      for (const row of steps) {
        console.log(`  ${row.contender.padEnd(40)} ${row.median.toFixed(2).padStart(7)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function optional(specifier) {
  try {
    return await import(specifier);
  } catch {
    return undefined;
  }
}

/** Mean µs per call of `fn` over `items`, after one warm-up pass over the first few. */
async function timeEach(items, fn, warm = 300) {
  for (let i = 0; i < warm; i++) await fn(items[i % items.length], i);
  const started = process.hrtime.bigint();
  for (let i = 0; i < items.length; i++) await fn(items[i], i);
  return Number(process.hrtime.bigint() - started) / 1000 / items.length;
}

function timeSync(items, fn, warm = 300) {
  let sink = 0;
  for (let i = 0; i < warm; i++) sink ^= fn(items[i % items.length]) ? 1 : 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < items.length; i++) sink ^= fn(items[i]) ? 1 : 0;
  const us = Number(process.hrtime.bigint() - started) / 1000 / items.length;
  return sink === 2 ? -1 : us;
}

/**
 * Mean µs per token of each contender over `tokens`, each token seen once by each. The
 * contenders take turns, a slice of the tokens at a time, so that a change in the machine's
 * load falls on all of them alike rather than on whichever ran then.
 */
async function interleaved(contenders, warm, tokens) {
  const entries = Object.entries(contenders);
  for (const [name, fn] of entries) {
    for (const t of warm) if (!(await fn(t))) throw new Error(`${name} refused a valid token`);
  }
  const spent = Object.fromEntries(entries.map(([name]) => [name, 0n]));
  const slice = Math.ceil(tokens.length / ROUNDS);
  for (let from = 0; from < tokens.length; from += slice) {
    const part = tokens.slice(from, from + slice);
    for (const [name, fn] of entries) {
      let refused = 0;
      const started = process.hrtime.bigint();
      for (const t of part) {
        const ok = fn(t);
        if (ok !== true && !(ok !== false && (await ok))) refused++;
      }
      spent[name] += process.hrtime.bigint() - started;
      if (refused > 0) throw new Error(`${name} refused a valid token`);
    }
  }
  return Object.fromEntries(
    entries.map(([name]) => [name, Number(spent[name]) / 1000 / tokens.length]),
  );
}

async function child({ verifierFile, tokens: count }) {
  const jose = await import("jose");
  const internals = await import(verifierFile);
  const { createJwtVerifier } = internals;
  const gatehouse = await import(join(ROOT, "dist/index.js"));
  const fastJwt = await optional("fast-jwt");
  const jsonwebtoken = (await optional("jsonwebtoken"))?.default;
  const honoJwt = await optional("hono/jwt");
  const results = {};
  const now = Math.floor(Date.now() / 1000);

  for (const alg of ALGS) {
    let signKey, verifyKeyObject, options, joseKey, pem;
    if (alg === "HS256") {
      // Printable, so that a peer taking the secret as a string sees the same bytes.
      const secret = Buffer.from(randomBytes(32).toString("base64url"));
      signKey = createSecretKey(secret);
      verifyKeyObject = signKey;
      options = { algorithms: [alg], secret, typ: false, audience: "api", issuer: "https://iss" };
      joseKey = await jose.importJWK({ kty: "oct", k: secret.toString("base64url") }, alg);
      pem = secret;
    } else {
      const pair =
        alg === "ES256"
          ? generateKeyPairSync("ec", { namedCurve: "prime256v1" })
          : generateKeyPairSync("ed25519");
      signKey = pair.privateKey;
      verifyKeyObject = createPublicKey(pair.privateKey);
      pem = verifyKeyObject.export({ type: "spki", format: "pem" });
      options = {
        algorithms: [alg],
        publicKey: pem,
        typ: false,
        audience: "api",
        issuer: "https://iss",
      };
      joseKey = await jose.importSPKI(pem, alg);
    }
    const all = [];
    for (let i = 0; i < count + WARM; i++) {
      all.push(
        await new jose.SignJWT({ sub: `user-${i}`, scope: "read write", n: i })
          .setProtectedHeader({ alg })
          .setIssuer("https://iss")
          .setAudience("api")
          .setIssuedAt(now)
          .setExpirationTime(now + 3600)
          .sign(signKey),
      );
    }
    const warm = all.slice(0, WARM);
    const tokens = all.slice(WARM);

    // Each answers true for an accepted token; a promise where the library is async.
    const contenders = {};
    const verifier = createJwtVerifier({ ...options, cacheMax: (count + WARM) * 2 });
    contenders["gatehouse verifyNew"] = async (t) => (await verifier.verifyNew(t)).ok;
    const auth = gatehouse.createAuth({ jwt: { ...options, cacheMax: (count + WARM) * 2 } });
    contenders["gatehouse tokens.verify (dist)"] = async (t) => (await auth.tokens.verify(t)).ok;
    const joseOptions = { algorithms: [alg], audience: "api", issuer: "https://iss" };
    contenders["jose jwtVerify (imported key)"] = async (t) =>
      (await jose.jwtVerify(t, joseKey, joseOptions)).payload.sub !== undefined;
    contenders["jose jwtVerify (KeyObject)"] = async (t) =>
      (await jose.jwtVerify(t, verifyKeyObject, joseOptions)).payload.sub !== undefined;
    if (fastJwt !== undefined) {
      const verify = fastJwt.createVerifier({
        key: pem,
        algorithms: [alg],
        allowedAud: "api",
        allowedIss: "https://iss",
        cache: false,
      });
      contenders["fast-jwt (no cache)"] = (t) => verify(t).sub !== undefined;
    }
    if (jsonwebtoken !== undefined && alg !== "EdDSA") {
      const options = { algorithms: [alg], audience: "api", issuer: "https://iss" };
      contenders["jsonwebtoken (KeyObject)"] = (t) =>
        jsonwebtoken.verify(t, verifyKeyObject, options).sub !== undefined;
    }
    if (honoJwt !== undefined) {
      const honoKey =
        alg === "HS256" ? pem.toString("utf8") : verifyKeyObject.export({ format: "jwk" });
      const label = alg === "HS256" ? "string secret" : "JWK";
      const run = async (t) => (await honoJwt.verify(t, honoKey, alg)).sub !== undefined;
      // This hono version may not verify the algorithm: then no row.
      if (await run(warm[0]).catch(() => false)) contenders[`hono/jwt verify (${label})`] = run;
    }
    for (const [name, us] of Object.entries(await interleaved(contenders, warm, tokens))) {
      results[`${alg} ${name}`] = us;
    }
    await auth.close?.();
  }
  Object.assign(results, await profile(internals, jose, count, now));
  console.log(JSON.stringify(results));
}

/**
 * The first-seen path of verifyNew cut into its steps, each timed alone over distinct HS256
 * tokens (µs per token); the signature rows of ES256 and EdDSA for comparison.
 */
async function profile(internals, jose, count, now) {
  const { checkTokenShape, decodeJsonObject, verifyWithNode, nodeKeyFor } = internals;
  const { createTokenCache, tokenDigest, claimsToPrincipal } = internals;
  const rows = {};
  const algorithms = new Set(["HS256"]);
  const keys = {
    HS256: createSecretKey(randomBytes(32)),
    ES256: generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey,
    EdDSA: generateKeyPairSync("ed25519").privateKey,
  };
  for (const alg of ALGS) {
    const signKey = keys[alg];
    const verifyKey = alg === "HS256" ? signKey : createPublicKey(signKey);
    const tokens = [];
    for (let i = 0; i < count; i++) {
      tokens.push(
        await new jose.SignJWT({ sub: `user-${i}`, scope: "read write", n: i })
          .setProtectedHeader({ alg })
          .setIssuer("https://iss")
          .setAudience("api")
          .setIssuedAt(now)
          .setExpirationTime(now + 3600)
          .sign(signKey),
      );
    }
    const shapes = tokens.map((t) => checkTokenShape(t, 8192, new Set([alg])));
    const key = nodeKeyFor(alg, verifyKey);
    rows[`step ${alg}: signature (decode + node:crypto)`] = timeSync(shapes, (shape) => {
      const [h, p, sig] = shape.segments;
      return verifyWithNode(alg, key, `${h}.${p}`, sig);
    });
    if (alg !== "HS256") continue;
    rows["step shape, header and allow-list"] = timeSync(
      tokens,
      (t) => checkTokenShape(t, 8192, algorithms).ok,
    );
    const claims = shapes.map((shape) => decodeJsonObject(shape.segments[1]));
    rows["step claims: decode and JSON.parse"] = timeSync(
      shapes,
      (shape) => decodeJsonObject(shape.segments[1]) !== null,
    );
    rows["step claims: freeze a copy"] = timeSync(claims, (c) =>
      Object.isFrozen(Object.freeze({ ...c })),
    );
    rows["step digest (SHA-256, base64url)"] = timeSync(tokens, (t) => tokenDigest(t).length > 0);
    const cache = createTokenCache(count * 4);
    let i = 0;
    rows["step cache insertion (digest included)"] = timeSync(
      tokens,
      (t) => cache.set(t, claims[i++ % claims.length], undefined) !== undefined,
    );
    rows["step principal mapping (default)"] = timeSync(
      claims,
      (c) => claimsToPrincipal(c, { via: "jwt" }) !== null,
    );
    // The whole of verifyNew, as the sum above is compared against.
    const verifier = internals.createJwtVerifier({
      algorithms: [alg],
      secret: signKey.export(),
      typ: false,
      audience: "api",
      issuer: "https://iss",
      cacheMax: count * 4,
    });
    rows["step whole verifyNew (for the sum)"] = await timeEach(tokens, async (t) => {
      if (!(await verifier.verifyNew(t)).ok) throw new Error("refused");
    });
  }
  return rows;
}
