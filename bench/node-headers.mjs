// What reading one header costs on a Node request that carries a browser's dozen headers:
// through `req.headers` (which Node builds for all headers on first read) or by scanning
// `req.rawHeaders` (what the adapters' request view does while `req.headers` is unbuilt).
// `node bench/node-headers.mjs`; no build needed.
import { IncomingMessage } from "node:http";
import { bench } from "./micro.mjs";

const raw = [
  ["Host", "api.example.com"],
  ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"],
  ["Accept", "application/json"],
  ["Accept-Language", "en-US,en;q=0.9"],
  ["Accept-Encoding", "gzip, deflate, br"],
  ["Authorization", "Bearer abc.def.ghi"],
  ["Connection", "keep-alive"],
  ["Referer", "https://app.example.com/"],
  ["Origin", "https://app.example.com"],
  ["Sec-Fetch-Mode", "cors"],
  ["Sec-Fetch-Site", "same-site"],
  ["Cookie", "a=b; c=d"],
].flat();
const kHeadersCount = Object.getOwnPropertySymbols(new IncomingMessage(null)).find(
  (symbol) => symbol.description === "kHeadersCount",
);

function message() {
  const req = new IncomingMessage(null);
  req.rawHeaders = raw;
  req[kHeadersCount] = raw.length; // what Node's parser sets
  return req;
}

function scan(req, name) {
  const lines = req.rawHeaders;
  let value = null;
  for (let i = 0; i < lines.length; i += 2) {
    const key = lines[i];
    if (key.length !== name.length || (key !== name && key.toLowerCase() !== name)) continue;
    value = value === null ? lines[i + 1] : `${value}, ${lines[i + 1]}`;
  }
  return value;
}

bench("new IncomingMessage", () => message());
bench("new IncomingMessage + req.headers.authorization", () => message().headers.authorization);
bench("new IncomingMessage + rawHeaders scan", () => scan(message(), "authorization"));
