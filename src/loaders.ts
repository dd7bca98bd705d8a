import DataLoader from "dataloader";
import type { PrismaClient } from "./db/client.ts";
import type { VerificationStatus } from "./domain/setup-status.ts";

export interface Loaders {
  /** The organization's 10DLC verification status, loaded once per request for every number's setup status. */
  verificationStatus: DataLoader<string, VerificationStatus>;
}

export function createLoaders(prisma: PrismaClient): Loaders {
  return {
    // One statement for every organization a request touches: the status of each one's current submission.
    verificationStatus: new DataLoader(async (organizationIds) => {
      const current = await prisma.verification.findMany({
        where: { organizationId: { in: [...organizationIds] }, current: true },
        select: { organizationId: true, status: true },
      });
      const byOrganization = new Map(current.map((v) => [v.organizationId, v.status]));
      return organizationIds.map((id): VerificationStatus => byOrganization.get(id) ?? "MISSING");
    }),
  };
}
