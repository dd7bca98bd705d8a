-- CreateEnum
CREATE TYPE "CarrierSubmissionStatus" AS ENUM ('PENDING', 'SUBMITTED', 'FAILED');

-- AlterEnum
ALTER TYPE "EventType" ADD VALUE 'TOLL_FREE_VERIFICATION_STATUS_CHANGED';

-- AlterEnum
ALTER TYPE "EventType" ADD VALUE 'TOLL_FREE_CARRIER_REGISTRATION_CHANGED';

-- AlterEnum
ALTER TYPE "NotificationKind" ADD VALUE 'TOLL_FREE_VERIFICATION_SUBMITTED';

-- AlterTable
ALTER TABLE "Notification" ADD COLUMN     "tollFreeVerificationId" UUID;

-- CreateTable
CREATE TABLE "TollFreeVerification" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "current" BOOLEAN DEFAULT true,
    "status" "VerificationStatus" NOT NULL DEFAULT 'DRAFT',
    "businessName" TEXT,
    "website" TEXT,
    "addressStreet" TEXT,
    "addressStreet2" TEXT,
    "addressCity" TEXT,
    "addressRegion" TEXT,
    "addressPostalCode" TEXT,
    "addressCountry" TEXT,
    "contactFirstName" TEXT,
    "contactLastName" TEXT,
    "contactEmail" TEXT,
    "contactPhone" TEXT,
    "useCase" "SmsUseCase",
    "useCaseSummary" TEXT,
    "sampleMessages" TEXT[],
    "optInDescription" TEXT,
    "optInImageUrls" TEXT[],
    "expectedMonthlyVolume" INTEGER,
    "additionalInformation" TEXT,
    "phoneNumberIds" UUID[],
    "rejectionReason" TEXT,
    "submittedAt" TIMESTAMP(3),
    "decidedAt" TIMESTAMP(3),
    "decidedBy" TEXT,
    "carrier" TEXT,
    "carrierStatus" "CarrierSubmissionStatus",
    "carrierRequestId" TEXT,
    "carrierReviewStatus" TEXT,
    "carrierError" TEXT,
    "carrierAttempts" INTEGER NOT NULL DEFAULT 0,
    "carrierNextAttemptAt" TIMESTAMP(3),
    "carrierSubmittedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TollFreeVerification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TollFreeVerification_organizationId_createdAt_id_idx" ON "TollFreeVerification"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "TollFreeVerification_status_submittedAt_id_idx" ON "TollFreeVerification"("status", "submittedAt", "id");

-- CreateIndex
CREATE INDEX "TollFreeVerification_carrierStatus_carrierNextAttemptAt_idx" ON "TollFreeVerification"("carrierStatus", "carrierNextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "TollFreeVerification_organizationId_current_key" ON "TollFreeVerification"("organizationId", "current");

-- CreateIndex
CREATE INDEX "Notification_tollFreeVerificationId_createdAt_idx" ON "Notification"("tollFreeVerificationId", "createdAt");

-- AddForeignKey
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_tollFreeVerificationId_fkey" FOREIGN KEY ("tollFreeVerificationId") REFERENCES "TollFreeVerification"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TollFreeVerification" ADD CONSTRAINT "TollFreeVerification_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

