import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { computeSetupStatus, type SetupIssueCode, type SetupStatus, type SetupStatusInput, type TrunkState } from "../src/domain/setup-status.ts";

// Unit tests of the pure setup-status rules (design.md, "Setup status rules").

const emptyTrunk: TrunkState = { hasAddresses: false, hasAllowedSourceIps: false, hasAuthUsername: false, hasPassword: false };

/** A MANUAL, ACTIVE, BOTH-direction US number, voice only, forwarding confirmed, with an ACTIVE agent and an ACTIVE emergency address: READY. */
function input(overrides: Partial<SetupStatusInput> = {}): SetupStatusInput {
  return {
    status: "ACTIVE",
    source: "MANUAL",
    direction: "BOTH",
    e164: "+14155550100",
    country: "US",
    voiceCapable: true,
    hasEmergencyAddress: true,
    emergencyStatus: "ACTIVE",
    emergencyFailureReason: null,
    smsCapable: false,
    suspendedAt: null,
    forwardingConfirmed: true,
    agent: { status: "ACTIVE" },
    inboundTrunk: emptyTrunk,
    outboundTrunk: { ...emptyTrunk, ipAuthentication: false },
    smsCampaignStatus: null,
    verificationStatus: "MISSING",
    tollFreeVerificationStatus: "MISSING",
    ...overrides,
  };
}

/** A SIP_TRUNK number whose trunks are complete for both directions. */
function sipInput(overrides: Partial<SetupStatusInput> = {}): SetupStatusInput {
  return input({
    source: "SIP_TRUNK",
    forwardingConfirmed: false,
    inboundTrunk: { ...emptyTrunk, hasAllowedSourceIps: true },
    outboundTrunk: { hasAddresses: true, hasAllowedSourceIps: false, hasAuthUsername: true, hasPassword: true, ipAuthentication: false },
    ...overrides,
  });
}

/** A US SMS-capable number with approved verification and an assigned campaign. */
function smsInput(overrides: Partial<SetupStatusInput> = {}): SetupStatusInput {
  return input({ smsCapable: true, verificationStatus: "APPROVED", smsCampaignStatus: "ASSIGNED", ...overrides });
}

const codes = (status: SetupStatus): SetupIssueCode[] => status.issues.map((issue) => issue.code);
const issuesWith = (status: SetupStatus, code: SetupIssueCode) => status.issues.filter((issue) => issue.code === code);
const voiceIssues = (status: SetupStatus) => codes(status).filter((code) => !code.startsWith("SMS_"));

describe("computeSetupStatus", () => {
  describe("baseline", () => {
    test("a fully configured voice-only number is READY with only the SMS_NOT_CAPABLE note", () => {
      const s = computeSetupStatus(input());
      assert.equal(s.status, "READY");
      assert.equal(s.inboundReady, true);
      assert.equal(s.outboundReady, true);
      assert.equal(s.agentReady, true);
      assert.equal(s.sipConnectionReady, true);
      assert.equal(s.forwardingRequired, false);
      assert.equal(s.smsReady, false);
      assert.deepEqual(codes(s), ["SMS_NOT_CAPABLE"]);
    });

    test("every issue has a human message and names the field to fix", () => {
      const s = computeSetupStatus(
        sipInput({
          agent: null,
          smsCapable: true,
          inboundTrunk: emptyTrunk,
          outboundTrunk: { ...emptyTrunk, ipAuthentication: false },
        }),
      );
      assert.ok(s.issues.length >= 4);
      for (const issue of s.issues) {
        assert.ok(issue.message.length > 0, `${issue.code} has a message`);
        assert.ok(issue.field.length > 0, `${issue.code} names a field`);
      }
    });
  });

  describe("agentReady", () => {
    test("no agent: agentReady false, NO_AGENT on field agent, inbound not ready, ACTION_REQUIRED", () => {
      const s = computeSetupStatus(input({ agent: null }));
      assert.equal(s.agentReady, false);
      assert.equal(s.inboundReady, false);
      assert.equal(s.outboundReady, true);
      assert.equal(s.status, "ACTION_REQUIRED");
      assert.deepEqual(issuesWith(s, "NO_AGENT").map((i) => i.field), ["agent"]);
      assert.equal(issuesWith(s, "AGENT_PAUSED").length, 0);
    });

    test("paused agent: agentReady false, AGENT_PAUSED (not NO_AGENT), ACTION_REQUIRED", () => {
      const s = computeSetupStatus(input({ agent: { status: "PAUSED" } }));
      assert.equal(s.agentReady, false);
      assert.equal(s.inboundReady, false);
      assert.equal(s.status, "ACTION_REQUIRED");
      assert.deepEqual(voiceIssues(s), ["AGENT_PAUSED"]);
      assert.equal(issuesWith(s, "AGENT_PAUSED")[0]!.field, "agent.status");
    });

    test("an active agent makes agentReady true", () => {
      assert.equal(computeSetupStatus(input({ agent: { status: "ACTIVE" } })).agentReady, true);
    });

    test("an outbound-only number needs no agent to be READY", () => {
      const s = computeSetupStatus(input({ direction: "OUTBOUND", agent: null }));
      assert.equal(s.agentReady, false);
      assert.equal(s.outboundReady, true);
      assert.equal(s.inboundReady, false);
      assert.equal(s.status, "READY");
      assert.deepEqual(voiceIssues(s), []);
    });
  });

  describe("sipConnectionReady", () => {
    test("MANAGED numbers: ready only once ACTIVE", () => {
      assert.equal(computeSetupStatus(input({ source: "MANAGED", status: "ACTIVE" })).sipConnectionReady, true);
      for (const status of ["PENDING", "SUSPENDED", "FAILED", "RELEASED"] as const) {
        assert.equal(computeSetupStatus(input({ source: "MANAGED", status })).sipConnectionReady, false, status);
      }
    });

    test("MANAGED numbers have no trunk or forwarding issues", () => {
      const s = computeSetupStatus(input({ source: "MANAGED", forwardingConfirmed: false }));
      assert.equal(s.forwardingRequired, false);
      assert.equal(s.status, "READY");
      assert.deepEqual(voiceIssues(s), []);
    });

    test("SIP_TRUNK with complete trunks (inbound IPs, outbound address + credentials) is READY", () => {
      const s = computeSetupStatus(sipInput());
      assert.equal(s.sipConnectionReady, true);
      assert.equal(s.inboundReady, true);
      assert.equal(s.outboundReady, true);
      assert.equal(s.forwardingRequired, false);
      assert.equal(s.status, "READY");
      assert.deepEqual(voiceIssues(s), []);
    });

    test("inbound trunk: credentials instead of allowed source IPs are enough", () => {
      const s = computeSetupStatus(sipInput({ inboundTrunk: { ...emptyTrunk, hasAuthUsername: true, hasPassword: true } }));
      assert.equal(s.sipConnectionReady, true);
      assert.equal(issuesWith(s, "INBOUND_TRUNK_INCOMPLETE").length, 0);
    });

    test("inbound trunk with neither IPs nor credentials: INBOUND_TRUNK_INCOMPLETE naming the field", () => {
      const s = computeSetupStatus(sipInput({ inboundTrunk: emptyTrunk }));
      assert.equal(s.sipConnectionReady, false);
      assert.equal(s.inboundReady, false);
      assert.equal(s.outboundReady, false);
      assert.equal(s.status, "ACTION_REQUIRED");
      const issues = issuesWith(s, "INBOUND_TRUNK_INCOMPLETE");
      assert.equal(issues.length, 1);
      assert.match(issues[0]!.field, /^inboundTrunk\./);
      assert.equal(issuesWith(s, "OUTBOUND_TRUNK_INCOMPLETE").length, 0);
    });

    test("inbound trunk: a username without a password is not credentials", () => {
      const s = computeSetupStatus(sipInput({ inboundTrunk: { ...emptyTrunk, hasAuthUsername: true, hasPassword: false } }));
      assert.equal(s.sipConnectionReady, false);
      assert.equal(issuesWith(s, "INBOUND_TRUNK_INCOMPLETE").length, 1);
    });

    test("inbound trunk: addresses alone do not complete it", () => {
      const s = computeSetupStatus(sipInput({ inboundTrunk: { ...emptyTrunk, hasAddresses: true } }));
      assert.equal(s.sipConnectionReady, false);
      assert.equal(issuesWith(s, "INBOUND_TRUNK_INCOMPLETE").length, 1);
    });

    test("outbound trunk without an address: OUTBOUND_TRUNK_INCOMPLETE on outboundTrunk.addresses", () => {
      const s = computeSetupStatus(
        sipInput({ outboundTrunk: { ...emptyTrunk, hasAuthUsername: true, hasPassword: true, ipAuthentication: false } }),
      );
      assert.equal(s.sipConnectionReady, false);
      assert.equal(s.status, "ACTION_REQUIRED");
      assert.deepEqual(issuesWith(s, "OUTBOUND_TRUNK_INCOMPLETE").map((i) => i.field), ["outboundTrunk.addresses"]);
    });

    test("outbound trunk with an address but no authentication: issue on outboundTrunk.authUsername", () => {
      const s = computeSetupStatus(sipInput({ outboundTrunk: { ...emptyTrunk, hasAddresses: true, ipAuthentication: false } }));
      assert.equal(s.sipConnectionReady, false);
      assert.deepEqual(issuesWith(s, "OUTBOUND_TRUNK_INCOMPLETE").map((i) => i.field), ["outboundTrunk.authUsername"]);
    });

    test("outbound trunk with a username but no password: issue on outboundTrunk.authPassword", () => {
      const s = computeSetupStatus(
        sipInput({ outboundTrunk: { ...emptyTrunk, hasAddresses: true, hasAuthUsername: true, hasPassword: false, ipAuthentication: false } }),
      );
      assert.deepEqual(issuesWith(s, "OUTBOUND_TRUNK_INCOMPLETE").map((i) => i.field), ["outboundTrunk.authPassword"]);
    });

    test("outbound trunk: IP authentication replaces credentials", () => {
      const s = computeSetupStatus(sipInput({ outboundTrunk: { ...emptyTrunk, hasAddresses: true, ipAuthentication: true } }));
      assert.equal(s.sipConnectionReady, true);
      assert.equal(s.outboundReady, true);
      assert.equal(s.status, "READY");
    });

    test("outbound trunk: IP authentication without an address is still incomplete", () => {
      const s = computeSetupStatus(sipInput({ outboundTrunk: { ...emptyTrunk, ipAuthentication: true } }));
      assert.equal(s.sipConnectionReady, false);
      assert.deepEqual(issuesWith(s, "OUTBOUND_TRUNK_INCOMPLETE").map((i) => i.field), ["outboundTrunk.addresses"]);
    });

    test("an empty outbound trunk reports both the address and the authentication", () => {
      const s = computeSetupStatus(sipInput({ outboundTrunk: { ...emptyTrunk, ipAuthentication: false } }));
      assert.deepEqual(issuesWith(s, "OUTBOUND_TRUNK_INCOMPLETE").map((i) => i.field).sort(), [
        "outboundTrunk.addresses",
        "outboundTrunk.authUsername",
      ]);
    });

    test("an INBOUND number only needs the inbound trunk", () => {
      const s = computeSetupStatus(sipInput({ direction: "INBOUND", outboundTrunk: { ...emptyTrunk, ipAuthentication: false } }));
      assert.equal(s.sipConnectionReady, true);
      assert.equal(s.inboundReady, true);
      assert.equal(s.outboundReady, false);
      assert.equal(s.status, "READY");
      assert.deepEqual(voiceIssues(s), []);
    });

    test("an OUTBOUND number only needs the outbound trunk (and no agent)", () => {
      const s = computeSetupStatus(sipInput({ direction: "OUTBOUND", agent: null, inboundTrunk: emptyTrunk }));
      assert.equal(s.sipConnectionReady, true);
      assert.equal(s.outboundReady, true);
      assert.equal(s.inboundReady, false);
      assert.equal(s.status, "READY");
      assert.deepEqual(voiceIssues(s), []);
    });

    test("an INBOUND number with an incomplete inbound trunk reports only the inbound trunk", () => {
      const s = computeSetupStatus(sipInput({ direction: "INBOUND", inboundTrunk: emptyTrunk, outboundTrunk: { ...emptyTrunk, ipAuthentication: false } }));
      assert.deepEqual(voiceIssues(s), ["INBOUND_TRUNK_INCOMPLETE"]);
      assert.equal(s.status, "ACTION_REQUIRED");
    });

    test("a BOTH number with both trunks empty reports both directions", () => {
      const s = computeSetupStatus(sipInput({ inboundTrunk: emptyTrunk, outboundTrunk: { ...emptyTrunk, ipAuthentication: false } }));
      assert.ok(codes(s).includes("INBOUND_TRUNK_INCOMPLETE"));
      assert.ok(codes(s).includes("OUTBOUND_TRUNK_INCOMPLETE"));
      assert.equal(s.inboundReady, false);
      assert.equal(s.outboundReady, false);
    });

    test("MANUAL numbers have no trunk to configure", () => {
      const s = computeSetupStatus(input({ inboundTrunk: emptyTrunk, outboundTrunk: { ...emptyTrunk, ipAuthentication: false } }));
      assert.equal(s.sipConnectionReady, true);
      assert.equal(issuesWith(s, "INBOUND_TRUNK_INCOMPLETE").length + issuesWith(s, "OUTBOUND_TRUNK_INCOMPLETE").length, 0);
    });
  });

  describe("forwardingRequired", () => {
    test("MANUAL numbers until forwarding is confirmed: FORWARDING_NOT_CONFIRMED, inbound not ready", () => {
      const s = computeSetupStatus(input({ forwardingConfirmed: false }));
      assert.equal(s.forwardingRequired, true);
      assert.equal(s.inboundReady, false);
      assert.equal(s.status, "ACTION_REQUIRED");
      assert.deepEqual(voiceIssues(s), ["FORWARDING_NOT_CONFIRMED"]);
      assert.ok(issuesWith(s, "FORWARDING_NOT_CONFIRMED")[0]!.field.length > 0);
    });

    test("confirmed forwarding clears it", () => {
      const s = computeSetupStatus(input({ forwardingConfirmed: true }));
      assert.equal(s.forwardingRequired, false);
      assert.equal(issuesWith(s, "FORWARDING_NOT_CONFIRMED").length, 0);
    });

    test("SIP_TRUNK and MANAGED numbers never need forwarding", () => {
      assert.equal(computeSetupStatus(sipInput({ forwardingConfirmed: false })).forwardingRequired, false);
      assert.equal(computeSetupStatus(input({ source: "MANAGED", forwardingConfirmed: false })).forwardingRequired, false);
    });

    test("an unconfirmed MANUAL number with no agent reports both issues", () => {
      const s = computeSetupStatus(input({ forwardingConfirmed: false, agent: null }));
      assert.deepEqual(voiceIssues(s).sort(), ["FORWARDING_NOT_CONFIRMED", "NO_AGENT"]);
      assert.equal(s.status, "ACTION_REQUIRED");
    });
  });

  describe("inboundReady / outboundReady", () => {
    test("the direction decides which readiness can be true", () => {
      const inbound = computeSetupStatus(input({ direction: "INBOUND" }));
      assert.deepEqual([inbound.inboundReady, inbound.outboundReady, inbound.status], [true, false, "READY"]);
      const outbound = computeSetupStatus(input({ direction: "OUTBOUND" }));
      assert.deepEqual([outbound.inboundReady, outbound.outboundReady, outbound.status], [false, true, "READY"]);
      const both = computeSetupStatus(input({ direction: "BOTH" }));
      assert.deepEqual([both.inboundReady, both.outboundReady, both.status], [true, true, "READY"]);
    });

    test("only ACTIVE numbers are ready in either direction", () => {
      for (const status of ["PENDING", "SUSPENDED", "RELEASED", "FAILED"] as const) {
        const s = computeSetupStatus(input({ status }));
        assert.equal(s.inboundReady, false, status);
        assert.equal(s.outboundReady, false, status);
      }
    });

    test("outbound readiness does not depend on the agent", () => {
      const s = computeSetupStatus(input({ agent: { status: "PAUSED" } }));
      assert.equal(s.outboundReady, true);
      assert.equal(s.inboundReady, false);
    });
  });

  describe("smsReady", () => {
    test("an SMS-capable US number with approved verification and an assigned campaign is smsReady", () => {
      const s = computeSetupStatus(smsInput());
      assert.equal(s.smsReady, true);
      assert.deepEqual(codes(s), []);
      assert.equal(s.status, "READY");
    });

    test("not SMS-capable: SMS_NOT_CAPABLE only (no 10DLC issues)", () => {
      const s = computeSetupStatus(smsInput({ smsCapable: false, verificationStatus: "MISSING", smsCampaignStatus: null }));
      assert.equal(s.smsReady, false);
      assert.deepEqual(codes(s), ["SMS_NOT_CAPABLE"]);
    });

    test("US number without approved verification: SMS_VERIFICATION_REQUIRED", () => {
      for (const verificationStatus of ["MISSING", "DRAFT", "SUBMITTED", "REJECTED"] as const) {
        const s = computeSetupStatus(smsInput({ verificationStatus }));
        assert.equal(s.smsReady, false, verificationStatus);
        assert.deepEqual(codes(s), ["SMS_VERIFICATION_REQUIRED"], verificationStatus);
      }
    });

    test("US number not assigned to a campaign: SMS_CAMPAIGN_NOT_ASSIGNED", () => {
      for (const smsCampaignStatus of [null, "PENDING", "FAILED"] as const) {
        const s = computeSetupStatus(smsInput({ smsCampaignStatus }));
        assert.equal(s.smsReady, false, String(smsCampaignStatus));
        assert.deepEqual(codes(s), ["SMS_CAMPAIGN_NOT_ASSIGNED"], String(smsCampaignStatus));
      }
    });

    test("US number missing both verification and campaign reports both", () => {
      const s = computeSetupStatus(smsInput({ verificationStatus: "SUBMITTED", smsCampaignStatus: "PENDING" }));
      assert.deepEqual(codes(s).sort(), ["SMS_CAMPAIGN_NOT_ASSIGNED", "SMS_VERIFICATION_REQUIRED"]);
    });

    test("non-US numbers need no 10DLC verification or campaign", () => {
      for (const country of ["GB", "DE", "CA"]) {
        const s = computeSetupStatus(smsInput({ country, verificationStatus: "MISSING", smsCampaignStatus: null }));
        assert.equal(s.smsReady, true, country);
        assert.deepEqual(codes(s), [], country);
      }
    });

    test("a US toll-free number needs the toll-free verification, not 10DLC: TOLL_FREE_VERIFICATION_REQUIRED until approved", () => {
      for (const tollFreeVerificationStatus of ["MISSING", "DRAFT", "SUBMITTED", "REJECTED"] as const) {
        const s = computeSetupStatus(smsInput({ e164: "+18005550100", tollFreeVerificationStatus, smsCampaignStatus: null }));
        assert.equal(s.smsReady, false, tollFreeVerificationStatus);
        assert.deepEqual(issuesWith(s, "TOLL_FREE_VERIFICATION_REQUIRED").map((i) => i.field), ["tollFreeVerification"], tollFreeVerificationStatus);
        assert.deepEqual(codes(s), ["TOLL_FREE_VERIFICATION_REQUIRED"], tollFreeVerificationStatus);
        assert.equal(s.status, "READY", "SMS alone never makes a voice-ready number ACTION_REQUIRED");
      }
      const approved = computeSetupStatus(smsInput({ e164: "+18885550123", verificationStatus: "MISSING", tollFreeVerificationStatus: "APPROVED", smsCampaignStatus: null }));
      assert.equal(approved.smsReady, true);
      assert.deepEqual(codes(approved), []);
    });

    test("a toll-free approval does nothing for a local US number, and a non-US toll-free number needs neither", () => {
      const local = computeSetupStatus(smsInput({ verificationStatus: "MISSING", tollFreeVerificationStatus: "APPROVED" }));
      assert.deepEqual(codes(local), ["SMS_VERIFICATION_REQUIRED"]);
      const uk = computeSetupStatus(smsInput({ e164: "+448001234567", country: "GB", verificationStatus: "MISSING", smsCampaignStatus: null }));
      assert.deepEqual(codes(uk), []);
    });

    test("a non-US number still has to be SMS-capable", () => {
      const s = computeSetupStatus(smsInput({ country: "GB", smsCapable: false }));
      assert.equal(s.smsReady, false);
      assert.deepEqual(codes(s), ["SMS_NOT_CAPABLE"]);
    });
  });

  describe("emergency address (E911)", () => {
    const missing = (s: SetupStatus) => s.issues.find((i) => i.code === "EMERGENCY_ADDRESS_MISSING");

    test("a US number that places calls without an address: EMERGENCY_ADDRESS_MISSING on emergencyAddress, outbound not ready", () => {
      const s = computeSetupStatus(input({ hasEmergencyAddress: false, emergencyStatus: null }));
      assert.equal(s.outboundReady, false);
      assert.equal(s.inboundReady, true);
      assert.equal(s.status, "ACTION_REQUIRED");
      assert.equal(missing(s)?.field, "emergencyAddress");
      assert.match(missing(s)!.message, /Set an emergency address/);
    });

    test("PENDING says it is being registered; FAILED gives the carrier's reason", () => {
      const pending = computeSetupStatus(input({ emergencyStatus: "PENDING" }));
      assert.equal(pending.outboundReady, false);
      assert.match(missing(pending)!.message, /being registered/);
      const failed = computeSetupStatus(input({ emergencyStatus: "FAILED", emergencyFailureReason: "The address could not be validated" }));
      assert.equal(failed.outboundReady, false);
      assert.match(missing(failed)!.message, /The address could not be validated/);
    });

    test("STORED (a SIP-trunk or manual number's address, kept for its own carrier) counts like ACTIVE", () => {
      const stored = computeSetupStatus(input({ emergencyStatus: "STORED" }));
      assert.equal(stored.outboundReady, true);
      assert.equal(missing(stored), undefined);
    });

    test("Canadian numbers need one too", () => {
      const s = computeSetupStatus(input({ country: "CA", e164: "+14165550100", hasEmergencyAddress: false, emergencyStatus: null }));
      assert.equal(s.outboundReady, false);
      assert.ok(missing(s));
    });

    test("inbound-only, voice-incapable, toll-free and non-US/CA numbers need none", () => {
      const none = { hasEmergencyAddress: false, emergencyStatus: null } as const;
      for (const overrides of [
        { direction: "INBOUND" as const },
        { voiceCapable: false },
        { e164: "+18005550100" },
        { e164: "+18885550100" },
        { country: "GB", e164: "+442071838750" },
      ]) {
        const s = computeSetupStatus(input({ ...none, ...overrides }));
        assert.equal(missing(s), undefined, JSON.stringify(overrides));
      }
      assert.equal(computeSetupStatus(input({ ...none, e164: "+18005550100" })).outboundReady, true);
    });

    test("a FAILED carrier order reports only PROVISIONING_FAILED, not the address", () => {
      const s = computeSetupStatus(input({ status: "FAILED", source: "MANAGED", hasEmergencyAddress: false, emergencyStatus: null }));
      assert.equal(missing(s), undefined);
    });
  });

  describe("overall status", () => {
    test("RELEASED wins over everything", () => {
      const s = computeSetupStatus(input({ status: "RELEASED", suspendedAt: new Date(), agent: null, forwardingConfirmed: false }));
      assert.equal(s.status, "RELEASED");
    });

    test("SUSPENDED (lifecycle status or billing suspension) wins over PENDING and readiness", () => {
      assert.equal(computeSetupStatus(input({ status: "SUSPENDED" })).status, "SUSPENDED");
      assert.equal(computeSetupStatus(input({ status: "ACTIVE", suspendedAt: new Date() })).status, "SUSPENDED");
      assert.equal(computeSetupStatus(input({ status: "PENDING", suspendedAt: new Date() })).status, "SUSPENDED");
      assert.equal(computeSetupStatus(input({ status: "SUSPENDED", agent: null })).status, "SUSPENDED");
    });

    test("PENDING wins over ACTION_REQUIRED", () => {
      const s = computeSetupStatus(input({ source: "MANAGED", status: "PENDING", agent: null }));
      assert.equal(s.status, "PENDING");
      assert.equal(s.sipConnectionReady, false);
    });

    test("ACTIVE: READY when its direction is ready, else ACTION_REQUIRED", () => {
      assert.equal(computeSetupStatus(input()).status, "READY");
      assert.equal(computeSetupStatus(input({ agent: null })).status, "ACTION_REQUIRED");
      assert.equal(computeSetupStatus(input({ direction: "INBOUND", agent: null })).status, "ACTION_REQUIRED");
    });

    test("SMS readiness alone never makes a voice-ready number ACTION_REQUIRED", () => {
      const cases: Partial<SetupStatusInput>[] = [
        { smsCapable: false },
        { smsCapable: true, verificationStatus: "MISSING", smsCampaignStatus: null },
        { smsCapable: true, verificationStatus: "APPROVED", smsCampaignStatus: "PENDING" },
        { smsCapable: true, verificationStatus: "REJECTED", smsCampaignStatus: "FAILED" },
      ];
      for (const overrides of cases) {
        const s = computeSetupStatus(input(overrides));
        assert.equal(s.smsReady, false, JSON.stringify(overrides));
        assert.ok(s.issues.length > 0, JSON.stringify(overrides));
        assert.ok(s.issues.every((issue) => issue.code.startsWith("SMS_")), JSON.stringify(overrides));
        assert.equal(s.status, "READY", JSON.stringify(overrides));
      }
      const sip = computeSetupStatus(sipInput({ smsCapable: true, verificationStatus: "DRAFT" }));
      assert.equal(sip.smsReady, false);
      assert.equal(sip.status, "READY");
    });

    test("FAILED gives PROVISIONING_FAILED and is not READY", () => {
      const s = computeSetupStatus(input({ source: "MANAGED", status: "FAILED" }));
      const failed = issuesWith(s, "PROVISIONING_FAILED");
      assert.equal(failed.length, 1);
      assert.equal(failed[0]!.field, "status");
      assert.equal(s.status, "ACTION_REQUIRED");
      assert.equal(s.inboundReady, false);
      assert.equal(s.outboundReady, false);
      assert.equal(s.sipConnectionReady, false);
      assert.equal(s.smsReady, false);
    });

    test("only FAILED numbers report PROVISIONING_FAILED", () => {
      for (const status of ["PENDING", "ACTIVE", "SUSPENDED", "RELEASED"] as const) {
        assert.equal(issuesWith(computeSetupStatus(input({ source: "MANAGED", status })), "PROVISIONING_FAILED").length, 0, status);
      }
    });

    test("an SMS-ready number that is not active is not smsReady", () => {
      assert.equal(computeSetupStatus(smsInput({ status: "SUSPENDED" })).smsReady, false);
      assert.equal(computeSetupStatus(smsInput({ status: "RELEASED" })).smsReady, false);
    });
  });
});
