import type { Caller } from "../auth/caller.ts";
import type { PrismaClient } from "../db/client.ts";
import { ConflictError, NotFoundError, NumberReleasedError } from "../domain/errors.ts";
import { check, type NumberOperation } from "../domain/lifecycle.ts";
import type { PhoneNumber } from "../generated/prisma/client.ts";

/**
 * The caller's number `id` (decoded from `globalId`), if its state allows `operation`
 * (src/domain/lifecycle.ts): unknown ids are a NotFoundError, released numbers a NumberReleasedError,
 * other refusals a ConflictError. Every mutation on one number finds it here.
 */
export async function findNumberFor(prisma: PrismaClient, caller: Caller, operation: NumberOperation, id: string, globalId: string): Promise<PhoneNumber> {
  const number = await prisma.phoneNumber.findFirst({ where: { id, organizationId: caller.organizationId } });
  if (!number) throw new NotFoundError("Phone number", globalId);
  const refusal = check(number.status, operation);
  if (refusal?.kind === "RELEASED") throw new NumberReleasedError(number.e164, number.releasedAt ?? number.updatedAt);
  if (refusal) throw new ConflictError(`${number.e164}: ${refusal.message}`);
  return number;
}
