import type { Logger } from "pino";
import { CarrierFailure, type CarrierAdapter } from "../carriers/adapter.ts";
import type { Carriers } from "../carriers/index.ts";
import type { PrismaClient } from "../db/client.ts";
import type { Message, Prisma } from "../generated/prisma/client.ts";
import { backoffMs } from "../domain/backoff.ts";
import { recordStatusChanges } from "./status-events.ts";

export interface MessageSendingSettings {
  /** Carrier calls before a message is FAILED for good. */
  maxAttempts: number;
  /** The delay before the first retry; each later one doubles it. */
  retryMs: number;
  /** How long a claim holds: longer than any carrier call can take, so a live attempt is never taken over. */
  leaseMs: number;
}

export interface SendOutcome {
  sent: number;
  retrying: number;
  failed: number;
}

/** Retries wait MESSAGE_SEND_RETRY_MS, doubling, at most 10 minutes. */
const MAX_RETRY_MS = 600_000;
/** Messages looked at per run; a full batch asks for another run at once. */
const BATCH = 100;
/** Attempts in flight at once per instance: enough to hide carrier latency, few enough that the final writes never wait long for a connection (the embedded database has one). */
const CONCURRENCY = 8;


/**
 * The outbound message outbox. sendMessage commits a QUEUED message whose `nextAttemptAt` is its
 * send intent; this sender delivers it, crash-safe like releasing a number:
 * 1. a guarded claim (nextAttemptAt pushed to the end of a lease, `leasedUntil` set, the attempt
 *    counted), so of several instances exactly one calls the carrier for an attempt,
 * 2. the carrier call with the message id as the carrier-side idempotency reference,
 * 3. the final write, guarded on the claim: SENT with the carrier's id, or FAILED with the reason,
 *    and a MESSAGE_STATUS_CHANGED event in the same transaction; or a retry after a backoff.
 * A crash (or a lost answer) leaves the claim set: when its lease ends the message is due again and
 * the next attempt knows the carrier may already have it. A carrier that keeps one message per
 * reference (the sandbox) is simply asked again and answers with the first message; for one that
 * does not (Telnyx), the message is FAILED with CARRIER_OUTCOME_UNKNOWN rather than texted twice.
 */
export class MessageSender {
  #wake: () => void = () => {};

  constructor(
    private readonly prisma: PrismaClient,
    private readonly carriers: Carriers,
    private readonly settings: MessageSendingSettings,
    private readonly logger: Logger,
  ) {}

  /** The job registers how to run soon. */
  onWake(wake: () => void): void {
    this.#wake = wake;
  }

  /** A message was committed (or is due again): send without waiting for the next poll. */
  kick(): void {
    this.#wake();
  }

  /** Attempts every message due at `now` (one batch), in parallel. Safe on several instances at once. */
  async sendDue(now: Date = new Date()): Promise<SendOutcome> {
    const outcome: SendOutcome = { sent: 0, retrying: 0, failed: 0 };
    const due = await this.prisma.message.findMany({
      where: { nextAttemptAt: { lte: now }, status: "QUEUED", direction: "OUTBOUND" },
      orderBy: [{ nextAttemptAt: "asc" }, { id: "asc" }],
      take: BATCH,
    });
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const message = due[next++]!;
        const result = await this.#attempt(message, now).catch((error: unknown) => {
          // The claim stays: the message is due again when its lease ends.
          this.logger.error({ err: error, messageId: message.id }, "a send attempt failed unexpectedly; retried when its lease ends");
          return undefined;
        });
        if (result) outcome[result]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, worker));
    if (due.length === BATCH) this.kick();
    return outcome;
  }

  async #attempt(message: Message, now: Date): Promise<keyof SendOutcome | undefined> {
    const leaseUntil = new Date(now.getTime() + this.settings.leaseMs);
    const claimed = await this.prisma.message.updateMany({
      where: { id: message.id, status: "QUEUED", nextAttemptAt: message.nextAttemptAt },
      data: { nextAttemptAt: leaseUntil, leasedUntil: leaseUntil, sendAttempts: { increment: 1 } },
    });
    if (claimed.count === 0) return undefined; // another instance took it
    const attempts = message.sendAttempts + 1;
    const claim = { id: message.id, status: "QUEUED" as const, leasedUntil: leaseUntil };
    let carrier: CarrierAdapter;
    try {
      carrier = this.carriers.byName(message.carrier);
    } catch (error) {
      return this.#fail(claim, message, attempts, "CARRIER_NOT_CONFIGURED", (error as Error).message);
    }
    // An earlier attempt's claim is still set: it ended without an answer (a crash mid-call), so the
    // carrier may hold the message already. Only a carrier that dedupes by reference is asked again.
    if (message.leasedUntil && !carrier.sendsDedupedByReference) {
      return this.#fail(claim, message, attempts, "CARRIER_OUTCOME_UNKNOWN", `An attempt to send through ${carrier.name} was interrupted without an answer: it may or may not have been sent, so it is not sent again`);
    }
    try {
      const sent = await carrier.sendMessage({ from: message.from, to: message.to, text: message.body, mediaUrls: message.mediaUrls, reference: message.id });
      const record = () => this.#finish(claim, { status: "SENT", carrierMessageId: sent.carrierMessageId, sentAt: new Date() });
      // The carrier has the message: a passing database hiccup must not turn it into an unknown outcome.
      const moved = await record().catch(async (error: unknown) => {
        this.logger.warn({ err: error, messageId: message.id, carrierMessageId: sent.carrierMessageId }, "recording a sent message failed; trying once more");
        await new Promise((resolve) => setTimeout(resolve, 200));
        return record();
      });
      if (moved) this.logger.info({ messageId: message.id, attempts, carrierMessageId: sent.carrierMessageId }, "message sent");
      return moved ? "sent" : undefined;
    } catch (error) {
      const failure = error instanceof CarrierFailure ? error : new CarrierFailure("UNAVAILABLE", (error as Error).message, carrier.name);
      if (failure.kind === "TIMEOUT" && !carrier.sendsDedupedByReference) {
        return this.#fail(claim, message, attempts, "CARRIER_OUTCOME_UNKNOWN", `${carrier.name} did not answer in time (${failure.message}): it may or may not have been sent, so it is not sent again`);
      }
      if (!failure.retryable || attempts >= this.settings.maxAttempts) {
        const tried = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
        return this.#fail(claim, message, attempts, `CARRIER_${failure.kind}`, `${carrier.name}: ${failure.message} (${tried})`);
      }
      // Transient (unavailable, or a timeout the carrier dedupes): tried again later with the same reference.
      const nextAttemptAt = new Date(Date.now() + backoffMs(attempts, this.settings.retryMs, MAX_RETRY_MS));
      const written = await this.prisma.message.updateMany({ where: claim, data: { nextAttemptAt, leasedUntil: null } });
      if (written.count === 0) return undefined;
      this.logger.warn({ messageId: message.id, attempts, err: failure.message, nextAttemptAt }, "send attempt failed; will retry");
      return "retrying";
    }
  }

  async #fail(claim: Prisma.MessageWhereInput, message: Message, attempts: number, errorCode: string, failureReason: string): Promise<"failed" | undefined> {
    const moved = await this.#finish(claim, { status: "FAILED", failedAt: new Date(), errorCode, failureReason });
    if (moved) this.logger.warn({ messageId: message.id, attempts, errorCode, failureReason }, "message failed for good");
    return moved ? "failed" : undefined;
  }

  /** The final write, guarded on this attempt's claim, with its event in the same transaction. */
  async #finish(claim: Prisma.MessageWhereInput, data: Prisma.MessageUpdateManyMutationInput): Promise<boolean> {
    return this.prisma.$transaction(
      async (tx) => {
        const moved = await tx.message.updateManyAndReturn({ where: claim, data: { ...data, nextAttemptAt: null, leasedUntil: null } });
        await recordStatusChanges(tx, moved, (row) => ({ failureReason: row.failureReason, attempts: row.sendAttempts }));
        return moved.length > 0;
      },
      // Waits its turn for a connection rather than failing: the carrier may already have the message.
      { maxWait: 10_000 },
    );
  }
}
