-- CreateEnum
CREATE TYPE "EmergencyRegistrationStatus" AS ENUM ('PENDING', 'ACTIVE', 'FAILED', 'STORED');

-- AlterEnum
ALTER TYPE "EventType" ADD VALUE 'EMERGENCY_REGISTRATION_CHANGED';

-- AlterTable
ALTER TABLE "PhoneNumber" ADD COLUMN     "emergencyAddressId" UUID,
ADD COLUMN     "emergencyAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "emergencyCarrierAddressId" TEXT,
ADD COLUMN     "emergencyFailureReason" TEXT,
ADD COLUMN     "emergencyNextAttemptAt" TIMESTAMP(3),
ADD COLUMN     "emergencyStatus" "EmergencyRegistrationStatus",
ADD COLUMN     "emergencyUpdatedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "EmergencyAddress" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "callerName" TEXT NOT NULL,
    "street" TEXT NOT NULL,
    "unit" TEXT,
    "city" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "postalCode" TEXT NOT NULL,
    "country" TEXT NOT NULL,
    "status" "EmergencyRegistrationStatus",
    "failureReason" TEXT,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "carrierAddressIds" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EmergencyAddress_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "EmergencyAddress_organizationId_createdAt_id_idx" ON "EmergencyAddress"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "PhoneNumber_emergencyNextAttemptAt_idx" ON "PhoneNumber"("emergencyNextAttemptAt");

-- CreateIndex
CREATE INDEX "PhoneNumber_emergencyAddressId_idx" ON "PhoneNumber"("emergencyAddressId");

-- AddForeignKey
ALTER TABLE "PhoneNumber" ADD CONSTRAINT "PhoneNumber_emergencyAddressId_fkey" FOREIGN KEY ("emergencyAddressId") REFERENCES "EmergencyAddress"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmergencyAddress" ADD CONSTRAINT "EmergencyAddress_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

