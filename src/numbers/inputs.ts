/**
 * The inputs of the phone-number mutations, each declared once: the service takes `z.input` of
 * these (so the GraphQL input types in ./schema/mutations.ts are checked against them by the
 * compiler, and their field names by test/inputs.test.ts) and works with `z.output`.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { e164Field, globalId, issueCode, labelField } from "../domain/validation.ts";
import { checkSipUri, FALLBACK_TIMEOUT_MAX, FALLBACK_TIMEOUT_MIN, normalizeCallerIdName } from "../domain/voice-settings.ts";
import { MediaEncryption, NumberDirection, SipTransport } from "../generated/prisma/enums.ts";

const SIP_ADDRESS = /^(sips?:)?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(:\d{1,5})?(;transport=(udp|tcp|tls))?$/i;
const ipOrCidr = z.string().trim().refine((value) => {
  const [ip, bits, ...rest] = value.split("/");
  const version = isIP(ip ?? "");
  if (!version || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n >= 0 && n <= (version === 4 ? 32 : 128);
}, { message: "Must be an IPv4 or IPv6 address, optionally with a /prefix", params: issueCode("INVALID_FORMAT") });

export const InboundTrunkInput = z.object({
  addresses: z
    .array(z.string().trim().max(255).regex(SIP_ADDRESS, "Must be a SIP host, host:port or sip: URI"))
    .max(10, "At most 10 addresses")
    .nullish(),
  transport: z.enum(SipTransport).nullish(),
  mediaEncryption: z.enum(MediaEncryption).nullish(),
  authUsername: z.string().trim().min(1, "Required").max(64, "At most 64 characters").nullish(),
  authPassword: z.string().min(8, "At least 8 characters").max(128, "At most 128 characters").nullish(),
  allowedSourceIps: z.array(ipOrCidr).max(50, "At most 50 addresses").nullish(),
});
export const OutboundTrunkInput = InboundTrunkInput.extend({ ipAuthentication: z.boolean().nullish() });
export type TrunkSettings = z.output<typeof OutboundTrunkInput>;

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

export const CapabilitiesInput = z.object({ voice: z.boolean().nullish(), sms: z.boolean().nullish(), mms: z.boolean().nullish() });

const cents = z.number().int().min(0, "Must be 0 or more").max(10_000_000, "At most 10,000,000 cents");
export const BillingInput = z.object({
  includedInPlan: z.boolean().nullish(),
  monthlyPriceCents: cents.nullish(),
  upfrontPriceCents: cents.nullish(),
  nextChargeAt: z.date().nullish(),
});

export const CreateManualPhoneNumberInput = z.object({
  e164: e164Field,
  label: labelField.nullish(),
  direction: z.enum(NumberDirection).nullish(),
  capabilities: CapabilitiesInput.nullish(),
  agentId: globalId("Agent").nullish(),
  dispatchMetadataTemplate: jsonTemplate,
});

export const ImportSipTrunkPhoneNumberInput = CreateManualPhoneNumberInput.extend({
  inboundTrunk: InboundTrunkInput.nullish(),
  outboundTrunk: OutboundTrunkInput.nullish(),
});

export const UpdatePhoneNumberInput = z.object({
  id: globalId("PhoneNumber"),
  label: labelField.nullish(),
  direction: z.enum(NumberDirection).nullish(),
  capabilities: CapabilitiesInput.nullish(),
  dispatchMetadataTemplate: jsonTemplate,
  inboundTrunk: InboundTrunkInput.nullish(),
  outboundTrunk: OutboundTrunkInput.nullish(),
  billing: BillingInput.nullish(),
});

/** confirmPhoneNumberForwarding and releasePhoneNumber: the number. */
export const PhoneNumberTargetInput = z.object({ id: globalId("PhoneNumber") });

export const AssignPhoneNumberInput = z.object({ phoneNumberId: globalId("PhoneNumber"), agentId: globalId("Agent") });
export const UnassignPhoneNumberInput = z.object({ phoneNumberId: globalId("PhoneNumber") });

/** setPhoneNumberCallerIdName: the name, normalised (src/domain/voice-settings.ts); null clears it, and the field must be given. */
export const SetPhoneNumberCallerIdNameInput = z.object({
  phoneNumberId: globalId("PhoneNumber"),
  callerIdName: z
    .string()
    .transform((value, ctx) => {
      const checked = normalizeCallerIdName(value);
      if (!checked.ok) {
        ctx.addIssue({ code: "custom", message: checked.message, params: issueCode(checked.code) });
        return z.NEVER;
      }
      return checked.name;
    })
    .nullable(),
});

/** A fallback: exactly one of forwardTo (E.164) and sipUri, and the seconds an unanswered call rings first. */
export const PhoneNumberFallbackInput = z
  .object({
    // Any valid number, written any common way; stored as E.164.
    forwardTo: e164Field.transform((number) => number.e164).nullish(),
    sipUri: z
      .string()
      .transform((value, ctx) => {
        const checked = checkSipUri(value);
        if (!checked.ok) {
          ctx.addIssue({ code: "custom", message: checked.message, params: issueCode("INVALID_FORMAT") });
          return z.NEVER;
        }
        return checked.uri;
      })
      .nullish(),
    timeoutSeconds: z
      .number()
      .int("Must be a whole number of seconds")
      .min(FALLBACK_TIMEOUT_MIN, `At least ${FALLBACK_TIMEOUT_MIN} seconds`)
      .max(FALLBACK_TIMEOUT_MAX, `At most ${FALLBACK_TIMEOUT_MAX} seconds`)
      .nullish(),
  })
  .superRefine((fallback, ctx) => {
    if (fallback.forwardTo && fallback.sipUri) {
      ctx.addIssue({ code: "custom", path: ["sipUri"], message: "Give either forwardTo or sipUri, not both", params: issueCode("INVALID_VALUE") });
    } else if (!fallback.forwardTo && !fallback.sipUri) {
      ctx.addIssue({ code: "custom", path: ["forwardTo"], message: "Give forwardTo (an E.164 number) or sipUri; to remove the fallback, send fallback: null", params: issueCode("REQUIRED") });
    }
  });

/** setPhoneNumberFallback: the number and its fallback; null removes it (the field must be given). */
export const SetPhoneNumberFallbackInput = z.object({
  phoneNumberId: globalId("PhoneNumber"),
  fallback: PhoneNumberFallbackInput.nullable(),
});
