/**
 * A phone number's setup status: whether it can really take and place calls and send SMS, and
 * what to fix when it cannot. A pure function of the number, its agent, its trunks, the
 * organization's 10DLC and toll-free verifications and its billing state (design.md, "Setup status rules").
 */

import { needsEmergencyAddress } from "./emergency-address.ts";
import type { NumberStatus } from "./lifecycle.ts";
import { needsTollFreeVerification } from "./toll-free.ts";
import type { TrunkColumns } from "./trunks.ts";
import { fallbackUsable, type VoiceSettingStatus } from "./voice-settings.ts";

// The same values as Prisma's enums of the same names (test/inputs.test.ts checks it); the domain
// does not import the database layer.
export type { NumberStatus };
export type NumberSource = "MANAGED" | "SIP_TRUNK" | "MANUAL";
export type NumberDirection = "INBOUND" | "OUTBOUND" | "BOTH";
/** The organization's verification status: its current submission's, or MISSING without one. */
export type VerificationStatus = "MISSING" | "DRAFT" | "SUBMITTED" | "APPROVED" | "REJECTED";
export type SmsCampaignStatus = "PENDING" | "ASSIGNED" | "FAILED";
/** A number's emergency (E911) registration; null when no address is set. */
export type EmergencyRegistrationStatus = "PENDING" | "ACTIVE" | "FAILED" | "STORED";

/** The organization's two SMS verifications, each its current submission's status: 10DLC (local US numbers) and toll-free. */
export interface OrganizationVerificationStatuses {
  tenDlc: VerificationStatus;
  tollFree: VerificationStatus;
}

export const SETUP_STATUSES = ["READY", "PENDING", "ACTION_REQUIRED", "SUSPENDED", "RELEASED"] as const;
export type OverallSetupStatus = (typeof SETUP_STATUSES)[number];

export const SETUP_ISSUE_CODES = [
  "NO_AGENT",
  "AGENT_PAUSED",
  "INBOUND_TRUNK_INCOMPLETE",
  "OUTBOUND_TRUNK_INCOMPLETE",
  "FORWARDING_NOT_CONFIRMED",
  "SMS_NOT_CAPABLE",
  "SMS_VERIFICATION_REQUIRED",
  "SMS_CAMPAIGN_NOT_ASSIGNED",
  "TOLL_FREE_VERIFICATION_REQUIRED",
  "PROVISIONING_FAILED",
  "SUSPENDED_FOR_NONPAYMENT",
  "FALLBACK_NOT_CONFIGURED",
  "EMERGENCY_ADDRESS_MISSING",
] as const;
export type SetupIssueCode = (typeof SETUP_ISSUE_CODES)[number];

export interface SetupIssue {
  code: SetupIssueCode;
  message: string;
  /** The field to fix, as a path into the phone number (e.g. "outboundTrunk.addresses"). */
  field: string;
}

/**
 * Where an inbound call goes first: the agent (ACTIVE; the fallback, if any, takes what it does not
 * answer in time), the fallback (the agent is paused or missing), or nowhere ready.
 */
export const INBOUND_ROUTES = ["AGENT", "FALLBACK", "NONE"] as const;
export type InboundRoute = (typeof INBOUND_ROUTES)[number];

export interface SetupStatus {
  status: OverallSetupStatus;
  inboundRoute: InboundRoute;
  inboundReady: boolean;
  outboundReady: boolean;
  agentReady: boolean;
  smsReady: boolean;
  forwardingRequired: boolean;
  sipConnectionReady: boolean;
  issues: SetupIssue[];
}

/** One side of a SIP trunk as setup status reads it: which settings are set, not their values (a password never). */
export interface TrunkState {
  /** At least one SIP server address is set. */
  hasAddresses: boolean;
  /** At least one source IP address is allowed. */
  hasAllowedSourceIps: boolean;
  hasAuthUsername: boolean;
  hasPassword: boolean;
}

export interface SetupStatusInput {
  status: NumberStatus;
  source: NumberSource;
  direction: NumberDirection;
  /**
   * E.164: whether the number is toll-free decides which SMS verification it needs and, with
   * country and direction, whether it needs an emergency address (src/domain/emergency-address.ts).
   */
  e164: string;
  country: string;
  smsCapable: boolean;
  voiceCapable: boolean;
  /** An emergency address is set (its registration's status is `emergencyStatus`). */
  hasEmergencyAddress: boolean;
  emergencyStatus: EmergencyRegistrationStatus | null;
  emergencyFailureReason: string | null;
  suspendedAt: Date | null;
  /** A MANUAL number's owner confirmed forwarding its calls to Switchboard. */
  forwardingConfirmed: boolean;
  agent: { status: "ACTIVE" | "PAUSED" } | null;
  inboundTrunk: TrunkState;
  outboundTrunk: TrunkState & { ipAuthentication: boolean };
  smsCampaignStatus: SmsCampaignStatus | null;
  /** The organization's 10DLC verification status. */
  verificationStatus: VerificationStatus;
  /** The number's fallback (failover routing), if one is set, with its carrier status. */
  fallback?: { status: VoiceSettingStatus | null; statusReason: string | null } | null;
  /** The organization's toll-free verification status. */
  tollFreeVerificationStatus: VerificationStatus;
}

export const allowsInbound = (direction: NumberDirection) => direction !== "OUTBOUND";
export const allowsOutbound = (direction: NumberDirection) => direction !== "INBOUND";

const hasCredentials = (trunk: TrunkState) => trunk.hasAuthUsername && trunk.hasPassword;

function trunkIssues(input: SetupStatusInput): SetupIssue[] {
  const issues: SetupIssue[] = [];
  if (allowsInbound(input.direction) && !input.inboundTrunk.hasAllowedSourceIps && !hasCredentials(input.inboundTrunk)) {
    issues.push({
      code: "INBOUND_TRUNK_INCOMPLETE",
      message: "The inbound trunk needs allowed source IP addresses or an auth username and password.",
      field: "inboundTrunk.allowedSourceIps",
    });
  }
  if (allowsOutbound(input.direction)) {
    const outbound = input.outboundTrunk;
    if (!outbound.hasAddresses) {
      issues.push({
        code: "OUTBOUND_TRUNK_INCOMPLETE",
        message: "The outbound trunk needs the address of the SIP server that places calls.",
        field: "outboundTrunk.addresses",
      });
    }
    if (!outbound.ipAuthentication && !hasCredentials(outbound)) {
      issues.push({
        code: "OUTBOUND_TRUNK_INCOMPLETE",
        message: "The outbound trunk needs an auth username and password, or IP authentication.",
        field: outbound.hasAuthUsername ? "outboundTrunk.authPassword" : "outboundTrunk.authUsername",
      });
    }
  }
  return issues;
}

/**
 * A US or Canadian number that places calls needs an ACTIVE emergency registration (STORED for a
 * number whose own carrier routes its emergency calls); null when it has one or needs none.
 */
function emergencyIssue(input: SetupStatusInput): SetupIssue | null {
  if (!needsEmergencyAddress({ e164: input.e164, country: input.country, voiceCapable: input.voiceCapable, outbound: allowsOutbound(input.direction) })) return null;
  if (input.hasEmergencyAddress && (input.emergencyStatus === "ACTIVE" || input.emergencyStatus === "STORED")) return null;
  const field = "emergencyAddress";
  const code = "EMERGENCY_ADDRESS_MISSING";
  if (!input.hasEmergencyAddress) {
    return { code, field, message: `Set an emergency address: ${input.country === "CA" ? "Canadian" : "US"} numbers that place calls need one registered for 911 calls.` };
  }
  if (input.emergencyStatus === "FAILED") {
    return { code, field, message: `The carrier refused the emergency address: ${input.emergencyFailureReason ?? "no reason given"}. Correct the address or set another one.` };
  }
  return { code, field, message: "The emergency address is being registered with the carrier; outbound calls are ready once it is active." };
}

function smsIssues(input: SetupStatusInput): SetupIssue[] {
  if (!input.smsCapable) {
    return [{ code: "SMS_NOT_CAPABLE", message: "This number cannot send or receive SMS.", field: "capabilities.sms" }];
  }
  if (input.country !== "US") return [];
  // A US toll-free number texts under the toll-free verification; 10DLC (and its campaigns) is for local numbers.
  if (needsTollFreeVerification(input)) {
    if (input.tollFreeVerificationStatus === "APPROVED") return [];
    return [
      {
        code: "TOLL_FREE_VERIFICATION_REQUIRED",
        message: "US carriers require an approved toll-free verification before this toll-free number sends SMS.",
        field: "tollFreeVerification",
      },
    ];
  }
  const issues: SetupIssue[] = [];
  if (input.verificationStatus !== "APPROVED") {
    issues.push({
      code: "SMS_VERIFICATION_REQUIRED",
      message: "US carriers require an approved 10DLC business verification before this number sends SMS.",
      field: "verification",
    });
  }
  if (input.smsCampaignStatus !== "ASSIGNED") {
    issues.push({
      code: "SMS_CAMPAIGN_NOT_ASSIGNED",
      message: "The number is not yet assigned to an approved 10DLC SMS campaign.",
      field: "smsCampaign",
    });
  }
  return issues;
}

export function computeSetupStatus(input: SetupStatusInput): SetupStatus {
  // Released for good: nothing is ready and nothing is left to fix.
  if (input.status === "RELEASED") {
    return { status: "RELEASED", inboundRoute: "NONE", inboundReady: false, outboundReady: false, agentReady: false, smsReady: false, forwardingRequired: false, sipConnectionReady: false, issues: [] };
  }
  // Being released at the carrier: out of service, nothing to fix, waiting on the carrier.
  if (input.status === "RELEASING") {
    return { status: "PENDING", inboundRoute: "NONE", inboundReady: false, outboundReady: false, agentReady: false, smsReady: false, forwardingRequired: false, sipConnectionReady: false, issues: [] };
  }
  const issues: SetupIssue[] = [];
  const active = input.status === "ACTIVE";
  const inbound = allowsInbound(input.direction);
  const outbound = allowsOutbound(input.direction);

  if (input.status === "FAILED") {
    issues.push({ code: "PROVISIONING_FAILED", message: "The carrier order for this number failed.", field: "status" });
  }
  if (input.status === "SUSPENDED" || input.suspendedAt) {
    const since = input.suspendedAt ? ` since ${input.suspendedAt.toISOString()}` : "";
    issues.push({
      code: "SUSPENDED_FOR_NONPAYMENT",
      message: `Suspended${since}: a charge of this number stayed unpaid past the grace period. It is back in service once the charge is paid (update the payment method) or an admin reactivates it.`,
      field: "billing.suspendedAt",
    });
  }

  const agentReady = input.agent?.status === "ACTIVE";
  // A usable fallback takes the calls a paused or missing agent would leave unanswered.
  const fallback = input.fallback ?? null;
  const fallbackTakesCalls = inbound && !agentReady && fallbackUsable(fallback?.status);
  if (inbound && !input.agent && !fallbackTakesCalls) {
    issues.push({ code: "NO_AGENT", message: "Assign an agent to answer calls to this number (or set a fallback).", field: "agent" });
  } else if (inbound && input.agent?.status === "PAUSED" && !fallbackTakesCalls) {
    issues.push({ code: "AGENT_PAUSED", message: "The assigned agent is paused and will not answer calls (a fallback would take them).", field: "agent.status" });
  }
  if (inbound && fallback?.status === "FAILED") {
    issues.push({
      code: "FALLBACK_NOT_CONFIGURED",
      message: `The carrier refused the fallback, so unanswered calls do not reach it${fallback.statusReason ? `: ${fallback.statusReason}` : "."}`,
      field: "fallback",
    });
  }

  let sipConnectionReady: boolean;
  if (input.source === "MANAGED") {
    sipConnectionReady = active;
  } else if (input.source === "SIP_TRUNK") {
    const incomplete = trunkIssues(input);
    issues.push(...incomplete);
    sipConnectionReady = incomplete.length === 0;
  } else {
    sipConnectionReady = true;
  }

  const forwardingRequired = input.source === "MANUAL" && !input.forwardingConfirmed;
  if (forwardingRequired && inbound) {
    issues.push({
      code: "FORWARDING_NOT_CONFIRMED",
      message: "Forward calls from this number to Switchboard, then confirm the forwarding.",
      field: "forwardingConfirmedAt",
    });
  }

  // A failed order has nothing to register; its one issue says so.
  const emergency = input.status === "FAILED" ? null : emergencyIssue(input);
  if (emergency) issues.push(emergency);

  const inboundReady = inbound && active && sipConnectionReady && !forwardingRequired && (agentReady || fallbackTakesCalls);
  const inboundRoute: InboundRoute = !inboundReady ? "NONE" : agentReady ? "AGENT" : "FALLBACK";
  const outboundReady = outbound && active && sipConnectionReady && !emergency;

  const sms = smsIssues(input);
  issues.push(...sms);
  const smsReady = active && sms.length === 0;

  let status: OverallSetupStatus;
  if (input.status === "SUSPENDED" || input.suspendedAt) status = "SUSPENDED";
  else if (input.status === "PENDING") status = "PENDING";
  else if ((!inbound || inboundReady) && (!outbound || outboundReady) && active) status = "READY";
  else status = "ACTION_REQUIRED";

  return { status, inboundRoute, inboundReady, outboundReady, agentReady, smsReady, forwardingRequired, sipConnectionReady, issues };
}

/** A stored number's row as setup status reads it: its columns, its agent's status and its trunks. */
export type StoredNumber = Omit<
  SetupStatusInput,
  "agent" | "inboundTrunk" | "outboundTrunk" | "verificationStatus" | "tollFreeVerificationStatus" | "fallback" | "hasEmergencyAddress" | "forwardingConfirmed"
> &
  TrunkColumns & { agent: { status: "ACTIVE" | "PAUSED" } | null } & {
    emergencyAddressId: string | null;
    forwardingConfirmedAt: Date | null;
    /** The fallback columns (absent in rows read before they existed: no fallback). */
    fallbackForwardTo?: string | null;
    fallbackSipUri?: string | null;
    fallbackStatus?: VoiceSettingStatus | null;
    fallbackStatusReason?: string | null;
  };

/** The setup status of a stored number (with its agent's status) under the organization's verifications. */
export function setupStatusOf(number: StoredNumber, verifications: OrganizationVerificationStatuses): SetupStatus {
  // The fields it reads, named: a list page computes this for every row.
  return computeSetupStatus({
    status: number.status,
    source: number.source,
    direction: number.direction,
    e164: number.e164,
    country: number.country,
    smsCapable: number.smsCapable,
    voiceCapable: number.voiceCapable,
    hasEmergencyAddress: number.emergencyAddressId !== null,
    emergencyStatus: number.emergencyStatus,
    emergencyFailureReason: number.emergencyFailureReason,
    suspendedAt: number.suspendedAt,
    forwardingConfirmed: number.forwardingConfirmedAt !== null,
    agent: number.agent,
    inboundTrunk: {
      hasAddresses: number.inboundTrunkAddresses.length > 0,
      hasAllowedSourceIps: number.inboundTrunkAllowedSourceIps.length > 0,
      hasAuthUsername: Boolean(number.inboundTrunkAuthUsername),
      hasPassword: Boolean(number.inboundTrunkAuthPassword),
    },
    outboundTrunk: {
      hasAddresses: number.outboundTrunkAddresses.length > 0,
      hasAllowedSourceIps: number.outboundTrunkAllowedSourceIps.length > 0,
      hasAuthUsername: Boolean(number.outboundTrunkAuthUsername),
      hasPassword: Boolean(number.outboundTrunkAuthPassword),
      ipAuthentication: number.outboundTrunkIpAuthentication,
    },
    smsCampaignStatus: number.smsCampaignStatus,
    verificationStatus: verifications.tenDlc,
    tollFreeVerificationStatus: verifications.tollFree,
    fallback: number.fallbackForwardTo || number.fallbackSipUri ? { status: number.fallbackStatus ?? null, statusReason: number.fallbackStatusReason ?? null } : null,
  });
}
