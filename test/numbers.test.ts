import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type Client } from "./helpers/harness.ts";
import { registerEmergencyAddress } from "./helpers/emergency.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

// Phone numbers end to end, through the GraphQL API as a client uses it (design.md "Domain",
// "GraphQL conventions", "Setup status rules"), plus what the database holds afterwards.

graphql(`
  fragment NumbersTestPhoneNumber on PhoneNumber {
    id
    e164
    label
    source
    country
    status
    direction
    supportsInbound
    supportsOutbound
    forwardingConfirmedAt
    releasedAt
    agent {
      id
      status
    }
    capabilities {
      voice
      sms
      mms
    }
    inboundTrunk {
      addresses
      authUsername
      hasCredentials
      allowedSourceIps
    }
    outboundTrunk {
      addresses
      authUsername
      hasCredentials
      allowedSourceIps
      ipAuthentication
    }
    billing {
      includedInPlan
      monthlyPriceCents
      upfrontPriceCents
      nextChargeAt
    }
    setupStatus {
      status
      inboundReady
      outboundReady
      agentReady
      smsReady
      forwardingRequired
      sipConnectionReady
      issues {
        code
        field
        message
      }
    }
  }
`);

graphql(`
  fragment NumbersTestErrors on Error {
    __typename
    code
    message
    ... on ValidationError {
      fieldErrors {
        path
        code
        message
      }
    }
    ... on NotFoundError {
      id
    }
    ... on NumberReleasedError {
      e164
      releasedAt
    }
  }
`);

const CreateManual = graphql(`
  mutation NumbersTestCreateManual($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          ...NumbersTestPhoneNumber
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const ImportSip = graphql(`
  mutation NumbersTestImportSip($input: ImportSipTrunkPhoneNumberInput!) {
    importSipTrunkPhoneNumber(input: $input) {
      __typename
      ... on ImportSipTrunkPhoneNumberSuccess {
        phoneNumber {
          ...NumbersTestPhoneNumber
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const UpdateNumber = graphql(`
  mutation NumbersTestUpdate($input: UpdatePhoneNumberInput!) {
    updatePhoneNumber(input: $input) {
      __typename
      ... on UpdatePhoneNumberSuccess {
        phoneNumber {
          ...NumbersTestPhoneNumber
        }
      }
      ...NumbersTestErrors
    }
  }
`);

/** The same mutation for a key without billing:read (selecting billing would be FORBIDDEN). */
const UpdateNumberNoBillingRead = graphql(`
  mutation NumbersTestUpdateNoBillingRead($input: UpdatePhoneNumberInput!) {
    updatePhoneNumber(input: $input) {
      __typename
      ... on UpdatePhoneNumberSuccess {
        phoneNumber {
          id
          label
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const ConfirmForwarding = graphql(`
  mutation NumbersTestConfirmForwarding($input: ConfirmPhoneNumberForwardingInput!) {
    confirmPhoneNumberForwarding(input: $input) {
      __typename
      ... on ConfirmPhoneNumberForwardingSuccess {
        phoneNumber {
          ...NumbersTestPhoneNumber
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const Assign = graphql(`
  mutation NumbersTestAssign($input: AssignPhoneNumberInput!) {
    assignPhoneNumber(input: $input) {
      __typename
      ... on AssignPhoneNumberSuccess {
        phoneNumber {
          ...NumbersTestPhoneNumber
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const Unassign = graphql(`
  mutation NumbersTestUnassign($input: UnassignPhoneNumberInput!) {
    unassignPhoneNumber(input: $input) {
      __typename
      ... on UnassignPhoneNumberSuccess {
        phoneNumber {
          ...NumbersTestPhoneNumber
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const Release = graphql(`
  mutation NumbersTestRelease($input: ReleasePhoneNumberInput!) {
    releasePhoneNumber(input: $input) {
      __typename
      ... on ReleasePhoneNumberSuccess {
        phoneNumber {
          ...NumbersTestPhoneNumber
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const CreateAgent = graphql(`
  mutation NumbersTestCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          id
          status
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const UpdateAgent = graphql(`
  mutation NumbersTestUpdateAgent($input: UpdateAgentInput!) {
    updateAgent(input: $input) {
      __typename
      ... on UpdateAgentSuccess {
        agent {
          id
          status
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const DeleteAgent = graphql(`
  mutation NumbersTestDeleteAgent($input: DeleteAgentInput!) {
    deleteAgent(input: $input) {
      __typename
      ... on DeleteAgentSuccess {
        deletedAgentId
        unassignedPhoneNumbers {
          ...NumbersTestPhoneNumber
        }
      }
      ...NumbersTestErrors
    }
  }
`);

const NumberNode = graphql(`
  query NumbersTestNode($id: ID!) {
    node(id: $id) {
      __typename
      id
      ...NumbersTestPhoneNumber
    }
  }
`);

const NumberList = graphql(`
  query NumbersTestList($filter: PhoneNumberFilter) {
    phoneNumbers(filter: $filter, first: 50) {
      totalCount
      edges {
        node {
          id
          e164
          status
        }
      }
    }
  }
`);

// ---- helpers --------------------------------------------------------------------------------

type Typed = { __typename?: string };

/** Asserts a union result's __typename and narrows it to that member. */
function expectType<T extends Typed, N extends NonNullable<T["__typename"]>>(value: T | null | undefined, typename: N): Extract<T, { __typename?: N }> {
  assert.ok(value, `expected a ${typename}, got ${String(value)}`);
  assert.equal(value.__typename, typename, `expected ${typename}, got ${JSON.stringify(value)}`);
  return value as Extract<T, { __typename?: N }>;
}

type Issue = { code: string; field: string };
const issueCodes = (setup: { issues: readonly Issue[] }) => setup.issues.map((issue) => issue.code).sort();
/** Voice issues only: SMS issues (a voice-only number is never SMS-capable) are reported separately. */
const voiceIssueCodes = (setup: { issues: readonly Issue[] }) => issueCodes(setup).filter((code) => !code.startsWith("SMS_"));

type FieldErrors = ReadonlyArray<{ path: readonly string[]; code: string; message: string }>;
function fieldError(errors: FieldErrors, path: string[]) {
  const found = errors.find((error) => JSON.stringify(error.path) === JSON.stringify(path));
  assert.ok(found, `expected a field error at ${JSON.stringify(path)}, got ${JSON.stringify(errors)}`);
  assert.ok(found.message.length > 0);
  return found;
}

/** The database id inside a global id (base64 of "<Type>:<uuid>"). */
function rawId(globalId: string): string {
  const [typename, id] = Buffer.from(globalId, "base64").toString("utf8").split(":");
  assert.equal(typename, "PhoneNumber");
  return id!;
}

const globalId = (typename: string, id: string) => Buffer.from(`${typename}:${id}`).toString("base64");

async function prisma() {
  return (await getEnvironment()).switchboard.database.prisma;
}

async function createAgent(client: Client, name = "Receptionist") {
  const result = await client.data(CreateAgent, { input: { name } });
  return expectType(result.createAgent, "CreateAgentSuccess").agent;
}

async function createManual(client: Client, input: Parameters<typeof manualInput>[0] = {}) {
  const result = await client.request(CreateManual, { input: manualInput(input) });
  assert.equal(result.errors, undefined);
  return expectType(result.data?.createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
}
function manualInput(input: { e164?: string; label?: string; agentId?: string; direction?: "INBOUND" | "OUTBOUND" | "BOTH" }) {
  return { e164: uniqueE164(), ...input };
}

/** "+14155550123" written as a person would: "+1 (415) 555-0123". */
const formatted = (e164: string) => `+1 (${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`;

async function readNumber(client: Client, id: string) {
  const data = await client.data(NumberNode, { id });
  return expectType(data.node, "PhoneNumber");
}

// ---- tests ----------------------------------------------------------------------------------

describe("phone numbers", () => {
  test("uniqueE164 gives distinct numbers that libphonenumber-js/max accepts as valid US numbers", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const e164 = uniqueE164();
      assert.match(e164, /^\+1(201|212|312|415|617|646|713|818)[2-9]\d{2}[2-9]\d{3}$/);
      const parsed = parsePhoneNumberFromString(e164);
      assert.ok(parsed?.isValid(), `${e164} is valid`);
      assert.equal(parsed?.country, "US");
      assert.equal(parsed?.number, e164);
      assert.ok(!seen.has(e164));
      seen.add(e164);
      const pretty = parsePhoneNumberFromString(formatted(e164));
      assert.equal(pretty?.number, e164, `${formatted(e164)} parses back to ${e164}`);
    }
  });

  describe("createManualPhoneNumber", () => {
    test("normalises a typed number to E.164, starts ACTIVE and needs an agent and forwarding until both are done", async () => {
      const org = await createOrganization("numbers-manual");
      const e164 = uniqueE164("+1415");
      const created = await createManual(org.client, { e164: formatted(e164), label: "Front desk" });

      assert.equal(created.e164, e164);
      assert.equal(created.country, "US");
      assert.equal(created.source, "MANUAL");
      assert.equal(created.status, "ACTIVE");
      assert.equal(created.label, "Front desk");
      assert.equal(created.direction, "BOTH");
      assert.deepEqual(created.capabilities, { voice: true, sms: false, mms: false });
      assert.equal(created.agent, null);
      assert.equal(created.inboundTrunk, null);
      assert.equal(created.outboundTrunk, null);
      assert.equal(created.forwardingConfirmedAt, null);
      assert.equal(created.setupStatus.status, "ACTION_REQUIRED");
      assert.equal(created.setupStatus.forwardingRequired, true);
      assert.equal(created.setupStatus.agentReady, false);
      assert.equal(created.setupStatus.inboundReady, false);
      // A US number that places calls needs an emergency address before it is outbound-ready.
      assert.equal(created.setupStatus.outboundReady, false);
      assert.deepEqual(voiceIssueCodes(created.setupStatus), ["EMERGENCY_ADDRESS_MISSING", "FORWARDING_NOT_CONFIRMED", "NO_AGENT"]);
      await registerEmergencyAddress(org.client, created.id);

      const row = await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(created.id) } });
      assert.equal(row?.e164, e164);
      assert.equal(row?.organizationId, org.id);
      assert.equal(row?.status, "ACTIVE");

      const agent = await createAgent(org.client);
      const assigned = expectType((await org.client.data(Assign, { input: { phoneNumberId: created.id, agentId: agent.id } })).assignPhoneNumber, "AssignPhoneNumberSuccess").phoneNumber;
      assert.equal(assigned.agent?.id, agent.id);
      assert.equal(assigned.setupStatus.agentReady, true);
      assert.equal(assigned.setupStatus.status, "ACTION_REQUIRED");
      assert.deepEqual(voiceIssueCodes(assigned.setupStatus), ["FORWARDING_NOT_CONFIRMED"]);

      const confirmed = expectType((await org.client.data(ConfirmForwarding, { input: { id: created.id } })).confirmPhoneNumberForwarding, "ConfirmPhoneNumberForwardingSuccess").phoneNumber;
      assert.ok(confirmed.forwardingConfirmedAt);
      assert.equal(confirmed.setupStatus.forwardingRequired, false);
      assert.equal(confirmed.setupStatus.inboundReady, true);
      assert.equal(confirmed.setupStatus.outboundReady, true);
      assert.equal(confirmed.setupStatus.status, "READY");
      assert.deepEqual(voiceIssueCodes(confirmed.setupStatus), []);
      // SMS readiness is reported, but never holds a voice-ready number back.
      assert.equal(confirmed.setupStatus.smsReady, false);
      assert.deepEqual(issueCodes(confirmed.setupStatus), ["SMS_NOT_CAPABLE"]);

      // A later read agrees with what the mutation returned.
      const reread = await readNumber(org.client, created.id);
      assert.equal(reread.setupStatus.status, "READY");
      assert.ok((await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(created.id) } }))?.forwardingConfirmedAt);
    });

    test("an agent given at creation is assigned at once", async () => {
      const org = await createOrganization("numbers-manual-agent");
      const agent = await createAgent(org.client);
      const created = await createManual(org.client, { agentId: agent.id });
      assert.equal(created.agent?.id, agent.id);
      assert.deepEqual(voiceIssueCodes(created.setupStatus), ["EMERGENCY_ADDRESS_MISSING", "FORWARDING_NOT_CONFIRMED"]);
    });

    test("bad input is a ValidationError listing every problem with its path, and creates nothing", async () => {
      const org = await createOrganization("numbers-invalid");
      const unknownAgent = globalId("Agent", randomUUID());
      // (Text over its maximum length is refused before these rules run, on its own: input-hygiene.test.ts.)
      const result = await org.client.request(CreateManual, {
        input: { e164: "12345", dispatchMetadataTemplate: ["not", "an", "object"], agentId: unknownAgent },
      });
      assert.equal(result.status, 200);
      assert.equal(result.errors, undefined);
      const error = expectType(result.data?.createManualPhoneNumber, "ValidationError");
      assert.equal(error.code, "VALIDATION_FAILED");
      assert.equal(error.fieldErrors.length, 3, JSON.stringify(error.fieldErrors));
      assert.equal(fieldError(error.fieldErrors, ["input", "e164"]).code, "INVALID_E164");
      assert.equal(fieldError(error.fieldErrors, ["input", "dispatchMetadataTemplate"]).code, "INVALID_VALUE");
      assert.equal(fieldError(error.fieldErrors, ["input", "agentId"]).code, "NOT_FOUND");
      assert.equal(await (await prisma()).phoneNumber.count({ where: { organizationId: org.id } }), 0);
    });

    test("invalid numbers, a malformed agent id and an agent of another organization are refused", async () => {
      const org = await createOrganization("numbers-invalid-2");
      const other = await createOrganization("numbers-invalid-other");
      const foreignAgent = await createAgent(other.client, "Not yours");

      for (const e164 of ["4155550100", "+1 415 555", "+1 (415) 055-0100", "not a number", ""]) {
        const result = await org.client.request(CreateManual, { input: { e164 } });
        assert.equal(result.errors, undefined, e164);
        const error = expectType(result.data?.createManualPhoneNumber, "ValidationError");
        assert.equal(fieldError(error.fieldErrors, ["input", "e164"]).code, "INVALID_E164", e164);
      }

      const malformed = await org.client.request(CreateManual, { input: { e164: uniqueE164(), agentId: "not-an-id" } });
      const malformedError = expectType(malformed.data?.createManualPhoneNumber, "ValidationError");
      assert.deepEqual(malformedError.fieldErrors.map((e) => [e.path, e.code]), [[["input", "agentId"], "INVALID_ID"]]);

      const foreign = await org.client.request(CreateManual, { input: { e164: uniqueE164(), agentId: foreignAgent.id } });
      const foreignError = expectType(foreign.data?.createManualPhoneNumber, "ValidationError");
      assert.deepEqual(foreignError.fieldErrors.map((e) => [e.path, e.code]), [[["input", "agentId"], "NOT_FOUND"]]);
      assert.doesNotMatch(JSON.stringify(foreignError), new RegExp(other.id));

      assert.equal(await (await prisma()).phoneNumber.count({ where: { organizationId: org.id } }), 0);
    });
  });

  describe("importSipTrunkPhoneNumber", () => {
    test("incomplete trunks are reported field by field; completing them via updatePhoneNumber makes it READY", async () => {
      const org = await createOrganization("numbers-sip");
      const agent = await createAgent(org.client);
      const e164 = uniqueE164();
      const result = await org.client.data(ImportSip, {
        input: { e164, agentId: agent.id, inboundTrunk: { addresses: ["sip.customer.example.com"] } },
      });
      const created = expectType(result.importSipTrunkPhoneNumber, "ImportSipTrunkPhoneNumberSuccess").phoneNumber;
      assert.equal(created.source, "SIP_TRUNK");
      assert.equal(created.status, "ACTIVE");
      assert.equal(created.setupStatus.status, "ACTION_REQUIRED");
      assert.equal(created.setupStatus.sipConnectionReady, false);
      assert.equal(created.setupStatus.forwardingRequired, false);
      assert.equal(created.setupStatus.agentReady, true);
      assert.deepEqual(created.inboundTrunk?.addresses, ["sip.customer.example.com"]);
      assert.equal(created.inboundTrunk?.hasCredentials, false);
      const trunkIssues = created.setupStatus.issues.filter((i) => i.code.endsWith("_TRUNK_INCOMPLETE")).map((i) => [i.code, i.field]);
      assert.deepEqual(trunkIssues.sort(), [
        ["INBOUND_TRUNK_INCOMPLETE", "inboundTrunk.allowedSourceIps"],
        ["OUTBOUND_TRUNK_INCOMPLETE", "outboundTrunk.addresses"],
        ["OUTBOUND_TRUNK_INCOMPLETE", "outboundTrunk.authUsername"],
      ]);

      // Inbound: credentials are enough.
      const inbound = await org.client.data(UpdateNumber, {
        input: { id: created.id, inboundTrunk: { authUsername: "switchboard", authPassword: "inbound-pass-1" } },
      });
      const afterInbound = expectType(inbound.updatePhoneNumber, "UpdatePhoneNumberSuccess").phoneNumber;
      assert.equal(afterInbound.inboundTrunk?.hasCredentials, true);
      assert.deepEqual(voiceIssueCodes(afterInbound.setupStatus), ["EMERGENCY_ADDRESS_MISSING", "OUTBOUND_TRUNK_INCOMPLETE", "OUTBOUND_TRUNK_INCOMPLETE"]);
      assert.equal(afterInbound.setupStatus.status, "ACTION_REQUIRED");
      await registerEmergencyAddress(org.client, created.id);

      // Outbound: an address and IP authentication.
      const outbound = await org.client.data(UpdateNumber, {
        input: { id: created.id, outboundTrunk: { addresses: ["sip.carrier.example.com:5061"], ipAuthentication: true } },
      });
      const ready = expectType(outbound.updatePhoneNumber, "UpdatePhoneNumberSuccess").phoneNumber;
      assert.equal(ready.outboundTrunk?.ipAuthentication, true);
      assert.deepEqual(ready.outboundTrunk?.addresses, ["sip.carrier.example.com:5061"]);
      assert.deepEqual(voiceIssueCodes(ready.setupStatus), []);
      assert.equal(ready.setupStatus.sipConnectionReady, true);
      assert.equal(ready.setupStatus.inboundReady, true);
      assert.equal(ready.setupStatus.outboundReady, true);
      assert.equal(ready.setupStatus.status, "READY");
      // Earlier inbound settings were kept (omitted fields stay).
      assert.deepEqual(ready.inboundTrunk?.addresses, ["sip.customer.example.com"]);
      assert.equal(ready.inboundTrunk?.hasCredentials, true);
    });

    test("a direction only needs its own trunk", async () => {
      const org = await createOrganization("numbers-sip-direction");
      const agent = await createAgent(org.client);
      const inboundOnly = expectType(
        (await org.client.data(ImportSip, { input: { e164: uniqueE164(), agentId: agent.id, direction: "INBOUND", inboundTrunk: { allowedSourceIps: ["203.0.113.0/24"] } } }))
          .importSipTrunkPhoneNumber,
        "ImportSipTrunkPhoneNumberSuccess",
      ).phoneNumber;
      assert.equal(inboundOnly.supportsInbound, true);
      assert.equal(inboundOnly.supportsOutbound, false);
      assert.equal(inboundOnly.setupStatus.status, "READY");
      assert.deepEqual(voiceIssueCodes(inboundOnly.setupStatus), []);

      const outboundOnly = expectType(
        (
          await org.client.data(ImportSip, {
            input: { e164: uniqueE164(), direction: "OUTBOUND", outboundTrunk: { addresses: ["sip.example.net"], authUsername: "out", authPassword: "outbound-pass" } },
          })
        ).importSipTrunkPhoneNumber,
        "ImportSipTrunkPhoneNumberSuccess",
      ).phoneNumber;
      // Placing calls, it needs an emergency address (its own carrier routes 911: ACTIVE once set).
      assert.deepEqual(voiceIssueCodes(outboundOnly.setupStatus), ["EMERGENCY_ADDRESS_MISSING"]);
      await registerEmergencyAddress(org.client, outboundOnly.id);
      const outboundReady = await readNumber(org.client, outboundOnly.id);
      assert.equal(outboundReady.setupStatus.status, "READY");
      assert.equal(outboundReady.setupStatus.outboundReady, true);
      assert.equal(outboundReady.setupStatus.inboundReady, false);
      assert.equal(outboundOnly.outboundTrunk?.hasCredentials, true);
      assert.deepEqual(voiceIssueCodes(outboundReady.setupStatus), []);

      // Widening the direction brings in the other trunk's requirements.
      const widened = expectType((await org.client.data(UpdateNumber, { input: { id: outboundOnly.id, direction: "BOTH" } })).updatePhoneNumber, "UpdatePhoneNumberSuccess")
        .phoneNumber;
      assert.equal(widened.setupStatus.status, "ACTION_REQUIRED");
      assert.deepEqual(voiceIssueCodes(widened.setupStatus), ["INBOUND_TRUNK_INCOMPLETE", "NO_AGENT"]);
    });

    test("bad trunk settings are all reported with their paths", async () => {
      const org = await createOrganization("numbers-sip-invalid");
      const result = await org.client.request(ImportSip, {
        input: {
          e164: uniqueE164(),
          inboundTrunk: { allowedSourceIps: ["10.0.0.1", "999.1.1.1"] },
          outboundTrunk: { addresses: ["not a host!"], authPassword: "short" },
        },
      });
      assert.equal(result.errors, undefined);
      const error = expectType(result.data?.importSipTrunkPhoneNumber, "ValidationError");
      assert.equal(fieldError(error.fieldErrors, ["input", "inboundTrunk", "allowedSourceIps", "1"]).code, "INVALID_FORMAT");
      fieldError(error.fieldErrors, ["input", "outboundTrunk", "addresses", "0"]);
      assert.equal(fieldError(error.fieldErrors, ["input", "outboundTrunk", "authPassword"]).code, "TOO_SHORT");
      assert.equal(error.fieldErrors.length, 3, JSON.stringify(error.fieldErrors));
      assert.equal(await (await prisma()).phoneNumber.count({ where: { organizationId: org.id } }), 0);
    });

    test("trunk passwords are write-only: the API shows hasCredentials, the database holds ciphertext", async () => {
      const org = await createOrganization("numbers-sip-secret");
      const inboundPassword = `in-${randomUUID()}`;
      const outboundPassword = `out-${randomUUID()}`;
      const response = await org.client.request(ImportSip, {
        input: {
          e164: uniqueE164(),
          inboundTrunk: { authUsername: "inbound-user", authPassword: inboundPassword },
          outboundTrunk: { addresses: ["sip.example.org"], authUsername: "outbound-user", authPassword: outboundPassword },
        },
      });
      const created = expectType(response.data?.importSipTrunkPhoneNumber, "ImportSipTrunkPhoneNumberSuccess").phoneNumber;
      assert.equal(created.inboundTrunk?.authUsername, "inbound-user");
      assert.equal(created.inboundTrunk?.hasCredentials, true);
      assert.equal(created.outboundTrunk?.hasCredentials, true);
      assert.doesNotMatch(JSON.stringify(response), new RegExp(inboundPassword));
      assert.doesNotMatch(JSON.stringify(response), new RegExp(outboundPassword));
      const reread = await org.client.request(NumberNode, { id: created.id });
      assert.doesNotMatch(JSON.stringify(reread), new RegExp(`${inboundPassword}|${outboundPassword}`));

      const row = await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(created.id) } });
      assert.ok(row?.inboundTrunkAuthPassword, "a password is stored");
      assert.ok(row.outboundTrunkAuthPassword, "a password is stored");
      assert.notEqual(row.inboundTrunkAuthPassword, inboundPassword);
      assert.ok(!row.inboundTrunkAuthPassword.includes(inboundPassword));
      assert.ok(!row.outboundTrunkAuthPassword.includes(outboundPassword));
      assert.ok(!row.inboundTrunkAuthPassword.includes(Buffer.from(inboundPassword).toString("base64")));
      assert.notEqual(row.inboundTrunkAuthPassword, row.outboundTrunkAuthPassword);

      // Changing the password re-encrypts; clearing it (null) removes the credentials.
      const changed = await org.client.data(UpdateNumber, { input: { id: created.id, inboundTrunk: { authPassword: "another-pass" } } });
      assert.equal(expectType(changed.updatePhoneNumber, "UpdatePhoneNumberSuccess").phoneNumber.inboundTrunk?.hasCredentials, true);
      const rowAfter = await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(created.id) } });
      assert.ok(rowAfter?.inboundTrunkAuthPassword);
      assert.notEqual(rowAfter.inboundTrunkAuthPassword, row.inboundTrunkAuthPassword);
      assert.ok(!rowAfter.inboundTrunkAuthPassword.includes("another-pass"));

      const cleared = await org.client.data(UpdateNumber, { input: { id: created.id, inboundTrunk: { authPassword: null } } });
      const clearedNumber = expectType(cleared.updatePhoneNumber, "UpdatePhoneNumberSuccess").phoneNumber;
      assert.equal(clearedNumber.inboundTrunk?.hasCredentials, false);
      assert.ok(voiceIssueCodes(clearedNumber.setupStatus).includes("INBOUND_TRUNK_INCOMPLETE"));
      assert.equal((await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(created.id) } }))?.inboundTrunkAuthPassword, null);
    });

    test("trunk settings on a MANUAL number are refused", async () => {
      const org = await createOrganization("numbers-manual-trunk");
      const number = await createManual(org.client);
      const result = await org.client.request(UpdateNumber, { input: { id: number.id, outboundTrunk: { addresses: ["sip.example.com"] } } });
      const error = expectType(result.data?.updatePhoneNumber, "ValidationError");
      assert.equal(fieldError(error.fieldErrors, ["input", "outboundTrunk"]).code, "INVALID_VALUE");

      // Reported together with every other problem of the same input.
      const both = await org.client.request(UpdateNumber, {
        input: { id: number.id, dispatchMetadataTemplate: "text", inboundTrunk: { allowedSourceIps: ["10.0.0.1"] } },
      });
      const bothError = expectType(both.data?.updatePhoneNumber, "ValidationError");
      assert.deepEqual(bothError.fieldErrors.map((e) => [e.path, e.code]).sort(), [
        [["input", "dispatchMetadataTemplate"], "INVALID_VALUE"],
        [["input", "inboundTrunk"], "INVALID_VALUE"],
      ]);
      const row = await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } });
      assert.deepEqual(row.inboundTrunkAllowedSourceIps, []);
      assert.deepEqual(row.outboundTrunkAddresses, []);
    });

    test("confirmPhoneNumberForwarding is a ConflictError for a SIP_TRUNK number", async () => {
      const org = await createOrganization("numbers-sip-forwarding");
      const number = expectType((await org.client.data(ImportSip, { input: { e164: uniqueE164() } })).importSipTrunkPhoneNumber, "ImportSipTrunkPhoneNumberSuccess").phoneNumber;
      const result = await org.client.data(ConfirmForwarding, { input: { id: number.id } });
      assert.equal(expectType(result.confirmPhoneNumberForwarding, "ConflictError").code, "CONFLICT");
      assert.equal((await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(number.id) } }))?.forwardingConfirmedAt, null);
    });
  });

  describe("updatePhoneNumber", () => {
    test("changes label, direction and capabilities; omitted fields stay", async () => {
      const org = await createOrganization("numbers-update");
      const number = await createManual(org.client, { label: "Old" });
      const updated = expectType(
        (await org.client.data(UpdateNumber, { input: { id: number.id, label: "  New label  ", direction: "INBOUND", capabilities: { sms: true } } })).updatePhoneNumber,
        "UpdatePhoneNumberSuccess",
      ).phoneNumber;
      assert.equal(updated.label, "New label");
      assert.equal(updated.direction, "INBOUND");
      assert.equal(updated.supportsOutbound, false);
      assert.deepEqual(updated.capabilities, { voice: true, sms: true, mms: false });
      assert.equal(updated.e164, number.e164);
      // An SMS-capable US number without 10DLC reports it, without changing the voice status.
      assert.equal(updated.setupStatus.smsReady, false);
      assert.deepEqual(issueCodes(updated.setupStatus).filter((c) => c.startsWith("SMS_")), ["SMS_CAMPAIGN_NOT_ASSIGNED", "SMS_VERIFICATION_REQUIRED"]);

      const row = await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(number.id) } });
      assert.equal(row?.label, "New label");
      assert.equal(row?.direction, "INBOUND");
      assert.equal(row?.smsCapable, true);

      const tooLong = await org.client.request(UpdateNumber, { input: { id: number.id, label: "y".repeat(101) } });
      const error = expectType(tooLong.data?.updatePhoneNumber, "ValidationError");
      assert.equal(fieldError(error.fieldErrors, ["input", "label"]).code, "TOO_LONG");
      assert.equal((await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(number.id) } }))?.label, "New label");

      // A malformed id is reported together with the other problems of the input.
      const malformed = await org.client.request(UpdateNumber, { input: { id: "nope", dispatchMetadataTemplate: 42 } });
      const malformedError = expectType(malformed.data?.updatePhoneNumber, "ValidationError");
      assert.deepEqual(malformedError.fieldErrors.map((e) => [e.path, e.code]).sort(), [
        [["input", "dispatchMetadataTemplate"], "INVALID_VALUE"],
        [["input", "id"], "INVALID_ID"],
      ]);

      // An empty label clears it.
      const cleared = expectType((await org.client.data(UpdateNumber, { input: { id: number.id, label: "" } })).updatePhoneNumber, "UpdatePhoneNumberSuccess").phoneNumber;
      assert.equal(cleared.label, null);
    });

    test("dispatch metadata template: set, validated, kept when omitted, cleared with null", async () => {
      const org = await createOrganization("numbers-metadata");
      const template = { greeting: "Hello", tenant: { id: 7 }, tags: ["a", "b"] };
      const created = await org.client.data(CreateManual, { input: { e164: uniqueE164(), dispatchMetadataTemplate: template } });
      const number = expectType(created.createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
      const row = async () => (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } });
      assert.deepEqual((await row()).dispatchMetadataTemplate, template);

      for (const bad of [["not", "an", "object"], "text", 42]) {
        const result = await org.client.request(UpdateNumber, { input: { id: number.id, dispatchMetadataTemplate: bad } });
        const error = expectType(result.data?.updatePhoneNumber, "ValidationError");
        assert.equal(fieldError(error.fieldErrors, ["input", "dispatchMetadataTemplate"]).code, "INVALID_VALUE", JSON.stringify(bad));
      }
      const huge = await org.client.request(CreateManual, { input: { e164: uniqueE164(), dispatchMetadataTemplate: { blob: "x".repeat(17_000) } } });
      assert.equal(fieldError(expectType(huge.data?.createManualPhoneNumber, "ValidationError").fieldErrors, ["input", "dispatchMetadataTemplate"]).code, "TOO_LONG");

      await org.client.data(UpdateNumber, { input: { id: number.id, label: "only the label" } });
      assert.deepEqual((await row()).dispatchMetadataTemplate, template);

      await org.client.data(UpdateNumber, { input: { id: number.id, dispatchMetadataTemplate: null } });
      assert.equal((await row()).dispatchMetadataTemplate, null);
    });

    test("billing changes need billing:admin", async () => {
      const org = await createOrganization("numbers-billing");
      const number = await createManual(org.client);
      const before = await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } });

      const limited = await org.clientWithScopes(["numbers:read", "numbers:write"]);
      const forbidden = await limited.request(UpdateNumberNoBillingRead, {
        input: { id: number.id, label: "sneaky", billing: { monthlyPriceCents: 1, includedInPlan: true } },
      });
      assert.equal(forbidden.status, 200);
      assert.ok(forbidden.errors?.length, "a GraphQL error");
      assert.equal(forbidden.errors[0]!.extensions?.code, "FORBIDDEN");
      assert.deepEqual(forbidden.errors[0]!.path, ["updatePhoneNumber"]);
      const unchanged = await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } });
      assert.equal(unchanged.monthlyPriceCents, before.monthlyPriceCents);
      assert.equal(unchanged.includedInPlan, before.includedInPlan);
      assert.equal(unchanged.label, before.label);

      // The same key may change everything else.
      const allowed = await limited.data(UpdateNumberNoBillingRead, { input: { id: number.id, label: "Allowed" } });
      assert.equal(expectType(allowed.updatePhoneNumber, "UpdatePhoneNumberSuccess").phoneNumber.label, "Allowed");

      const admin = await org.clientWithScopes(["numbers:read", "numbers:write", "billing:read", "billing:admin"]);
      const nextChargeAt = "2031-02-01T00:00:00.000Z";
      const changed = await admin.data(UpdateNumber, {
        input: { id: number.id, billing: { monthlyPriceCents: 1234, upfrontPriceCents: 500, includedInPlan: true, nextChargeAt } },
      });
      const billing = expectType(changed.updatePhoneNumber, "UpdatePhoneNumberSuccess").phoneNumber.billing;
      assert.deepEqual(billing, { includedInPlan: true, monthlyPriceCents: 1234, upfrontPriceCents: 500, nextChargeAt });
      const row = await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } });
      assert.equal(row.monthlyPriceCents, 1234);
      assert.equal(row.upfrontPriceCents, 500);
      assert.equal(row.includedInPlan, true);
      assert.equal(row.nextChargeAt?.toISOString(), nextChargeAt);

      const outOfRange = await admin.request(UpdateNumber, { input: { id: number.id, billing: { monthlyPriceCents: -1, upfrontPriceCents: 10_000_001 } } });
      const error = expectType(outOfRange.data?.updatePhoneNumber, "ValidationError");
      assert.equal(fieldError(error.fieldErrors, ["input", "billing", "monthlyPriceCents"]).code, "OUT_OF_RANGE");
      assert.equal(fieldError(error.fieldErrors, ["input", "billing", "upfrontPriceCents"]).code, "OUT_OF_RANGE");
      assert.equal((await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } })).monthlyPriceCents, 1234);
    });
  });

  describe("agents and routing", () => {
    test("assign and unassign", async () => {
      const org = await createOrganization("numbers-assign");
      const first = await createAgent(org.client, "First");
      const second = await createAgent(org.client, "Second");
      const number = await createManual(org.client);
      await org.client.data(ConfirmForwarding, { input: { id: number.id } });
      await registerEmergencyAddress(org.client, number.id);

      const assigned = expectType((await org.client.data(Assign, { input: { phoneNumberId: number.id, agentId: first.id } })).assignPhoneNumber, "AssignPhoneNumberSuccess").phoneNumber;
      assert.equal(assigned.agent?.id, first.id);
      assert.equal(assigned.setupStatus.status, "READY");

      const reassigned = expectType((await org.client.data(Assign, { input: { phoneNumberId: number.id, agentId: second.id } })).assignPhoneNumber, "AssignPhoneNumberSuccess").phoneNumber;
      assert.equal(reassigned.agent?.id, second.id);

      const unassigned = expectType((await org.client.data(Unassign, { input: { phoneNumberId: number.id } })).unassignPhoneNumber, "UnassignPhoneNumberSuccess").phoneNumber;
      assert.equal(unassigned.agent, null);
      assert.equal(unassigned.setupStatus.agentReady, false);
      assert.equal(unassigned.setupStatus.status, "ACTION_REQUIRED");
      assert.deepEqual(voiceIssueCodes(unassigned.setupStatus), ["NO_AGENT"]);
      assert.equal((await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(number.id) } }))?.agentId, null);
    });

    test("assigning an unknown agent, or another organization's, is a NOT_FOUND field error; malformed ids are INVALID_ID", async () => {
      const org = await createOrganization("numbers-assign-errors");
      const other = await createOrganization("numbers-assign-other");
      const foreignAgent = await createAgent(other.client);
      const number = await createManual(org.client);

      const unknownId = globalId("Agent", randomUUID());
      const unknown = await org.client.data(Assign, { input: { phoneNumberId: number.id, agentId: unknownId } });
      assert.deepEqual(
        expectType(unknown.assignPhoneNumber, "ValidationError").fieldErrors.map((e) => [e.path, e.code]),
        [[["input", "agentId"], "NOT_FOUND"]],
      );
      const foreign = await org.client.data(Assign, { input: { phoneNumberId: number.id, agentId: foreignAgent.id } });
      const foreignError = expectType(foreign.assignPhoneNumber, "ValidationError");
      assert.deepEqual(foreignError.fieldErrors.map((e) => [e.path, e.code]), [[["input", "agentId"], "NOT_FOUND"]]);
      assert.doesNotMatch(JSON.stringify(foreignError), new RegExp(other.id));
      assert.equal((await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(number.id) } }))?.agentId, null);

      // The number itself is the mutation's target: an unknown one stays a NotFoundError.
      const unknownNumber = globalId("PhoneNumber", randomUUID());
      const missing = await org.client.data(Assign, { input: { phoneNumberId: unknownNumber, agentId: unknownId } });
      assert.equal(expectType(missing.assignPhoneNumber, "NotFoundError").id, unknownNumber);

      // Both ids malformed (one of them a valid id of the wrong type): both reported.
      const malformed = await org.client.data(Assign, { input: { phoneNumberId: "garbage", agentId: number.id } });
      const error = expectType(malformed.assignPhoneNumber, "ValidationError");
      assert.equal(fieldError(error.fieldErrors, ["input", "phoneNumberId"]).code, "INVALID_ID");
      assert.equal(fieldError(error.fieldErrors, ["input", "agentId"]).code, "INVALID_ID");
    });

    test("an agent the organization does not have gets one answer whether creating, importing or assigning", async () => {
      const org = await createOrganization("numbers-unknown-agent");
      const other = await createOrganization("numbers-unknown-agent-other");
      const deleted = await createAgent(org.client, "Gone");
      expectType((await org.client.data(DeleteAgent, { input: { id: deleted.id } })).deleteAgent, "DeleteAgentSuccess");
      const number = await createManual(org.client);
      for (const agentId of [globalId("Agent", randomUUID()), (await createAgent(other.client)).id, deleted.id]) {
        const answers = [
          (await org.client.data(CreateManual, { input: { e164: uniqueE164(), agentId } })).createManualPhoneNumber,
          (await org.client.data(ImportSip, { input: { e164: uniqueE164(), agentId } })).importSipTrunkPhoneNumber,
          (await org.client.data(Assign, { input: { phoneNumberId: number.id, agentId } })).assignPhoneNumber,
        ];
        for (const answer of answers) {
          const error = expectType(answer, "ValidationError");
          assert.deepEqual(
            error.fieldErrors.map((e) => ({ ...e })),
            [{ path: ["input", "agentId"], code: "NOT_FOUND", message: "No such agent in this organization" }],
          );
        }
      }
      assert.equal(await (await prisma()).phoneNumber.count({ where: { organizationId: org.id } }), 1);
    });

    test("a paused agent gives AGENT_PAUSED; deleting the agent unassigns the number (NO_AGENT)", async () => {
      const org = await createOrganization("numbers-agent-lifecycle");
      const agent = await createAgent(org.client);
      const number = await createManual(org.client, { agentId: agent.id });
      await org.client.data(ConfirmForwarding, { input: { id: number.id } });
      await registerEmergencyAddress(org.client, number.id);
      assert.equal((await readNumber(org.client, number.id)).setupStatus.status, "READY");

      expectType((await org.client.data(UpdateAgent, { input: { id: agent.id, status: "PAUSED" } })).updateAgent, "UpdateAgentSuccess");
      const paused = await readNumber(org.client, number.id);
      assert.equal(paused.agent?.status, "PAUSED");
      assert.equal(paused.setupStatus.agentReady, false);
      assert.equal(paused.setupStatus.inboundReady, false);
      assert.equal(paused.setupStatus.status, "ACTION_REQUIRED");
      assert.deepEqual(voiceIssueCodes(paused.setupStatus), ["AGENT_PAUSED"]);

      expectType((await org.client.data(UpdateAgent, { input: { id: agent.id, status: "ACTIVE" } })).updateAgent, "UpdateAgentSuccess");
      assert.equal((await readNumber(org.client, number.id)).setupStatus.status, "READY");

      const deleted = expectType((await org.client.data(DeleteAgent, { input: { id: agent.id } })).deleteAgent, "DeleteAgentSuccess");
      assert.equal(deleted.deletedAgentId, agent.id);
      assert.deepEqual(deleted.unassignedPhoneNumbers.map((n) => n.id), [number.id]);
      assert.equal(deleted.unassignedPhoneNumbers[0]!.agent, null);
      assert.deepEqual(voiceIssueCodes(deleted.unassignedPhoneNumbers[0]!.setupStatus), ["NO_AGENT"]);

      const after = await readNumber(org.client, number.id);
      assert.equal(after.agent, null);
      assert.equal(after.status, "ACTIVE");
      assert.equal(after.setupStatus.status, "ACTION_REQUIRED");
      assert.deepEqual(voiceIssueCodes(after.setupStatus), ["NO_AGENT"]);
      const row = await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(number.id) } });
      assert.equal(row?.agentId, null);
      assert.equal(row?.status, "ACTIVE");
    });
  });

  describe("E.164 uniqueness", () => {
    test("a live number belongs to one organization; the conflict does not reveal the owner; after release it can be registered again", async () => {
      const owner = await createOrganization("numbers-owner");
      const second = await createOrganization("numbers-second");
      const e164 = uniqueE164();
      const first = await createManual(owner.client, { e164 });

      for (const attempt of [e164, formatted(e164)]) {
        const result = await second.client.request(CreateManual, { input: { e164: attempt } });
        assert.equal(result.errors, undefined);
        const conflict = expectType(result.data?.createManualPhoneNumber, "ConflictError");
        assert.equal(conflict.code, "CONFLICT");
        assert.ok(!conflict.message.includes(owner.name), conflict.message);
        assert.ok(!conflict.message.includes(owner.id), conflict.message);
        assert.ok(!conflict.message.includes(first.id), conflict.message);
        assert.ok(!JSON.stringify(result).includes(owner.name));
      }
      // Also as a SIP-trunk import, and within the owner organization itself.
      expectType((await second.client.data(ImportSip, { input: { e164 } })).importSipTrunkPhoneNumber, "ConflictError");
      expectType((await owner.client.data(CreateManual, { input: { e164 } })).createManualPhoneNumber, "ConflictError");
      assert.equal(await (await prisma()).phoneNumber.count({ where: { e164 } }), 1);

      expectType((await owner.client.data(Release, { input: { id: first.id } })).releasePhoneNumber, "ReleasePhoneNumberSuccess");
      const again = await createManual(second.client, { e164 });
      assert.equal(again.e164, e164);
      assert.notEqual(again.id, first.id);
      assert.equal(again.status, "ACTIVE");

      const rows = await (await prisma()).phoneNumber.findMany({ where: { e164 }, orderBy: { createdAt: "asc" } });
      assert.deepEqual(rows.map((r) => [r.organizationId, r.status]), [
        [owner.id, "RELEASED"],
        [second.id, "ACTIVE"],
      ]);
      // The released number is still the owner's to read.
      assert.equal((await readNumber(owner.client, first.id)).status, "RELEASED");
    });
  });

  describe("E.164 uniqueness under concurrency", () => {
    test("two organizations registering the same number at once: exactly one wins", async () => {
      const a = await createOrganization("numbers-race-a");
      const b = await createOrganization("numbers-race-b");
      const e164 = uniqueE164();
      const results = await Promise.all([a, b].map((org) => org.client.data(CreateManual, { input: { e164 } })));
      const typenames = results.map((r) => r.createManualPhoneNumber.__typename).sort();
      assert.deepEqual(typenames, ["ConflictError", "CreateManualPhoneNumberSuccess"]);
      assert.equal(await (await prisma()).phoneNumber.count({ where: { e164 } }), 1);
    });

    test("two concurrent releases: one succeeds, the other is NumberReleasedError", async () => {
      const org = await createOrganization("numbers-race-release");
      const number = await createManual(org.client);
      const results = await Promise.all([1, 2].map(() => org.client.data(Release, { input: { id: number.id } })));
      assert.deepEqual(results.map((r) => r.releasePhoneNumber.__typename).sort(), ["NumberReleasedError", "ReleasePhoneNumberSuccess"]);
    });
  });

  describe("releasePhoneNumber", () => {
    test("keeps the row, shows RELEASED with releasedAt, and refuses every later change", async () => {
      const org = await createOrganization("numbers-release");
      const agent = await createAgent(org.client);
      const number = await createManual(org.client, { agentId: agent.id, label: "Going away" });
      const kept = await createManual(org.client);

      const released = expectType((await org.client.data(Release, { input: { id: number.id } })).releasePhoneNumber, "ReleasePhoneNumberSuccess").phoneNumber;
      assert.equal(released.status, "RELEASED");
      assert.ok(released.releasedAt);
      assert.equal(released.setupStatus.status, "RELEASED");
      assert.equal(released.setupStatus.inboundReady, false);
      assert.equal(released.setupStatus.outboundReady, false);
      assert.equal(released.agent, null);
      assert.equal(released.e164, number.e164);
      assert.equal(released.label, "Going away");

      const row = await (await prisma()).phoneNumber.findUnique({ where: { id: rawId(number.id) } });
      assert.equal(row?.status, "RELEASED");
      assert.equal(row?.releasedAt?.toISOString(), released.releasedAt);
      assert.equal(row?.e164, number.e164);

      const viaNode = await readNumber(org.client, number.id);
      assert.equal(viaNode.status, "RELEASED");
      assert.equal(viaNode.releasedAt, released.releasedAt);
      assert.equal(viaNode.setupStatus.status, "RELEASED");

      const listed = async (released?: "EXCLUDE" | "INCLUDE" | "ONLY") =>
        (await org.client.data(NumberList, { filter: released ? { released } : null })).phoneNumbers!.edges.map((e) => e.node.id).sort();
      assert.deepEqual(await listed(), [kept.id]);
      assert.deepEqual(await listed("EXCLUDE"), [kept.id]);
      assert.deepEqual(await listed("INCLUDE"), [kept.id, number.id].sort());
      assert.deepEqual(await listed("ONLY"), [number.id]);

      const expectReleased = (value: { __typename?: string } | null | undefined) => {
        const error = expectType(value as { __typename?: "NumberReleasedError"; code: string; e164: string; releasedAt: string }, "NumberReleasedError");
        assert.equal(error.code, "NUMBER_RELEASED");
        assert.equal(error.e164, number.e164);
        assert.equal(error.releasedAt, released.releasedAt);
      };
      expectReleased((await org.client.data(UpdateNumber, { input: { id: number.id, label: "Back?" } })).updatePhoneNumber);
      expectReleased((await org.client.data(Assign, { input: { phoneNumberId: number.id, agentId: agent.id } })).assignPhoneNumber);
      expectReleased((await org.client.data(Unassign, { input: { phoneNumberId: number.id } })).unassignPhoneNumber);
      expectReleased((await org.client.data(ConfirmForwarding, { input: { id: number.id } })).confirmPhoneNumberForwarding);
      expectReleased((await org.client.data(Release, { input: { id: number.id } })).releasePhoneNumber);

      const after = await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } });
      assert.equal(after.status, "RELEASED");
      assert.equal(after.label, "Going away");
      assert.equal(after.agentId, null);
      assert.equal(after.forwardingConfirmedAt, null);
      assert.equal(after.releasedAt?.toISOString(), released.releasedAt);
    });
  });

  describe("ids", () => {
    test("unknown ids give NotFoundError; another organization's number is not found and not readable", async () => {
      const org = await createOrganization("numbers-ids");
      const other = await createOrganization("numbers-ids-other");
      const foreign = await createManual(other.client, { label: "theirs" });
      const unknown = globalId("PhoneNumber", randomUUID());

      for (const id of [unknown, foreign.id]) {
        const update = expectType((await org.client.data(UpdateNumber, { input: { id, label: "mine" } })).updatePhoneNumber, "NotFoundError");
        assert.equal(update.code, "NOT_FOUND");
        assert.equal(update.id, id);
        expectType((await org.client.data(ConfirmForwarding, { input: { id } })).confirmPhoneNumberForwarding, "NotFoundError");
        expectType((await org.client.data(Release, { input: { id } })).releasePhoneNumber, "NotFoundError");
        const agent = await createAgent(org.client);
        expectType((await org.client.data(Assign, { input: { phoneNumberId: id, agentId: agent.id } })).assignPhoneNumber, "NotFoundError");
        expectType((await org.client.data(Unassign, { input: { phoneNumberId: id } })).unassignPhoneNumber, "NotFoundError");
        assert.equal((await org.client.data(NumberNode, { id })).node, null);
      }
      const row = await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(foreign.id) } });
      assert.equal(row.label, "theirs");
      assert.equal(row.status, "ACTIVE");
    });

    test("malformed ids give ValidationError with INVALID_ID on the id's path", async () => {
      const org = await createOrganization("numbers-malformed");
      const agent = await createAgent(org.client);
      // Not base64 at all, base64 of garbage, and a well-formed id of another type.
      for (const id of ["not-an-id", Buffer.from("PhoneNumber:123").toString("base64"), agent.id]) {
        const checks: Array<[{ __typename?: string } | null | undefined, string[]]> = [
          [(await org.client.data(UpdateNumber, { input: { id, label: "x" } })).updatePhoneNumber, ["input", "id"]],
          [(await org.client.data(ConfirmForwarding, { input: { id } })).confirmPhoneNumberForwarding, ["input", "id"]],
          [(await org.client.data(Release, { input: { id } })).releasePhoneNumber, ["input", "id"]],
          [(await org.client.data(Assign, { input: { phoneNumberId: id, agentId: agent.id } })).assignPhoneNumber, ["input", "phoneNumberId"]],
          [(await org.client.data(Unassign, { input: { phoneNumberId: id } })).unassignPhoneNumber, ["input", "phoneNumberId"]],
        ];
        for (const [result, path] of checks) {
          const error = expectType(result as { __typename?: "ValidationError"; code: string; fieldErrors: FieldErrors }, "ValidationError");
          assert.equal(error.code, "VALIDATION_FAILED");
          assert.deepEqual(error.fieldErrors.map((e) => [e.path, e.code]), [[path, "INVALID_ID"]], `${id} ${JSON.stringify(path)}`);
        }
      }
    });
  });
});
