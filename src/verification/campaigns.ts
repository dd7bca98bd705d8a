import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { PrismaClient } from "../db/client.ts";
import type { RefreshedNumber, SetupStatusChanges } from "../events/setup-status-changes.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { needsTollFreeVerification, US_TOLL_FREE_PREFIXES } from "../domain/toll-free.ts";

/** Toll-free numbers text under the toll-free verification: they never join a 10DLC campaign. */
const NOT_TOLL_FREE = { NOT: { OR: US_TOLL_FREE_PREFIXES.map((prefix) => ({ e164: { startsWith: prefix } })) } } satisfies Prisma.PhoneNumberWhereInput;

type Tx = Prisma.TransactionClient;

/**
 * 10DLC SMS campaign assignment. Once an organization's verification is approved it has a campaign,
 * and each of its eligible numbers (ACTIVE, SMS-capable, US, not yet assigned) is assigned to it:
 * first PENDING, then ASSIGNED once the campaign registry confirms. US toll-free numbers are left
 * out: they need the toll-free verification instead (src/verification/toll-free.ts). No carrier API for campaigns
 * exists yet, so the registry is a sandbox that confirms at once; every step is guarded on the
 * previous state, so repeating one (after a crash, or on two instances) changes nothing.
 */
export class SmsCampaigns {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly setupStatus: SetupStatusChanges,
    private readonly logger: Logger,
  ) {}

  /** The sandbox registry's campaign id for an approved verification: stable, so a repeat finds the same one. */
  static campaignIdFor(verificationId: string): string {
    return `C${createHash("sha256").update(verificationId).digest("hex").slice(0, 6).toUpperCase()}`;
  }

  /**
   * Marks the organization's eligible numbers (all of them, or only `phoneNumberIds`) PENDING on
   * `campaignId`, inside the caller's transaction, and returns their ids.
   */
  async request(tx: Tx, organizationId: string, campaignId: string, phoneNumberIds?: readonly string[]): Promise<string[]> {
    const pending = await tx.phoneNumber.updateManyAndReturn({
      where: {
        organizationId,
        status: "ACTIVE",
        smsCapable: true,
        country: "US",
        smsCampaignStatus: null,
        ...NOT_TOLL_FREE,
        ...(phoneNumberIds ? { id: { in: [...phoneNumberIds] } } : {}),
      },
      data: { smsCampaignId: campaignId, smsCampaignStatus: "PENDING", smsCampaignUpdatedAt: new Date() },
      select: { id: true },
    });
    return pending.map((n) => n.id);
  }

  /** The registry confirms PENDING assignments (the sandbox: all of them, at once). */
  async confirm(phoneNumberIds: readonly string[]): Promise<void> {
    if (phoneNumberIds.length === 0) return;
    const assigned = await this.prisma.phoneNumber.updateManyAndReturn({
      where: { id: { in: [...phoneNumberIds] }, smsCampaignStatus: "PENDING" },
      data: { smsCampaignStatus: "ASSIGNED", smsCampaignUpdatedAt: new Date() },
      select: { id: true },
    });
    await this.setupStatus.refresh(assigned.map((n) => n.id));
  }

  /**
   * After a refresh: numbers that just became eligible (bought and activated, created, or made
   * SMS-capable) under an approved verification are assigned. Costs nothing unless one qualifies.
   */
  async assignNewlyEligible(numbers: readonly RefreshedNumber[]): Promise<void> {
    const candidates = numbers.filter(
      ({ number, verificationStatus }) =>
        verificationStatus === "APPROVED" && number.status === "ACTIVE" && number.smsCapable && number.country === "US" && !number.smsCampaignStatus && !needsTollFreeVerification(number),
    );
    const byOrganization = new Map<string, string[]>();
    for (const { number } of candidates) byOrganization.set(number.organizationId, [...(byOrganization.get(number.organizationId) ?? []), number.id]);
    for (const [organizationId, ids] of byOrganization) await this.assign(organizationId, ids);
  }

  /**
   * Assigns the organization's eligible numbers (or only `phoneNumberIds`) to the campaign of its
   * approved verification: PENDING (refreshed), then confirmed.
   */
  async assign(organizationId: string, phoneNumberIds?: readonly string[]): Promise<void> {
    const approved = await this.prisma.verification.findFirst({
      where: { organizationId, current: true, status: "APPROVED" },
      select: { id: true, smsCampaignId: true },
    });
    if (!approved) return;
    const campaignId = approved.smsCampaignId ?? SmsCampaigns.campaignIdFor(approved.id);
    const pending = await this.prisma.$transaction((tx) => this.request(tx, organizationId, campaignId, phoneNumberIds));
    if (pending.length === 0) return;
    this.logger.info({ organizationId, campaignId, numbers: pending.length }, "numbers requested for the SMS campaign");
    await this.setupStatus.refresh(pending);
    await this.confirm(pending);
  }

  /**
   * Finishes what a crash interrupted: PENDING assignments are confirmed, and eligible numbers of
   * approved organizations that were never requested are assigned. Runs at start.
   */
  async resume(): Promise<void> {
    const pending = await this.prisma.phoneNumber.findMany({ where: { smsCampaignStatus: "PENDING" }, select: { id: true } });
    await this.confirm(pending.map((n) => n.id));
    const waiting = await this.prisma.phoneNumber.findMany({
      where: {
        status: "ACTIVE",
        smsCapable: true,
        country: "US",
        smsCampaignStatus: null,
        ...NOT_TOLL_FREE,
        organization: { verifications: { some: { current: true, status: "APPROVED" } } },
      },
      distinct: ["organizationId"],
      select: { organizationId: true },
    });
    for (const { organizationId } of waiting) await this.assign(organizationId);
  }
}
