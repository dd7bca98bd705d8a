// Phone numbers in the schema: the PhoneNumber node and the types it is made of.
import { AgentRef } from "../../agents/schema.ts";
import {
  allowsInbound,
  allowsOutbound,
  setupStatusOf,
  type InboundRoute,
  type OverallSetupStatus,
  type SetupIssue,
  type SetupIssueCode,
  type SetupStatus,
} from "../../domain/setup-status.ts";
import { trunkView, type TrunkView } from "../../domain/trunks.ts";
import { FALLBACK_TIMEOUT_DEFAULT } from "../../domain/voice-settings.ts";
import type { PhoneNumber } from "../../generated/prisma/client.ts";
import type { MediaEncryption, NumberDirection, NumberSource, NumberStatus, PhoneNumberType, SipTransport, SmsCampaignStatus, VoiceSettingStatus } from "../../generated/prisma/enums.ts";
import { builder, type EnumValues } from "../../schema/builder.ts";
import { readsColumns } from "../page-query.ts";

export const NumberSourceEnum = builder.enumType("NumberSource", {
  description: "Where a phone number comes from.",
  values: {
    MANAGED: { description: "Bought through a carrier by Switchboard." },
    SIP_TRUNK: { description: "The customer's own number, arriving over their SIP trunk." },
    MANUAL: { description: "The customer's own number, forwarded to Switchboard by the customer." },
  } satisfies EnumValues<NumberSource>,
});

export const NumberStatusEnum = builder.enumType("NumberStatus", {
  description: "Lifecycle of a phone number: PENDING -> ACTIVE <-> SUSPENDED -> (RELEASING ->) RELEASED, or PENDING -> FAILED -> RELEASED (see the README's number lifecycle).",
  values: {
    PENDING: { description: "Ordered from the carrier; the order has not completed yet." },
    ACTIVE: { description: "In service." },
    SUSPENDED: { description: "Out of service, for example after a failed charge." },
    RELEASING: { description: "Being released at the carrier; it becomes RELEASED once the carrier confirms (a job finishes it after a crash)." },
    RELEASED: { description: "Released for good; kept for audit and read-only." },
    FAILED: { description: "The carrier order failed." },
  } satisfies EnumValues<NumberStatus>,
});

export const PhoneNumberTypeEnum = builder.enumType("PhoneNumberType", {
  description: "What kind of number a phone number is.",
  values: {
    LOCAL: { description: "A geographic number: an area code with a city or rate center (US and Canadian mobile numbers count as LOCAL: their numbering plan does not tell them apart)." },
    TOLL_FREE: { description: "A toll-free number: free for callers, billed to the owner (US and Canada: area codes 800, 833, 844, 855, 866, 877, 888). SMS from it needs toll-free verification." },
    MOBILE: { description: "A mobile number, in countries whose numbering plan has mobile ranges (e.g. GB 07...). The sandbox carrier has none." },
  } satisfies EnumValues<PhoneNumberType>,
});

export const NumberDirectionEnum = builder.enumType("NumberDirection", {
  description: "Which calls a number handles.",
  values: {
    INBOUND: { description: "Receives calls only." },
    OUTBOUND: { description: "Places calls only." },
    BOTH: { description: "Receives and places calls." },
  } satisfies EnumValues<NumberDirection>,
});

export const SipTransportEnum = builder.enumType("SipTransport", {
  description: "SIP signalling transport.",
  values: { UDP: { description: "UDP." }, TCP: { description: "TCP." }, TLS: { description: "TLS (SIPS)." } } satisfies EnumValues<SipTransport>,
});

export const MediaEncryptionEnum = builder.enumType("MediaEncryption", {
  description: "Media (RTP) encryption of a trunk.",
  values: { DISABLED: { description: "Plain RTP." }, SRTP: { description: "Encrypted SRTP." } } satisfies EnumValues<MediaEncryption>,
});

export const SmsCampaignStatusEnum = builder.enumType("SmsCampaignStatus", {
  description: "Assignment of a number to the organization's 10DLC SMS campaign.",
  values: {
    PENDING: { description: "Requested; the carrier has not confirmed." },
    ASSIGNED: { description: "Assigned: US SMS may be sent." },
    FAILED: { description: "The carrier refused the assignment." },
  } satisfies EnumValues<SmsCampaignStatus>,
});

const SetupStatusEnum = builder.enumType("SetupStatusKind", {
  description: "Overall readiness of a phone number.",
  values: {
    READY: { description: "Everything the number's direction needs is ready." },
    PENDING: { description: "Waiting on the carrier; nothing to do yet." },
    ACTION_REQUIRED: { description: "Something must be fixed: see issues." },
    SUSPENDED: { description: "Suspended (for example, a failed charge)." },
    RELEASED: { description: "Released for good." },
  } satisfies EnumValues<OverallSetupStatus>,
});

const SetupIssueCodeEnum = builder.enumType("SetupIssueCode", {
  description: "Stable code of a setup problem.",
  values: {
    NO_AGENT: { description: "No agent is assigned to answer inbound calls." },
    AGENT_PAUSED: { description: "The assigned agent is paused." },
    INBOUND_TRUNK_INCOMPLETE: { description: "The inbound SIP trunk lacks allowed source IPs or credentials." },
    OUTBOUND_TRUNK_INCOMPLETE: { description: "The outbound SIP trunk lacks an address or authentication." },
    FORWARDING_NOT_CONFIRMED: { description: "Call forwarding of a manual number is not confirmed." },
    SMS_NOT_CAPABLE: { description: "The number cannot send SMS." },
    SMS_VERIFICATION_REQUIRED: { description: "US SMS needs an approved 10DLC business verification." },
    SMS_CAMPAIGN_NOT_ASSIGNED: { description: "The number is not assigned to a 10DLC SMS campaign." },
    TOLL_FREE_VERIFICATION_REQUIRED: {
      description: "A US toll-free number sends SMS only once the organization's toll-free verification is approved (field tollFreeVerification); 10DLC does not apply to it.",
    },
    PROVISIONING_FAILED: { description: "The carrier order for the number failed." },
    SUSPENDED_FOR_NONPAYMENT: { description: "Billing suspended the number for an unpaid charge; the message says since when." },
    FALLBACK_NOT_CONFIGURED: { description: "The carrier refused the number's fallback (failover routing): unanswered calls do not reach it. The message gives the carrier's reason." },
    EMERGENCY_ADDRESS_MISSING: {
      description:
        "A US or Canadian number that places calls (voice, outbound, not toll-free) has no ACTIVE emergency (E911) registration: none is set, it is being registered (PENDING), or the carrier refused it (the message gives the carrier's reason). Outbound is not ready until it is ACTIVE.",
    },
  } satisfies EnumValues<SetupIssueCode>,
});

const InboundRouteEnum = builder.enumType("InboundRoute", {
  description: "Where an inbound call to the number goes first.",
  values: {
    AGENT: { description: "To the assigned ACTIVE agent; with a fallback, a call it does not answer within fallback.timeoutSeconds goes to the fallback." },
    FALLBACK: { description: "To the fallback: the agent is paused or missing (see fallback for the destination)." },
    NONE: { description: "Nowhere ready: inbound calls are not answered (see issues)." },
  } satisfies EnumValues<InboundRoute>,
});

export const VoiceSettingStatusEnum = builder.enumType("VoiceSettingStatus", {
  description: "Where a voice setting of a number (caller ID name, fallback) stands at the carrier.",
  values: {
    PENDING: { description: "Saved; the carrier has not confirmed it yet. Switchboard keeps sending it (with backoff) until the carrier answers." },
    ACTIVE: { description: "Configured at the carrier." },
    FAILED: { description: "The carrier refused it, or never confirmed it; the status reason says why. Set it again to retry." },
    STORED: {
      description: "Saved and returned, not configured at any carrier: the number is not a MANAGED number (or, for a caller ID name, not a US number). Whoever routes the number's calls applies it.",
    },
  } satisfies EnumValues<VoiceSettingStatus>,
});

const SetupIssueRef = builder.objectRef<SetupIssue>("SetupIssue").implement({
  description: "One thing that keeps a number from being fully ready.",
  fields: (t) => ({
    code: t.expose("code", { type: SetupIssueCodeEnum, description: "Stable machine-readable code." }),
    message: t.exposeString("message", { description: "What is wrong, for people." }),
    field: t.exposeString("field", { description: 'The field to fix, e.g. "outboundTrunk.addresses".' }),
  }),
});

export const SetupStatusRef = builder.objectRef<SetupStatus>("SetupStatus").implement({
  description: "Whether a number can really take and place calls and send SMS, derived from its configuration.",
  fields: (t) => ({
    status: t.expose("status", { type: SetupStatusEnum, description: "Overall status." }),
    inboundRoute: t.field({
      type: InboundRouteEnum,
      description: "Where inbound calls go first: the agent, the fallback (agent paused or missing), or nowhere ready.",
      // Statuses recorded before this field existed (in events) derive it: then inbound readiness meant an agent.
      resolve: (s) => s.inboundRoute ?? (s.inboundReady ? (s.agentReady ? "AGENT" : "FALLBACK") : "NONE"),
    }),
    inboundReady: t.exposeBoolean("inboundReady", { description: "Inbound calls reach a ready agent, or the number's fallback when the agent is paused or missing." }),
    outboundReady: t.exposeBoolean("outboundReady", { description: "Outbound calls can be placed." }),
    agentReady: t.exposeBoolean("agentReady", { description: "An ACTIVE agent is assigned." }),
    smsReady: t.exposeBoolean("smsReady", { description: "SMS can be sent (never affects the overall status on its own)." }),
    forwardingRequired: t.exposeBoolean("forwardingRequired", { description: "A manual number's call forwarding is not confirmed yet." }),
    sipConnectionReady: t.exposeBoolean("sipConnectionReady", { description: "The carrier or SIP trunk connection is ready." }),
    issues: t.expose("issues", { type: [SetupIssueRef], description: "Every problem found, each with the field to fix." }),
  }),
});

const CapabilitiesRef = builder.objectRef<PhoneNumber>("NumberCapabilities").implement({
  description: "What a number can do.",
  fields: (t) => ({
    voice: t.exposeBoolean("voiceCapable", { description: "Voice calls." }),
    sms: t.exposeBoolean("smsCapable", { description: "SMS." }),
    mms: t.exposeBoolean("mmsCapable", { description: "MMS." }),
  }),
});

const trunkFields = (t: PothosSchemaTypes.ObjectFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, TrunkView>) => ({
  addresses: t.exposeStringList("addresses", { description: "SIP server addresses (host, host:port or sip: URI)." }),
  transport: t.expose("transport", { type: SipTransportEnum, nullable: true, description: "Signalling transport." }),
  mediaEncryption: t.expose("mediaEncryption", { type: MediaEncryptionEnum, nullable: true, description: "Media encryption." }),
  authUsername: t.exposeString("authUsername", { nullable: true, description: "Digest auth username." }),
  hasCredentials: t.exposeBoolean("hasCredentials", {
    description: "Whether a username and password are set. The password is write-only and never returned.",
  }),
  allowedSourceIps: t.exposeStringList("allowedSourceIps", { description: "IP addresses or CIDR ranges allowed to send calls." }),
});

const InboundTrunkRef = builder.objectRef<TrunkView>("InboundTrunk").implement({
  description: "How calls reach Switchboard from the customer's SIP trunk.",
  fields: (t) => trunkFields(t),
});

const OutboundTrunkRef = builder.objectRef<TrunkView>("OutboundTrunk").implement({
  description: "How Switchboard places calls through the customer's SIP trunk.",
  fields: (t) => ({
    ...trunkFields(t),
    ipAuthentication: t.exposeBoolean("ipAuthentication", { description: "The trunk authenticates Switchboard by IP instead of credentials." }),
  }),
});

const SmsCampaignRef = builder.objectRef<PhoneNumber>("SmsCampaignAssignment").implement({
  description: "The number's assignment to a 10DLC SMS campaign.",
  fields: (t) => ({
    campaignId: t.exposeString("smsCampaignId", { nullable: true, description: "Carrier campaign id." }),
    status: t.field({ type: SmsCampaignStatusEnum, description: "Assignment status.", resolve: (n) => n.smsCampaignStatus! }),
    updatedAt: t.expose("smsCampaignUpdatedAt", { type: "DateTime", nullable: true, description: "When the status last changed." }),
  }),
});

const BillingRef = builder.objectRef<PhoneNumber>("NumberBilling").implement({
  description: "What the number costs and when it is charged.",
  fields: (t) => ({
    includedInPlan: t.exposeBoolean("includedInPlan", { description: "Included in the organization's plan (no monthly charge)." }),
    monthlyPriceCents: t.exposeInt("monthlyPriceCents", { description: "Monthly price in cents." }),
    upfrontPriceCents: t.exposeInt("upfrontPriceCents", { description: "One-time price in cents." }),
    nextChargeAt: t.expose("nextChargeAt", { type: "DateTime", nullable: true, description: "Next monthly charge." }),
    lastChargeAt: t.expose("lastChargeAt", { type: "DateTime", nullable: true, description: "Last successful charge." }),
    suspendedAt: t.expose("suspendedAt", { type: "DateTime", nullable: true, description: "When billing suspended the number." }),
    activatedAt: t.expose("activatedAt", { type: "DateTime", nullable: true, description: "When the number first became ACTIVE: its billing periods are months from here." }),
  }),
});

/** A number's fallback (failover routing), from its columns; only for numbers that have one. */
const FallbackRef = builder.objectRef<PhoneNumber>("PhoneNumberFallback").implement({
  description:
    "Where inbound calls go when the agent is paused or missing, or does not answer within timeoutSeconds. On a MANAGED number it is the carrier's call forwarding on failure (Telnyx `on-failure`); on other numbers it is stored for the customer's own routing to apply.",
  fields: (t) => ({
    forwardTo: t.exposeString("fallbackForwardTo", { nullable: true, description: "The E.164 number calls are forwarded to (or null with a SIP URI)." }),
    sipUri: t.exposeString("fallbackSipUri", { nullable: true, description: "The SIP URI calls are sent to (or null with a forwarding number). Not possible on MANAGED numbers." }),
    timeoutSeconds: t.int({
      description: `Seconds an unanswered call rings at the agent before it goes to the fallback (${FALLBACK_TIMEOUT_DEFAULT} unless set).`,
      resolve: (n) => n.fallbackTimeoutSeconds ?? FALLBACK_TIMEOUT_DEFAULT,
    }),
    status: t.field({
      type: VoiceSettingStatusEnum,
      description: "Where the fallback stands at the carrier: PENDING, ACTIVE, FAILED (see statusReason) or STORED (not a carrier setting).",
      resolve: (n) => n.fallbackStatus ?? "PENDING",
    }),
    statusReason: t.exposeString("fallbackStatusReason", { nullable: true, description: "Why it is FAILED, STORED or still PENDING, in the carrier's or Switchboard's words." }),
  }),
});

export const PhoneNumberRef = builder.prismaNode("PhoneNumber", {
  description: "A phone number of the organization, routed to an agent.",
  id: { field: "id" },
  authScopes: { scope: "numbers:read" },
  // Another organization's id, or an unknown one, resolves node(id) to null as if it did not exist;
  // without `nullable` the plugin loads with findUniqueOrThrow and the miss becomes a masked 500.
  nullable: true,
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    e164: t.exposeString("e164", { description: "The number in E.164 form, e.g. +14155550100." }),
    label: t.string({ nullable: true, description: "Free-form label.", extensions: readsColumns("label"), resolve: (n) => n.label || null }),
    source: t.expose("source", { type: NumberSourceEnum, description: "MANAGED, SIP_TRUNK or MANUAL." }),
    carrier: t.exposeString("carrier", { nullable: true, description: "Carrier of a MANAGED number." }),
    carrierResourceId: t.exposeString("carrierResourceId", { nullable: true, description: "The carrier's id of the number." }),
    country: t.exposeString("country", { description: "ISO 3166-1 alpha-2 country." }),
    numberType: t.expose("numberType", {
      type: PhoneNumberTypeEnum,
      description: "LOCAL, TOLL_FREE or MOBILE: the carrier's word for bought numbers, derived from the number for imported ones (numbers from before this field existed: LOCAL unless a US/Canadian toll-free area code).",
    }),
    capabilities: t.field({ type: CapabilitiesRef, description: "Voice, SMS and MMS capability.", extensions: readsColumns("voiceCapable", "smsCapable", "mmsCapable"), resolve: (n) => n }),
    direction: t.expose("direction", { type: NumberDirectionEnum, description: "INBOUND, OUTBOUND or BOTH." }),
    supportsInbound: t.boolean({ description: "The direction allows inbound calls.", extensions: readsColumns("direction"), resolve: (n) => allowsInbound(n.direction) }),
    supportsOutbound: t.boolean({ description: "The direction allows outbound calls.", extensions: readsColumns("direction"), resolve: (n) => allowsOutbound(n.direction) }),
    agent: t.relation("agent", { nullable: true, description: "The agent calls and messages route to.", extensions: readsColumns("agentId") }),
    dispatchMetadataTemplate: t.expose("dispatchMetadataTemplate", {
      type: "JSON",
      nullable: true,
      description: "JSON object handed to the agent with every call.",
    }),
    forwardingConfirmedAt: t.expose("forwardingConfirmedAt", {
      type: "DateTime",
      nullable: true,
      description: "When the customer confirmed call forwarding (MANUAL numbers).",
    }),
    inboundTrunk: t.field({
      type: InboundTrunkRef,
      nullable: true,
      description: "Inbound SIP trunk (SIP_TRUNK numbers only).",
      extensions: readsColumns("source", "inboundTrunkAddresses", "inboundTrunkTransport", "inboundTrunkMediaEncryption", "inboundTrunkAuthUsername", "inboundTrunkAuthPassword", "inboundTrunkAllowedSourceIps"),
      resolve: (n) => (n.source === "SIP_TRUNK" ? trunkView(n, "inbound") : null),
    }),
    outboundTrunk: t.field({
      type: OutboundTrunkRef,
      nullable: true,
      description: "Outbound SIP trunk (SIP_TRUNK numbers only).",
      extensions: readsColumns("source", "outboundTrunkAddresses", "outboundTrunkTransport", "outboundTrunkMediaEncryption", "outboundTrunkAuthUsername", "outboundTrunkAuthPassword", "outboundTrunkAllowedSourceIps", "outboundTrunkIpAuthentication"),
      resolve: (n) => (n.source === "SIP_TRUNK" ? trunkView(n, "outbound") : null),
    }),
    smsCampaign: t.field({
      type: SmsCampaignRef,
      nullable: true,
      description: "10DLC campaign assignment; null until one is requested.",
      extensions: readsColumns("smsCampaignId", "smsCampaignStatus", "smsCampaignUpdatedAt"),
      resolve: (n) => (n.smsCampaignStatus ? n : null),
    }),
    billing: t.field({
      type: BillingRef,
      description: "Prices and charge dates (null without billing:read).",
      extensions: readsColumns("includedInPlan", "monthlyPriceCents", "upfrontPriceCents", "nextChargeAt", "lastChargeAt", "suspendedAt", "activatedAt"),
      nullable: true,
      authScopes: { scope: "billing:read" },
      resolve: (n) => n,
    }),
    callerIdName: t.exposeString("callerIdName", {
      nullable: true,
      description: "The caller ID name (CNAM) shown to people this number calls, at most 15 letters, digits or spaces. Listed at the carrier only for MANAGED US numbers (see callerIdNameStatus).",
    }),
    callerIdNameStatus: t.expose("callerIdNameStatus", {
      type: VoiceSettingStatusEnum,
      nullable: true,
      description: "Where the caller ID name stands at the carrier: PENDING, ACTIVE, FAILED (see callerIdNameStatusReason) or STORED (not a MANAGED US number: saved only); null without a name.",
    }),
    callerIdNameStatusReason: t.exposeString("callerIdNameStatusReason", {
      nullable: true,
      description: "Why the caller ID name is FAILED, STORED or still PENDING, in the carrier's or Switchboard's words.",
    }),
    fallback: t.field({
      type: FallbackRef,
      nullable: true,
      description: "Failover routing: where inbound calls go when the agent is paused, missing or does not answer in time; null without one.",
      extensions: readsColumns("fallbackForwardTo", "fallbackSipUri", "fallbackTimeoutSeconds", "fallbackStatus", "fallbackStatusReason"),
      resolve: (n) => (n.fallbackForwardTo || n.fallbackSipUri ? n : null),
    }),
    status: t.expose("status", { type: NumberStatusEnum, description: "Lifecycle status." }),
    setupStatus: t.field({
      type: SetupStatusRef,
      description: "Whether the number is ready to call and text, and what to fix.",
      // Merged into the query that loads the number, so a list costs no extra statement per row.
      select: { agent: { select: { status: true } } },
      extensions: readsColumns("organizationId", "status", "source", "direction", "e164", "country", "smsCapable", "suspendedAt", "forwardingConfirmedAt", "smsCampaignStatus",
        "inboundTrunkAddresses", "inboundTrunkTransport", "inboundTrunkMediaEncryption", "inboundTrunkAuthUsername", "inboundTrunkAuthPassword", "inboundTrunkAllowedSourceIps", "outboundTrunkAddresses", "outboundTrunkTransport", "outboundTrunkMediaEncryption", "outboundTrunkAuthUsername", "outboundTrunkAuthPassword", "outboundTrunkAllowedSourceIps", "outboundTrunkIpAuthentication",
        "fallbackForwardTo", "fallbackSipUri", "fallbackStatus", "fallbackStatusReason",
        "voiceCapable", "emergencyAddressId", "emergencyStatus", "emergencyFailureReason"),
      resolve: (n, _args, context) => {
        const known = context.loaders.knownVerificationStatuses(n.organizationId);
        return known ? setupStatusOf(n, known) : context.loaders.verificationStatuses.load(n.organizationId).then((statuses) => setupStatusOf(n, statuses));
      },
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the number was added." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the number last changed." }),
    releasedAt: t.expose("releasedAt", { type: "DateTime", nullable: true, description: "When the number was released." }),
  }),
});
