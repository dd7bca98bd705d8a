import { createCounter, createHistogram, usePrometheus } from "@graphql-yoga/plugin-prometheus";
import type { Plugin } from "graphql-yoga";
import type { Metrics } from "./metrics.ts";

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Requests and latency per operation from the yoga Prometheus plugin, on this app's registry:
 * `graphql_envelop_request_total` and `graphql_envelop_request_duration_seconds` for every operation
 * that ran (HTTP, SSE and WebSocket, labelled by operation name and type), and
 * `graphql_yoga_http_duration_seconds` for every GraphQL HTTP request by status (401s and 429s
 * included). The plugin's own labels are replaced: its URL label and the raw client-sent operation
 * name are unbounded. Operation names are registered only once an operation runs (its caller is
 * authenticated); the other metrics reuse known names and call the rest "other". Errors are counted
 * by code in the request log (switchboard_graphql_errors_total), which sees the final codes.
 * /metrics is served by the operations routes, not by the plugin.
 */
export function usePrometheusMetrics(metrics: Metrics): Plugin {
  const { registry } = metrics;
  const operation = (params: { operationName?: string; operationType?: string }, register: boolean) => ({
    operationName: metrics.operationLabel(params.operationName, register),
    operationType: params.operationType ?? "unknown",
  });
  return usePrometheus({
    registry,
    endpoint: false,
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: { name: "graphql_envelop_request", help: "GraphQL operations executed, by operation name and type", labelNames: ["operationName", "operationType"] },
        fillLabelsFn: (params) => operation(params, true),
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: "graphql_envelop_request_duration",
          help: "Time spent running a GraphQL operation (for a subscription, until it ends), in seconds",
          labelNames: ["operationName", "operationType"],
          buckets: DURATION_BUCKETS,
        },
        fillLabelsFn: (params) => operation(params, true),
      }),
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: {
          name: "graphql_yoga_http_duration",
          help: "Time spent on a GraphQL HTTP request, by operation and HTTP status, in seconds",
          labelNames: ["operationName", "operationType", "statusCode"],
          buckets: DURATION_BUCKETS,
        },
        fillLabelsFn: (params: { operationName?: string; operationType?: string; response?: Response }) => ({
          ...operation(params, false),
          statusCode: params.response?.status ?? 0,
        }),
      }),
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_error_result: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_schema_change: false,
      graphql_envelop_execute_resolver: false,
    },
  });
}
