import type { Logger } from "pino";
import { createdBetween } from "../db/time-range.ts";
import { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import type { PrismaClient } from "../db/client.ts";
import { ConflictError, NotFoundError } from "../domain/errors.ts";
import { globalId, parseInput } from "../domain/validation.ts";
import { chargeSnapshot, recordEvent, recordNumberEvent } from "../events/log.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import type { BillingAccount, Charge, PhoneNumber } from "../generated/prisma/client.ts";
import { periodAt, type Clock } from "./periods.ts";
import { ProviderUnavailable, type ChargeOutcome, type PaymentEvent, type PaymentProvider } from "./provider.ts";

/**
 * Monthly billing of numbers.
 *
 * Activation sets a number's `activatedAt` and its first `nextChargeAt`. The billing job then, on
 * every instance at once:
 *   1. schedules: claims due numbers (`FOR UPDATE SKIP LOCKED`), writes the Charge rows of the
 *      period starting at `nextChargeAt` (the upfront charge with the first month) and moves
 *      `nextChargeAt` to the period's end, in one transaction. The unique (number, kind, period)
 *      means a period is never written twice, whatever the number of instances;
 *   2. charges: claims due charges by moving their `nextAttemptAt` ahead by a lease, calls the
 *      provider with an idempotency key derived from the charge id, and records the answer. A
 *      crash between the provider's charge and our write leaves the claim to lapse; the next run
 *      sends the same key and the provider replays its answer: one charge, one SUCCEEDED row;
 *   3. suspends numbers whose charge has been failing for longer than the grace period.
 *
 * Money is integer cents throughout. Numbers covered by the plan (in activation order) or marked
 * `includedInPlan` get a zero charge, recorded and never sent to the provider.
 */

export interface BillingSettings {
  /** Days a charge may keep failing before its number is suspended. */
  graceDays: number;
  /** Minutes to wait after the 1st, 2nd, ... decline; after the last, the charge is left FAILED. */
  retryMinutes: number[];
  /** Wait before retrying a charge whose answer was lost or whose provider was unreachable. */
  unavailableRetryMs: number;
  /** Monthly platform fee of MANUAL and SIP_TRUNK numbers (integer cents). */
  manualFeeCents: number;
  sipTrunkFeeCents: number;
  /** How long a claimed charge is another instance's before it may be taken over. */
  leaseMs: number;
  /** Rows per claim. */
  batchSize: number;
  /** Crash-safety tests: the process kills itself right after a provider charged, before the answer is recorded. */
  crashAfterCharge?: boolean;
}

/** Chooses the provider of a number's charges (numbers bought from the sandbox carrier are charged by the sandbox). */
export type ProviderFor = (number: Pick<PhoneNumber, "carrier" | "source">) => PaymentProvider;

export interface BillingRun {
  scheduled: number;
  charged: number;
  declined: number;
  unavailable: number;
  suspended: number;
  reactivated: number;
}

const CURRENCIES = ["USD", "CAD", "EUR", "GBP", "AUD"] as const;

export const UpdateBillingAccountInput = z.object({
  planName: z.string().trim().min(1, "Required").max(100, "At most 100 characters").nullish(),
  includedNumbers: z.number().int().min(0, "Must be 0 or more").max(1_000_000, "At most 1,000,000").nullish(),
  currency: z.string().trim().toUpperCase().pipe(z.enum(CURRENCIES, { message: `One of ${CURRENCIES.join(", ")}` })).nullish(),
  providerCustomerId: z.string().trim().max(255, "At most 255 characters").regex(/^[A-Za-z0-9_-]+$/, "Letters, digits, _ and - only").nullish(),
  providerPaymentMethodId: z.string().trim().max(255, "At most 255 characters").regex(/^[A-Za-z0-9_-]+$/, "Letters, digits, _ and - only").nullish(),
});

export const ReactivatePhoneNumberInput = z.object({ id: globalId("PhoneNumber") });

export interface ChargeFilter {
  statuses?: Array<Charge["status"]> | null;
  phoneNumberId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

export interface BillingSummary {
  currency: string;
  planName: string;
  includedNumbers: number;
  /** Live numbers covered by the plan (or marked included) / charged monthly. */
  numbersIncluded: number;
  numbersCharged: number;
  monthlyTotalCents: number;
  bySource: Array<{ source: PhoneNumber["source"]; numbers: number; monthlyCents: number }>;
  byStatus: Array<{ status: PhoneNumber["status"]; numbers: number; monthlyCents: number }>;
  upcomingCharges: number;
  upcomingCents: number;
  failedCharges: number;
  failedCents: number;
}

const BILLABLE = ["ACTIVE", "SUSPENDED"] as const;

export class BillingService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly providerFor: ProviderFor,
    private readonly setupStatus: SetupStatusChanges,
    readonly clock: Clock,
    private readonly settings: BillingSettings,
    private readonly logger: Logger,
  ) {}

  /** The organization's billing account, with defaults when none was set. */
  async account(organizationId: string): Promise<BillingAccount> {
    return (await this.prisma.billingAccount.findUnique({ where: { organizationId } })) ?? defaultAccount(organizationId);
  }

  async updateAccount(caller: Caller, input: z.input<typeof UpdateBillingAccountInput>): Promise<BillingAccount> {
    const data = parseInput(UpdateBillingAccountInput, input);
    const changes: Partial<BillingAccount> = {};
    for (const key of ["planName", "includedNumbers", "currency", "providerCustomerId", "providerPaymentMethodId"] as const) {
      if (data[key] != null) Object.assign(changes, { [key]: data[key] });
    }
    return this.prisma.billingAccount.upsert({ where: { organizationId: caller.organizationId }, create: { organizationId: caller.organizationId, ...changes }, update: changes });
  }

  /**
   * An admin puts a suspended number back in service: ACTIVE again, and its unpaid charges get a new
   * grace period and are retried now (with a fresh idempotency key: their last answer was a decline).
   */
  async reactivate(caller: Caller, input: z.input<typeof ReactivatePhoneNumberInput>): Promise<PhoneNumber> {
    const { id } = parseInput(ReactivatePhoneNumberInput, input);
    const number = await this.prisma.phoneNumber.findFirst({ where: { id, organizationId: caller.organizationId } });
    if (!number) throw new NotFoundError("Phone number", input.id);
    if (number.status !== "SUSPENDED") throw new ConflictError(`${number.e164} is ${number.status}; only a SUSPENDED number can be reactivated`);
    const now = this.clock.now();
    await this.prisma.$transaction(async (tx) => {
      const back = await tx.phoneNumber.updateMany({ where: { id, status: "SUSPENDED" }, data: { status: "ACTIVE", suspendedAt: null } });
      await tx.charge.updateMany({ where: { phoneNumberId: id, status: "FAILED" }, data: { firstFailedAt: now, nextAttemptAt: now } });
      if (back.count === 1) await recordNumberEvent(tx, "NUMBER_REACTIVATED", await tx.phoneNumber.findUniqueOrThrow({ where: { id } }), { by: "ADMIN", subject: caller.subject });
    });
    await this.setupStatus.refresh([id]);
    return this.prisma.phoneNumber.findUniqueOrThrow({ where: { id } });
  }

  /** One run of the billing job: schedule what is due, charge it, suspend what stayed unpaid. */
  async runDue(): Promise<BillingRun> {
    const run: BillingRun = { scheduled: 0, charged: 0, declined: 0, unavailable: 0, suspended: 0, reactivated: 0 };
    // Bounded: a backlog larger than this is finished by the next runs.
    for (let i = 0; i < 50; i++) {
      const scheduled = await this.#schedule();
      run.scheduled += scheduled;
      if (scheduled < this.settings.batchSize) break;
    }
    for (let i = 0; i < 50; i++) {
      const attempted = await this.#chargeDue(run);
      if (attempted < this.settings.batchSize) break;
    }
    run.suspended += await this.#suspendOverdue();
    return run;
  }

  /** A verified payment event from the provider's webhook (a charge that was PENDING, or a late answer). */
  async applyPaymentEvent(event: PaymentEvent): Promise<void> {
    const charge = await this.prisma.charge.findUnique({ where: { id: event.chargeId }, include: { phoneNumber: true } });
    if (!charge) {
      this.logger.warn({ chargeId: event.chargeId }, "payment webhook for an unknown charge");
      return;
    }
    const now = this.clock.now();
    const outcome: ChargeOutcome =
      event.outcome.status === "SUCCEEDED"
        ? { status: "SUCCEEDED", providerReference: event.providerReference }
        : { status: "FAILED", providerReference: event.providerReference, reason: event.outcome.reason, retryable: true };
    const reactivated = await this.#record(charge, charge.phoneNumber, outcome, now);
    if (reactivated) await this.setupStatus.refresh([charge.phoneNumberId]);
  }

  where(organizationId: string, filter: ChargeFilter | null | undefined) {
    const createdAt = createdBetween(filter);
    return {
      organizationId,
      ...(filter?.statuses?.length ? { status: { in: filter.statuses } } : {}),
      ...(filter?.phoneNumberId ? { phoneNumberId: filter.phoneNumberId } : {}),
      ...(createdAt ? { createdAt } : {}),
    };
  }

  /**
   * The summary in one aggregate over the organization's live numbers (no row reaches the server):
   * each number's monthly amount by the same rules as the job (plan coverage by activation order,
   * `includedInPlan`, prices and platform fees), grouped by source and status.
   */
  async summary(caller: Caller): Promise<BillingSummary> {
    const organizationId = caller.organizationId;
    const account = await this.account(organizationId);
    const horizon = new Date(this.clock.now().getTime() + 30 * 86_400_000);
    const groups = await this.prisma.$queryRaw<Array<{ source: PhoneNumber["source"]; status: PhoneNumber["status"]; numbers: number; cents: bigint; included: number; upcoming: number; upcomingCents: bigint }>>`
      WITH live AS (
        SELECT id, source, status, "includedInPlan", "monthlyPriceCents", "upfrontPriceCents", "activatedAt", "nextChargeAt"
        FROM "PhoneNumber" WHERE "organizationId" = ${organizationId}::uuid AND status IN ('PENDING', 'ACTIVE', 'SUSPENDED')
      ), ranked AS (
        SELECT id, row_number() OVER (ORDER BY "activatedAt", id) AS rank FROM live WHERE status <> 'PENDING' AND "activatedAt" IS NOT NULL
      ), priced AS (
        SELECT live.*,
          CASE WHEN live."includedInPlan" OR ranked.rank <= ${account.includedNumbers}::int THEN 0
               WHEN live.source = 'MANAGED' THEN live."monthlyPriceCents"
               WHEN live.source = 'MANUAL' THEN ${this.settings.manualFeeCents}::int
               ELSE ${this.settings.sipTrunkFeeCents}::int END AS cents
        FROM live LEFT JOIN ranked ON ranked.id = live.id
      )
      SELECT source, status, count(*)::int AS numbers, sum(cents)::bigint AS cents,
        count(*) FILTER (WHERE cents = 0)::int AS included,
        count(*) FILTER (WHERE status <> 'PENDING' AND "nextChargeAt" <= ${horizon.toISOString()}::timestamptz AT TIME ZONE 'UTC')::int AS upcoming,
        coalesce(sum(cents + CASE WHEN source = 'MANAGED' AND "nextChargeAt" < "activatedAt" + interval '1 month' THEN "upfrontPriceCents" ELSE 0 END)
          FILTER (WHERE status <> 'PENDING' AND "nextChargeAt" <= ${horizon.toISOString()}::timestamptz AT TIME ZONE 'UTC'), 0)::bigint AS "upcomingCents"
      FROM priced GROUP BY source, status ORDER BY source, status`;
    const failed = await this.prisma.charge.aggregate({ where: { organizationId, status: "FAILED" }, _count: true, _sum: { amountCents: true } });
    const total = (pick: (g: (typeof groups)[number]) => number | bigint) => groups.reduce((sum, g) => sum + Number(pick(g)), 0);
    const by = <K extends "source" | "status">(key: K) => {
      const map = new Map<(typeof groups)[number][K], { numbers: number; monthlyCents: number }>();
      for (const g of groups) {
        const entry = map.get(g[key]) ?? { numbers: 0, monthlyCents: 0 };
        entry.numbers += g.numbers;
        entry.monthlyCents += Number(g.cents);
        map.set(g[key], entry);
      }
      return [...map];
    };
    const numbersIncluded = total((g) => g.included);
    return {
      currency: account.currency,
      planName: account.planName,
      includedNumbers: account.includedNumbers,
      numbersIncluded,
      numbersCharged: total((g) => g.numbers) - numbersIncluded,
      monthlyTotalCents: total((g) => g.cents),
      bySource: by("source").map(([source, v]) => ({ source, ...v })),
      byStatus: by("status").map(([status, v]) => ({ status, ...v })),
      upcomingCharges: total((g) => g.upcoming),
      upcomingCents: total((g) => g.upcomingCents),
      failedCharges: failed._count,
      failedCents: failed._sum.amountCents ?? 0,
    };
  }

  /** A number's monthly charge in cents: 0 when the plan covers it. */
  monthlyCents(number: Pick<PhoneNumber, "source" | "includedInPlan" | "monthlyPriceCents">, coveredByPlan: boolean): number {
    if (number.includedInPlan || coveredByPlan) return 0;
    if (number.source === "MANAGED") return number.monthlyPriceCents;
    return number.source === "MANUAL" ? this.settings.manualFeeCents : this.settings.sipTrunkFeeCents;
  }

  /** The ids of the first `includedNumbers` numbers in activation order (the input is in that order). */
  #planCoverage(account: BillingAccount, numbers: ReadonlyArray<Pick<PhoneNumber, "id" | "status" | "activatedAt">>): Set<string> {
    return new Set(numbers.filter((n) => n.status !== "PENDING" && n.activatedAt).slice(0, account.includedNumbers).map((n) => n.id));
  }

  /** Writes the charges of one batch of due numbers; returns how many numbers it scheduled. */
  async #schedule(): Promise<number> {
    const now = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const due = await tx.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM "PhoneNumber"
        WHERE "nextChargeAt" <= ${now.toISOString()}::timestamptz AT TIME ZONE 'UTC' AND "status" IN ('ACTIVE', 'SUSPENDED')
        ORDER BY "nextChargeAt" LIMIT ${this.settings.batchSize}
        FOR UPDATE SKIP LOCKED`;
      if (due.length === 0) return 0;
      const numbers = await tx.phoneNumber.findMany({ where: { id: { in: due.map((d) => d.id) } } });
      const organizations = [...new Set(numbers.map((n) => n.organizationId))];
      const accounts = new Map((await tx.billingAccount.findMany({ where: { organizationId: { in: organizations } } })).map((a) => [a.organizationId, a]));
      const coverage = new Map<string, Set<string>>();
      for (const organizationId of organizations) {
        const account = accounts.get(organizationId) ?? defaultAccount(organizationId);
        if (account.includedNumbers === 0) continue;
        const live = await tx.phoneNumber.findMany({
          where: { organizationId, status: { in: [...BILLABLE] }, activatedAt: { not: null } },
          select: { id: true, status: true, activatedAt: true },
          orderBy: [{ activatedAt: "asc" }, { id: "asc" }],
          take: account.includedNumbers,
        });
        coverage.set(organizationId, this.#planCoverage(account, live));
      }
      const charges: Array<Omit<Charge, "id" | "createdAt" | "updatedAt" | "attempts" | "declines" | "failureReason" | "providerReference" | "firstFailedAt">> = [];
      for (const number of numbers) {
        const account = accounts.get(number.organizationId) ?? defaultAccount(number.organizationId);
        const anchor = number.activatedAt ?? number.createdAt;
        const period = periodAt(anchor, number.nextChargeAt!);
        const common = { organizationId: number.organizationId, phoneNumberId: number.id, period: period.index, periodStart: number.nextChargeAt!, periodEnd: period.end, currency: account.currency };
        if (period.index === 0 && number.source === "MANAGED" && number.upfrontPriceCents > 0) {
          charges.push({ ...common, kind: "UPFRONT", amountCents: number.upfrontPriceCents, status: "PENDING", nextAttemptAt: now });
        }
        const amountCents = this.monthlyCents(number, coverage.get(number.organizationId)?.has(number.id) ?? false);
        charges.push({ ...common, kind: "MONTHLY", amountCents, status: amountCents === 0 ? "SUCCEEDED" : "PENDING", nextAttemptAt: amountCents === 0 ? null : now });
        await tx.phoneNumber.update({ where: { id: number.id }, data: { nextChargeAt: period.end } });
      }
      await tx.charge.createMany({ data: charges, skipDuplicates: true });
      return numbers.length;
    });
  }

  /** Claims and charges one batch of due charges; returns how many it claimed. */
  async #chargeDue(run: BillingRun): Promise<number> {
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + this.settings.leaseMs);
    const claimed = await this.prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE "Charge" SET "nextAttemptAt" = ${leaseUntil.toISOString()}::timestamptz AT TIME ZONE 'UTC', "attempts" = "attempts" + 1, "updatedAt" = now() AT TIME ZONE 'UTC'
      WHERE id IN (
        SELECT id FROM "Charge"
        WHERE "status" IN ('PENDING', 'FAILED') AND "nextAttemptAt" <= ${now.toISOString()}::timestamptz AT TIME ZONE 'UTC'
        ORDER BY "nextAttemptAt" LIMIT ${this.settings.batchSize}
        FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    if (claimed.length === 0) return 0;
    const charges = await this.prisma.charge.findMany({ where: { id: { in: claimed.map((c) => c.id) } }, include: { phoneNumber: true }, orderBy: { createdAt: "asc" } });
    const accounts = new Map(
      (await this.prisma.billingAccount.findMany({ where: { organizationId: { in: [...new Set(charges.map((c) => c.organizationId))] } } })).map((a) => [a.organizationId, a]),
    );
    const refresh: string[] = [];
    for (const charge of charges) {
      const number = charge.phoneNumber;
      if (!(BILLABLE as readonly string[]).includes(number.status)) {
        // Released (or being released) before it was paid: never charged again.
        await this.prisma.charge.updateMany({
          where: { id: charge.id, status: { not: "SUCCEEDED" } },
          data: { status: "FAILED", failureReason: `Not charged: the number is ${number.status}`, nextAttemptAt: null },
        });
        continue;
      }
      const account = accounts.get(charge.organizationId) ?? defaultAccount(charge.organizationId);
      let outcome: ChargeOutcome;
      try {
        outcome = await this.providerFor(number).charge({
          chargeId: charge.id,
          idempotencyKey: charge.declines === 0 ? charge.id : `${charge.id}:${charge.declines}`,
          organizationId: charge.organizationId,
          customerId: account.providerCustomerId,
          paymentMethodId: account.providerPaymentMethodId,
          amountCents: charge.amountCents,
          currency: charge.currency,
          description: `${number.e164} ${charge.kind === "UPFRONT" ? "upfront" : `month ${charge.period + 1}`} (${charge.periodStart.toISOString().slice(0, 10)})`,
        });
      } catch (error) {
        if (!(error instanceof ProviderUnavailable)) this.logger.error({ err: error, chargeId: charge.id }, "charging failed unexpectedly; retried later");
        // The outcome is unknown: the same key is sent again later, so it is never charged twice.
        run.unavailable++;
        await this.prisma.charge.updateMany({
          where: { id: charge.id, status: { not: "SUCCEEDED" } },
          data: { nextAttemptAt: new Date(now.getTime() + this.settings.unavailableRetryMs) },
        });
        continue;
      }
      if (this.settings.crashAfterCharge && outcome.status === "SUCCEEDED") {
        process.kill(process.pid, "SIGKILL");
        await new Promise(() => {}); // nothing more runs
      }
      if (outcome.status === "SUCCEEDED") run.charged++;
      if (outcome.status === "FAILED") run.declined++;
      if (await this.#record(charge, number, outcome, now)) {
        run.reactivated++;
        refresh.push(number.id);
      }
    }
    if (refresh.length) await this.setupStatus.refresh(refresh);
    return claimed.length;
  }

  /** Records a provider's answer; returns true when it put a suspended number back in service. */
  async #record(charge: Charge, number: PhoneNumber, outcome: ChargeOutcome, now: Date): Promise<boolean> {
    if (outcome.status === "PENDING") {
      await this.prisma.charge.updateMany({ where: { id: charge.id, status: { not: "SUCCEEDED" } }, data: { providerReference: outcome.providerReference, nextAttemptAt: null } });
      return false;
    }
    if (outcome.status === "FAILED") {
      const declines = charge.declines + 1;
      const retryIn = outcome.retryable ? this.settings.retryMinutes[declines - 1] : undefined;
      await this.prisma.$transaction(async (tx) => {
        const failed = await tx.charge.updateMany({
          where: { id: charge.id, status: { not: "SUCCEEDED" } },
          data: {
            status: "FAILED",
            failureReason: outcome.reason,
            providerReference: outcome.providerReference ?? charge.providerReference,
            declines,
            firstFailedAt: charge.firstFailedAt ?? now,
            nextAttemptAt: retryIn === undefined ? null : new Date(now.getTime() + retryIn * 60_000),
          },
        });
        if (failed.count === 1) await recordChargeEvent(tx, "CHARGE_FAILED", await tx.charge.findUniqueOrThrow({ where: { id: charge.id } }));
      });
      this.logger.warn({ chargeId: charge.id, phoneNumberId: number.id, reason: outcome.reason, declines, final: retryIn === undefined }, "charge declined");
      return false;
    }
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.charge.updateMany({
        where: { id: charge.id, status: { not: "SUCCEEDED" } },
        data: { status: "SUCCEEDED", providerReference: outcome.providerReference, failureReason: null, nextAttemptAt: null },
      });
      if (updated.count === 0) return false;
      await tx.phoneNumber.updateMany({ where: { id: number.id }, data: { lastChargeAt: now } });
      await recordChargeEvent(tx, "CHARGE_SUCCEEDED", await tx.charge.findUniqueOrThrow({ where: { id: charge.id } }));
      if (number.status !== "SUSPENDED") return false;
      // Paid up: a number billing suspended is back in service once no charge of it is failing.
      const failing = await tx.charge.count({ where: { phoneNumberId: number.id, status: "FAILED" } });
      if (failing > 0) return false;
      const back = await tx.phoneNumber.updateMany({ where: { id: number.id, status: "SUSPENDED" }, data: { status: "ACTIVE", suspendedAt: null } });
      if (back.count === 0) return false;
      await recordNumberEvent(tx, "NUMBER_REACTIVATED", await tx.phoneNumber.findUniqueOrThrow({ where: { id: number.id } }), { by: "PAYMENT" });
      return true;
    });
  }

  /** ACTIVE numbers with a charge failing for longer than the grace period become SUSPENDED. */
  async #suspendOverdue(): Promise<number> {
    const now = this.clock.now();
    const overdue = await this.prisma.phoneNumber.findMany({
      where: { status: "ACTIVE", charges: { some: { status: "FAILED", firstFailedAt: { lte: new Date(now.getTime() - this.settings.graceDays * 86_400_000) } } } },
      select: { id: true },
      take: 1_000,
    });
    const suspended: string[] = [];
    for (const { id } of overdue) {
      const moved = await this.prisma.$transaction(async (tx) => {
        const result = await tx.phoneNumber.updateMany({ where: { id, status: "ACTIVE" }, data: { status: "SUSPENDED", suspendedAt: now } });
        if (result.count === 1) await recordNumberEvent(tx, "NUMBER_SUSPENDED", await tx.phoneNumber.findUniqueOrThrow({ where: { id } }), { reason: "UNPAID_CHARGE", graceDays: this.settings.graceDays });
        return result.count;
      });
      if (moved) suspended.push(id);
    }
    if (suspended.length) {
      this.logger.warn({ numbers: suspended.length }, "numbers suspended for unpaid charges");
      await this.setupStatus.refresh(suspended);
    }
    return suspended.length;
  }
}

function defaultAccount(organizationId: string): BillingAccount {
  const now = new Date(0);
  return { organizationId, planName: "Pay as you go", includedNumbers: 0, currency: "USD", providerCustomerId: null, providerPaymentMethodId: null, createdAt: now, updatedAt: now };
}

/** A charge's outcome, as an event of its organization about the charge (and its number). */
function recordChargeEvent(tx: Parameters<typeof recordEvent>[0], type: "CHARGE_SUCCEEDED" | "CHARGE_FAILED", charge: Charge): Promise<string> {
  return recordEvent(tx, { organizationId: charge.organizationId, type, phoneNumberId: charge.phoneNumberId, subject: { type: "Charge", id: charge.id }, payload: { charge: chargeSnapshot(charge) } });
}
