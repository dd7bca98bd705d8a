import DataLoader from "dataloader";
import type { PrismaClient } from "./db/client.ts";
import type { VerificationStatus } from "./domain/setup-status.ts";

export interface Loaders {
  /** The organization's 10DLC verification status, loaded once per request for every number's setup status. */
  readonly verificationStatus: DataLoader<string, VerificationStatus>;
  /**
   * The status already known in this request (loaded, or read by the page's own statement), so a
   * list's setup statuses resolve at once instead of as one promise per row.
   */
  knownVerificationStatus(organizationId: string): VerificationStatus | undefined;
  /** Records a status read some other way (src/numbers/page-resolver.ts). */
  primeVerificationStatus(organizationId: string, status: VerificationStatus): void;
}

/**
 * A request's loaders. Each is made on first use: most requests and every subscription event
 * (whose context gets fresh loaders per event, for each subscriber) never load a verification.
 */
export function createLoaders(prisma: PrismaClient): Loaders {
  let known: Map<string, VerificationStatus> | undefined;
  let loader: DataLoader<string, VerificationStatus> | undefined;
  const verificationStatus = () =>
    // One statement for every organization a request touches: the status of each one's current submission.
    (loader ??= new DataLoader<string, VerificationStatus>(async (organizationIds) => {
      const current = await prisma.verification.findMany({
        where: { organizationId: { in: [...organizationIds] }, current: true },
        select: { organizationId: true, status: true },
      });
      const byOrganization = new Map(current.map((v) => [v.organizationId, v.status]));
      return organizationIds.map((id): VerificationStatus => {
        const status = byOrganization.get(id) ?? "MISSING";
        (known ??= new Map()).set(id, status);
        return status;
      });
    }));
  return {
    get verificationStatus() {
      return verificationStatus();
    },
    knownVerificationStatus: (organizationId) => known?.get(organizationId),
    primeVerificationStatus(organizationId, status) {
      (known ??= new Map()).set(organizationId, status);
      verificationStatus().prime(organizationId, status);
    },
  };
}
