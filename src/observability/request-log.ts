import type { IncomingMessage } from "node:http";
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { Context } from "../context.ts";
import { markLoggedAsOperation } from "./http.ts";
import { codeLabel, isRefusal, type Metrics } from "./metrics.ts";
import { requestIdFrom } from "./request-id.ts";

/** What one operation's log line says, gathered along yoga's hooks. */
interface Operation {
  requestId: string;
  started: number;
  /** A GraphQL operation was asked for (the request's parameters were parsed). */
  graphql: boolean;
  operationName?: string;
  operationType?: string;
  organizationId?: string | null;
  codes: string[];
}

type YogaContext = Partial<Context> & { request?: Request; extra?: { requestId?: string } };

/**
 * One log line (info) per GraphQL operation, with its request id, organization, operation name and
 * type, duration, outcome (ok, or the error codes) and HTTP status; its errors counted by code and
 * its refusals by code and budget. HTTP and SSE operations are logged when the response starts
 * (a subscription's line says it started); WebSocket ones when a query or mutation finishes or a
 * subscription starts. Never a header, a document or a variable: nothing secret reaches the line.
 *
 * The request id (src/observability/http.ts gave it, or it is made here for in-process requests) is
 * echoed in the `x-request-id` response header and carried by the context's logger, so every line
 * a request writes names it.
 */
export function useRequestLog(deps: { logger: Logger; metrics: Metrics }): Plugin & { requestIdOf(request: Request | undefined): string | undefined } {
  const { logger, metrics } = deps;
  const operations = new WeakMap<Request, Operation>();

  const outcomeOf = (operation: Pick<Operation, "operationName" | "operationType">, errors: readonly GraphQLError[] | undefined): string[] => {
    const codes = (errors ?? []).map((error) => codeLabel(error.extensions?.code));
    const labels = { operation_name: metrics.operationLabel(operation.operationName), operation_type: operation.operationType ?? "unknown" };
    for (const [index, code] of codes.entries()) {
      metrics.graphqlErrors.inc({ ...labels, code });
      if (isRefusal(code)) metrics.refusals.inc({ code, budget: budgetLabel(errors![index]!.extensions?.budget) });
    }
    return codes;
  };

  const describe = (context: YogaContext, args: { document: Parameters<typeof getOperationAST>[0]; operationName?: string | null }) => {
    const ast = getOperationAST(args.document, args.operationName);
    return { operationName: ast?.name?.value ?? args.operationName ?? undefined, operationType: ast?.operation, organizationId: context.caller?.organizationId };
  };

  /** The line of a WebSocket operation (no HTTP request: the socket's id stands for it). */
  const logSocketOperation = (context: YogaContext, described: ReturnType<typeof describe>, started: number, result: ExecutionResult | undefined) => {
    const codes = outcomeOf(described, result?.errors);
    logger.info(
      { requestId: context.extra?.requestId, transport: "ws", org: described.organizationId ?? undefined, operationName: described.operationName, operationType: described.operationType, durationMs: Math.round(performance.now() - started), outcome: codes.length ? codes.join(",") : "ok" },
      "graphql operation",
    );
  };

  /**
   * An operation about to run: over HTTP/SSE its request's record is completed (logged when the
   * response starts); over a WebSocket the returned function logs it once its result is known.
   */
  const startOperation = (args: { contextValue: unknown; document: Parameters<typeof getOperationAST>[0]; operationName?: string | null }) => {
    const context = args.contextValue as YogaContext;
    const described = describe(context, args);
    const operation = context.request && operations.get(context.request);
    if (operation) {
      Object.assign(operation, described);
      return undefined;
    }
    if (!context.extra) return undefined;
    const started = performance.now();
    return (result: ExecutionResult | undefined) => logSocketOperation(context, described, started, result);
  };

  return {
    requestIdOf: (request) => (request ? operations.get(request)?.requestId : undefined),
    onRequest({ request }) {
      operations.set(request, { requestId: requestIdFrom(request.headers.get("x-request-id")), started: performance.now(), graphql: false, codes: [] });
    },
    onParams({ request, params }) {
      const operation = operations.get(request);
      if (!operation) return;
      operation.graphql = true;
      if (typeof params.operationName === "string") operation.operationName = params.operationName.slice(0, 100);
    },
    onParse({ context }) {
      const request = (context as YogaContext).request;
      const operation = request && operations.get(request);
      if (!operation) return;
      // Named from the document as soon as it is parsed, so a request refused before it runs
      // (401, 429, validation) is logged with its operation too.
      return ({ result }) => {
        if (!result || result instanceof Error) return;
        const ast = getOperationAST(result as DocumentNode, operation.operationName);
        operation.operationName = ast?.name?.value ?? operation.operationName;
        operation.operationType = ast?.operation;
      };
    },
    onExecute({ args }) {
      const log = startOperation(args);
      if (!log) return;
      return { onExecuteDone: ({ result }) => log(Symbol.asyncIterator in result ? undefined : (result as ExecutionResult)) };
    },
    onSubscribe({ args }) {
      const log = startOperation(args);
      if (!log) return;
      return {
        onSubscribeResult: ({ result }) => log(Symbol.asyncIterator in result ? undefined : (result as ExecutionResult)),
        onSubscribeError: ({ error }) => log({ errors: [error as GraphQLError] }),
      };
    },
    onExecutionResult({ request, result }) {
      const operation = operations.get(request);
      if (!operation || !result || Symbol.asyncIterator in result) return;
      const results = (Array.isArray(result) ? result : [result]) as ExecutionResult[];
      for (const single of results) operation.codes.push(...outcomeOf(operation, single.errors));
    },
    onResponse({ request, response, serverContext }) {
      const operation = operations.get(request);
      if (!operation) return;
      response.headers.set("x-request-id", operation.requestId);
      if (!operation.graphql) return;
      markLoggedAsOperation((serverContext as { req?: IncomingMessage } | undefined)?.req);
      logger.info(
        {
          requestId: operation.requestId,
          transport: response.headers.get("content-type")?.startsWith("text/event-stream") ? "sse" : "http",
          org: operation.organizationId ?? undefined,
          operationName: operation.operationName,
          operationType: operation.operationType,
          durationMs: Math.round(performance.now() - operation.started),
          outcome: operation.codes.length ? [...new Set(operation.codes)].join(",") : "ok",
          status: response.status,
        },
        "graphql operation",
      );
    },
  };
}

function budgetLabel(budget: unknown): string {
  return typeof budget === "string" && /^[A-Z_]{1,32}$/.test(budget) ? budget : "NONE";
}
