import { getCountries } from "libphonenumber-js/max";
import { recordNumberEvent } from "../events/log.ts";
import { activation, type Clock } from "../billing/periods.ts";
import type { Logger } from "pino";
import { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import { CarrierFailure, NUMBER_FEATURES, type AvailableNumber, type CarrierNumber, type CarrierOrder, type NumberFeature } from "../carriers/adapter.ts";
import { toCarrierError, type Carriers } from "../carriers/index.ts";
import type { PrismaClient } from "../db/client.ts";
import { agentReferenceProblems, unknownAgent } from "../agents/lookup.ts";
import { CarrierError, ConflictError, ValidationError } from "../domain/errors.ts";
import { isMissingReference, isUniqueViolation } from "../db/errors.ts";
import { LIVE_STATUSES } from "../domain/lifecycle.ts";
import { e164Field, globalId, issueCode, labelField, parseInput, peekField } from "../domain/validation.ts";
import type { FieldError } from "../domain/errors.ts";
import {
  isTollFreeAreaCode,
  keypadDigits,
  normalizePostalCode,
  numberTypeOf,
  PHONE_NUMBER_TYPES,
  TOLL_FREE_AREA_CODES,
  type PhoneNumberType,
} from "../domain/number-type.ts";
import { regionsOf } from "../domain/regions.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import type { NumberOrder, PhoneNumber } from "../generated/prisma/client.ts";

const COUNTRIES = new Set<string>(getCountries());

const country = z
  .string()
  .trim()
  .toUpperCase()
  .refine((value) => COUNTRIES.has(value), { message: "Unknown country: use an ISO 3166-1 alpha-2 code such as US", params: issueCode("INVALID_VALUE") });
const areaCode = z.string().trim().regex(/^\d{3}$/, "Must be 3 digits, e.g. 415");
/** Digits, or letters read on the phone keypad (vanity numbers): "FLOWERS" searches for 3569377. */
const contains = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const digits = keypadDigits(value);
    if (digits === undefined) {
      ctx.addIssue({ code: "custom", message: 'Only digits and letters (letters are read on the phone keypad: "FLOWERS" is 3569377)', params: issueCode("INVALID_CHARACTERS") });
      return z.NEVER;
    }
    if (digits.length < 1 || digits.length > 10) {
      ctx.addIssue({ code: "custom", message: "Must be 1 to 10 digits or letters", params: issueCode("INVALID_FORMAT") });
      return z.NEVER;
    }
    return digits;
  });
const features = z.array(z.enum(NUMBER_FEATURES)).max(3);
const numberType = z.enum(PHONE_NUMBER_TYPES);

/** availablePhoneNumbers' arguments; ProvisioningService's #searchConflicts adds what depends on several of them (and on the carrier). */
export const SearchInput = z.object({
  country,
  areaCode: areaCode.nullish(),
  numberType: numberType.nullish(),
  contains: contains.nullish(),
  locality: z.string().trim().min(1, "Required").max(100, "At most 100 characters").nullish(),
  region: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, "A 2-letter state or province code, e.g. CA or ON")
    .nullish(),
  postalCode: z.string().trim().min(1, "Required").max(10, "At most 10 characters").nullish(),
  nearNumber: e164Field.nullish(),
  features: features.nullish(),
  limit: z.number().int().min(1, "Must be between 1 and 50").max(50, "Must be between 1 and 50"),
});

/**
 * The number type an area code and an explicit type ask for together, and the problem when they
 * disagree (numberType LOCAL with toll-free area code 800, or TOLL_FREE with area code 415).
 */
function typeOfRequest(areaCode: string | null | undefined, type: PhoneNumberType | null | undefined, path: string[]): { type?: PhoneNumberType; problem?: FieldError } {
  const tollFreeCode = areaCode ? isTollFreeAreaCode(areaCode) : undefined;
  if (type && tollFreeCode !== undefined && tollFreeCode !== (type === "TOLL_FREE")) {
    return {
      problem: {
        path,
        code: "INVALID_VALUE",
        message: tollFreeCode
          ? `Area code ${areaCode} is toll-free: numberType ${type} conflicts with it (use TOLL_FREE or leave numberType out)`
          : `Area code ${areaCode} is not toll-free: numberType TOLL_FREE conflicts with it (toll-free area codes: ${TOLL_FREE_AREA_CODES.join(", ")})`,
      },
    };
  }
  return { type: type ?? (tollFreeCode ? "TOLL_FREE" : undefined) };
}

/** What to buy: criteria, and where the new number(s) go. */
const criteria = {
  country: country.nullish(),
  areaCode: areaCode.nullish(),
  numberType: numberType.nullish(),
  contains: contains.nullish(),
  features: features.nullish(),
  label: labelField.nullish(),
  agentId: globalId("Agent").nullish(),
};
const idempotencyKey = z.string().trim().min(1, "Required").max(200, "At most 200 characters");

export const ProvisionPhoneNumberInput = z.object({
  ...criteria,
  e164: e164Field.nullish(),
  idempotencyKey: idempotencyKey.nullish(),
  allowAreaCodeFallback: z.boolean().nullish(),
});

export const SHORTAGE_STRATEGIES = ["FAIL", "FALLBACK", "AVAILABLE"] as const;
export type ShortageStrategy = (typeof SHORTAGE_STRATEGIES)[number];

export const ProvisionPhoneNumbersInput = z.object({
  ...criteria,
  quantity: z.number().int().min(1, "Must be between 1 and 50").max(50, "Must be between 1 and 50"),
  shortageStrategy: z
    .enum(SHORTAGE_STRATEGIES)
    .nullish()
    .transform((strategy) => strategy ?? "FAIL"),
  idempotencyKey,
});

/** repairCarrierReconciliation: with dryRun, only the comparison (nothing is repaired). */
export const RepairCarrierReconciliationInput = z.object({ dryRun: z.boolean().nullish() });

export interface Provisioned {
  phoneNumber: PhoneNumber;
  areaCodeFallback: boolean;
  /** True when this call found an earlier call's purchase under the same idempotency key. */
  replayed: boolean;
}

export interface BulkItemResult {
  index: number;
  result?: Provisioned;
  error?: CarrierError | ConflictError;
}

const LIVE = LIVE_STATUSES;

export interface Reconciliation {
  carrier: string;
  checkedAt: Date;
  /** Numbers the carrier bills for this organization's orders with no live row here. */
  orphanedAtCarrier: CarrierNumber[];
  /** Live rows whose number the carrier no longer has. */
  missingAtCarrier: PhoneNumber[];
  /** Rows whose state differs from the carrier's. */
  stateMismatches: Array<{ phoneNumber: PhoneNumber; carrierStatus: CarrierNumber["status"]; carrierNumberId: string }>;
}

/**
 * Buying numbers from carriers. The order row and the PENDING number row are written before the
 * carrier is called, with our order id as the carrier-side reference, so:
 * - the same idempotency key never buys twice (a unique key per organization; a lost answer is
 *   recovered by reference, never by ordering again);
 * - nothing bought is lost: if the process dies after the carrier committed, the order job finds
 *   the order by reference on the next run and records it;
 * - no number is ACTIVE here without a completed carrier order.
 */
export class ProvisioningService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly carriers: Carriers,
    private readonly setupStatus: SetupStatusChanges,
    private readonly logger: Logger,
    /** REQUESTED orders older than this are resolved with the carrier by the order job. */
    private readonly recoverAfterMs: number,
    /** Billing's clock: activation starts a number's billing periods (src/billing/). */
    private readonly clock: Clock = { now: () => new Date() },
  ) {}

  /** Available numbers at the caller's carrier, minus those already live here. */
  async search(caller: Caller, args: z.input<typeof SearchInput>): Promise<AvailableNumber[]> {
    const carrier = this.carriers.forCaller(caller);
    const input = parseInput(SearchInput, args, this.#searchConflicts(args, carrier.searchesByPostalCode, carrier.name), []);
    const near = input.nearNumber?.e164;
    const postal = input.postalCode ? normalizePostalCode(input.country, input.postalCode) : undefined;
    const found = await carrier
      .searchAvailable({
        country: input.country,
        // A number's neighbours share its area code (NANP: the 3 digits after +1).
        areaCode: input.areaCode ?? near?.slice(2, 5),
        numberType: typeOfRequest(input.areaCode, input.numberType, []).type,
        contains: input.contains ?? undefined,
        locality: input.locality ?? undefined,
        region: input.region ?? undefined,
        postalCode: postal?.ok ? postal.value : undefined,
        nearNumber: near,
        features: input.features ?? undefined,
        limit: input.limit,
      })
      .catch(toCarrierError);
    return this.#withoutLive(found);
  }

  /**
   * Problems of a search that depend on several arguments or on the carrier, each with its path:
   * conflicting number type and area code, a place given for toll-free numbers, a region or postal
   * code of another country, a nearNumber elsewhere. Fields that do not parse are parseInput's.
   */
  #searchConflicts(args: z.input<typeof SearchInput>, byPostalCode: boolean, carrierName: string): FieldError[] {
    const problems: FieldError[] = [];
    const countryCode = peekField(SearchInput, "country", args);
    const code = peekField(SearchInput, "areaCode", args);
    const { type, problem } = typeOfRequest(code, peekField(SearchInput, "numberType", args), ["numberType"]);
    if (problem) problems.push(problem);
    const region = peekField(SearchInput, "region", args);
    const postalCode = peekField(SearchInput, "postalCode", args);
    const near = peekField(SearchInput, "nearNumber", args);
    if (type === "TOLL_FREE") {
      for (const [field, given] of [["locality", peekField(SearchInput, "locality", args)], ["region", region], ["postalCode", postalCode], ["nearNumber", near]] as const) {
        if (given) problems.push({ path: [field], code: "INVALID_VALUE", message: `Toll-free numbers have no ${field === "nearNumber" ? "area" : "place"}: ${field} conflicts with a toll-free search` });
      }
      return problems;
    }
    if (countryCode && region) {
      const known = regionsOf(countryCode);
      if (!known) problems.push({ path: ["region"], code: "INVALID_VALUE", message: `Region search covers US and CA numbers only, not ${countryCode}` });
      else if (!known.has(region)) problems.push({ path: ["region"], code: "INVALID_VALUE", message: `Unknown ${countryCode === "US" ? "US state" : "Canadian province"} code "${region}"` });
    }
    if (countryCode && postalCode) {
      const normalized = normalizePostalCode(countryCode, postalCode);
      if (!normalized.ok) problems.push({ path: ["postalCode"], code: "INVALID_VALUE", message: normalized.message });
      else if (!byPostalCode) problems.push({ path: ["postalCode"], code: "NOT_PERMITTED", message: `The ${carrierName} carrier cannot search by postal code: use locality or region` });
    }
    if (near) {
      if (!near.e164.startsWith("+1")) problems.push({ path: ["nearNumber"], code: "INVALID_VALUE", message: "nearNumber works with US and Canadian numbers (their area code places them)" });
      else if (numberTypeOf(near.e164) === "TOLL_FREE") problems.push({ path: ["nearNumber"], code: "INVALID_VALUE", message: "A toll-free number has no area to search near" });
      else if (countryCode && near.country !== countryCode) problems.push({ path: ["nearNumber"], code: "INVALID_VALUE", message: `${near.e164} is in ${near.country}, not ${countryCode} (set country: ${near.country})` });
      else if (code && code !== near.e164.slice(2, 5)) problems.push({ path: ["nearNumber"], code: "INVALID_VALUE", message: `${near.e164} is in area code ${near.e164.slice(2, 5)}, not ${code}` });
    }
    return problems;
  }

  async provision(caller: Caller, args: z.input<typeof ProvisionPhoneNumberInput>): Promise<Provisioned> {
    const agent = await agentReferenceProblems(this.prisma, caller.organizationId, peekField(ProvisionPhoneNumberInput, "agentId", args));
    const requested = typeOfRequest(peekField(ProvisionPhoneNumberInput, "areaCode", args), peekField(ProvisionPhoneNumberInput, "numberType", args), ["input", "numberType"]);
    const specific = peekField(ProvisionPhoneNumberInput, "e164", args);
    if (!requested.problem && specific && requested.type && numberTypeOf(specific.e164) !== requested.type) {
      requested.problem = { path: ["input", "numberType"], code: "INVALID_VALUE", message: `${specific.e164} is a ${numberTypeOf(specific.e164)} number: numberType ${requested.type} conflicts with it` };
    }
    const input = parseInput(ProvisionPhoneNumberInput, args, [...agent, ...(requested.problem ? [requested.problem] : [])]);
    return this.#provisionOne(caller, {
      country: input.country ?? input.e164?.country ?? "US",
      areaCode: input.areaCode ?? undefined,
      numberType: requested.type,
      contains: input.contains ?? undefined,
      features: input.features ?? undefined,
      e164: input.e164?.e164,
      label: input.label ?? "",
      agentId: input.agentId ?? null,
      idempotencyKey: input.idempotencyKey ?? crypto.randomUUID(),
      allowAreaCodeFallback: input.allowAreaCodeFallback ?? true,
    });
  }

  /**
   * Buys up to 50 numbers. Each item has its own derived idempotency key, so repeating the call
   * repeats nothing; one item's failure does not undo the others.
   */
  async provisionMany(caller: Caller, args: z.input<typeof ProvisionPhoneNumbersInput>): Promise<BulkItemResult[]> {
    const agent = await agentReferenceProblems(this.prisma, caller.organizationId, peekField(ProvisionPhoneNumbersInput, "agentId", args));
    const requested = typeOfRequest(peekField(ProvisionPhoneNumbersInput, "areaCode", args), peekField(ProvisionPhoneNumbersInput, "numberType", args), ["input", "numberType"]);
    const input = parseInput(ProvisionPhoneNumbersInput, args, [...agent, ...(requested.problem ? [requested.problem] : [])]);
    const countryCode = input.country ?? "US";
    const base = {
      country: countryCode,
      areaCode: input.areaCode ?? undefined,
      numberType: requested.type,
      contains: input.contains ?? undefined,
      features: input.features ?? undefined,
    };

    // Items already bought under this key are replayed; the shortage check covers only new ones.
    // The key as the client sent it: orders stored under it before stay found.
    const keys = Array.from({ length: input.quantity }, (_, i) => `${args.idempotencyKey}#${i + 1}`);
    const done = new Set(
      (await this.prisma.numberOrder.findMany({ where: { organizationId: caller.organizationId, idempotencyKey: { in: keys } }, select: { idempotencyKey: true } })).map(
        (o) => o.idempotencyKey,
      ),
    );
    const missing = keys.filter((key) => !done.has(key)).length;
    if (missing > 0 && input.shortageStrategy === "FAIL") {
      const carrier = this.carriers.forCaller(caller);
      const available = await this.#withoutLive(await carrier.searchAvailable({ ...base, limit: 50 }).catch(toCarrierError));
      if (available.length < missing) {
        throw new CarrierError("NO_NUMBERS_AVAILABLE", `Only ${available.length} of ${missing} numbers are available; nothing was bought`, carrier.name);
      }
    }
    const results: BulkItemResult[] = [];
    for (const [index, key] of keys.entries()) {
      try {
        const result = await this.#provisionOne(caller, {
          ...base,
          label: input.label ?? "",
          agentId: input.agentId ?? null,
          idempotencyKey: key,
          allowAreaCodeFallback: input.shortageStrategy === "FALLBACK",
        });
        results.push({ index, result });
      } catch (error) {
        if (!(error instanceof CarrierError || error instanceof ConflictError)) throw error;
        results.push({ index, error });
        // Buying what is available: once the inventory is exhausted, the remaining items fail alike.
      }
    }
    return results;
  }

  async #provisionOne(
    caller: Caller,
    spec: {
      country: string;
      areaCode?: string;
      /** Kept by the area-code fallback: a toll-free request never buys a local number. */
      numberType?: PhoneNumberType;
      contains?: string;
      features?: NumberFeature[];
      e164?: string;
      label: string;
      agentId: string | null;
      idempotencyKey: string;
      allowAreaCodeFallback: boolean;
    },
  ): Promise<Provisioned> {
    const existing = await this.#findOrder(caller.organizationId, spec.idempotencyKey);
    if (existing) return this.#replay(existing);
    const carrier = this.carriers.forCaller(caller);

    let candidates: AvailableNumber[];
    let areaCodeFallback = false;
    if (spec.e164) {
      // Carriers match "contains" against the digits after the area code when one is given.
      const nanp = spec.e164.startsWith("+1");
      const matches = await carrier
        .searchAvailable({
          country: spec.country,
          areaCode: nanp ? spec.e164.slice(2, 5) : undefined,
          // Carriers list toll-free numbers only when asked for them (Telnyx: filter[phone_number_type]=toll_free).
          numberType: numberTypeOf(spec.e164) === "TOLL_FREE" ? "TOLL_FREE" : undefined,
          contains: nanp ? spec.e164.slice(5) : spec.e164.slice(1),
          limit: 5,
        })
        .catch(toCarrierError);
      candidates = (await this.#withoutLive(matches)).filter((n) => n.e164 === spec.e164);
      if (candidates.length === 0) throw new CarrierError("REJECTED", `${spec.e164} is not available`, carrier.name);
    } else {
      const criteria = { country: spec.country, numberType: spec.numberType, contains: spec.contains, features: spec.features, limit: 10 };
      candidates = await this.#withoutLive(await carrier.searchAvailable({ ...criteria, areaCode: spec.areaCode }).catch(toCarrierError));
      if (candidates.length === 0 && spec.areaCode && spec.allowAreaCodeFallback) {
        candidates = await this.#withoutLive(await carrier.searchAvailable(criteria).catch(toCarrierError));
        areaCodeFallback = candidates.length > 0;
      }
      if (candidates.length === 0) {
        throw new CarrierError(
          "NO_NUMBERS_AVAILABLE",
          spec.areaCode
            ? `No numbers available in area code ${spec.areaCode}${spec.allowAreaCodeFallback ? ` or ${spec.numberType === "TOLL_FREE" ? "another toll-free area code" : `elsewhere in ${spec.country}`}` : ""}`
            : `No ${spec.numberType === "TOLL_FREE" ? "toll-free " : ""}numbers available in ${spec.country}`,
          carrier.name,
        );
      }
    }

    for (const candidate of candidates.slice(0, 5)) {
      let rows: { order: NumberOrder; number: PhoneNumber };
      try {
        rows = await this.prisma.$transaction(async (tx) => {
          const number = await tx.phoneNumber.create({
            data: {
              organizationId: caller.organizationId,
              e164: candidate.e164,
              country: candidate.country,
              numberType: candidate.numberType,
              label: spec.label,
              source: "MANAGED",
              status: "PENDING",
              carrier: carrier.name,
              voiceCapable: candidate.features.includes("voice"),
              smsCapable: candidate.features.includes("sms"),
              mmsCapable: candidate.features.includes("mms"),
              monthlyPriceCents: candidate.monthlyCostCents,
              upfrontPriceCents: candidate.upfrontCostCents,
              agentId: spec.agentId,
            },
          });
          await recordNumberEvent(tx, "NUMBER_ORDERED", number);
          const order = await tx.numberOrder.create({
            data: {
              organizationId: caller.organizationId,
              idempotencyKey: spec.idempotencyKey,
              carrier: carrier.name,
              e164: candidate.e164,
              areaCodeFallback,
              phoneNumberId: number.id,
              status: "REQUESTED",
            },
          });
          return { order, number };
        });
      } catch (error) {
        // The agent was deleted between the check and the write: nothing was written or ordered.
        if (isMissingReference(error, "agentId")) throw new ValidationError([unknownAgent()]);
        if (!isUniqueViolation(error, ["organizationId", "idempotencyKey"]) && !isUniqueViolation(error, "e164")) throw error;
        // Either a concurrent call with the same key won (replay it) or the number was just taken (next one).
        const winner = await this.#findOrder(caller.organizationId, spec.idempotencyKey);
        if (winner) return this.#replay(winner);
        continue;
      }
      await this.setupStatus.refresh([rows.number.id]);

      let placed: CarrierOrder | undefined;
      try {
        placed = await carrier.placeOrder({ e164: candidate.e164, reference: rows.order.id });
      } catch (error) {
        if (!(error instanceof CarrierFailure)) throw error;
        if (error.kind === "REJECTED" || error.kind === "NOT_FOUND") {
          // Definitely not bought: forget the attempt and try the next number.
          this.logger.info({ e164: candidate.e164, reason: error.message }, "carrier refused the number; trying another");
          await this.prisma.$transaction([
            this.prisma.numberOrder.delete({ where: { id: rows.order.id } }),
            this.prisma.phoneNumber.delete({ where: { id: rows.number.id } }),
          ]);
          if (spec.e164) throw new CarrierError("REJECTED", error.message, carrier.name);
          continue;
        }
        // The answer was lost: the carrier may have committed. Ask by reference; never order again.
        placed = await carrier.findOrderByReference(rows.order.id).catch(() => undefined);
        if (!placed) {
          this.logger.warn({ orderId: rows.order.id, reason: error.message }, "carrier order outcome unknown; the order job will resolve it");
          return { phoneNumber: rows.number, areaCodeFallback, replayed: false };
        }
      }
      const phoneNumber = await this.#record(rows.order, placed);
      return { phoneNumber, areaCodeFallback, replayed: false };
    }
    throw new CarrierError("NO_NUMBERS_AVAILABLE", "The numbers found were taken meanwhile; try again", carrier.name);
  }

  /**
   * Compares the caller's carrier inventory with this organization's numbers. Tenant-safe: carrier
   * numbers are attributed to the organization only through its own orders.
   */
  async reconcile(caller: Caller): Promise<Reconciliation> {
    const carrier = this.carriers.forCaller(caller);
    const [atCarrier, rows, orders] = await Promise.all([
      carrier.listNumbers().catch(toCarrierError),
      this.prisma.phoneNumber.findMany({
        where: { organizationId: caller.organizationId, source: "MANAGED", carrier: carrier.name, status: { in: [...LIVE] } },
      }),
      this.prisma.numberOrder.findMany({ where: { organizationId: caller.organizationId, carrier: carrier.name } }),
    ]);
    const carrierByE164 = new Map(atCarrier.map((n) => [n.e164, n]));
    const liveE164 = new Set(rows.map((r) => r.e164));
    const ordered = new Set(orders.map((o) => o.e164));
    const orphanedAtCarrier = atCarrier.filter((n) => ordered.has(n.e164) && !liveE164.has(n.e164));
    // A RELEASING number is expected to be gone at the carrier (the order job finishes its release).
    const missingAtCarrier = rows.filter((r) => r.carrierResourceId && r.status !== "RELEASING" && !carrierByE164.has(r.e164));
    const stateMismatches = rows.flatMap((row) => {
      const remote = carrierByE164.get(row.e164);
      if (!remote) return [];
      const expected = row.status === "PENDING" ? "PENDING" : "ACTIVE";
      return remote.status === expected ? [] : [{ phoneNumber: row, carrierStatus: remote.status, carrierNumberId: remote.carrierNumberId }];
    });
    return { carrier: carrier.name, checkedAt: new Date(), orphanedAtCarrier, missingAtCarrier, stateMismatches };
  }

  /**
   * Repairs what is safe to repair: releases numbers the carrier bills for this organization's
   * orders with no live row here, and activates PENDING numbers the carrier reports active.
   * Numbers missing at the carrier are only reported: whether the carrier lost them needs a person.
   */
  async repair(caller: Caller, input: z.input<typeof RepairCarrierReconciliationInput>): Promise<{ released: string[]; activated: PhoneNumber[]; report: Reconciliation }> {
    const { dryRun } = parseInput(RepairCarrierReconciliationInput, input);
    const report = await this.reconcile(caller);
    if (dryRun) return { released: [], activated: [], report };
    const carrier = this.carriers.forCaller(caller);
    const released: string[] = [];
    for (const orphan of report.orphanedAtCarrier) {
      await carrier.releaseNumber(orphan.carrierNumberId).catch(toCarrierError);
      released.push(orphan.e164);
      this.logger.warn({ e164: orphan.e164, carrier: carrier.name }, "released a carrier number with no row here");
    }
    const activated: PhoneNumber[] = [];
    for (const mismatch of report.stateMismatches) {
      if (mismatch.phoneNumber.status !== "PENDING" || mismatch.carrierStatus !== "ACTIVE") continue;
      const order = await this.prisma.numberOrder.findFirst({ where: { phoneNumberId: mismatch.phoneNumber.id } });
      if (!order) continue;
      activated.push(
        await this.#record(order, {
          id: order.carrierOrderId ?? "reconciled",
          status: "SUCCESS",
          e164: order.e164,
          reference: order.id,
          carrierNumberId: mismatch.carrierNumberId,
          failureReason: null,
        }),
      );
    }
    return { released, activated, report: await this.reconcile(caller) };
  }

  /** Resolves orders with the carrier: completions of PLACED orders, and lost answers of old REQUESTED ones. */
  async reconcileOrders(): Promise<{ completed: number; failed: number; recovered: number }> {
    const outcome = { completed: 0, failed: 0, recovered: 0 };
    const placed = await this.prisma.numberOrder.findMany({ where: { status: "PLACED" }, take: 100, orderBy: { updatedAt: "asc" } });
    for (const order of placed) {
      const carrier = this.carriers.byName(order.carrier);
      const current = await carrier.getOrder(order.carrierOrderId!).catch((error: unknown) => {
        this.logger.warn({ orderId: order.id, err: (error as Error).message }, "order status check failed");
        return undefined;
      });
      if (!current || current.status === "PENDING") continue;
      await this.#record(order, current);
      outcome[current.status === "SUCCESS" ? "completed" : "failed"]++;
    }
    const stale = await this.prisma.numberOrder.findMany({
      where: { status: "REQUESTED", updatedAt: { lt: new Date(Date.now() - this.recoverAfterMs) } },
      take: 100,
    });
    for (const order of stale) {
      const carrier = this.carriers.byName(order.carrier);
      let found: CarrierOrder | undefined;
      try {
        found = await carrier.findOrderByReference(order.id);
      } catch (error) {
        this.logger.warn({ orderId: order.id, err: (error as Error).message }, "order recovery lookup failed; will retry");
        continue;
      }
      if (found) {
        await this.#record(order, found);
        outcome.recovered++;
        this.logger.info({ orderId: order.id, carrierOrderId: found.id }, "recovered a carrier order whose answer was lost");
      } else {
        await this.#fail(order, "The carrier has no such order");
        outcome.failed++;
      }
    }
    return outcome;
  }

  /** Stores what the carrier says of an order; transitions are guarded so repeats change nothing. */
  async #record(order: NumberOrder, carrierOrder: CarrierOrder): Promise<PhoneNumber> {
    if (carrierOrder.status === "FAILURE") {
      await this.#fail(order, carrierOrder.failureReason ?? "The carrier order failed");
      return this.prisma.phoneNumber.findUniqueOrThrow({ where: { id: order.phoneNumberId! } });
    }
    const completed = carrierOrder.status === "SUCCESS";
    await this.prisma.$transaction(async (tx) => {
      await tx.numberOrder.updateMany({
        where: { id: order.id, status: { in: completed ? ["REQUESTED", "PLACED"] : ["REQUESTED"] } },
        data: { status: completed ? "COMPLETED" : "PLACED", carrierOrderId: carrierOrder.id },
      });
      const moved = await tx.phoneNumber.updateMany({
        where: { id: order.phoneNumberId!, status: "PENDING" },
        data: { carrierResourceId: carrierOrder.carrierNumberId, ...(completed ? { status: "ACTIVE", ...activation(this.clock.now()) } : {}) },
      });
      // Only the write that activated it records the activation (repeats change nothing).
      if (completed && moved.count === 1) await recordNumberEvent(tx, "NUMBER_ACTIVATED", await tx.phoneNumber.findUniqueOrThrow({ where: { id: order.phoneNumberId! } }));
    });
    await this.setupStatus.refresh([order.phoneNumberId!]);
    return this.prisma.phoneNumber.findUniqueOrThrow({ where: { id: order.phoneNumberId! } });
  }

  async #fail(order: NumberOrder, reason: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.numberOrder.updateMany({ where: { id: order.id, status: { in: ["REQUESTED", "PLACED"] } }, data: { status: "FAILED", failureReason: reason } });
      const moved = order.phoneNumberId ? await tx.phoneNumber.updateMany({ where: { id: order.phoneNumberId, status: "PENDING" }, data: { status: "FAILED" } }) : { count: 0 };
      if (moved.count === 1) await recordNumberEvent(tx, "NUMBER_FAILED", await tx.phoneNumber.findUniqueOrThrow({ where: { id: order.phoneNumberId! } }), { reason });
    });
    if (order.phoneNumberId) await this.setupStatus.refresh([order.phoneNumberId]);
  }

  /** An earlier call's order under the same key: its number as it is now (resolving a lost answer when possible). */
  async #replay(order: NumberOrder): Promise<Provisioned> {
    if (order.status === "FAILED" || !order.phoneNumberId) {
      throw new CarrierError("REJECTED", order.failureReason ?? "This order failed at the carrier", order.carrier);
    }
    if (order.status === "REQUESTED" && Date.now() - order.createdAt.getTime() > this.recoverAfterMs) {
      const found = await this.carriers.byName(order.carrier).findOrderByReference(order.id).catch(() => undefined);
      if (found) await this.#record(order, found);
    }
    const phoneNumber = await this.prisma.phoneNumber.findUniqueOrThrow({ where: { id: order.phoneNumberId } });
    return { phoneNumber, areaCodeFallback: order.areaCodeFallback, replayed: true };
  }

  #findOrder(organizationId: string, idempotencyKey: string) {
    return this.prisma.numberOrder.findUnique({ where: { organizationId_idempotencyKey: { organizationId, idempotencyKey } } });
  }

  async #withoutLive(numbers: AvailableNumber[]): Promise<AvailableNumber[]> {
    if (numbers.length === 0) return numbers;
    const live = await this.prisma.phoneNumber.findMany({
      where: { e164: { in: numbers.map((n) => n.e164) }, status: { in: [...LIVE] } },
      select: { e164: true },
    });
    const taken = new Set(live.map((n) => n.e164));
    return numbers.filter((n) => !taken.has(n.e164));
  }
}
