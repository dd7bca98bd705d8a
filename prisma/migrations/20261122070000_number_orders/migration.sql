-- CreateEnum
CREATE TYPE "NumberOrderStatus" AS ENUM ('REQUESTED', 'PLACED', 'COMPLETED', 'FAILED');

-- CreateTable
CREATE TABLE "NumberOrder" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "carrier" TEXT NOT NULL,
    "e164" TEXT NOT NULL,
    "areaCodeFallback" BOOLEAN NOT NULL DEFAULT false,
    "phoneNumberId" UUID,
    "carrierOrderId" TEXT,
    "status" "NumberOrderStatus" NOT NULL,
    "failureReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NumberOrder_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "NumberOrder_status_updatedAt_idx" ON "NumberOrder"("status", "updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "NumberOrder_organizationId_idempotencyKey_key" ON "NumberOrder"("organizationId", "idempotencyKey");

-- AddForeignKey
ALTER TABLE "NumberOrder" ADD CONSTRAINT "NumberOrder_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

