-- Durable release (issue 10): RELEASING is written before the carrier is called, and the order job
-- finishes releases a crash interrupted. A release is recorded as an event.
-- AlterEnum
ALTER TYPE "NumberStatus" ADD VALUE 'RELEASING';

-- AlterEnum
ALTER TYPE "EventType" ADD VALUE 'NUMBER_RELEASED';

-- AlterTable
ALTER TABLE "PhoneNumber" ADD COLUMN     "releaseRequestedAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "PhoneNumber_status_releaseRequestedAt_idx" ON "PhoneNumber"("status", "releaseRequestedAt");

