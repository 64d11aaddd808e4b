import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";

/** Serves `listener` on an ephemeral port of 127.0.0.1 for the length of `run`. */
export async function withServer(
  listener: RequestListener,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
