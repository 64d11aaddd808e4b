/**
 * What each built entry pulls in, followed through its chunks. `gatehouse/hono`, `gatehouse/fetch` and
 * `gatehouse/client` run outside Node too (Bun, Deno, workers, browsers): no Node built-in
 * may reach them, however deep in a shared chunk it sits.
 */
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuild, ROOT } from "./ensure-build.js";

const IMPORT =
  /(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']/g;

/** Every bare specifier imported by `file` or by the chunks it imports, transitively. */
function externalImports(file: string, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  if (seen.has(file)) return found;
  seen.add(file);
  for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2]!;
    if (specifier.startsWith(".")) {
      for (const inner of externalImports(join(dirname(file), specifier), seen)) found.add(inner);
    } else {
      found.add(specifier);
    }
  }
  return found;
}

const isNodeBuiltin = (specifier: string) =>
  specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0]!);

beforeAll(ensureBuild, 120_000);

describe("built entries", () => {
  for (const entry of ["hono", "client", "fetch"]) {
    it(`dist/${entry}.js reaches no Node built-in`, () => {
      const imports = [...externalImports(join(ROOT, "dist", `${entry}.js`))];
      expect(imports.filter(isNodeBuiltin)).toEqual([]);
    });
  }

  it("the scan sees the Node built-ins the core does import", () => {
    const imports = [...externalImports(join(ROOT, "dist", "index.js"))];
    expect(imports.filter(isNodeBuiltin).length).toBeGreaterThan(0);
  });
});
