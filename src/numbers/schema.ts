import { GraphQLError } from "graphql";
import { AgentRef, OrderDirectionEnum } from "../agents/schema.ts";
import { grants } from "../auth/scopes.ts";
import { allowsInbound, allowsOutbound, type OverallSetupStatus, type SetupIssue, type SetupIssueCode, type SetupStatus } from "../domain/setup-status.ts";
import { setupStatusOf } from "./setup-status-of.ts";
import { trunkView, type TrunkView } from "./trunks.ts";
import type { Context } from "../context.ts";
import { ValidationError } from "../domain/errors.ts";
import type { PhoneNumber } from "../generated/prisma/client.ts";
import type { MediaEncryption, NumberDirection, NumberSource, NumberStatus, SipTransport, SmsCampaignStatus } from "../generated/prisma/enums.ts";
import type { PhoneNumberFilter as PhoneNumberFilterInput, PhoneNumberOrder as PhoneNumberOrderValue } from "./service.ts";
import { builder, type EnumValues } from "../schema/builder.ts";
import { ERRORS } from "../schema/mutation.ts";

const NumberSourceEnum = builder.enumType("NumberSource", {
  description: "Where a phone number comes from.",
  values: {
    MANAGED: { description: "Bought through a carrier by Switchboard." },
    SIP_TRUNK: { description: "The customer's own number, arriving over their SIP trunk." },
    MANUAL: { description: "The customer's own number, forwarded to Switchboard by the customer." },
  } satisfies EnumValues<NumberSource>,
});

const NumberStatusEnum = builder.enumType("NumberStatus", {
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

const NumberDirectionEnum = builder.enumType("NumberDirection", {
  description: "Which calls a number handles.",
  values: {
    INBOUND: { description: "Receives calls only." },
    OUTBOUND: { description: "Places calls only." },
    BOTH: { description: "Receives and places calls." },
  } satisfies EnumValues<NumberDirection>,
});

const SipTransportEnum = builder.enumType("SipTransport", {
  description: "SIP signalling transport.",
  values: { UDP: { description: "UDP." }, TCP: { description: "TCP." }, TLS: { description: "TLS (SIPS)." } } satisfies EnumValues<SipTransport>,
});

const MediaEncryptionEnum = builder.enumType("MediaEncryption", {
  description: "Media (RTP) encryption of a trunk.",
  values: { DISABLED: { description: "Plain RTP." }, SRTP: { description: "Encrypted SRTP." } } satisfies EnumValues<MediaEncryption>,
});

const SmsCampaignStatusEnum = builder.enumType("SmsCampaignStatus", {
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
    PROVISIONING_FAILED: { description: "The carrier order for the number failed." },
  } satisfies EnumValues<SetupIssueCode>,
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
    inboundReady: t.exposeBoolean("inboundReady", { description: "Inbound calls reach a ready agent." }),
    outboundReady: t.exposeBoolean("outboundReady", { description: "Outbound calls can be placed." }),
    agentReady: t.exposeBoolean("agentReady", { description: "An ACTIVE agent is assigned." }),
    smsReady: t.exposeBoolean("smsReady", { description: "SMS can be sent (never affects the overall status on its own)." }),
    forwardingRequired: t.exposeBoolean("forwardingRequired", { description: "A manual number's call forwarding is not confirmed yet." }),
    sipConnectionReady: t.exposeBoolean("sipConnectionReady", { description: "The carrier or SIP trunk connection is ready." }),
    issues: t.field({ type: [SetupIssueRef], description: "Every problem found, each with the field to fix.", resolve: (s) => s.issues }),
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
    label: t.string({ nullable: true, description: "Free-form label.", resolve: (n) => n.label || null }),
    source: t.expose("source", { type: NumberSourceEnum, description: "MANAGED, SIP_TRUNK or MANUAL." }),
    carrier: t.exposeString("carrier", { nullable: true, description: "Carrier of a MANAGED number." }),
    carrierResourceId: t.exposeString("carrierResourceId", { nullable: true, description: "The carrier's id of the number." }),
    country: t.exposeString("country", { description: "ISO 3166-1 alpha-2 country." }),
    capabilities: t.field({ type: CapabilitiesRef, description: "Voice, SMS and MMS capability.", resolve: (n) => n }),
    direction: t.expose("direction", { type: NumberDirectionEnum, description: "INBOUND, OUTBOUND or BOTH." }),
    supportsInbound: t.boolean({ description: "The direction allows inbound calls.", resolve: (n) => allowsInbound(n.direction) }),
    supportsOutbound: t.boolean({ description: "The direction allows outbound calls.", resolve: (n) => allowsOutbound(n.direction) }),
    agent: t.relation("agent", { nullable: true, description: "The agent calls and messages route to." }),
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
      resolve: (n) => (n.source === "SIP_TRUNK" ? trunkView(n, "inbound") : null),
    }),
    outboundTrunk: t.field({
      type: OutboundTrunkRef,
      nullable: true,
      description: "Outbound SIP trunk (SIP_TRUNK numbers only).",
      resolve: (n) => (n.source === "SIP_TRUNK" ? trunkView(n, "outbound") : null),
    }),
    smsCampaign: t.field({
      type: SmsCampaignRef,
      nullable: true,
      description: "10DLC campaign assignment; null until one is requested.",
      resolve: (n) => (n.smsCampaignStatus ? n : null),
    }),
    billing: t.field({
      type: BillingRef,
      description: "Prices and charge dates (null without billing:read).",
      nullable: true,
      authScopes: { scope: "billing:read" },
      resolve: (n) => n,
    }),
    status: t.expose("status", { type: NumberStatusEnum, description: "Lifecycle status." }),
    setupStatus: t.field({
      type: SetupStatusRef,
      description: "Whether the number is ready to call and text, and what to fix.",
      // Merged into the query that loads the number, so a list costs no extra statement per row.
      select: { agent: { select: { status: true } } },
      resolve: async (n, _args, context) => setupStatusOf(n, await context.loaders.verificationStatus.load(n.organizationId)),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the number was added." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the number last changed." }),
    releasedAt: t.expose("releasedAt", { type: "DateTime", nullable: true, description: "When the number was released." }),
  }),
});

const ReleasedFilterEnum = builder.enumType("ReleasedFilter", {
  description: "Whether a list includes released numbers.",
  values: {
    EXCLUDE: { description: "Only unreleased numbers (the default)." },
    INCLUDE: { description: "Released and unreleased numbers." },
    ONLY: { description: "Only released numbers." },
  } satisfies EnumValues<NonNullable<PhoneNumberFilterInput["released"]>>,
});

const PhoneNumberFilter = builder.inputType("PhoneNumberFilter", {
  description: "Narrows a phone-number list; all given conditions apply.",
  fields: (t) => ({
    text: t.string({ description: 'Substring of the number\'s digits (with or without "+") or of its label, case-insensitive.' }),
    sources: t.field({ type: [NumberSourceEnum], description: "Only these sources." }),
    statuses: t.field({ type: [NumberStatusEnum], description: "Only these lifecycle statuses." }),
    agentId: t.id({ description: "Only numbers routed to this agent." }),
    assigned: t.boolean({ description: "true: only numbers with an agent; false: only numbers without." }),
    directions: t.field({ type: [NumberDirectionEnum], description: "Only these directions." }),
    createdAfter: t.field({ type: "DateTime", description: "Created at or after this time." }),
    createdBefore: t.field({ type: "DateTime", description: "Created before this time." }),
    released: t.field({ type: ReleasedFilterEnum, description: "Released numbers: EXCLUDE (default), INCLUDE or ONLY." }),
  }),
});

const PhoneNumberOrderField = builder.enumType("PhoneNumberOrderField", {
  description: "What a phone-number list is sorted by (the id breaks ties).",
  values: {
    CREATED_AT: { description: "Creation time." },
    UPDATED_AT: { description: "Last change." },
    E164: { description: "The number." },
    LABEL: { description: "The label." },
    MONTHLY_PRICE: { description: "Monthly price." },
  } satisfies EnumValues<PhoneNumberOrderValue["field"]>,
});

const PhoneNumberOrder = builder.inputType("PhoneNumberOrder", {
  description: "Sort order of a phone-number list.",
  fields: (t) => ({
    field: t.field({ type: PhoneNumberOrderField, required: true, description: "Sort key." }),
    direction: t.field({ type: OrderDirectionEnum, required: true, description: "Sort direction." }),
  }),
});

interface Facets {
  byStatus: { status: PhoneNumber["status"]; count: number }[];
  bySource: { source: PhoneNumber["source"]; count: number }[];
  assigned: number;
  unassigned: number;
}

const StatusCount = builder.objectRef<Facets["byStatus"][number]>("NumberStatusCount").implement({
  description: "How many numbers have one status.",
  fields: (t) => ({
    status: t.expose("status", { type: NumberStatusEnum, description: "The status." }),
    count: t.exposeInt("count", { description: "Numbers in the filtered set with this status." }),
  }),
});

const SourceCount = builder.objectRef<Facets["bySource"][number]>("NumberSourceCount").implement({
  description: "How many numbers have one source.",
  fields: (t) => ({
    source: t.expose("source", { type: NumberSourceEnum, description: "The source." }),
    count: t.exposeInt("count", { description: "Numbers in the filtered set with this source." }),
  }),
});

const FacetsRef = builder.objectRef<Facets>("PhoneNumberFacets").implement({
  description: "Quick-filter counts of the filtered set, ignoring pagination.",
  fields: (t) => ({
    byStatus: t.field({ type: [StatusCount], description: "Counts by lifecycle status.", resolve: (f) => f.byStatus }),
    bySource: t.field({ type: [SourceCount], description: "Counts by source.", resolve: (f) => f.bySource }),
    assigned: t.exposeInt("assigned", { description: "Numbers with an agent." }),
    unassigned: t.exposeInt("unassigned", { description: "Numbers without an agent." }),
  }),
});

builder.queryField("phoneNumbers", (t) =>
  t.prismaConnection(
    {
      type: "PhoneNumber",
      cursor: "id",
      description: "The organization's phone numbers, filtered and sorted; newest first by default.",
      nullable: true,
      authScopes: { scope: "numbers:read" },
      args: {
        filter: t.arg({ type: PhoneNumberFilter, description: "Narrows the list." }),
        orderBy: t.arg({ type: PhoneNumberOrder, description: "Sort order; defaults to CREATED_AT DESC." }),
      },
      totalCount: (_parent, args, context) =>
        context.prisma.phoneNumber.count({ where: inputWhere(context, args.filter) }),
      resolve: (query, _parent, args, context) =>
        context.prisma.phoneNumber.findMany({
          ...query,
          where: inputWhere(context, args.filter),
          orderBy: context.services.numbers.orderBy(args.orderBy),
        }),
    },
    {
      name: "PhoneNumberConnection",
      description: "A page of phone numbers, with counts of the whole filtered set.",
      fields: (c) => ({
        facets: c.field({
          type: FacetsRef,
          description: "Counts by status, source and assignment of the filtered set.",
          resolve: (connection, _args, context) =>
            context.services.numbers.facets(context.caller, (connection as unknown as { args: { filter?: PhoneNumberFilterInput | null } }).args.filter),
        }),
      }),
    },
    { name: "PhoneNumberEdge", description: "One phone number in a page." },
  ),
);

/** The list filter, with bad input (a malformed agent id) as a GraphQL BAD_USER_INPUT error: queries have no payload union. */
function inputWhere(context: Context, filter: PhoneNumberFilterInput | null | undefined) {
  try {
    return context.services.numbers.where(context.caller, filter);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } });
    }
    throw error;
  }
}

// ---- Mutations -------------------------------------------------------------------------------

const CapabilitiesInput = builder.inputType("NumberCapabilitiesInput", {
  description: "What a number can do; omitted capabilities keep their value (new numbers: voice only).",
  fields: (t) => ({
    voice: t.boolean({ description: "Voice calls." }),
    sms: t.boolean({ description: "SMS." }),
    mms: t.boolean({ description: "MMS." }),
  }),
});

const trunkInputFields = (t: PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, "InputObject">) => ({
  addresses: t.stringList({ maxLength: 255, description: "SIP server addresses (host, host:port or sip: URI); null clears." }),
  transport: t.field({ type: SipTransportEnum, description: "Signalling transport." }),
  mediaEncryption: t.field({ type: MediaEncryptionEnum, description: "Media encryption." }),
  authUsername: t.string({ maxLength: 64, description: "Digest auth username; null clears." }),
  authPassword: t.string({ maxLength: 128, description: "Digest auth password, at least 8 characters: write-only, stored encrypted; null clears." }),
  allowedSourceIps: t.stringList({ description: "IP addresses or CIDR ranges allowed to send calls; null clears." }),
});

const InboundTrunkInput = builder.inputType("InboundTrunkInput", {
  description: "Inbound trunk settings; omitted fields keep their value.",
  fields: (t) => trunkInputFields(t),
});

const OutboundTrunkInput = builder.inputType("OutboundTrunkInput", {
  description: "Outbound trunk settings; omitted fields keep their value.",
  fields: (t) => ({
    ...trunkInputFields(t),
    ipAuthentication: t.boolean({ description: "The trunk authenticates Switchboard by IP instead of credentials." }),
  }),
});

const BillingInput = builder.inputType("NumberBillingInput", {
  description: "Billing settings of a number (needs billing:admin).",
  fields: (t) => ({
    includedInPlan: t.boolean({ description: "Included in the plan (no monthly charge)." }),
    monthlyPriceCents: t.int({ description: "Monthly price in cents, 0 to 10,000,000." }),
    upfrontPriceCents: t.int({ description: "One-time price in cents, 0 to 10,000,000." }),
    nextChargeAt: t.field({ type: "DateTime", description: "Next monthly charge." }),
  }),
});

const PhoneNumberSuccess = (name: string, description: string) =>
  builder.objectRef<{ phoneNumber: PhoneNumber }>(name).implement({
    description,
    fields: (t) => ({
      phoneNumber: t.field({ type: PhoneNumberRef, description: "The phone number, as it is now.", resolve: (r) => r.phoneNumber }),
    }),
  });

const newNumberInputFields = (t: PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, "InputObject">) => ({
  e164: t.string({ required: true, description: 'The number with its country code, e.g. "+14155550100" or "+1 (415) 555-0100".' }),
  label: t.string({ maxLength: 100, description: "Free-form label." }),
  direction: t.field({ type: NumberDirectionEnum, description: "Defaults to BOTH." }),
  capabilities: t.field({ type: CapabilitiesInput, description: "Defaults to voice only." }),
  agentId: t.id({ description: "Agent to route the number to." }),
  dispatchMetadataTemplate: t.field({ type: "JSON", description: "JSON object handed to the agent with every call (at most 16 KiB)." }),
});

builder.mutationField("createManualPhoneNumber", (t) =>
  t.fieldWithInput({
    description: "Registers a number the customer forwards to Switchboard. It starts ACTIVE and needs its forwarding confirmed.",
    typeOptions: { description: "A manual number." },
    authScopes: { scope: "numbers:write" },
    input: newNumberInputFields(t.input),
    type: PhoneNumberSuccess("CreateManualPhoneNumberSuccess", "The number was registered."),
    errors: { types: [...ERRORS.newNumber] },
    resolve: async (_root, { input }, context) => ({
      phoneNumber: await context.services.numbers.createManual(context.caller, input),
    }),
  }),
);

builder.mutationField("importSipTrunkPhoneNumber", (t) =>
  t.fieldWithInput({
    description: "Imports a number that arrives over the customer's SIP trunk. It starts ACTIVE; its setup status lists missing trunk settings.",
    typeOptions: { description: "A SIP-trunk number and its trunk settings." },
    authScopes: { scope: "numbers:write" },
    input: {
      ...newNumberInputFields(t.input),
      inboundTrunk: t.input.field({ type: InboundTrunkInput, description: "How calls reach Switchboard." }),
      outboundTrunk: t.input.field({ type: OutboundTrunkInput, description: "How Switchboard places calls." }),
    },
    type: PhoneNumberSuccess("ImportSipTrunkPhoneNumberSuccess", "The number was imported."),
    errors: { types: [...ERRORS.newNumber] },
    resolve: async (_root, { input }, context) => ({
      phoneNumber: await context.services.numbers.importSipTrunk(context.caller, input),
    }),
  }),
);

builder.mutationField("updatePhoneNumber", (t) =>
  t.fieldWithInput({
    description: "Changes a number's label, direction, capabilities, dispatch metadata, trunks or billing. Omitted fields stay.",
    typeOptions: { description: "Changes to a phone number." },
    authScopes: { scope: "numbers:write" },
    input: {
      id: t.input.id({ required: true, description: "The phone number." }),
      label: t.input.string({ maxLength: 100, description: "New label; empty clears it." }),
      direction: t.input.field({ type: NumberDirectionEnum, description: "New direction." }),
      capabilities: t.input.field({ type: CapabilitiesInput, description: "Capability changes." }),
      dispatchMetadataTemplate: t.input.field({ type: "JSON", description: "New dispatch metadata template; null clears it." }),
      inboundTrunk: t.input.field({ type: InboundTrunkInput, description: "Inbound trunk changes (SIP_TRUNK numbers)." }),
      outboundTrunk: t.input.field({ type: OutboundTrunkInput, description: "Outbound trunk changes (SIP_TRUNK numbers)." }),
      billing: t.input.field({ type: BillingInput, description: "Billing changes; needs the billing:admin scope." }),
    },
    type: PhoneNumberSuccess("UpdatePhoneNumberSuccess", "The number was changed."),
    errors: { types: [...ERRORS.number] },
    resolve: async (_root, { input }, context) => {
      if (input.billing && !grants(context.caller.scopes, "billing:admin")) {
        throw new GraphQLError("Changing billing needs the billing:admin scope", { extensions: { code: "FORBIDDEN" } });
      }
      return { phoneNumber: await context.services.numbers.update(context.caller, input) };
    },
  }),
);

const idInput = (t: Parameters<Parameters<typeof builder.mutationField>[1]>[0], description: string) => ({
  id: t.input.id({ required: true, description }),
});

builder.mutationField("confirmPhoneNumberForwarding", (t) =>
  t.fieldWithInput({
    description: "Confirms that calls to a MANUAL number are forwarded to Switchboard.",
    typeOptions: { description: "The manual number." },
    authScopes: { scope: "numbers:write" },
    input: idInput(t, "The phone number."),
    type: PhoneNumberSuccess("ConfirmPhoneNumberForwardingSuccess", "Forwarding is confirmed."),
    errors: { types: [...ERRORS.numberConflict] },
    resolve: async (_root, { input }, context) => ({
      phoneNumber: await context.services.numbers.confirmForwarding(context.caller, input),
    }),
  }),
);

const AssignmentSuccess = (name: string, description: string) =>
  builder.objectRef<{ phoneNumber: PhoneNumber }>(name).implement({
    description,
    fields: (t) => ({
      phoneNumber: t.field({ type: PhoneNumberRef, description: "The phone number, as it is now.", resolve: (r) => r.phoneNumber }),
    }),
  });

builder.mutationField("assignPhoneNumber", (t) =>
  t.fieldWithInput({
    description: "Routes a number to an agent (replacing any earlier agent).",
    typeOptions: { description: "The number and the agent." },
    authScopes: { scope: "numbers:write" },
    input: {
      phoneNumberId: t.input.id({ required: true, description: "The phone number." }),
      agentId: t.input.id({ required: true, description: "The agent." }),
    },
    type: AssignmentSuccess("AssignPhoneNumberSuccess", "The number routes to the agent."),
    errors: { types: [...ERRORS.number] },
    resolve: async (_root, { input }, context) => ({
      phoneNumber: await context.services.numbers.assign(context.caller, input),
    }),
  }),
);

builder.mutationField("unassignPhoneNumber", (t) =>
  t.fieldWithInput({
    description: "Stops routing a number to its agent.",
    typeOptions: { description: "The number." },
    authScopes: { scope: "numbers:write" },
    input: { phoneNumberId: t.input.id({ required: true, description: "The phone number." }) },
    type: AssignmentSuccess("UnassignPhoneNumberSuccess", "The number has no agent."),
    errors: { types: [...ERRORS.number] },
    resolve: async (_root, { input }, context) => ({
      phoneNumber: await context.services.numbers.unassign(context.caller, input),
    }),
  }),
);

builder.mutationField("releasePhoneNumber", (t) =>
  t.fieldWithInput({
    description:
      "Releases a number for good. A managed number is RELEASING until the carrier confirms (one carrier call however many requests; a CarrierError means the release is recorded and finishes automatically), then RELEASED. The row and its history stay for audit; every later change is refused.",
    typeOptions: { description: "The number to release." },
    authScopes: { scope: "numbers:write" },
    input: idInput(t, "The phone number."),
    type: PhoneNumberSuccess("ReleasePhoneNumberSuccess", "The number was released."),
    errors: { types: [...ERRORS.release] },
    resolve: async (_root, { input }, context) => ({
      phoneNumber: await context.services.numbers.release(context.caller, input),
    }),
  }),
);
