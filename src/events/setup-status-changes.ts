import type { Logger } from "pino";
import type { PrismaClient } from "../db/client.ts";
import { setupStatusOf, type OrganizationVerificationStatuses, type SetupStatus, type VerificationStatus } from "../domain/setup-status.ts";
import { Prisma, type PhoneNumber } from "../generated/prisma/client.ts";
import { numberSnapshot, recordEvent } from "./log.ts";
import type { EventBus } from "./pubsub.ts";

/** JSON with object keys sorted: jsonb stores keys in its own order, so plain stringify would differ. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function withoutInboundRoute(status: SetupStatus): Omit<SetupStatus, "inboundRoute"> {
  const { inboundRoute: _derived, ...rest } = status;
  return rest;
}

/** What a SETUP_STATUS_CHANGED event records. */
export interface SetupStatusChangePayload {
  previous: SetupStatus | null;
  current: SetupStatus;
  /** The number as it was when the change was recorded, with its agent's status then (absent in events before 2026-11-29). */
  phoneNumber?: ReturnType<typeof numberSnapshot> & { agentStatus: string | null };
}

/** A number a refresh read, with the organization's verification statuses its setup status was computed under. */
export interface RefreshedNumber {
  /** The number as the refresh read it, with its agent's status. */
  number: PhoneNumber & { agent: { status: "ACTIVE" | "PAUSED" } | null };
  /** The organization's 10DLC verification status. */
  verificationStatus: VerificationStatus;
  /** The organization's toll-free verification status. */
  tollFreeVerificationStatus: VerificationStatus;
}

/** Told after every refresh; a listener that changes numbers refreshes them itself. */
export type RefreshListener = (numbers: readonly RefreshedNumber[]) => Promise<void>;

/**
 * The one mechanism behind live setup status: after any committed change that may affect numbers
 * (a mutation, a webhook, a job), call `refresh` with their ids. It recomputes each number's setup
 * status, compares it with the snapshot stored on the number, and only when it differs stores the
 * new snapshot, records a SETUP_STATUS_CHANGED event and publishes the event's id.
 */
export class SetupStatusChanges {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly verificationStatuses: (organizationId: string) => Promise<OrganizationVerificationStatuses> = async () => ({ tenDlc: "MISSING", tollFree: "MISSING" }),
  ) {}

  readonly #listeners: RefreshListener[] = [];

  /**
   * Runs `listener` after every refresh with the numbers it read, so follow-up work that depends on
   * a number's state (assigning a newly active US number to its organization's SMS campaign) needs
   * no hook in each write path.
   */
  afterRefresh(listener: RefreshListener): void {
    this.#listeners.push(listener);
  }

  /** Never throws: the change itself is committed; a failed refresh is logged and caught up by the next one. */
  async refresh(phoneNumberIds: readonly string[]): Promise<void> {
    if (phoneNumberIds.length === 0) return;
    try {
      const refreshed = await this.#refresh([...new Set(phoneNumberIds)]);
      for (const listener of this.#listeners) await listener(refreshed);
    } catch (error) {
      this.logger.error({ err: error, phoneNumberIds }, "setup status refresh failed");
    }
  }

  async #refresh(ids: string[]): Promise<RefreshedNumber[]> {
    const numbers = await this.prisma.phoneNumber.findMany({
      where: { id: { in: ids } },
      include: { agent: { select: { status: true } } },
    });
    const verification = new Map<string, Promise<OrganizationVerificationStatuses>>();
    const refreshed: RefreshedNumber[] = [];
    for (const number of numbers) {
      if (!verification.has(number.organizationId)) verification.set(number.organizationId, this.verificationStatuses(number.organizationId));
      const statuses = await verification.get(number.organizationId)!;
      refreshed.push({ number, verificationStatus: statuses.tenDlc, tollFreeVerificationStatus: statuses.tollFree });
      const current = setupStatusOf(number, statuses);
      const previous = (number.setupStatusSnapshot as SetupStatus | null) ?? null;
      // Snapshots from before inboundRoute existed lack it; it is derived from what they hold, so
      // its arrival alone is no change to announce.
      if (previous && canonicalJson(previous) === canonicalJson("inboundRoute" in previous ? current : withoutInboundRoute(current))) continue;
      const event = await this.prisma.$transaction(async (tx) => {
        // Guarded on the snapshot we compared with: of two concurrent refreshes, one records the change.
        const updated = await tx.phoneNumber.updateMany({
          where: { id: number.id, setupStatusSnapshot: previous ? { equals: previous as unknown as Prisma.InputJsonValue } : { equals: Prisma.DbNull } },
          data: { setupStatusSnapshot: current as unknown as Prisma.InputJsonValue },
        });
        if (updated.count === 0) return undefined;
        const payload: SetupStatusChangePayload = { previous, current, phoneNumber: { ...numberSnapshot(number), agentStatus: number.agent?.status ?? null } };
        return { id: await recordEvent(tx, { organizationId: number.organizationId, type: "SETUP_STATUS_CHANGED", phoneNumberId: number.id, payload: { ...payload } }) };
      });
      if (!event) continue;
      this.logger.info(
        { phoneNumberId: number.id, from: previous?.status ?? null, to: current.status, eventId: event.id },
        "setup status changed",
      );
      this.bus.pubsub.publish("setup-status", number.organizationId, { eventId: event.id, phoneNumberId: number.id });
    }
    return refreshed;
  }
}
