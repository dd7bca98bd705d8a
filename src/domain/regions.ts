/**
 * US and Canadian regions and postal codes: the one list and format that addresses (10DLC and
 * toll-free verification, emergency addresses) and number search check against. Pure, no I/O.
 */

/** The 50 states, DC and the inhabited territories, as USPS codes. */
export const US_REGIONS: ReadonlySet<string> = new Set(
  ("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY " +
    "DC PR GU VI AS MP").split(" "),
);
/** Provinces and territories, as Canada Post codes. */
export const CA_REGIONS: ReadonlySet<string> = new Set("AB BC MB NB NL NS NT NU ON PE QC SK YT".split(" "));

/** The region codes of a country, or undefined where Switchboard has no list. */
export function regionsOf(country: string): ReadonlySet<string> | undefined {
  if (country === "US") return US_REGIONS;
  if (country === "CA") return CA_REGIONS;
  return undefined;
}

/** A US ZIP code: 12345 or ZIP+4 12345-6789. */
export const US_ZIP = /^\d{5}(-\d{4})?$/;
/** Canada Post: letter digit letter, an optional space, digit letter digit (D, F, I, O, Q, U never appear; W and Z never first). */
export const CA_POSTAL = /^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$/;

/** A Canadian postal code written as Canada Post does (upper case, one space: "k1a0a9" -> "K1A 0A9"); other text upper-cased. */
export function normaliseCaPostalCode(value: string): string {
  const compact = value.toUpperCase().replace(/[\s-]+/g, "");
  return compact.length === 6 ? `${compact.slice(0, 3)} ${compact.slice(3)}` : value.toUpperCase();
}
