/**
 * Emergency (E911) addresses: what a valid one is, and when a number needs one. Pure rules, no I/O.
 *
 * Switchboard registers emergency addresses in the two countries whose carriers require them for
 * numbers that place calls (US: FCC, Kari's Law / RAY BAUM'S Act; CA: CRTC): the address must be
 * complete enough for the carrier's validation (street, city, a 2-letter state or province, a
 * postal code in the country's format), and carries the name emergency services see.
 */
import { z } from "zod";
import { isTollFree } from "./number-type.ts";
import { CA_POSTAL, CA_REGIONS, normaliseCaPostalCode, US_REGIONS, US_ZIP } from "./regions.ts";
import { issueCode } from "./validation.ts";

export const EMERGENCY_COUNTRIES = ["US", "CA"] as const;
export type EmergencyCountry = (typeof EMERGENCY_COUNTRIES)[number];


/** Free text of an address line: trimmed, required, bounded (Telnyx's fields are short). */
const required = () => z.string({ error: "Required" });
const line = (max: number) => required().trim().min(1, "Required").max(max, `At most ${max} characters`);

/** The parts of an address, each checked on its own; the country-dependent checks follow in `emergencyAddressSchema`. */
const parts = z.object({
  callerName: line(100),
  street: line(100),
  unit: z
    .string()
    .trim()
    .max(50, "At most 50 characters")
    .nullish()
    .transform((unit) => unit || null),
  city: line(100),
  region: required().trim().min(1, "Required").transform((region) => region.toUpperCase()),
  postalCode: required().trim().min(1, "Required"),
  country: required().trim().min(1, "Required").transform((country) => country.toUpperCase()),
});

export type EmergencyAddressParts = z.output<typeof parts>;


/** The input as clients send it: every part text (or absent); what is wrong is found by the checks below, all at once. */
const raw = z.object({
  callerName: z.string().nullish(),
  street: z.string().nullish(),
  unit: z.string().nullish(),
  city: z.string().nullish(),
  region: z.string().nullish(),
  postalCode: z.string().nullish(),
  country: z.string().nullish(),
});

/**
 * A whole address: every part required but the unit, the country US or CA, the region a 2-letter
 * code of that country, the postal code in its format (US ZIP 12345 or 12345-6789; CA A1A 1A1,
 * normalised to upper case with one space). Every problem is reported, each with its field's path
 * (["postalCode"], ...), including the country-dependent ones when another part is missing.
 */
export const emergencyAddressSchema = raw.transform((input, ctx) => {
  const parsed = parts.safeParse(input);
  if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, params: issue.code === "custom" ? issue.params : undefined } as never);
  const country = input.country?.trim().toUpperCase() ?? "";
  const region = input.region?.trim().toUpperCase() ?? "";
  let postalCode = input.postalCode?.trim() ?? "";
  let ok = parsed.success;
  if (country && !(EMERGENCY_COUNTRIES as readonly string[]).includes(country)) {
    ctx.addIssue({
      code: "custom",
      path: ["country"],
      message: `Emergency addresses are registered in the US and Canada only (US or CA), not ${country}`,
      params: issueCode("INVALID_VALUE"),
    });
    return z.NEVER;
  }
  if (!country) return z.NEVER;
  const regions = country === "US" ? US_REGIONS : CA_REGIONS;
  if (region && !regions.has(region)) {
    ok = false;
    ctx.addIssue({
      code: "custom",
      path: ["region"],
      message: country === "US" ? "A two-letter US state code, e.g. CA or NY" : "A two-letter Canadian province or territory code, e.g. ON or QC",
      params: issueCode("INVALID_VALUE"),
    });
  }
  if (postalCode && country === "US" && !US_ZIP.test(postalCode)) {
    ok = false;
    ctx.addIssue({ code: "custom", path: ["postalCode"], message: "A US ZIP code: 12345 or 12345-6789", params: issueCode("INVALID_FORMAT") });
  }
  if (postalCode && country === "CA") {
    postalCode = normaliseCaPostalCode(postalCode);
    if (!CA_POSTAL.test(postalCode)) {
      ok = false;
      ctx.addIssue({ code: "custom", path: ["postalCode"], message: "A Canadian postal code: A1A 1A1", params: issueCode("INVALID_FORMAT") });
    }
  }
  return ok && parsed.success ? { ...parsed.data, postalCode, country: country as EmergencyCountry } : z.NEVER;
});

export type EmergencyAddressValue = z.output<typeof emergencyAddressSchema>;

/**
 * Whether a number needs an active emergency registration before it is outbound-ready: it can place
 * voice calls (voice-capable, direction allows outbound) in the US or Canada, and it is not toll-free
 * (carriers do not register E911 on toll-free numbers: they have no location of their own).
 */
export function needsEmergencyAddress(number: { e164: string; country: string; voiceCapable: boolean; outbound: boolean }): boolean {
  if (!number.voiceCapable || !number.outbound) return false;
  if (number.country !== "US" && number.country !== "CA") return false;
  return !isTollFree(number.e164);
}
