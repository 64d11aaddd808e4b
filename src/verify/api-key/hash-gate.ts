/**
 * Admits a bounded number of hash computations at once and queues a bounded number more.
 * A hash is milliseconds of CPU (argon2 on threads of its own, a custom hasher perhaps on
 * the libuv pool, shared with file and DNS work), so an unbounded backlog would both
 * exhaust them and let latency grow without limit. Past the queue,
 * callers are refused at once and answer `unavailable`.
 *
 * The queue is shared fairly. Every entry belongs to a client (its address, or "unknown")
 * and, within it, to a subject (a key id, a username, a purpose). Waiting entries are served
 * round-robin: client after client, and within a client subject after subject, so a client
 * with hundreds of entries waits its turn like one with a single entry. When the queue is
 * full, a newcomer whose client (or, within the same client, whose subject) holds fewer
 * entries than the one holding the most takes the newest entry of that one, which is
 * refused instead. One flooding client or id therefore cannot fill the queue against the
 * others, yet a lone caller may still use all of it: nothing is reserved for callers that
 * are not there. An entry is only displaced by a newcomer that would still hold fewer
 * entries than its victim afterwards, so equal shares do not churn.
 */
import { availableParallelism } from "node:os";

export class GateFullError extends Error {
  override readonly name = "GateFullError";
  constructor() {
    super("too many hash computations are waiting");
  }
}

/** Whose hash a gate entry is, so that the gate can share its queue fairly. */
export interface HashSubject {
  /** What the hash is for: a key id, a username, or a purpose such as `"password"`. */
  readonly id?: string;
  /** The caller's address when known; entries of unknown callers share one client. */
  readonly client?: string;
}

export interface HashGate {
  /**
   * Runs `work` when a slot is free. Rejects with {@link GateFullError}, without running it,
   * when the queue is full, or when a fairer entry later takes this one's place in it.
   */
  run<T>(work: () => Promise<T>, subject?: HashSubject): Promise<T>;
  readonly active: number;
  readonly queued: number;
}

/** Whether `error` is, or was caused by, a {@link GateFullError}. */
export function isGateFull(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e instanceof GateFullError) return true;
    e = e.cause;
  }
  return false;
}

interface Waiter {
  admit(): void;
  refuse(error: GateFullError): void;
}

/** One client's waiting entries, by subject; `size` is their total. */
interface ClientQueue {
  size: number;
  subjects: Map<string, Waiter[]>;
}

/** Moves `key` to the back of `map`'s iteration order: the round-robin rotation. */
function rotate<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
}

function largest<K, V>(map: Map<K, V>, sizeOf: (value: V) => number): [K, V] | undefined {
  let best: [K, V] | undefined;
  for (const entry of map) {
    if (best === undefined || sizeOf(entry[1]) > sizeOf(best[1])) best = entry;
  }
  return best;
}

export function createHashGate(maxActive: number, maxQueued: number): HashGate {
  let active = 0;
  let queued = 0;
  // Insertion order is the rotation: the first client is served next, then moves to the back.
  const clients = new Map<string, ClientQueue>();

  function take(client: string, queue: ClientQueue, subject: string, list: Waiter[]): Waiter {
    const waiter = list.shift()!;
    if (list.length === 0) queue.subjects.delete(subject);
    else rotate(queue.subjects, subject, list);
    queue.size--;
    queued--;
    if (queue.size === 0) clients.delete(client);
    else rotate(clients, client, queue);
    return waiter;
  }

  function drop(client: string, queue: ClientQueue, subject: string, list: Waiter[]): Waiter {
    const waiter = list.pop()!;
    if (list.length === 0) queue.subjects.delete(subject);
    queue.size--;
    queued--;
    if (queue.size === 0) clients.delete(client);
    return waiter;
  }

  function release(): void {
    const first = clients.entries().next();
    if (first.done) {
      active--;
      return;
    }
    const [client, queue] = first.value;
    const [subject, list] = queue.subjects.entries().next().value!;
    // The releasing caller hands its slot over directly, so `active` stays counted.
    take(client, queue, subject, list).admit();
  }

  /** Makes room for an entry of (`client`, `subject`) in a full queue, or says it cannot. */
  function makeRoom(client: string, subject: string): boolean {
    const mine = clients.get(client);
    const mineSize = mine?.size ?? 0;
    const [hogKey, hog] = largest(clients, (q) => q.size)!;
    if (hogKey !== client && hog.size > mineSize + 1) {
      const [victim, list] = largest(hog.subjects, (l) => l.length)!;
      drop(hogKey, hog, victim, list).refuse(new GateFullError());
      return true;
    }
    if (mine === undefined) return false;
    const own = mine.subjects.get(subject)?.length ?? 0;
    const [victim, list] = largest(mine.subjects, (l) => l.length)!;
    if (victim === subject || list.length <= own + 1) return false;
    drop(client, mine, victim, list).refuse(new GateFullError());
    return true;
  }

  function enqueue(who: HashSubject | undefined): Promise<void> {
    const client = who?.client ? `@${who.client}` : "";
    const subject = who?.id ?? "";
    if (maxQueued === 0 || (queued >= maxQueued && !makeRoom(client, subject))) {
      return Promise.reject(new GateFullError());
    }
    return new Promise<void>((admit, refuse) => {
      let queue = clients.get(client);
      if (queue === undefined) clients.set(client, (queue = { size: 0, subjects: new Map() }));
      let list = queue.subjects.get(subject);
      if (list === undefined) queue.subjects.set(subject, (list = []));
      list.push({ admit, refuse });
      queue.size++;
      queued++;
    });
  }

  return {
    get active() {
      return active;
    },
    get queued() {
      return queued;
    },
    async run(work, subject) {
      if (active < maxActive) active++;
      else await enqueue(subject);
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}

/**
 * How many hashes may run at once given the libuv pool size (`UV_THREADPOOL_SIZE`, 4 when
 * unset or not a positive integer) and the CPUs this process may run on: no more than the
 * pool has threads (a custom hasher may run there, and more would only queue inside libuv,
 * where nothing is fair; argon2's own threads follow the same bound), and no more than one
 * fewer than the CPUs, at least 1. A hash is CPU work from start to end; one thread
 * per CPU would leave the event loop, which answers every cached credential, a share of a
 * core at best while a flood of wrong secrets keeps the gate full.
 */
export function hashConcurrencyFor(poolSize: string | undefined, cpus: number): number {
  const size = Number(poolSize ?? 4);
  const pool = Number.isInteger(size) && size > 0 ? size : 4;
  const spare = Number.isInteger(cpus) && cpus > 1 ? cpus - 1 : 1;
  return Math.min(pool, spare);
}

/** {@link hashConcurrencyFor} this process: its libuv pool and its CPUs (affinity included). */
export function defaultHashConcurrency(): number {
  return hashConcurrencyFor(process.env.UV_THREADPOOL_SIZE, availableParallelism());
}
