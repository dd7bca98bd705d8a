import type { Span, Tracer } from "@opentelemetry/api";
import { getOperationAST, type DocumentNode, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";

export interface Tracing {
  /** The envelop plugin that opens a span per GraphQL operation. */
  plugin: Plugin;
  /** Exports the spans still buffered and stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry traces over OTLP/HTTP (JSON), started only when an exporter is configured: the SDK
 * and the exporter are imported here, on demand, so a server without tracing loads none of them.
 * The exporter's other standard settings (OTEL_EXPORTER_OTLP_HEADERS, ..._TIMEOUT) are read by the
 * exporter itself.
 */
export async function startTracing(settings: { url: string; serviceName: string }, logger: Logger): Promise<Tracing> {
  const [{ BatchSpanProcessor, TracerProvider }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: settings.url }), scheduledDelayMillis: 1_000 })],
  });
  logger.info({ url: settings.url, serviceName: settings.serviceName }, "OpenTelemetry traces are exported");
  return {
    plugin: useOperationSpans(provider.getTracer("switchboard")),
    async shutdown() {
      await provider.shutdown().catch((error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, "exporting the last traces failed"));
    },
  };
}

/** SpanKind.SERVER and SpanStatusCode.ERROR of @opentelemetry/api, whose runtime this module does not import. */
const SERVER = 1;
const ERROR = 2;

/**
 * A span per GraphQL operation (HTTP, SSE and WebSocket), named `<type> <name>` with the
 * operation's name and type as attributes (graphql.operation.*); an operation whose result holds
 * errors is marked failed with their codes. Never the document, variables or error messages:
 * spans leave the process.
 */
function useOperationSpans(tracer: Tracer): Plugin {
  const start = (document: DocumentNode, operationName: string | null | undefined): Span => {
    const operation = getOperationAST(document, operationName);
    const name = operation?.name?.value ?? "anonymous";
    const type = operation?.operation ?? "unknown";
    return tracer.startSpan(`${type} ${name}`, { kind: SERVER, attributes: { "graphql.operation.name": name, "graphql.operation.type": type } });
  };
  const finish = (span: Span, result: ExecutionResult | undefined) => {
    const codes = (result?.errors ?? []).map((error) => String(error.extensions?.code ?? "UNCODED"));
    if (codes.length) {
      span.setAttribute("graphql.error.codes", [...new Set(codes)].join(","));
      span.setStatus({ code: ERROR, message: codes.join(",") });
    }
    span.end();
  };
  return {
    onExecute({ args }) {
      const span = start(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return { onEnd: () => span.end() };
          finish(span, result as ExecutionResult);
          return undefined;
        },
      };
    },
    onSubscribe({ args }) {
      const span = start(args.document, args.operationName);
      return {
        onSubscribeResult({ result }) {
          if (Symbol.asyncIterator in result) return { onEnd: () => span.end() };
          finish(span, result as ExecutionResult);
          return undefined;
        },
        onSubscribeError() {
          span.setStatus({ code: ERROR });
          span.end();
        },
      };
    },
  };
}
