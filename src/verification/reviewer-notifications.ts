import { createHmac } from "node:crypto";
import type { Logger } from "pino";
import type { PrismaClient } from "../db/client.ts";
import type { Notification } from "../generated/prisma/client.ts";
import { backoffMs } from "../domain/backoff.ts";

export interface ReviewerWebhook {
  url: string;
  /** When set, each delivery carries `X-Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
  secret?: string;
  /** Attempts before a notification is FAILED for good. */
  maxAttempts: number;
  /** How long one delivery may take. */
  timeoutMs: number;
}

export interface DeliveryOutcome {
  sent: number;
  retrying: number;
  failed: number;
}

const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;

/** How long after the n-th failed attempt the next one is due: 30 s, 1 min, 2 min, ... at most an hour. */
export function retryDelayMs(attempts: number): number {
  return backoffMs(attempts, FIRST_RETRY_MS, MAX_RETRY_MS);
}

/**
 * Delivers queued reviewer notifications (the outbox rows written with each submission) to the
 * reviewer webhook. At least once: an attempt first claims its row by pushing nextAttemptAt past a
 * lease, guarded on the value it read, so of several instances one delivers; if the process dies
 * mid-attempt, the row is due again when the lease ends. An attempt's outcome is written only if
 * its claim still holds, so a late answer never overwrites a later attempt. Failures are retried
 * with exponential backoff until maxAttempts, then the notification is FAILED with the last error.
 * Receivers can drop duplicates by the `Idempotency-Key` header (the notification id).
 */
export class ReviewerNotifications {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly webhook: ReviewerWebhook,
    private readonly logger: Logger,
  ) {}

  /** Delivers every notification due at `now` (one batch of at most 50). */
  async deliverDue(now: Date = new Date()): Promise<DeliveryOutcome> {
    const outcome: DeliveryOutcome = { sent: 0, retrying: 0, failed: 0 };
    const due = await this.prisma.notification.findMany({
      where: { status: "QUEUED", nextAttemptAt: { lte: now } },
      orderBy: [{ nextAttemptAt: "asc" }, { id: "asc" }],
      take: 50,
    });
    for (const notification of due) {
      const result = await this.#attempt(notification, now);
      if (result) outcome[result]++;
    }
    return outcome;
  }

  async #attempt(notification: Notification, now: Date): Promise<keyof DeliveryOutcome | undefined> {
    const leaseUntil = new Date(now.getTime() + this.webhook.timeoutMs + 30_000);
    const claimed = await this.prisma.notification.updateMany({
      where: { id: notification.id, status: "QUEUED", nextAttemptAt: notification.nextAttemptAt },
      data: { nextAttemptAt: leaseUntil, attempts: { increment: 1 }, lastAttemptAt: now },
    });
    if (claimed.count === 0) return undefined; // another instance took it
    const attempts = notification.attempts + 1;
    const error = await this.#post(notification);
    const claim = { id: notification.id, status: "QUEUED" as const, nextAttemptAt: leaseUntil };
    if (!error) {
      const written = await this.prisma.notification.updateMany({ where: claim, data: { status: "SENT", sentAt: new Date(), lastError: null } });
      if (written.count) this.logger.info({ notificationId: notification.id, attempts }, "reviewer notification sent");
      return written.count ? "sent" : undefined;
    }
    const final = attempts >= this.webhook.maxAttempts;
    const written = await this.prisma.notification.updateMany({
      where: claim,
      data: final ? { status: "FAILED", lastError: error } : { lastError: error, nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempts)) },
    });
    if (!written.count) return undefined;
    this.logger.warn({ notificationId: notification.id, attempts, err: error, final }, final ? "reviewer notification failed for good" : "reviewer notification failed; will retry");
    return final ? "failed" : "retrying";
  }

  /** POSTs the notification; the error text, or undefined on a 2xx answer. */
  async #post(notification: Notification): Promise<string | undefined> {
    const body = JSON.stringify(notification.payload);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "Switchboard-Notifications/1",
      "idempotency-key": notification.id,
    };
    if (this.webhook.secret) {
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = createHmac("sha256", this.webhook.secret).update(`${timestamp}.${body}`).digest("hex");
      headers["x-switchboard-signature"] = `t=${timestamp},v1=${signature}`;
    }
    try {
      const response = await fetch(this.webhook.url, { method: "POST", headers, body, signal: AbortSignal.timeout(this.webhook.timeoutMs) });
      const text = await response.text().catch(() => "");
      if (response.ok) return undefined;
      return `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      return `${(error as Error).name === "TimeoutError" ? "Timed out" : (error as Error).message}${cause ? ` (${cause})` : ""}`.slice(0, 500);
    }
  }
}
