-- CreateEnum
CREATE TYPE "VerificationStatus" AS ENUM ('DRAFT', 'SUBMITTED', 'APPROVED', 'REJECTED');

-- CreateEnum
CREATE TYPE "BusinessEntityType" AS ENUM ('PRIVATE_PROFIT', 'PUBLIC_PROFIT', 'NON_PROFIT', 'GOVERNMENT', 'SOLE_PROPRIETOR');

-- CreateEnum
CREATE TYPE "SmsUseCase" AS ENUM ('TWO_FACTOR_AUTHENTICATION', 'ACCOUNT_NOTIFICATION', 'CUSTOMER_CARE', 'DELIVERY_NOTIFICATION', 'FRAUD_ALERT', 'MARKETING', 'MIXED', 'LOW_VOLUME_MIXED');

-- CreateEnum
CREATE TYPE "NotificationKind" AS ENUM ('VERIFICATION_SUBMITTED');

-- CreateEnum
CREATE TYPE "NotificationStatus" AS ENUM ('QUEUED', 'SENT', 'FAILED');

-- AlterEnum
ALTER TYPE "EventType" ADD VALUE 'VERIFICATION_STATUS_CHANGED';

-- CreateTable
CREATE TABLE "Verification" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "current" BOOLEAN DEFAULT true,
    "status" "VerificationStatus" NOT NULL DEFAULT 'DRAFT',
    "legalName" TEXT,
    "displayName" TEXT,
    "entityType" "BusinessEntityType",
    "country" TEXT,
    "registrationId" TEXT,
    "website" TEXT,
    "addressStreet" TEXT,
    "addressStreet2" TEXT,
    "addressCity" TEXT,
    "addressRegion" TEXT,
    "addressPostalCode" TEXT,
    "addressCountry" TEXT,
    "useCase" "SmsUseCase",
    "expectedMonthlyVolume" INTEGER,
    "representativeName" TEXT,
    "representativeTitle" TEXT,
    "representativeEmail" TEXT,
    "representativePhone" TEXT,
    "attestationAccepted" BOOLEAN NOT NULL DEFAULT false,
    "attestedAt" TIMESTAMP(3),
    "rejectionReason" TEXT,
    "submittedAt" TIMESTAMP(3),
    "decidedAt" TIMESTAMP(3),
    "decidedBy" TEXT,
    "smsCampaignId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Verification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "kind" "NotificationKind" NOT NULL,
    "verificationId" UUID,
    "payload" JSONB NOT NULL,
    "status" "NotificationStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptAt" TIMESTAMP(3),
    "lastError" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Verification_organizationId_createdAt_id_idx" ON "Verification"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Verification_organizationId_current_key" ON "Verification"("organizationId", "current");

-- CreateIndex
CREATE INDEX "Notification_status_nextAttemptAt_idx" ON "Notification"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Notification_verificationId_createdAt_idx" ON "Notification"("verificationId", "createdAt");

-- AddForeignKey
ALTER TABLE "Verification" ADD CONSTRAINT "Verification_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_verificationId_fkey" FOREIGN KEY ("verificationId") REFERENCES "Verification"("id") ON DELETE CASCADE ON UPDATE CASCADE;

