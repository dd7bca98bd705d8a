import { print, type DocumentNode, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import { BacklogQueue } from "./backlog-queue.ts";

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;
type SubscribeFn = (args: Record<string, unknown>) => Result | Promise<Result>;

/**
 * One execution per event for every subscriber asking the same thing. Subscribers of one
 * organization with the same document, variables, scopes and key mode would each run the same
 * selection over the same event and get the same result: they share one underlying subscription
 * instead (one pub/sub listener, one execution per event), and each gets its own copy of the
 * stream. The shared stream ends when its last subscriber leaves; one subscriber leaving does not
 * end it for the others.
 *
 * Whatever a result can depend on is in the key: the organization (tenancy), the scopes (field
 * authorization), the mode (test keys). The caller's identity beyond that is not used by any
 * subscription field. Per-subscriber bounds and rate budgets are checked before (src/limits/plugin.ts).
 */
export function useSharedSubscriptions(maxBacklog: number): Plugin<Context> {
  const streams = new Map<string, SharedStream>();
  // yoga parses a document once and hands every request with the same text the same node.
  const texts = new WeakMap<DocumentNode, string>();
  const printed = (document: DocumentNode) => {
    let text = texts.get(document);
    if (text === undefined) texts.set(document, (text = print(document)));
    return text;
  };
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const context = args.contextValue as Context;
      const caller = context.caller;
      if (!caller?.organizationId) return;
      const key = JSON.stringify([
        caller.organizationId,
        caller.mode,
        [...caller.scopes].sort(),
        args.operationName ?? null,
        args.variableValues ?? null,
        printed(args.document),
      ]);
      setSubscribeFn(async (subscribeArgs) => {
        let shared = streams.get(key);
        if (!shared) {
          // The stream outlives the subscriber that opened it: its own signal, ended with the last one.
          const controller = new AbortController();
          const source = await (subscribeFn as unknown as SubscribeFn)({ ...subscribeArgs, signal: controller.signal });
          if (!isAsyncIterable(source)) return source as ExecutionResult;
          // Another subscriber may have opened the same stream meanwhile: join it, close this one.
          const opened = streams.get(key);
          if (opened) {
            controller.abort();
            void source[Symbol.asyncIterator]().return?.();
            shared = opened;
          } else {
            shared = new SharedStream(source, controller, () => streams.delete(key), maxBacklog);
            streams.set(key, shared);
          }
        }
        return shared.join() as never;
      });
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** One source stream copied to every subscriber that joined it. */
class SharedStream {
  readonly #consumers = new Set<BacklogQueue<ExecutionResult>>();
  readonly #iterator: AsyncIterator<ExecutionResult>;
  #pumping = false;

  constructor(
    source: AsyncIterable<ExecutionResult>,
    private readonly controller: AbortController,
    private readonly onEnd: () => void,
    private readonly maxBacklog: number,
  ) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  join(): AsyncIterableIterator<ExecutionResult> {
    // A subscriber that stops reading ends alone; the others keep the stream.
    const consumer: BacklogQueue<ExecutionResult> = new BacklogQueue(this.maxBacklog, () => this.#leave(consumer));
    this.#consumers.add(consumer);
    if (!this.#pumping) void this.#pump();
    return consumer;
  }

  #leave(consumer: BacklogQueue<ExecutionResult>): void {
    this.#consumers.delete(consumer);
    if (this.#consumers.size === 0) this.#end();
  }

  #end(): void {
    this.onEnd();
    this.controller.abort();
    void this.#iterator.return?.();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#consumers.size > 0) {
        const next = await this.#iterator.next();
        if (next.done) break;
        for (const consumer of this.#consumers) consumer.push(next.value);
      }
    } catch (error) {
      for (const consumer of this.#consumers) consumer.fail(error);
    } finally {
      this.#pumping = false;
    }
    if (this.#consumers.size > 0) {
      // The source ended: so does every copy.
      this.onEnd();
      for (const consumer of [...this.#consumers]) consumer.finish();
    }
  }
}
