import { preSerialized } from "../schema/compiled-reads.ts";
import { getOperationAST, GraphQLError, parse, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { Context } from "../context.ts";
import { operationCost, type OperationCost } from "./cost.ts";
import { runWithDeadline } from "./deadline.ts";
import { checkDocumentSize, limitError, maxAliasesRule, maxDirectivesRule } from "./document.ts";
import type { BudgetState, RateLimits } from "./rate-limits.ts";
import type { SubscriptionBounds } from "./subscription-bounds.ts";

export interface OperationLimits {
  maxCost: number;
  maxDepth: number;
  maxBreadth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxNesting: number;
  /** Execution deadline of a query or mutation. */
  timeoutMs: number;
  /** Largest JSON response of a query or mutation. */
  maxResponseBytes: number;
}

/** What one request measured, for its response headers and its log line. */
interface Measured {
  cost: OperationCost;
  budget?: BudgetState;
}

type YogaContext = Omit<Context, "logger"> & { logger?: Logger; request?: Request; extra?: unknown };

/**
 * Every operation is bounded before it runs, on HTTP, SSE and WebSocket alike (they share yoga's
 * envelop): the document's size and nesting when it is parsed; aliases and directives when it is
 * validated; depth, breadth and cost (with its variables) just before execution, followed by the
 * rate-limit budgets weighted by that cost. Execution then runs under a deadline, and a response
 * larger than the cap is replaced by an error.
 */
export function useOperationLimits(deps: {
  limits: OperationLimits;
  rateLimits: RateLimits;
  subscriptions: SubscriptionBounds;
  logger: Logger;
}): Plugin<Context> {
  const { limits, rateLimits, subscriptions, logger } = deps;

  /** One line per refusal, so operators see who hits which limit (never the document or its variables). */
  const logRefusal = (context: YogaContext, operationName: string | null | undefined, error: GraphQLError) =>
    // The request's own logger when there is one: its line then names the request id.
    (context.logger ?? logger).info({ code: error.extensions.code, budget: error.extensions.budget, subject: context.caller?.subject, operationName: operationName ?? undefined }, error.message);
  const measured = new WeakMap<Request, Measured>();

  /** Depth, breadth, cost and rate budgets of the operation about to run; an error refuses it. */
  const admit = async (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: unknown, context: YogaContext) => {
    const operation = getOperationAST(document, operationName);
    if (!operation) return undefined; // execution reports the unknown operation
    let cost: OperationCost;
    try {
      cost = operationCost(schema, document, operation, variables as Record<string, unknown> | undefined);
    } catch (error) {
      // Variables that do not fit the operation, or a malformed id an argument parses: the client's input.
      if (error instanceof GraphQLError) return new GraphQLError(error.message, { extensions: { ...error.extensions, code: error.extensions.code ?? "BAD_USER_INPUT" } });
      throw error;
    }
    if (cost.depth > limits.maxDepth) {
      return limitError("DEPTH_LIMIT_EXCEEDED", `The operation is ${cost.depth} fields deep; the limit is ${limits.maxDepth}`, { depth: cost.depth, limit: limits.maxDepth });
    }
    if (cost.breadth > limits.maxBreadth) {
      return limitError("BREADTH_LIMIT_EXCEEDED", `The operation selects ${cost.breadth} fields; the limit is ${limits.maxBreadth}`, { breadth: cost.breadth, limit: limits.maxBreadth });
    }
    if (cost.cost > limits.maxCost) {
      return limitError("COST_LIMIT_EXCEEDED", `The operation costs ${cost.cost}; the limit is ${limits.maxCost}. Ask for smaller pages (first/last) or fewer nested lists.`, {
        cost: cost.cost,
        limit: limits.maxCost,
      });
    }
    const decision = await rateLimits.consume(context.caller, cost.cost, cost.carrierUnits);
    if (context.request) measured.set(context.request, { cost, budget: decision.budget });
    return decision.allowed ? undefined : decision.error;
  };

  /** Admits the operation, or answers it with the refusal (logged once) and says so. */
  const refused = async (
    args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: unknown; contextValue: unknown },
    stop: (result: ExecutionResult) => void,
  ): Promise<boolean> => {
    const context = args.contextValue as YogaContext;
    const error = await admit(args.schema, args.document, args.operationName, args.variableValues, context);
    if (!error) return false;
    logRefusal(context, args.operationName, error);
    stop({ errors: [error] });
    return true;
  };

  return {
    onParse({ setParseFn }) {
      setParseFn((source, options) => {
        const text = typeof source === "string" ? source : source.body;
        const refused = checkDocumentSize(text, limits);
        if (refused) throw refused;
        return parse(source, options);
      });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(maxAliasesRule(limits.maxAliases));
      addValidationRule(maxDirectivesRule(limits.maxDirectives));
    },
    async onExecute({ args, setExecuteFn, executeFn, setResultAndStopExecution }) {
      const context = args.contextValue as YogaContext;
      if (await refused(args, setResultAndStopExecution)) return;
      // Queries run under the deadline. A mutation is not cut off halfway through its writes: it is
      // bounded by its cost and the carrier's own deadlines, and finishes what it started.
      if (getOperationAST(args.document, args.operationName)?.operation === "query") {
        setExecuteFn((executionArgs) =>
          runWithDeadline(limits.timeoutMs, context.request?.signal, (signal) => executeFn({ ...executionArgs, signal } as typeof executionArgs)),
        );
      }
      return {
        onExecuteDone({ result, setResult }) {
          if (!isExecutionResult(result)) return;
          if (context.extra) {
            // WebSocket: graphql-ws serializes the result itself, so it is measured here.
            const refusal = oversized(JSON.stringify(result), limits.maxResponseBytes);
            if (refusal) setResult(refusal);
            return;
          }
          // HTTP and SSE: yoga serializes with the result's own `stringify` when it has one, so the
          // response is measured as it is written, once, not serialized twice.
          (result as ExecutionResult & { stringify?: (value: unknown) => string }).stringify = (sanitized) => {
            const text = preSerialized(sanitized) ?? JSON.stringify(sanitized);
            const refusal = oversized(text, limits.maxResponseBytes);
            return refusal ? JSON.stringify(refusal) : text;
          };
        },
      };
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const context = args.contextValue as YogaContext;
      if (await refused(args, setResultAndStopExecution)) return;
      // WebSocket subscriptions are counted by the socket server (src/websocket.ts); SSE ones here.
      if (context.extra) return;
      const release = subscriptions.acquire(context.caller.subject);
      if (typeof release === "string") {
        setResultAndStopExecution({ errors: [new GraphQLError(release, { extensions: { code: "RATE_LIMITED", http: { status: 429 } } })] });
        return;
      }
      return {
        onSubscribeResult() {
          return { onEnd: release };
        },
      };
    },
    onResponse({ request, response }) {
      const state = measured.get(request);
      if (!state) return;
      response.headers.set("operation-cost", String(state.cost.cost));
      if (state.budget) {
        response.headers.set("ratelimit-limit", String(state.budget.limit));
        response.headers.set("ratelimit-remaining", String(state.budget.remaining));
        response.headers.set("ratelimit-reset", String(state.budget.resetSeconds));
        response.headers.set("ratelimit-policy", `${state.budget.limit};w=${rateLimits.settings.windowSeconds}`);
      }
    },
  };
}

/** The response that replaces a serialized one larger than the cap, or undefined when it fits. */
function oversized(text: string, limit: number): ExecutionResult | undefined {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most responses are known to fit without a pass.
  if (text.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(text);
  if (bytes <= limit) return undefined;
  return {
    data: null,
    errors: [limitError("RESPONSE_TOO_LARGE", `The response would be ${bytes} bytes; the limit is ${limit}. Ask for smaller pages or fewer fields.`, { bytes, limit })],
  };
}

function isExecutionResult(result: unknown): result is ExecutionResult {
  return typeof result === "object" && result !== null && !(Symbol.asyncIterator in result);
}
