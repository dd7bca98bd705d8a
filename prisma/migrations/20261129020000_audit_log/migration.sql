-- CreateEnum
CREATE TYPE "AuditActorType" AS ENUM ('API_KEY', 'JWT', 'OPERATOR');

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" UUID NOT NULL,
    "organizationId" UUID,
    "actorType" "AuditActorType" NOT NULL,
    "actorId" TEXT NOT NULL,
    "actorName" TEXT,
    "operation" TEXT NOT NULL,
    "operationName" TEXT,
    "targetIds" TEXT[],
    "resultType" TEXT NOT NULL,
    "input" JSONB NOT NULL,
    "requestId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuditEvent_organizationId_createdAt_id_idx" ON "AuditEvent"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_organizationId_actorId_createdAt_id_idx" ON "AuditEvent"("organizationId", "actorId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_organizationId_operation_createdAt_id_idx" ON "AuditEvent"("organizationId", "operation", "createdAt", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_targetIds_idx" ON "AuditEvent" USING GIN ("targetIds");

