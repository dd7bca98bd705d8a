import {
  AppError,
  CARRIER_ERROR_REASONS,
  CarrierError,
  ConflictError,
  ERROR_CODES,
  FIELD_ERROR_CODES,
  NotFoundError,
  NumberReleasedError,
  RecipientOptedOutError,
  ValidationError,
  type FieldError,
} from "../domain/errors.ts";
import { builder } from "./builder.ts";

export const ErrorCodeEnum = builder.enumType("ErrorCode", {
  description: "Machine-readable kind of an expected error (the `code` of every member of a payload union that implements Error).",
  values: {
    VALIDATION_FAILED: {
      description: "ValidationError: the input was refused before anything changed; fieldErrors lists every problem with its input path and FieldErrorCode.",
    },
    NOT_FOUND: {
      description: "NotFoundError: the id names nothing in the caller's organization (another organization's ids are not found either). Nothing changed.",
    },
    CONFLICT: {
      description: "ConflictError: the change contradicts current state, e.g. an E.164 already live elsewhere or a number in the wrong lifecycle state. Read the object again before retrying.",
    },
    NUMBER_RELEASED: {
      description: "NumberReleasedError: the number was released (irreversible); it can be read but not changed or used to send.",
    },
    CARRIER_ERROR: {
      description: "CarrierError: the carrier refused or could not be reached; `reason` and `retryable` say whether trying again (with the same idempotency key) may work.",
    },
    VERIFICATION_REQUIRED: {
      description: "VerificationRequiredError: a US number sends SMS only once the organization's 10DLC verification is APPROVED and the number is on a campaign; `missing` lists what is not.",
    },
    INVALID_TRANSITION: {
      description: "VerificationTransitionError: the verification's state does not allow this step (e.g. approving a draft); the error names the current and the allowed states.",
    },
    OPTED_OUT: {
      description: "RecipientOptedOutError: the recipient texted STOP to this number; nothing is sent to them until they text START.",
    },
  } satisfies Record<(typeof ERROR_CODES)[number], { description: string }>,
});

export const FieldErrorCodeEnum = builder.enumType("FieldErrorCode", {
  description: "Why one input field was refused.",
  values: {
    REQUIRED: { description: "The field is required." },
    INVALID_E164: { description: "Not a valid phone number in international (E.164) form." },
    OUT_OF_RANGE: { description: "The number is outside the allowed range." },
    TOO_LONG: { description: "The text or list is too long." },
    TOO_SHORT: { description: "The text or list is too short." },
    INVALID_FORMAT: { description: "The text does not have the expected format." },
    INVALID_VALUE: { description: "The value is not allowed here." },
    INVALID_ID: { description: "Not a global id of the expected type." },
    NOT_FOUND: { description: "The referenced object does not exist in this organization." },
    NOT_PERMITTED: { description: "The caller may not set this value." },
    INVALID_CHARACTERS: { description: "The text contains a NUL character (U+0000) or an unpaired UTF-16 surrogate, which cannot be stored." },
  } satisfies Record<(typeof FIELD_ERROR_CODES)[number], { description: string }>,
});

export const ErrorInterface = builder.interfaceRef<AppError>("Error").implement({
  description: "An expected failure of a mutation, returned as a member of its payload union.",
  fields: (t) => ({
    message: t.exposeString("message", { description: "Human-readable explanation." }),
    code: t.field({ type: ErrorCodeEnum, description: "Machine-readable kind of error.", resolve: (error) => error.code }),
  }),
});

const FieldErrorRef = builder.objectRef<FieldError>("FieldError").implement({
  description: "One problem with one input field.",
  fields: (t) => ({
    path: t.exposeStringList("path", { description: 'Path of the field in the input, e.g. ["input", "e164"].' }),
    message: t.exposeString("message", { description: "What is wrong and how to fix it." }),
    code: t.expose("code", { type: FieldErrorCodeEnum, description: "Machine-readable reason." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "The input was refused. Every problem found is listed at once in fieldErrors.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    fieldErrors: t.field({ type: [FieldErrorRef], description: "Every field problem found.", resolve: (error) => error.fieldErrors }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "The object does not exist in the caller's organization.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    id: t.exposeID("id", { description: "The id that was not found." }),
  }),
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  description: "The change conflicts with existing state (for example, a number already in use).",
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

builder.objectType(NumberReleasedError, {
  name: "NumberReleasedError",
  description: "The phone number was released; release is irreversible and the number can no longer change.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    e164: t.exposeString("e164", { description: "The released number." }),
    releasedAt: t.expose("releasedAt", { type: "DateTime", description: "When it was released." }),
  }),
});

export const CarrierErrorReasonRef = builder.enumType("CarrierErrorReason", {
  description: "Why the carrier could not do what was asked.",
  values: {
    TIMEOUT: { description: "The carrier did not answer in time; it may have acted (retry with the same idempotency key)." },
    UNAVAILABLE: { description: "The carrier is failing or unreachable; nothing happened. Try again later." },
    REJECTED: { description: "The carrier refused, e.g. the number is no longer available." },
    NOT_FOUND: { description: "The carrier does not know the object." },
    NO_NUMBERS_AVAILABLE: { description: "No number matches the request." },
  } satisfies Record<(typeof CARRIER_ERROR_REASONS)[number], { description: string }>,
});

builder.objectType(CarrierError, {
  name: "CarrierError",
  description: "The carrier could not do what was asked. Nothing was bought or released unless the payload says so.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    reason: t.expose("reason", { type: CarrierErrorReasonRef, description: "Why." }),
    carrier: t.exposeString("carrier", { description: "The carrier that answered (sandbox or telnyx)." }),
    retryable: t.exposeBoolean("retryable", { description: "Whether trying again later may succeed." }),
  }),
});

// VerificationRequiredError is defined with the verification types it names (src/verification/schema.ts).

builder.objectType(RecipientOptedOutError, {
  name: "RecipientOptedOutError",
  description: "The recipient texted STOP to this number; nothing is sent to them until they text START.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    recipient: t.exposeString("recipient", { description: "The recipient, in E.164." }),
    optedOutAt: t.expose("optedOutAt", { type: "DateTime", description: "When they opted out." }),
  }),
});
