import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { SignJWT } from "jose";
import { auditInput, DROPPED_FIELDS, MAX_INPUT_BYTES, REDACTED } from "../src/audit/redaction.ts";
import type { AuditEvent } from "../src/generated/prisma/client.ts";
import { schema } from "../src/schema/index.ts";
import { createOperator, createOrganization, getEnvironment, sendRaw, type RawResponse, type TestOperator, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { completeInput } from "./helpers/verification.ts";

// The audit log as an organization's admin and a platform operator see it: every mutation called
// leaves one row naming who called it, on what, with which result; secrets never reach it.

const prisma = async () => (await getEnvironment()).switchboard.database.prisma;
const SIP_PASSWORD = `sip-${randomBytes(12).toString("hex")}`;
const SIP_PASSWORD_CHANGED = `sip-${randomBytes(12).toString("hex")}`;

/** What one example mutation sends, and which global ids its audit row must name. */
interface Call {
  query: string;
  variables?: Record<string, unknown>;
  /** Who calls it: the organization's all-scopes key (default) or the platform operator. */
  as?: "operator";
  /** Global ids the row's targetIds must hold, known before the call or read from its data. */
  targets: (data: any) => string[];
}

/** State the examples build on, in the order of EXAMPLES. */
interface World {
  org: TestOrganization;
  operator: TestOperator;
  agentId?: string;
  manualId?: string;
  sipId?: string;
  provisionedId?: string;
  emergencyAddressId?: string;
  keyId?: string;
  keySecret?: string;
  endpointId?: string;
  /** An event of the organization (its Event node id), for redeliverEvent. */
  eventId?: string;
  webhookSecrets: string[];
  verificationId?: string;
  tollFreeVerificationId?: string;
}

const ids = (nodes: Array<{ id: string } | null> | undefined) => (nodes ?? []).flatMap((node) => (node ? [node.id] : []));

/**
 * One example per Mutation field, in an order where each can use what the earlier ones made. A
 * mutation added to the schema without an example here fails the test.
 */
const EXAMPLES: Record<string, (world: World) => Call> = {
  createAgent: () => ({
    query: `mutation AuditCreateAgent($input: CreateAgentInput!) { createAgent(input: $input) { __typename ... on CreateAgentSuccess { agent { id } } } }`,
    variables: { input: { name: "Audited agent" } },
    targets: (data) => [data.createAgent.agent.id],
  }),
  updateAgent: (w) => ({
    query: `mutation($input: UpdateAgentInput!) { updateAgent(input: $input) { __typename } }`,
    variables: { input: { id: w.agentId, name: "Renamed agent" } },
    targets: () => [w.agentId!],
  }),
  createManualPhoneNumber: () => ({
    query: `mutation($input: CreateManualPhoneNumberInput!) { createManualPhoneNumber(input: $input) { __typename ... on CreateManualPhoneNumberSuccess { phoneNumber { id } } } }`,
    variables: { input: { e164: uniqueE164(), label: "front desk", dispatchMetadataTemplate: { greeting: "hi", apiToken: "tok-in-json" } } },
    targets: (data) => [data.createManualPhoneNumber.phoneNumber.id],
  }),
  confirmPhoneNumberForwarding: (w) => ({
    query: `mutation($input: ConfirmPhoneNumberForwardingInput!) { confirmPhoneNumberForwarding(input: $input) { __typename } }`,
    variables: { input: { id: w.manualId } },
    targets: () => [w.manualId!],
  }),
  importSipTrunkPhoneNumber: () => ({
    query: `mutation($input: ImportSipTrunkPhoneNumberInput!) { importSipTrunkPhoneNumber(input: $input) { __typename ... on ImportSipTrunkPhoneNumberSuccess { phoneNumber { id } } } }`,
    variables: {
      input: {
        e164: uniqueE164(),
        inboundTrunk: { allowedSourceIps: ["203.0.113.10"], authUsername: "pbx", authPassword: SIP_PASSWORD },
        outboundTrunk: { addresses: ["sip.customer.example.com"], authUsername: "pbx", authPassword: SIP_PASSWORD },
      },
    },
    targets: (data) => [data.importSipTrunkPhoneNumber.phoneNumber.id],
  }),
  updatePhoneNumber: (w) => ({
    // The password is written into the document itself, not a variable: it is redacted either way.
    query: `mutation { updatePhoneNumber(input: { id: "${w.sipId}", label: "trunk", outboundTrunk: { authPassword: "${SIP_PASSWORD_CHANGED}" } }) { __typename } }`,
    targets: () => [w.sipId!],
  }),
  assignPhoneNumber: (w) => ({
    query: `mutation($input: AssignPhoneNumberInput!) { assignPhoneNumber(input: $input) { __typename } }`,
    variables: { input: { phoneNumberId: w.manualId, agentId: w.agentId } },
    targets: () => [w.manualId!, w.agentId!],
  }),
  unassignPhoneNumber: (w) => ({
    query: `mutation($input: UnassignPhoneNumberInput!) { unassignPhoneNumber(input: $input) { __typename } }`,
    variables: { input: { phoneNumberId: w.manualId } },
    targets: () => [w.manualId!],
  }),
  provisionPhoneNumber: () => ({
    query: `mutation($input: ProvisionPhoneNumberInput!) { provisionPhoneNumber(input: $input) { __typename ... on ProvisionPhoneNumberSuccess { phoneNumber { id } } } }`,
    variables: { input: { areaCode: "415", idempotencyKey: `audit-${randomBytes(6).toString("hex")}` } },
    targets: (data) => [data.provisionPhoneNumber.phoneNumber.id],
  }),
  provisionPhoneNumbers: () => ({
    query: `mutation($input: ProvisionPhoneNumbersInput!) { provisionPhoneNumbers(input: $input) { __typename ... on ProvisionPhoneNumbersSuccess { results { phoneNumber { id } } } } }`,
    variables: { input: { areaCode: "415", quantity: 2, idempotencyKey: `audit-bulk-${randomBytes(6).toString("hex")}` } },
    targets: (data) => ids(data.provisionPhoneNumbers.results.map((r: { phoneNumber: { id: string } | null }) => r.phoneNumber)),
  }),
  setPhoneNumberCallerIdName: (w) => ({
    query: `mutation($input: SetPhoneNumberCallerIdNameInput!) { setPhoneNumberCallerIdName(input: $input) { __typename } }`,
    variables: { input: { phoneNumberId: w.provisionedId, callerIdName: "Audited Co" } },
    targets: () => [w.provisionedId!],
  }),
  setPhoneNumberFallback: (w) => ({
    query: `mutation($input: SetPhoneNumberFallbackInput!) { setPhoneNumberFallback(input: $input) { __typename } }`,
    variables: { input: { phoneNumberId: w.manualId, fallback: { sipUri: "sip:frontdesk@pbx.example.com", timeoutSeconds: 15 } } },
    targets: () => [w.manualId!],
  }),
  createEmergencyAddress: () => ({
    query: `mutation($input: CreateEmergencyAddressInput!) { createEmergencyAddress(input: $input) { __typename ... on CreateEmergencyAddressSuccess { emergencyAddress { id } } } }`,
    variables: { input: { callerName: "Audited Co", street: "600 Congress Avenue", city: "Austin", region: "TX", postalCode: "78701", country: "US" } },
    targets: (data) => [data.createEmergencyAddress.emergencyAddress.id],
  }),
  updateEmergencyAddress: (w) => ({
    query: `mutation($input: UpdateEmergencyAddressInput!) { updateEmergencyAddress(input: $input) { __typename } }`,
    variables: { input: { id: w.emergencyAddressId, unit: "Suite 200" } },
    targets: () => [w.emergencyAddressId!],
  }),
  setPhoneNumberEmergencyAddress: (w) => ({
    query: `mutation($input: SetPhoneNumberEmergencyAddressInput!) { setPhoneNumberEmergencyAddress(input: $input) { __typename } }`,
    variables: { input: { phoneNumberId: w.provisionedId, emergencyAddressId: w.emergencyAddressId } },
    targets: () => [w.provisionedId!, w.emergencyAddressId!],
  }),
  // Refused (EmergencyAddressInUseError) while the provisioned number uses it: audited all the same.
  deleteEmergencyAddress: (w) => ({
    query: `mutation($input: DeleteEmergencyAddressInput!) { deleteEmergencyAddress(input: $input) { __typename } }`,
    variables: { input: { id: w.emergencyAddressId } },
    targets: () => [w.emergencyAddressId!],
  }),
  releasePhoneNumber: (w) => ({
    query: `mutation($input: ReleasePhoneNumberInput!) { releasePhoneNumber(input: $input) { __typename } }`,
    variables: { input: { id: w.provisionedId } },
    targets: () => [w.provisionedId!],
  }),
  reactivatePhoneNumber: (w) => ({
    query: `mutation($input: ReactivatePhoneNumberInput!) { reactivatePhoneNumber(input: $input) { __typename } }`,
    variables: { input: { id: w.manualId } },
    targets: () => [w.manualId!],
  }),
  repairCarrierReconciliation: () => ({
    query: `mutation($input: RepairCarrierReconciliationInput!) { repairCarrierReconciliation(input: $input) { __typename } }`,
    variables: { input: { dryRun: true } },
    targets: () => [],
  }),
  createApiKey: () => ({
    query: `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename ... on CreateApiKeySuccess { secret apiKey { id } } } }`,
    variables: { input: { name: "audited key", scopes: ["agents:read"] } },
    targets: (data) => [data.createApiKey.apiKey.id],
  }),
  revokeApiKey: (w) => ({
    query: `mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }`,
    variables: { input: { id: w.keyId } },
    targets: () => [w.keyId!],
  }),
  saveVerificationDraft: () => ({
    query: `mutation($input: SaveVerificationDraftInput!) { saveVerificationDraft(input: $input) { __typename ... on SaveVerificationDraftSuccess { verification { id } } } }`,
    variables: { input: { businessProfile: { legalName: "Acme Robotics, Inc." } } },
    targets: (data) => [data.saveVerificationDraft.verification.id],
  }),
  submitVerification: (w) => ({
    query: `mutation($input: SubmitVerificationInput!) { submitVerification(input: $input) { __typename } }`,
    variables: { input: completeInput() },
    targets: () => [w.verificationId!],
  }),
  decideVerification: (w) => ({
    as: "operator",
    query: `mutation AuditDecide($input: DecideVerificationInput!) { decideVerification(input: $input) { __typename } }`,
    variables: { input: { id: w.verificationId, decision: "APPROVE" } },
    targets: () => [w.verificationId!],
  }),
  saveTollFreeVerificationDraft: () => ({
    query: `mutation($input: SaveTollFreeVerificationDraftInput!) { saveTollFreeVerificationDraft(input: $input) { __typename ... on SaveTollFreeVerificationDraftSuccess { tollFreeVerification { id } } } }`,
    variables: { input: { business: { name: "Acme Robotics, Inc." } } },
    targets: (data) => [data.saveTollFreeVerificationDraft.tollFreeVerification.id],
  }),
  submitTollFreeVerification: (w) => ({
    query: `mutation($input: SubmitTollFreeVerificationInput!) { submitTollFreeVerification(input: $input) { __typename } }`,
    variables: {
      input: {
        business: { website: "https://acme.example.com", address: { street: "1 Market St", city: "San Francisco", region: "CA", postalCode: "94105", country: "US" } },
        contact: { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example.com", phone: "+14155550100" },
        useCase: "ACCOUNT_NOTIFICATION",
        useCaseSummary: "Order updates",
        sampleMessages: ["Acme: your order shipped"],
        optInDescription: "Checkbox at checkout",
        expectedMonthlyVolume: 100,
      },
    },
    targets: () => [w.tollFreeVerificationId!],
  }),
  decideTollFreeVerification: (w) => ({
    as: "operator",
    query: `mutation AuditDecide($input: DecideTollFreeVerificationInput!) { decideTollFreeVerification(input: $input) { __typename } }`,
    variables: { input: { id: w.tollFreeVerificationId, decision: "APPROVE" } },
    targets: () => [w.tollFreeVerificationId!],
  }),
  sendMessage: (w) => ({
    query: `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename } }`,
    variables: { input: { phoneNumberId: w.manualId, to: "+14155550123", body: "hello" } },
    targets: () => [w.manualId!],
  }),
  simulateInboundMessage: (w) => ({
    // The test run's server uses the sandbox carrier, so the organization's key may play it.
    query: `mutation($input: SimulateInboundMessageInput!) { simulateInboundMessage(input: $input) { __typename } }`,
    variables: { input: { phoneNumberId: w.manualId, from: "+14155550123", text: "hello from the sandbox" } },
    targets: () => [w.manualId!],
  }),
  setSmsHelpText: () => ({
    query: `mutation($input: SetSmsHelpTextInput!) { setSmsHelpText(input: $input) { __typename } }`,
    variables: { input: { helpText: "Acme support: reply STOP to opt out." } },
    targets: () => [],
  }),
  createWebhookEndpoint: () => ({
    query: `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { __typename ... on CreateWebhookEndpointSuccess { secret webhookEndpoint { id } } } }`,
    variables: { input: { url: "http://127.0.0.1:9/audited", eventTypes: ["NUMBER_UPDATED"] } },
    targets: (data) => [data.createWebhookEndpoint.webhookEndpoint.id],
  }),
  updateWebhookEndpoint: (w) => ({
    query: `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { __typename } }`,
    variables: { input: { id: w.endpointId, description: "audited" } },
    targets: () => [w.endpointId!],
  }),
  rotateWebhookSecret: (w) => ({
    query: `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { __typename ... on RotateWebhookSecretSuccess { secret } } }`,
    variables: { input: { id: w.endpointId } },
    targets: () => [w.endpointId!],
  }),
  redeliverEvent: (w) => ({
    // Any event of the organization: Query.events gives Event node ids, which redeliverEvent takes.
    query: `mutation($input: RedeliverEventInput!) { redeliverEvent(input: $input) { __typename } }`,
    variables: { input: { endpointId: w.endpointId, eventId: w.eventId } },
    targets: () => [w.endpointId!],
  }),
  deleteWebhookEndpoint: (w) => ({
    query: `mutation($input: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { __typename } }`,
    variables: { input: { id: w.endpointId } },
    targets: () => [w.endpointId!],
  }),
  updateBillingAccount: () => ({
    query: `mutation($input: UpdateBillingAccountInput!) { updateBillingAccount(input: $input) { __typename } }`,
    variables: { input: { planName: "Audited plan" } },
    targets: () => [],
  }),
  deleteAgent: (w) => ({
    query: `mutation($input: DeleteAgentInput!) { deleteAgent(input: $input) { __typename } }`,
    variables: { input: { id: w.agentId } },
    targets: () => [w.agentId!],
  }),
};

/** What the world learns from an example's answer, for the examples after it. */
function learn(world: World, name: string, data: any) {
  const payload = data?.[name];
  if (name === "createAgent") world.agentId = payload.agent.id;
  if (name === "createManualPhoneNumber") world.manualId = payload.phoneNumber.id;
  if (name === "importSipTrunkPhoneNumber") world.sipId = payload.phoneNumber.id;
  if (name === "provisionPhoneNumber") world.provisionedId = payload.phoneNumber.id;
  if (name === "createEmergencyAddress") world.emergencyAddressId = payload.emergencyAddress.id;
  if (name === "createApiKey") [world.keyId, world.keySecret] = [payload.apiKey.id, payload.secret];
  if (name === "saveVerificationDraft") world.verificationId = payload.verification.id;
  if (name === "saveTollFreeVerificationDraft") world.tollFreeVerificationId = payload.tollFreeVerification.id;
  if (name === "createWebhookEndpoint") [world.endpointId] = [payload.webhookEndpoint.id];
  if (name === "createWebhookEndpoint" || name === "rotateWebhookSecret") world.webhookSecrets.push(payload.secret);
}

async function orgRows(organizationId: string): Promise<AuditEvent[]> {
  return (await prisma()).auditEvent.findMany({ where: { organizationId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

/** The organization's all-scopes key made by createOrganization ("test *"). */
async function starKey(org: TestOrganization) {
  return (await prisma()).apiKey.findFirstOrThrow({ where: { organizationId: org.id, name: "test *" } });
}

describe("audit log", () => {
  let world: World | undefined;

  test("every mutation leaves exactly one audit row naming its actor, the operation, its result type and its targets", async () => {
    const org = await createOrganization("audit");
    const operator = await createOperator(`audit operator ${randomBytes(3).toString("hex")}`);
    world = { org, operator, webhookSecrets: [] };
    const key = await starKey(org);
    const db = await prisma();

    const mutations = Object.keys(schema.getMutationType()!.getFields());
    assert.deepEqual(mutations.filter((name) => !(name in EXAMPLES)), [], "every mutation needs an audit example in EXAMPLES");
    assert.deepEqual(Object.keys(EXAMPLES).filter((name) => !mutations.includes(name)), [], "examples of mutations that no longer exist");

    for (const [name, example] of Object.entries(EXAMPLES)) {
      if (name === "redeliverEvent") world.eventId = (await sendRaw(org.secret, "{ events(first: 1) { edges { node { id } } } }")).body.data.events.edges[0].node.id;
      const call = example(world);
      const operatorRowsBefore = await db.auditEvent.count({ where: { actorId: operator.id } });
      const orgRowsBefore = (await orgRows(org.id)).length;
      const response: RawResponse = await sendRaw(call.as === "operator" ? operator.secret : org.secret, call.query, call.variables);
      assert.equal(response.body.errors, undefined, `${name}: ${JSON.stringify(response.body.errors)}`);
      const typename = response.body.data[name].__typename as string;
      learn(world, name, response.body.data);

      const fresh =
        call.as === "operator"
          ? await db.auditEvent.findMany({ where: { actorId: operator.id }, orderBy: { createdAt: "asc" }, skip: operatorRowsBefore })
          : (await orgRows(org.id)).slice(orgRowsBefore);
      assert.equal(fresh.length, 1, `${name}: exactly one new audit row (got ${fresh.length})`);
      const row = fresh[0]!;
      assert.equal(row.operation, name);
      assert.equal(row.resultType, typename, `${name}: the row's result type is the payload's`);
      if (call.as === "operator") {
        assert.deepEqual([row.actorType, row.actorId, row.organizationId], ["OPERATOR", operator.id, null]);
        assert.match(row.actorName ?? "", /^audit operator /);
        assert.equal(row.operationName, "AuditDecide");
      } else {
        assert.deepEqual([row.actorType, row.actorId, row.actorName, row.organizationId], ["API_KEY", key.id, "test *", org.id]);
      }
      for (const target of call.targets(response.body.data)) assert.ok(row.targetIds.includes(target), `${name}: targetIds ${JSON.stringify(row.targetIds)} name ${target}`);
    }
    // The first example names its operation; the rest are anonymous.
    const [first] = await orgRows(org.id);
    assert.deepEqual([first?.operation, first?.operationName], ["createAgent", "AuditCreateAgent"]);
  });

  test("no secret reaches the audit rows: createApiKey's secret, SIP passwords, secret-looking JSON fields", async () => {
    assert.ok(world?.keySecret, "runs after the example mutations");
    const rows = await orgRows(world.org.id);
    const text = JSON.stringify(rows);
    assert.equal(world.webhookSecrets.length, 2);
    for (const secret of [world.keySecret, SIP_PASSWORD, SIP_PASSWORD_CHANGED, "tok-in-json", ...world.webhookSecrets]) assert.ok(!text.includes(secret), `${secret.slice(0, 8)}… is not in the audit log`);
    const sip = rows.find((row) => row.operation === "importSipTrunkPhoneNumber")!.input as any;
    assert.deepEqual(sip.inboundTrunk, { allowedSourceIps: ["203.0.113.10"], authUsername: "pbx", authPassword: REDACTED });
    assert.equal(sip.outboundTrunk.authPassword, REDACTED);
    const update = rows.find((row) => row.operation === "updatePhoneNumber")!.input as any;
    assert.equal(update.outboundTrunk.authPassword, REDACTED, "a secret written into the document is redacted too");
    const manual = rows.find((row) => row.operation === "createManualPhoneNumber")!.input as any;
    assert.deepEqual(manual.dispatchMetadataTemplate, { greeting: "hi", apiToken: REDACTED });
    const created = rows.find((row) => row.operation === "createApiKey")!;
    assert.deepEqual(created.input, { name: "audited key", scopes: ["agents:read"] });
  });

  test("a call refused for a missing scope is recorded as FORBIDDEN, with every field of its operation", async () => {
    const org = await createOrganization("audit-forbidden");
    const reader = await org.clientWithScopes(["agents:read"]);
    const secret = reader.headers["x-api-key"]!;
    const response = await sendRaw(secret, `mutation Sneaky { createAgent(input: { name: "nope" }) { __typename } }`);
    assert.equal(response.body.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const key = await (await prisma()).apiKey.findFirstOrThrow({ where: { organizationId: org.id, name: "test agents:read" } });
    let rows = await orgRows(org.id);
    assert.deepEqual(
      rows.map((row) => [row.operation, row.operationName, row.resultType, row.actorId, row.actorName]),
      [["createAgent", "Sneaky", "FORBIDDEN", key.id, "test agents:read"]],
    );
    assert.deepEqual(rows[0]!.input, { name: "nope" });

    // An operation refused whole: the forbidden field and the allowed one that never ran.
    const writer = await org.clientWithScopes(["numbers:write"]);
    await sendRaw(writer.headers["x-api-key"]!, `mutation($e: String!) { createManualPhoneNumber(input: { e164: $e }) { __typename } again: createAgent(input: { name: "x" }) { __typename } }`, { e: uniqueE164() });
    rows = (await orgRows(org.id)).slice(1);
    assert.deepEqual(rows.map((row) => [row.operation, row.resultType]).sort(), [["createAgent", "FORBIDDEN"], ["createManualPhoneNumber", "NOT_EXECUTED"]]);

    // A scope checked inside the mutation (billing changes of a number) is recorded the same way.
    const manual = await sendRaw(org.secret, `mutation($e: String!) { createManualPhoneNumber(input: { e164: $e }) { ... on CreateManualPhoneNumberSuccess { phoneNumber { id } } } }`, { e: uniqueE164() });
    const numberId = manual.body.data.createManualPhoneNumber.phoneNumber.id;
    const numbersOnly = await org.clientWithScopes(["numbers:write", "numbers:read"]);
    const billing = await sendRaw(numbersOnly.headers["x-api-key"]!, `mutation($id: ID!) { updatePhoneNumber(input: { id: $id, billing: { monthlyPriceCents: 1 } }) { __typename } }`, { id: numberId });
    assert.equal(billing.body.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const last = (await orgRows(org.id)).at(-1)!;
    assert.deepEqual([last.operation, last.resultType, last.targetIds], ["updatePhoneNumber", "FORBIDDEN", [numberId]]);
  });

  test("a JWT caller is recorded by its subject; a query writes no row", async () => {
    const org = await createOrganization("audit-jwt");
    const { config } = await getEnvironment();
    const token = await new SignJWT({ org: org.id, scope: "agents:write agents:read", sub: "user-audit-7" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt()
      .setIssuer(config.jwt.issuer!)
      .setAudience(config.jwt.audience!)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(config.jwt.secret!));
    const headers = { authorization: `Bearer ${token}` };
    await sendRaw(headers, `{ agents(first: 1) { totalCount } }`);
    assert.equal((await orgRows(org.id)).length, 0, "reads are not audited");
    const created = await sendRaw(headers, `mutation { createAgent(input: { name: "By token" }) { __typename } }`);
    assert.equal(created.body.data.createAgent.__typename, "CreateAgentSuccess");
    const rows = await orgRows(org.id);
    assert.deepEqual(rows.map((row) => [row.actorType, row.actorId, row.actorName, row.resultType]), [["JWT", "user-audit-7", null, "CreateAgentSuccess"]]);
  });

  test("Query.auditEvents: newest first, filtered by actor, operation, target and date; needs audit:read", async () => {
    const org = await createOrganization("audit-query");
    const key = await starKey(org);
    const agentIds: string[] = [];
    for (const name of ["one", "two", "three"]) {
      const response = await sendRaw(org.secret, `mutation($name: String!) { createAgent(input: { name: $name }) { ... on CreateAgentSuccess { agent { id } } } }`, { name });
      agentIds.push(response.body.data.createAgent.agent.id);
    }
    const other = await org.clientWithScopes(["agents:write", "agents:read"]);
    await sendRaw(other.headers["x-api-key"]!, `mutation($id: ID!) { updateAgent(input: { id: $id, name: "renamed" }) { __typename } }`, { id: agentIds[0] });
    await sendRaw(org.secret, `mutation { createAgent(input: { name: "" }) { __typename } }`);

    const list = async (filter?: Record<string, unknown>, auth: string = org.secret, after?: string) =>
      sendRaw(
        auth,
        `query($filter: AuditEventFilter, $after: String) { auditEvents(first: 2, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { node { id actorType actorId actorName operation operationName targetIds resultType input requestId createdAt } } } }`,
        { filter, after },
      );
    const all = await list();
    assert.equal(all.body.errors, undefined, JSON.stringify(all.body.errors));
    assert.equal(all.body.data.auditEvents.totalCount, 5);
    const firstPage = all.body.data.auditEvents.edges.map((e: any) => e.node);
    assert.deepEqual(firstPage.map((n: any) => [n.operation, n.resultType]), [["createAgent", "ValidationError"], ["updateAgent", "UpdateAgentSuccess"]], "newest first");
    const second = await list(undefined, org.secret, all.body.data.auditEvents.pageInfo.endCursor);
    assert.deepEqual(second.body.data.auditEvents.edges.map((e: any) => e.node.input.name), ["three", "two"]);
    assert.equal(firstPage[1].actorId, encodeGlobalID("ApiKey", (await (await prisma()).apiKey.findFirstOrThrow({ where: { organizationId: org.id, name: "test agents:write agents:read" } })).id));
    assert.equal(firstPage[1].actorName, "test agents:write agents:read");
    assert.equal(firstPage[1].actorType, "API_KEY");

    const count = async (filter: Record<string, unknown>) => {
      const response = await list(filter);
      assert.equal(response.body.errors, undefined, JSON.stringify(response.body.errors));
      return response.body.data.auditEvents.totalCount as number;
    };
    const starKeyId = encodeGlobalID("ApiKey", key.id);
    assert.equal(await count({ actorId: starKeyId }), 4);
    assert.equal(await count({ actorId: firstPage[1].actorId }), 1);
    assert.equal(await count({ operation: "updateAgent" }), 1);
    assert.equal(await count({ operation: "createAgent", actorId: starKeyId }), 4);
    assert.equal(await count({ targetId: agentIds[0] }), 2, "created, then renamed");
    assert.equal(await count({ targetId: agentIds[2] }), 1);
    const rows = await orgRows(org.id);
    assert.equal(await count({ createdAfter: rows[3]!.createdAt.toISOString() }), 2);
    assert.equal(await count({ createdBefore: rows[1]!.createdAt.toISOString() }), 1);
    assert.equal(await count({ createdAfter: new Date(Date.now() + 60_000).toISOString() }), 0);

    // Another organization sees none of these, and a node id of one is null to it.
    const stranger = await createOrganization("audit-stranger");
    const theirs = await list(undefined, stranger.secret);
    assert.equal(theirs.body.data.auditEvents.totalCount, 0);
    const node = await sendRaw(stranger.secret, `query($id: ID!) { node(id: $id) { id } }`, { id: firstPage[0].id });
    assert.equal(node.body.data.node, null);
    const own = await sendRaw(org.secret, `query($id: ID!) { node(id: $id) { ... on AuditEvent { operation } } }`, { id: firstPage[0].id });
    assert.deepEqual(own.body.data.node, { operation: "createAgent" });

    // audit:read is needed (and `*` grants it).
    const agentsOnly = await org.clientWithScopes(["agents:read", "agents:write"]);
    const refused = await list(undefined, agentsOnly.headers["x-api-key"]!);
    assert.equal(refused.body.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.match(refused.body.errors?.[0]?.message ?? "", /Query\.auditEvents/);
    const auditor = await org.clientWithScopes(["audit:read"]);
    assert.equal((await list(undefined, auditor.headers["x-api-key"]!)).body.data.auditEvents.totalCount, 5);
  });

  test("no mutation changes or deletes audit rows", () => {
    const mutations = Object.values(schema.getMutationType()!.getFields());
    assert.deepEqual(mutations.filter((field) => /audit/i.test(field.name) || /Audit/.test(String(field.type))).map((field) => field.name), []);
  });

  test("the request id is kept, and a failed audit write is logged without failing the mutation", async () => {
    const org = await createOrganization("audit-failure");
    await sendRaw({ "x-api-key": org.secret, "x-request-id": "req-123" }, `mutation { createAgent(input: { name: "traced" }) { __typename } }`);
    assert.equal((await orgRows(org.id))[0]?.requestId, "req-123");

    const env = await getEnvironment();
    const delegate = env.switchboard.database.prisma.auditEvent;
    const createMany = delegate.createMany;
    const logged = env.errorLogs.length;
    (delegate as { createMany: unknown }).createMany = () => Promise.reject(new Error("audit table unavailable"));
    let response: RawResponse;
    try {
      response = await sendRaw(org.secret, `mutation { createAgent(input: { name: "unaudited" }) { __typename } }`);
    } finally {
      (delegate as { createMany: unknown }).createMany = createMany;
    }
    assert.deepEqual(response.body, { data: { createAgent: { __typename: "CreateAgentSuccess" } } });
    assert.equal((await orgRows(org.id)).length, 1);
    if (!process.env.LOG_LEVEL) {
      const lines = env.errorLogs.slice(logged).filter((line) => line.includes("audit log write failed"));
      assert.equal(lines.length, 1, env.errorLogs.slice(logged).join("\n"));
      assert.match(lines[0]!, /audit table unavailable/);
    }
  });
});

describe("audit input bounds", () => {
  test("secret-looking fields are redacted at any depth, in lists too", () => {
    assert.deepEqual(
      auditInput({ password: "p", nested: { clientSecret: "s", list: [{ accessToken: "t", name: "n" }] }, apiKey: "k", api_key: "k2", webhookSignature: "sig", idempotencyKey: "keep", privateKey: "pk", absent: null }),
      { password: REDACTED, nested: { clientSecret: REDACTED, list: [{ accessToken: REDACTED, name: "n" }] }, apiKey: REDACTED, api_key: REDACTED, webhookSignature: REDACTED, idempotencyKey: "keep", privateKey: REDACTED, absent: null },
    );
  });

  test("text PostgreSQL cannot store (NUL, unpaired surrogates, a pair cut in two) is replaced, in values and names", () => {
    assert.deepEqual(auditInput({ label: "a\u0000b\uD800c\uDC00", ["k\u0000"]: "v" }), { label: "a\uFFFDb\uFFFDc\uFFFD", ["k\uFFFD"]: "v" });
    const cut = (auditInput({ label: `${"x".repeat(999)}😀tail`.padEnd(1_200, "y") }) as { label: string }).label;
    assert.equal(cut.slice(999, 1_000), "\uFFFD", "the high surrogate left alone by the cut");
  });

  test("long strings are cut, and fields past 16 KB are dropped and named", () => {
    const cut = auditInput({ label: "x".repeat(1_500) }) as { label: string };
    assert.ok(cut.label.startsWith("x".repeat(1_000)) && cut.label.endsWith("[500 more characters]"), cut.label.slice(990));
    const input: Record<string, string> = {};
    for (let i = 0; i < 40; i++) input[`field${i}`] = "y".repeat(900);
    const bounded = auditInput(input) as Record<string, string>;
    assert.ok(Buffer.byteLength(JSON.stringify(bounded)) <= MAX_INPUT_BYTES);
    assert.ok(bounded.field0 && !bounded.field39);
    assert.match(bounded[DROPPED_FIELDS]!, /field39/);
  });
});
