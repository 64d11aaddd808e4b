/**
 * Admits a bounded number of hash verifications at once and queues a bounded number more.
 * argon2 runs on the libuv thread pool (shared with file and DNS work), so an unbounded
 * backlog would both starve the pool and let latency grow without limit. Past the queue,
 * callers are refused at once and answer `unavailable`.
 */
export class GateFullError extends Error {
  override readonly name = "GateFullError";
  constructor() {
    super("too many API-key verifications are waiting");
  }
}

export interface HashGate {
  run<T>(work: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly queued: number;
}

export function createHashGate(maxActive: number, maxQueued: number): HashGate {
  let active = 0;
  const waiting: Array<() => void> = [];

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }

  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
    async run(work) {
      if (active < maxActive) {
        active++;
      } else if (waiting.length < maxQueued) {
        // The releasing caller hands its slot over directly, so `active` stays counted.
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        throw new GateFullError();
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}

/** The libuv pool size this process runs with: argon2 cannot use more threads than that. */
export function defaultHashConcurrency(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  return Number.isInteger(size) && size > 0 ? size : 4;
}
