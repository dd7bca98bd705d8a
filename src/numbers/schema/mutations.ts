// Phone numbers in the schema: the mutations that register, change, route and release numbers.
// Their inputs are declared once, in ../inputs.ts; each resolver hands `input` to the service as it is.
import { forbiddenError, grants } from "../../auth/scopes.ts";
import type { PhoneNumber } from "../../generated/prisma/client.ts";
import { builder } from "../../schema/builder.ts";
import { ERRORS } from "../../schema/mutation.ts";
import { MediaEncryptionEnum, NumberDirectionEnum, PhoneNumberRef, SipTransportEnum } from "./types.ts";

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
        throw forbiddenError("Mutation.updatePhoneNumber(input.billing)", ["billing:admin"]);
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
