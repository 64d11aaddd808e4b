// One benchmark server under load, for the tools that look inside it (gc.mjs, profile.mjs):
// starts server.mjs with the given Node flags, waits for its `{ port, headers }` line,
// drives GET /hello with autocannon (10 connections) and stops it with SIGTERM so that it
// writes what the flags asked for. Resolves to autocannon's result and what the server
// printed on stdout from the start of the load.
import { spawn } from "node:child_process";
import autocannon from "autocannon";

const server = new URL("./server.mjs", import.meta.url).pathname;

export async function loadOne({ flags, framework, benchCase, seconds }) {
  const child = spawn(process.execPath, [...flags, server, framework, benchCase], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  // Flags such as --trace-gc print before it: the line that matters starts with "{".
  const ready = () => out.split("\n").find((line) => line.startsWith("{") && line.endsWith("}"));
  while (ready() === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  const { port, headers } = JSON.parse(ready());
  const mark = out.length;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/hello`,
    connections: 10,
    duration: Number(seconds),
    headers,
  });
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  return { result, output: out.slice(mark) };
}
