import type { Logger } from "pino";
import { recordNumberEvent } from "../events/log.ts";
import { toCarrierError, type Carriers } from "../carriers/index.ts";
import type { PrismaClient } from "../db/client.ts";
import { CarrierError, NumberReleasedError } from "../domain/errors.ts";
import { releaseNeedsCarrier, statesMovingTo } from "../domain/lifecycle.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import type { PhoneNumber } from "../generated/prisma/client.ts";

/**
 * How a number is released, crash-safe like buying: the intent is written first (RELEASING, a
 * guarded write, so of two concurrent releases one proceeds), then the carrier releases the number
 * by its carrier id (idempotent: a number the carrier no longer has counts as released), then the
 * final write (RELEASED, the agent unlinked, a NUMBER_RELEASED event, in one transaction). A crash
 * between the steps leaves a RELEASING row that the order job finishes (`finishInterrupted`).
 * Numbers the carrier never held (manual, SIP trunk, FAILED) skip the carrier step.
 */
/** The request time of a recorded release whose carrier call ended without confirmation: retry at once. */
const NOT_IN_FLIGHT = new Date(0);

export class NumberReleases {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly carriers: Carriers,
    private readonly setupStatus: SetupStatusChanges,
    private readonly logger: Logger,
    /** A RELEASING row older than this cannot be a request still running: the job finishes it. */
    private readonly recoverAfterMs: number,
    /** Test-only: die (SIGKILL) right after the carrier released the number, before the final write. */
    private readonly crashAfterCarrierRelease = false,
  ) {}

  /**
   * Releases a number the lifecycle allows to be released. Returns it RELEASED, or RELEASING when
   * the carrier could not confirm yet (the job keeps trying) or another release is under way.
   */
  async release(number: PhoneNumber): Promise<PhoneNumber> {
    if (!releaseNeedsCarrier(number)) return this.#finishFor(number.id);
    // Only the request that claims the release calls the carrier; another reports where it stands.
    const claimedAt = await this.#claim(number);
    if (!claimedAt) return this.#whereItStands(number.id);
    try {
      await this.#releaseAtCarrier(number);
    } catch (error) {
      if (!(error instanceof CarrierError)) throw error;
      // The release stays recorded (RELEASING) and is no longer in flight: the order job, or the
      // client's retry, tries the carrier again. The client learns what the carrier said.
      await this.prisma.phoneNumber.updateMany({ where: { id: number.id, status: "RELEASING", releaseRequestedAt: claimedAt }, data: { releaseRequestedAt: NOT_IN_FLIGHT } });
      this.logger.warn({ phoneNumberId: number.id, reason: error.reason, err: error.message }, "carrier release not confirmed; it is retried");
      throw new CarrierError(
        error.reason,
        `${error.message}. The release of ${number.e164} is recorded (RELEASING) and is completed automatically once the carrier confirms; retrying it is safe.`,
        error.carrier,
      );
    }
    if (this.crashAfterCarrierRelease) process.kill(process.pid, "SIGKILL");
    return this.#finishFor(number.id);
  }

  /** The final write on a client's behalf: a release someone else finished first is NumberReleasedError. */
  async #finishFor(id: string): Promise<PhoneNumber> {
    const { number, moved } = await this.#finish(id);
    if (!moved) return this.#whereItStands(id);
    return number;
  }

  /** A release under way is reported as it stands (RELEASING); one already finished is NumberReleasedError. */
  async #whereItStands(id: string): Promise<PhoneNumber> {
    const number = await this.prisma.phoneNumber.findUniqueOrThrow({ where: { id } });
    if (number.status === "RELEASED") throw new NumberReleasedError(number.e164, number.releasedAt ?? number.updatedAt);
    return number;
  }

  /** Finishes releases a crash or a carrier outage interrupted. Safe on several instances at once. */
  async finishInterrupted(): Promise<number> {
    const stale = await this.prisma.phoneNumber.findMany({
      where: { status: "RELEASING", releaseRequestedAt: { lt: new Date(Date.now() - this.recoverAfterMs) } },
      orderBy: { releaseRequestedAt: "asc" },
      take: 100,
    });
    let finished = 0;
    for (const number of stale) {
      try {
        if (!(await this.#claim(number))) continue; // another instance took it
        await this.#releaseAtCarrier(number);
        await this.#finish(number.id);
        finished++;
      } catch (error) {
        this.logger.warn({ phoneNumberId: number.id, err: (error as Error).message }, "finishing an interrupted release failed; retrying later");
      }
    }
    return finished;
  }

  /**
   * Claims the carrier step, by a write guarded on what was read: a live number moves to
   * RELEASING; an interrupted RELEASING one (older than any running request) has its request time
   * renewed. Of several claimants (requests, instances of the job) exactly one wins.
   */
  async #claim(number: PhoneNumber): Promise<Date | null> {
    const now = new Date();
    if (number.status !== "RELEASING") {
      const moved = await this.prisma.phoneNumber.updateMany({
        where: { id: number.id, status: { in: statesMovingTo("RELEASING") } },
        // Billing stops with the release: nothing more is charged (src/billing/).
        data: { status: "RELEASING", releaseRequestedAt: now, nextChargeAt: null },
      });
      if (moved.count === 1) await this.setupStatus.refresh([number.id]);
      return moved.count === 1 ? now : null;
    }
    const requestedAt = number.releaseRequestedAt;
    if (requestedAt && requestedAt.getTime() > now.getTime() - this.recoverAfterMs) return null; // still in flight
    const renewed = await this.prisma.phoneNumber.updateMany({
      where: { id: number.id, status: "RELEASING", releaseRequestedAt: requestedAt },
      data: { releaseRequestedAt: now },
    });
    return renewed.count === 1 ? now : null;
  }

  async #releaseAtCarrier(number: PhoneNumber): Promise<void> {
    if (!number.carrierResourceId) throw new Error(`${number.e164} has no carrier id to release`);
    try {
      await this.carriers.byName(number.carrier ?? "sandbox").releaseNumber(number.carrierResourceId).catch(toCarrierError);
    } catch (error) {
      // Already gone at the carrier (an earlier attempt released it): released is what we wanted.
      if (error instanceof CarrierError && error.reason === "NOT_FOUND") return;
      throw error;
    }
  }

  /** The final write, guarded so only one finisher records the release and its event. */
  async #finish(id: string): Promise<{ number: PhoneNumber; moved: boolean }> {
    const releasedAt = new Date();
    const result = await this.prisma.$transaction(async (tx) => {
      const moved = await tx.phoneNumber.updateMany({
        where: { id, status: { in: statesMovingTo("RELEASED") } },
        data: { status: "RELEASED", releasedAt, agentId: null, nextChargeAt: null },
      });
      const row = await tx.phoneNumber.findUniqueOrThrow({ where: { id } });
      if (moved.count === 1) {
        await recordNumberEvent(tx, "NUMBER_RELEASED", row, { phoneNumberId: id, e164: row.e164, releasedAt: releasedAt.toISOString() });
      }
      return { number: row, moved: moved.count === 1 };
    });
    if (result.moved) await this.setupStatus.refresh([id]);
    return result;
  }
}
