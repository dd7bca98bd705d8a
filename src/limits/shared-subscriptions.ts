import { GraphQLError, print, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";

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
        print(args.document),
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
  readonly #consumers = new Set<Consumer>();
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
    const consumer = new Consumer(() => this.#leave(consumer), this.maxBacklog);
    this.#consumers.add(consumer);
    if (!this.#pumping) void this.#pump();
    return consumer;
  }

  #leave(consumer: Consumer): void {
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

/** One subscriber's copy: a queue of results, and the one waiting `next` call if any. */
class Consumer implements AsyncIterableIterator<ExecutionResult> {
  readonly #queue: ExecutionResult[] = [];
  #waiting: { resolve: (r: IteratorResult<ExecutionResult>) => void; reject: (e: unknown) => void } | undefined;
  #done = false;
  #error: unknown;

  constructor(
    private readonly leave: () => void,
    private readonly maxBacklog: number,
  ) {}

  push(value: ExecutionResult): void {
    if (this.#done) return;
    if (this.#waiting) {
      this.#waiting.resolve({ value, done: false });
      this.#waiting = undefined;
    } else if (this.#queue.length >= this.maxBacklog) {
      // A subscriber that stopped reading ends alone; the others keep the stream.
      this.fail(
        new GraphQLError(`This subscription fell ${this.maxBacklog} events behind and was ended; subscribe again and read the current state`, {
          extensions: { code: "SUBSCRIPTION_BACKLOG_EXCEEDED", limit: this.maxBacklog },
        }),
      );
    } else {
      this.#queue.push(value);
    }
  }

  fail(error: unknown): void {
    this.#error = error;
    this.#close();
    this.#waiting?.reject(error);
    this.#waiting = undefined;
  }

  finish(): void {
    this.#close();
    this.#waiting?.resolve({ value: undefined, done: true });
    this.#waiting = undefined;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve({ value: queued, done: false });
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  #close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue.length = 0;
    this.leave();
  }
}
