import DataLoader from "dataloader";
import type { PrismaClient } from "./db/client.ts";
import type { OrganizationVerificationStatuses, VerificationStatus } from "./domain/setup-status.ts";

export interface Loaders {
  /** The organization's 10DLC and toll-free verification statuses, loaded once per request for every number's setup status. */
  readonly verificationStatuses: DataLoader<string, OrganizationVerificationStatuses>;
  /**
   * The statuses already known in this request (loaded, or read by the page's own statement), so a
   * list's setup statuses resolve at once instead of as one promise per row.
   */
  knownVerificationStatuses(organizationId: string): OrganizationVerificationStatuses | undefined;
  /** Records statuses read some other way (src/numbers/page-resolver.ts). */
  primeVerificationStatuses(organizationId: string, statuses: OrganizationVerificationStatuses): void;
}

/**
 * A request's loaders. Each is made on first use: most requests and every subscription event
 * (whose context gets fresh loaders per event, for each subscriber) never load a verification.
 */
export function createLoaders(prisma: PrismaClient): Loaders {
  let known: Map<string, OrganizationVerificationStatuses> | undefined;
  let loader: DataLoader<string, OrganizationVerificationStatuses> | undefined;
  const verificationStatuses = () =>
    // One statement for every organization a request touches: the status of each one's current submissions.
    (loader ??= new DataLoader<string, OrganizationVerificationStatuses>(async (organizationIds) => {
      const rows = await prisma.$queryRawUnsafe<Array<{ id: string; tenDlc: VerificationStatus | null; tollFree: VerificationStatus | null }>>(
        `SELECT o.id::text AS "id",
                (SELECT v."status"::text FROM "Verification" v WHERE v."organizationId" = o.id AND v."current") AS "tenDlc",
                (SELECT f."status"::text FROM "TollFreeVerification" f WHERE f."organizationId" = o.id AND f."current") AS "tollFree"
           FROM unnest($1::uuid[]) AS o(id)`,
        [...organizationIds],
      );
      const byOrganization = new Map(rows.map((row) => [row.id, row]));
      return organizationIds.map((id): OrganizationVerificationStatuses => {
        const row = byOrganization.get(id);
        const statuses = { tenDlc: row?.tenDlc ?? "MISSING", tollFree: row?.tollFree ?? "MISSING" };
        (known ??= new Map()).set(id, statuses);
        return statuses;
      });
    }));
  return {
    get verificationStatuses() {
      return verificationStatuses();
    },
    knownVerificationStatuses: (organizationId) => known?.get(organizationId),
    primeVerificationStatuses(organizationId, statuses) {
      (known ??= new Map()).set(organizationId, statuses);
      verificationStatuses().prime(organizationId, statuses);
    },
  };
}
