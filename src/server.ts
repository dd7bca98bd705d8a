import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { PothosValidationError } from "@pothos/core";
import { GraphQLError } from "graphql";
import { createYoga, maskError, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import type { Context } from "./context.ts";
import type { PrismaClient, SqlReader } from "./db/client.ts";
import { useMutationScopePreflight } from "./auth/mutation-preflight.ts";
import { useAuditLog } from "./audit/recorder.ts";
import { useOperationLimits } from "./limits/plugin.ts";
import { useSharedSubscriptions } from "./limits/shared-subscriptions.ts";
import { createLoaders } from "./loaders.ts";
import { createWebhookHandler } from "./messages/webhook-route.ts";
import { createPaymentWebhookHandler } from "./billing/webhook-route.ts";
import { compilePhoneNumbers } from "./numbers/compiled-read.ts";
import { createOperationsRoutes, createOperationsServer, observeRequest } from "./observability/http.ts";
import { Metrics } from "./observability/metrics.ts";
import { readOutboxDepths } from "./observability/outboxes.ts";
import { usePrometheusMetrics } from "./observability/prometheus.ts";
import { useRequestLog } from "./observability/request-log.ts";
import { attachWebSockets, type SocketExtra } from "./websocket.ts";
import { useCompiledReads } from "./schema/compiled-reads.ts";
import { useGraphiQLPage } from "./graphiql.ts";
import { useCompression } from "./http/compression.ts";
import { schema } from "./schema/index.ts";
import type { Services } from "./services.ts";

export interface AppDependencies {
  config: Config;
  prisma: PrismaClient;
  sql: SqlReader;
  services: Services;
  logger: Logger;
  /** This app's Prometheus metrics (its own registry); a fresh set when not given. */
  metrics?: Metrics;
  /** Envelop plugins of an OpenTelemetry tracer (src/observability/tracing.ts), when traces are exported. */
  tracingPlugins?: Plugin[];
}

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  /** An HTTP server serving /graphql, the webhooks, /healthz, /readyz and (without METRICS_PORT) /metrics; not yet listening. */
  httpServer: Server;
  /** With METRICS_PORT: the server of /metrics, /healthz and /readyz alone; not yet listening. */
  operationsServer?: Server;
  metrics: Metrics;
  /**
   * Stops accepting connections and resolves once every request already received has finished,
   * even those whose client went away (their resolvers still run), so the database can close.
   */
  drain(): Promise<void>;
}

/**
 * Builds the server: yoga on /graphql (HTTP and SSE), the webhooks and the operations routes
 * (health, readiness, metrics; src/observability/). It does not listen, so
 * tests run it in-process through `yoga.fetch` or start it on a port.
 */
export function createApp({ config, prisma, sql, services, logger, metrics = new Metrics(), tracingPlugins = [] }: AppDependencies): App {
  metrics.trackOutboxes(() => readOutboxDepths(sql, 2_000));
  const requestLog = useRequestLog({ logger, metrics });
  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    logging: {
      debug: (...args) => logger.debug(args.length === 1 ? args[0] : args),
      info: (...args) => logger.info(args.length === 1 ? args[0] : args),
      warn: (...args) => logger.warn(args.length === 1 ? args[0] : args),
      error: (...args) => logger.error(args.length === 1 ? args[0] : args),
    },
    // GraphiQL is served by useGraphiQLPage (src/graphiql.ts), from a bundle (no CDN that these
    // machines and many firewalls cannot reach), rendered and compressed once.
    graphiql: false,
    // Unexpected errors are masked; GraphQLErrors we raise (UNAUTHENTICATED, FORBIDDEN, ...) pass
    // through, and Pothos' argument checks (a negative `first`, ...) are coded as the client's mistake.
    maskedErrors: { maskError: codePothosValidationErrors },
    plugins: [useMalformedParamsAsBadRequest(),
      // First, so they see every operation's outcome, refusals included (a refusing plugin stops the ones after it).
      ...observabilityPlugins(metrics, requestLog, tracingPlugins),
      ...(config.graphiql ? [useGraphiQLPage({ schema, endpoint: "/graphql", compression: config.compression.enabled })] : []),
      // Before the scope preflight, so a mutation it refuses (FORBIDDEN) is recorded too.
      useAuditLog({ prisma, logger }),
      useMutationScopePreflight(),
      // Before the limits, which then refuse or charge an operation before it runs, compiled or not.
      useCompiledReads({ enabled: config.compiledReads, compilers: { phoneNumbers: compilePhoneNumbers }, logger }),
      useOperationLimits({ limits: config.limits, rateLimits: services.rateLimits, subscriptions: services.subscriptionBounds, logger }),
      // After the limits, so every subscriber is bounded and charged before it joins a shared stream.
      useSharedSubscriptions(config.subscriptionMaxBacklog),
      // Last, so it compresses the answer every other plugin has finished with.
      useCompression(config.compression),
    ],
    context: async (initial): Promise<Context> => {
      // HTTP and SSE authenticate from headers; WebSocket operations carry the caller that
      // authenticated the connection (graphql-ws onConnect, from connectionParams).
      const socketCaller = (initial as unknown as { extra?: SocketExtra }).extra?.caller;
      const caller = socketCaller ?? (await authenticateRequest(initial as unknown as { request: Request; req?: IncomingMessage }));
      return {
        caller,
        prisma,
        sql,
        services,
        loaders: createLoaders(prisma),
        // Every line a request writes names it (WebSocket operations: their connection's id).
        logger: logger.child({ requestId: socketCaller ? (initial as unknown as { extra: SocketExtra }).extra.requestId : requestLog.requestIdOf(initial.request), org: caller.organizationId, subject: caller.subject }),
      };
    },
  });

  /** Credentials of an HTTP or SSE request; an address that failed too often gets 429 before they are looked at. */
  async function authenticateRequest({ request, req }: { request: Request; req?: IncomingMessage }) {
    const address = req?.socket.remoteAddress ?? "unknown";
    const blocked = services.rateLimits.checkAddress(address);
    if (blocked) throw blocked;
    try {
      return await services.authenticator.authenticate({ apiKey: request.headers.get("x-api-key"), authorization: request.headers.get("authorization") });
    } catch (error) {
      throw (await services.rateLimits.authenticationFailed(address)) ?? error;
    }
  }

  const inFlight = new Set<Promise<unknown>>();
  const webhook = createWebhookHandler({ config, prisma, messages: services.messages, logger });
  const paymentWebhook = createPaymentWebhookHandler({ providers: [...new Set([services.payments.sandbox, services.payments.live])], billing: services.billing, prisma, logger });
  const operations = createOperationsRoutes({ metrics, sql, bus: services.bus, logger });
  // With METRICS_PORT, /metrics leaves the public port; liveness and readiness answer on both.
  const operationsServer = config.metricsPort === undefined ? undefined : createOperationsServer(operations);
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    observeRequest(req, res, logger);
    if (operations.handle(req, res, !operationsServer)) return;
    const handled = Promise.resolve(webhook(req, res) ?? paymentWebhook(req, res) ?? withBodyLimit(req, res, config.maxBodyBytes, () => yoga.requestListener(req, res))).catch((error) =>
      logger.error({ err: error }, "request failed"),
    );
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });

  const sockets = attachWebSockets({ yoga, httpServer, services, config, logger });

  const drain = async () => {
    operationsServer?.close();
    operationsServer?.closeAllConnections();
    // Subscribers are told the server is going away (1001) so their clients reconnect elsewhere.
    await sockets.close();
    const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    httpServer.closeIdleConnections();
    // Responses finished after close() carry `Connection: close`; idle keep-alive sockets are closed.
    const idleSweep = setInterval(() => httpServer.closeIdleConnections(), 100);
    try {
      // In-flight requests finish, within the time a request may run (a stuck one does not hold the stop).
      const patience = new Promise((resolve) => setTimeout(resolve, config.limits.timeoutMs + 5_000).unref());
      while (inFlight.size > 0) {
        const settled = await Promise.race([Promise.allSettled([...inFlight]).then(() => true), patience.then(() => false)]);
        if (!settled) {
          logger.warn({ requests: inFlight.size }, "stopping with requests still in flight");
          break;
        }
      }
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    } finally {
      clearInterval(idleSweep);
      httpServer.closeAllConnections();
    }
  };

  return { yoga, httpServer, operationsServer, metrics, drain };
}

/** Metrics, the request log and traces: the same plugins for every transport. */
function observabilityPlugins(metrics: Metrics, requestLog: Plugin, tracingPlugins: Plugin[]): Plugin[] {
  return [usePrometheusMetrics(metrics), requestLog, ...tracingPlugins];
}

/**
 * Reads a request's body up to `maxBytes` before yoga sees it; a larger one (by Content-Length, or
 * counted as it arrives) gets 413 without being parsed. The read body is handed to yoga as `req.body`.
 */
async function withBodyLimit(req: IncomingMessage, res: ServerResponse, maxBytes: number, next: () => unknown): Promise<unknown> {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
  const tooLarge = () => {
    const body = JSON.stringify({
      errors: [{ message: `The request body is larger than ${maxBytes} bytes`, extensions: { code: "REQUEST_TOO_LARGE", limit: maxBytes } }],
    });
    // The rest of the body is discarded unparsed so the client can read this answer; a client
    // still sending after 5 s is cut off.
    res.writeHead(413, { "content-type": "application/json" }).end(body);
    req.resume();
    setTimeout(() => req.destroy(), 5_000).unref();
  };
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge();
  const body = await new Promise<Buffer | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off("data", onData);
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
  if (!body) return tooLarge();
  (req as IncomingMessage & { body?: Buffer }).body = body;
  return next();
}

function codePothosValidationErrors(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  if (error instanceof GraphQLError && original instanceof PothosValidationError) {
    // The same error, coded (yoga logs every error it is handed back a replacement for).
    (error.extensions as Record<string, unknown>).code ??= "BAD_USER_INPUT";
    return error;
  }
  return maskError(error, message, isDev);
}

/** `variables` or `extensions` that are not JSON (in a GET query string or a form body) are a 400, not a 500. */
function useMalformedParamsAsBadRequest(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          throw new GraphQLError(`The request's variables or extensions are not valid JSON: ${error.message}`, {
            extensions: { code: "BAD_REQUEST", http: { status: 400 } },
          });
        }
      });
    },
  };
}
