
-- CreateEnum
CREATE TYPE "ApiKeyMode" AS ENUM ('LIVE', 'TEST');

-- CreateEnum
CREATE TYPE "AgentStatus" AS ENUM ('ACTIVE', 'PAUSED');

-- CreateEnum
CREATE TYPE "NumberSource" AS ENUM ('MANAGED', 'SIP_TRUNK', 'MANUAL');

-- CreateEnum
CREATE TYPE "NumberStatus" AS ENUM ('PENDING', 'ACTIVE', 'SUSPENDED', 'RELEASED', 'FAILED');

-- CreateEnum
CREATE TYPE "NumberDirection" AS ENUM ('INBOUND', 'OUTBOUND', 'BOTH');

-- CreateEnum
CREATE TYPE "SipTransport" AS ENUM ('UDP', 'TCP', 'TLS');

-- CreateEnum
CREATE TYPE "MediaEncryption" AS ENUM ('DISABLED', 'SRTP');

-- CreateEnum
CREATE TYPE "SmsCampaignStatus" AS ENUM ('PENDING', 'ASSIGNED', 'FAILED');

-- CreateTable
CREATE TABLE "Organization" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "mode" "ApiKeyMode" NOT NULL,
    "prefix" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "scopes" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Agent" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "status" "AgentStatus" NOT NULL DEFAULT 'ACTIVE',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Agent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PhoneNumber" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "e164" TEXT NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "source" "NumberSource" NOT NULL,
    "carrier" TEXT,
    "carrierResourceId" TEXT,
    "country" TEXT NOT NULL,
    "voiceCapable" BOOLEAN NOT NULL DEFAULT true,
    "smsCapable" BOOLEAN NOT NULL DEFAULT false,
    "mmsCapable" BOOLEAN NOT NULL DEFAULT false,
    "direction" "NumberDirection" NOT NULL DEFAULT 'BOTH',
    "agentId" UUID,
    "dispatchMetadataTemplate" JSONB,
    "forwardingConfirmedAt" TIMESTAMP(3),
    "inboundTrunkAddresses" TEXT[],
    "inboundTrunkTransport" "SipTransport",
    "inboundTrunkMediaEncryption" "MediaEncryption",
    "inboundTrunkAuthUsername" TEXT,
    "inboundTrunkAuthPassword" TEXT,
    "inboundTrunkAllowedSourceIps" TEXT[],
    "outboundTrunkAddresses" TEXT[],
    "outboundTrunkTransport" "SipTransport",
    "outboundTrunkMediaEncryption" "MediaEncryption",
    "outboundTrunkAuthUsername" TEXT,
    "outboundTrunkAuthPassword" TEXT,
    "outboundTrunkAllowedSourceIps" TEXT[],
    "outboundTrunkIpAuthentication" BOOLEAN NOT NULL DEFAULT false,
    "smsCampaignId" TEXT,
    "smsCampaignStatus" "SmsCampaignStatus",
    "smsCampaignUpdatedAt" TIMESTAMP(3),
    "includedInPlan" BOOLEAN NOT NULL DEFAULT false,
    "monthlyPriceCents" INTEGER NOT NULL DEFAULT 0,
    "upfrontPriceCents" INTEGER NOT NULL DEFAULT 0,
    "nextChargeAt" TIMESTAMP(3),
    "lastChargeAt" TIMESTAMP(3),
    "suspendedAt" TIMESTAMP(3),
    "status" "NumberStatus" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "releasedAt" TIMESTAMP(3),

    CONSTRAINT "PhoneNumber_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organization_name_key" ON "Organization"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_secretHash_key" ON "ApiKey"("secretHash");

-- CreateIndex
CREATE INDEX "ApiKey_organizationId_createdAt_id_idx" ON "ApiKey"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Agent_organizationId_createdAt_id_idx" ON "Agent"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Agent_organizationId_name_id_idx" ON "Agent"("organizationId", "name", "id");

-- CreateIndex
CREATE INDEX "PhoneNumber_organizationId_createdAt_id_idx" ON "PhoneNumber"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "PhoneNumber_organizationId_updatedAt_id_idx" ON "PhoneNumber"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "PhoneNumber_organizationId_e164_id_idx" ON "PhoneNumber"("organizationId", "e164", "id");

-- CreateIndex
CREATE INDEX "PhoneNumber_organizationId_label_id_idx" ON "PhoneNumber"("organizationId", "label", "id");

-- CreateIndex
CREATE INDEX "PhoneNumber_organizationId_monthlyPriceCents_id_idx" ON "PhoneNumber"("organizationId", "monthlyPriceCents", "id");

-- CreateIndex
CREATE INDEX "PhoneNumber_organizationId_status_idx" ON "PhoneNumber"("organizationId", "status");

-- CreateIndex
CREATE INDEX "PhoneNumber_agentId_createdAt_id_idx" ON "PhoneNumber"("agentId", "createdAt", "id");

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Agent" ADD CONSTRAINT "Agent_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PhoneNumber" ADD CONSTRAINT "PhoneNumber_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PhoneNumber" ADD CONSTRAINT "PhoneNumber_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- One live owner per number across all organizations, so inbound traffic routes unambiguously.
-- Prisma's schema language has no partial unique index, so this one lives only here.
CREATE UNIQUE INDEX "PhoneNumber_e164_live_key" ON "PhoneNumber"("e164") WHERE "status" NOT IN ('RELEASED', 'FAILED');
