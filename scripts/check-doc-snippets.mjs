#!/usr/bin/env node
// Type-checks every ```ts block of README.md and docs/*.md against the sources, so that a
// renamed option or export breaks CI instead of silently breaking the docs. A block whose
// info string says `ts nocheck` is a fragment and is skipped on purpose.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const outDir = join(root, ".doc-snippets");
const sources = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

let count = 0;
const origins = {};
for (const source of sources) {
  const text = readFileSync(join(root, source), "utf8");
  const fence = /^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```/gm;
  let match;
  while ((match = fence.exec(text))) {
    if (/\bnocheck\b/.test(match[2])) continue;
    const line = text.slice(0, match.index).split("\n").length;
    const name = `${source.replace(/[/.]/g, "_")}_L${line}.ts`;
    origins[name] = `${source}:${line}`;
    // Each block is its own module, so top-level await and top-level names don't collide.
    writeFileSync(join(outDir, name), `${match[3]}\nexport {};\n`);
    count += 1;
  }
}

if (count === 0) {
  console.log("doc snippets: no TypeScript blocks to check");
  process.exit(0);
}

const subpaths = {
  gatehouse: "src/index.ts",
  "gatehouse/express": "adapters/express.ts",
  "gatehouse/koa": "adapters/koa.ts",
  "gatehouse/hono": "adapters/hono.ts",
  "gatehouse/fastify": "adapters/fastify.ts",
  "gatehouse/fetch": "adapters/fetch.ts",
  "gatehouse/nestjs": "adapters/nestjs.ts",
  "gatehouse/client": "src/client/index.ts",
  "gatehouse/testing": "src/testing/index.ts",
  "gatehouse/stores/sqlite": "src/stores/sqlite.ts",
  "gatehouse/stores/postgres": "src/stores/postgres.ts",
  "gatehouse/stores/redis": "src/stores/redis.ts",
};
const tsconfig = {
  extends: "../tsconfig.json",
  compilerOptions: {
    noEmit: true,
    baseUrl: "..",
    paths: Object.fromEntries(Object.entries(subpaths).map(([k, v]) => [k, [v]])),
    noUnusedLocals: false,
  },
  include: ["./*.ts", "./prelude.d.ts"],
};
writeFileSync(join(outDir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));

// The names a guide's snippet may take from the surrounding text. They are globals, so a
// snippet that declares its own `auth` or `app` shadows them instead of clashing.
writeFileSync(
  join(outDir, "prelude.d.ts"),
  `import type { Auth, KeyStore } from "gatehouse";
declare global {
  var auth: Auth;
  var store: KeyStore;
  // Any framework's app or router: the gatehouse calls inside a snippet are what is checked.
  var app: any;
  var router: any;
  // Things a snippet says come from the reader's own server.
  var pool: import("pg").Pool;
  var db: any;
  var myKeyStore: (pool: import("pg").Pool) => KeyStore;
  var request: Request;
  var parsedBody: unknown;
  var remoteAddress: string;
  var url: URL;
  var verifyUser: (
    username: string,
    password: string,
  ) => Promise<{ id: string; scopes?: string[]; roles?: string[] } | null>;
}
export {};
`,
);

try {
  execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", join(outDir, "tsconfig.json")], {
    stdio: "pipe",
  });
  console.log(`doc snippets: ${count} TypeScript blocks type-check`);
} catch (error) {
  const output = String(error.stdout ?? "") + String(error.stderr ?? "");
  // Point at the markdown line, not at the generated file.
  console.error(
    output.replace(/\.doc-snippets\/(\S+?\.ts)\((\d+),(\d+)\)/g, (_, file, l) => {
      const origin = origins[file] ?? file;
      const [md, start] = origin.split(":");
      return `${md}:${Number(start) + Number(l)}`;
    }),
  );
  console.error(`doc snippets: type errors in ${count} blocks`);
  process.exit(1);
}
