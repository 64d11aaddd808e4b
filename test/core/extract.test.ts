import { describe, expect, it } from "vitest";
import { readApiKeyHeader } from "../../src/extract/api-key-header.js";
import { parseAuthorization } from "../../src/extract/authorization.js";
import { cookieValues, readCookie } from "../../src/extract/cookies.js";

describe("parseAuthorization (RFC 6750 §2.1)", () => {
  it.each([
    ["Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"],
    ["bearer abc", "abc"],
    ["BEARER abc", "abc"],
    ["Bearer    abc", "abc"],
    ["Bearer abc+/~==", "abc+/~=="],
    ["Bearer abc, Bearer abc", "abc"],
  ])("%j gives the token", (value, token) => {
    expect(parseAuthorization(value)).toEqual({ kind: "bearer", token });
  });

  it.each([
    "Bearer",
    "Bearer ",
    "Bearer a b",
    'Bearer "abc"',
    "Bearer a,b",
    "Bearer\tabc",
    "Bearer abc=def",
    "Bearer abc, Bearer xyz",
    "Basic YWxhZGRpbjpvcGVu, Bearer abc",
    "Bearer abc, Basic YWxhZGRpbjpvcGVu",
  ])("%j is invalid_request", (value) => {
    expect(parseAuthorization(value).kind).toBe("invalid");
  });

  it("Bearer, 16,000 spaces and `x,` answers as it always did: the token x", () => {
    expect(parseAuthorization(`Bearer${" ".repeat(16_000)}x,`)).toEqual({
      kind: "bearer",
      token: "x",
    });
    expect(parseAuthorization(`Bearer x${" ,".repeat(8_000)}`)).toEqual({
      kind: "bearer",
      token: "x",
    });
    expect(parseAuthorization(`Bearer${" ".repeat(16_000)}x,y`)).toEqual({
      kind: "invalid",
      detail: "More than one Authorization value was sent.",
    });
  });

  it.each([
    ["Bearer a,", { kind: "bearer", token: "a" }],
    ["Bearer a b,", { kind: "invalid", detail: "More than one Authorization value was sent." }],
    ["Bearer/abc", { kind: "invalid", detail: "The Bearer scheme must be followed by spaces." }],
    ["Bearer \t", { kind: "invalid", detail: "The Bearer scheme came without a token." }],
    [
      'Digest realm="a, Bearer b"',
      { kind: "invalid", detail: "More than one Authorization value was sent." },
    ],
    ["Basic a, Digest b", { kind: "absent" }],
  ])("%j keeps its answer", (value, answer) => {
    expect(parseAuthorization(value)).toEqual(answer);
  });

  it.each([null, "", "Basic YWxhZGRpbjpvcGVu", "Digest a=b, c=d", "Bearerx abc", "Token abc"])(
    "%j is absent",
    (value) => {
      expect(parseAuthorization(value)).toEqual({ kind: "absent" });
    },
  );
});

describe("readApiKeyHeader", () => {
  const headers = (values: Record<string, string>) => ({
    get: (name: string) => values[name] ?? null,
  });

  it("reads the first configured header that is present", () => {
    expect(
      readApiKeyHeader(headers({ "x-api-auth": "user:key" }), ["x-api-key", "x-api-auth"]),
    ).toEqual({ kind: "key", raw: "user:key", header: "x-api-auth" });
  });

  it("a comma-joined list of different values is invalid; of equal values is one key", () => {
    expect(readApiKeyHeader(headers({ "x-api-key": "a, b" }), ["x-api-key"]).kind).toBe("invalid");
    expect(readApiKeyHeader(headers({ "x-api-key": "a, a" }), ["x-api-key"]).kind).toBe("key");
  });

  it("an empty header is absent", () => {
    expect(readApiKeyHeader(headers({ "x-api-key": " " }), ["x-api-key"]).kind).toBe("absent");
  });
});

describe("cookies (RFC 6265)", () => {
  it("matches the exact, case-sensitive name and unquotes values", () => {
    expect(
      readCookie('Access_Token=x; access_token="abc"; access_token_2=y', "access_token"),
    ).toEqual({
      kind: "value",
      value: "abc",
    });
  });

  it("ignores malformed pairs and never throws", () => {
    expect(readCookie(";;=x; junk; =; access_token=abc; a==b", "access_token")).toEqual({
      kind: "value",
      value: "abc",
    });
    expect(readCookie("garbage", "access_token")).toEqual({ kind: "absent" });
  });

  it("two different values for our cookie are invalid; the same twice is one", () => {
    expect(readCookie("access_token=a; access_token=b", "access_token").kind).toBe("invalid");
    expect(readCookie("access_token=a; access_token=a", "access_token").kind).toBe("value");
  });

  it("reads cookies joined from several headers with '; '", () => {
    expect(cookieValues("theme=dark; access_token=abc", "access_token")).toEqual(["abc"]);
  });

  it("a comma is part of a value, never a separator (RFC 6265 §4.2.1)", () => {
    expect(readCookie("pref=x,access_token=abc", "access_token")).toEqual({ kind: "absent" });
    expect(readCookie("theme=dark, access_token=abc", "access_token")).toEqual({
      kind: "absent",
    });
    expect(cookieValues("pref=x,access_token=abc", "pref")).toEqual(["x,access_token=abc"]);
  });

  it("reads a __Host- name exactly", () => {
    const header = "access_token=plain; __Host-access_token=host";
    expect(readCookie(header, "__Host-access_token")).toEqual({ kind: "value", value: "host" });
    expect(readCookie(header, "access_token")).toEqual({ kind: "value", value: "plain" });
    expect(readCookie("pref=x,__Host-access_token=evil", "__Host-access_token").kind).toBe(
      "absent",
    );
  });

  it("trims spaces and tabs around names and values, and nothing else", () => {
    expect(readCookie(" \taccess_token \t= abc\t", "access_token")).toEqual({
      kind: "value",
      value: "abc",
    });
    expect(readCookie("\u00a0access_token=abc", "access_token").kind).toBe("absent");
  });
});
