/**
 * Runs the one behaviour table against a real server of every adapter and framework major.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { behaviours } from "./behaviours.js";
import type { Memo, RowExpect, RowRequest } from "./behaviours.js";
import { makeFixture } from "./fixture.js";
import type { Fixture } from "./fixture.js";
import { servers } from "./servers.js";
import type { Running } from "./servers.js";

interface Reply {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

/**
 * node:http keeps duplicate headers as sent (fetch would merge them into one), and with
 * `agent: false` the request has a connection of its own, which a server may close.
 */
function sendRaw(url: URL, req: RowRequest): Promise<Reply> {
  const headers = req.rawHeaders ?? Object.entries(req.headers ?? {}).flat();
  // Raw header lists get no automatic Host, and Node servers refuse requests without one.
  if (!headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === "host")) {
    headers.push("Host", url.host);
  }
  return new Promise((resolve, reject) => {
    const out = httpRequest(url, { method: req.method ?? "GET", headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        const headers = {
          get: (name: string) => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
          },
        };
        resolve({ status: res.statusCode ?? 0, headers, text });
      });
    });
    out.on("error", reject);
    out.end(typeof req.body === "string" ? req.body : undefined);
  });
}

async function send(base: string, req: RowRequest): Promise<Reply> {
  const url = new URL(req.path, base);
  if (req.rawHeaders ?? req.ownConnection) return sendRaw(url, req);
  const headers = new Headers(req.headers);
  let body: string | undefined;
  if (typeof req.body === "string") body = req.body;
  else if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const res = await fetch(url, { method: req.method ?? "GET", headers, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function at(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function parse(reply: Reply): unknown {
  const type = reply.headers.get("content-type") ?? "";
  return /json/.test(type) && reply.text !== "" ? (JSON.parse(reply.text) as unknown) : undefined;
}

function check(reply: Reply, want: RowExpect): void {
  expect(reply.status, reply.text.slice(0, 500)).toBe(want.status);
  for (const [name, expected] of Object.entries(want.headers ?? {})) {
    const actual = reply.headers.get(name);
    if (expected === null) expect(actual, name).toBeNull();
    else if (expected instanceof RegExp) expect(actual, name).toMatch(expected);
    else expect(actual, name).toBe(expected);
  }
  if (want.body) {
    const body = parse(reply);
    for (const [path, expected] of Object.entries(want.body)) {
      expect(at(body, path), path).toEqual(expected);
    }
  }
}

for (const [name, start] of Object.entries(servers)) {
  describe(name, () => {
    let fx: Fixture;
    let server: Running;
    const memo: Memo = {};
    beforeAll(async () => {
      fx = await makeFixture();
      server = await start(fx);
    });
    afterAll(async () => {
      await server?.close();
      await fx?.auth.close();
      await fx?.downAuth.close();
    });
    for (const row of behaviours) {
      it(row.name, async () => {
        const reply = await send(server.url, row.request(fx, server.url, memo));
        check(reply, row.expect(fx));
        row.keep?.({ body: parse(reply), headers: reply.headers }, memo);
      });
    }
  });
}
