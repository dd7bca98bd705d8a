import { deliver, subscribeToNumberChannel } from "../schema/subscriptions.ts";
import { optionalIdArg } from "../schema/id-args.ts";
import type { Context } from "../context.ts";
import { CarrierError, NotFoundError, NumberReleasedError, RecipientOptedOutError, ValidationError, VerificationRequiredError } from "../domain/errors.ts";
import type { Message } from "../generated/prisma/client.ts";
import { CARRIER_CALL_COST, carrierSpending } from "../limits/cost.ts";
import type { MessageDirection, MessageStatus } from "../generated/prisma/enums.ts";
import { builder, type EnumValues } from "../schema/builder.ts";
import { MAX_BODY_LENGTH, MAX_MEDIA_URLS, type MessageFilter as MessageFilterValue } from "./service.ts";

const MessageDirectionEnum = builder.enumType("MessageDirection", {
  description: "Whether a message came in to the number or went out from it.",
  values: {
    INBOUND: { description: "Received by the number." },
    OUTBOUND: { description: "Sent from the number." },
  } satisfies EnumValues<MessageDirection>,
});

const MessageStatusEnum = builder.enumType("MessageStatus", {
  description: "Where a message is. Outbound: QUEUED -> SENT -> DELIVERED or FAILED (never backwards). Inbound: RECEIVED.",
  values: {
    QUEUED: { description: "Accepted and in the outbox; the carrier has not taken it yet (sending is asynchronous, with retries)." },
    SENT: { description: "Taken by the carrier (carrierMessageId is set); it reports delivery later." },
    DELIVERED: { description: "Delivered to the recipient's handset." },
    FAILED: { description: "Could not be sent or delivered; see errorCode and failureReason." },
    RECEIVED: { description: "An inbound message." },
  } satisfies EnumValues<MessageStatus>,
});

export const MessageRef = builder.prismaNode("Message", {
  description: "An SMS or MMS in or out of one of the organization's numbers. Kept when the number is released.",
  id: { field: "id" },
  authScopes: { scope: "messages:read" },
  nullable: true,
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    direction: t.expose("direction", { type: MessageDirectionEnum, description: "INBOUND or OUTBOUND." }),
    from: t.exposeString("from", { description: "Sender, in E.164." }),
    to: t.exposeString("to", { description: "Recipient, in E.164." }),
    body: t.exposeString("body", { description: "The text." }),
    mediaUrls: t.exposeStringList("mediaUrls", { description: "Media of an MMS." }),
    status: t.expose("status", { type: MessageStatusEnum, description: "Where the message is." }),
    carrier: t.exposeString("carrier", { description: "The carrier that carried it (sandbox or telnyx)." }),
    carrierMessageId: t.exposeString("carrierMessageId", { nullable: true, description: "The carrier's id of the message." }),
    errorCode: t.exposeString("errorCode", {
      nullable: true,
      description: "Why a FAILED message failed, as a code: the carrier's delivery code, or CARRIER_REJECTED, CARRIER_UNAVAILABLE, CARRIER_TIMEOUT, CARRIER_OUTCOME_UNKNOWN for a send that never got through.",
    }),
    failureReason: t.exposeString("failureReason", {
      nullable: true,
      description: "Why a FAILED outbound message failed, in words: the carrier's last answer and the attempts made, or the carrier's delivery report (its code and reason).",
    }),
    sendAttempts: t.exposeInt("sendAttempts", { description: "Carrier calls made for an outbound message so far (0 for inbound messages)." }),
    toReleasedNumber: t.exposeBoolean("toReleasedNumber", {
      description: "Received after the number was released: kept for audit, never routed to an agent or subscriber.",
    }),
    phoneNumber: t.relation("phoneNumber", { description: "The organization's number the message went through." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was received (inbound) or accepted for sending (outbound)." }),
    sentAt: t.expose("sentAt", { type: "DateTime", nullable: true, description: "When the carrier reported it sent." }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true, description: "When the carrier reported it delivered." }),
    failedAt: t.expose("failedAt", { type: "DateTime", nullable: true, description: "When it failed." }),
  }),
});

const MessageFilter = builder.inputType("MessageFilter", {
  description: "Narrows a message list.",
  fields: (t) => ({
    direction: t.field({ type: MessageDirectionEnum, description: "Only this direction." }),
    // The names of every other list's time filter (and of Message.createdAt, which they bound).
    createdAfter: t.field({ type: "DateTime", description: "Only messages created (received, or accepted for sending) at or after this time." }),
    createdBefore: t.field({ type: "DateTime", description: "Only messages created before this time." }),
    text: t.string({ maxLength: MAX_BODY_LENGTH, description: "Case-insensitive substring of the body, or digits of the other party's number." }),
  }),
});

/** Oldest first, the id breaking ties, so cursors never skip or repeat rows. */
const CHRONOLOGICAL = [{ createdAt: "asc" as const }, { id: "asc" as const }];

builder.prismaObjectField("PhoneNumber", "messages", (t) =>
  t.relatedConnection(
    "messages",
    {
      description: "The number's messages in time order, oldest first (null without messages:read). Released numbers keep theirs.",
      nullable: true,
      cursor: "id",
      totalCount: true,
      authScopes: { scope: "messages:read" },
      args: { filter: t.arg({ type: MessageFilter, description: "Narrows the list." }) },
      query: (args, context) => ({ where: context.services.messages.where(context.caller.organizationId, args.filter as MessageFilterValue | null), orderBy: CHRONOLOGICAL }),
    },
    { name: "PhoneNumberMessageConnection", description: "A page of a number's messages." },
    { name: "PhoneNumberMessageEdge", description: "One of a number's messages." },
  ),
);

builder.queryField("messages", (t) =>
  t.prismaConnection(
    {
      type: "Message",
      cursor: "id",
      description: "Messages across all of the organization's numbers (released ones included), oldest first.",
      nullable: false,
      authScopes: { scope: "messages:read" },
      args: { filter: t.arg({ type: MessageFilter, description: "Narrows the list." }) },
      totalCount: (_parent, args, context) => context.prisma.message.count({ where: context.services.messages.where(context.caller.organizationId, args.filter) }),
      resolve: (query, _parent, args, context) =>
        context.prisma.message.findMany({ ...query, where: context.services.messages.where(context.caller.organizationId, args.filter), orderBy: CHRONOLOGICAL }),
    },
    { name: "MessageConnection", description: "A page of messages." },
    { name: "MessageEdge", description: "One message in a page." },
  ),
);

builder.prismaNode("OptOut", {
  description: "A recipient who texted STOP (or a synonym) to a number: messages to them from it are refused until they text START.",
  id: { field: "id" },
  authScopes: { scope: "messages:read" },
  nullable: true,
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    // The same names as RecipientOptedOutError's (the stored columns are `sender` and `createdAt`).
    recipient: t.exposeString("sender", { description: "The recipient who opted out, in E.164." }),
    keyword: t.exposeString("keyword", { description: "The word they sent (STOP, UNSUBSCRIBE, ...)." }),
    phoneNumber: t.relation("phoneNumber", { description: "The number they opted out of." }),
    optedOutAt: t.expose("createdAt", { type: "DateTime", description: "When they opted out." }),
  }),
});

builder.queryField("optOuts", (t) =>
  t.prismaConnection(
    {
      type: "OptOut",
      cursor: "id",
      description: "Recipients who opted out of the organization's numbers, newest first.",
      nullable: false,
      authScopes: { scope: "messages:read" },
      args: { phoneNumberId: t.arg.id({ description: "Only opt-outs of this number." }) },
      totalCount: (_parent, args, context) => context.prisma.optOut.count({ where: optOutWhere(context, args.phoneNumberId) }),
      resolve: (query, _parent, args, context) =>
        context.prisma.optOut.findMany({ ...query, where: optOutWhere(context, args.phoneNumberId), orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    },
    { name: "OptOutConnection", description: "A page of opt-outs." },
    { name: "OptOutEdge", description: "One opt-out in a page." },
  ),
);

function optOutWhere(context: Context, phoneNumberId: string | number | null | undefined) {
  const id = optionalIdArg(phoneNumberId, "PhoneNumber", "phoneNumberId");
  return id ? { organizationId: context.caller.organizationId, phoneNumberId: id } : { organizationId: context.caller.organizationId };
}

// ---- Mutations -------------------------------------------------------------------------------

// `sentMessage`, not `message`: a payload union's members share one selection set with
// `... on Error { message }` (a String), so no member may have an object field named `message`.
const SendMessageSuccess = builder.objectRef<{ sentMessage: Message }>("SendMessageSuccess").implement({
  description:
    "The message was accepted: a new one is QUEUED and sent asynchronously (SENT, or FAILED with failureReason). A repeated idempotencyKey returns the message as it stands, which may be FAILED: read sentMessage.status.",
  fields: (t) => ({
    sentMessage: t.field({ type: MessageRef, description: "The message, as it is now (status and failureReason say whether it went out).", resolve: (r) => r.sentMessage }),
  }),
});

builder.mutationField("sendMessage", (t) =>
  t.fieldWithInput({
    description:
      "Queues an SMS (or MMS with mediaUrls) from one of the organization's numbers; it is sent through the carrier asynchronously, retried while the carrier is unavailable, and ends SENT or FAILED (with failureReason). US numbers need an approved 10DLC verification and a campaign assignment; recipients who opted out are refused. The same idempotencyKey never sends twice and returns the message's current state. CarrierError is no longer returned (carrier trouble shows on the message).",
    typeOptions: { description: "A message to send." },
    complexity: carrierSpending(() => 1),
    authScopes: { scope: "messages:send" },
    input: {
      phoneNumberId: t.input.id({ required: true, description: "The sending number (SMS-capable, ACTIVE, outbound allowed)." }),
      to: t.input.string({ required: true, description: 'The recipient in E.164, e.g. "+14155550100".' }),
      body: t.input.string({ maxLength: MAX_BODY_LENGTH, description: "The text (required without mediaUrls)." }),
      mediaUrls: t.input.stringList({ maxLength: 2048, description: `https URLs of media, at most ${MAX_MEDIA_URLS} (MMS-capable numbers).` }),
      idempotencyKey: t.input.string({ maxLength: 200, description: "The client's key: a repeat returns the first message, as it stands now, instead of sending again." }),
    },
    type: SendMessageSuccess,
    errors: { types: [ValidationError, NotFoundError, NumberReleasedError, VerificationRequiredError, RecipientOptedOutError, CarrierError] },
    resolve: async (_root, { input }, context) => ({
      sentMessage: await context.services.messages.send(context.caller, input),
    }),
  }),
);

const SetSmsHelpTextSuccess = builder.objectRef<{ helpText: string }>("SetSmsHelpTextSuccess").implement({
  description: "The help text was saved.",
  fields: (t) => ({ helpText: t.exposeString("helpText", { description: "What a HELP message now gets in reply." }) }),
});

builder.mutationField("setSmsHelpText", (t) =>
  t.fieldWithInput({
    description: "Sets the organization's answer to an inbound HELP (10DLC requires one); null restores the default.",
    typeOptions: { description: "The help text." },
    authScopes: { scope: "messages:send" },
    input: { helpText: t.input.string({ maxLength: 320, description: "The reply; null or empty for the default." }) },
    type: SetSmsHelpTextSuccess,
    errors: { types: [ValidationError] },
    resolve: async (_root, { input }, context) => ({ helpText: await context.services.messages.setHelpText(context.caller, input) }),
  }),
);

const SimulateInboundMessageSuccess = builder.objectRef<{ inboundMessage: Message }>("SimulateInboundMessageSuccess").implement({
  description: "The sandbox delivered the text: it is stored, answered if it was STOP, START or HELP, and published like any inbound message.",
  fields: (t) => ({
    inboundMessage: t.field({ type: MessageRef, description: "The inbound message as stored (direction INBOUND, status RECEIVED, carrier sandbox).", resolve: (r) => r.inboundMessage }),
  }),
});

builder.mutationField("simulateInboundMessage", (t) =>
  t.fieldWithInput({
    description:
      "Sandbox only: receives a text on one of the organization's numbers as if the sandbox carrier had delivered it by webhook, without signing anything. It takes the carrier webhook's path: stored with a MESSAGE_RECEIVED event, STOP/START/HELP recorded and answered (through the sandbox), published on messageReceived and sent to webhook endpoints. For callers whose messages go through the sandbox carrier (sb_test_ keys always; any key while the server's CARRIER is sandbox); otherwise, and for a number bought from another carrier, a ValidationError with NOT_PERMITTED.",
    typeOptions: { description: "A text to receive." },
    // It may answer STOP/HELP through the sandbox carrier: weighed like a carrier call, but it spends
    // nothing at a real carrier, so it draws nothing from the carrier budget.
    complexity: CARRIER_CALL_COST,
    authScopes: { scope: "messages:send" },
    input: {
      phoneNumberId: t.input.id({ description: "The receiving number (one of the organization's, SMS-capable); or give its E.164 as to." }),
      to: t.input.string({ maxLength: 64, description: 'The receiving number\'s E.164 (e.g. "+14155550100"), instead of phoneNumberId.' }),
      from: t.input.string({ required: true, maxLength: 64, description: 'The sender in E.164, e.g. "+14155550123".' }),
      text: t.input.string({ required: true, maxLength: MAX_BODY_LENGTH, description: "The text; STOP, START and HELP (and their synonyms) act as they would from a real handset." }),
      mediaUrls: t.input.stringList({ maxLength: 2048, description: `https URLs of media (an MMS), at most ${MAX_MEDIA_URLS}.` }),
    },
    type: SimulateInboundMessageSuccess,
    errors: { types: [ValidationError, NotFoundError, NumberReleasedError] },
    resolve: async (_root, { input }, context) => ({
      inboundMessage: await context.services.messages.simulateInbound(context.caller, input),
    }),
  }),
);

// ---- Subscription ----------------------------------------------------------------------------

builder.subscriptionField("messageReceived", (t) =>
  t.field({
    type: MessageRef,
    description: "Fires for every inbound message stored for a live number of the organization; with phoneNumberId, only that number's.",
    authScopes: { scope: "messages:read" },
    args: { phoneNumberId: t.arg.id({ description: "Only this number's messages." }) },
    subscribe: (_root, args, context) =>
      subscribeToNumberChannel(context.services.bus, "message-received", context.caller.organizationId, args.phoneNumberId, context.services.subscriptionBounds.maxBacklog),
    resolve: (event, _args, context) => deliver(context, (cache) => cache.message(event.messageId, context.caller.organizationId)),
  }),
);
