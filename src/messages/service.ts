import { randomUUID } from "node:crypto";
import { messageSnapshot } from "../events/log.ts";
import type { Logger } from "pino";
import { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import type { CarrierMessageEvent } from "../carriers/adapter.ts";
import type { Carriers } from "../carriers/index.ts";
import type { PrismaClient } from "../db/client.ts";
import { likeLiteral } from "../db/like-literal.ts";
import { createdBetween } from "../db/time-range.ts";
import { digitsOf, parseE164 } from "../domain/e164.ts";
import {
  NotFoundError,
  NumberReleasedError,
  RecipientOptedOutError,
  ValidationError,
  VerificationRequiredError,
  type FieldError,
  type SmsRequirement,
} from "../domain/errors.ts";
import { check, LIVE_STATUSES } from "../domain/lifecycle.ts";
import { sandboxWebhookBody } from "../carriers/sandbox.ts";
import { parseMessageWebhook } from "../carriers/webhooks.ts";
import { keywordOf, optOutReply, smsRequirementsMissing } from "../domain/messaging.ts";
import { e164Field, globalId, issueCode, parseInput } from "../domain/validation.ts";
import { isUniqueViolation } from "../db/errors.ts";
import type { EventBus } from "../events/pubsub.ts";
import type { Message, PhoneNumber, Prisma } from "../generated/prisma/client.ts";
import { currentVerificationStatus } from "../verification/service.ts";
import { currentTollFreeVerificationStatus } from "../verification/toll-free.ts";
import { needsTollFreeVerification } from "../domain/toll-free.ts";
import type { MessageSender } from "./sender.ts";
import { recordStatusChanges } from "./status-events.ts";

/** One SMS body: ten concatenated segments of GSM-7 text. */
export const MAX_BODY_LENGTH = 1_600;
export const MAX_MEDIA_URLS = 10;

export interface MessageFilter {
  direction?: "INBOUND" | "OUTBOUND" | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  text?: string | null;
}

/** RETRY_LATER: a status for a message whose send may still be waiting for the carrier's answer. */
export type WebhookOutcome = "STORED" | "DUPLICATE" | "UPDATED" | "UNKNOWN_NUMBER" | "IGNORED" | "RETRY_LATER";

/** How long a new message may wait for its first carrier answer, for a status that arrives before it. */
const IN_FLIGHT_MS = 60_000;

export const SendMessageInput = z.object({
  phoneNumberId: globalId("PhoneNumber"),
  to: e164Field,
  body: z
    .string()
    .max(MAX_BODY_LENGTH, `At most ${MAX_BODY_LENGTH} characters`)
    .nullish()
    .transform((body) => body ?? ""),
  mediaUrls: z
    .array(z.url({ protocol: /^https$/, message: "Must be an https URL" }))
    .max(MAX_MEDIA_URLS, `At most ${MAX_MEDIA_URLS} media URLs`)
    .nullish()
    .transform((urls) => urls ?? []),
  idempotencyKey: z.string().trim().min(1, "Required").max(200, "At most 200 characters").nullish(),
});

/** The receiving number by its id or by its E.164: exactly one of them. */
export const SimulateInboundMessageInput = z
  .object({
    phoneNumberId: globalId("PhoneNumber").nullish(),
    to: e164Field.nullish(),
    from: e164Field,
    text: z.string().max(MAX_BODY_LENGTH, `At most ${MAX_BODY_LENGTH} characters`),
    mediaUrls: z
      .array(z.url({ protocol: /^https$/, message: "Must be an https URL" }))
      .max(MAX_MEDIA_URLS, `At most ${MAX_MEDIA_URLS} media URLs`)
      .nullish()
      .transform((urls) => urls ?? []),
  })
  .superRefine((input, ctx) => {
    if (input.phoneNumberId == null && input.to == null) {
      ctx.addIssue({ code: "custom", path: ["phoneNumberId"], message: "Give the receiving number: phoneNumberId, or its E.164 as to", params: issueCode("REQUIRED") });
    }
    if (input.phoneNumberId != null && input.to != null) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "Give phoneNumberId or to, not both", params: issueCode("INVALID_VALUE") });
    }
  });

/** The organization's answer to HELP; null or blank restores the default. */
export const SetSmsHelpTextInput = z.object({
  helpText: z
    .string()
    .trim()
    .max(320, "At most 320 characters")
    .nullish()
    .transform((text) => text || null),
});

/** Live numbers (the one owner inbound traffic routes to). */
const LIVE = { in: [...LIVE_STATUSES] } satisfies Prisma.EnumNumberStatusFilter;

/**
 * Messaging: inbound messages and delivery statuses from verified carrier webhooks, outbound SMS
 * through the carrier behind the 10DLC gate, opt-outs (STOP / START / HELP), and list filters.
 */
export class MessageService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly carriers: Carriers,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly sender: MessageSender,
  ) {
    // The sandbox carrier's delivery reports take the path of a verified carrier webhook.
    carriers.sandbox.onWebhook((rawBody) => this.#handleSandboxWebhook(rawBody));
  }

  async #handleSandboxWebhook(rawBody: Buffer): Promise<WebhookOutcome> {
    const event = parseMessageWebhook(rawBody);
    if (!event) throw new Error("the sandbox carrier sent a webhook Switchboard cannot read");
    try {
      return await this.handleWebhook("sandbox", event);
    } catch (error) {
      this.logger.warn({ err: error, eventId: event.eventId }, "a sandbox delivery report failed; the sandbox reports it again");
      throw error;
    }
  }

  /** The list filter of PhoneNumber.messages and Query.messages. */
  where(organizationId: string, filter?: MessageFilter | null): Prisma.MessageWhereInput {
    const where: Prisma.MessageWhereInput = { organizationId };
    if (filter?.direction) where.direction = filter.direction;
    const created = createdBetween(filter);
    if (created) where.createdAt = created;
    const text = filter?.text?.trim();
    if (text) {
      where.OR = [{ body: { contains: likeLiteral(text), mode: "insensitive" } }];
      // "+1415", "1415" and "(415) 555" also match the other party's number by digits.
      const digits = digitsOf(text);
      if (digits && /^[\d\s()+.-]+$/.test(text)) where.OR.push({ from: { contains: digits } }, { to: { contains: digits } });
    }
    return where;
  }

  /**
   * Accepts an SMS/MMS from one of the organization's numbers: every check runs now, then the message
   * and its send intent are committed QUEUED in one write and the sender delivers it (see
   * MessageSender). A repeated idempotency key returns that message as it stands now.
   */
  async send(caller: Caller, input: z.input<typeof SendMessageInput>): Promise<Message> {
    const parsed = parseInput(SendMessageInput, input);
    if (!parsed.body && parsed.mediaUrls.length === 0) {
      throw new ValidationError([{ path: ["input", "body"], code: "REQUIRED", message: "A message needs a body or media URLs" }]);
    }
    const { phoneNumberId } = parsed;
    const organizationId = caller.organizationId;

    if (parsed.idempotencyKey) {
      const earlier = await this.prisma.message.findUnique({ where: { organizationId_idempotencyKey: { organizationId, idempotencyKey: parsed.idempotencyKey } } });
      if (earlier) return earlier;
    }

    const number = await this.prisma.phoneNumber.findFirst({ where: { id: phoneNumberId, organizationId } });
    if (!number) throw new NotFoundError("PhoneNumber", input.phoneNumberId);
    const refusal = check(number.status, "SEND");
    if (refusal?.kind === "RELEASED") throw new NumberReleasedError(number.e164, number.releasedAt ?? number.updatedAt);
    const capability: FieldError[] = [];
    if (!number.smsCapable) capability.push({ path: ["input", "phoneNumberId"], code: "INVALID_VALUE", message: "The number is not SMS-capable" });
    if (number.direction === "INBOUND") capability.push({ path: ["input", "phoneNumberId"], code: "INVALID_VALUE", message: "The number is inbound-only" });
    if (refusal) capability.push({ path: ["input", "phoneNumberId"], code: "INVALID_VALUE", message: refusal.message });
    if (parsed.mediaUrls.length > 0 && !number.mmsCapable) capability.push({ path: ["input", "mediaUrls"], code: "INVALID_VALUE", message: "The number is not MMS-capable" });
    if (capability.length > 0) throw new ValidationError(capability);

    if (needsTollFreeVerification(number)) {
      // US toll-free numbers text under the toll-free verification; 10DLC does not apply to them.
      const status = await currentTollFreeVerificationStatus(this.prisma, organizationId);
      if (status !== "APPROVED") throw new VerificationRequiredError("TOLL_FREE", ["TOLL_FREE_VERIFICATION_APPROVED"], status, null);
    } else if (number.country === "US") {
      const verificationStatus = await currentVerificationStatus(this.prisma, organizationId);
      const missing: SmsRequirement[] = smsRequirementsMissing(verificationStatus, number.smsCampaignStatus);
      if (missing.length > 0) throw new VerificationRequiredError("TEN_DLC", missing, verificationStatus, number.smsCampaignStatus);
    }

    const optOut = await this.prisma.optOut.findUnique({ where: { phoneNumberId_sender: { phoneNumberId, sender: parsed.to.e164 } } });
    if (optOut) throw new RecipientOptedOutError(parsed.to.e164, optOut.createdAt);

    const carrier = this.carriers.forCaller(caller);
    const data = {
      organizationId,
      phoneNumberId,
      direction: "OUTBOUND" as const,
      from: number.e164,
      to: parsed.to.e164,
      body: parsed.body,
      mediaUrls: parsed.mediaUrls,
      status: "QUEUED" as const,
      carrier: carrier.name,
      idempotencyKey: parsed.idempotencyKey ?? null,
      // The send intent: due now. The row is the outbox entry, so message and intent commit together.
      nextAttemptAt: new Date(),
    };
    let message: Message;
    try {
      message = await this.prisma.message.create({ data });
    } catch (error) {
      // A concurrent request with the same key committed first: its message, as it stands.
      if (!(parsed.idempotencyKey && isUniqueViolation(error, ["organizationId", "idempotencyKey"]))) throw error;
      return this.prisma.message.findUniqueOrThrow({ where: { organizationId_idempotencyKey: { organizationId, idempotencyKey: parsed.idempotencyKey } } });
    }
    this.sender.kick();
    return message;
  }

  /** Acts on one verified carrier webhook. Safe to repeat: a retried delivery changes nothing. */
  async handleWebhook(carrier: string, event: CarrierMessageEvent): Promise<WebhookOutcome> {
    if (event.kind === "IGNORED") return "IGNORED";
    if (event.kind === "STATUS") {
      if (await this.#updateStatus(carrier, event)) return "UPDATED";
      // A status can overtake the carrier's answer to the send (the message's carrier id is not stored
      // yet): while a send of this carrier is in flight, the carrier is asked to deliver it again.
      const known = await this.prisma.message.count({ where: { carrier, carrierMessageId: event.carrierMessageId } });
      if (known === 0) {
        // In flight: a new message, or one whose send attempt holds a claim (its answer may be late or lost).
        const inFlight = await this.prisma.message.count({
          where: {
            carrier,
            direction: "OUTBOUND",
            status: "QUEUED",
            carrierMessageId: null,
            OR: [{ createdAt: { gt: new Date(Date.now() - IN_FLIGHT_MS) } }, { leasedUntil: { not: null } }],
          },
        });
        if (inFlight > 0) return "RETRY_LATER";
      }
      // The send's record may have committed after the first try (between it and the counts): the
      // status applies now. Otherwise it is late (the message moved past it) or for no message here.
      return (await this.#updateStatus(carrier, event)) ? "UPDATED" : "IGNORED";
    }
    return this.#receive(carrier, event);
  }

  async #updateStatus(carrier: string, event: Extract<CarrierMessageEvent, { kind: "STATUS" }>): Promise<boolean> {
    const now = new Date();
    // Statuses only move forward (QUEUED -> SENT -> DELIVERED | FAILED): a late "sent" never overwrites "delivered".
    const from = event.status === "SENT" ? (["QUEUED"] as const) : (["QUEUED", "SENT"] as const);
    const failureReason = [`${carrier} reported the delivery failed`, event.errorCode && `code ${event.errorCode}`, event.reason].filter(Boolean).join(": ");
    const stamp =
      event.status === "SENT"
        ? { sentAt: now }
        : event.status === "DELIVERED"
          ? { deliveredAt: now }
          : { failedAt: now, errorCode: event.errorCode ?? "DELIVERY_FAILED", failureReason };
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.message.updateManyAndReturn({
        where: { carrier, carrierMessageId: event.carrierMessageId, direction: "OUTBOUND", status: { in: [...from] } },
        data: { status: event.status, ...stamp },
      });
      // Recorded once per real move: a repeated or late webhook moves nothing and records nothing.
      await recordStatusChanges(tx, moved, () => ({ carrierEventId: event.eventId }));
      return moved.length > 0;
    });
  }

  async #receive(carrier: string, event: Extract<CarrierMessageEvent, { kind: "RECEIVED" }>): Promise<WebhookOutcome> {
    const to = parseE164(event.to);
    const from = parseE164(event.from);
    const toE164 = to.ok ? to.e164 : event.to;
    const fromE164 = from.ok ? from.e164 : event.from;
    const live = await this.prisma.phoneNumber.findFirst({ where: { e164: toE164, status: LIVE } });
    // A number this organization released: the message is kept for audit and never routed.
    const number =
      live ?? (await this.prisma.phoneNumber.findFirst({ where: { e164: toE164, status: "RELEASED" }, orderBy: [{ releasedAt: "desc" }, { id: "desc" }] }));
    if (!number) {
      this.logger.warn({ carrier, to: toE164, eventId: event.eventId }, "inbound message for a number no organization holds: dropped");
      return "UNKNOWN_NUMBER";
    }
    let message: Message;
    const messageId = randomUUID();
    try {
      const created = this.prisma.message.create({
        data: {
          id: messageId,
          organizationId: number.organizationId,
          phoneNumberId: number.id,
          direction: "INBOUND",
          from: fromE164,
          to: toE164,
          body: event.text,
          mediaUrls: event.mediaUrls,
          status: "RECEIVED",
          carrier,
          carrierMessageId: event.carrierMessageId,
          carrierEventId: event.eventId,
          toReleasedNumber: !live,
        },
      });
      // The event is recorded with the message, in one transaction: a retried delivery records neither again.
      const recorded = this.prisma.event.create({
        data: {
          organizationId: number.organizationId,
          type: "MESSAGE_RECEIVED",
          phoneNumberId: number.id,
          subjectType: "Message",
          subjectId: messageId,
          payload: {
            messageId,
            carrierEventId: event.eventId,
            toReleasedNumber: !live,
            message: messageSnapshot({ id: messageId, phoneNumberId: number.id, direction: "INBOUND", from: fromE164, to: toE164, body: event.text, mediaUrls: event.mediaUrls, status: "RECEIVED", errorCode: null }),
          },
        },
      });
      [message] = await this.prisma.$transaction([created, recorded]);
    } catch (error) {
      // The carrier delivered this event before (a retried webhook).
      if (isUniqueViolation(error, ["carrier", "carrierEventId"])) return "DUPLICATE";
      throw error;
    }
    if (!live) return "STORED";
    await this.#answerKeyword(carrier, number, message).catch((error: unknown) =>
      this.logger.error({ err: error, messageId: message.id }, "answering an opt-out keyword failed"),
    );
    await this.bus.pubsub.publish("message-received", number.organizationId, { messageId: message.id, phoneNumberId: number.id });
    return "STORED";
  }

  /** STOP (and synonyms) records an opt-out, START removes it, HELP gets the help text; each is answered. */
  async #answerKeyword(carrier: string, number: PhoneNumber, message: Message): Promise<void> {
    const keyword = keywordOf(message.body);
    if (!keyword) return;
    if (keyword.kind === "STOP") {
      await this.prisma.optOut.upsert({
        where: { phoneNumberId_sender: { phoneNumberId: number.id, sender: message.from } },
        create: { organizationId: number.organizationId, phoneNumberId: number.id, sender: message.from, keyword: keyword.word },
        update: {},
      });
    } else if (keyword.kind === "START") {
      await this.prisma.optOut.deleteMany({ where: { phoneNumberId: number.id, sender: message.from } });
    }
    const organization = await this.prisma.organization.findUniqueOrThrow({ where: { id: number.organizationId } });
    await this.prisma.message.create({
      data: {
        organizationId: number.organizationId,
        phoneNumberId: number.id,
        direction: "OUTBOUND",
        from: number.e164,
        to: message.from,
        body: optOutReply(keyword.kind, organization),
        mediaUrls: [],
        status: "QUEUED",
        carrier,
        nextAttemptAt: new Date(),
      },
    });
    this.sender.kick();
  }

  /**
   * Plays the sandbox carrier delivering an inbound SMS to one of the organization's numbers: the
   * message takes the path of a verified carrier webhook (stored once with its MESSAGE_RECEIVED
   * event, STOP/START/HELP answered through the sandbox, published on messageReceived, fanned out to
   * webhook endpoints). Only for callers whose messages go through the sandbox carrier (test keys
   * always; every key while CARRIER=sandbox), and not to a number bought from another carrier, whose
   * inbound messages that carrier delivers.
   */
  async simulateInbound(caller: Caller, input: z.input<typeof SimulateInboundMessageInput>): Promise<Message> {
    const carrier = this.carriers.forCaller(caller);
    if (carrier.name !== "sandbox") {
      throw new ValidationError([
        {
          path: ["input"],
          code: "NOT_PERMITTED",
          message: `simulateInboundMessage plays the sandbox carrier, and this caller's messages go through ${carrier.name}: use an sb_test_ key (test keys always use the sandbox)`,
        },
      ]);
    }
    const parsed = parseInput(SimulateInboundMessageInput, input);
    const organizationId = caller.organizationId;
    const number = await this.prisma.phoneNumber.findFirst({
      where: parsed.phoneNumberId ? { id: parsed.phoneNumberId, organizationId } : { e164: parsed.to!.e164, organizationId },
      // By E.164, the live number before any released one.
      orderBy: [{ releasedAt: { sort: "desc", nulls: "first" } }, { id: "asc" }],
    });
    if (!number) throw new NotFoundError("PhoneNumber", (input.phoneNumberId ?? input.to)!);
    if (number.status === "RELEASED") throw new NumberReleasedError(number.e164, number.releasedAt ?? number.updatedAt);
    const path = ["input", parsed.phoneNumberId ? "phoneNumberId" : "to"];
    const problems: FieldError[] = [];
    if (!(LIVE_STATUSES as readonly string[]).includes(number.status)) problems.push({ path, code: "INVALID_VALUE", message: `The number is ${number.status}: it receives no messages` });
    if (!number.smsCapable) problems.push({ path, code: "INVALID_VALUE", message: "The number is not SMS-capable" });
    if (number.carrier && number.carrier !== "sandbox") {
      problems.push({ path, code: "NOT_PERMITTED", message: `The number was bought from ${number.carrier}, which delivers its inbound messages: simulate on a sandbox, manual or SIP trunk number` });
    }
    if (problems.length > 0) throw new ValidationError(problems);

    const eventId = `sbx_evt_${randomUUID()}`;
    const rawBody = sandboxWebhookBody({
      eventId,
      eventType: "message.received",
      carrierMessageId: `sbx_msg_${randomUUID()}`,
      direction: "inbound",
      from: parsed.from.e164,
      to: number.e164,
      toStatus: "webhook_delivered",
      text: parsed.text,
      mediaUrls: parsed.mediaUrls,
    });
    const event = parseMessageWebhook(rawBody);
    if (event?.kind !== "RECEIVED") throw new Error("the sandbox's inbound webhook body did not read as a received message");
    const outcome = await this.handleWebhook("sandbox", event);
    const message = await this.prisma.message.findUnique({ where: { carrier_carrierEventId: { carrier: "sandbox", carrierEventId: eventId } } });
    // The number was released or moved between the check and the delivery.
    if (outcome === "UNKNOWN_NUMBER" || !message || message.organizationId !== organizationId) throw new NotFoundError("PhoneNumber", (input.phoneNumberId ?? input.to)!);
    return message;
  }

  /** Sets the organization's answer to HELP; null restores the default. */
  async setHelpText(caller: Caller, input: z.input<typeof SetSmsHelpTextInput>): Promise<string> {
    const { helpText } = parseInput(SetSmsHelpTextInput, input);
    const organization = await this.prisma.organization.update({ where: { id: caller.organizationId }, data: { smsHelpText: helpText } });
    return optOutReply("HELP", organization);
  }
}
