import type { SmsRequirement } from "./errors.ts";

/**
 * Pure messaging rules: the 10DLC gate of US outbound SMS and the opt-out keywords carriers require
 * (CTIA: STOP and its synonyms opt out, START opts back in, HELP gets the sender's help text).
 */

const STOP_WORDS = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]);
const START_WORDS = new Set(["START", "UNSTOP", "YES", "OPTIN"]);
const HELP_WORDS = new Set(["HELP", "INFO"]);

export type Keyword = { kind: "STOP" | "START" | "HELP"; word: string };

/** The keyword a message is, if its whole text (trimmed, any case, trailing punctuation ignored) is one. */
export function keywordOf(body: string): Keyword | undefined {
  const word = body.trim().replace(/[.!]+$/, "").replace(/[\s-]/g, "").toUpperCase();
  if (STOP_WORDS.has(word)) return { kind: "STOP", word };
  if (START_WORDS.has(word)) return { kind: "START", word };
  if (HELP_WORDS.has(word)) return { kind: "HELP", word };
  return undefined;
}

/** The automatic answer to a keyword. */
export function optOutReply(kind: Keyword["kind"], organization: { name: string; smsHelpText: string | null }): string {
  if (kind === "STOP") return `${organization.name}: you are unsubscribed and will receive no more messages. Reply START to resubscribe.`;
  if (kind === "START") return `${organization.name}: you are resubscribed. Reply STOP to unsubscribe, HELP for help.`;
  return organization.smsHelpText ?? `${organization.name}: reply STOP to unsubscribe. Msg & data rates may apply.`;
}

/** What a US number still needs before it may send: an approved verification and an ASSIGNED campaign. */
export function smsRequirementsMissing(verificationStatus: string, smsCampaignStatus: string | null): SmsRequirement[] {
  const missing: SmsRequirement[] = [];
  if (verificationStatus !== "APPROVED") missing.push("VERIFICATION_APPROVED");
  if (smsCampaignStatus !== "ASSIGNED") missing.push("CAMPAIGN_ASSIGNED");
  return missing;
}
