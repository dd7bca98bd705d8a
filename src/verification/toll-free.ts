import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Logger } from "pino";
import { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import { CarrierFailure, type TollFreeVerificationRequest } from "../carriers/adapter.ts";
import type { Carriers } from "../carriers/index.ts";
import { backoffMs } from "../domain/backoff.ts";
import type { PrismaClient } from "../db/client.ts";
import { NotFoundError, ValidationError, VerificationTransitionError } from "../domain/errors.ts";
import type { VerificationStatus } from "../domain/setup-status.ts";
import {
  applyTollFreeDraftInput,
  applyTollFreeSubmissionInput,
  emptyTollFreeDetails,
  needsTollFreeVerification,
  US_TOLL_FREE_PREFIXES,
  type TollFreeVerificationDetails,
  type TollFreeVerificationInput,
} from "../domain/toll-free.ts";
import { globalId, parseInput } from "../domain/validation.ts";
import { decisionProblems, transition } from "../domain/verification.ts";
import { recordEvent, tollFreeVerificationSnapshot } from "../events/log.ts";
import type { EventBus } from "../events/pubsub.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import type { Prisma, TollFreeVerification } from "../generated/prisma/client.ts";
import { ChangedMeanwhile, retryingVerificationStep, SUBMISSION_STATUSES, VERIFICATION_DECISIONS, type SubmissionStatus, type VerificationStatusChangePayload } from "./service.ts";

/** What a TOLL_FREE_VERIFICATION_STATUS_CHANGED event records (as VERIFICATION_STATUS_CHANGED, with the toll-free submission's id). */
export type TollFreeVerificationStatusChangePayload = Omit<VerificationStatusChangePayload, "verificationId"> & { tollFreeVerificationId: string };

/** The organization's toll-free verification as a client sees it. */
export interface OrganizationTollFreeVerification {
  organizationId: string;
  status: VerificationStatus;
  submission: TollFreeVerification | null;
}

/** A reviewer's decision on a toll-free submission; a rejection needs its reason (decisionProblems). */
export const DecideTollFreeVerificationInput = z.object({
  id: globalId("TollFreeVerification"),
  decision: z.enum(VERIFICATION_DECISIONS),
  rejectionReason: z.string().nullish(),
});

/** The status of the organization's current toll-free submission; MISSING without one. */
export async function currentTollFreeVerificationStatus(prisma: PrismaClient, organizationId: string): Promise<VerificationStatus> {
  const current = await prisma.tollFreeVerification.findFirst({ where: { organizationId, current: true }, select: { status: true } });
  return current?.status ?? "MISSING";
}

/** A stored toll-free submission's details. */
export function tollFreeDetailsOf(row: TollFreeVerification): TollFreeVerificationDetails {
  return {
    business: {
      name: row.businessName,
      website: row.website,
      address: {
        street: row.addressStreet,
        street2: row.addressStreet2,
        city: row.addressCity,
        region: row.addressRegion,
        postalCode: row.addressPostalCode,
        country: row.addressCountry,
      },
    },
    contact: { firstName: row.contactFirstName, lastName: row.contactLastName, email: row.contactEmail, phone: row.contactPhone },
    useCase: row.useCase,
    useCaseSummary: row.useCaseSummary,
    sampleMessages: row.sampleMessages,
    optInDescription: row.optInDescription,
    optInImageUrls: row.optInImageUrls,
    expectedMonthlyVolume: row.expectedMonthlyVolume,
    additionalInformation: row.additionalInformation,
  };
}

function columnsOf(details: TollFreeVerificationDetails) {
  const { business: b, contact: c } = details;
  return {
    businessName: b.name,
    website: b.website,
    addressStreet: b.address.street,
    addressStreet2: b.address.street2,
    addressCity: b.address.city,
    addressRegion: b.address.region,
    addressPostalCode: b.address.postalCode,
    addressCountry: b.address.country,
    contactFirstName: c.firstName,
    contactLastName: c.lastName,
    contactEmail: c.email,
    contactPhone: c.phone,
    useCase: details.useCase,
    useCaseSummary: details.useCaseSummary,
    sampleMessages: details.sampleMessages,
    optInDescription: details.optInDescription,
    optInImageUrls: details.optInImageUrls,
    expectedMonthlyVolume: details.expectedMonthlyVolume,
    additionalInformation: details.additionalInformation,
  } satisfies Prisma.TollFreeVerificationUncheckedUpdateInput;
}

/** An approved submission as the carrier's verification request (every field it needs is set once submitted). */
function carrierRequestOf(row: TollFreeVerification, phoneNumbers: string[]): TollFreeVerificationRequest {
  return {
    reference: row.id,
    businessName: row.businessName ?? "",
    website: row.website ?? "",
    address: { street: row.addressStreet ?? "", street2: row.addressStreet2, city: row.addressCity ?? "", region: row.addressRegion ?? "", postalCode: row.addressPostalCode ?? "" },
    contact: { firstName: row.contactFirstName ?? "", lastName: row.contactLastName ?? "", email: row.contactEmail ?? "", phone: row.contactPhone ?? "" },
    phoneNumbers,
    useCase: row.useCase ?? "MIXED",
    useCaseSummary: row.useCaseSummary ?? "",
    sampleMessages: row.sampleMessages,
    optInDescription: row.optInDescription ?? "",
    optInImageUrls: row.optInImageUrls,
    expectedMonthlyVolume: row.expectedMonthlyVolume ?? 1,
    additionalInformation: row.additionalInformation,
  };
}

/**
 * The toll-free SMS verification of an organization, the counterpart of the 10DLC one
 * (VerificationService) for US toll-free numbers, with the same state machine, the same platform
 * operator review and the same reviewer notification outbox. An approved verification covers every
 * US toll-free number of the organization; each submission records the ones it had when submitted.
 * Every status change records an event in the same transaction and refreshes the setup status of
 * the organization's toll-free numbers. An approval is then registered with the carrier that holds
 * the numbers (submitToCarrier), crash safe.
 */
export class TollFreeVerificationService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly setupStatus: SetupStatusChanges,
    private readonly bus: EventBus,
    private readonly carriers: Carriers,
    /** How long a carrier submission attempt holds its row (longer than any carrier call can take). */
    private readonly carrierLeaseMs: number,
    private readonly logger: Logger,
  ) {}

  async overview(caller: Caller): Promise<OrganizationTollFreeVerification> {
    const organizationId = caller.organizationId;
    const submission = await this.prisma.tollFreeVerification.findFirst({ where: { organizationId, current: true } });
    return { organizationId, status: submission?.status ?? "MISSING", submission };
  }

  /** Saves a partial submission. Starts one when there is none, or a new one after a rejection. */
  saveDraft(caller: Caller, input: TollFreeVerificationInput): Promise<TollFreeVerification> {
    return retryingVerificationStep(() => this.#write(caller, "SAVE_DRAFT", input));
  }

  /** Submits for review: the input over the current draft (or over the rejected submission) must be complete. */
  submit(caller: Caller, input: TollFreeVerificationInput): Promise<TollFreeVerification> {
    return retryingVerificationStep(() => this.#write(caller, "SUBMIT", input));
  }

  async decide(caller: Caller, input: z.input<typeof DecideTollFreeVerificationInput>): Promise<TollFreeVerification> {
    const { id } = parseInput(DecideTollFreeVerificationInput, input, decisionProblems(input.decision, input.rejectionReason));
    // As for 10DLC: operators review every organization's submissions, anyone else only their own.
    const owner = await this.prisma.tollFreeVerification.findFirst({
      where: caller.operator ? { id } : { id, organizationId: caller.organizationId },
      select: { organizationId: true },
    });
    if (!owner) throw new NotFoundError("TollFreeVerification", input.id);
    const organizationId = owner.organizationId;
    const verification = await retryingVerificationStep(async () => {
      const row = await this.prisma.tollFreeVerification.findFirst({ where: { id, organizationId } });
      if (!row) throw new NotFoundError("TollFreeVerification", input.id);
      const step = transition(row.status, input.decision);
      if (!step.ok) throw new VerificationTransitionError(row.status, input.decision, step.allowedFrom);
      const approved = input.decision === "APPROVE";
      const decidedAt = new Date();
      // The intent to register the approval with the carrier commits with the approval (submitDueToCarrier
      // finishes it); a verification that lists no number has nothing to register.
      const carrierIntent = approved && row.phoneNumberIds.length > 0 ? { carrier: await this.#carrierFor(row.phoneNumberIds), carrierStatus: "PENDING" as const, carrierNextAttemptAt: decidedAt } : {};
      return this.prisma.$transaction(async (tx) => {
        const [verification] = await tx.tollFreeVerification.updateManyAndReturn({
          where: { id: row.id, current: true, status: row.status },
          data: {
            status: step.to,
            decidedAt,
            decidedBy: caller.subject,
            rejectionReason: approved ? null : input.rejectionReason!.trim(),
            ...carrierIntent,
          },
        });
        if (!verification) throw new ChangedMeanwhile();
        return { verification, event: await this.#record(tx, verification, row.status) };
      });
    }).then(({ verification, event }) => {
      this.#publish(verification, event);
      return verification;
    });
    this.logger.info({ tollFreeVerificationId: verification.id, decision: input.decision, by: caller.subject }, "toll-free verification decided");
    await this.#refreshTollFreeNumbers(organizationId);
    if (verification.carrierStatus !== "PENDING") return verification;
    await this.submitToCarrier(verification.id);
    return this.prisma.tollFreeVerification.findUniqueOrThrow({ where: { id: verification.id } });
  }

  /**
   * Registers approved verifications with the carrier whose attempt is due: after the approval,
   * after a retryable failure's backoff, or after a crash once the attempt's lease ended. Runs
   * from a job and at start. Never throws.
   */
  async submitDueToCarrier(now: Date = new Date()): Promise<number> {
    const due = await this.prisma.tollFreeVerification.findMany({
      where: { carrierStatus: "PENDING", carrierNextAttemptAt: { lte: now } },
      select: { id: true },
      orderBy: [{ carrierNextAttemptAt: "asc" }, { id: "asc" }],
      take: 20,
    });
    for (const { id } of due) await this.submitToCarrier(id, now);
    return due.length;
  }

  /**
   * One attempt to register an approved verification with its carrier: claimed with a lease first,
   * so one instance makes it; after an earlier attempt (whose answer may have been lost) the carrier
   * is asked for the request by our reference before creating one, so a request is never made twice.
   * Retryable failures are tried again with backoff; a refusal is FAILED with the carrier's reason.
   */
  async submitToCarrier(id: string, now: Date = new Date()): Promise<void> {
    try {
      const row = await this.prisma.tollFreeVerification.findFirst({ where: { id, carrierStatus: "PENDING", carrierNextAttemptAt: { lte: now } } });
      if (!row) return;
      const leaseUntil = new Date(now.getTime() + this.carrierLeaseMs);
      const claimed = await this.prisma.tollFreeVerification.updateMany({
        where: { id, carrierStatus: "PENDING", carrierNextAttemptAt: row.carrierNextAttemptAt },
        data: { carrierNextAttemptAt: leaseUntil, carrierAttempts: { increment: 1 } },
      });
      if (claimed.count === 0) return;
      const claim = { id, carrierStatus: "PENDING" as const, carrierNextAttemptAt: leaseUntil };
      const attempts = row.carrierAttempts + 1;
      const numbers = await this.prisma.phoneNumber.findMany({ where: { id: { in: row.phoneNumberIds } }, select: { e164: true }, orderBy: { e164: "asc" } });
      const e164s = numbers.map((n) => n.e164);
      try {
        const carrier = this.carriers.byName(row.carrier ?? "sandbox");
        const found = row.carrierAttempts > 0 ? await carrier.findTollFreeVerification(row.id, e164s) : undefined;
        const request = found ?? (await carrier.submitTollFreeVerification(carrierRequestOf(row, e164s)));
        await this.#settleCarrier(row, claim, {
          data: { carrierStatus: "SUBMITTED", carrierRequestId: request.requestId, carrierReviewStatus: request.status, carrierError: null, carrierSubmittedAt: new Date(), carrierNextAttemptAt: null },
          payload: { status: "SUBMITTED", requestId: request.requestId, error: null },
        });
        this.logger.info({ tollFreeVerificationId: id, carrier: carrier.name, requestId: request.requestId, attempts }, "toll-free verification registered with the carrier");
      } catch (error) {
        const retryable = !(error instanceof CarrierFailure) || error.retryable;
        const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
        if (retryable) {
          await this.prisma.tollFreeVerification.updateMany({ where: claim, data: { carrierError: message, carrierNextAttemptAt: new Date(now.getTime() + backoffMs(attempts, 30_000, 3_600_000)) } });
        } else {
          await this.#settleCarrier(row, claim, { data: { carrierStatus: "FAILED", carrierError: message, carrierNextAttemptAt: null }, payload: { status: "FAILED", requestId: null, error: message } });
        }
        this.logger.warn({ tollFreeVerificationId: id, err: error, attempts, retryable }, retryable ? "toll-free carrier submission failed; will retry" : "the carrier refused the toll-free verification");
      }
    } catch (error) {
      this.logger.error({ err: error, tollFreeVerificationId: id }, "toll-free carrier submission failed");
    }
  }

  /** The carrier registration's outcome, written under the attempt's claim, with its event in the same transaction. */
  async #settleCarrier(
    row: TollFreeVerification,
    claim: Prisma.TollFreeVerificationWhereInput,
    outcome: { data: Prisma.TollFreeVerificationUpdateManyMutationInput; payload: { status: "SUBMITTED" | "FAILED"; requestId: string | null; error: string | null } },
  ): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const written = await tx.tollFreeVerification.updateMany({ where: claim, data: outcome.data });
      if (written.count === 0) return;
      await recordEvent(tx, {
        organizationId: row.organizationId,
        type: "TOLL_FREE_CARRIER_REGISTRATION_CHANGED",
        subject: { type: "TollFreeVerification", id: row.id },
        payload: { tollFreeVerificationId: encodeGlobalID("TollFreeVerification", row.id), carrier: row.carrier ?? "sandbox", previousStatus: "PENDING", ...outcome.payload },
      });
    });
  }

  /** The carrier holding the verification's numbers (bought through it); the sandbox when none does (manual and SIP-trunk numbers). */
  async #carrierFor(phoneNumberIds: readonly string[]): Promise<string> {
    const held = await this.prisma.phoneNumber.findFirst({ where: { id: { in: [...phoneNumberIds] }, carrier: { not: null } }, select: { carrier: true }, orderBy: { createdAt: "asc" } });
    return held?.carrier ?? "sandbox";
  }

  /** The operators' review queue across organizations: submitted ones (never drafts), in the given statuses or all. */
  submissionsWhere(filter?: { statuses?: SubmissionStatus[] | null } | null): Prisma.TollFreeVerificationWhereInput {
    const statuses = filter?.statuses?.length ? [...new Set(filter.statuses)] : [...SUBMISSION_STATUSES];
    return { status: { in: statuses }, submittedAt: { not: null } };
  }

  /** Newest submission first; the id breaks ties so cursors never skip or repeat. */
  readonly submissionsOrder = [{ submittedAt: "desc" }, { id: "desc" }] satisfies Prisma.TollFreeVerificationOrderByWithRelationInput[];

  /** The organization's live US toll-free numbers (the ones this verification gates), narrowed in SQL by prefix, then exactly by the E.164's type. */
  async tollFreeNumberIds(organizationId: string): Promise<string[]> {
    const numbers = await this.prisma.phoneNumber.findMany({
      where: { organizationId, status: { not: "RELEASED" }, country: "US", OR: US_TOLL_FREE_PREFIXES.map((prefix) => ({ e164: { startsWith: prefix } })) },
      select: { id: true, e164: true, country: true },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    return numbers.filter(needsTollFreeVerification).map((n) => n.id);
  }

  async #write(caller: Caller, action: "SAVE_DRAFT" | "SUBMIT", input: TollFreeVerificationInput): Promise<TollFreeVerification> {
    const organizationId = caller.organizationId;
    const current = await this.prisma.tollFreeVerification.findFirst({ where: { organizationId, current: true } });
    const from: VerificationStatus = current?.status ?? "MISSING";
    const step = transition(from, action);
    if (!step.ok) throw new VerificationTransitionError(from, action, step.allowedFrom);
    // A new submission after a rejection starts from the rejected details.
    const base = current ? tollFreeDetailsOf(current) : emptyTollFreeDetails();
    const { details, problems } = (action === "SUBMIT" ? applyTollFreeSubmissionInput : applyTollFreeDraftInput)(base, input);
    if (problems.length) throw new ValidationError(problems);
    const now = new Date();
    const submitting = action === "SUBMIT";
    const data = {
      ...columnsOf(details),
      status: step.to,
      ...(submitting ? { submittedAt: now, phoneNumberIds: await this.tollFreeNumberIds(organizationId) } : {}),
    };
    const organization = submitting ? await this.prisma.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { name: true } }) : undefined;

    const { verification, event } = await this.prisma.$transaction(async (tx) => {
      let verification: TollFreeVerification | undefined;
      if (step.newSubmission) {
        if (current) {
          const moved = await tx.tollFreeVerification.updateMany({ where: { id: current.id, current: true, status: current.status }, data: { current: null } });
          if (moved.count === 0) throw new ChangedMeanwhile();
        }
        verification = await tx.tollFreeVerification.create({ data: { ...data, organizationId } });
      } else {
        [verification] = await tx.tollFreeVerification.updateManyAndReturn({ where: { id: current!.id, current: true, status: current!.status }, data });
        if (!verification) throw new ChangedMeanwhile();
      }
      const event = step.newSubmission || from !== step.to ? await this.#record(tx, verification, from) : undefined;
      if (submitting) {
        // Reviewers are told through the 10DLC verification's outbox (ReviewerNotifications delivers any kind),
        // in the same envelope: `type` says which verification `verification` is.
        const id = crypto.randomUUID();
        await tx.notification.create({
          data: {
            id,
            organizationId,
            kind: "TOLL_FREE_VERIFICATION_SUBMITTED",
            tollFreeVerificationId: verification.id,
            payload: {
              type: "toll_free_verification.submitted",
              notificationId: id,
              organization: { id: organizationId, name: organization!.name },
              verification: {
                id: encodeGlobalID("TollFreeVerification", verification.id),
                status: verification.status,
                submittedAt: now.toISOString(),
                resubmission: from === "REJECTED",
                phoneNumberIds: verification.phoneNumberIds.map((n) => encodeGlobalID("PhoneNumber", n)),
                ...tollFreeDetailsOf(verification),
              },
            } as unknown as Prisma.InputJsonValue,
          },
        });
      }
      return { verification, event };
    });
    this.#publish(verification, event);
    if (event) await this.#refreshTollFreeNumbers(organizationId);
    return verification;
  }

  async #record(tx: Prisma.TransactionClient, verification: TollFreeVerification, previous: VerificationStatus): Promise<{ id: string }> {
    const id = await recordEvent(tx, {
      organizationId: verification.organizationId,
      type: "TOLL_FREE_VERIFICATION_STATUS_CHANGED",
      subject: { type: "TollFreeVerification", id: verification.id },
      payload: {
        ...({ tollFreeVerificationId: verification.id, previous, current: verification.status } satisfies TollFreeVerificationStatusChangePayload),
        tollFreeVerification: tollFreeVerificationSnapshot(verification),
      },
    });
    return { id };
  }

  #publish(verification: TollFreeVerification, event: { id: string } | undefined): void {
    if (!event) return;
    this.bus.pubsub.publish("toll-free-verification-status", verification.organizationId, { eventId: event.id, tollFreeVerificationId: verification.id });
  }

  /** The status decides the SMS readiness of the organization's toll-free numbers; subscribers hear of it. */
  async #refreshTollFreeNumbers(organizationId: string): Promise<void> {
    await this.setupStatus.refresh(await this.tollFreeNumberIds(organizationId));
  }
}
