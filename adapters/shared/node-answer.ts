/**
 * Sending a core answer from the Node adapters, field for field: on a Node response
 * (Express, and what Nest middleware gets), or through a Fastify reply (Fastify, Nest on
 * Fastify), so that the reply's hooks still run. Not reached from the Hono or fetch entries:
 * it uses `Buffer`.
 */
import type { HttpAnswer } from "../../src/http/answer.js";
import { answerText } from "../../src/http/problem.js";

/** What {@link sendToNode} uses of a Node `ServerResponse`. */
export interface NodeResponse {
  /** The status to send. */
  statusCode: number;
  /** Sets one header, repeated values as a list. */
  setHeader(name: string, value: string | string[]): unknown;
  /** Ends the response with the body, if any. */
  end(text?: string): unknown;
}

/** What {@link sendToReply} uses of a Fastify reply. */
export interface ReplyLike {
  /** Sets the status. */
  code(status: number): unknown;
  /** Sets one header, repeated values as a list. */
  header(name: string, value: string | string[]): unknown;
  /** Sends the body and ends the reply. */
  send(payload?: Buffer): unknown;
}

/** Writes `answer` on a Node response and ends it. */
export function sendToNode(res: NodeResponse, answer: HttpAnswer): void {
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.end(answerText(answer));
}

/** Sends `answer` through a Fastify reply. */
export function sendToReply(reply: ReplyLike, answer: HttpAnswer): void {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  const text = answerText(answer);
  // Bytes, not a string: Fastify appends `; charset=utf-8` to a JSON type it is handed a
  // string for (an object too), and the answer's Content-Type is sent as the core wrote it.
  reply.send(text === undefined ? undefined : Buffer.from(text));
}
