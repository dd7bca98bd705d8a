import type { EmergencyRegistrationStatus, NumberDirection, NumberSource, NumberStatus, OrganizationVerificationStatuses, SetupStatusInput, SmsCampaignStatus } from "../domain/setup-status.ts";
import type { VoiceSettingStatus } from "../domain/voice-settings.ts";
import type { NumberColumn } from "./page-query.ts";

/**
 * What a compiled read (src/numbers/compiled-read.ts) asks PostgreSQL for to compute a number's
 * setup status: the columns the rules read as they are, and every yes/no input as one bit of a
 * single integer, `setup.flags`. Whether a trunk list or password is set is all the rules ask, so
 * no list is parsed and no secret leaves the database for a status; one integer instead of a dozen
 * values keeps a wide page cheap to send and to read. setupStatusOf is the same mapping from a whole
 * row (the executor's path); test/compiled-reads.test.ts checks both paths answer alike for numbers
 * of every kind.
 */
export const SETUP_STATUS_COLUMNS = [
  "status",
  "source",
  "direction",
  "e164",
  "country",
  "emergencyStatus",
  "emergencyFailureReason",
  "suspendedAt",
  "smsCampaignStatus",
  "fallbackStatus",
  "fallbackStatusReason",
] as const satisfies readonly NumberColumn[];

export type SetupColumn = (typeof SETUP_STATUS_COLUMNS)[number];

/** The yes/no inputs, bit i of `setup.flags` being FLAGS[i], each as SQL over the number's row `p`. */
const FLAGS = [
  ["smsCapable", `p."smsCapable"`],
  ["voiceCapable", `p."voiceCapable"`],
  ["emergencyAddress", `p."emergencyAddressId" IS NOT NULL`],
  ["forwardingConfirmed", `p."forwardingConfirmedAt" IS NOT NULL`],
  ["inboundAddresses", `cardinality(p."inboundTrunkAddresses") > 0`],
  ["inboundAllowedSourceIps", `cardinality(p."inboundTrunkAllowedSourceIps") > 0`],
  ["inboundAuthUsername", `p."inboundTrunkAuthUsername" <> ''`],
  ["inboundPassword", `p."inboundTrunkAuthPassword" <> ''`],
  ["outboundAddresses", `cardinality(p."outboundTrunkAddresses") > 0`],
  ["outboundAllowedSourceIps", `cardinality(p."outboundTrunkAllowedSourceIps") > 0`],
  ["outboundAuthUsername", `p."outboundTrunkAuthUsername" <> ''`],
  ["outboundPassword", `p."outboundTrunkAuthPassword" <> ''`],
  ["outboundIpAuthentication", `p."outboundTrunkIpAuthentication"`],
  ["fallback", `p."fallbackForwardTo" <> '' OR p."fallbackSipUri" <> ''`],
] as const;

type Flag = (typeof FLAGS)[number][0];
const BIT = Object.fromEntries(FLAGS.map(([name], i) => [name, 1 << i])) as Record<Flag, number>;

/** The expression of `setup.flags` (a NULL input is a clear bit, as an unset value is "no"). */
export const SETUP_STATUS_FLAGS: readonly [alias: string, sql: string] = ["setup.flags", FLAGS.map(([, sql], i) => `CASE WHEN ${sql} THEN ${1 << i} ELSE 0 END`).join(" | ")];

/** A `timestamp(3)` as the compiled reader receives it (UTC text without a zone) made a Date. */
const utcDate = (value: unknown) => (value == null ? null : new Date(`${value as string}Z`));

/**
 * The setup status input of one row of a compiled read: `column` holds where each of
 * SETUP_STATUS_COLUMNS sits in the row, `flags` is its `setup.flags`, with its agent's status (null:
 * no agent) and the organization's verifications. Called for every row of a page: no closures.
 */
export function setupInputOf(
  row: readonly unknown[],
  column: Readonly<Record<SetupColumn, { readonly index: number }>>,
  flags: number,
  agentStatus: "ACTIVE" | "PAUSED" | null,
  verifications: OrganizationVerificationStatuses,
): SetupStatusInput {
  return {
    status: row[column.status.index] as NumberStatus,
    source: row[column.source.index] as NumberSource,
    direction: row[column.direction.index] as NumberDirection,
    e164: row[column.e164.index] as string,
    country: row[column.country.index] as string,
    smsCapable: (flags & BIT.smsCapable) !== 0,
    voiceCapable: (flags & BIT.voiceCapable) !== 0,
    hasEmergencyAddress: (flags & BIT.emergencyAddress) !== 0,
    emergencyStatus: row[column.emergencyStatus.index] as EmergencyRegistrationStatus | null,
    emergencyFailureReason: row[column.emergencyFailureReason.index] as string | null,
    suspendedAt: utcDate(row[column.suspendedAt.index]),
    forwardingConfirmed: (flags & BIT.forwardingConfirmed) !== 0,
    smsCampaignStatus: row[column.smsCampaignStatus.index] as SmsCampaignStatus | null,
    inboundTrunk: {
      hasAddresses: (flags & BIT.inboundAddresses) !== 0,
      hasAllowedSourceIps: (flags & BIT.inboundAllowedSourceIps) !== 0,
      hasAuthUsername: (flags & BIT.inboundAuthUsername) !== 0,
      hasPassword: (flags & BIT.inboundPassword) !== 0,
    },
    outboundTrunk: {
      hasAddresses: (flags & BIT.outboundAddresses) !== 0,
      hasAllowedSourceIps: (flags & BIT.outboundAllowedSourceIps) !== 0,
      hasAuthUsername: (flags & BIT.outboundAuthUsername) !== 0,
      hasPassword: (flags & BIT.outboundPassword) !== 0,
      ipAuthentication: (flags & BIT.outboundIpAuthentication) !== 0,
    },
    fallback: (flags & BIT.fallback) !== 0 ? { status: row[column.fallbackStatus.index] as VoiceSettingStatus | null, statusReason: row[column.fallbackStatusReason.index] as string | null } : null,
    agent: agentStatus === null ? null : { status: agentStatus },
    verificationStatus: verifications.tenDlc,
    tollFreeVerificationStatus: verifications.tollFree,
  };
}
