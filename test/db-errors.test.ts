// src/db/errors.ts reads Prisma's failures as the database really reports them (Prisma 6 with the
// pg driver adapter names a violated constraint in the adapter's cause, not in meta.target), on the
// embedded database and on a PostgreSQL server alike.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { isMissingReference, isRecordMissing, isUniqueViolation, mapPrismaError } from "../src/db/errors.ts";
import { ConflictError, NotFoundError, ValidationError } from "../src/domain/errors.ts";
import { createOrganization, getEnvironment } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

async function failure(write: () => Promise<unknown>): Promise<unknown> {
  try {
    await write();
  } catch (error) {
    return error;
  }
  throw new Error("the write succeeded");
}

describe("Prisma errors", () => {
  test("a unique violation is told apart by its constraint's columns", async () => {
    const prisma = (await getEnvironment()).switchboard.database.prisma;
    const org = await createOrganization("db-errors-unique");
    const e164 = uniqueE164();
    const number = { organizationId: org.id, e164, country: "US", source: "MANUAL", status: "ACTIVE" } as const;
    await prisma.phoneNumber.create({ data: number });
    const taken = await failure(() => prisma.phoneNumber.create({ data: number }));
    assert.ok(isUniqueViolation(taken));
    assert.ok(isUniqueViolation(taken, "e164"));
    assert.ok(!isUniqueViolation(taken, ["organizationId", "idempotencyKey"]));
    const conflict = mapPrismaError(taken, { unique: { "organizationId,idempotencyKey": () => new NotFoundError("x", "y"), e164: () => new ConflictError(`${e164} is in use`) } });
    assert.ok(conflict instanceof ConflictError && conflict.message === `${e164} is in use`);

    // FAILED: the order job (reconcileOrders) leaves it alone.
    const order = { organizationId: org.id, idempotencyKey: "key-1", carrier: "sandbox", e164, status: "FAILED" } as const;
    await prisma.numberOrder.create({ data: order });
    const repeated = await failure(() => prisma.numberOrder.create({ data: order }));
    assert.ok(isUniqueViolation(repeated, ["organizationId", "idempotencyKey"]));
    assert.ok(isUniqueViolation(repeated, ["idempotencyKey", "organizationId"]));
    assert.ok(!isUniqueViolation(repeated, "e164"));
    assert.ok(!isUniqueViolation(repeated, "idempotencyKey"));

    // A mixed-case column alone, which PostgreSQL quotes in the violation's detail.
    const receipt = { carrier: "sandbox", signatureHash: randomUUID() };
    await prisma.webhookReceipt.create({ data: receipt });
    assert.ok(isUniqueViolation(await failure(() => prisma.webhookReceipt.create({ data: receipt })), "signatureHash"));
    await prisma.webhookReceipt.deleteMany({ where: { signatureHash: receipt.signatureHash } });
    await prisma.numberOrder.deleteMany({ where: { organizationId: org.id } });
  });

  test("a missing reference, a vanished row, and anything else passed through", async () => {
    const prisma = (await getEnvironment()).switchboard.database.prisma;
    const org = await createOrganization("db-errors-missing");
    const data = { organizationId: org.id, e164: uniqueE164(), country: "US", source: "MANUAL", status: "ACTIVE", agentId: randomUUID() } as const;
    const dangling = await failure(() => prisma.phoneNumber.create({ data }));
    assert.ok(isMissingReference(dangling, "agentId"));
    assert.ok(!isMissingReference(dangling, "organizationId"));
    assert.ok(!isUniqueViolation(dangling));
    const refused = new ValidationError([{ path: ["input", "agentId"], code: "NOT_FOUND", message: "No such agent in this organization" }]);
    assert.equal(mapPrismaError(dangling, { missingReference: { agentId: () => refused } }), refused);

    const vanished = await failure(() => prisma.agent.update({ where: { id: randomUUID() }, data: { name: "gone" } }));
    assert.ok(isRecordMissing(vanished));
    assert.ok(mapPrismaError(vanished, { recordMissing: () => new NotFoundError("Agent", "an id") }) instanceof NotFoundError);

    // Unlisted failures stay what they were (and are masked as unexpected).
    assert.equal(mapPrismaError(vanished, { unique: { e164: () => new ConflictError("no") } }), vanished);
    const other = new Error("boom");
    assert.equal(mapPrismaError(other, { recordMissing: () => new NotFoundError("Agent", "an id") }), other);
  });
});
