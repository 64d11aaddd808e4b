/**
 * How a refusal leaves Nest: the guard throws an {@link AuthRefusal}, and
 * {@link AuthRefusalFilter} sends its answer through the platform as it is. Nest's own
 * exception filter would not: it replaces a problem+json Content-Type with
 * `application/json` on Express, and Fastify adds a charset to any JSON type.
 */
import type { ArgumentsHost, ExceptionFilter } from "@nestjs/common";
import { Catch, HttpException } from "@nestjs/common";
import type { AuthError } from "../../src/errors.js";
import type { HttpAnswer } from "../../src/http/answer.js";
import type { NodeResponse, ReplyLike } from "../shared/node-answer.js";
import { sendToNode, sendToReply } from "../shared/node-answer.js";

/**
 * A refusal as Nest sees it: an `HttpException` with the core's status whose response is
 * the problem body. {@link AuthRefusal.answer} is the whole answer, headers included
 * (`WWW-Authenticate`, `Retry-After`…), for an exception filter of your own.
 */
export class AuthRefusal extends HttpException {
  /** The core's error, with its stable `code`. */
  readonly error: AuthError;
  /** The answer to send: status, headers and the problem body. */
  readonly answer: HttpAnswer;

  constructor(error: AuthError, answer: HttpAnswer) {
    super((answer.body ?? {}) as Record<string, unknown>, answer.status, { cause: error });
    this.error = error;
    this.answer = answer;
  }
}

/** The response as a guard, a filter or a middleware gets it on either platform. */
interface PlatformResponse {
  /** Fastify's reply: the Node response. */
  raw?: unknown;
  headersSent?: boolean;
  sent?: boolean;
  code?(status: number): unknown;
  header?(name: string, value: string | string[]): unknown;
  send?(payload?: Buffer): unknown;
  statusCode?: number;
  setHeader?(name: string, value: string | string[]): unknown;
  end?(text?: string): unknown;
}

const isFastifyReply = (res: PlatformResponse): boolean =>
  typeof res.raw === "object" && res.raw !== null && typeof res.code === "function";

/**
 * Sends an answer, field for field, through Fastify's reply (so its hooks still run) or
 * the Node response (Express's response is one, and so is what middleware gets).
 */
export function sendAnswer(res: PlatformResponse, answer: HttpAnswer): void {
  if (isFastifyReply(res)) sendToReply(res as ReplyLike, answer);
  else sendToNode(res as NodeResponse, answer);
}

/**
 * Sends an {@link AuthRefusal}'s answer unchanged. `GatehouseModule.forRoot` registers it
 * for the whole app; with a guard made by hand and no module, register it yourself:
 * `app.useGlobalFilters(new AuthRefusalFilter())`.
 */
export class AuthRefusalFilter implements ExceptionFilter<AuthRefusal> {
  /** Writes the refusal's answer to the HTTP response. */
  catch(refusal: AuthRefusal, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<PlatformResponse>();
    // Something else answered first; there is nothing left to say.
    if (res.sent === true || res.headersSent === true) return;
    sendAnswer(res, refusal.answer);
  }
}

Catch(AuthRefusal)(AuthRefusalFilter);
