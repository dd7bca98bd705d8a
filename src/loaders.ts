import DataLoader from "dataloader";
import type { PrismaClient } from "./db/client.ts";
import type { VerificationStatus } from "./domain/setup-status.ts";

export interface Loaders {
  /** The organization's 10DLC verification status, loaded once per request for every number's setup status. */
  verificationStatus: DataLoader<string, VerificationStatus>;
}

export function createLoaders(_prisma: PrismaClient): Loaders {
  return {
    // Verification submissions arrive with the 10DLC capability; until then no organization has one.
    verificationStatus: new DataLoader(async (organizationIds) => organizationIds.map((): VerificationStatus => "MISSING")),
  };
}
