/**
 * Toll-free numbers and their SMS verification: which numbers are toll-free, the per-field rules of
 * the verification's input and what a submission needs to be complete. The state machine and the
 * reviewer's decision are the 10DLC verification's (./verification.ts). Pure functions, no I/O.
 */
import { z } from "zod";
import type { FieldError } from "./errors.ts";
import { isTollFree, TOLL_FREE_AREA_CODES } from "./number-type.ts";
import { issueCode } from "./validation.ts";
import {
  addressFields,
  applyFields,
  emailCheck,
  emptyAddress,
  phoneCheck,
  SMS_USE_CASES,
  text,
  usAddressProblems,
  valueAt,
  websiteCheck,
  type BusinessAddress,
  type SmsUseCase,
} from "./verification.ts";


/**
 * Whether SMS from this number needs the organization's toll-free verification instead of 10DLC:
 * a US toll-free number. Read from the E.164, so it holds for rows of any age (PhoneNumber.numberType
 * says the same for numbers stored since it exists).
 */
export function needsTollFreeVerification(number: { e164: string; country: string }): boolean {
  return number.country === "US" && isTollFree(number.e164);
}

/** The "+1NPA" prefixes of US toll-free numbers, so a database query can narrow to them (or leave them out) exactly. */
export const US_TOLL_FREE_PREFIXES: readonly string[] = TOLL_FREE_AREA_CODES.map((areaCode) => `+1${areaCode}`);

// ---- Details ---------------------------------------------------------------------------------

export const MAX_SAMPLE_MESSAGES = 5;
export const MAX_SAMPLE_MESSAGE_LENGTH = 1024;
export const MAX_OPT_IN_IMAGES = 5;

export interface TollFreeBusiness {
  name: string | null;
  website: string | null;
  address: BusinessAddress;
}

export interface TollFreeContact {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
}

/** What a toll-free submission holds besides its status, numbers and times. Absent values are null (drafts are partial). */
export interface TollFreeVerificationDetails {
  business: TollFreeBusiness;
  contact: TollFreeContact;
  useCase: SmsUseCase | null;
  useCaseSummary: string | null;
  sampleMessages: string[];
  optInDescription: string | null;
  optInImageUrls: string[];
  expectedMonthlyVolume: number | null;
  additionalInformation: string | null;
}

export const emptyTollFreeDetails = (): TollFreeVerificationDetails => ({
  business: { name: null, website: null, address: emptyAddress() },
  contact: { firstName: null, lastName: null, email: null, phone: null },
  useCase: null,
  useCaseSummary: null,
  sampleMessages: [],
  optInDescription: null,
  optInImageUrls: [],
  expectedMonthlyVolume: null,
  additionalInformation: null,
});

// ---- Field rules -----------------------------------------------------------------------------

/** A list that replaces the stored one as a whole; null or [] clears it. */
const list = (max: number, item: z.ZodType<string>, what: string) =>
  z
    .array(item)
    .max(max, `At most ${max} ${what}`)
    .nullish()
    .transform((items) => items ?? []);

const sampleMessage = z
  .string()
  .max(MAX_SAMPLE_MESSAGE_LENGTH, `At most ${MAX_SAMPLE_MESSAGE_LENGTH} characters`)
  .transform((raw, ctx) => {
    const value = raw.trim();
    if (!value) {
      ctx.addIssue({ code: "custom", message: "A sample message cannot be blank", params: issueCode("REQUIRED") });
      return z.NEVER;
    }
    return value;
  });

const httpsUrl = z
  .string()
  .max(2048, "At most 2048 characters")
  .transform((raw, ctx) => {
    const value = raw.trim();
    try {
      const url = new URL(value);
      if (url.protocol === "https:" && /^[^.]+(\.[^.]+)+$/.test(url.hostname)) return url.toString();
    } catch {
      // Reported below like any other malformed address.
    }
    ctx.addIssue({ code: "custom", message: "Must be an https:// address of an image", params: issueCode("INVALID_FORMAT") });
    return z.NEVER;
  });

const businessFields = { name: text(200), website: text(255, websiteCheck) };
const contactFields = { firstName: text(100), lastName: text(100), email: text(254, emailCheck), phone: text(20, phoneCheck) };
const messagingFields = {
  useCase: z.enum(SMS_USE_CASES).nullish(),
  useCaseSummary: text(1000),
  sampleMessages: list(MAX_SAMPLE_MESSAGES, sampleMessage, "sample messages"),
  optInDescription: text(2000),
  optInImageUrls: list(MAX_OPT_IN_IMAGES, httpsUrl, "images"),
  expectedMonthlyVolume: z.number().int().min(1, "At least 1 message a month").max(10_000_000, "At most 10,000,000 messages a month").nullish(),
  additionalInformation: text(1000),
};

/**
 * saveTollFreeVerificationDraft's and submitTollFreeVerification's input: omitted (or null) groups
 * stay as they are; a null or blank field clears it; a given list replaces the stored one.
 */
export const TollFreeVerificationInput = z.object({
  business: z.object({ ...businessFields, address: z.object(addressFields).nullish() }).nullish(),
  contact: z.object(contactFields).nullish(),
  ...messagingFields,
});
export type TollFreeVerificationInput = z.input<typeof TollFreeVerificationInput>;

/** The fields a submission must have, as input paths below "input" (street2, images and additional information are optional). */
const REQUIRED: ReadonlyArray<readonly string[]> = [
  ["business", "name"],
  ["business", "website"],
  ["business", "address", "street"],
  ["business", "address", "city"],
  ["business", "address", "region"],
  ["business", "address", "postalCode"],
  ["business", "address", "country"],
  ["contact", "firstName"],
  ["contact", "lastName"],
  ["contact", "email"],
  ["contact", "phone"],
  ["useCase"],
  ["useCaseSummary"],
  ["sampleMessages"],
  ["optInDescription"],
  ["expectedMonthlyVolume"],
];

/** Applies a draft's input to the stored details; each given field is validated on its own and every problem reported at once. */
export function applyTollFreeDraftInput(
  base: TollFreeVerificationDetails,
  input: TollFreeVerificationInput,
  root: string[] = ["input"],
): { details: TollFreeVerificationDetails; problems: FieldError[] } {
  const details = structuredClone(base);
  const problems: FieldError[] = [];
  const record = (value: object) => value as Record<string, unknown>;
  applyFields(record(details.business), input.business as Record<string, unknown> | null, businessFields, [...root, "business"], problems);
  applyFields(record(details.business.address), input.business?.address, addressFields, [...root, "business", "address"], problems);
  applyFields(record(details.contact), input.contact, contactFields, [...root, "contact"], problems);
  // The list fields come back as [] when cleared; applyFields stores what the schema gives.
  applyFields(record(details), input as Record<string, unknown>, messagingFields, root, problems);
  const invalid = new Set(problems.map((problem) => problem.path.join(".")));
  problems.push(...usAddressProblems(details.business.address, [...root, "business", "address"], invalid));
  return { details, problems };
}

/** Applies a submission's input and checks that the result is complete: every malformed and every missing field at once. */
export function applyTollFreeSubmissionInput(
  base: TollFreeVerificationDetails,
  input: TollFreeVerificationInput,
  root: string[] = ["input"],
): { details: TollFreeVerificationDetails; problems: FieldError[] } {
  const { details, problems } = applyTollFreeDraftInput(base, input, root);
  const invalid = new Set(problems.map((problem) => problem.path.join(".")));
  for (const path of REQUIRED) {
    const full = [...root, ...path];
    const value = valueAt(details, path);
    const missing = value == null || (Array.isArray(value) && value.length === 0);
    if (missing && !invalid.has(full.join("."))) {
      problems.push({ path: full, code: "REQUIRED", message: path[0] === "sampleMessages" ? "Give at least one sample message" : "Required to submit the verification" });
    }
  }
  return { details, problems };
}
