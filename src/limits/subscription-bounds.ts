/**
 * Open subscriptions per API key (or JWT subject) on this instance, WebSocket and SSE alike.
 * `acquire` returns a release function, or the refusal's message when the key is at its bound.
 */
export class SubscriptionBounds {
  readonly #open = new Map<string, number>();
  #total = 0;

  constructor(
    readonly maxPerKey: number,
    /** Events a subscription may fall behind (src/schema/subscriptions.ts `bounded`). */
    readonly maxBacklog = 500,
  ) {}

  acquire(subject: string): (() => void) | string {
    const open = this.#open.get(subject) ?? 0;
    if (open >= this.maxPerKey) return `At most ${this.maxPerKey} subscriptions per API key`;
    this.#open.set(subject, open + 1);
    this.#total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total -= 1;
      const left = (this.#open.get(subject) ?? 1) - 1;
      if (left <= 0) this.#open.delete(subject);
      else this.#open.set(subject, left);
    };
  }

  /** Open subscriptions of every key on this instance. */
  get total(): number {
    return this.#total;
  }

  openFor(subject: string): number {
    return this.#open.get(subject) ?? 0;
  }
}
