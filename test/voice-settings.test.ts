import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { CarrierFailure } from "../src/carriers/adapter.ts";
import { TelnyxCarrier } from "../src/carriers/telnyx.ts";
import { computeSetupStatus, type SetupStatusInput } from "../src/domain/setup-status.ts";
import { graphql } from "./generated/gql.ts";
import { createApiKey } from "../src/apikeys/service.ts";
import { createOrganization, getEnvironment, processClient, startVariant, statementsDuring, type TestOrganization, type VariantServer } from "./helpers/harness.ts";
import { registerEmergencyAddress } from "./helpers/emergency.ts";
import { startFakeTelnyx, type FakeTelnyx } from "./helpers/fake-telnyx.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";

// Caller ID name (CNAM) and fallback (failover routing) of a number, as a client sees them: set
// through the API, registered at the (sandbox) carrier for managed numbers with a status and an
// event per status change, and the fallback's effect on setup status, live over graphql-ws.

const NumberFields = graphql(`
  fragment VoiceNumber on PhoneNumber {
    id
    e164
    callerIdName
    callerIdNameStatus
    callerIdNameStatusReason
    fallback {
      forwardTo
      sipUri
      timeoutSeconds
      status
      statusReason
    }
    setupStatus {
      status
      inboundRoute
      inboundReady
      issues {
        code
        field
        message
      }
    }
  }
`);
void NumberFields;

const SetCallerIdName = graphql(`
  mutation VoiceSetCallerIdName($input: SetPhoneNumberCallerIdNameInput!) {
    setPhoneNumberCallerIdName(input: $input) {
      __typename
      ... on SetPhoneNumberCallerIdNameSuccess {
        phoneNumber {
          ...VoiceNumber
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
          message
        }
      }
      ... on NotFoundError {
        message
      }
    }
  }
`);

const SetFallback = graphql(`
  mutation VoiceSetFallback($input: SetPhoneNumberFallbackInput!) {
    setPhoneNumberFallback(input: $input) {
      __typename
      ... on SetPhoneNumberFallbackSuccess {
        phoneNumber {
          ...VoiceNumber
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
          message
        }
      }
      ... on NotFoundError {
        message
      }
    }
  }
`);

const ReadNumber = graphql(`
  query VoiceReadNumber($id: ID!) {
    node(id: $id) {
      ...VoiceNumber
    }
  }
`);

// The list's shape that the compiled read (one SQL statement) answers: setup status and the new columns.
const ListNumbers = graphql(`
  query VoiceListNumbers {
    phoneNumbers(first: 10) {
      edges {
        node {
          id
          callerIdName
          callerIdNameStatus
          setupStatus {
            status
            inboundRoute
            inboundReady
            issues {
              code
            }
          }
        }
      }
    }
  }
`);

const Provision = graphql(`
  mutation VoiceProvision($input: ProvisionPhoneNumberInput!) {
    provisionPhoneNumber(input: $input) {
      __typename
      ... on ProvisionPhoneNumberSuccess {
        phoneNumber {
          id
          carrierResourceId
        }
      }
    }
  }
`);

const CreateManual = graphql(`
  mutation VoiceCreateManual($input: CreateManualPhoneNumberInput!) {
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

const CreateAgent = graphql(`
  mutation VoiceCreateAgent($name: String!) {
    createAgent(input: { name: $name }) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          id
        }
      }
    }
  }
`);

const PauseAgent = graphql(`
  mutation VoicePauseAgent($id: ID!) {
    updateAgent(input: { id: $id, status: PAUSED }) {
      __typename
    }
  }
`);

const Assign = graphql(`
  mutation VoiceAssign($phoneNumberId: ID!, $agentId: ID!) {
    assignPhoneNumber(input: { phoneNumberId: $phoneNumberId, agentId: $agentId }) {
      __typename
    }
  }
`);

const Confirm = graphql(`
  mutation VoiceConfirm($id: ID!) {
    confirmPhoneNumberForwarding(input: { id: $id }) {
      __typename
    }
  }
`);

const SetupStatusChanged = graphql(`
  subscription VoiceSetupStatusChanged($phoneNumberId: ID) {
    phoneNumberSetupStatusChanged(phoneNumberId: $phoneNumberId) {
      current {
        status
        inboundRoute
        inboundReady
        issues {
          code
        }
      }
    }
  }
`);

type VoiceNumber = {
  id: string;
  e164: string;
  callerIdName: string | null;
  callerIdNameStatus: string | null;
  callerIdNameStatusReason: string | null;
  fallback: { forwardTo: string | null; sipUri: string | null; timeoutSeconds: number; status: string; statusReason: string | null } | null;
  setupStatus: { status: string; inboundRoute: string; inboundReady: boolean; issues: Array<{ code: string; field: string; message: string }> };
};

const env = () => getEnvironment();
const codes = (n: VoiceNumber) => n.setupStatus.issues.map((i) => i.code).filter((c) => !c.startsWith("SMS_")).sort();

async function setName(org: TestOrganization, phoneNumberId: string, callerIdName: string | null) {
  return (await org.client.data(SetCallerIdName, { input: { phoneNumberId, callerIdName } })).setPhoneNumberCallerIdName;
}

async function setFallback(org: TestOrganization, phoneNumberId: string, fallback: { forwardTo?: string; sipUri?: string; timeoutSeconds?: number } | null) {
  return (await org.client.data(SetFallback, { input: { phoneNumberId, fallback } })).setPhoneNumberFallback;
}

const numberOf = (payload: { __typename: string }) => {
  assert.ok("phoneNumber" in payload, `expected a success, got ${JSON.stringify(payload)}`);
  return (payload as unknown as { phoneNumber: VoiceNumber }).phoneNumber;
};

const errorsOf = (payload: { __typename: string }) => {
  assert.equal(payload.__typename, "ValidationError", JSON.stringify(payload));
  return (payload as unknown as { fieldErrors: Array<{ path: string[]; code: string; message: string }> }).fieldErrors;
};

/** Waits for the voice settings job (woken by the change) to bring the carrier where `done` says. */
async function eventually(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`still waiting after 5 s: ${what}`);
}

/** A managed US number bought from the sandbox carrier: its global id and carrier id. */
async function provision(org: TestOrganization): Promise<{ id: string; carrierId: string }> {
  const data = await org.client.data(Provision, { input: { areaCode: "415", idempotencyKey: `voice-${randomBytes(6).toString("hex")}` } });
  const payload = data.provisionPhoneNumber as { __typename: string; phoneNumber?: { id: string; carrierResourceId: string | null } };
  assert.equal(payload.__typename, "ProvisionPhoneNumberSuccess");
  return { id: payload.phoneNumber!.id, carrierId: payload.phoneNumber!.carrierResourceId! };
}

/** A MANUAL number with forwarding confirmed and an agent, paused. */
async function manualWithPausedAgent(org: TestOrganization): Promise<string> {
  const agent = (await org.client.data(CreateAgent, { name: "Reception" })).createAgent as { agent: { id: string } };
  const created = (await org.client.data(CreateManual, { input: { e164: uniqueE164(), agentId: agent.agent.id } })).createManualPhoneNumber as { phoneNumber: { id: string } };
  await org.client.data(Confirm, { id: created.phoneNumber.id });
  await org.client.data(PauseAgent, { id: agent.agent.id });
  return created.phoneNumber.id;
}

async function eventsOf(phoneNumberId: string, type: "CALLER_ID_NAME_STATUS_CHANGED" | "FALLBACK_STATUS_CHANGED") {
  const { decodeGlobalID } = await import("@pothos/plugin-relay");
  const prisma = (await env()).switchboard.database.prisma;
  const rows = await prisma.event.findMany({ where: { phoneNumberId: decodeGlobalID(phoneNumberId).id, type }, orderBy: [{ createdAt: "asc" }] });
  return rows.map((row) => row.payload as { status: string | null; previousStatus: string | null; reason: string | null; callerIdName?: string | null });
}

describe("setup status rules with a fallback (pure)", () => {
  const base: SetupStatusInput = {
    status: "ACTIVE",
    source: "MANAGED",
    direction: "BOTH",
    country: "US",
    smsCapable: false,
    suspendedAt: null,
    forwardingConfirmed: false,
    agent: { status: "PAUSED" },
    inboundTrunk: { hasAddresses: false, hasAllowedSourceIps: false, hasAuthUsername: false, hasPassword: false },
    outboundTrunk: { hasAddresses: false, hasAllowedSourceIps: false, hasAuthUsername: false, hasPassword: false, ipAuthentication: false },
    smsCampaignStatus: null,
    e164: "+14155550100",
    voiceCapable: true,
    hasEmergencyAddress: true,
    emergencyStatus: "ACTIVE",
    emergencyFailureReason: null,
    verificationStatus: "MISSING",
    tollFreeVerificationStatus: "MISSING",
  };
  const voice = (s: ReturnType<typeof computeSetupStatus>) => [s.status, s.inboundRoute, s.inboundReady, s.issues.map((i) => i.code).filter((c) => !c.startsWith("SMS_"))];

  test("a usable fallback (ACTIVE or STORED) takes a paused or missing agent's calls; PENDING does not yet; FAILED says so", () => {
    assert.deepEqual(voice(computeSetupStatus(base)), ["ACTION_REQUIRED", "NONE", false, ["AGENT_PAUSED"]]);
    for (const status of ["ACTIVE", "STORED"] as const) {
      assert.deepEqual(voice(computeSetupStatus({ ...base, fallback: { status, statusReason: null } })), ["READY", "FALLBACK", true, []], status);
      assert.deepEqual(voice(computeSetupStatus({ ...base, agent: null, fallback: { status, statusReason: null } })), ["READY", "FALLBACK", true, []], status);
    }
    assert.deepEqual(voice(computeSetupStatus({ ...base, fallback: { status: "PENDING", statusReason: null } })), ["ACTION_REQUIRED", "NONE", false, ["AGENT_PAUSED"]]);
    const failed = computeSetupStatus({ ...base, fallback: { status: "FAILED", statusReason: "destination refused" } });
    assert.deepEqual(voice(failed), ["ACTION_REQUIRED", "NONE", false, ["AGENT_PAUSED", "FALLBACK_NOT_CONFIGURED"]]);
    assert.match(failed.issues.find((i) => i.code === "FALLBACK_NOT_CONFIGURED")!.message, /destination refused/);
  });

  test("an ACTIVE agent comes first; a fallback never makes an out-of-service or outbound-only number take calls", () => {
    const fallback = { status: "ACTIVE" as const, statusReason: null };
    assert.deepEqual(voice(computeSetupStatus({ ...base, agent: { status: "ACTIVE" }, fallback })), ["READY", "AGENT", true, []]);
    assert.deepEqual(voice(computeSetupStatus({ ...base, status: "SUSPENDED", fallback })).slice(0, 3), ["SUSPENDED", "NONE", false]);
    assert.deepEqual(voice(computeSetupStatus({ ...base, status: "RELEASING", fallback })).slice(0, 3), ["PENDING", "NONE", false]);
    assert.deepEqual(voice(computeSetupStatus({ ...base, direction: "OUTBOUND", agent: null, fallback })), ["READY", "NONE", false, []]);
  });
});

describe("caller ID name", () => {
  test("validation: 16 characters, characters carriers refuse, a missing value; every problem with its path and what is allowed", async () => {
    const org = await createOrganization("cnam-validation");
    const { id } = await provision(org);
    let errors = errorsOf(await setName(org, id, "Sixteen Chars Xx"));
    assert.deepEqual(errors.map((e) => [e.path, e.code]), [[["input", "callerIdName"], "TOO_LONG"]]);
    assert.match(errors[0]!.message, /At most 15 characters: letters A-Z, digits and spaces/);

    errors = errorsOf(await setName(org, id, "Acme & Co!"));
    assert.deepEqual(errors.map((e) => [e.path, e.code]), [[["input", "callerIdName"], "INVALID_CHARACTERS"]]);
    assert.match(errors[0]!.message, /not allowed: & !/);

    // The value must be given (null clears; absence is a mistake), and a bad id is reported with it.
    const missing = await org.client.data(SetCallerIdName, { input: { phoneNumberId: "nope" } } as never);
    const both = errorsOf(missing.setPhoneNumberCallerIdName).map((e) => [e.path.join("."), e.code]).sort();
    assert.deepEqual(both, [["input.callerIdName", "REQUIRED"], ["input.phoneNumberId", "INVALID_ID"]]);

    // Nothing was stored by the refused attempts.
    const number = (await org.client.data(ReadNumber, { id })).node as VoiceNumber;
    assert.equal(number.callerIdName, null);
    assert.equal(number.callerIdNameStatus, null);
  });

  test("a managed US number: PENDING then ACTIVE at the sandbox carrier, one event per status change; clearing turns the listing off", async () => {
    const org = await createOrganization("cnam-managed");
    const { id, carrierId } = await provision(org);
    const sandbox = (await env()).switchboard.services.carriers.sandbox;

    const number = numberOf(await setName(org, id, "  Acme   Dental "));
    assert.equal(number.callerIdName, "Acme Dental", "trimmed, inner spaces made one");
    assert.equal(number.callerIdNameStatus, "ACTIVE");
    assert.equal(number.callerIdNameStatusReason, null);
    assert.equal(sandbox.voiceSettings(carrierId).callerIdName, "Acme Dental");
    assert.deepEqual((await eventsOf(id, "CALLER_ID_NAME_STATUS_CHANGED")).map((e) => [e.previousStatus, e.status, e.callerIdName]), [
      [null, "PENDING", "Acme Dental"],
      ["PENDING", "ACTIVE", "Acme Dental"],
    ]);

    const cleared = numberOf(await setName(org, id, null));
    assert.equal(cleared.callerIdName, null);
    assert.equal(cleared.callerIdNameStatus, null);
    assert.equal(sandbox.voiceSettings(carrierId).callerIdName, null);
    assert.equal((await eventsOf(id, "CALLER_ID_NAME_STATUS_CHANGED")).length, 4);
  });

  test("a name the carrier refuses is FAILED with the carrier's reason", async () => {
    const org = await createOrganization("cnam-refused");
    const { id, carrierId } = await provision(org);
    const number = numberOf(await setName(org, id, "Reject"));
    assert.equal(number.callerIdNameStatus, "FAILED");
    assert.match(number.callerIdNameStatusReason!, /refused by the CNAM database/);
    assert.equal((await env()).switchboard.services.carriers.sandbox.voiceSettings(carrierId).callerIdName, null);
    const events = await eventsOf(id, "CALLER_ID_NAME_STATUS_CHANGED");
    assert.deepEqual(events.map((e) => e.status), ["PENDING", "FAILED"]);
    assert.match(events[1]!.reason!, /refused/);
  });

  test("a carrier outage leaves the name PENDING with a reason; the voice settings job completes it", async () => {
    const org = await createOrganization("cnam-outage");
    const { id, carrierId } = await provision(org);
    const { switchboard, config } = await env();
    const sandbox = switchboard.services.carriers.sandbox;
    // Every attempt of the request (the first and its retries) meets a 503.
    sandbox.faults.unavailableNext = 1 + config.carrier.retries;
    const pending = numberOf(await setName(org, id, "Night Desk"));
    sandbox.faults.unavailableNext = 0;
    assert.equal(pending.callerIdNameStatus, "PENDING");
    assert.match(pending.callerIdNameStatusReason!, /did not confirm yet .*retried automatically/);
    assert.equal(sandbox.voiceSettings(carrierId).callerIdName, null);

    // The job's backoff is due (moved forward here instead of waiting), then the job runs.
    const prisma = switchboard.database.prisma;
    const { decodeGlobalID } = await import("@pothos/plugin-relay");
    await prisma.phoneNumber.update({ where: { id: decodeGlobalID(id).id }, data: { voiceSettingsNextAttemptAt: new Date(Date.now() - 1) } });
    await switchboard.services.voiceSettings.syncDue();
    const done = (await org.client.data(ReadNumber, { id })).node as VoiceNumber;
    assert.equal(done.callerIdNameStatus, "ACTIVE");
    assert.equal(done.callerIdNameStatusReason, null);
    assert.equal(sandbox.voiceSettings(carrierId).callerIdName, "Night Desk");
    assert.deepEqual((await eventsOf(id, "CALLER_ID_NAME_STATUS_CHANGED")).map((e) => e.status), ["PENDING", "ACTIVE"]);
    const row = await prisma.phoneNumber.findUniqueOrThrow({ where: { id: decodeGlobalID(id).id } });
    assert.equal(row.voiceSettingsNextAttemptAt, null, "nothing left for the job");
  });

  test("crash safety: an intent a crash left PENDING is completed by the job once its lease is over, not while a request may still hold it", async () => {
    const org = await createOrganization("cnam-crash");
    const { id, carrierId } = await provision(org);
    const { switchboard } = await env();
    const prisma = switchboard.database.prisma;
    const { decodeGlobalID } = await import("@pothos/plugin-relay");
    const rowId = decodeGlobalID(id).id;
    // What the mutation's first transaction leaves when the process dies before the carrier call.
    await prisma.phoneNumber.update({
      where: { id: rowId },
      data: { callerIdName: "After Crash", callerIdNameStatus: "PENDING", voiceSettingsNextAttemptAt: new Date(Date.now() + 60_000) },
    });
    await switchboard.services.voiceSettings.syncDue();
    assert.equal((await prisma.phoneNumber.findUniqueOrThrow({ where: { id: rowId } })).callerIdNameStatus, "PENDING", "still leased to the request");
    assert.equal(switchboard.services.carriers.sandbox.voiceSettings(carrierId).callerIdName, null);

    await prisma.phoneNumber.update({ where: { id: rowId }, data: { voiceSettingsNextAttemptAt: new Date(Date.now() - 1) } });
    await switchboard.services.voiceSettings.syncDue();
    const row = await prisma.phoneNumber.findUniqueOrThrow({ where: { id: rowId } });
    assert.deepEqual([row.callerIdNameStatus, row.voiceSettingsNextAttemptAt], ["ACTIVE", null]);
    assert.equal(switchboard.services.carriers.sandbox.voiceSettings(carrierId).callerIdName, "After Crash");
    assert.deepEqual((await eventsOf(id, "CALLER_ID_NAME_STATUS_CHANGED")).map((e) => [e.previousStatus, e.status]), [["PENDING", "ACTIVE"]]);
  });

  test("a number that is not managed stores the name (STORED) and says CNAM listing needs a managed US number", async () => {
    const org = await createOrganization("cnam-manual");
    const created = (await org.client.data(CreateManual, { input: { e164: uniqueE164() } })).createManualPhoneNumber as { phoneNumber: { id: string } };
    const number = numberOf(await setName(org, created.phoneNumber.id, "Acme Dental"));
    assert.equal(number.callerIdNameStatus, "STORED");
    assert.match(number.callerIdNameStatusReason!, /MANAGED US numbers/);
  });
});

describe("fallback (failover routing)", () => {
  const closers: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  test("a paused agent with a fallback keeps the number inbound-ready (the subscription sees it); removing the fallback brings AGENT_PAUSED back", async () => {
    const org = await createOrganization("fallback-paused");
    const id = await manualWithPausedAgent(org);
    // Outbound needs an emergency address (a US number): registered, so only the agent is in question.
    await registerEmergencyAddress(org.client, id);
    const before = (await org.client.data(ReadNumber, { id })).node as VoiceNumber;
    assert.equal(before.setupStatus.status, "ACTION_REQUIRED");
    assert.deepEqual(codes(before), ["AGENT_PAUSED"]);
    assert.equal(before.setupStatus.inboundRoute, "NONE");

    const client = wsClient(await (await env()).url(), { apiKey: org.secret });
    closers.push(() => client.dispose());
    const events = await subscribe(client, SetupStatusChanged, { phoneNumberId: id });

    const withFallback = numberOf(await setFallback(org, id, { sipUri: "sip:frontdesk@pbx.example.com:5060", timeoutSeconds: 15 }));
    assert.deepEqual(withFallback.fallback, {
      forwardTo: null,
      sipUri: "sip:frontdesk@pbx.example.com:5060",
      timeoutSeconds: 15,
      status: "STORED",
      statusReason: withFallback.fallback!.statusReason,
    });
    assert.match(withFallback.fallback!.statusReason!, /customer's own carrier or trunk/);
    assert.equal(withFallback.setupStatus.status, "READY");
    assert.equal(withFallback.setupStatus.inboundReady, true);
    assert.equal(withFallback.setupStatus.inboundRoute, "FALLBACK");
    assert.deepEqual(codes(withFallback), []);

    let event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.deepEqual([event.current.status, event.current.inboundRoute, event.current.inboundReady], ["READY", "FALLBACK", true]);

    const removed = numberOf(await setFallback(org, id, null));
    assert.equal(removed.fallback, null);
    assert.deepEqual(codes(removed), ["AGENT_PAUSED"]);
    event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.deepEqual([event.current.status, event.current.inboundRoute], ["ACTION_REQUIRED", "NONE"]);
    assert.ok(event.current.issues.some((i) => i.code === "AGENT_PAUSED"));
    assert.deepEqual((await eventsOf(id, "FALLBACK_STATUS_CHANGED")).map((e) => [e.previousStatus, e.status]), [
      [null, "STORED"],
      ["STORED", null],
    ]);
  });

  test("pausing an agent of many managed numbers makes no carrier call in the request; the woken job switches every number's forwarding", async () => {
    const org = await createOrganization("fallback-many");
    const { switchboard } = await env();
    const sandbox = switchboard.services.carriers.sandbox;
    const prisma = switchboard.database.prisma;
    const agent = ((await org.client.data(CreateAgent, { name: "Busy desk" })).createAgent as { agent: { id: string } }).agent.id;
    const numbers: Array<{ id: string; carrierId: string }> = [];
    for (let i = 0; i < 12; i++) {
      const number = await provision(org);
      await org.client.data(Assign, { phoneNumberId: number.id, agentId: agent });
      assert.equal(numberOf(await setFallback(org, number.id, { forwardTo: "+14155550123" })).fallback!.status, "ACTIVE");
      numbers.push(number);
    }
    const types = () => numbers.map((n) => sandbox.voiceSettings(n.carrierId).forwardingType);
    assert.deepEqual(types(), numbers.map(() => "on-failure"));

    // The request only records what the job owes: with the job held back, nothing reached the carrier.
    const job = switchboard.services.voiceSettings;
    let woken = 0;
    const serverJob = job.onWake(() => woken++);
    try {
      const calls = sandbox.calls.setCallForwarding ?? 0;
      await org.client.data(PauseAgent, { id: agent });
      assert.equal((sandbox.calls.setCallForwarding ?? 0) - calls, 0, "no carrier call in the request");
      assert.equal(woken, 1, "the job was woken once");
      const due = await prisma.phoneNumber.count({ where: { organizationId: org.id, voiceSettingsNextAttemptAt: { not: null } } });
      assert.equal(due, numbers.length, "every number is due for the job");
    } finally {
      job.onWake(serverJob!);
    }
    await job.syncDue();
    assert.deepEqual(types(), numbers.map(() => "always"), "the job switched every number");
    const rows = await prisma.phoneNumber.findMany({ where: { organizationId: org.id } });
    assert.deepEqual(rows.map((r) => [r.fallbackForwardingType, r.voiceSettingsNextAttemptAt]), rows.map(() => ["always", null]));
  });

  test("a managed number without an agent: carrier forwarding on failure makes it READY; a refused destination is FAILED and says so in setup status", async () => {
    const org = await createOrganization("fallback-managed");
    const { id, carrierId } = await provision(org);
    await registerEmergencyAddress(org.client, id);
    const sandbox = (await env()).switchboard.services.carriers.sandbox;
    const before = (await org.client.data(ReadNumber, { id })).node as VoiceNumber;
    assert.deepEqual(codes(before), ["NO_AGENT"]);

    const active = numberOf(await setFallback(org, id, { forwardTo: "+1 (415) 555-0123" }));
    assert.deepEqual([active.fallback!.forwardTo, active.fallback!.timeoutSeconds, active.fallback!.status], ["+14155550123", 20, "ACTIVE"]);
    // No agent: the carrier forwards every call.
    assert.deepEqual(sandbox.voiceSettings(carrierId), { callerIdName: null, forwardsTo: "+14155550123", forwardingType: "always" });
    assert.deepEqual([active.setupStatus.status, active.setupStatus.inboundRoute, active.setupStatus.inboundReady], ["READY", "FALLBACK", true]);
    assert.deepEqual(codes(active), []);
    assert.deepEqual((await eventsOf(id, "FALLBACK_STATUS_CHANGED")).map((e) => e.status), ["PENDING", "ACTIVE"]);

    // An ACTIVE agent takes the calls; the carrier forwards only those its connection does not take.
    const agent = ((await org.client.data(CreateAgent, { name: "Night desk" })).createAgent as { agent: { id: string } }).agent.id;
    await org.client.data(Assign, { phoneNumberId: id, agentId: agent });
    await eventually("forwarding on-failure", () => sandbox.voiceSettings(carrierId).forwardingType === "on-failure");
    assert.equal(((await org.client.data(ReadNumber, { id })).node as VoiceNumber).setupStatus.inboundRoute, "AGENT");
    // Paused: every call is forwarded again, and the setup status says so.
    await org.client.data(PauseAgent, { id: agent });
    await eventually("forwarding always", async () => {
      const row = await (await env()).switchboard.database.prisma.phoneNumber.findFirst({ where: { carrierResourceId: carrierId } });
      return sandbox.voiceSettings(carrierId).forwardingType === "always" && row?.voiceSettingsNextAttemptAt === null;
    });
    const paused = (await org.client.data(ReadNumber, { id })).node as VoiceNumber;
    assert.deepEqual([paused.setupStatus.status, paused.setupStatus.inboundRoute, paused.fallback!.status], ["READY", "FALLBACK", "ACTIVE"]);
    // The list (compiled into one statement) reads the fallback columns too: the same setup status.
    await setName(org, id, "Acme Dental");
    let listed: unknown[] = [];
    const statements = await statementsDuring(async () => {
      listed = (await org.client.data(ListNumbers)).phoneNumbers.edges.map((edge) => edge.node);
    });
    const reads = statements.filter((sql) => sql.includes('"PhoneNumber"'));
    assert.equal(reads.length, 1, "one statement for the page");
    assert.match(reads[0]!, /"fallbackStatus"/);
    assert.deepEqual(listed, [
      {
        id,
        callerIdName: "Acme Dental",
        callerIdNameStatus: "ACTIVE",
        setupStatus: { status: "READY", inboundRoute: "FALLBACK", inboundReady: true, issues: active.setupStatus.issues.map((i) => ({ code: i.code })) },
      },
    ]);

    const refused = numberOf(await setFallback(org, id, { forwardTo: "+14155550499" }));
    assert.equal(refused.fallback!.status, "FAILED");
    assert.match(refused.fallback!.statusReason!, /555-0499/);
    assert.equal(refused.setupStatus.inboundReady, false);
    assert.deepEqual(codes(refused), ["AGENT_PAUSED", "FALLBACK_NOT_CONFIGURED"]);
    const issue = refused.setupStatus.issues.find((i) => i.code === "FALLBACK_NOT_CONFIGURED")!;
    assert.equal(issue.field, "fallback");
    assert.match(issue.message, /refused/);
    // The carrier still forwards to the last destination it accepted.
    assert.equal(sandbox.voiceSettings(carrierId).forwardsTo, "+14155550123");
  });

  test("a carrier outage while the agent changes leaves the old forwarding type; the job realigns it", async () => {
    const org = await createOrganization("fallback-realign");
    const { id, carrierId } = await provision(org);
    const { switchboard, config } = await env();
    const sandbox = switchboard.services.carriers.sandbox;
    numberOf(await setFallback(org, id, { forwardTo: "+14155550123" }));
    assert.equal(sandbox.voiceSettings(carrierId).forwardingType, "always");
    const agent = ((await org.client.data(CreateAgent, { name: "Day desk" })).createAgent as { agent: { id: string } }).agent.id;
    // The job is run by hand here (its wake is held), so the outage hits its attempt and nothing else.
    const voiceSettings = switchboard.services.voiceSettings;
    const serverJob = voiceSettings.onWake(() => {});
    const prisma = switchboard.database.prisma;
    const { decodeGlobalID } = await import("@pothos/plugin-relay");
    const rowId = decodeGlobalID(id).id;
    try {
      assert.equal((await org.client.data(Assign, { phoneNumberId: id, agentId: agent })).assignPhoneNumber.__typename, "AssignPhoneNumberSuccess");
      sandbox.faults.unavailableNext = 1 + config.carrier.retries;
      assert.ok((await voiceSettings.syncDue()).voiceSettingsRetrying >= 1, "the carrier did not answer the job");
      sandbox.faults.unavailableNext = 0;
    } finally {
      voiceSettings.onWake(serverJob!);
    }
    assert.equal(sandbox.voiceSettings(carrierId).forwardingType, "always", "the carrier did not hear of the agent yet");
    assert.ok((await prisma.phoneNumber.findUniqueOrThrow({ where: { id: rowId } })).voiceSettingsNextAttemptAt, "the job owes a carrier call");
    await prisma.phoneNumber.update({ where: { id: rowId }, data: { voiceSettingsNextAttemptAt: new Date(Date.now() - 1) } });
    await voiceSettings.syncDue();
    assert.equal(sandbox.voiceSettings(carrierId).forwardingType, "on-failure");
    assert.equal((await prisma.phoneNumber.findUniqueOrThrow({ where: { id: rowId } })).voiceSettingsNextAttemptAt, null);
  });

  test("validation: a bad number, a bad SIP URI, a timeout out of range, both or neither destination, a SIP URI on a managed number, the number itself", async () => {
    const org = await createOrganization("fallback-validation");
    const manual = (await org.client.data(CreateManual, { input: { e164: uniqueE164() } })).createManualPhoneNumber as { phoneNumber: { id: string } };
    const id = manual.phoneNumber.id;
    const paths = (payload: { __typename: string }) => errorsOf(payload).map((e) => [e.path.join("."), e.code]).sort();

    assert.deepEqual(paths(await setFallback(org, id, { forwardTo: "+1 555", timeoutSeconds: 61 })), [
      ["input.fallback.forwardTo", "INVALID_E164"],
      ["input.fallback.timeoutSeconds", "OUT_OF_RANGE"],
    ]);
    assert.deepEqual(paths(await setFallback(org, id, { sipUri: "sip:nohost", timeoutSeconds: 4 })), [
      ["input.fallback.sipUri", "INVALID_FORMAT"],
      ["input.fallback.timeoutSeconds", "OUT_OF_RANGE"],
    ]);
    const sip = errorsOf(await setFallback(org, id, { sipUri: "http://pbx.example.com" }));
    assert.match(sip[0]!.message, /sip: or sips:, user@host/);
    assert.deepEqual(paths(await setFallback(org, id, { forwardTo: "+14155550123", sipUri: "sip:a@pbx.example.com" })), [["input.fallback.sipUri", "INVALID_VALUE"]]);
    assert.deepEqual(paths(await setFallback(org, id, { timeoutSeconds: 30 })), [["input.fallback.forwardTo", "REQUIRED"]]);

    const own = (await org.client.data(ReadNumber, { id })).node as VoiceNumber;
    assert.deepEqual(paths(await setFallback(org, id, { forwardTo: own.e164 })), [["input.fallback.forwardTo", "INVALID_VALUE"]]);

    const outbound = (await org.client.data(CreateManual, { input: { e164: uniqueE164(), direction: "OUTBOUND" } })).createManualPhoneNumber as { phoneNumber: { id: string } };
    assert.deepEqual(paths(await setFallback(org, outbound.phoneNumber.id, { forwardTo: "+14155550123" })), [["input.fallback", "NOT_PERMITTED"]]);

    const managed = await provision(org);
    const refused = errorsOf(await setFallback(org, managed.id, { sipUri: "sip:frontdesk@pbx.example.com" }));
    assert.deepEqual(refused.map((e) => [e.path.join("."), e.code]), [["input.fallback.sipUri", "NOT_PERMITTED"]]);
    assert.match(refused[0]!.message, /phone number \(forwardTo\), not a SIP URI/);

    assert.equal(((await org.client.data(ReadNumber, { id })).node as VoiceNumber).fallback, null, "nothing was stored");
  });

  test("tenancy: another organization's number is not found, and stays unchanged", async () => {
    const owner = await createOrganization("voice-owner");
    const stranger = await createOrganization("voice-stranger");
    const { id } = await provision(owner);
    assert.equal((await setName(stranger, id, "Intruder")).__typename, "NotFoundError");
    assert.equal((await setFallback(stranger, id, { forwardTo: "+14155550123" })).__typename, "NotFoundError");
    const number = (await owner.client.data(ReadNumber, { id })).node as VoiceNumber;
    assert.equal(number.callerIdName, null);
    assert.equal(number.fallback, null);
    assert.equal((await stranger.client.data(ReadNumber, { id })).node, null);
  });
});

describe("Telnyx voice settings (adapter against the local Telnyx-shaped server)", () => {
  const fakes: FakeTelnyx[] = [];
  after(async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  async function setup() {
    const fake = await startFakeTelnyx();
    fakes.push(fake);
    const number = fake.addNumber("+14157340199");
    return { fake, number, carrier: new TelnyxCarrier({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2_000 }) };
  }

  async function failure(promise: Promise<unknown>, kind: CarrierFailure["kind"]): Promise<CarrierFailure> {
    const error = await promise.then(
      () => assert.fail(`expected a CarrierFailure ${kind}`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CarrierFailure, String(error));
    assert.equal(error.kind, kind, error.message);
    return error;
  }

  test("the exact PATCH /v2/phone_numbers/{id}/voice bodies for CNAM and call forwarding, each touching only its own part", async () => {
    const { fake, number, carrier } = await setup();
    await carrier.setCallerIdName(number.id, "Acme Dental");
    await carrier.setCallForwarding(number.id, { forwardsTo: "+14155550123", type: "on-failure" });
    await carrier.setCallForwarding(number.id, { forwardsTo: "+14155550123", type: "always" });
    await carrier.setCallerIdName(number.id, null);
    await carrier.setCallForwarding(number.id, null);
    const bodies = fake.requestsTo("PATCH", `/v2/phone_numbers/${number.id}/voice`).map((r) => r.body);
    assert.deepEqual(bodies, [
      { cnam_listing: { cnam_listing_enabled: true, cnam_listing_details: "Acme Dental" } },
      { call_forwarding: { call_forwarding_enabled: true, forwards_to: "+14155550123", forwarding_type: "on-failure" } },
      { call_forwarding: { call_forwarding_enabled: true, forwards_to: "+14155550123", forwarding_type: "always" } },
      { cnam_listing: { cnam_listing_enabled: false } },
      { call_forwarding: { call_forwarding_enabled: false } },
    ]);
    assert.deepEqual(fake.state.voice.get(number.id), {
      cnam_listing: { cnam_listing_enabled: false, cnam_listing_details: "Acme Dental" },
      call_forwarding: { call_forwarding_enabled: false, forwards_to: "+14155550123", forwarding_type: "always" },
    });
  });

  test("refusals are REJECTED with Telnyx's title and detail; an unknown number is NOT_FOUND", async () => {
    const { fake, number, carrier } = await setup();
    const refused = await failure(carrier.setCallerIdName(number.id, "Acme & Co"), "REJECTED");
    assert.match(refused.message, /HTTP 422 Invalid value: cnam_listing_details must be alphanumeric characters or spaces with a maximum length of 15/);
    fake.switches.rejectNextVoiceUpdates = 1;
    const forwarding = await failure(carrier.setCallForwarding(number.id, { forwardsTo: "+14155550123", type: "on-failure" }), "REJECTED");
    assert.match(forwarding.message, /voice settings of this number cannot be changed/);
    assert.equal(fake.state.voice.get(number.id), undefined, "nothing changed");
    await failure(carrier.setCallForwarding("1293384261075731499", { forwardsTo: "+14155550123", type: "on-failure" }), "NOT_FOUND");
  });
});

describe("through the API with CARRIER=telnyx (the local Telnyx-shaped server)", () => {
  let fake: FakeTelnyx | undefined;
  let server: VariantServer | undefined;
  after(async () => {
    await server?.close();
    await fake?.close();
  });

  test("a bought number's caller ID name and fallback reach Telnyx as documented; a refusal surfaces Telnyx's words", async () => {
    fake = await startFakeTelnyx();
    server = await startVariant(
      { CARRIER: "telnyx", TELNYX_API_KEY: fake.apiKey, TELNYX_BASE_URL: fake.url, CARRIER_TIMEOUT_MS: "15000", ORDER_POLL_SECONDS: "3600" },
      { database: "own" },
    );
    const prisma = server.switchboard.database.prisma;
    const organization = await prisma.organization.create({ data: { name: "telnyx-voice" } });
    const client = processClient(server.url, (await createApiKey(prisma, organization.id, { name: "voice", scopes: ["*"], mode: "LIVE" })).secret);
    const org = { client } as TestOrganization;

    const bought = (await client.data(Provision, { input: { e164: "+14157340101", idempotencyKey: "voice-telnyx" } })).provisionPhoneNumber as {
      __typename: string;
      phoneNumber: { id: string; carrierResourceId: string };
    };
    assert.equal(bought.__typename, "ProvisionPhoneNumberSuccess");
    const { id, carrierResourceId } = bought.phoneNumber;
    const voicePath = `/v2/phone_numbers/${carrierResourceId}/voice`;

    const named = numberOf(await setName(org, id, "Acme Dental"));
    assert.deepEqual([named.callerIdName, named.callerIdNameStatus], ["Acme Dental", "ACTIVE"]);
    const fallback = numberOf(await setFallback(org, id, { forwardTo: "+14155550123", timeoutSeconds: 25 }));
    assert.deepEqual([fallback.fallback!.status, fallback.setupStatus.inboundRoute], ["ACTIVE", "FALLBACK"]);
    assert.deepEqual(
      fake.requestsTo("PATCH", voicePath).map((r) => r.body),
      [
        { cnam_listing: { cnam_listing_enabled: true, cnam_listing_details: "Acme Dental" } },
        // No agent: every call is forwarded.
        { call_forwarding: { call_forwarding_enabled: true, forwards_to: "+14155550123", forwarding_type: "always" } },
      ],
    );

    fake.switches.rejectNextVoiceUpdates = 1;
    const refused = numberOf(await setName(org, id, "Acme Two"));
    assert.equal(refused.callerIdNameStatus, "FAILED");
    assert.match(refused.callerIdNameStatusReason!, /HTTP 422 Invalid value: The voice settings of this number cannot be changed now/);
    assert.equal(fake.state.voice.get(carrierResourceId)!.cnam_listing.cnam_listing_details, "Acme Dental", "Telnyx kept the listing it had");
  });
});
