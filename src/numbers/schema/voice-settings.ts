// Phone numbers in the schema: the mutations that set a number's caller ID name and its fallback.
// Dedicated mutations (not fields of updatePhoneNumber): each reaches the carrier and has a status
// of its own, like releasePhoneNumber. Inputs are declared once, in ../inputs.ts.
import type { PhoneNumber } from "../../generated/prisma/client.ts";
import { FALLBACK_TIMEOUT_DEFAULT, FALLBACK_TIMEOUT_MAX, FALLBACK_TIMEOUT_MIN } from "../../domain/voice-settings.ts";
import { CARRIER_CALL_COST } from "../../limits/cost.ts";
import { builder } from "../../schema/builder.ts";
import { ERRORS } from "../../schema/mutation.ts";
import { PhoneNumberRef } from "./types.ts";

const success = (name: string, description: string) =>
  builder.objectRef<{ phoneNumber: PhoneNumber }>(name).implement({
    description,
    fields: (t) => ({
      phoneNumber: t.field({ type: PhoneNumberRef, description: "The phone number, as it is now (with the setting's status).", resolve: (r) => r.phoneNumber }),
    }),
  });

builder.mutationField("setPhoneNumberCallerIdName", (t) =>
  t.fieldWithInput({
    description:
      "Sets (or, with null, clears) a number's caller ID name (CNAM): at most 15 characters, letters A-Z, digits and spaces. CNAM listing needs a MANAGED US number: there the name is registered at the carrier (callerIdNameStatus PENDING, then ACTIVE, or FAILED with the carrier's reason); on other numbers it is STORED only. A carrier that does not answer leaves it PENDING, and Switchboard keeps sending it.",
    typeOptions: { description: "The number and its caller ID name." },
    authScopes: { scope: "numbers:write" },
    // A MANAGED number's setting is one carrier call (a state-set; nothing is bought).
    complexity: CARRIER_CALL_COST,
    input: {
      phoneNumberId: t.input.id({ required: true, description: "The phone number." }),
      callerIdName: t.input.string({
        required: false,
        description: "The name, e.g. \"Acme Dental\" (spaces trimmed, runs of spaces made one). Must be given; null clears the name.",
      }),
    },
    type: success("SetPhoneNumberCallerIdNameSuccess", "The caller ID name is saved; callerIdNameStatus says where it stands at the carrier."),
    errors: { types: [...ERRORS.number] },
    resolve: async (_root, { input }, context) => ({
      phoneNumber: await context.services.voiceSettings.setCallerIdName(context.caller, input),
    }),
  }),
);

const FallbackInput = builder.inputType("PhoneNumberFallbackInput", {
  description: "A fallback destination (exactly one of forwardTo and sipUri) and how long the agent may leave a call unanswered.",
  fields: (t) => ({
    forwardTo: t.string({ maxLength: 64, description: 'A phone number to forward calls to, e.g. "+14155550123" (any common writing; stored as E.164).' }),
    sipUri: t.string({ maxLength: 255, description: "A SIP URI to send calls to: sip: or sips:, user@host, optional :port and ;transport=, e.g. sip:frontdesk@pbx.example.com. Not possible on MANAGED numbers (the carrier forwards to phone numbers only)." }),
    timeoutSeconds: t.int({ description: `Seconds a call rings at the agent before it goes to the fallback, ${FALLBACK_TIMEOUT_MIN} to ${FALLBACK_TIMEOUT_MAX} (default ${FALLBACK_TIMEOUT_DEFAULT}).` }),
  }),
});

builder.mutationField("setPhoneNumberFallback", (t) =>
  t.fieldWithInput({
    description:
      "Sets (or, with null, removes) a number's fallback (failover routing): where inbound calls go when the agent is paused or missing, or does not answer within timeoutSeconds. With a usable fallback a paused or missing agent no longer blocks inbound calls (setupStatus.inboundRoute FALLBACK). On a MANAGED number it is configured as the carrier's call forwarding on failure (fallback.status PENDING, then ACTIVE, or FAILED with the carrier's reason); on other numbers it is STORED for the customer's own routing.",
    typeOptions: { description: "The number and its fallback." },
    authScopes: { scope: "numbers:write" },
    // A MANAGED number's setting is one carrier call (a state-set; nothing is bought).
    complexity: CARRIER_CALL_COST,
    input: {
      phoneNumberId: t.input.id({ required: true, description: "The phone number." }),
      fallback: t.input.field({ type: FallbackInput, required: false, description: "The fallback. Must be given; null removes it." }),
    },
    type: success("SetPhoneNumberFallbackSuccess", "The fallback is saved; fallback.status says where it stands at the carrier."),
    errors: { types: [...ERRORS.number] },
    resolve: async (_root, { input }, context) => ({
      phoneNumber: await context.services.voiceSettings.setFallback(context.caller, input),
    }),
  }),
);
