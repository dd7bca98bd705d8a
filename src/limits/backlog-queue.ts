import { GraphQLError } from "graphql";

/** The error that ends a subscription that fell too far behind. */
export function backlogExceeded(maxBacklog: number): GraphQLError {
  return new GraphQLError(`This subscription fell ${maxBacklog} events behind and was ended; subscribe again and read the current state`, {
    extensions: { code: "SUBSCRIPTION_BACKLOG_EXCEEDED", limit: maxBacklog },
  });
}

/**
 * A subscription's undelivered values, read with `next` like any async iterator. At most
 * `maxBacklog` wait: one more ends it with SUBSCRIPTION_BACKLOG_EXCEEDED, after the values already
 * queued. `onClose` runs once when it ends, however it ends (finished, failed, or returned by its reader).
 */
export class BacklogQueue<T> implements AsyncIterableIterator<T> {
  readonly #queue: T[] = [];
  #waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  #closed = false;
  #failure: { error: unknown } | undefined;

  constructor(
    private readonly maxBacklog: number,
    private readonly onClose: () => void,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  push(value: T): void {
    if (this.#closed) return;
    if (this.#waiting) {
      this.#waiting.resolve({ value, done: false });
      this.#waiting = undefined;
    } else if (this.#queue.length >= this.maxBacklog) {
      this.fail(backlogExceeded(this.maxBacklog));
    } else {
      this.#queue.push(value);
    }
  }

  /** Ends with `error`, once the values already queued are read. */
  fail(error: unknown): void {
    if (this.#close()) return;
    this.#failure = { error };
    this.#waiting?.reject(error);
    this.#waiting = undefined;
  }

  /** Ends normally, once the values already queued are read. */
  finish(): void {
    if (this.#close()) return;
    this.#waiting?.resolve({ value: undefined, done: true });
    this.#waiting = undefined;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#queue.length > 0) return Promise.resolve({ value: this.#queue.shift()!, done: false });
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.#queue.length = 0;
    this.#failure = undefined;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  /** Marks it ended and tells the owner; true when it had already ended. */
  #close(): boolean {
    if (this.#closed) return true;
    this.#closed = true;
    this.onClose();
    return false;
  }
}
