import { parseE164 } from "../../src/domain/e164.ts";

/**
 * Test phone numbers that cannot collide: a live E.164 is unique across every organization of the
 * one shared test database, and test files run against it side by side. Each call returns a new,
 * valid (libphonenumber-js "max" metadata) US number with random exchange and subscriber digits,
 * never one returned before in this process. Fixed numbers such as +14155550100 are for tests that
 * own them; these stay clear of the 555 exchange.
 */
const AREA_CODES = ["201", "212", "312", "415", "617", "646", "713", "818"] as const;
const issued = new Set<string>();

const digit = (from = 0) => String(from + Math.floor(Math.random() * (10 - from)));

/**
 * A fresh valid E.164 number. `prefix` fixes its start (e.g. "+1415" for a San Francisco number, or
 * "+1415734" to pin the exchange too, so that several numbers share a searchable digit run); the
 * rest is random. Without a prefix the area code is one of a few busy US ones.
 */
export function uniqueE164(prefix?: string): string {
  const start = prefix ?? `+1${AREA_CODES[Math.floor(Math.random() * AREA_CODES.length)]}`;
  if (!/^\+1\d{3,9}$/.test(start)) throw new Error(`uniqueE164: prefix must be "+1" and 3 to 9 digits, got ${start}`);
  for (let attempt = 0; attempt < 1000; attempt++) {
    let candidate = start;
    // The exchange and the subscriber number start with 2-9 (and avoid 555, mostly fictional).
    while (candidate.length < 12) candidate += digit(candidate.length === 5 || candidate.length === 8 ? 2 : 0);
    if (candidate.slice(5, 8) === "555" && !start.startsWith(candidate.slice(0, 8))) continue;
    if (issued.has(candidate)) continue;
    const parsed = parseE164(candidate);
    if (!parsed.ok || parsed.e164 !== candidate) continue;
    issued.add(candidate);
    return candidate;
  }
  throw new Error(`uniqueE164: no valid unused number starts with ${start}`);
}
