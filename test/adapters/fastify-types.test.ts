/**
 * The Fastify adapter's typing. The opt-in `Register` augmentation is compiled in a program
 * of its own: declared in a file of the project, it would retype `getCurrentUser` for every
 * other file and show up in the API documentation.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FastifyRequest } from "fastify";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import type { Principal } from "../../src/types.js";
import * as fa from "../../adapters/fastify.js";

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(value: T) => value;

/** Type errors of `source`, compiled with the project's settings beside node_modules. */
function typeErrors(source: string): string[] {
  // Inside node_modules/.cache: "fastify" resolves, and no project glob includes the file.
  const dir = fileURLToPath(
    new URL("../../node_modules/.cache/gatehouse-fastify-types/", import.meta.url),
  );
  mkdirSync(dir, { recursive: true });
  const file = `${dir}augmented-${process.pid}.ts`;
  writeFileSync(file, source);
  try {
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ["node"],
    });
    return ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  } finally {
    rmSync(file, { force: true });
  }
}

const adapter = JSON.stringify(
  fileURLToPath(new URL("../../adapters/fastify.js", import.meta.url)),
);
const types = JSON.stringify(fileURLToPath(new URL("../../src/types.js", import.meta.url)));

describe("Fastify adapter types", () => {
  it("an explicit type argument wins, Principal by default; a user type must be a Principal", () => {
    interface Other extends Principal {
      team: string;
    }
    const read = (request: FastifyRequest) => fa.getCurrentUser<Other>(request);
    assertType<Equals<ReturnType<typeof read>, Other | null>>(true);
    const _plain = (request: FastifyRequest) => fa.getCurrentUser(request);
    assertType<Equals<ReturnType<typeof _plain>, Principal | null>>(true);
    // @ts-expect-error a user type must be a Principal
    const _wrong = (request: FastifyRequest) => fa.getCurrentUser<{ name: string }>(request);
    expect(typeof read).toBe("function");
  });

  it("the Register augmentation types getCurrentUser everywhere, typed routes included", () => {
    const source = `
import Fastify from "fastify";
import type { Principal } from ${types};
import { authenticate, getCurrentUser, requireAuth, type RegisteredUser } from ${adapter};

interface AppUser extends Principal { tenant: string }
declare module ${adapter} {
  interface Register { user: AppUser }
}
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const yes = <T extends true>(value: T) => value;
yes<Equals<RegisteredUser, AppUser>>(true);

declare const auth: Parameters<typeof authenticate>[0];
const app = Fastify();
app.get<{ Params: { id: string } }>(
  "/users/:id",
  { onRequest: [authenticate(auth)], preHandler: [requireAuth()] },
  (request) => {
    const user = getCurrentUser(request);
    yes<Equals<typeof user, AppUser | null>>(true);
    return { tenant: user?.tenant, id: request.params.id };
  },
);
`;
    expect(typeErrors(source)).toEqual([]);
    // The check can fail: a wrong expectation is reported.
    const wrong = source.replace(
      "yes<Equals<RegisteredUser, AppUser>>",
      "yes<Equals<RegisteredUser, Principal>>",
    );
    expect(typeErrors(wrong).length).toBeGreaterThan(0);
  }, 60_000);
});
