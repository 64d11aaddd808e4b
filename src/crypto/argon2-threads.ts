/**
 * Where argon2 computes: worker threads of our own, each lowered to the least CPU priority a
 * thread can have (nice 19, where Linux lets a thread set its own), so that when the CPU is
 * contended the event loop, which answers every cached credential, runs first and hashing
 * takes what it leaves. On the libuv pool a hash ran at the event loop's own priority: on one
 * core, a flood of wrong secrets took half of it from requests that needed no hash at all.
 * Where a thread cannot lower itself (other systems), it runs at normal priority, as the
 * pool's threads did.
 *
 * One computation per thread at a time. Threads are made when a computation finds none idle
 * and kept for the next: the argon2 gate bounds how many run at once, so it bounds how many
 * threads there are. A thread holds the process open only while it computes.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Options } from "@node-rs/argon2";

/** One argon2 computation, as the thread receives it. */
export type Argon2Job =
  | { op: "hash"; secret: string; options: Options }
  | { op: "verify"; hashed: string; secret: string };

type Answer = { ok: true; value: string | boolean } | { ok: false; message: string };

// CommonJS, evaluated as the thread's script: no file of its own to resolve next to each of
// the two builds. The priority is set before anything else runs; a thread whose id cannot be
// read (no /proc/thread-self) or that equals the process id (never the case in a worker, but
// it would renice the whole process) is left alone.
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
try {
  const tid = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) require("node:os").setPriority(tid, 19);
} catch {}
const argon2 = require(workerData.argon2);
parentPort.on("message", (job) => {
  try {
    const value = job.op === "hash" ? argon2.hashSync(job.secret, job.options) : argon2.verifySync(job.hashed, job.secret);
    parentPort.postMessage({ ok: true, value });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface HashThread {
  worker: Worker;
  /** The computation it is running, if any. */
  pending?: { resolve: (value: string | boolean) => void; reject: (error: Error) => void };
  dead: boolean;
}

const idle: HashThread[] = [];
let argon2Entry: string | undefined;

function lose(thread: HashThread, error: Error): void {
  if (thread.dead) return;
  thread.dead = true;
  const at = idle.indexOf(thread);
  if (at !== -1) idle.splice(at, 1);
  const pending = thread.pending;
  thread.pending = undefined;
  pending?.reject(error);
}

function spawn(): HashThread {
  // Resolved from this package, so that the thread loads the copy this package depends on.
  argon2Entry ??= createRequire(import.meta.url).resolve("@node-rs/argon2");
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { argon2: argon2Entry } });
  const thread: HashThread = { worker, dead: false };
  worker.on("message", (answer: Answer) => {
    const pending = thread.pending;
    thread.pending = undefined;
    worker.unref();
    if (!thread.dead) idle.push(thread);
    if (answer.ok) pending?.resolve(answer.value);
    else pending?.reject(new Error(answer.message));
  });
  worker.on("error", (error) => lose(thread, error));
  worker.on("exit", (code) => lose(thread, new Error(`the argon2 thread exited (code ${code})`)));
  return thread;
}

/** Runs `job` on an idle argon2 thread, or on a new one. Rejects when the computation fails or the thread dies. */
export function onArgon2Thread(job: Argon2Job & { op: "hash" }): Promise<string>;
export function onArgon2Thread(job: Argon2Job & { op: "verify" }): Promise<boolean>;
export function onArgon2Thread(job: Argon2Job): Promise<string | boolean> {
  const thread = idle.pop() ?? spawn();
  return new Promise((resolve, reject) => {
    thread.pending = { resolve, reject };
    thread.worker.ref();
    thread.worker.postMessage(job);
  });
}
