/**
 * The 10DLC business verification: its state machine, the per-field rules of its input, what a
 * submission needs to be complete, and the prefill built from what an organization already gave.
 * Pure functions, no I/O (design.md, "Verification").
 */
import { getCountries } from "libphonenumber-js/max";
import { z } from "zod";
import { parseE164 } from "./e164.ts";
import type { FieldError, FieldErrorCode } from "./errors.ts";
import type { VerificationStatus } from "./setup-status.ts";
import { US_REGIONS, US_ZIP } from "./regions.ts";
import { fieldErrorsFrom, issueCode } from "./validation.ts";

export type SubmissionStatus = Exclude<VerificationStatus, "MISSING">;
export type VerificationAction = "SAVE_DRAFT" | "SUBMIT" | "APPROVE" | "REJECT";

// The same values as Prisma's BusinessEntityType and SmsUseCase (test/inputs.test.ts checks it).
export const ENTITY_TYPES = ["PRIVATE_PROFIT", "PUBLIC_PROFIT", "NON_PROFIT", "GOVERNMENT", "SOLE_PROPRIETOR"] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
export const SMS_USE_CASES = [
  "TWO_FACTOR_AUTHENTICATION",
  "ACCOUNT_NOTIFICATION",
  "CUSTOMER_CARE",
  "DELIVERY_NOTIFICATION",
  "FRAUD_ALERT",
  "MARKETING",
  "MIXED",
  "LOW_VOLUME_MIXED",
] as const;
export type SmsUseCase = (typeof SMS_USE_CASES)[number];

// ---- State machine ---------------------------------------------------------------------------

/**
 * DRAFT -> SUBMITTED -> APPROVED or REJECTED. Saving or submitting with no submission yet, or after
 * a rejection, starts a new submission (a rejected one stays as history). APPROVED is final.
 */
export const TRANSITIONS: Record<VerificationAction, { from: readonly VerificationStatus[]; to: SubmissionStatus }> = {
  SAVE_DRAFT: { from: ["MISSING", "DRAFT", "REJECTED"], to: "DRAFT" },
  SUBMIT: { from: ["MISSING", "DRAFT", "REJECTED"], to: "SUBMITTED" },
  APPROVE: { from: ["SUBMITTED"], to: "APPROVED" },
  REJECT: { from: ["SUBMITTED"], to: "REJECTED" },
};

export type Transition =
  | { ok: true; to: SubmissionStatus; newSubmission: boolean }
  | { ok: false; allowedFrom: readonly VerificationStatus[] };

export function transition(from: VerificationStatus, action: VerificationAction): Transition {
  const rule = TRANSITIONS[action];
  if (!rule.from.includes(from)) return { ok: false, allowedFrom: rule.from };
  return { ok: true, to: rule.to, newSubmission: from === "MISSING" || from === "REJECTED" };
}

// ---- Details ---------------------------------------------------------------------------------

export interface BusinessAddress {
  street: string | null;
  street2: string | null;
  city: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
}

export interface BusinessProfile {
  legalName: string | null;
  displayName: string | null;
  entityType: EntityType | null;
  country: string | null;
  registrationId: string | null;
  website: string | null;
  address: BusinessAddress;
  useCase: SmsUseCase | null;
  expectedMonthlyVolume: number | null;
}

export interface AuthorizedRepresentative {
  name: string | null;
  title: string | null;
  email: string | null;
  phone: string | null;
}

/** What a submission holds besides its status and times. Absent values are null (drafts are partial). */
export interface VerificationDetails {
  businessProfile: BusinessProfile;
  authorizedRepresentative: AuthorizedRepresentative;
  attestationAccepted: boolean;
}

export const emptyAddress = (): BusinessAddress => ({ street: null, street2: null, city: null, region: null, postalCode: null, country: null });
export const emptyDetails = (): VerificationDetails => ({
  businessProfile: {
    legalName: null,
    displayName: null,
    entityType: null,
    country: null,
    registrationId: null,
    website: null,
    address: emptyAddress(),
    useCase: null,
    expectedMonthlyVolume: null,
  },
  authorizedRepresentative: { name: null, title: null, email: null, phone: null },
  attestationAccepted: false,
});

// ---- Field rules -----------------------------------------------------------------------------

const COUNTRIES = new Set<string>(getCountries());

export type Check = (value: string) => { value: string } | { code: FieldErrorCode; message: string };

/** Trimmed text of at most `max` characters; blank means "clear it" (null). */
export const text = (max: number, check?: Check) =>
  z
    .string()
    .max(max, `At most ${max} characters`)
    .transform((raw, ctx) => {
      const value = raw.trim();
      if (!value) return null;
      if (!check) return value;
      const checked = check(value);
      if ("code" in checked) {
        ctx.addIssue({ code: "custom", message: checked.message, params: issueCode(checked.code) });
        return z.NEVER;
      }
      return checked.value;
    })
    .nullish();

const countryCheck: Check = (value) =>
  COUNTRIES.has(value.toUpperCase())
    ? { value: value.toUpperCase() }
    : { code: "INVALID_VALUE", message: "Unknown country: use an ISO 3166-1 alpha-2 code such as US" };

export const websiteCheck: Check = (value) => {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  try {
    const url = new URL(withScheme);
    if ((url.protocol === "http:" || url.protocol === "https:") && /^[^.]+(\.[^.]+)+$/.test(url.hostname)) return { value: withScheme };
  } catch {
    // Reported below like any other malformed address.
  }
  return { code: "INVALID_FORMAT", message: "Must be a website address such as https://example.com" };
};

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export const emailCheck: Check = (value) => (EMAIL.test(value) ? { value } : { code: "INVALID_FORMAT", message: "Must be an email address" });

export const phoneCheck: Check = (value) => {
  const parsed = parseE164(value);
  return parsed.ok ? { value: parsed.e164 } : { code: "INVALID_E164", message: parsed.message };
};

export const addressFields = {
  street: text(200),
  street2: text(200),
  city: text(100),
  region: text(100),
  postalCode: text(20),
  country: text(10, countryCheck),
};
const businessFields = {
  legalName: text(200),
  displayName: text(100),
  entityType: z.enum(ENTITY_TYPES).nullish(),
  country: text(10, countryCheck),
  registrationId: text(50),
  website: text(255, websiteCheck),
  useCase: z.enum(SMS_USE_CASES).nullish(),
  expectedMonthlyVolume: z.number().int().min(1, "At least 1 message a month").max(10_000_000, "At most 10,000,000 messages a month").nullish(),
};
const representativeFields = {
  name: text(100),
  title: text(100),
  email: text(254, emailCheck),
  phone: text(20, phoneCheck),
};

/**
 * saveVerificationDraft's and submitVerification's input: omitted (or null) groups stay as they
 * are; a null or blank field clears it. Each given field is checked on its own (applyDraftInput).
 */
export const VerificationInput = z.object({
  businessProfile: z.object({ ...businessFields, address: z.object(addressFields).nullish() }).nullish(),
  authorizedRepresentative: z.object(representativeFields).nullish(),
  attestationAccepted: z.boolean().nullish(),
});
export type VerificationInput = z.input<typeof VerificationInput>;

/** The fields a submission must have, as input paths below "input" (street2 and website are optional). */
const REQUIRED: ReadonlyArray<readonly string[]> = [
  ["businessProfile", "legalName"],
  ["businessProfile", "displayName"],
  ["businessProfile", "entityType"],
  ["businessProfile", "country"],
  ["businessProfile", "registrationId"],
  ["businessProfile", "address", "street"],
  ["businessProfile", "address", "city"],
  ["businessProfile", "address", "region"],
  ["businessProfile", "address", "postalCode"],
  ["businessProfile", "address", "country"],
  ["businessProfile", "useCase"],
  ["businessProfile", "expectedMonthlyVolume"],
  ["authorizedRepresentative", "name"],
  ["authorizedRepresentative", "title"],
  ["authorizedRepresentative", "email"],
  ["authorizedRepresentative", "phone"],
];

export function valueAt(details: object, path: readonly string[]): unknown {
  let value: unknown = details;
  for (const key of path) value = (value as Record<string, unknown> | null)?.[key];
  return value;
}

/** Validates each given field on its own and applies the valid ones to `base`; every problem is returned. */
export function applyFields(
  target: Record<string, unknown>,
  given: Record<string, unknown> | null | undefined,
  fields: Record<string, z.ZodType>,
  path: string[],
  problems: FieldError[],
): void {
  if (!given) return;
  for (const [key, schema] of Object.entries(fields)) {
    if (given[key] === undefined) continue;
    const result = schema.safeParse(given[key]);
    if (result.success) target[key] = result.data ?? null;
    else problems.push(...fieldErrorsFrom(result.error, [...path, key]));
  }
}

/** Rules between fields (US registration ids are EINs, US addresses have a state and a ZIP code), on the merged details. */
function crossFieldProblems(details: VerificationDetails, root: string[], invalid: Set<string>): FieldError[] {
  const problems: FieldError[] = [];
  const profile = details.businessProfile;
  const at = (...path: string[]) => [...root, ...path];
  const skip = (...path: string[]) => invalid.has(at(...path).join("."));
  if (profile.country === "US" && profile.registrationId && !skip("businessProfile", "registrationId")) {
    const digits = profile.registrationId.replace(/[\s-]/g, "");
    if (/^\d{9}$/.test(digits)) profile.registrationId = `${digits.slice(0, 2)}-${digits.slice(2)}`;
    else problems.push({ path: at("businessProfile", "registrationId"), code: "INVALID_FORMAT", message: "A US business registers with its EIN: 9 digits such as 12-3456789" });
  }
  problems.push(...usAddressProblems(profile.address, at("businessProfile", "address"), invalid));
  return problems;
}

/**
 * A US address has a state code (normalised to upper case, in place) and a ZIP code; fields already
 * reported invalid (their paths, joined with ".", in `invalid`) are skipped.
 */
export function usAddressProblems(address: BusinessAddress, path: string[], invalid: Set<string>): FieldError[] {
  const problems: FieldError[] = [];
  if (address.country !== "US") return problems;
  const skip = (key: string) => invalid.has([...path, key].join("."));
  if (address.region && !skip("region")) {
    if (US_REGIONS.has(address.region.toUpperCase())) address.region = address.region.toUpperCase();
    else problems.push({ path: [...path, "region"], code: "INVALID_VALUE", message: "Must be a US state code such as CA" });
  }
  if (address.postalCode && !skip("postalCode") && !US_ZIP.test(address.postalCode)) {
    problems.push({ path: [...path, "postalCode"], code: "INVALID_FORMAT", message: "Must be a ZIP code such as 94105 or 94105-1234" });
  }
  return problems;
}

/**
 * Applies a draft's input to the stored details: each given field is validated on its own, and
 * every problem is reported at once. Missing fields are fine in a draft.
 */
export function applyDraftInput(base: VerificationDetails, input: VerificationInput, root: string[] = ["input"]): { details: VerificationDetails; problems: FieldError[] } {
  const details: VerificationDetails = structuredClone(base);
  const problems: FieldError[] = [];
  const business = input.businessProfile;
  applyFields(details.businessProfile as unknown as Record<string, unknown>, business as Record<string, unknown> | null, businessFields, [...root, "businessProfile"], problems);
  applyFields(details.businessProfile.address as unknown as Record<string, unknown>, business?.address, addressFields, [...root, "businessProfile", "address"], problems);
  applyFields(details.authorizedRepresentative as unknown as Record<string, unknown>, input.authorizedRepresentative, representativeFields, [...root, "authorizedRepresentative"], problems);
  if (input.attestationAccepted != null) details.attestationAccepted = input.attestationAccepted;
  const invalid = new Set(problems.map((problem) => problem.path.join(".")));
  problems.push(...crossFieldProblems(details, root, invalid));
  return { details, problems };
}

/**
 * Applies a submission's input to the stored details and checks that the result is complete: every
 * malformed field and every missing one (REQUIRED, at the input path where it belongs) at once.
 */
export function applySubmissionInput(base: VerificationDetails, input: VerificationInput, root: string[] = ["input"]): { details: VerificationDetails; problems: FieldError[] } {
  const { details, problems } = applyDraftInput(base, input, root);
  const invalid = new Set(problems.map((problem) => problem.path.join(".")));
  for (const path of REQUIRED) {
    const full = [...root, ...path];
    if (valueAt(details, path) == null && !invalid.has(full.join("."))) {
      problems.push({ path: full, code: "REQUIRED", message: "Required to submit the verification" });
    }
  }
  if (!details.attestationAccepted) {
    problems.push({ path: [...root, "attestationAccepted"], code: "REQUIRED", message: "Accept the attestation to submit the verification" });
  }
  return { details, problems };
}

/** Checks a reviewer's decision: a rejection needs a reason; an approval takes none. */
export function decisionProblems(decision: "APPROVE" | "REJECT", rejectionReason: string | null | undefined, root: string[] = ["input"]): FieldError[] {
  const reason = rejectionReason?.trim() ?? "";
  if (decision === "REJECT" && !reason) return [{ path: [...root, "rejectionReason"], code: "REQUIRED", message: "Say why the verification is rejected" }];
  if (decision === "REJECT" && reason.length > 1000) return [{ path: [...root, "rejectionReason"], code: "TOO_LONG", message: "At most 1000 characters" }];
  if (decision === "APPROVE" && reason) return [{ path: [...root, "rejectionReason"], code: "INVALID_VALUE", message: "Only a rejection has a reason" }];
  return [];
}

// ---- Prefill ---------------------------------------------------------------------------------

export type PrefillSource = "CURRENT_SUBMISSION" | "EARLIER_SUBMISSION" | "ORGANIZATION_PROFILE";

export interface Prefill {
  businessProfile: BusinessProfile;
  authorizedRepresentative: AuthorizedRepresentative;
  /** The sources that gave at least one field, in order of precedence. */
  sources: PrefillSource[];
}

/**
 * What a form should start with: field by field, the first source that has a value. Sources come in
 * order of precedence (the current submission, then the latest earlier one, then the organization's
 * profile). The attestation is never prefilled: it is given anew for every submission.
 */
export function buildPrefill(sources: ReadonlyArray<{ source: PrefillSource; details: VerificationDetails }>): Prefill {
  const prefill = emptyDetails();
  const used = new Set<PrefillSource>();
  const fill = (target: Record<string, unknown>, source: PrefillSource, from: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(from)) {
      if (value && typeof value === "object") continue;
      if (target[key] == null && value != null) {
        target[key] = value;
        used.add(source);
      }
    }
  };
  for (const { source, details } of sources) {
    fill(prefill.businessProfile as unknown as Record<string, unknown>, source, details.businessProfile as unknown as Record<string, unknown>);
    fill(prefill.businessProfile.address as unknown as Record<string, unknown>, source, details.businessProfile.address as unknown as Record<string, unknown>);
    fill(prefill.authorizedRepresentative as unknown as Record<string, unknown>, source, details.authorizedRepresentative as unknown as Record<string, unknown>);
  }
  return {
    businessProfile: prefill.businessProfile,
    authorizedRepresentative: prefill.authorizedRepresentative,
    sources: sources.map((s) => s.source).filter((source) => used.has(source)),
  };
}

/** The organization's profile as verification details: its name is the first guess at the business names. */
export function detailsFromOrganization(organization: { name: string }): VerificationDetails {
  const details = emptyDetails();
  details.businessProfile.legalName = organization.name;
  details.businessProfile.displayName = organization.name;
  return details;
}
