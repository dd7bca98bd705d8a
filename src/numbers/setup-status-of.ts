import { computeSetupStatus, type SetupStatus, type VerificationStatus } from "../domain/setup-status.ts";
import type { PhoneNumber } from "../generated/prisma/client.ts";
import { trunkView } from "./trunks.ts";

/** The setup status of a stored number (with its agent's status) under the organization's verification. */
export function setupStatusOf(
  number: PhoneNumber & { agent: { status: "ACTIVE" | "PAUSED" } | null },
  verificationStatus: VerificationStatus,
): SetupStatus {
  return computeSetupStatus({
    ...number,
    agent: number.agent,
    inboundTrunk: trunkView(number, "inbound"),
    outboundTrunk: trunkView(number, "outbound"),
    verificationStatus,
  });
}
