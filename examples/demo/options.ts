/**
 * What `npm run demo` can be told: where to listen (PORT, HOST), where to keep its data
 * (`.data/demo/` of the repository, or GATEHOUSE_DEMO_DATA), and `--reset` to start over.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";

export interface DemoOptions {
  host: string;
  /** 0 picks a free port (the tests use it); the real port is printed. */
  port: number;
  dataDir: string;
  reset: boolean;
  /** Where start.mjs put the compiled page script. */
  pageBuildDir: string;
}

export function readOptions(argv: string[], root: string, pageBuildDir: string): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: { reset: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      "Usage: npm run demo [-- --reset]\n" +
        "  PORT (default 3000), HOST (default 127.0.0.1), GATEHOUSE_DEMO_DATA (default .data/demo)\n",
    );
    process.exit(0);
  }
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`PORT must be a port number, not '${process.env.PORT}'`);
  }
  return {
    host: process.env.HOST ?? "127.0.0.1",
    port,
    dataDir: process.env.GATEHOUSE_DEMO_DATA ?? join(root, ".data", "demo"),
    reset: values.reset ?? false,
    pageBuildDir,
  };
}
