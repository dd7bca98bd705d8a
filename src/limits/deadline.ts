import { AsyncLocalStorage } from "node:async_hooks";
import { GraphQLError } from "graphql";

/**
 * The execution deadline of a query. When it passes, graphql stops calling resolvers (the executor
 * watches the signal) and every database call the request still attempts fails at once
 * (`assertWithinDeadline`, called by the database adapter), so an abandoned query does no more work.
 */
const deadlines = new AsyncLocalStorage<AbortSignal>();

export function timeoutError(timeoutMs: number): GraphQLError {
  return new GraphQLError(`The query did not finish within ${timeoutMs} ms and was stopped. Ask for less (smaller pages, fewer fields) or retry later.`, {
    extensions: { code: "TIMEOUT", timeoutMs },
  });
}

/** Runs `execute` with a signal that aborts after `timeoutMs` or when the client goes away. */
export async function runWithDeadline<T>(timeoutMs: number, clientSignal: AbortSignal | undefined, execute: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeoutError(timeoutMs)), timeoutMs);
  const onClientGone = () => controller.abort(new GraphQLError("The client went away", { extensions: { code: "CLIENT_CLOSED_REQUEST" } }));
  clientSignal?.addEventListener("abort", onClientGone, { once: true });
  try {
    return await deadlines.run(controller.signal, () => execute(controller.signal));
  } finally {
    clearTimeout(timer);
    clientSignal?.removeEventListener("abort", onClientGone);
  }
}

/** Throws when the current request's deadline has passed (outside a request it never throws). */
export function assertWithinDeadline(): void {
  const signal = deadlines.getStore();
  if (signal?.aborted) throw new Error("The request's deadline passed: database call refused");
}
