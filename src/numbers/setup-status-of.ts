import { computeSetupStatus, type SetupStatus, type VerificationStatus } from "../domain/setup-status.ts";
import type { PhoneNumber } from "../generated/prisma/client.ts";

/** The setup status of a stored number (with its agent's status) under the organization's verification. */
export function setupStatusOf(
  number: PhoneNumber & { agent: { status: "ACTIVE" | "PAUSED" } | null },
  verificationStatus: VerificationStatus,
): SetupStatus {
  const trunk = (side: "inbound" | "outbound") => ({
    addresses: side === "inbound" ? number.inboundTrunkAddresses : number.outboundTrunkAddresses,
    allowedSourceIps: side === "inbound" ? number.inboundTrunkAllowedSourceIps : number.outboundTrunkAllowedSourceIps,
    authUsername: side === "inbound" ? number.inboundTrunkAuthUsername : number.outboundTrunkAuthUsername,
    hasPassword: Boolean(side === "inbound" ? number.inboundTrunkAuthPassword : number.outboundTrunkAuthPassword),
  });
  return computeSetupStatus({
    ...number,
    agent: number.agent,
    inboundTrunk: trunk("inbound"),
    outboundTrunk: { ...trunk("outbound"), ipAuthentication: number.outboundTrunkIpAuthentication },
    verificationStatus,
  });
}
