import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readBody } from "../../src/http/read-body.js";

function chunks(...parts: Array<string | Uint8Array>): AsyncIterable<Uint8Array> {
  return Readable.from(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
}

const json = (text: string, contentLength: string | null = null) => ({
  contentType: "application/json; charset=utf-8",
  contentLength,
  chunks: chunks(text),
});

describe("readBody", () => {
  it("parses JSON across chunks", async () => {
    const source = { ...json(""), chunks: chunks('{"name":', '"ci"}') };
    expect(await readBody(source)).toEqual({ ok: true, body: { name: "ci" } });
  });

  it("parses a form into a null-prototype record, __proto__ as a plain field", async () => {
    const result = await readBody({
      contentType: "application/x-www-form-urlencoded",
      contentLength: null,
      chunks: chunks("grant_type=password&__proto__=x"),
    });
    const body = (result.ok ? result.body : {}) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["grant_type", "__proto__"]);
    expect(Object.getOwnPropertyDescriptor(body, "__proto__")?.value).toBe("x");
    expect(Object.getPrototypeOf(body)).toBeNull();
  });

  it("refuses repeated form fields", async () => {
    const result = await readBody({
      contentType: "application/x-www-form-urlencoded",
      contentLength: null,
      chunks: chunks("a=1&a=2"),
    });
    expect(result.ok ? 200 : result.answer.status).toBe(400);
  });

  it("answers 400 for malformed JSON and invalid UTF-8, never throws", async () => {
    const bad = await readBody(json("{"));
    expect(bad.ok ? 200 : bad.answer.status).toBe(400);
    const invalidUtf8 = await readBody({
      contentType: "application/json",
      contentLength: null,
      chunks: chunks(new Uint8Array([0xff, 0xfe])),
    });
    expect(invalidUtf8.ok ? 200 : invalidUtf8.answer.status).toBe(400);
    const failing = await readBody({
      contentType: "application/json",
      contentLength: null,
      chunks: new Readable({
        read() {
          this.push(Buffer.from("{"));
          this.destroy(new Error("socket reset"));
        },
      }),
    });
    expect(failing.ok ? 200 : failing.answer.status).toBe(400);
  });

  it("answers 413 by declared length before reading, and while reading", async () => {
    const declared = await readBody(json("{}", "999999"), { limit: 10 });
    expect(declared.ok ? 200 : declared.answer.status).toBe(413);
    const streamed = await readBody(json('{"name":"a long name"}'), { limit: 10 });
    expect(streamed.ok ? 200 : streamed.answer.status).toBe(413);
  });

  it("answers 415 for other media types and gives undefined for no body", async () => {
    const text = await readBody({
      contentType: "text/plain",
      contentLength: null,
      chunks: chunks("x"),
    });
    expect(text.ok ? 200 : text.answer.status).toBe(415);
    expect(await readBody({ contentType: null, contentLength: null, chunks: null })).toEqual({
      ok: true,
      body: undefined,
    });
  });
});
