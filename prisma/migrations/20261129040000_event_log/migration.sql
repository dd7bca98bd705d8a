-- AlterEnum (PostgreSQL 12 and later add several values in one migration)
ALTER TYPE "EventType" ADD VALUE 'NUMBER_ORDERED';
ALTER TYPE "EventType" ADD VALUE 'NUMBER_ACTIVATED';
ALTER TYPE "EventType" ADD VALUE 'NUMBER_FAILED';
ALTER TYPE "EventType" ADD VALUE 'NUMBER_UPDATED';
ALTER TYPE "EventType" ADD VALUE 'NUMBER_ASSIGNED';
ALTER TYPE "EventType" ADD VALUE 'NUMBER_UNASSIGNED';
ALTER TYPE "EventType" ADD VALUE 'NUMBER_SUSPENDED';
ALTER TYPE "EventType" ADD VALUE 'NUMBER_REACTIVATED';
ALTER TYPE "EventType" ADD VALUE 'CHARGE_SUCCEEDED';
ALTER TYPE "EventType" ADD VALUE 'CHARGE_FAILED';
ALTER TYPE "EventType" ADD VALUE 'API_KEY_CREATED';
ALTER TYPE "EventType" ADD VALUE 'API_KEY_REVOKED';

-- AlterTable
ALTER TABLE "Event" ADD COLUMN     "subjectId" UUID,
ADD COLUMN     "subjectType" TEXT;

-- CreateIndex
CREATE INDEX "Event_subjectId_createdAt_idx" ON "Event"("subjectId", "createdAt");

-- (The index on "Event"."createdAt" that retention deletes by is created by 20261129030000_webhook_endpoints.)

-- Events of numbers that no longer exist keep their snapshot, without the reference
UPDATE "Event" SET "phoneNumberId" = NULL WHERE "phoneNumberId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "PhoneNumber" p WHERE p."id" = "Event"."phoneNumberId");

-- AddForeignKey
ALTER TABLE "Event" ADD CONSTRAINT "Event_phoneNumberId_fkey" FOREIGN KEY ("phoneNumberId") REFERENCES "PhoneNumber"("id") ON DELETE SET NULL ON UPDATE CASCADE;

