-- CreateEnum
CREATE TYPE "MessageDirection" AS ENUM ('INBOUND', 'OUTBOUND');

-- CreateEnum
CREATE TYPE "MessageStatus" AS ENUM ('QUEUED', 'SENT', 'DELIVERED', 'FAILED', 'RECEIVED');

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "smsHelpText" TEXT;

-- CreateTable
CREATE TABLE "Message" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "phoneNumberId" UUID NOT NULL,
    "direction" "MessageDirection" NOT NULL,
    "from" TEXT NOT NULL,
    "to" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "mediaUrls" TEXT[],
    "status" "MessageStatus" NOT NULL,
    "carrier" TEXT NOT NULL,
    "carrierMessageId" TEXT,
    "carrierEventId" TEXT,
    "idempotencyKey" TEXT,
    "errorCode" TEXT,
    "toReleasedNumber" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "sentAt" TIMESTAMP(3),
    "deliveredAt" TIMESTAMP(3),
    "failedAt" TIMESTAMP(3),

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OptOut" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "phoneNumberId" UUID NOT NULL,
    "sender" TEXT NOT NULL,
    "keyword" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OptOut_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookReceipt" (
    "id" UUID NOT NULL,
    "carrier" TEXT NOT NULL,
    "signatureHash" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookReceipt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Message_carrier_carrierMessageId_idx" ON "Message"("carrier", "carrierMessageId");

-- CreateIndex
CREATE INDEX "Message_phoneNumberId_createdAt_id_idx" ON "Message"("phoneNumberId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Message_organizationId_createdAt_id_idx" ON "Message"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Message_carrier_carrierEventId_key" ON "Message"("carrier", "carrierEventId");

-- CreateIndex
CREATE UNIQUE INDEX "Message_organizationId_idempotencyKey_key" ON "Message"("organizationId", "idempotencyKey");

-- CreateIndex
CREATE INDEX "OptOut_organizationId_createdAt_id_idx" ON "OptOut"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "OptOut_phoneNumberId_sender_key" ON "OptOut"("phoneNumberId", "sender");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookReceipt_signatureHash_key" ON "WebhookReceipt"("signatureHash");

-- CreateIndex
CREATE INDEX "WebhookReceipt_receivedAt_idx" ON "WebhookReceipt"("receivedAt");

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_phoneNumberId_fkey" FOREIGN KEY ("phoneNumberId") REFERENCES "PhoneNumber"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OptOut" ADD CONSTRAINT "OptOut_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OptOut" ADD CONSTRAINT "OptOut_phoneNumberId_fkey" FOREIGN KEY ("phoneNumberId") REFERENCES "PhoneNumber"("id") ON DELETE CASCADE ON UPDATE CASCADE;

