-- Platform operator keys (issue 10, "Reviewers are not applicants"): verification:review belongs to
-- operator keys, which belong to no organization. The keys of an organization can no longer hold it.
-- (No semicolons or quotes in these comments: the embedded database splits the script on them.)

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "operator" BOOLEAN NOT NULL DEFAULT false,
ALTER COLUMN "organizationId" DROP NOT NULL;

-- Keys of organizations given verification:review before this release lose it: they approved themselves.
UPDATE "ApiKey" SET "scopes" = array_remove("scopes", 'verification:review') WHERE 'verification:review' = ANY("scopes");
-- A key that held nothing else is revoked rather than left with no scope.
UPDATE "ApiKey" SET "revokedAt" = CURRENT_TIMESTAMP WHERE cardinality("scopes") = 0 AND "revokedAt" IS NULL;

-- CreateIndex
CREATE INDEX "ApiKey_operator_createdAt_id_idx" ON "ApiKey"("operator", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Verification_status_submittedAt_id_idx" ON "Verification"("status", "submittedAt", "id");
