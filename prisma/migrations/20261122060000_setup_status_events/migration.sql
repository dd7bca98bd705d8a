-- CreateEnum
CREATE TYPE "EventType" AS ENUM ('SETUP_STATUS_CHANGED');

-- AlterTable
ALTER TABLE "PhoneNumber" ADD COLUMN     "setupStatusSnapshot" JSONB;

-- CreateTable
CREATE TABLE "Event" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "type" "EventType" NOT NULL,
    "phoneNumberId" UUID,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Event_organizationId_createdAt_id_idx" ON "Event"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Event_phoneNumberId_createdAt_idx" ON "Event"("phoneNumberId", "createdAt");

-- AddForeignKey
ALTER TABLE "Event" ADD CONSTRAINT "Event_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

