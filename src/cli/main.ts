#!/usr/bin/env node
/**
 * The `gatehouse` executable (package `bin`). It only wires the process to {@link run}: the
 * exit code, a quiet broken pipe (`gatehouse keys list | head`), and no stack trace even
 * for a failure nobody foresaw.
 */
import { oneLine } from "./errors.js";
import { processIo } from "./io.js";
import { run } from "./run.js";

process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
});

function die(error: unknown): never {
  process.stderr.write(`gatehouse: unexpected error: ${oneLine(error)}\n`);
  process.exit(1);
}
process.on("uncaughtException", die);
process.on("unhandledRejection", die);

// No top-level await: the shared build also emits CommonJS, which cannot hold one.
// Exit explicitly: a store driver may hold a timer or socket open after close().
run(process.argv.slice(2), processIo()).then((code) => process.exit(code), die);
