import type { SqlReader } from "../db/client.ts";

/**
 * The pending rows of every outbox, in one statement (each count uses the index its job polls by):
 * outbound messages still to send, customer webhook deliveries, reviewer notifications, charges
 * awaiting the provider, and carrier orders not yet settled.
 */
const OUTBOX_DEPTHS = `SELECT
  (SELECT count(*) FROM "Message" WHERE "nextAttemptAt" IS NOT NULL AND "status" = 'QUEUED')::int AS messages,
  (SELECT count(*) FROM "WebhookDelivery" WHERE "status" = 'PENDING')::int AS webhook_deliveries,
  (SELECT count(*) FROM "Notification" WHERE "status" = 'QUEUED')::int AS reviewer_notifications,
  (SELECT count(*) FROM "Charge" WHERE "status" = 'PENDING')::int AS charges,
  (SELECT count(*) FROM "NumberOrder" WHERE "status" IN ('REQUESTED', 'PLACED'))::int AS number_orders`;

export async function readOutboxDepths(sql: SqlReader, timeoutMs: number): Promise<Record<string, number>> {
  const [row] = await withTimeout(sql<Record<string, number>>(OUTBOX_DEPTHS, []), timeoutMs, "outbox depths");
  return row ?? {};
}

/** Rejects when `promise` has not settled within `ms` (the promise itself runs on). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
