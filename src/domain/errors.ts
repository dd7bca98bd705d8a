import type { SmsCampaignStatus, VerificationStatus } from "./setup-status.ts";
import type { VerificationAction } from "./verification.ts";

/**
 * Expected failures of use cases. Services throw them; the schema turns each into a member of the
 * mutation's result union (plugin-errors), so clients get typed errors rather than GraphQL errors.
 */

export const ERROR_CODES = [
  "VALIDATION_FAILED",
  "NOT_FOUND",
  "CONFLICT",
  "NUMBER_RELEASED",
  "CARRIER_ERROR",
  "VERIFICATION_REQUIRED",
  "INVALID_TRANSITION",
  "OPTED_OUT",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const FIELD_ERROR_CODES = [
  "REQUIRED",
  "INVALID_E164",
  "OUT_OF_RANGE",
  "TOO_LONG",
  "TOO_SHORT",
  "INVALID_FORMAT",
  "INVALID_VALUE",
  "INVALID_ID",
  "NOT_FOUND",
  "NOT_PERMITTED",
  "INVALID_CHARACTERS",
] as const;
export type FieldErrorCode = (typeof FIELD_ERROR_CODES)[number];

export interface FieldError {
  path: string[];
  message: string;
  code: FieldErrorCode;
}

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
}

export class ValidationError extends AppError {
  readonly code = "VALIDATION_FAILED" as const;
  constructor(readonly fieldErrors: FieldError[]) {
    super(
      fieldErrors.length === 1
        ? `Invalid input: ${fieldErrors[0]!.path.join(".")}: ${fieldErrors[0]!.message}`
        : `Invalid input: ${fieldErrors.length} problems`,
    );
    this.name = "ValidationError";
  }
}

export class NotFoundError extends AppError {
  readonly code = "NOT_FOUND" as const;
  constructor(what: string, readonly id: string) {
    super(`${what} ${id} was not found`);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends AppError {
  readonly code = "CONFLICT" as const;
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

export class NumberReleasedError extends AppError {
  readonly code = "NUMBER_RELEASED" as const;
  constructor(
    readonly e164: string,
    readonly releasedAt: Date,
  ) {
    super(`${e164} was released on ${releasedAt.toISOString()} and can no longer be changed`);
    this.name = "NumberReleasedError";
  }
}

/** A verification was asked to move in a way its state machine does not allow (e.g. approving a draft). */
export class VerificationTransitionError extends AppError {
  readonly code = "INVALID_TRANSITION" as const;
  constructor(
    readonly currentStatus: VerificationStatus,
    readonly action: VerificationAction,
    readonly allowedFrom: readonly VerificationStatus[],
  ) {
    super(
      `The verification is ${currentStatus}; ${action.toLowerCase().replace("_", " ")} is allowed only when it is ${allowedFrom.join(" or ")}`,
    );
    this.name = "VerificationTransitionError";
  }
}

export const CARRIER_ERROR_REASONS = ["TIMEOUT", "UNAVAILABLE", "REJECTED", "NOT_FOUND", "NO_NUMBERS_AVAILABLE"] as const;
export type CarrierErrorReason = (typeof CARRIER_ERROR_REASONS)[number];

/** The carrier could not do what was asked; `retryable` says whether trying again later may work. */
export class CarrierError extends AppError {
  readonly code = "CARRIER_ERROR" as const;
  constructor(
    readonly reason: CarrierErrorReason,
    message: string,
    readonly carrier: string,
  ) {
    super(message);
    this.name = "CarrierError";
  }

  get retryable(): boolean {
    return this.reason === "TIMEOUT" || this.reason === "UNAVAILABLE";
  }
}

/** What a US number still needs before it may send SMS: 10DLC's two steps for local numbers, or the toll-free verification. */
export type SmsRequirement = "VERIFICATION_APPROVED" | "CAMPAIGN_ASSIGNED" | "TOLL_FREE_VERIFICATION_APPROVED";

/** The verification a US number's SMS need: 10DLC for local numbers, toll-free verification for toll-free ones. */
export type SmsVerification = "TEN_DLC" | "TOLL_FREE";

const REQUIREMENT_TEXT: Record<SmsRequirement, (status: VerificationStatus) => string> = {
  VERIFICATION_APPROVED: (status) => `the organization's 10DLC verification is approved (it is ${status})`,
  CAMPAIGN_ASSIGNED: () => "the number is assigned to a 10DLC campaign",
  TOLL_FREE_VERIFICATION_APPROVED: (status) => `the organization's toll-free verification is approved (it is ${status})`,
};

/**
 * Outbound SMS from a US number needs the organization's verification (`verification` names which)
 * approved and, for 10DLC, the number on a campaign.
 */
export class VerificationRequiredError extends AppError {
  readonly code = "VERIFICATION_REQUIRED" as const;
  constructor(
    readonly verification: SmsVerification,
    readonly missing: SmsRequirement[],
    /** The status of the named verification (MISSING without one). */
    readonly verificationStatus: VerificationStatus,
    /** The number's 10DLC campaign assignment; always null for toll-free numbers. */
    readonly smsCampaignStatus: SmsCampaignStatus | null,
  ) {
    super(`${verification === "TOLL_FREE" ? "US toll-free numbers" : "US numbers"} send SMS only once ${missing.map((m) => REQUIREMENT_TEXT[m](verificationStatus)).join(" and ")}`);
    this.name = "VerificationRequiredError";
  }
}

/** The recipient texted STOP to this number; nothing is sent until they text START. */
export class RecipientOptedOutError extends AppError {
  readonly code = "OPTED_OUT" as const;
  constructor(
    readonly recipient: string,
    readonly optedOutAt: Date,
  ) {
    super(`${recipient} opted out of messages from this number on ${optedOutAt.toISOString()}`);
    this.name = "RecipientOptedOutError";
  }
}
