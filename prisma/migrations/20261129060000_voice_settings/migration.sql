-- Caller ID name (CNAM) and failover routing per number (issue 15), each with its carrier status,
-- and the voice settings job's backoff columns.

-- CreateEnum
CREATE TYPE "VoiceSettingStatus" AS ENUM ('PENDING', 'ACTIVE', 'FAILED', 'STORED');

-- AlterEnum
ALTER TYPE "EventType" ADD VALUE 'CALLER_ID_NAME_STATUS_CHANGED';
ALTER TYPE "EventType" ADD VALUE 'FALLBACK_STATUS_CHANGED';

-- AlterTable
ALTER TABLE "PhoneNumber" ADD COLUMN     "callerIdName" TEXT,
ADD COLUMN     "callerIdNameStatus" "VoiceSettingStatus",
ADD COLUMN     "callerIdNameStatusReason" TEXT,
ADD COLUMN     "fallbackForwardTo" TEXT,
ADD COLUMN     "fallbackForwardingType" TEXT,
ADD COLUMN     "fallbackSipUri" TEXT,
ADD COLUMN     "fallbackStatus" "VoiceSettingStatus",
ADD COLUMN     "fallbackStatusReason" TEXT,
ADD COLUMN     "fallbackTimeoutSeconds" INTEGER,
ADD COLUMN     "voiceSettingsAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "voiceSettingsNextAttemptAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "PhoneNumber_voiceSettingsNextAttemptAt_idx" ON "PhoneNumber"("voiceSettingsNextAttemptAt");
