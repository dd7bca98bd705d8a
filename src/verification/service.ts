import { encodeGlobalID } from "@pothos/plugin-relay";
import { recordEvent, verificationSnapshot } from "../events/log.ts";
import type { Logger } from "pino";
import { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import type { PrismaClient } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { ConflictError, NotFoundError, ValidationError, VerificationTransitionError } from "../domain/errors.ts";
import { globalId, parseInput } from "../domain/validation.ts";
import type { VerificationStatus } from "../domain/setup-status.ts";
import {
  applyDraftInput,
  applySubmissionInput,
  buildPrefill,
  decisionProblems,
  detailsFromOrganization,
  emptyDetails,
  transition,
  type Prefill,
  type PrefillSource,
  type VerificationDetails,
  type VerificationInput,
} from "../domain/verification.ts";
import type { EventBus } from "../events/pubsub.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import type { Prisma, Verification } from "../generated/prisma/client.ts";
import { SmsCampaigns } from "./campaigns.ts";

/** What a VERIFICATION_STATUS_CHANGED event records. */
export interface VerificationStatusChangePayload {
  verificationId: string;
  previous: VerificationStatus;
  current: VerificationStatus;
}

/** The organization's verification as a client sees it: the current submission, its status and a prefill. */
export interface OrganizationVerification {
  organizationId: string;
  status: VerificationStatus;
  submission: Verification | null;
  prefill: Prefill;
}

/** The statuses of a verification once submitted (what reviewers list). */
export const SUBMISSION_STATUSES = ["SUBMITTED", "APPROVED", "REJECTED"] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

export const VERIFICATION_DECISIONS = ["APPROVE", "REJECT"] as const;
export type VerificationDecision = (typeof VERIFICATION_DECISIONS)[number];

/** A reviewer's decision; a rejection needs its reason (decisionProblems). */
export const DecideVerificationInput = z.object({
  id: globalId("Verification"),
  decision: z.enum(VERIFICATION_DECISIONS),
  rejectionReason: z.string().nullish(),
});

/** The status of the organization's current submission; MISSING without one. */
export async function currentVerificationStatus(prisma: PrismaClient, organizationId: string): Promise<VerificationStatus> {
  const current = await prisma.verification.findFirst({ where: { organizationId, current: true }, select: { status: true } });
  return current?.status ?? "MISSING";
}

/** A stored submission's details. */
export function detailsOf(row: Verification): VerificationDetails {
  return {
    businessProfile: {
      legalName: row.legalName,
      displayName: row.displayName,
      entityType: row.entityType,
      country: row.country,
      registrationId: row.registrationId,
      website: row.website,
      address: {
        street: row.addressStreet,
        street2: row.addressStreet2,
        city: row.addressCity,
        region: row.addressRegion,
        postalCode: row.addressPostalCode,
        country: row.addressCountry,
      },
      useCase: row.useCase,
      expectedMonthlyVolume: row.expectedMonthlyVolume,
    },
    authorizedRepresentative: {
      name: row.representativeName,
      title: row.representativeTitle,
      email: row.representativeEmail,
      phone: row.representativePhone,
    },
    attestationAccepted: row.attestationAccepted,
  };
}

function columnsOf(details: VerificationDetails) {
  const { businessProfile: b, authorizedRepresentative: r } = details;
  return {
    legalName: b.legalName,
    displayName: b.displayName,
    entityType: b.entityType,
    country: b.country,
    registrationId: b.registrationId,
    website: b.website,
    addressStreet: b.address.street,
    addressStreet2: b.address.street2,
    addressCity: b.address.city,
    addressRegion: b.address.region,
    addressPostalCode: b.address.postalCode,
    addressCountry: b.address.country,
    useCase: b.useCase,
    expectedMonthlyVolume: b.expectedMonthlyVolume,
    representativeName: r.name,
    representativeTitle: r.title,
    representativeEmail: r.email,
    representativePhone: r.phone,
    attestationAccepted: details.attestationAccepted,
  } satisfies Prisma.VerificationUncheckedUpdateInput;
}

/** Someone else changed the verification between our read and our guarded write: read again and retry. */
export class ChangedMeanwhile extends Error {}

const ATTEMPTS = 3;

/**
 * Runs a read-check-write step of a verification again when a concurrent change got in between (a
 * guard missed, or the one-current index refused); after a few attempts, a ConflictError.
 */
export async function retryingVerificationStep<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const raced = error instanceof ChangedMeanwhile || isUniqueViolation(error, ["organizationId", "current"]);
      if (!raced) throw error;
      if (attempt >= ATTEMPTS) throw new ConflictError("The verification changed meanwhile; try again");
    }
  }
}

/**
 * The 10DLC business verification of an organization: drafts, submission (which queues the
 * reviewer notification in the same transaction), the reviewer's decision and resubmission after a
 * rejection. Every status change records an event and is published; decisions refresh the setup
 * status of the organization's numbers, and an approval assigns them to the SMS campaign.
 */
export class VerificationService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly setupStatus: SetupStatusChanges,
    private readonly campaigns: SmsCampaigns,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  async overview(caller: Caller): Promise<OrganizationVerification> {
    const organizationId = caller.organizationId;
    const [submission, earlier, organization] = await Promise.all([
      this.prisma.verification.findFirst({ where: { organizationId, current: true } }),
      this.prisma.verification.findFirst({ where: { organizationId, current: null }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
      this.prisma.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { name: true } }),
    ]);
    const sources: Array<{ source: PrefillSource; details: VerificationDetails }> = [];
    if (submission) sources.push({ source: "CURRENT_SUBMISSION", details: detailsOf(submission) });
    if (earlier) sources.push({ source: "EARLIER_SUBMISSION", details: detailsOf(earlier) });
    sources.push({ source: "ORGANIZATION_PROFILE", details: detailsFromOrganization(organization) });
    return { organizationId, status: submission?.status ?? "MISSING", submission, prefill: buildPrefill(sources) };
  }

  /** Saves a partial submission. Starts one when there is none, or a new one after a rejection. */
  saveDraft(caller: Caller, input: VerificationInput): Promise<Verification> {
    return retryingVerificationStep(() => this.#write(caller, "SAVE_DRAFT", input));
  }

  /**
   * Submits for review: the input over the current draft (or over the rejected submission, which
   * then stays as history) must be complete with the attestation accepted.
   */
  submit(caller: Caller, input: VerificationInput): Promise<Verification> {
    return retryingVerificationStep(() => this.#write(caller, "SUBMIT", input));
  }

  async decide(caller: Caller, input: z.input<typeof DecideVerificationInput>): Promise<Verification> {
    const { id } = parseInput(DecideVerificationInput, input, decisionProblems(input.decision, input.rejectionReason));
    // Operators review every organization's submissions; anyone else (no such caller passes the
    // verification:review check today) would stay within their own organization.
    const owner = await this.prisma.verification.findFirst({
      where: caller.operator ? { id } : { id, organizationId: caller.organizationId },
      select: { organizationId: true },
    });
    if (!owner) throw new NotFoundError("Verification", input.id);
    const organizationId = owner.organizationId;
    const { verification, pending } = await retryingVerificationStep(async () => {
      const row = await this.prisma.verification.findFirst({ where: { id, organizationId } });
      if (!row) throw new NotFoundError("Verification", input.id);
      const step = transition(row.status, input.decision);
      if (!step.ok) throw new VerificationTransitionError(row.status, input.decision, step.allowedFrom);
      const approved = input.decision === "APPROVE";
      const campaignId = approved ? SmsCampaigns.campaignIdFor(row.id) : null;
      return this.prisma.$transaction(async (tx) => {
        const [verification] = await tx.verification.updateManyAndReturn({
          where: { id: row.id, current: true, status: row.status },
          data: {
            status: step.to,
            decidedAt: new Date(),
            decidedBy: caller.subject,
            rejectionReason: approved ? null : input.rejectionReason!.trim(),
            smsCampaignId: campaignId,
          },
        });
        if (!verification) throw new ChangedMeanwhile();
        const event = await this.#record(tx, verification, row.status);
        // Requested in the same transaction: a crash after the commit leaves them PENDING, which the start-up sweep confirms.
        const pending = campaignId ? await this.campaigns.request(tx, organizationId, campaignId) : [];
        return { verification, event, pending };
      });
    }).then(({ verification, event, pending }) => {
      this.#publish(verification, event);
      return { verification, pending };
    });
    this.logger.info({ verificationId: verification.id, decision: input.decision, by: caller.subject }, "verification decided");
    // The decision changes the SMS readiness of the organization's US numbers; subscribers hear of it.
    const numbers = await this.prisma.phoneNumber.findMany({ where: { organizationId, status: { not: "RELEASED" } }, select: { id: true } });
    await this.setupStatus.refresh(numbers.map((n) => n.id));
    await this.campaigns.confirm(pending);
    return this.prisma.verification.findUniqueOrThrow({ where: { id: verification.id } });
  }

  /**
   * The operators' review queue across organizations: submitted verifications (never drafts, which
   * are the organization's own work in progress), in the given statuses or all of them.
   */
  submissionsWhere(filter?: { statuses?: SubmissionStatus[] | null } | null): Prisma.VerificationWhereInput {
    const statuses = filter?.statuses?.length ? [...new Set(filter.statuses)] : [...SUBMISSION_STATUSES];
    return { status: { in: statuses }, submittedAt: { not: null } };
  }

  /** Newest submission first; the id breaks ties so cursors never skip or repeat. */
  readonly submissionsOrder = [{ submittedAt: "desc" }, { id: "desc" }] satisfies Prisma.VerificationOrderByWithRelationInput[];

  async #write(caller: Caller, action: "SAVE_DRAFT" | "SUBMIT", input: VerificationInput): Promise<Verification> {
    const organizationId = caller.organizationId;
    const current = await this.prisma.verification.findFirst({ where: { organizationId, current: true } });
    const from: VerificationStatus = current?.status ?? "MISSING";
    const step = transition(from, action);
    if (!step.ok) throw new VerificationTransitionError(from, action, step.allowedFrom);
    // A new submission after a rejection starts from the rejected details; the attestation is given anew.
    const base = current ? { ...detailsOf(current), attestationAccepted: step.newSubmission ? false : current.attestationAccepted } : emptyDetails();
    const { details, problems } = (action === "SUBMIT" ? applySubmissionInput : applyDraftInput)(base, input);
    if (problems.length) throw new ValidationError(problems);
    const now = new Date();
    const keepAttestedAt = !step.newSubmission && current?.attestationAccepted && current.attestedAt;
    const data = {
      ...columnsOf(details),
      status: step.to,
      attestedAt: details.attestationAccepted ? keepAttestedAt || now : null,
      ...(action === "SUBMIT" ? { submittedAt: now } : {}),
    };
    const organization = action === "SUBMIT" ? await this.prisma.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { name: true } }) : undefined;

    const { verification, event } = await this.prisma.$transaction(async (tx) => {
      let verification: Verification | undefined;
      if (step.newSubmission) {
        if (current) {
          const moved = await tx.verification.updateMany({ where: { id: current.id, current: true, status: current.status }, data: { current: null } });
          if (moved.count === 0) throw new ChangedMeanwhile();
        }
        verification = await tx.verification.create({ data: { ...data, organizationId } });
      } else {
        [verification] = await tx.verification.updateManyAndReturn({ where: { id: current!.id, current: true, status: current!.status }, data });
        if (!verification) throw new ChangedMeanwhile();
      }
      const event = step.newSubmission || from !== step.to ? await this.#record(tx, verification, from) : undefined;
      if (action === "SUBMIT") {
        // The outbox row commits with the submission: whatever happens next, the reviewers are told.
        const id = crypto.randomUUID();
        await tx.notification.create({
          data: {
            id,
            organizationId,
            kind: "VERIFICATION_SUBMITTED",
            verificationId: verification.id,
            payload: {
              type: "verification.submitted",
              notificationId: id,
              organization: { id: organizationId, name: organization!.name },
              verification: {
                id: encodeGlobalID("Verification", verification.id),
                status: verification.status,
                submittedAt: now.toISOString(),
                resubmission: from === "REJECTED",
                ...detailsOf(verification),
              },
            } as unknown as Prisma.InputJsonValue,
          },
        });
      }
      return { verification, event };
    });
    this.#publish(verification, event);
    return verification;
  }

  async #record(tx: Prisma.TransactionClient, verification: Verification, previous: VerificationStatus): Promise<{ id: string }> {
    const id = await recordEvent(tx, {
      organizationId: verification.organizationId,
      type: "VERIFICATION_STATUS_CHANGED",
      subject: { type: "Verification", id: verification.id },
      payload: {
        ...({ verificationId: verification.id, previous, current: verification.status } satisfies VerificationStatusChangePayload),
        verification: verificationSnapshot(verification),
      },
    });
    return { id };
  }

  #publish(verification: Verification, event: { id: string } | undefined): void {
    if (!event) return;
    this.bus.pubsub.publish("verification-status", verification.organizationId, { eventId: event.id, verificationId: verification.id });
  }

}
