import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { SqlReader } from "../db/client.ts";
import type { EventBus } from "../events/pubsub.ts";
import type { Metrics } from "./metrics.ts";
import { withTimeout } from "./outboxes.ts";
import { requestIdFrom } from "./request-id.ts";

/** How long /readyz waits for the database (and Redis) before it calls them unreachable. */
const READINESS_TIMEOUT_MS = 2_000;

export interface OperationsRoutes {
  /** Answers /healthz (and its alias /health), /readyz and, when `withMetrics`, /metrics; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, withMetrics: boolean): boolean;
}

/**
 * The routes an orchestrator and a scraper call: liveness (the process answers), readiness (the
 * database, and Redis when configured, answer within 2 s; 503 naming what failed otherwise) and the
 * Prometheus metrics. Readiness never reports more than "unreachable": driver messages can name
 * hosts, and connection strings can hold passwords; the detail goes to the log.
 */
export function createOperationsRoutes(deps: { metrics: Metrics; sql: SqlReader; bus: Pick<EventBus, "kind" | "ping">; logger: Logger }): OperationsRoutes {
  const { metrics, sql, bus, logger } = deps;

  const check = async (name: string, probe: () => Promise<unknown>): Promise<[string, string]> => {
    try {
      await withTimeout(probe(), READINESS_TIMEOUT_MS, name);
      return [name, "ok"];
    } catch (error) {
      logger.warn({ check: name, err: error instanceof Error ? error.message : String(error) }, "readiness check failed");
      return [name, "unreachable"];
    }
  };

  const readiness = async () => {
    const checks = await Promise.all([
      check("database", () => sql("SELECT 1", [])),
      ...(bus.kind === "redis" ? [check("redis", () => bus.ping())] : []),
    ]);
    const ready = checks.every(([, state]) => state === "ok");
    return { status: ready ? 200 : 503, body: { status: ready ? "ready" : "unavailable", checks: Object.fromEntries(checks) } };
  };

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));

  return {
    handle(req, res, withMetrics) {
      const path = (req.url ?? "").split("?")[0];
      if (path === "/healthz" || path === "/health") {
        json(res, 200, { status: "ok" });
        return true;
      }
      if (path === "/readyz") {
        void readiness().then(({ status, body }) => json(res, status, body));
        return true;
      }
      if (path === "/metrics" && withMetrics) {
        metrics.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" }).end(text),
          (error: unknown) => {
            logger.error({ err: error }, "collecting metrics failed");
            json(res, 500, { error: "collecting metrics failed" });
          },
        );
        return true;
      }
      return false;
    },
  };
}

/** A server of the operations routes alone (METRICS_PORT); 404 for anything else. */
export function createOperationsServer(routes: OperationsRoutes): Server {
  return createServer((req, res) => {
    if (!routes.handle(req, res, true)) res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
  });
}

/** Requests whose line the GraphQL request log writes (the others get the generic line below). */
const loggedAsOperation = new WeakSet<IncomingMessage>();

/** Marks a request as logged per GraphQL operation (src/observability/request-log.ts). */
export function markLoggedAsOperation(req: IncomingMessage | undefined): void {
  if (req) loggedAsOperation.add(req);
}

const QUIET_PATHS = new Set(["/healthz", "/health", "/readyz", "/metrics"]);

/**
 * Gives every HTTP request its id and echoes it: the client's sane `x-request-id` or a new one,
 * written back into the request's headers (so yoga and the webhook routes read the same id) and
 * onto every response, whoever answers it (401, 413, 429, webhooks). Requests that are not a
 * GraphQL operation (webhooks, refused bodies, GraphiQL) get one log line when answered; probes
 * and scrapes none.
 */
export function observeRequest(req: IncomingMessage, res: ServerResponse, logger: Logger): string {
  const requestId = requestIdFrom(req.headers["x-request-id"]);
  req.headers["x-request-id"] = requestId;
  res.setHeader("x-request-id", requestId);
  const path = (req.url ?? "").split("?")[0] ?? "";
  if (QUIET_PATHS.has(path)) return requestId;
  const started = performance.now();
  res.once("finish", () => {
    if (loggedAsOperation.has(req)) return;
    logger.info({ requestId, method: req.method, path: path.length > 200 ? `${path.slice(0, 200)}...` : path, status: res.statusCode, durationMs: Math.round(performance.now() - started) }, "request");
  });
  return requestId;
}
