/**
 * Billing time: periods are calendar months from a number's activation (UTC), and the clock the
 * billing job reads can be moved forward by tests, so months pass without sleeping.
 */

/** The billing job's notion of now. */
export interface Clock {
  now(): Date;
}

/** The real clock, moved forward by `advance` (tests walk through months with it). */
export class AdjustableClock implements Clock {
  #offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.#offsetMs);
  }
  advance(ms: number): void {
    this.#offsetMs += ms;
  }
  /** Moves now to `at` (never backwards). */
  advanceTo(at: Date): void {
    this.#offsetMs = Math.max(this.#offsetMs, at.getTime() - Date.now());
  }
}

/**
 * `months` calendar months after `anchor`, on the anchor's day of the month or the month's last day
 * when it has fewer (Jan 31 + 1 month = Feb 28 or 29), at the anchor's time of day, UTC.
 */
export function addMonths(anchor: Date, months: number): Date {
  const year = anchor.getUTCFullYear();
  const month = anchor.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const result = new Date(anchor.getTime());
  result.setUTCFullYear(year, month, Math.min(anchor.getUTCDate(), lastDay));
  return result;
}

/** The billing period containing `at` for a number activated at `activatedAt`: its index (0 = the first month) and bounds. */
export function periodAt(activatedAt: Date, at: Date): { index: number; start: Date; end: Date } {
  let index = Math.max(0, (at.getUTCFullYear() - activatedAt.getUTCFullYear()) * 12 + at.getUTCMonth() - activatedAt.getUTCMonth());
  while (index > 0 && addMonths(activatedAt, index) > at) index--;
  while (addMonths(activatedAt, index + 1) <= at) index++;
  return { index, start: addMonths(activatedAt, index), end: addMonths(activatedAt, index + 1) };
}

/** What activation writes on a number: its billing starts now, the first period is due at once. */
export function activation(now: Date): { activatedAt: Date; nextChargeAt: Date } {
  return { activatedAt: now, nextChargeAt: now };
}
