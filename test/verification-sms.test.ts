import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { decodeId } from "../src/domain/global-id.ts";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";
import { as, completeInput, decide, Submit, submitComplete } from "./helpers/verification.ts";

// The smsReady rules with real inputs: the organization's verification and each number's SMS
// campaign assignment, observed through queries and both subscriptions.

const NumberSms = graphql(`
  query VerSmsNumber($id: ID!) {
    node(id: $id) {
      ... on PhoneNumber {
        id
        country
        smsCampaign {
          campaignId
          status
          updatedAt
        }
        setupStatus {
          status
          smsReady
          issues {
            code
            field
          }
        }
      }
    }
  }
`);

const CreateSmsNumber = graphql(`
  mutation VerSmsCreate($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
        }
      }
    }
  }
`);

const MakeSmsCapable = graphql(`
  mutation VerSmsCapable($id: ID!) {
    updatePhoneNumber(input: { id: $id, capabilities: { sms: true } }) {
      __typename
    }
  }
`);

const SetupChanges = graphql(`
  subscription VerSmsSetupChanges {
    phoneNumberSetupStatusChanged {
      phoneNumber {
        id
      }
      previous {
        smsReady
        issues {
          code
        }
      }
      current {
        smsReady
        issues {
          code
        }
      }
    }
  }
`);

const VerificationChanges = graphql(`
  subscription VerSmsVerificationChanges {
    verificationStatusChanged {
      eventId
      previous
      current
      changedAt
      verification {
        id
        status
        smsCampaignId
      }
    }
  }
`);

const ProvisionSms = graphql(`
  mutation VerSmsProvision($input: ProvisionPhoneNumberInput!) {
    provisionPhoneNumber(input: $input) {
      __typename
      ... on ProvisionPhoneNumberSuccess {
        phoneNumber {
          id
          status
        }
      }
    }
  }
`);

const smsCodes = (status: { issues: Array<{ code: string }> } | null | undefined) =>
  (status?.issues ?? []).map((issue) => issue.code).filter((code) => code.startsWith("SMS_")).sort();

/** The database id inside a phone number's global id. */
const rowId = (globalId: string) => (decodeId(globalId, "PhoneNumber", []) as { id: string }).id;

/** A London number no other test uses (uniqueE164 makes US numbers only). */
function uniqueLondonNumber(): string {
  return `+44207${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
}

async function createNumber(org: TestOrganization, e164: string, sms: boolean): Promise<string> {
  const data = await org.client.data(CreateSmsNumber, { input: { e164, capabilities: { sms } } });
  return (as(data.createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber as { id: string }).id;
}

async function numberSms(org: TestOrganization, id: string) {
  const node = (await org.client.data(NumberSms, { id })).node as {
    country: string;
    smsCampaign: { campaignId: string | null; status: string; updatedAt: string | null } | null;
    setupStatus: { status: string; smsReady: boolean; issues: Array<{ code: string; field: string }> };
  };
  return { ...node, smsCodes: smsCodes(node.setupStatus) };
}

describe("10DLC verification and SMS readiness", () => {
  const closers: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function connect(org: TestOrganization) {
    const client = wsClient(await (await getEnvironment()).url(), { apiKey: org.secret });
    closers.push(() => client.dispose());
    return client;
  }

  test("each SMS issue appears and clears as the verification and the campaign assignment move, and subscribers hear of it", async () => {
    const org = await createOrganization("sms-ready");
    const us = await createNumber(org, uniqueE164(), true);
    const london = await createNumber(org, uniqueLondonNumber(), true);
    const voiceOnly = await createNumber(org, uniqueE164(), false);

    let state = await numberSms(org, us);
    assert.deepEqual(state.smsCodes, ["SMS_CAMPAIGN_NOT_ASSIGNED", "SMS_VERIFICATION_REQUIRED"]);
    assert.equal(state.setupStatus.smsReady, false);
    assert.deepEqual(state.setupStatus.issues.filter((i) => i.code.startsWith("SMS_")).map((i) => i.field).sort(), ["smsCampaign", "verification"]);
    assert.equal(state.smsCampaign, null);
    assert.deepEqual((await numberSms(org, london)).smsCodes, [], "10DLC is for US numbers only");
    assert.equal((await numberSms(org, london)).setupStatus.smsReady, true);
    assert.deepEqual((await numberSms(org, voiceOnly)).smsCodes, ["SMS_NOT_CAPABLE"]);

    const client = await connect(org);
    const setupEvents = await subscribe(client, SetupChanges);
    const verificationEvents = await subscribe(client, VerificationChanges);

    // A draft and a submission change the verification, not the numbers' readiness.
    const verificationId = await submitComplete(org);
    let change = (await verificationEvents.next()).data!.verificationStatusChanged;
    assert.deepEqual([change.previous, change.current, change.verification.id], ["MISSING", "SUBMITTED", verificationId]);
    state = await numberSms(org, us);
    assert.deepEqual(state.smsCodes, ["SMS_CAMPAIGN_NOT_ASSIGNED", "SMS_VERIFICATION_REQUIRED"], "a submission is not an approval");

    // Approval: SMS_VERIFICATION_REQUIRED clears first; SMS_CAMPAIGN_NOT_ASSIGNED clears once the number is assigned.
    const approved = as(await decide(verificationId, "APPROVE"), "DecideVerificationSuccess").verification as { smsCampaignId: string | null };
    assert.match(approved.smsCampaignId ?? "", /^C[0-9A-F]{6}$/);
    change = (await verificationEvents.next()).data!.verificationStatusChanged;
    assert.deepEqual([change.previous, change.current, change.verification.smsCampaignId], ["SUBMITTED", "APPROVED", approved.smsCampaignId]);

    let setup = (await setupEvents.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(setup.phoneNumber.id, us);
    assert.deepEqual(smsCodes(setup.previous), ["SMS_CAMPAIGN_NOT_ASSIGNED", "SMS_VERIFICATION_REQUIRED"]);
    assert.deepEqual(smsCodes(setup.current), ["SMS_CAMPAIGN_NOT_ASSIGNED"]);
    setup = (await setupEvents.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(setup.phoneNumber.id, us);
    assert.deepEqual(smsCodes(setup.current), []);
    assert.equal(setup.current.smsReady, true);

    state = await numberSms(org, us);
    assert.deepEqual(state.smsCodes, []);
    assert.equal(state.setupStatus.smsReady, true);
    assert.equal(state.smsCampaign?.status, "ASSIGNED");
    assert.equal(state.smsCampaign?.campaignId, approved.smsCampaignId);
    assert.ok(state.smsCampaign?.updatedAt);
    assert.equal((await numberSms(org, london)).smsCampaign, null, "not a US number: no campaign");
    assert.equal((await numberSms(org, voiceOnly)).smsCampaign, null, "not SMS-capable: no campaign");

    const { prisma } = (await getEnvironment()).switchboard.database;
    const recorded = await prisma.event.findMany({ where: { organizationId: org.id, type: "SETUP_STATUS_CHANGED", phoneNumberId: { in: [rowId(london), rowId(voiceOnly)] } } });
    assert.equal(recorded.length, 2, "the London and voice-only numbers changed only when they were added");

    // A number made SMS-capable later joins the campaign at once.
    await org.client.data(MakeSmsCapable, { id: voiceOnly });
    setup = (await setupEvents.next()).data!.phoneNumberSetupStatusChanged;
    assert.deepEqual([setup.phoneNumber.id, smsCodes(setup.previous), smsCodes(setup.current)], [voiceOnly, ["SMS_NOT_CAPABLE"], ["SMS_CAMPAIGN_NOT_ASSIGNED"]]);
    setup = (await setupEvents.next()).data!.phoneNumberSetupStatusChanged;
    assert.deepEqual([setup.phoneNumber.id, smsCodes(setup.current), setup.current.smsReady], [voiceOnly, [], true]);

    // A number added after the approval is assigned when it becomes active.
    const later = await createNumber(org, uniqueE164(), true);
    setup = (await setupEvents.next()).data!.phoneNumberSetupStatusChanged;
    assert.deepEqual([setup.phoneNumber.id, setup.previous, smsCodes(setup.current)], [later, null, ["SMS_CAMPAIGN_NOT_ASSIGNED"]]);
    setup = (await setupEvents.next()).data!.phoneNumberSetupStatusChanged;
    assert.deepEqual([setup.phoneNumber.id, smsCodes(setup.current)], [later, []]);
    state = await numberSms(org, later);
    assert.deepEqual([state.smsCampaign?.status, state.smsCampaign?.campaignId, state.setupStatus.smsReady], ["ASSIGNED", approved.smsCampaignId, true]);
    await Promise.all([setupEvents.close(), verificationEvents.close()]);
  });

  test("a rejection keeps SMS_VERIFICATION_REQUIRED and assigns nothing; the approval of the resubmission clears it", async () => {
    const org = await createOrganization("sms-rejected");
    const us = await createNumber(org, uniqueE164(), true);
    const first = await submitComplete(org);
    as(await decide(first, "REJECT", "Unknown business"), "DecideVerificationSuccess");
    let state = await numberSms(org, us);
    assert.deepEqual(state.smsCodes, ["SMS_CAMPAIGN_NOT_ASSIGNED", "SMS_VERIFICATION_REQUIRED"]);
    assert.equal(state.smsCampaign, null);

    const again = as((await org.client.data(Submit, { input: { attestationAccepted: true } })).submitVerification, "SubmitVerificationSuccess").verification as { id: string };
    as(await decide(again.id, "APPROVE"), "DecideVerificationSuccess");
    state = await numberSms(org, us);
    assert.deepEqual([state.smsCodes, state.smsCampaign?.status], [[], "ASSIGNED"]);
  });

  test("a number bought after the approval is assigned when its carrier order completes", async () => {
    const org = await createOrganization("sms-bought");
    as(await decide(await submitComplete(org), "APPROVE"), "DecideVerificationSuccess");
    const env = await getEnvironment();
    const carrier = env.switchboard.services.carriers.sandbox;
    carrier.faults.delayCompletion = true;
    try {
      const bought = as((await org.client.data(ProvisionSms, { input: { features: ["SMS"], idempotencyKey: "sms-bought-1" } })).provisionPhoneNumber, "ProvisionPhoneNumberSuccess").phoneNumber as { id: string; status: string };
      assert.equal(bought.status, "PENDING");
      let state = await numberSms(org, bought.id);
      assert.equal(state.smsCampaign, null, "not assigned before it is active");
      carrier.completeOrders();
      await env.switchboard.services.provisioning.reconcileOrders();
      state = await numberSms(org, bought.id);
      assert.deepEqual([state.smsCampaign?.status, state.smsCodes, state.setupStatus.smsReady], ["ASSIGNED", [], true]);
    } finally {
      carrier.faults.delayCompletion = false;
    }
  });

  test("assignments interrupted by a crash are finished when the server starts", async () => {
    const org = await createOrganization("sms-resume");
    const pending = await createNumber(org, uniqueE164(), true);
    const neverRequested = await createNumber(org, uniqueE164(), true);
    const id = await submitComplete(org);
    as(await decide(id, "APPROVE"), "DecideVerificationSuccess");
    const env = await getEnvironment();
    const { prisma } = env.switchboard.database;
    // As if the process died after the approval committed: one number still PENDING, one never requested.
    await prisma.phoneNumber.update({ where: { id: rowId(pending) }, data: { smsCampaignStatus: "PENDING" } });
    await prisma.phoneNumber.update({ where: { id: rowId(neverRequested) }, data: { smsCampaignStatus: null, smsCampaignId: null } });
    await env.switchboard.services.campaigns.resume();
    for (const number of [pending, neverRequested]) {
      const state = await numberSms(org, number);
      assert.deepEqual([state.smsCampaign?.status, state.smsCodes], ["ASSIGNED", []]);
    }
  });

  test("verificationStatusChanged needs verification:read and carries only the caller's organization", async () => {
    const mine = await createOrganization("sms-sub-mine");
    const other = await createOrganization("sms-sub-other");
    const url = await (await getEnvironment()).url();
    const numbersOnly = await mine.clientWithScopes(["numbers:read"]);
    const refusedClient = wsClient(url, { apiKey: numbersOnly.headers["x-api-key"]! });
    closers.push(() => refusedClient.dispose());
    const refused = await subscribe(refusedClient, VerificationChanges);
    assert.equal((await refused.next()).errors?.[0]?.extensions?.code, "FORBIDDEN");

    const events = await subscribe(await connect(mine), VerificationChanges);
    await submitComplete(other);
    // A refused submission publishes nothing.
    as((await mine.client.data(Submit, { input: { ...completeInput(), attestationAccepted: false } })).submitVerification, "ValidationError");
    const draft = await submitComplete(mine);
    const change = (await events.next()).data!.verificationStatusChanged;
    assert.deepEqual([change.verification.id, change.previous, change.current], [draft, "MISSING", "SUBMITTED"], "the other organization's submission was not delivered");
    await events.close();
  });
});
