/**
 * A number's voice settings beyond routing: its caller ID name (CNAM) and its fallback (failover
 * routing). Pure rules: what a valid value is, and whether a number's setting is configured at its
 * carrier or only stored. No I/O.
 */

/** Where a voice setting stands at the carrier (Prisma's VoiceSettingStatus). */
export type VoiceSettingStatus = "PENDING" | "ACTIVE" | "FAILED" | "STORED";

/**
 * Caller ID names as Telnyx takes them (PATCH /v2/phone_numbers/{id}/voice, `cnam_listing_details`:
 * "alphanumeric characters or spaces with a maximum length of 15"). Other carriers accept a few
 * punctuation marks too (Twilio: periods and commas); a name Switchboard accepts must register at
 * the carrier it is sent to, so the strictest documented rule is the rule.
 */
export const CALLER_ID_NAME_MAX = 15;
export const CALLER_ID_NAME_CHARACTERS = /^[A-Za-z0-9 ]+$/;
export const CALLER_ID_NAME_RULE = `At most ${CALLER_ID_NAME_MAX} characters: letters A-Z, digits and spaces (what carriers accept for a CNAM listing)`;

/** The name as stored: trimmed, inner runs of spaces made one. Undefined when it breaks the rule. */
export function normalizeCallerIdName(value: string): { ok: true; name: string } | { ok: false; message: string; code: "TOO_LONG" | "INVALID_CHARACTERS" | "REQUIRED" } {
  const name = value.trim().replace(/ {2,}/g, " ");
  if (name.length === 0) return { ok: false, code: "REQUIRED", message: "Must not be empty (null clears the name)" };
  if (name.length > CALLER_ID_NAME_MAX) return { ok: false, code: "TOO_LONG", message: `${CALLER_ID_NAME_RULE}; this one has ${name.length}` };
  if (!CALLER_ID_NAME_CHARACTERS.test(name)) {
    const bad = [...new Set([...name].filter((c) => !/[A-Za-z0-9 ]/.test(c)))].join(" ");
    return { ok: false, code: "INVALID_CHARACTERS", message: `${CALLER_ID_NAME_RULE}; not allowed: ${bad}` };
  }
  return { ok: true, name };
}

/** Bounds of the time an unanswered call rings before it goes to the fallback. */
export const FALLBACK_TIMEOUT_MIN = 5;
export const FALLBACK_TIMEOUT_MAX = 60;
export const FALLBACK_TIMEOUT_DEFAULT = 20;

/**
 * A SIP URI fallback: `sip:` or `sips:`, a user part (RFC 3261 unreserved characters and the usual
 * escapes), `@`, a host name, IPv4 or bracketed IPv6 address, an optional port and an optional
 * transport parameter.
 */
const SIP_URI = /^sips?:[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+@(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(?:;transport=(?:udp|tcp|tls))?$/i;

export function checkSipUri(value: string): { ok: true; uri: string } | { ok: false; message: string } {
  const uri = value.trim();
  const match = SIP_URI.exec(uri);
  const port = match?.[1] === undefined ? undefined : Number(match[1]);
  if (!match || uri.length > 255 || (port !== undefined && (port < 1 || port > 65535))) {
    return { ok: false, message: "Must be a SIP URI: sip: or sips:, user@host, an optional :port (1-65535) and ;transport=udp|tcp|tls, e.g. sip:frontdesk@pbx.example.com:5060" };
  }
  return { ok: true, uri };
}

/** The number columns these rules read. */
export interface VoiceSettingsTarget {
  source: "MANAGED" | "SIP_TRUNK" | "MANUAL";
  country: string;
}

/**
 * Whether a caller ID name is registered at the carrier: CNAM listing exists for US numbers, and
 * only a MANAGED number's carrier account is Switchboard's to configure. Otherwise it is stored
 * and returned with this reason.
 */
export function callerIdNameAtCarrier(number: VoiceSettingsTarget): { atCarrier: true } | { atCarrier: false; reason: string } {
  if (number.source !== "MANAGED") return { atCarrier: false, reason: "Stored only: CNAM listing is registered at the carrier for MANAGED US numbers; this number's carrier is the customer's to configure." };
  if (number.country !== "US") return { atCarrier: false, reason: `Stored only: CNAM listing is registered for US numbers; this number is in ${number.country}.` };
  return { atCarrier: true };
}

/**
 * Whether a fallback is configured at the carrier (Telnyx call forwarding, `on-failure`): for a
 * MANAGED number, every change (a clear turns carrier forwarding off).
 */
export function fallbackAtCarrier(number: VoiceSettingsTarget): boolean {
  return number.source === "MANAGED";
}

/**
 * Why a SIP URI cannot be this number's fallback, if it cannot: a MANAGED number's fallback is
 * carrier call forwarding, and Telnyx forwards only to E.164 numbers (`forwards_to`).
 */
export function sipUriFallbackRefusal(number: VoiceSettingsTarget): string | undefined {
  return number.source === "MANAGED" ? "A MANAGED number's fallback is carrier call forwarding, which takes a phone number (forwardTo), not a SIP URI" : undefined;
}

/** The status and reason of a fallback once its carrier step (if any) is done. */
export function settledFallbackStatus(
  number: VoiceSettingsTarget,
  fallback: { forwardTo: string | null; sipUri: string | null },
): { status: VoiceSettingStatus | null; reason: string | null } {
  if (!fallback.forwardTo && !fallback.sipUri) return { status: null, reason: null };
  if (number.source !== "MANAGED") {
    return { status: "STORED", reason: "Stored only: calls to this number arrive through the customer's own carrier or trunk, which must apply the fallback (read it from the API); Switchboard configures no carrier for it." };
  }
  return { status: "ACTIVE", reason: null };
}

/**
 * The carrier forwarding type a MANAGED number's fallback needs: every call while the agent is
 * paused or missing (nobody would answer), only the calls the agent's connection does not take
 * while it is ACTIVE.
 */
export function forwardingTypeFor(agent: { status: "ACTIVE" | "PAUSED" } | null): "always" | "on-failure" {
  return agent?.status === "ACTIVE" ? "on-failure" : "always";
}

/** Whether a fallback in this state takes calls (for setup status): configured, and not refused or still waiting on the carrier. */
export function fallbackUsable(status: VoiceSettingStatus | null | undefined): boolean {
  return status === "ACTIVE" || status === "STORED";
}
