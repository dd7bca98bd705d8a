import type { z } from "zod";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { recordNumberEvent } from "../events/log.ts";
import { activation, type Clock } from "../billing/periods.ts";
import { agentReferenceProblems, unknownAgent } from "../agents/lookup.ts";
import type { Caller } from "../auth/caller.ts";
import type { PrismaClient } from "../db/client.ts";
import { likeLiteral } from "../db/like-literal.ts";
import { mapPrismaError } from "../db/errors.ts";
import { digitsOf } from "../domain/e164.ts";
import { ConflictError, NumberReleasedError, ValidationError, type FieldError } from "../domain/errors.ts";
import { decodeId } from "../domain/global-id.ts";
import type { NumberReleases } from "./release.ts";
import type { SecretBox } from "../domain/secret-box.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import { parseInput, peekField } from "../domain/validation.ts";
import { Prisma, type PhoneNumber } from "../generated/prisma/client.ts";
import type { EventType, NumberDirection, NumberSource, NumberStatus, PhoneNumberType } from "../generated/prisma/enums.ts";
import { numberTypeOf } from "../domain/number-type.ts";
import { findNumberFor } from "./find.ts";
import {
  AssignPhoneNumberInput,
  CreateManualPhoneNumberInput,
  ImportSipTrunkPhoneNumberInput,
  PhoneNumberTargetInput,
  UnassignPhoneNumberInput,
  UpdatePhoneNumberInput,
  type TrunkSettings,
} from "./inputs.ts";

export interface PhoneNumberFilter {
  text?: string | null;
  sources?: NumberSource[] | null;
  statuses?: NumberStatus[] | null;
  agentId?: string | null;
  assigned?: boolean | null;
  directions?: NumberDirection[] | null;
  numberTypes?: PhoneNumberType[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  released?: "EXCLUDE" | "INCLUDE" | "ONLY" | null;
}
export interface PhoneNumberOrder {
  field: "CREATED_AT" | "UPDATED_AT" | "E164" | "LABEL" | "MONTHLY_PRICE";
  direction: "ASC" | "DESC";
}

/**
 * Phone numbers: registering manual and SIP-trunk numbers, changing them, routing them to agents
 * and releasing them. Every read and write is scoped to the caller's organization.
 */
export class PhoneNumberService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly secrets: SecretBox,
    private readonly setupStatus: SetupStatusChanges,
    private readonly releases: NumberReleases,
    /** Billing's clock: activation starts a number's billing periods (src/billing/). */
    private readonly clock: Clock = { now: () => new Date() },
  ) {}

  /** Every write ends here: the number's setup status is recomputed and a change is published. */
  async #changed(number: PhoneNumber): Promise<PhoneNumber> {
    await this.setupStatus.refresh([number.id]);
    return number;
  }

  /** A write and its event in one transaction (src/events/log.ts), then the setup status refresh. */
  async #recorded(type: EventType, write: (tx: Prisma.TransactionClient) => Promise<PhoneNumber>, extra: Record<string, unknown> = {}): Promise<PhoneNumber> {
    const number = await this.prisma.$transaction(async (tx) => {
      const written = await write(tx);
      await recordNumberEvent(tx, type, written, extra);
      return written;
    });
    return this.#changed(number);
  }

  /** The Prisma filter for a phone-number list; throws ValidationError on a malformed agent id. */
  where(caller: Caller, filter?: PhoneNumberFilter | null): Prisma.PhoneNumberWhereInput {
    const and: Prisma.PhoneNumberWhereInput[] = [{ organizationId: caller.organizationId }];
    const released = filter?.released ?? "EXCLUDE";
    if (released === "EXCLUDE") and.push({ status: { not: "RELEASED" } });
    if (released === "ONLY") and.push({ status: "RELEASED" });
    const text = filter?.text?.trim();
    if (text) {
      const digits = digitsOf(text);
      const or: Prisma.PhoneNumberWhereInput[] = [{ label: { contains: likeLiteral(text), mode: "insensitive" } }];
      // "+1415", "1415" and "(415) 555" all match by digits; text without digits matches labels only.
      if (digits && /^[\d\s()+.-]+$/.test(text)) or.push({ e164: { contains: digits } });
      and.push({ OR: or });
    }
    // Enum lists deduplicated: a list repeating one value 80,000 times is still a few values, not
    // more bind parameters than the database accepts.
    if (filter?.sources?.length) and.push({ source: { in: [...new Set(filter.sources)] } });
    if (filter?.statuses?.length) and.push({ status: { in: [...new Set(filter.statuses)] } });
    if (filter?.directions?.length) and.push({ direction: { in: [...new Set(filter.directions)] } });
    if (filter?.numberTypes?.length) and.push({ numberType: { in: [...new Set(filter.numberTypes)] } });
    if (filter?.agentId) {
      const decoded = decodeId(filter.agentId, "Agent", ["filter", "agentId"]);
      if ("error" in decoded) throw new ValidationError([decoded.error]);
      and.push({ agentId: decoded.id });
    }
    if (filter?.assigned != null) and.push({ agentId: filter.assigned ? { not: null } : null });
    if (filter?.createdAfter) and.push({ createdAt: { gte: filter.createdAfter } });
    if (filter?.createdBefore) and.push({ createdAt: { lt: filter.createdBefore } });
    return { AND: and };
  }

  /** Sort keys for a list; the id is always the last key so cursors never skip or repeat rows. */
  orderBy(order?: PhoneNumberOrder | null): Prisma.PhoneNumberOrderByWithRelationInput[] {
    const direction = (order?.direction ?? "DESC") === "ASC" ? "asc" : "desc";
    const column = {
      CREATED_AT: "createdAt",
      UPDATED_AT: "updatedAt",
      E164: "e164",
      LABEL: "label",
      MONTHLY_PRICE: "monthlyPriceCents",
    }[order?.field ?? "CREATED_AT"];
    return [{ [column]: direction }, { id: direction }];
  }

  /** Counts of the filtered numbers by status, by source and by assignment, ignoring pagination. */
  async facets(caller: Caller, filter?: PhoneNumberFilter | null) {
    const where = this.where(caller, filter);
    const [groups, assigned] = await Promise.all([
      this.prisma.phoneNumber.groupBy({ by: ["status", "source"], where, _count: { _all: true } }),
      this.prisma.phoneNumber.count({ where: { AND: [where, { agentId: { not: null } }] } }),
    ]);
    const byStatus = new Map<NumberStatus, number>();
    const bySource = new Map<NumberSource, number>();
    let total = 0;
    for (const group of groups) {
      byStatus.set(group.status, (byStatus.get(group.status) ?? 0) + group._count._all);
      bySource.set(group.source, (bySource.get(group.source) ?? 0) + group._count._all);
      total += group._count._all;
    }
    return {
      byStatus: [...byStatus].map(([status, count]) => ({ status, count })),
      bySource: [...bySource].map(([source, count]) => ({ source, count })),
      assigned,
      unassigned: total - assigned,
    };
  }

  /** A MANUAL number: the customer forwards calls to Switchboard. Starts ACTIVE; needs forwarding confirmed. */
  async createManual(caller: Caller, input: z.input<typeof CreateManualPhoneNumberInput>): Promise<PhoneNumber> {
    const agent = await agentReferenceProblems(this.prisma, caller.organizationId, peekField(CreateManualPhoneNumberInput, "agentId", input));
    return this.#create(caller, "MANUAL", parseInput(CreateManualPhoneNumberInput, input, agent));
  }

  /** A SIP_TRUNK number: the customer's own number arriving over their SIP trunk. Starts ACTIVE. */
  async importSipTrunk(caller: Caller, input: z.input<typeof ImportSipTrunkPhoneNumberInput>): Promise<PhoneNumber> {
    const agent = await agentReferenceProblems(this.prisma, caller.organizationId, peekField(ImportSipTrunkPhoneNumberInput, "agentId", input));
    return this.#create(caller, "SIP_TRUNK", parseInput(ImportSipTrunkPhoneNumberInput, input, agent));
  }

  async #create(caller: Caller, source: "MANUAL" | "SIP_TRUNK", data: z.output<typeof ImportSipTrunkPhoneNumberInput>): Promise<PhoneNumber> {
    const capabilities = data.capabilities ?? {};
    const create: Prisma.PhoneNumberUncheckedCreateInput = {
      organizationId: caller.organizationId,
      e164: data.e164.e164,
      country: data.e164.country,
      numberType: numberTypeOf(data.e164.e164),
      label: data.label ?? "",
      source,
      status: "ACTIVE",
      ...activation(this.clock.now()),
      direction: data.direction ?? "BOTH",
      voiceCapable: capabilities.voice ?? true,
      smsCapable: capabilities.sms ?? false,
      mmsCapable: capabilities.mms ?? false,
      agentId: data.agentId ?? null,
      dispatchMetadataTemplate: (data.dispatchMetadataTemplate ?? undefined) as Prisma.InputJsonValue | undefined,
      ...(source === "SIP_TRUNK" ? { ...this.#trunkData("inbound", data.inboundTrunk), ...this.#trunkData("outbound", data.outboundTrunk) } : {}),
    };
    // Added ACTIVE: recorded as activated (billing starts now).
    return this.#recorded("NUMBER_ACTIVATED", (tx) => tx.phoneNumber.create({ data: create })).catch((error: unknown) => {
      throw mapPrismaError(error, {
        // The partial unique index on live numbers; the owner is never revealed.
        unique: { e164: () => new ConflictError(`${create.e164} is already in use`) },
        // The agent was deleted between the check and the write.
        missingReference: { agentId: () => new ValidationError([unknownAgent()]) },
      });
    });
  }

  async update(caller: Caller, input: z.input<typeof UpdatePhoneNumberInput>): Promise<PhoneNumber> {
    // A malformed id is reported together with every other problem of the input. A well-formed one
    // must name one of the organization's numbers (NotFound otherwise) before trunk settings can be
    // judged: they are reported with the rest, and only SIP_TRUNK numbers have trunks.
    const id = peekField(UpdatePhoneNumberInput, "id", input);
    if (id === undefined) parseInput(UpdatePhoneNumberInput, input);
    const number = await findNumberFor(this.prisma, caller, "UPDATE", id!, input.id);
    const trunkErrors: FieldError[] = [];
    for (const side of ["inbound", "outbound"] as const) {
      if (input[`${side}Trunk`] != null && number.source !== "SIP_TRUNK") {
        trunkErrors.push({ path: ["input", `${side}Trunk`], code: "INVALID_VALUE", message: "Only SIP_TRUNK numbers have trunk configuration" });
      }
    }
    const data = parseInput(UpdatePhoneNumberInput, input, trunkErrors);
    const changes: Prisma.PhoneNumberUncheckedUpdateInput = {};
    if (data.label != null) changes.label = data.label;
    if (data.direction) changes.direction = data.direction;
    if (data.capabilities?.voice != null) changes.voiceCapable = data.capabilities.voice;
    if (data.capabilities?.sms != null) changes.smsCapable = data.capabilities.sms;
    if (data.capabilities?.mms != null) changes.mmsCapable = data.capabilities.mms;
    if (input.dispatchMetadataTemplate !== undefined) {
      changes.dispatchMetadataTemplate = data.dispatchMetadataTemplate == null ? Prisma.DbNull : (data.dispatchMetadataTemplate as Prisma.InputJsonValue);
    }
    for (const side of ["inbound", "outbound"] as const) {
      const trunk = data[`${side}Trunk`];
      if (trunk) Object.assign(changes, this.#trunkData(side, trunk));
    }
    if (data.billing) {
      const b = data.billing;
      if (b.includedInPlan != null) changes.includedInPlan = b.includedInPlan;
      if (b.monthlyPriceCents != null) changes.monthlyPriceCents = b.monthlyPriceCents;
      if (b.upfrontPriceCents != null) changes.upfrontPriceCents = b.upfrontPriceCents;
      if (b.nextChargeAt !== undefined) changes.nextChargeAt = b.nextChargeAt;
    }
    // The event names the fields that changed (never their values: trunk passwords are among them).
    return this.#recorded("NUMBER_UPDATED", (tx) => tx.phoneNumber.update({ where: { id: number.id }, data: changes }), { changed: Object.keys(changes).sort() });
  }

  /** The customer confirms that calls to a MANUAL number are forwarded to Switchboard. */
  async confirmForwarding(caller: Caller, input: z.input<typeof PhoneNumberTargetInput>): Promise<PhoneNumber> {
    const { id } = parseInput(PhoneNumberTargetInput, input);
    const number = await findNumberFor(this.prisma, caller, "CONFIRM_FORWARDING", id, input.id);
    if (number.source !== "MANUAL") {
      throw new ConflictError(`${number.e164} is a ${number.source} number; only MANUAL numbers need call forwarding`);
    }
    return this.#recorded("NUMBER_UPDATED", (tx) => tx.phoneNumber.update({ where: { id: number.id }, data: { forwardingConfirmedAt: new Date() } }), { changed: ["forwardingConfirmedAt"] });
  }

  /** Routes a number to an agent. An unknown number is NotFound; an agent the organization lacks is a NOT_FOUND field error. */
  async assign(caller: Caller, input: z.input<typeof AssignPhoneNumberInput>): Promise<PhoneNumber> {
    const { phoneNumberId, agentId } = parseInput(AssignPhoneNumberInput, input);
    const number = await findNumberFor(this.prisma, caller, "ASSIGN", phoneNumberId, input.phoneNumberId);
    const agent = await agentReferenceProblems(this.prisma, caller.organizationId, agentId);
    if (agent.length > 0) throw new ValidationError(agent);
    return this.#recorded("NUMBER_ASSIGNED", (tx) => tx.phoneNumber.update({ where: { id: number.id }, data: { agentId } }), {
      previousAgentId: number.agentId ? encodeGlobalID("Agent", number.agentId) : null,
    }).catch((error: unknown) => {
      // The agent was deleted between the check and the write: the same answer as a moment later.
      throw mapPrismaError(error, { missingReference: { agentId: () => new ValidationError([unknownAgent()]) } });
    });
  }

  async unassign(caller: Caller, input: z.input<typeof UnassignPhoneNumberInput>): Promise<PhoneNumber> {
    const { phoneNumberId } = parseInput(UnassignPhoneNumberInput, input);
    const number = await findNumberFor(this.prisma, caller, "ASSIGN", phoneNumberId, input.phoneNumberId);
    return this.#recorded("NUMBER_UNASSIGNED", (tx) => tx.phoneNumber.update({ where: { id: number.id }, data: { agentId: null } }), {
      previousAgentId: number.agentId ? encodeGlobalID("Agent", number.agentId) : null,
    });
  }

  /**
   * Releases a number: irreversible. The row stays (with its history) for audit; the number stops
   * routing to its agent and every later change is refused with NumberReleasedError.
   */
  async release(caller: Caller, input: z.input<typeof PhoneNumberTargetInput>): Promise<PhoneNumber> {
    const { id } = parseInput(PhoneNumberTargetInput, input);
    const number = await findNumberFor(this.prisma, caller, "RELEASE", id, input.id);
    // How: src/numbers/release.ts (intent first, the carrier, then the final write; a job finishes what a crash interrupted).
    return this.releases.release(number);
  }

  /** Encrypts a trunk password for storage. */
  #trunkData(side: "inbound" | "outbound", trunk: TrunkSettings | null | undefined): Partial<Prisma.PhoneNumberUncheckedCreateInput> {
    if (!trunk) return {};
    const data: Record<string, unknown> = {};
    const set = (field: string, value: unknown) => {
      if (value !== undefined) data[`${side}Trunk${field}`] = value;
    };
    set("Addresses", trunk.addresses === null ? [] : trunk.addresses);
    set("Transport", trunk.transport);
    set("MediaEncryption", trunk.mediaEncryption);
    set("AuthUsername", trunk.authUsername);
    set("AuthPassword", trunk.authPassword == null ? trunk.authPassword : this.secrets.encrypt(trunk.authPassword));
    set("AllowedSourceIps", trunk.allowedSourceIps === null ? [] : trunk.allowedSourceIps);
    if (side === "outbound" && trunk.ipAuthentication != null) set("IpAuthentication", trunk.ipAuthentication);
    return data as Partial<Prisma.PhoneNumberUncheckedCreateInput>;
  }
}
