import { isIP } from "node:net";
import { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import type { PrismaClient } from "../db/client.ts";
import { likeLiteral } from "../db/like-literal.ts";
import { isMissingReference } from "../db/errors.ts";
import { digitsOf } from "../domain/e164.ts";
import { ConflictError, NotFoundError, NumberReleasedError, ValidationError, type FieldError } from "../domain/errors.ts";
import { decodeId, decodeIds } from "../domain/global-id.ts";
import { check, type NumberOperation, type NumberStatus } from "../domain/lifecycle.ts";
import type { NumberReleases } from "./release.ts";
import type { SecretBox } from "../domain/secret-box.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import { e164Field, issueCode, labelField, parseInput } from "../domain/validation.ts";
import { Prisma, type PhoneNumber } from "../generated/prisma/client.ts";

type Direction = "INBOUND" | "OUTBOUND" | "BOTH";
type Source = "MANAGED" | "SIP_TRUNK" | "MANUAL";
type Status = NumberStatus;

export interface PhoneNumberFilter {
  text?: string | null;
  sources?: Source[] | null;
  statuses?: Status[] | null;
  agentId?: string | null;
  assigned?: boolean | null;
  directions?: Direction[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  released?: "EXCLUDE" | "INCLUDE" | "ONLY" | null;
}
export interface PhoneNumberOrder {
  field: "CREATED_AT" | "UPDATED_AT" | "E164" | "LABEL" | "MONTHLY_PRICE";
  direction: "ASC" | "DESC";
}

export interface TrunkInput {
  addresses?: string[] | null;
  transport?: "UDP" | "TCP" | "TLS" | null;
  mediaEncryption?: "DISABLED" | "SRTP" | null;
  authUsername?: string | null;
  authPassword?: string | null;
  allowedSourceIps?: string[] | null;
  ipAuthentication?: boolean | null;
}
export interface CapabilitiesInput {
  voice?: boolean | null;
  sms?: boolean | null;
  mms?: boolean | null;
}
export interface NewNumberInput {
  e164: string;
  label?: string | null;
  direction?: Direction | null;
  capabilities?: CapabilitiesInput | null;
  agentId?: string | null;
  dispatchMetadataTemplate?: unknown;
  inboundTrunk?: TrunkInput | null;
  outboundTrunk?: TrunkInput | null;
}
export interface BillingInput {
  includedInPlan?: boolean | null;
  monthlyPriceCents?: number | null;
  upfrontPriceCents?: number | null;
  nextChargeAt?: Date | null;
}
export interface UpdateNumberInput {
  id: string;
  label?: string | null;
  direction?: Direction | null;
  capabilities?: CapabilitiesInput | null;
  dispatchMetadataTemplate?: unknown;
  inboundTrunk?: TrunkInput | null;
  outboundTrunk?: TrunkInput | null;
  billing?: BillingInput | null;
}

const SIP_ADDRESS = /^(sips?:)?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(:\d{1,5})?(;transport=(udp|tcp|tls))?$/i;
const ipOrCidr = z.string().trim().refine((value) => {
  const [ip, bits, ...rest] = value.split("/");
  const version = isIP(ip ?? "");
  if (!version || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n >= 0 && n <= (version === 4 ? 32 : 128);
}, { message: "Must be an IPv4 or IPv6 address, optionally with a /prefix", params: issueCode("INVALID_FORMAT") });

const trunkSchema = z.object({
  addresses: z
    .array(z.string().trim().max(255).regex(SIP_ADDRESS, "Must be a SIP host, host:port or sip: URI"))
    .max(10, "At most 10 addresses")
    .nullish(),
  transport: z.enum(["UDP", "TCP", "TLS"]).nullish(),
  mediaEncryption: z.enum(["DISABLED", "SRTP"]).nullish(),
  authUsername: z.string().trim().min(1, "Required").max(64, "At most 64 characters").nullish(),
  authPassword: z.string().min(8, "At least 8 characters").max(128, "At most 128 characters").nullish(),
  allowedSourceIps: z.array(ipOrCidr).max(50, "At most 50 addresses").nullish(),
  ipAuthentication: z.boolean().nullish(),
});

// Optional: zod 4 treats a bare z.unknown() object key as required ("expected nonoptional"), which
// refused every create and update that left the template out.
const jsonTemplate = z
  .unknown()
  .superRefine((value, ctx) => {
    if (value == null) return;
    if (typeof value !== "object" || Array.isArray(value)) {
      ctx.addIssue({ code: "custom", message: "Must be a JSON object", params: issueCode("INVALID_VALUE") });
    } else if (JSON.stringify(value).length > 16_384) {
      ctx.addIssue({ code: "custom", message: "At most 16 KiB of JSON", params: issueCode("TOO_LONG") });
    }
  })
  .optional();

const capabilitiesSchema = z.object({ voice: z.boolean().nullish(), sms: z.boolean().nullish(), mms: z.boolean().nullish() });

const newNumberSchema = z.object({
  e164: e164Field,
  label: labelField.nullish(),
  direction: z.enum(["INBOUND", "OUTBOUND", "BOTH"]).nullish(),
  capabilities: capabilitiesSchema.nullish(),
  dispatchMetadataTemplate: jsonTemplate,
  inboundTrunk: trunkSchema.nullish(),
  outboundTrunk: trunkSchema.nullish(),
});

const billingSchema = z.object({
  includedInPlan: z.boolean().nullish(),
  monthlyPriceCents: z.number().int().min(0, "Must be 0 or more").max(10_000_000, "At most 10,000,000 cents").nullish(),
  upfrontPriceCents: z.number().int().min(0, "Must be 0 or more").max(10_000_000, "At most 10,000,000 cents").nullish(),
  nextChargeAt: z.date().nullish(),
});

const updateNumberSchema = z.object({
  label: labelField.nullish(),
  direction: z.enum(["INBOUND", "OUTBOUND", "BOTH"]).nullish(),
  capabilities: capabilitiesSchema.nullish(),
  dispatchMetadataTemplate: jsonTemplate,
  inboundTrunk: trunkSchema.nullish(),
  outboundTrunk: trunkSchema.nullish(),
  billing: billingSchema.nullish(),
});

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
  ) {}

  /** Every write ends here: the number's setup status is recomputed and a change is published. */
  async #changed(number: PhoneNumber): Promise<PhoneNumber> {
    await this.setupStatus.refresh([number.id]);
    return number;
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
    const byStatus = new Map<Status, number>();
    const bySource = new Map<Source, number>();
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
  createManual(caller: Caller, input: NewNumberInput): Promise<PhoneNumber> {
    return this.#create(caller, "MANUAL", input);
  }

  /** A SIP_TRUNK number: the customer's own number arriving over their SIP trunk. Starts ACTIVE. */
  importSipTrunk(caller: Caller, input: NewNumberInput): Promise<PhoneNumber> {
    return this.#create(caller, "SIP_TRUNK", input);
  }

  async #create(caller: Caller, source: "MANUAL" | "SIP_TRUNK", input: NewNumberInput): Promise<PhoneNumber> {
    const { ids, errors } = decodeIds({ agentId: { value: input.agentId, typename: "Agent", path: ["input", "agentId"] } });
    if (ids.agentId) errors.push(...(await this.#agentProblems(caller, ids.agentId, ["input", "agentId"])));
    const data = parseInput(newNumberSchema, input, errors);
    const capabilities = data.capabilities ?? {};
    const create: Prisma.PhoneNumberUncheckedCreateInput = {
      organizationId: caller.organizationId,
      e164: data.e164.e164,
      country: data.e164.country,
      label: data.label ?? "",
      source,
      status: "ACTIVE",
      direction: data.direction ?? "BOTH",
      voiceCapable: capabilities.voice ?? true,
      smsCapable: capabilities.sms ?? false,
      mmsCapable: capabilities.mms ?? false,
      agentId: ids.agentId ?? null,
      dispatchMetadataTemplate: (data.dispatchMetadataTemplate ?? undefined) as Prisma.InputJsonValue | undefined,
      ...(source === "SIP_TRUNK" ? { ...this.#trunkData("inbound", data.inboundTrunk), ...this.#trunkData("outbound", data.outboundTrunk) } : {}),
    };
    try {
      return await this.#changed(await this.prisma.phoneNumber.create({ data: create }));
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
        // The partial unique index on live numbers; the owner is never revealed.
        throw new ConflictError(`${create.e164} is already in use`);
      }
      if (isMissingReference(error, "agentId")) {
        throw new ValidationError([{ path: ["input", "agentId"], code: "NOT_FOUND", message: "No such agent in this organization" }]);
      }
      throw error;
    }
  }

  async update(caller: Caller, input: UpdateNumberInput): Promise<PhoneNumber> {
    // Every problem of the input at once: a malformed id together with the other field errors, and
    // trunk settings on a number without trunks together with the schema's errors.
    const decoded = decodeId(input.id, "PhoneNumber", ["input", "id"]);
    if ("error" in decoded) parseInput(updateNumberSchema, input, [decoded.error]);
    const number = await this.#findFor(caller, "UPDATE", input.id, "id" in decoded ? decoded.id : undefined);
    const trunkErrors: FieldError[] = [];
    for (const side of ["inbound", "outbound"] as const) {
      if (input[`${side}Trunk`] != null && number.source !== "SIP_TRUNK") {
        trunkErrors.push({ path: ["input", `${side}Trunk`], code: "INVALID_VALUE", message: "Only SIP_TRUNK numbers have trunk configuration" });
      }
    }
    const data = parseInput(updateNumberSchema, input, trunkErrors);
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
    return this.#changed(await this.prisma.phoneNumber.update({ where: { id: number.id }, data: changes }));
  }

  /** The customer confirms that calls to a MANUAL number are forwarded to Switchboard. */
  async confirmForwarding(caller: Caller, input: { id: string }): Promise<PhoneNumber> {
    const number = await this.#findFor(caller, "CONFIRM_FORWARDING", input.id);
    if (number.source !== "MANUAL") {
      throw new ConflictError(`${number.e164} is a ${number.source} number; only MANUAL numbers need call forwarding`);
    }
    return this.#changed(await this.prisma.phoneNumber.update({ where: { id: number.id }, data: { forwardingConfirmedAt: new Date() } }));
  }

  async assign(caller: Caller, input: { phoneNumberId: string; agentId: string }): Promise<PhoneNumber> {
    const { ids, errors } = decodeIds({
      phoneNumberId: { value: input.phoneNumberId, typename: "PhoneNumber", path: ["input", "phoneNumberId"] },
      agentId: { value: input.agentId, typename: "Agent", path: ["input", "agentId"] },
    });
    if (errors.length) throw new ValidationError(errors);
    const number = await this.#findFor(caller, "ASSIGN", input.phoneNumberId, ids.phoneNumberId);
    const agent = await this.prisma.agent.findFirst({ where: { id: ids.agentId, organizationId: caller.organizationId }, select: { id: true } });
    if (!agent) throw new NotFoundError("Agent", input.agentId);
    const assigned = await this.prisma.phoneNumber.update({ where: { id: number.id }, data: { agentId: agent.id } }).catch((error: unknown) => {
      // The agent was deleted between the check and the write.
      if (isMissingReference(error, "agentId")) throw new NotFoundError("Agent", input.agentId);
      throw error;
    });
    return this.#changed(assigned);
  }

  async unassign(caller: Caller, input: { phoneNumberId: string }): Promise<PhoneNumber> {
    const number = await this.#findFor(caller, "ASSIGN", input.phoneNumberId, undefined, ["input", "phoneNumberId"]);
    return this.#changed(await this.prisma.phoneNumber.update({ where: { id: number.id }, data: { agentId: null } }));
  }

  /**
   * Releases a number: irreversible. The row stays (with its history) for audit; the number stops
   * routing to its agent and every later change is refused with NumberReleasedError.
   */
  async release(caller: Caller, input: { id: string }): Promise<PhoneNumber> {
    const number = await this.#findFor(caller, "RELEASE", input.id);
    // How: src/numbers/release.ts (intent first, the carrier, then the final write; a job finishes what a crash interrupted).
    return this.releases.release(number);
  }

  /** Encrypts a trunk password for storage. */
  #trunkData(side: "inbound" | "outbound", trunk: z.infer<typeof trunkSchema> | null | undefined): Partial<Prisma.PhoneNumberUncheckedCreateInput> {
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

  async #agentProblems(caller: Caller, agentId: string, path: string[]): Promise<FieldError[]> {
    const agent = await this.prisma.agent.findFirst({ where: { id: agentId, organizationId: caller.organizationId }, select: { id: true } });
    return agent ? [] : [{ path, code: "NOT_FOUND", message: "No such agent in this organization" }];
  }

  /**
   * The caller's number, if its state allows `operation` (src/domain/lifecycle.ts): unknown ids are
   * a NotFoundError, released numbers a NumberReleasedError, other refusals a ConflictError.
   */
  async #findFor(caller: Caller, operation: NumberOperation, globalId: string, decodedId?: string, path: string[] = ["input", "id"]): Promise<PhoneNumber> {
    let id = decodedId;
    if (!id) {
      const decoded = decodeId(globalId, "PhoneNumber", path);
      if ("error" in decoded) throw new ValidationError([decoded.error]);
      id = decoded.id;
    }
    const number = await this.prisma.phoneNumber.findFirst({ where: { id, organizationId: caller.organizationId } });
    if (!number) throw new NotFoundError("Phone number", globalId);
    const refusal = check(number.status, operation);
    if (refusal?.kind === "RELEASED") throw new NumberReleasedError(number.e164, number.releasedAt ?? number.updatedAt);
    if (refusal) throw new ConflictError(`${number.e164}: ${refusal.message}`);
    return number;
  }
}
