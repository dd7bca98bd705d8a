import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { CA_POSTAL, normaliseCaPostalCode, US_ZIP } from "./regions.ts";

/**
 * What kind of number a phone number is, and the pure rules around searching by it: toll-free
 * area codes, vanity letters on the phone keypad, postal codes in a search (regions: ./regions.ts).
 * No I/O: the search service, both carriers and the number import use these.
 */

export const PHONE_NUMBER_TYPES = ["LOCAL", "TOLL_FREE", "MOBILE"] as const;
export type PhoneNumberType = (typeof PHONE_NUMBER_TYPES)[number];

/** The NANP toll-free area codes (800, 833, 844, 855, 866, 877, 888): they imply TOLL_FREE. */
export const TOLL_FREE_AREA_CODES = ["800", "833", "844", "855", "866", "877", "888"] as const;

export function isTollFreeAreaCode(areaCode: string): boolean {
  return (TOLL_FREE_AREA_CODES as readonly string[]).includes(areaCode);
}

/**
 * The type of an E.164 number from its numbering plan (libphonenumber's metadata): TOLL_FREE and
 * MOBILE where the plan says so, LOCAL otherwise. NANP numbers (US, CA) are never MOBILE here:
 * their plan does not tell mobile from fixed lines (FIXED_LINE_OR_MOBILE), so they count as LOCAL.
 * Used for numbers Switchboard did not buy (SIP trunk, manual) and for carrier results that do not
 * say their type.
 */
export function numberTypeOf(e164: string): PhoneNumberType {
  // NANP (+1 and ten digits): the area code alone decides, without parsing (list pages ask per row).
  if (e164.length === 12 && e164.startsWith("+1")) return isTollFreeAreaCode(e164.slice(2, 5)) ? "TOLL_FREE" : "LOCAL";
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return "LOCAL";
  if (parsed.countryCallingCode === "1" && isTollFreeAreaCode(parsed.nationalNumber.slice(0, 3))) return "TOLL_FREE";
  const type = parsed.getType();
  if (type === "TOLL_FREE") return "TOLL_FREE";
  if (type === "MOBILE") return "MOBILE";
  return "LOCAL";
}

/** Whether an E.164 number is toll-free (+1 800, 833, 844, 855, 866, 877, 888, and what libphonenumber's metadata says elsewhere). */
export function isTollFree(e164: string): boolean {
  return numberTypeOf(e164) === "TOLL_FREE";
}

/** The phone keypad: ABC on 2 ... WXYZ on 9. */
const KEYPAD: Record<string, string> = {};
for (const [digit, letters] of Object.entries({ 2: "ABC", 3: "DEF", 4: "GHI", 5: "JKL", 6: "MNO", 7: "PQRS", 8: "TUV", 9: "WXYZ" })) {
  for (const letter of letters) KEYPAD[letter] = digit;
}

/**
 * A vanity pattern as keypad digits: "FLOWERS" -> "3569377", "1-800-FLOWERS" is refused (only
 * letters and digits). Undefined when the text holds anything else.
 */
export function keypadDigits(text: string): string | undefined {
  if (!/^[0-9A-Za-z]*$/.test(text)) return undefined;
  return [...text.toUpperCase()].map((c) => KEYPAD[c] ?? c).join("");
}

const POSTAL_FORMATS: Record<string, { pattern: RegExp; example: string }> = {
  US: { pattern: US_ZIP, example: "94103" },
  CA: { pattern: CA_POSTAL, example: "M5V 2T6" },
};

/**
 * A postal code normalised for its country (ZIP+4 cut to the 5-digit ZIP, Canadian codes upper
 * case with one space), or a reason it is not one of the country's.
 */
export function normalizePostalCode(country: string, postalCode: string): { ok: true; value: string } | { ok: false; message: string } {
  const format = POSTAL_FORMATS[country];
  if (!format) return { ok: false, message: `Postal code search covers US and CA numbers only, not ${country}` };
  const text = postalCode.trim().toUpperCase();
  if (!format.pattern.test(text)) {
    const other = Object.entries(POSTAL_FORMATS).find(([code, f]) => code !== country && f.pattern.test(text));
    return {
      ok: false,
      message: other ? `Looks like a ${other[0]} postal code, not a ${country} one (set country: ${other[0]})` : `Not a ${country} postal code, e.g. ${format.example}`,
    };
  }
  if (country === "US") return { ok: true, value: text.slice(0, 5) };
  return { ok: true, value: normaliseCaPostalCode(text) };
}
