import { encodeGlobalID } from "@pothos/plugin-relay";
import { recordEvent } from "../events/log.ts";
import type { Logger } from "pino";
import type { Clock } from "../billing/periods.ts";
import type { CustomerWebhookSettings } from "../config.ts";
import type { PrismaClient } from "../db/client.ts";
import { backoffMs } from "../domain/backoff.ts";
import type { SecretBox } from "../domain/secret-box.ts";
import type { Event, Prisma, WebhookDelivery, WebhookEndpoint } from "../generated/prisma/client.ts";
import { postJson, signature, type PostOutcome } from "./http-post.ts";
import { checkTarget, systemResolver, UnsafeWebhookTarget, type Resolver } from "./url-guard.ts";

/** Retries wait WEBHOOK_RETRY_SECONDS (30 s), doubling, at most an hour. */
const MAX_RETRY_MS = 3_600_000;
/**
 * How far before the last event it read the fan-out reads again. An event's createdAt is taken
 * when its transaction writes it, not when it commits: a slower transaction can commit an event
 * older than one already read. Transactions here last seconds at most (Prisma's interactive
 * transactions time out after 5 s); the unique (endpoint, event) makes the re-read harmless.
 */
export const FANOUT_MARGIN_MS = 60_000;
const BATCH = 100;
/** Attempts in flight at once per instance. */
const CONCURRENCY = 8;

export interface DeliveryRun {
  queued: number;
  delivered: number;
  retrying: number;
  failed: number;
  endpointsDisabled: number;
}

/** The JSON body of one delivery: the event as recorded. */
export function webhookBody(event: Event): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    organizationId: event.organizationId,
    phoneNumberId: event.phoneNumberId ? encodeGlobalID("PhoneNumber", event.phoneNumberId) : null,
    data: event.payload,
  });
}

/**
 * The webhook outbox, run by a job on every instance:
 * 1. fan-out: reads the events recorded since its cursor (less FANOUT_MARGIN_MS) and writes a
 *    PENDING delivery per subscribed, enabled endpoint; the unique (endpoint, event) keeps a re-read
 *    event from being queued twice, and the cursor row's lock (SKIP LOCKED) lets one instance at a
 *    time do it;
 * 2. delivery: claims due deliveries (`FOR UPDATE SKIP LOCKED`, the attempt counted, nextAttemptAt
 *    pushed to the end of a lease) so of several instances exactly one attempts each; a delivery
 *    whose endpoint has an earlier undelivered delivery for the same number waits for it (events
 *    of a number arrive in order); the outcome is written only while the claim holds. A crash
 *    mid-attempt leaves the claim: the delivery is due again when the lease ends (at least once;
 *    receivers drop repeats by `webhook-id`).
 * Failures are retried with exponential backoff for WEBHOOK_RETRY_HOURS, then the delivery is
 * FAILED; an endpoint whose deliveries failed that long without a success is disabled, with the
 * reason, and a WEBHOOK_ENDPOINT_DISABLED event is recorded.
 */
export class WebhookDeliverer {
  #wake: () => void = () => {};

  constructor(
    private readonly prisma: PrismaClient,
    private readonly secrets: SecretBox,
    private readonly settings: CustomerWebhookSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** The job registers how to run soon. */
  onWake(wake: () => void): void {
    this.#wake = wake;
  }

  /** Deliveries may be due now (a redelivery, an endpoint enabled again). */
  kick(): void {
    this.#wake();
  }

  /** One run of the job: fan out new events, then attempt one batch of due deliveries. */
  async run(): Promise<DeliveryRun> {
    const queued = await this.fanOut();
    return { queued, ...(await this.deliverDue()) };
  }

  /** Writes the deliveries of the events recorded since the cursor; returns how many it wrote. */
  async fanOut(): Promise<number> {
    await this.prisma.$executeRaw`INSERT INTO "WebhookFanoutCursor" (id, "readUntil") VALUES ('events', '1970-01-01') ON CONFLICT DO NOTHING`;
    return this.prisma.$transaction(
      async (tx) => {
        const [cursor] = await tx.$queryRaw<Array<{ ms: number }>>`
          SELECT (extract(epoch FROM "readUntil") * 1000)::float8 AS ms FROM "WebhookFanoutCursor" WHERE id = 'events' FOR UPDATE SKIP LOCKED`;
        if (!cursor) return 0; // another instance is fanning out
        const from = timestamp(new Date(cursor.ms - FANOUT_MARGIN_MS));
        const now = timestamp(this.clock.now());
        const queued = await tx.$executeRaw`
          INSERT INTO "WebhookDelivery" (id, "endpointId", "eventId", "phoneNumberId", "eventCreatedAt", "nextAttemptAt", "createdAt", "updatedAt")
          SELECT gen_random_uuid(), w.id, e.id, e."phoneNumberId", e."createdAt", ${now}::timestamptz AT TIME ZONE 'UTC', ${now}::timestamptz AT TIME ZONE 'UTC', ${now}::timestamptz AT TIME ZONE 'UTC'
          FROM "Event" e JOIN "WebhookEndpoint" w ON w."organizationId" = e."organizationId"
          WHERE e."createdAt" > ${from}::timestamptz AT TIME ZONE 'UTC' AND w.enabled AND e.type = ANY (w."eventTypes") AND e."createdAt" >= w."enabledAt"
          ON CONFLICT ("endpointId", "eventId") DO NOTHING`;
        await tx.$executeRaw`
          UPDATE "WebhookFanoutCursor" SET "readUntil" = greatest("readUntil", (SELECT max("createdAt") FROM "Event" WHERE "createdAt" > ${from}::timestamptz AT TIME ZONE 'UTC'))
          WHERE id = 'events'`;
        return queued;
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
  }

  /** Claims and attempts the deliveries due now (one batch), in parallel. Safe on several instances at once. */
  async deliverDue(): Promise<Omit<DeliveryRun, "queued">> {
    const outcome = { delivered: 0, retrying: 0, failed: 0, endpointsDisabled: 0 };
    const now = this.clock.now();
    // Longer than an attempt can take (resolving and posting are each bounded by the timeout), so a live attempt is never taken over.
    const lease = new Date(now.getTime() + this.settings.timeoutMs * 2 + 5_000);
    const claimed = await this.prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE "WebhookDelivery" SET "nextAttemptAt" = ${timestamp(lease)}::timestamptz AT TIME ZONE 'UTC', "leasedUntil" = ${timestamp(lease)}::timestamptz AT TIME ZONE 'UTC',
        "attempts" = "attempts" + 1, "lastAttemptAt" = ${timestamp(now)}::timestamptz AT TIME ZONE 'UTC', "updatedAt" = now() AT TIME ZONE 'UTC'
      WHERE id IN (
        SELECT d.id FROM "WebhookDelivery" d JOIN "WebhookEndpoint" w ON w.id = d."endpointId"
        WHERE d.status = 'PENDING' AND d."nextAttemptAt" <= ${timestamp(now)}::timestamptz AT TIME ZONE 'UTC' AND w.enabled
          AND (d."phoneNumberId" IS NULL OR NOT EXISTS (
            SELECT 1 FROM "WebhookDelivery" p
            WHERE p."endpointId" = d."endpointId" AND p."phoneNumberId" = d."phoneNumberId" AND p.status = 'PENDING'
              AND (p."eventCreatedAt", p."eventId") < (d."eventCreatedAt", d."eventId")))
        ORDER BY d."nextAttemptAt", d."eventCreatedAt", d.id
        LIMIT ${BATCH}
        FOR UPDATE OF d SKIP LOCKED)
      RETURNING id`;
    if (claimed.length === 0) return outcome;
    const deliveries = await this.prisma.webhookDelivery.findMany({ where: { id: { in: claimed.map((c) => c.id) } }, include: { event: true, endpoint: true } });
    let next = 0;
    const worker = async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++]!;
        const result = await this.#attempt(delivery, now, lease).catch((error: unknown) => {
          // The claim stays: the delivery is due again when its lease ends.
          this.logger.error({ err: error, deliveryId: delivery.id }, "a webhook delivery attempt failed unexpectedly; retried when its lease ends");
          return undefined;
        });
        if (!result) continue;
        outcome[result.outcome]++;
        if (result.disabled) outcome.endpointsDisabled++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, deliveries.length) }, worker));
    if (claimed.length === BATCH) this.kick();
    return outcome;
  }

  async #attempt(delivery: WebhookDelivery & { event: Event; endpoint: WebhookEndpoint }, startedAt: Date, lease: Date) {
    const { event, endpoint } = delivery;
    const body = webhookBody(event);
    // The timestamp is the real time of sending (receivers compare it with their clocks); the
    // adjustable clock only schedules.
    const sentAt = Math.floor(Date.now() / 1000);
    const signatures = [signature(this.secrets.decrypt(endpoint.secret), event.id, sentAt, body)];
    if (endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil > this.clock.now()) {
      signatures.push(signature(this.secrets.decrypt(endpoint.previousSecret), event.id, sentAt, body));
    }
    const headers = {
      "content-type": "application/json",
      "user-agent": "Switchboard-Webhooks/1",
      "webhook-id": event.id,
      "webhook-timestamp": String(sentAt),
      "webhook-signature": signatures.join(" "),
    };
    let result: PostOutcome;
    try {
      const address = await withTimeout(checkTarget(endpoint.url, this.settings, this.resolve), this.settings.timeoutMs, `Resolving the endpoint's host timed out after ${this.settings.timeoutMs} ms`);
      result = await postJson(endpoint.url, address, headers, body, this.settings.timeoutMs);
    } catch (error) {
      if (!(error instanceof UnsafeWebhookTarget)) throw error;
      result = { latencyMs: 0, error: `Not sent: ${error.message}` };
    }
    return this.#record(delivery, startedAt, lease, result);
  }

  /**
   * The attempt's outcome, written only while its claim holds, with the endpoint's health in the
   * same transaction. The next attempt is scheduled from this one's start, so the schedule does
   * not drift by the receivers' latency.
   */
  async #record(delivery: WebhookDelivery & { endpoint: WebhookEndpoint }, startedAt: Date, lease: Date, result: PostOutcome) {
    const now = this.clock.now();
    const claim = { id: delivery.id, status: "PENDING" as const, leasedUntil: lease };
    const seen = { lastStatus: result.status ?? null, lastLatencyMs: result.latencyMs, lastError: result.error ?? null, leasedUntil: null };
    // Read after the claim, which counted this attempt.
    const attempts = delivery.attempts;
    const endpointId = delivery.endpointId;
    return this.prisma.$transaction(
      async (tx) => {
        if (!result.error) {
          const written = await tx.webhookDelivery.updateMany({ where: claim, data: { ...seen, status: "DELIVERED", deliveredAt: now, nextAttemptAt: null } });
          if (written.count === 0) return undefined;
          await tx.webhookEndpoint.updateMany({ where: { id: endpointId, failingSince: { not: null } }, data: { failingSince: null } });
          return { outcome: "delivered" as const, disabled: false };
        }
        const firstFailedAt = delivery.firstFailedAt ?? now;
        const final = now.getTime() - firstFailedAt.getTime() >= this.settings.retryMs;
        const data: Prisma.WebhookDeliveryUpdateManyMutationInput = final
          ? { ...seen, status: "FAILED", firstFailedAt, nextAttemptAt: null }
          : { ...seen, firstFailedAt, nextAttemptAt: new Date(startedAt.getTime() + backoffMs(attempts, this.settings.firstRetryMs, MAX_RETRY_MS)) };
        const written = await tx.webhookDelivery.updateMany({ where: claim, data });
        if (written.count === 0) return undefined;
        await tx.webhookEndpoint.updateMany({ where: { id: endpointId, failingSince: null }, data: { failingSince: now } });
        const disabled = await this.#disableIfFailingTooLong(tx, endpointId, now, result.error);
        this.logger.warn({ deliveryId: delivery.id, endpointId, eventId: delivery.eventId, attempts, err: result.error, final }, final ? "webhook delivery failed for good" : "webhook delivery failed; will retry");
        return { outcome: final ? ("failed" as const) : ("retrying" as const), disabled };
      },
      { maxWait: 10_000 },
    );
  }

  /** Disables an endpoint with no successful delivery for WEBHOOK_RETRY_HOURS, saying why, and records the event. */
  async #disableIfFailingTooLong(tx: Prisma.TransactionClient, endpointId: string, now: Date, lastError: string): Promise<boolean> {
    const since = new Date(now.getTime() - this.settings.retryMs);
    const endpoint = await tx.webhookEndpoint.findFirst({ where: { id: endpointId, enabled: true, failingSince: { lte: since } } });
    if (!endpoint) return false;
    const hours = Math.round((this.settings.retryMs / 3_600_000) * 100) / 100;
    const reason = `Disabled automatically: every delivery failed for ${hours} hours (since ${endpoint.failingSince!.toISOString()}). The last error: ${lastError}`.slice(0, 1000);
    const moved = await tx.webhookEndpoint.updateMany({ where: { id: endpointId, enabled: true }, data: { enabled: false, disabledAt: now, disabledReason: reason } });
    if (moved.count === 0) return false;
    await recordEvent(tx, {
      organizationId: endpoint.organizationId,
      type: "WEBHOOK_ENDPOINT_DISABLED",
      subject: { type: "WebhookEndpoint", id: endpointId },
      payload: { webhookEndpointId: encodeGlobalID("WebhookEndpoint", endpointId), url: endpoint.url, reason, disabledAt: now.toISOString() },
    });
    this.logger.warn({ endpointId, reason }, "webhook endpoint disabled");
    return true;
  }
}

function timestamp(date: Date): string {
  return date.toISOString();
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnsafeWebhookTarget(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
