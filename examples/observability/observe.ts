/**
 * gatehouse events → OpenTelemetry metrics and spans, and pino logs.
 *
 * `observe({ logger })` returns an `onEvent` for `createAuth`. It records:
 *
 * - metrics (through the global OpenTelemetry meter; register a MeterProvider as usual):
 *   `gatehouse.auth.outcomes` (counter; `outcome`, `source`, `code`, `reason`),
 *   `gatehouse.key.changes` (counter; `action`), `gatehouse.tokens.issued` (counter; `grant`);
 * - traces: authentication outcomes as span events on the active span (the request's span
 *   from your HTTP instrumentation), and key changes and token issuance as spans of their
 *   own, so that an audit entry can be found from the trace of the request that made it;
 * - logs: one pino line per event, at a level that matches what it means.
 *
 * Attributes hold only what events hold: ids, codes and reasons, never a key, a secret, a
 * hash or a token. Principal and key ids are high-cardinality, so they go on spans and logs,
 * not on metrics.
 */
import { metrics, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";
import pino, { type Logger } from "pino";
import type { AuthEvent } from "../../src/index.js";

export interface ObserveOptions {
  /** Where log lines go. Default: a pino logger on stdout named `gatehouse`. */
  logger?: Logger;
  /** The OpenTelemetry instrumentation scope. Default `"gatehouse"`. */
  scope?: string;
}

/** The `onEvent` of `createAuth`, reporting every event to OpenTelemetry and pino. */
export function observe(options: ObserveOptions = {}): (event: AuthEvent) => void {
  const scope = options.scope ?? "gatehouse";
  const logger = options.logger ?? pino({ name: "gatehouse" });
  const meter = metrics.getMeter(scope);
  const tracer = trace.getTracer(scope);
  const outcomes = meter.createCounter("gatehouse.auth.outcomes", {
    description: "Authentication outcomes, by outcome, credential source, code and reason",
  });
  const keyChanges = meter.createCounter("gatehouse.key.changes", {
    description: "API-key changes made through the key manager, by action",
  });
  const tokensIssued = meter.createCounter("gatehouse.tokens.issued", {
    description: "Access tokens issued by the token endpoint, by grant",
  });

  /** A span for something that happened at one instant: it starts and ends at once. */
  function instant(name: string, attributes: Attributes): void {
    tracer.startSpan(name, { attributes }).end();
  }

  return (event) => {
    switch (event.type) {
      case "authenticated": {
        outcomes.add(1, { outcome: "authenticated", source: event.source });
        trace.getActiveSpan()?.addEvent("gatehouse.authenticated", {
          "gatehouse.source": event.source,
          "enduser.id": event.principalId,
          ...(event.keyId === undefined ? {} : { "gatehouse.key_id": event.keyId }),
        });
        logger.debug(event, "authenticated");
        return;
      }
      case "failed": {
        outcomes.add(1, {
          outcome: "failed",
          source: event.source,
          code: event.code,
          reason: event.reason,
        });
        trace.getActiveSpan()?.addEvent("gatehouse.failed", {
          "gatehouse.source": event.source,
          "gatehouse.code": event.code,
          "gatehouse.reason": event.reason,
          ...(event.keyId === undefined ? {} : { "gatehouse.key_id": event.keyId }),
        });
        logger.info(event, "authentication failed");
        return;
      }
      case "unavailable": {
        outcomes.add(1, { outcome: "unavailable", source: event.source, reason: event.reason });
        const span = trace.getActiveSpan();
        span?.addEvent("gatehouse.unavailable", {
          "gatehouse.source": event.source,
          "gatehouse.reason": event.reason,
        });
        // The caller got a 503: the request's span failed, whatever the handler did.
        span?.setStatus({ code: SpanStatusCode.ERROR, message: `gatehouse: ${event.reason}` });
        logger.error(event, "authentication unavailable");
        return;
      }
      case "key_changed": {
        keyChanges.add(1, { action: event.action });
        instant("gatehouse.key_changed", {
          "gatehouse.action": event.action,
          "gatehouse.key_id": event.keyId,
          "gatehouse.owner_id": event.ownerId,
          "gatehouse.changed_fields": Object.keys(event.changes),
          ...(event.actor === null
            ? {}
            : {
                "enduser.id": event.actor.id,
                "gatehouse.actor_via": event.actor.via,
                ...(event.actor.keyId === undefined
                  ? {}
                  : { "gatehouse.actor_key_id": event.actor.keyId }),
              }),
        });
        // The audit trail: keep these at info or above wherever logs are kept longest.
        logger.info({ audit: true, ...event }, `key ${event.action}`);
        return;
      }
      case "token_issued": {
        tokensIssued.add(1, { grant: event.grant });
        instant("gatehouse.token_issued", {
          "gatehouse.grant": event.grant,
          "enduser.id": event.sub,
          "gatehouse.client_id": event.clientId,
          ...(event.keyId === undefined ? {} : { "gatehouse.key_id": event.keyId }),
        });
        logger.info(event, "token issued");
        return;
      }
    }
  };
}
