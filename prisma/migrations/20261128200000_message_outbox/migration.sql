-- Durable sending (issue 10): sendMessage writes the message with its send intent (nextAttemptAt)
-- and the sender claims due messages with a lease, calls the carrier, and records SENT or FAILED.
-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "failureReason" TEXT,
ADD COLUMN     "leasedUntil" TIMESTAMP(3),
ADD COLUMN     "nextAttemptAt" TIMESTAMP(3),
ADD COLUMN     "sendAttempts" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Message_nextAttemptAt_id_idx" ON "Message"("nextAttemptAt", "id");

-- Outbound messages left QUEUED without a carrier id by the old synchronous send (a crash between
-- the carrier call and the write) may or may not have been sent: they are closed as FAILED with
-- that reason rather than sent again.
UPDATE "Message" SET "status" = 'FAILED', "failedAt" = CURRENT_TIMESTAMP, "errorCode" = 'CARRIER_OUTCOME_UNKNOWN',
  "failureReason" = 'Interrupted before the outbox existed: the carrier may or may not have sent it'
WHERE "direction" = 'OUTBOUND' AND "status" = 'QUEUED' AND "carrierMessageId" IS NULL;
