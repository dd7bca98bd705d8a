import { parsePhoneNumberFromString } from "libphonenumber-js/max";

export type E164Result =
  | { ok: true; e164: string; country: string }
  | { ok: false; message: string };

/**
 * Parses a phone number typed by a person ("+1 (415) 555-0100") into E.164 ("+14155550100") and
 * its ISO country. The number must carry its country code and be a valid number of that country.
 */
export function parseE164(input: string): E164Result {
  const trimmed = input.trim();
  if (!trimmed.startsWith("+")) {
    return { ok: false, message: "Must be in international format with the country code, e.g. +14155550100" };
  }
  const parsed = parsePhoneNumberFromString(trimmed);
  if (!parsed || !parsed.isValid() || !parsed.country) {
    return { ok: false, message: `"${input}" is not a valid phone number` };
  }
  return { ok: true, e164: parsed.number, country: parsed.country };
}

/** Digits of a search text, for matching E.164 numbers written with or without "+" and punctuation. */
export function digitsOf(text: string): string {
  return text.replace(/\D/g, "");
}
