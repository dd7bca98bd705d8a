import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { createClient, type Client as WsClient } from "graphql-ws";
import WebSocket from "ws";

export interface Subscription<T> {
  /** The next event, or an error if none arrives within `ms` (a test safety net, not a timing assertion). */
  next(ms?: number): Promise<T>;
  close(): Promise<void>;
}

/** A graphql-ws client (graphql-transport-ws) as a dashboard would open one. */
export function wsClient(httpUrl: string, connectionParams: Record<string, string>, onClose?: (code: number, reason: string) => void): WsClient {
  return createClient({
    url: `${httpUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    // Closing is reported through `on.closed`; the default handler would print the CloseEvent.
    onNonLazyError: () => {},
    on: { closed: (event) => onClose?.((event as { code: number }).code, (event as { reason: string }).reason) },
  });
}

/** Subscribes and waits until the server has accepted the subscription (so no event is missed). */
export async function subscribe<TResult, TVariables>(
  client: WsClient,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
): Promise<Subscription<{ data?: TResult | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }>> {
  const iterator = client.iterate<TResult>({ query: print(document), variables: variables as Record<string, unknown> | undefined });
  const queue: Array<IteratorResult<unknown>> = [];
  const waiting: Array<(value: IteratorResult<unknown>) => void> = [];
  let failure: unknown;
  void (async () => {
    try {
      for (;;) {
        const result = await iterator.next();
        const waiter = waiting.shift();
        if (waiter) waiter(result);
        else queue.push(result);
        if (result.done) return;
      }
    } catch (error) {
      failure = error;
      for (const waiter of waiting.splice(0)) waiter({ done: true, value: undefined });
    }
  })();
  // graphql-ws has no "subscribed" acknowledgement; a round trip on the same socket orders after it.
  await client.iterate({ query: "{ __typename }" }).next();
  return {
    async next(ms = 15_000) {
      // graphql-ws rejects a refused subscription with its GraphQL errors: return them as a result.
      const refused = () => ({ errors: Array.isArray(failure) ? failure : [{ message: String((failure as Error)?.message ?? failure) }] }) as never;
      if (failure && queue.length === 0) return refused();
      const result =
        queue.shift() ??
        (await new Promise<IteratorResult<unknown>>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
          waiting.push((value) => {
            clearTimeout(timer);
            resolve(value);
          });
        }));
      if (failure) return refused();
      if (result.done) throw new Error("the subscription ended");
      return result.value as never;
    },
    async close() {
      await iterator.return?.();
    },
  };
}
