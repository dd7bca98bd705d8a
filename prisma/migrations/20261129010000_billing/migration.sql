-- CreateEnum
CREATE TYPE "ChargeKind" AS ENUM ('UPFRONT', 'MONTHLY');

-- CreateEnum
CREATE TYPE "ChargeStatus" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED');

-- AlterTable
ALTER TABLE "PhoneNumber" ADD COLUMN     "activatedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "BillingAccount" (
    "organizationId" UUID NOT NULL,
    "planName" TEXT NOT NULL DEFAULT 'Pay as you go',
    "includedNumbers" INTEGER NOT NULL DEFAULT 0,
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "providerCustomerId" TEXT,
    "providerPaymentMethodId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BillingAccount_pkey" PRIMARY KEY ("organizationId")
);

-- CreateTable
CREATE TABLE "Charge" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "phoneNumberId" UUID NOT NULL,
    "kind" "ChargeKind" NOT NULL,
    "period" INTEGER NOT NULL,
    "periodStart" TIMESTAMP(3) NOT NULL,
    "periodEnd" TIMESTAMP(3) NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "status" "ChargeStatus" NOT NULL DEFAULT 'PENDING',
    "failureReason" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "declines" INTEGER NOT NULL DEFAULT 0,
    "providerReference" TEXT,
    "nextAttemptAt" TIMESTAMP(3),
    "firstFailedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Charge_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Charge_status_nextAttemptAt_idx" ON "Charge"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Charge_organizationId_createdAt_id_idx" ON "Charge"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Charge_phoneNumberId_createdAt_id_idx" ON "Charge"("phoneNumberId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Charge_phoneNumberId_kind_period_key" ON "Charge"("phoneNumberId", "kind", "period");

-- CreateIndex
CREATE INDEX "PhoneNumber_nextChargeAt_idx" ON "PhoneNumber"("nextChargeAt");

-- AddForeignKey
ALTER TABLE "BillingAccount" ADD CONSTRAINT "BillingAccount_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Charge" ADD CONSTRAINT "Charge_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Charge" ADD CONSTRAINT "Charge_phoneNumberId_fkey" FOREIGN KEY ("phoneNumberId") REFERENCES "PhoneNumber"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Numbers already in service: activated when they were created, billed from this upgrade on
UPDATE "PhoneNumber" SET "activatedAt" = "createdAt" WHERE "status" IN ('ACTIVE', 'SUSPENDED') AND "activatedAt" IS NULL;
UPDATE "PhoneNumber" SET "nextChargeAt" = CURRENT_TIMESTAMP WHERE "status" IN ('ACTIVE', 'SUSPENDED') AND "nextChargeAt" IS NULL;
