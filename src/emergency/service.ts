import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Logger } from "pino";
import { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import { CarrierFailure, type CarrierAdapter } from "../carriers/adapter.ts";
import type { Carriers } from "../carriers/index.ts";
import type { PrismaClient } from "../db/client.ts";
import { backoffMs } from "../domain/backoff.ts";
import { emergencyAddressSchema, EMERGENCY_COUNTRIES, type EmergencyAddressValue } from "../domain/emergency-address.ts";
import { isTollFree } from "../domain/number-type.ts";
import { ConflictError, NotFoundError, ValidationError, type FieldError } from "../domain/errors.ts";
import { LIVE_STATUSES } from "../domain/lifecycle.ts";
import { globalId, parseInput, peekField } from "../domain/validation.ts";
import { numberSnapshot, recordEvent } from "../events/log.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import { findNumberFor } from "../numbers/find.ts";
import type { EmergencyAddress, EmergencyRegistrationStatus, PhoneNumber, Prisma } from "../generated/prisma/client.ts";

/** A write that is refused because live numbers still use the address; names how many and which. */
export class EmergencyAddressInUseError extends ConflictError {
  constructor(
    readonly emergencyAddressId: string,
    readonly phoneNumberIds: string[],
    readonly e164s: string[],
  ) {
    super(
      `The emergency address is used by ${phoneNumberIds.length} live number${phoneNumberIds.length === 1 ? "" : "s"} (${firstFew(e164s)}); set another address on them (setPhoneNumberEmergencyAddress) first`,
    );
    this.name = "EmergencyAddressInUseError";
  }
}

const addressFields = {
  callerName: z.string().nullish(),
  street: z.string().nullish(),
  unit: z.string().nullish(),
  city: z.string().nullish(),
  region: z.string().nullish(),
  postalCode: z.string().nullish(),
  country: z.string().nullish(),
};

export const CreateEmergencyAddressInput = emergencyAddressSchema;
export const UpdateEmergencyAddressInput = z.object({ id: globalId("EmergencyAddress"), ...addressFields });
export const DeleteEmergencyAddressInput = z.object({ id: globalId("EmergencyAddress") });
export const SetPhoneNumberEmergencyAddressInput = z.object({
  phoneNumberId: globalId("PhoneNumber"),
  emergencyAddressId: globalId("EmergencyAddress").nullish(),
});

export interface EmergencyAddressOrder {
  field: "CREATED_AT" | "UPDATED_AT";
  direction: "ASC" | "DESC";
}

/** What registration settings tune (from config.carrier). */
export interface EmergencyRegistrationOptions {
  /** How long one attempt may hold a number's registration before another instance may take it. */
  leaseMs: number;
  /** Backoff between attempts after a carrier outage: first delay, doubling, capped. */
  retryFirstMs: number;
  retryMaxMs: number;
}

const LIVE = { in: [...LIVE_STATUSES] };

/**
 * Numbers an address change registers again within its own request; the others using the address
 * are left to the registration job, so the request's carrier calls stay bounded (its cost says so).
 */
export const INLINE_REREGISTRATIONS = 5;

/**
 * Emergency (E911) addresses and their registration on numbers.
 *
 * Crash safety follows provisioning: a change writes the number's intent (emergencyStatus PENDING,
 * emergencyNextAttemptAt now) and its event in one transaction; then one attempt calls the carrier
 * (create the carrier's address record with the reference `<address id>:<revision>`, found again by
 * it after a lost answer; enable emergency on the number; both safe to repeat) and writes the
 * outcome, guarded on the intent it started from. Whatever an outage or a crash leaves PENDING, the
 * emergency registration job (src/jobs/emergency-registrations.ts) attempts again with backoff.
 *
 * Only MANAGED numbers are registered at a carrier. SIP_TRUNK and MANUAL numbers route their
 * emergency calls through the customer's own carrier: their address is stored and returned, and
 * is STORED once set (Switchboard has no carrier to register it with; the setup status counts it
 * as registered), unless the address itself was refused by a carrier (FAILED), which every number
 * using it shows.
 */
export class EmergencyAddressService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly carriers: Carriers,
    private readonly setupStatus: SetupStatusChanges,
    private readonly logger: Logger,
    private readonly options: EmergencyRegistrationOptions,
  ) {}

  #wake: (() => void) | undefined;

  /** The job's hook: called when PENDING work is left for it (an attempt failed transiently). */
  onWake(listener: () => void): void {
    this.#wake = listener;
  }

  where(caller: Caller): Prisma.EmergencyAddressWhereInput {
    return { organizationId: caller.organizationId };
  }

  orderBy(order?: EmergencyAddressOrder | null): Prisma.EmergencyAddressOrderByWithRelationInput[] {
    const direction = (order?.direction ?? "DESC") === "ASC" ? "asc" : "desc";
    const column = order?.field === "UPDATED_AT" ? "updatedAt" : "createdAt";
    return [{ [column]: direction }, { id: direction }];
  }

  async create(caller: Caller, input: z.input<typeof CreateEmergencyAddressInput>): Promise<EmergencyAddress> {
    const address = parseInput(CreateEmergencyAddressInput, input);
    return this.prisma.emergencyAddress.create({ data: { ...address, organizationId: caller.organizationId } });
  }

  /**
   * Changes an address. Carrier address records are immutable, so the change is a new revision: its
   * carrier records are created afresh, and every live managed number using it is registered again
   * (PENDING until the carrier confirms); other numbers using it stay STORED.
   */
  async update(caller: Caller, input: z.input<typeof UpdateEmergencyAddressInput>): Promise<EmergencyAddress> {
    const id = peekField(UpdateEmergencyAddressInput, "id", input);
    if (id === undefined) parseInput(UpdateEmergencyAddressInput, input);
    const existing = await this.prisma.emergencyAddress.findFirst({ where: { id: id!, organizationId: caller.organizationId } });
    if (!existing) throw new NotFoundError("Emergency address", input.id);
    const changes = parseInput(UpdateEmergencyAddressInput, input);
    // The whole address as it would be, checked as a whole (a new country changes what a valid postal code is).
    const merged = {
      callerName: changes.callerName ?? existing.callerName,
      street: changes.street ?? existing.street,
      unit: changes.unit === undefined ? existing.unit : changes.unit,
      city: changes.city ?? existing.city,
      region: changes.region ?? existing.region,
      postalCode: changes.postalCode ?? existing.postalCode,
      country: changes.country ?? existing.country,
    };
    const address = parseInput(emergencyAddressSchema, merged);
    if (sameAddress(existing, address)) return existing;
    const { updated, changed, pending } = await this.prisma.$transaction(async (tx) => {
      const numbers = await tx.phoneNumber.findMany({ where: { emergencyAddressId: existing.id, status: LIVE }, orderBy: { id: "asc" } });
      const elsewhere = numbers.filter((n) => n.country !== address.country);
      if (elsewhere.length) throw new ValidationError([{ path: ["input", "country"], code: "INVALID_VALUE", message: countryMismatch(address.country, elsewhere.map((n) => n.e164)) }]);
      const managed = numbers.filter((n) => n.source === "MANAGED");
      const updated = await tx.emergencyAddress.update({
        where: { id: existing.id },
        data: { ...address, revision: { increment: 1 }, carrierAddressIds: {}, status: managed.length ? "PENDING" : null, failureReason: null },
      });
      for (const number of numbers) {
        await this.#setRegistration(tx, number, number.source === "MANAGED" ? { status: "PENDING" } : { status: "STORED" });
      }
      return { updated, changed: numbers.map((n) => n.id), pending: managed.map((n) => n.id) };
    });
    await this.setupStatus.refresh(changed);
    // The first numbers are registered in the request (the first also creates the carrier's record);
    // the others stay PENDING for the registration job, which takes them once the request's lease ends.
    await this.#attemptAll(pending.slice(0, INLINE_REREGISTRATIONS));
    return this.prisma.emergencyAddress.findUniqueOrThrow({ where: { id: updated.id } });
  }

  /** Deletes an address that no live number uses; released numbers that used it keep no reference. */
  async delete(caller: Caller, input: z.input<typeof DeleteEmergencyAddressInput>): Promise<{ emergencyAddressId: string }> {
    const { id } = parseInput(DeleteEmergencyAddressInput, input);
    return this.prisma.$transaction(async (tx) => {
      const address = await tx.emergencyAddress.findFirst({ where: { id, organizationId: caller.organizationId } });
      if (!address) throw new NotFoundError("Emergency address", input.id);
      // Locks the address row: a concurrent setPhoneNumberEmergencyAddress waits, then finds it gone.
      await tx.$executeRaw`SELECT 1 FROM "EmergencyAddress" WHERE "id" = ${id}::uuid FOR UPDATE`;
      const users = await tx.phoneNumber.findMany({ where: { emergencyAddressId: id, status: LIVE }, select: { id: true, e164: true }, orderBy: { e164: "asc" } });
      if (users.length) throw new EmergencyAddressInUseError(id, users.map((n) => n.id), users.map((n) => n.e164));
      await tx.emergencyAddress.delete({ where: { id } });
      return { emergencyAddressId: id };
    });
  }

  /**
   * Sets (or with null, removes) a number's emergency address. A managed number is registered at its
   * carrier: PENDING is written first, then one attempt is made at once; the job retries.
   */
  async setForNumber(caller: Caller, input: z.input<typeof SetPhoneNumberEmergencyAddressInput>): Promise<PhoneNumber> {
    const phoneNumberId = peekField(SetPhoneNumberEmergencyAddressInput, "phoneNumberId", input);
    if (phoneNumberId === undefined) parseInput(SetPhoneNumberEmergencyAddressInput, input);
    const number = await findNumberFor(this.prisma, caller, "UPDATE", phoneNumberId!, input.phoneNumberId);
    const problems: FieldError[] = [];
    const { emergencyAddressId } = parseInput(SetPhoneNumberEmergencyAddressInput, input);
    if (emergencyAddressId && !(EMERGENCY_COUNTRIES as readonly string[]).includes(number.country)) {
      problems.push({ path: ["input", "phoneNumberId"], code: "INVALID_VALUE", message: `Emergency addresses are registered for US and Canadian numbers; ${number.e164} is in ${number.country}` });
    } else if (emergencyAddressId && isTollFree(number.e164)) {
      problems.push({ path: ["input", "phoneNumberId"], code: "INVALID_VALUE", message: `${number.e164} is toll-free: carriers register no emergency address on toll-free numbers` });
    }
    if (problems.length) throw new ValidationError(problems);
    const unknownAddress = () => new ValidationError([{ path: ["input", "emergencyAddressId"], code: "NOT_FOUND", message: "No such emergency address in this organization" }]);

    const written = await this.prisma.$transaction(async (tx) => {
      let address: EmergencyAddress | null = null;
      if (emergencyAddressId) {
        // Locked against a concurrent delete until this transaction commits.
        const locked = await tx.$queryRaw<Array<{ id: string }>>`SELECT "id" FROM "EmergencyAddress" WHERE "id" = ${emergencyAddressId}::uuid AND "organizationId" = ${caller.organizationId}::uuid FOR UPDATE`;
        if (!locked.length) throw unknownAddress();
        address = await tx.emergencyAddress.findUniqueOrThrow({ where: { id: emergencyAddressId } });
        if (address.country !== number.country) {
          throw new ValidationError([{ path: ["input", "emergencyAddressId"], code: "INVALID_VALUE", message: countryMismatch(address.country, [number.e164]) }]);
        }
      }
      const current = await tx.phoneNumber.findUniqueOrThrow({ where: { id: number.id } });
      if (current.emergencyAddressId === (address?.id ?? null) && current.emergencyStatus !== "FAILED") return current;
      const managed = current.source === "MANAGED";
      if (!address) {
        // Removal: a managed number whose emergency service is enabled at the carrier is disabled there first.
        return this.#setRegistration(tx, current, { emergencyAddressId: null, status: managed && current.emergencyCarrierAddressId ? "PENDING" : null });
      }
      if (address.status === "FAILED") {
        return this.#setRegistration(tx, current, { emergencyAddressId: address.id, status: "FAILED", failureReason: address.failureReason });
      }
      if (!managed) return this.#setRegistration(tx, current, { emergencyAddressId: address.id, status: "STORED" });
      if (address.status === null) await tx.emergencyAddress.update({ where: { id: address.id }, data: { status: "PENDING" } });
      return this.#setRegistration(tx, current, { emergencyAddressId: address.id, status: "PENDING" });
    });
    await this.setupStatus.refresh([written!.id]);
    if (written!.emergencyStatus === "PENDING") await this.attempt(written!.id);
    return this.prisma.phoneNumber.findUniqueOrThrow({ where: { id: number.id } });
  }

  /**
   * After a setup-status refresh: a managed number whose registration waited for its carrier order
   * (PENDING, not yet attempted, postponed) is attempted as soon as the number is active, rather
   * than at the job's next run.
   */
  async resumeActivated(numbers: ReadonlyArray<{ number: PhoneNumber }>): Promise<void> {
    const now = Date.now();
    for (const { number } of numbers) {
      const waiting = number.emergencyStatus === "PENDING" && number.emergencyAttempts === 0 && (number.emergencyNextAttemptAt?.getTime() ?? 0) > now;
      if (waiting && number.source === "MANAGED" && number.status === "ACTIVE" && number.carrierResourceId) await this.attempt(number.id);
    }
  }

  /**
   * The emergency registration job's run: every PENDING registration that is due (after a backoff,
   * or left by a crash), one attempt each. Safe on several instances: each attempt claims its number.
   */
  async registerDue(now = new Date(), batchSize = 50): Promise<{ attempted: number; active: number; failed: number; waiting: number }> {
    const due = await this.prisma.phoneNumber.findMany({
      where: {
        emergencyNextAttemptAt: { lte: now },
        emergencyStatus: "PENDING",
        // A fresh intent is its mutation's to attempt; the job takes it only once that could have
        // finished (the mutation's process died) or after a first attempt left it for a retry.
        OR: [{ emergencyAttempts: { gt: 0 } }, { emergencyUpdatedAt: { lt: new Date(now.getTime() - this.options.leaseMs) } }],
      },
      select: { id: true },
      orderBy: { emergencyNextAttemptAt: "asc" },
      take: batchSize,
    });
    const outcome = { attempted: 0, active: 0, failed: 0, waiting: 0 };
    for (const { id } of due) {
      const result = await this.attempt(id, now);
      if (result === "SKIPPED") continue;
      outcome.attempted++;
      if (result === "ACTIVE" || result === "STORED" || result === "REMOVED") outcome.active++;
      else if (result === "FAILED") outcome.failed++;
      else outcome.waiting++;
    }
    return outcome;
  }

  /** One carrier attempt at a number's PENDING registration (or removal), if no one else holds it. */
  async attempt(phoneNumberId: string, now = new Date()): Promise<"ACTIVE" | "STORED" | "REMOVED" | "FAILED" | "PENDING" | "SKIPPED"> {
    const number = await this.prisma.phoneNumber.findUnique({ where: { id: phoneNumberId }, include: { emergencyAddress: true } });
    if (!number || number.emergencyStatus !== "PENDING" || !number.emergencyNextAttemptAt) return "SKIPPED";
    // The claim: one attempt per number at a time, across instances; a crashed attempt's lease ends.
    const claimed = await this.prisma.phoneNumber.updateMany({
      where: { id: number.id, emergencyStatus: "PENDING", emergencyNextAttemptAt: number.emergencyNextAttemptAt, emergencyUpdatedAt: number.emergencyUpdatedAt },
      data: { emergencyNextAttemptAt: new Date(now.getTime() + this.options.leaseMs) },
    });
    if (claimed.count === 0) return "SKIPPED";
    const guard = { emergencyStatus: "PENDING" as const, emergencyUpdatedAt: number.emergencyUpdatedAt };
    const address = number.emergencyAddress;

    // Nothing at a carrier to talk to (yet): a number still being bought waits for its order.
    const inService = number.status === "ACTIVE" || number.status === "SUSPENDED";
    if (number.source !== "MANAGED" || !number.carrier || !number.carrierResourceId || !inService) {
      if (number.status === "PENDING" && number.source === "MANAGED") {
        await this.#retryLater(number, now, false);
        return "PENDING";
      }
      // Released or failed numbers hold nothing at the carrier; a non-managed number never waits on one.
      const next = address ? (number.source === "MANAGED" ? null : "STORED") : null;
      await this.#write(number, { status: next, emergencyAddressId: address?.id ?? null }, guard);
      return next ?? "REMOVED";
    }

    let carrier: CarrierAdapter;
    try {
      carrier = this.carriers.byName(number.carrier);
    } catch (error) {
      this.logger.error({ err: error, phoneNumberId: number.id }, "emergency registration: the number's carrier is not configured");
      await this.#retryLater(number, now, true);
      return "PENDING";
    }
    try {
      if (!address) {
        if (number.emergencyCarrierAddressId) await carrier.disableEmergency(number.carrierResourceId, number.emergencyCarrierAddressId);
        await this.#write(number, { status: null, emergencyAddressId: null, carrierAddressId: null }, guard);
        return "REMOVED";
      }
      const carrierAddressId = await this.#carrierAddress(address, carrier);
      if (carrierAddressId === undefined) return "FAILED";
      const activation = await carrier.enableEmergency(number.carrierResourceId, carrierAddressId);
      if (activation === "ACTIVE") {
        await this.#write(number, { status: "ACTIVE", emergencyAddressId: address.id, carrierAddressId }, guard);
        return "ACTIVE";
      }
      // Still provisioning at the carrier: asked again after a backoff.
      await this.#retryLater(number, now, true, { emergencyCarrierAddressId: carrierAddressId });
      return "PENDING";
    } catch (error) {
      if (!(error instanceof CarrierFailure)) throw error;
      if (error.retryable) {
        this.logger.warn({ phoneNumberId: number.id, reason: error.message }, "emergency registration: carrier unavailable, will retry");
        await this.#retryLater(number, now, true);
        return "PENDING";
      }
      await this.#write(number, { status: "FAILED", emergencyAddressId: address?.id ?? null, failureReason: error.message }, guard);
      return "FAILED";
    }
  }

  /**
   * The address's record at this carrier for its current revision, created when missing. A refusal
   * marks the address FAILED with the carrier's reason, and every live number using it too; the
   * answer is then undefined.
   */
  async #carrierAddress(address: EmergencyAddress, carrier: CarrierAdapter): Promise<string | undefined> {
    const known = (address.carrierAddressIds as Record<string, string> | null)?.[carrier.name];
    if (known) return known;
    if (address.status === "FAILED") {
      await this.#failAddress(address, address.failureReason ?? "The carrier refused the address");
      return undefined;
    }
    try {
      const { carrierAddressId } = await carrier.createEmergencyAddress({
        reference: `${address.id}:${address.revision}`,
        callerName: address.callerName,
        street: address.street,
        unit: address.unit,
        city: address.city,
        region: address.region,
        postalCode: address.postalCode,
        country: address.country,
      });
      // Merged in place (another carrier's record may be written meanwhile); only for the revision registered.
      await this.prisma.$executeRaw`UPDATE "EmergencyAddress" SET "carrierAddressIds" = "carrierAddressIds" || jsonb_build_object(${carrier.name}::text, ${carrierAddressId}::text), "status" = 'ACTIVE', "failureReason" = NULL, "updatedAt" = now() WHERE "id" = ${address.id}::uuid AND "revision" = ${address.revision}`;
      return carrierAddressId;
    } catch (error) {
      if (error instanceof CarrierFailure && error.kind === "REJECTED") {
        await this.#failAddress(address, error.message);
        return undefined;
      }
      throw error;
    }
  }

  /** The carrier refused the address (this revision): it is FAILED, and so is every live number using it. */
  async #failAddress(address: EmergencyAddress, reason: string): Promise<void> {
    const failed = await this.prisma.$transaction(async (tx) => {
      const marked = await tx.emergencyAddress.updateMany({ where: { id: address.id, revision: address.revision }, data: { status: "FAILED", failureReason: reason } });
      if (marked.count === 0) return [];
      const numbers = await tx.phoneNumber.findMany({ where: { emergencyAddressId: address.id, status: LIVE, emergencyStatus: { in: ["PENDING", "ACTIVE", "STORED"] } } });
      const ids: string[] = [];
      for (const number of numbers) {
        await this.#setRegistration(tx, number, { status: "FAILED", failureReason: reason });
        ids.push(number.id);
      }
      return ids;
    });
    this.logger.info({ emergencyAddressId: address.id, reason, numbers: failed.length }, "emergency address refused by the carrier");
    await this.setupStatus.refresh(failed);
  }

  /** Writes an attempt's outcome, guarded on the intent it started from; a newer intent wins. */
  async #write(number: PhoneNumber, change: RegistrationChange, guard: Prisma.PhoneNumberWhereInput): Promise<void> {
    const written = await this.prisma.$transaction((tx) => this.#setRegistration(tx, number, change, guard));
    if (written) await this.setupStatus.refresh([number.id]);
  }

  /** Leaves the registration PENDING for the job, after a backoff (counted as an attempt when the carrier was asked). */
  async #retryLater(number: PhoneNumber, now: Date, attempted: boolean, extra: Prisma.PhoneNumberUncheckedUpdateManyInput = {}): Promise<void> {
    const attempts = number.emergencyAttempts + (attempted ? 1 : 0);
    const delay = attempted ? backoffMs(attempts, this.options.retryFirstMs, this.options.retryMaxMs) : this.options.retryFirstMs;
    await this.prisma.phoneNumber.updateMany({
      where: { id: number.id, emergencyStatus: "PENDING", emergencyUpdatedAt: number.emergencyUpdatedAt },
      data: { ...extra, emergencyAttempts: attempts, emergencyNextAttemptAt: new Date(now.getTime() + delay) },
    });
    this.#wake?.();
  }

  async #attemptAll(ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.attempt(id);
  }

  /**
   * Moves a number's registration inside a transaction and records EMERGENCY_REGISTRATION_CHANGED
   * when its status or address changes. PENDING (re)starts the work: attempts 0, due now. With a
   * guard, nothing is written (undefined) unless the number still matches it.
   */
  async #setRegistration(tx: Prisma.TransactionClient, number: PhoneNumber, change: RegistrationChange, guard: Prisma.PhoneNumberWhereInput = {}): Promise<PhoneNumber | undefined> {
    const now = new Date();
    const emergencyAddressId = change.emergencyAddressId === undefined ? number.emergencyAddressId : change.emergencyAddressId;
    const data: Prisma.PhoneNumberUncheckedUpdateManyInput = {
      emergencyAddressId,
      emergencyStatus: change.status,
      emergencyFailureReason: change.status === "FAILED" ? (change.failureReason ?? "The carrier refused the emergency address") : null,
      emergencyUpdatedAt: now,
      emergencyAttempts: 0,
      emergencyNextAttemptAt: change.status === "PENDING" ? now : null,
      ...(change.carrierAddressId !== undefined ? { emergencyCarrierAddressId: change.carrierAddressId } : {}),
    };
    const updated = await tx.phoneNumber.updateMany({ where: { id: number.id, ...guard }, data });
    if (updated.count === 0) return undefined;
    const after = await tx.phoneNumber.findUniqueOrThrow({ where: { id: number.id } });
    if (number.emergencyStatus !== after.emergencyStatus || number.emergencyAddressId !== after.emergencyAddressId || change.status === "PENDING") {
      await recordEvent(tx, {
        organizationId: after.organizationId,
        type: "EMERGENCY_REGISTRATION_CHANGED",
        phoneNumberId: after.id,
        payload: {
          phoneNumber: numberSnapshot(after),
          previous: number.emergencyStatus,
          current: after.emergencyStatus,
          failureReason: after.emergencyFailureReason,
          emergencyAddressId: after.emergencyAddressId ? encodeGlobalID("EmergencyAddress", after.emergencyAddressId) : null,
          previousEmergencyAddressId: number.emergencyAddressId ? encodeGlobalID("EmergencyAddress", number.emergencyAddressId) : null,
        },
      });
    }
    return after;
  }
}

interface RegistrationChange {
  status: EmergencyRegistrationStatus | null;
  emergencyAddressId?: string | null;
  failureReason?: string | null;
  carrierAddressId?: string | null;
}

function sameAddress(existing: EmergencyAddress, next: EmergencyAddressValue): boolean {
  return (Object.keys(next) as Array<keyof EmergencyAddressValue>).every((key) => (existing[key] ?? null) === (next[key] ?? null));
}

/** Emergency calls are routed by the number's country: an address elsewhere cannot serve it. */
function countryMismatch(addressCountry: string, e164s: string[]): string {
  const numbers = e164s.length === 1 ? e164s[0]! : `${e164s.length} numbers (${firstFew(e164s)})`;
  return `The address is in ${addressCountry}; ${numbers} ${e164s.length === 1 ? "is" : "are"} in another country: an emergency address must be in the number's country`;
}

/** The first five of a list of numbers, for a message. */
function firstFew(e164s: readonly string[]): string {
  return `${e164s.slice(0, 5).join(", ")}${e164s.length > 5 ? ", ..." : ""}`;
}
