import type { Logger } from "pino";
import type { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import { CarrierFailure } from "../carriers/adapter.ts";
import type { Carriers } from "../carriers/index.ts";
import type { PrismaClient } from "../db/client.ts";
import { backoffMs } from "../domain/backoff.ts";
import type { FieldError } from "../domain/errors.ts";
import { parseInput, peekField } from "../domain/validation.ts";
import {
  callerIdNameAtCarrier,
  FALLBACK_TIMEOUT_DEFAULT,
  fallbackAtCarrier,
  forwardingTypeFor,
  settledFallbackStatus,
  sipUriFallbackRefusal,
  type VoiceSettingStatus,
} from "../domain/voice-settings.ts";
import { recordNumberEvent } from "../events/log.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import type { Prisma, PhoneNumber } from "../generated/prisma/client.ts";
import { findNumberFor } from "./find.ts";
import { SetPhoneNumberCallerIdNameInput, SetPhoneNumberFallbackInput } from "./inputs.ts";

export interface VoiceSettingsOptions {
  /** How long a request's carrier call may still be running: the job leaves a PENDING setting alone this long. */
  leaseMs: number;
  /** The job's backoff between carrier attempts: the first wait, doubling up to the last. */
  retryFirstMs: number;
  retryMaxMs: number;
  /** Carrier attempts (without an answer) before a PENDING setting is FAILED. */
  maxAttempts: number;
}

type Setting = "callerIdName" | "fallback";

/**
 * The inputs as GraphQL hands them over: the value field may be absent, which zod reports as
 * REQUIRED (null, not absence, clears a setting).
 */
type CallerIdNameRequest = Omit<z.input<typeof SetPhoneNumberCallerIdNameInput>, "callerIdName"> & { callerIdName?: string | null };
type FallbackRequest = Omit<z.input<typeof SetPhoneNumberFallbackInput>, "fallback"> & { fallback?: z.input<typeof SetPhoneNumberFallbackInput>["fallback"] };

/**
 * A number's caller ID name (CNAM) and fallback (failover routing), crash-safe like releasing a
 * number: the mutation writes the wanted value with its status (PENDING when the carrier must be
 * told) and its event in one transaction; then it calls the carrier (a state-set PATCH, safe to
 * repeat); then it writes the outcome (ACTIVE, or FAILED with the carrier's reason) and its event,
 * guarded on the value it sent, so a newer value is never overwritten by an older answer. What a
 * crash or a carrier outage leaves PENDING, the voice settings job (`syncDue`) sends again, with
 * backoff. Settings of numbers the carrier does not hold for Switchboard are STORED at once.
 */
export class VoiceSettingsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly carriers: Carriers,
    private readonly setupStatus: SetupStatusChanges,
    private readonly logger: Logger,
    private readonly options: VoiceSettingsOptions,
  ) {}

  async setCallerIdName(caller: Caller, request: CallerIdNameRequest): Promise<PhoneNumber> {
    const input = request as z.input<typeof SetPhoneNumberCallerIdNameInput>;
    const id = peekField(SetPhoneNumberCallerIdNameInput, "phoneNumberId", input);
    if (id === undefined) parseInput(SetPhoneNumberCallerIdNameInput, input);
    const number = await findNumberFor(this.prisma, caller, "UPDATE", id!, input.phoneNumberId);
    const { callerIdName } = parseInput(SetPhoneNumberCallerIdNameInput, input);
    // Clearing a name that was never set changes nothing.
    if (callerIdName === null && number.callerIdName === null && number.callerIdNameStatus === null) return number;
    const place = callerIdNameAtCarrier(number);
    const [status, reason]: [VoiceSettingStatus | null, string | null] = place.atCarrier
      ? ["PENDING", null]
      : callerIdName === null
        ? [null, null]
        : ["STORED", place.reason];
    const written = await this.#intent("callerIdName", number, { callerIdName, callerIdNameStatus: status, callerIdNameStatusReason: reason });
    return status === "PENDING" ? this.#pushCallerIdName(written, 0) : written;
  }

  async setFallback(caller: Caller, request: FallbackRequest): Promise<PhoneNumber> {
    const input = request as z.input<typeof SetPhoneNumberFallbackInput>;
    const id = peekField(SetPhoneNumberFallbackInput, "phoneNumberId", input);
    if (id === undefined) parseInput(SetPhoneNumberFallbackInput, input);
    const number = await findNumberFor(this.prisma, caller, "UPDATE", id!, input.phoneNumberId);
    // Checks that need the number, reported with every other problem of the input.
    const extra: FieldError[] = [];
    const wanted = peekField(SetPhoneNumberFallbackInput, "fallback", input);
    const refusal = sipUriFallbackRefusal(number);
    if (input.fallback?.sipUri != null && refusal) extra.push({ path: ["input", "fallback", "sipUri"], code: "NOT_PERMITTED", message: refusal });
    if (input.fallback != null && number.direction === "OUTBOUND") {
      extra.push({ path: ["input", "fallback"], code: "NOT_PERMITTED", message: "An OUTBOUND-only number takes no inbound calls, so it has no fallback" });
    }
    if (wanted?.forwardTo && wanted.forwardTo === number.e164) {
      extra.push({ path: ["input", "fallback", "forwardTo"], code: "INVALID_VALUE", message: "A number cannot fall back to itself (calls would loop)" });
    }
    const { fallback } = parseInput(SetPhoneNumberFallbackInput, input, extra);
    const hadFallback = number.fallbackForwardTo !== null || number.fallbackSipUri !== null || number.fallbackStatus !== null;
    if (fallback === null && !hadFallback) return number;
    const forwardTo = fallback?.forwardTo ?? null;
    const sipUri = fallback?.sipUri ?? null;
    const settled = settledFallbackStatus(number, { forwardTo, sipUri });
    const [status, reason] = fallbackAtCarrier(number) ? (["PENDING", null] as const) : ([settled.status, settled.reason] as const);
    const written = await this.#intent("fallback", number, {
      fallbackForwardTo: forwardTo,
      fallbackSipUri: sipUri,
      fallbackTimeoutSeconds: fallback ? (fallback.timeoutSeconds ?? FALLBACK_TIMEOUT_DEFAULT) : null,
      fallbackStatus: status,
      fallbackStatusReason: reason,
    });
    // A carrier-bound fallback changes the setup status once the carrier answered (#pushFallback
    // refreshes then), so a number switching destinations does not flap through "not ready".
    if (status === "PENDING") return this.#pushFallback(written, 0);
    await this.setupStatus.refresh([written.id]);
    return written;
  }

  /**
   * The voice settings job: sends again every PENDING setting whose request ended without an
   * answer, or was interrupted by a crash (once its lease is over). Safe on several instances at
   * once: each number is claimed by a write guarded on its due time.
   */
  async syncDue(): Promise<{ voiceSettingsSettled: number; voiceSettingsRetrying: number }> {
    const now = new Date();
    const due = await this.prisma.phoneNumber.findMany({
      where: { voiceSettingsNextAttemptAt: { lte: now } },
      orderBy: { voiceSettingsNextAttemptAt: "asc" },
      take: 50,
    });
    let settled = 0;
    let retrying = 0;
    for (const row of due) {
      const claimed = await this.prisma.phoneNumber.updateMany({
        where: { id: row.id, voiceSettingsNextAttemptAt: row.voiceSettingsNextAttemptAt },
        data: { voiceSettingsNextAttemptAt: new Date(Date.now() + this.options.leaseMs), voiceSettingsAttempts: { increment: 1 } },
      });
      if (claimed.count === 0) continue; // another instance took it
      const number = await this.prisma.phoneNumber.findUniqueOrThrow({ where: { id: row.id } });
      try {
        let after = number;
        let deferred = 0;
        if (number.callerIdNameStatus === "PENDING") after = await this.#pushCallerIdName(number, number.voiceSettingsAttempts);
        if (number.fallbackStatus === "PENDING") after = await this.#pushFallback(number, number.voiceSettingsAttempts);
        else if (number.fallbackStatus === "ACTIVE") deferred = await this.alignForwarding([{ ...number, agent: await this.#agentOf(number) }]);
        if (after.callerIdNameStatus === "PENDING" || after.fallbackStatus === "PENDING" || deferred > 0) retrying++;
        else settled++;
        // The claim ends here unless a carrier step is still owed (its due time is set).
        if (deferred === 0) await this.#clearIfSettled(this.prisma, number.id);
      } catch (error) {
        this.logger.warn({ phoneNumberId: number.id, err: (error as Error).message }, "voice settings sync failed; retrying later");
        retrying++;
      }
    }
    return { voiceSettingsSettled: settled, voiceSettingsRetrying: retrying };
  }

  /** The wanted value and its status, with its event, in one transaction; a PENDING one is leased to this request. */
  async #intent(setting: Setting, number: PhoneNumber, data: Prisma.PhoneNumberUncheckedUpdateInput): Promise<PhoneNumber> {
    const pending = data.callerIdNameStatus === "PENDING" || data.fallbackStatus === "PENDING";
    return this.prisma.$transaction(async (tx) => {
      const written = await tx.phoneNumber.update({
        where: { id: number.id },
        data: { ...data, ...(pending ? { voiceSettingsNextAttemptAt: new Date(Date.now() + this.options.leaseMs), voiceSettingsAttempts: 0 } : {}) },
      });
      await this.#record(tx, setting, written, setting === "callerIdName" ? number.callerIdNameStatus : number.fallbackStatus);
      if (!pending) await this.#clearIfSettled(tx, number.id);
      return written;
    });
  }

  async #pushCallerIdName(number: PhoneNumber, attempts: number): Promise<PhoneNumber> {
    const sent = number.callerIdName;
    const settled: [VoiceSettingStatus | null, string | null] = sent === null ? [null, null] : ["ACTIVE", null];
    return this.#push("callerIdName", number, attempts, (carrier, id) => carrier.setCallerIdName(id, sent), settled, { callerIdName: sent });
  }

  async #pushFallback(number: PhoneNumber, attempts: number): Promise<PhoneNumber> {
    const forwardTo = number.fallbackForwardTo;
    const sipUri = number.fallbackSipUri;
    const settled = settledFallbackStatus(number, { forwardTo, sipUri });
    const type = forwardingTypeFor(await this.#agentOf(number));
    const result = await this.#push(
      "fallback",
      number,
      attempts,
      (carrier, id) => carrier.setCallForwarding(id, forwardTo ? { forwardsTo: forwardTo, type } : null),
      [settled.status, settled.reason],
      { fallbackForwardTo: forwardTo, fallbackSipUri: sipUri },
      { fallbackForwardingType: forwardTo ? type : null },
    );
    await this.setupStatus.refresh([number.id]);
    return result;
  }

  /**
   * After every setup status refresh (pausing, resuming, deleting or reassigning an agent): the
   * MANAGED numbers whose carrier forwarding no longer matches their agent are made due for the
   * voice settings job, which is woken at once. The request itself makes no carrier call, however
   * many numbers its agent has.
   */
  async scheduleAlignment(numbers: ReadonlyArray<PhoneNumber & { agent: { status: "ACTIVE" | "PAUSED" } | null }>): Promise<void> {
    const due = numbers.filter((number) => misaligned(number) !== undefined).map((number) => number.id);
    if (due.length === 0) return;
    // A number already due (or claimed by the job) keeps its time: the job reads the agent when it runs.
    await this.prisma.phoneNumber.updateMany({ where: { id: { in: due }, fallbackStatus: "ACTIVE", voiceSettingsNextAttemptAt: null }, data: { voiceSettingsNextAttemptAt: new Date() } });
    this.#wake?.();
  }

  /** Called whenever work becomes due (the voice settings job runs at once instead of at its next tick); returns the listener it replaces. */
  onWake(listener: () => void): (() => void) | undefined {
    const previous = this.#wake;
    this.#wake = listener;
    return previous;
  }

  #wake: (() => void) | undefined;

  /**
   * Keeps a MANAGED number's carrier forwarding in step with its agent (the voice settings job, for
   * numbers scheduleAlignment made due): forwarding "always" while the agent is paused or missing,
   * "on-failure" while it is ACTIVE. Only ACTIVE fallbacks are realigned; a carrier without an
   * answer leaves the number due again later.
   */
  async alignForwarding(numbers: ReadonlyArray<PhoneNumber & { agent: { status: "ACTIVE" | "PAUSED" } | null }>): Promise<number> {
    let deferred = 0;
    for (const number of numbers) {
      const type = misaligned(number);
      if (!type || !number.fallbackForwardTo || !number.carrierResourceId) continue;
      const guard: Prisma.PhoneNumberWhereInput = { id: number.id, fallbackStatus: "ACTIVE", fallbackForwardTo: number.fallbackForwardTo };
      try {
        await this.carriers.byName(number.carrier ?? "sandbox").setCallForwarding(number.carrierResourceId, { forwardsTo: number.fallbackForwardTo, type });
        await this.prisma.phoneNumber.updateMany({ where: guard, data: { fallbackForwardingType: type } });
      } catch (error) {
        if (!(error instanceof CarrierFailure)) throw error;
        if (error.retryable) {
          this.logger.warn({ phoneNumberId: number.id, err: error.message }, "carrier forwarding type not confirmed; the job retries it");
          await this.prisma.phoneNumber.updateMany({ where: guard, data: { voiceSettingsNextAttemptAt: new Date(Date.now() + this.options.retryFirstMs) } });
          deferred++;
          continue;
        }
        await this.#settle("fallback", guard, "FAILED", `The carrier refused to forward ${type === "always" ? "every call" : "unanswered calls"}: ${error.message}`);
        await this.setupStatus.refresh([number.id]);
      }
    }
    return deferred;
  }

  async #agentOf(number: PhoneNumber): Promise<{ status: "ACTIVE" | "PAUSED" } | null> {
    if (!number.agentId) return null;
    return this.prisma.agent.findUnique({ where: { id: number.agentId }, select: { status: true } });
  }

  /**
   * One carrier call for a PENDING setting, then its outcome: settled (ACTIVE, or cleared), FAILED
   * with the carrier's reason for a refusal, or still PENDING with a due time for the job when the
   * carrier gave no answer. Every write is guarded on the setting still holding the value sent.
   */
  async #push(
    setting: Setting,
    number: PhoneNumber,
    attempts: number,
    call: (carrier: ReturnType<Carriers["byName"]>, carrierNumberId: string) => Promise<void>,
    settled: [VoiceSettingStatus | null, string | null],
    sent: Prisma.PhoneNumberWhereInput,
    /** Columns written with a confirmed outcome. */
    confirmed: Prisma.PhoneNumberUncheckedUpdateManyInput = {},
  ): Promise<PhoneNumber> {
    const statusColumn = setting === "callerIdName" ? "callerIdNameStatus" : "fallbackStatus";
    const reasonColumn = setting === "callerIdName" ? "callerIdNameStatusReason" : "fallbackStatusReason";
    const guard: Prisma.PhoneNumberWhereInput = { id: number.id, [statusColumn]: "PENDING", ...sent };
    if (number.status === "RELEASED" || number.status === "RELEASING" || number.status === "FAILED") {
      return this.#settle(setting, guard, "FAILED", `The number is ${number.status}: the carrier was not configured.`);
    }
    if (!number.carrierResourceId) {
      // Bought, not yet held at the carrier (its order is PENDING): sent once the order completes.
      return this.#later(guard, reasonColumn, "Waiting for the carrier order of this number to complete.", attempts);
    }
    try {
      await call(this.carriers.byName(number.carrier ?? "sandbox"), number.carrierResourceId);
    } catch (error) {
      if (!(error instanceof CarrierFailure)) throw error;
      if (!error.retryable) {
        const reason = error.kind === "NOT_FOUND" ? `The carrier no longer holds this number (${error.message}).` : `The carrier refused it: ${error.message}`;
        return this.#settle(setting, guard, "FAILED", reason);
      }
      if (attempts >= this.options.maxAttempts) {
        return this.#settle(setting, guard, "FAILED", `The carrier did not confirm after ${attempts} attempts: ${error.message}`);
      }
      this.logger.warn({ phoneNumberId: number.id, setting, err: error.message }, "carrier did not confirm a voice setting; the job retries it");
      return this.#later(guard, reasonColumn, `The carrier did not confirm yet (${error.message}); retried automatically.`, attempts);
    }
    return this.#settle(setting, guard, settled[0], settled[1], confirmed);
  }

  /** The outcome and its event, if the setting still holds what was sent. */
  async #settle(
    setting: Setting,
    guard: Prisma.PhoneNumberWhereInput,
    status: VoiceSettingStatus | null,
    reason: string | null,
    extra: Prisma.PhoneNumberUncheckedUpdateManyInput = {},
  ): Promise<PhoneNumber> {
    const id = guard.id as string;
    const data = { ...(setting === "callerIdName" ? { callerIdNameStatus: status, callerIdNameStatusReason: reason } : { fallbackStatus: status, fallbackStatusReason: reason }), ...extra };
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.phoneNumber.updateMany({ where: guard, data });
      const row = await tx.phoneNumber.findUniqueOrThrow({ where: { id } });
      if (moved.count === 1) {
        await this.#record(tx, setting, row, (guard[setting === "callerIdName" ? "callerIdNameStatus" : "fallbackStatus"] as VoiceSettingStatus | undefined) ?? null);
        await this.#clearIfSettled(tx, id);
      }
      return row;
    });
  }

  /** Still PENDING: the reason says why, and the job tries again after a backoff. */
  async #later(guard: Prisma.PhoneNumberWhereInput, reasonColumn: string, reason: string, attempts: number): Promise<PhoneNumber> {
    const delay = backoffMs(Math.max(1, attempts), this.options.retryFirstMs, this.options.retryMaxMs);
    await this.prisma.phoneNumber.updateMany({ where: guard, data: { [reasonColumn]: reason, voiceSettingsNextAttemptAt: new Date(Date.now() + delay) } });
    return this.prisma.phoneNumber.findUniqueOrThrow({ where: { id: guard.id as string } });
  }

  /** Nothing left PENDING on the number: the job has nothing to do for it. */
  async #clearIfSettled(tx: Pick<Prisma.TransactionClient, "phoneNumber">, id: string): Promise<void> {
    await tx.phoneNumber.updateMany({
      where: {
        id,
        voiceSettingsNextAttemptAt: { not: null },
        AND: [{ OR: [{ callerIdNameStatus: null }, { callerIdNameStatus: { not: "PENDING" } }] }, { OR: [{ fallbackStatus: null }, { fallbackStatus: { not: "PENDING" } }] }],
      },
      data: { voiceSettingsNextAttemptAt: null, voiceSettingsAttempts: 0 },
    });
  }

  /** The setting's event: what it is now, its status and reason, and the status before. */
  #record(tx: Pick<Prisma.TransactionClient, "event">, setting: Setting, number: PhoneNumber, previousStatus: VoiceSettingStatus | null) {
    if (setting === "callerIdName") {
      return recordNumberEvent(tx, "CALLER_ID_NAME_STATUS_CHANGED", number, {
        callerIdName: number.callerIdName,
        status: number.callerIdNameStatus,
        reason: number.callerIdNameStatusReason,
        previousStatus,
      });
    }
    const fallback = number.fallbackForwardTo || number.fallbackSipUri
      ? { forwardTo: number.fallbackForwardTo, sipUri: number.fallbackSipUri, timeoutSeconds: number.fallbackTimeoutSeconds }
      : null;
    return recordNumberEvent(tx, "FALLBACK_STATUS_CHANGED", number, { fallback, status: number.fallbackStatus, reason: number.fallbackStatusReason, previousStatus });
  }
}

/** The forwarding type a MANAGED number with an ACTIVE fallback should have at the carrier, when it has another one. */
function misaligned(number: PhoneNumber & { agent: { status: "ACTIVE" | "PAUSED" } | null }): "always" | "on-failure" | undefined {
  if (number.source !== "MANAGED" || number.fallbackStatus !== "ACTIVE" || !number.fallbackForwardTo || !number.carrierResourceId) return undefined;
  const type = forwardingTypeFor(number.agent);
  return number.fallbackForwardingType === type ? undefined : type;
}
