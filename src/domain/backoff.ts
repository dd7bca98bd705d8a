/** Exponential backoff: after the n-th failed attempt, wait `firstMs` doubled n-1 times, at most `maxMs`. */
export function backoffMs(attempts: number, firstMs: number, maxMs: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempts - 1), maxMs);
}
