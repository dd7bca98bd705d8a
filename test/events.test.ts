import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pruneEvents } from "../src/jobs/event-retention.ts";
import { parse } from "graphql";
import { createOrganization, getEnvironment, sendRaw, type TestOrganization } from "./helpers/harness.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";
import { inboundMessage, postSandbox } from "./helpers/webhooks.ts";

// The event log (src/events/log.ts, Query.events): every change a customer cares about is one
// event, recorded with the change, carrying the object as it was then.

const send = async (secret: string, query: string, variables?: unknown) => (await sendRaw(secret, query, variables)).body;

interface EventView {
  id: string;
  type: string;
  objectId: string | null;
  data: Record<string, any>;
  phoneNumber: { id: string; label: string | null } | null;
}

async function events(secret: string, filter: Record<string, unknown> = {}): Promise<EventView[]> {
  const body = await send(secret, `query($filter: EventFilter) { events(first: 100, filter: $filter) { totalCount edges { node { id type createdAt objectId data phoneNumber { id label } } } } }`, { filter });
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.events.edges.map((e: { node: EventView }) => e.node);
}

async function buy(org: TestOrganization): Promise<string> {
  const body = await send(org.secret, `mutation { provisionPhoneNumber(input: { areaCode: "206", label: "Front desk" }) { ... on ProvisionPhoneNumberSuccess { phoneNumber { id } } ... on Error { message } } }`);
  return body.data.provisionPhoneNumber.phoneNumber.id as string;
}

describe("the event log", () => {
  test("a number's life, each step an event with the number as it was then, newest first", async () => {
    const org = await createOrganization("events-life");
    const id = await buy(org);
    const agent = (await send(org.secret, `mutation { createAgent(input: { name: "Ada" }) { ... on CreateAgentSuccess { agent { id } } } }`)).data.createAgent.agent.id as string;
    await send(org.secret, `mutation($id: ID!) { updatePhoneNumber(input: { id: $id, label: "Sales" }) { __typename } }`, { id });
    await send(org.secret, `mutation($id: ID!, $agent: ID!) { assignPhoneNumber(input: { phoneNumberId: $id, agentId: $agent }) { __typename } }`, { id, agent });
    await send(org.secret, `mutation($id: ID!) { unassignPhoneNumber(input: { phoneNumberId: $id }) { __typename } }`, { id });
    await send(org.secret, `mutation($id: ID!) { updatePhoneNumber(input: { id: $id, label: "Support" }) { __typename } }`, { id });
    await send(org.secret, `mutation($id: ID!) { releasePhoneNumber(input: { id: $id }) { __typename } }`, { id });

    const log = await events(org.secret, { objectId: id, types: ["NUMBER_ORDERED", "NUMBER_ACTIVATED", "NUMBER_UPDATED", "NUMBER_ASSIGNED", "NUMBER_UNASSIGNED", "NUMBER_RELEASED"] });
    assert.deepEqual(log.map((e) => e.type), ["NUMBER_RELEASED", "NUMBER_UPDATED", "NUMBER_UNASSIGNED", "NUMBER_ASSIGNED", "NUMBER_UPDATED", "NUMBER_ACTIVATED", "NUMBER_ORDERED"]);
    const [released, relabelled, unassigned, assigned, labelled, activated, ordered] = log as [EventView, EventView, EventView, EventView, EventView, EventView, EventView];
    // Each snapshot is the number then, whatever it is now.
    assert.deepEqual([ordered.data.phoneNumber.status, ordered.data.phoneNumber.label], ["PENDING", "Front desk"]);
    assert.equal(activated.data.phoneNumber.status, "ACTIVE");
    assert.ok(activated.data.phoneNumber.activatedAt);
    assert.deepEqual([labelled.data.phoneNumber.label, labelled.data.changed], ["Sales", ["label"]]);
    assert.deepEqual([assigned.data.phoneNumber.agentId, assigned.data.previousAgentId], [agent, null]);
    assert.deepEqual([unassigned.data.phoneNumber.agentId, unassigned.data.previousAgentId], [null, agent]);
    assert.equal(relabelled.data.phoneNumber.label, "Support");
    assert.equal(released.data.phoneNumber.status, "RELEASED");
    // The number as it is now is there too, and every event names it.
    assert.ok(log.every((e) => e.objectId === id && e.phoneNumber?.id === id && e.phoneNumber.label === "Support"));
    // Setup status changes are in the same log.
    assert.ok((await events(org.secret, { objectId: id, types: ["SETUP_STATUS_CHANGED"] })).length >= 2);
  });

  test("an event about an agent being paused shows it paused, to a subscriber and in the log, even after it resumed", async () => {
    const org = await createOrganization("events-snapshot");
    const agent = (await send(org.secret, `mutation { createAgent(input: { name: "Bo" }) { ... on CreateAgentSuccess { agent { id } } } }`)).data.createAgent.agent.id as string;
    const number = await send(org.secret, `mutation($agent: ID!) { createManualPhoneNumber(input: { e164: "+1206555${String(Math.floor(Math.random() * 9000) + 1000)}", agentId: $agent, direction: OUTBOUND }) { ... on CreateManualPhoneNumberSuccess { phoneNumber { id } } } }`, { agent });
    const id = number.data.createManualPhoneNumber.phoneNumber.id as string;
    await send(org.secret, `mutation($id: ID!) { updatePhoneNumber(input: { id: $id, direction: BOTH }) { __typename } }`, { id });
    await send(org.secret, `mutation($id: ID!) { confirmPhoneNumberForwarding(input: { id: $id }) { __typename } }`, { id });
    const client = wsClient(await (await getEnvironment()).url(), { apiKey: org.secret });
    const changes = await subscribe(client, parse(`subscription($id: ID) { phoneNumberSetupStatusChanged(phoneNumberId: $id) { current { status } numberAtChange phoneNumber { agent { status } } } }`) as never, { id } as never);
    type Change = { phoneNumberSetupStatusChanged: { current: { status: string }; numberAtChange: { agentStatus: string; agentId: string } | null; phoneNumber: { agent: { status: string } } } };
    try {
      await send(org.secret, `mutation($id: ID!) { updateAgent(input: { id: $id, status: PAUSED }) { __typename } }`, { id: agent });
      await send(org.secret, `mutation($id: ID!) { updateAgent(input: { id: $id, status: ACTIVE }) { __typename } }`, { id: agent });
      const paused = ((await changes.next()).data as Change).phoneNumberSetupStatusChanged;
      // Delivered after the agent resumed: the number as it is now has an ACTIVE agent, the event still says PAUSED.
      assert.deepEqual([paused.current.status, paused.numberAtChange?.agentStatus, paused.numberAtChange?.agentId], ["ACTION_REQUIRED", "PAUSED", agent]);
      const resumed = ((await changes.next()).data as Change).phoneNumberSetupStatusChanged;
      assert.equal(resumed.numberAtChange?.agentStatus, "ACTIVE");
    } finally {
      await changes.close();
      await client.dispose();
    }
    const log = await events(org.secret, { objectId: id, types: ["SETUP_STATUS_CHANGED"] });
    assert.deepEqual(log.slice(0, 2).map((e) => e.data.phoneNumber.agentStatus), ["ACTIVE", "PAUSED"]);
  });

  test("a received message's event carries the message as it arrived, and is found by the message's id", async () => {
    const org = await createOrganization("events-message");
    const e164 = `+1206555${String(Math.floor(Math.random() * 9000) + 1000)}`;
    await send(org.secret, `mutation($e164: String!) { createManualPhoneNumber(input: { e164: $e164, capabilities: { sms: true } }) { __typename } }`, { e164 });
    const sender = `+1312555${String(Math.floor(Math.random() * 9000) + 1000)}`;
    const delivered = await postSandbox(await (await getEnvironment()).url(), inboundMessage(sender, e164, "Is my order shipped?"));
    assert.equal(delivered.status, 200);
    const [received] = await events(org.secret, { types: ["MESSAGE_RECEIVED"] });
    assert.deepEqual([received!.data.message.from, received!.data.message.body, received!.data.message.status], [sender, "Is my order shipped?", "RECEIVED"]);
    assert.equal((await events(org.secret, { objectId: received!.objectId })).length, 1);
  });

  test("a change that fails records nothing; trunk passwords and key secrets never appear", async () => {
    const org = await createOrganization("events-secrets");
    const e164 = `+1206555${String(Math.floor(Math.random() * 9000) + 1000)}`;
    const first = await send(org.secret, `mutation($e164: String!) { importSipTrunkPhoneNumber(input: { e164: $e164, direction: INBOUND, inboundTrunk: { allowedSourceIps: ["203.0.113.0/24"], authUsername: "trunk", authPassword: "correct-horse-battery" } }) { __typename ... on ImportSipTrunkPhoneNumberSuccess { phoneNumber { id } } } }`, { e164 });
    const id = first.data.importSipTrunkPhoneNumber.phoneNumber.id as string;
    const duplicate = await send(org.secret, `mutation($e164: String!) { createManualPhoneNumber(input: { e164: $e164 }) { __typename } }`, { e164 });
    assert.equal(duplicate.data.createManualPhoneNumber.__typename, "ConflictError");
    await send(org.secret, `mutation($id: ID!) { updatePhoneNumber(input: { id: $id, inboundTrunk: { authPassword: "another-battery-staple" } }) { __typename } }`, { id });
    const created = await send(org.secret, `mutation { createApiKey(input: { name: "ci", scopes: ["numbers:read"] }) { ... on CreateApiKeySuccess { secret apiKey { id } } } }`);
    const { secret, apiKey } = created.data.createApiKey;
    await send(org.secret, `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }`, { id: apiKey.id });

    const log = await events(org.secret);
    assert.equal(log.filter((e) => e.type === "NUMBER_ACTIVATED").length, 1, "the refused duplicate recorded nothing");
    assert.deepEqual(log.find((e) => e.type === "NUMBER_UPDATED")!.data.changed, ["inboundTrunkAuthPassword"]);
    const keyEvents = log.filter((e) => e.type.startsWith("API_KEY_") && e.objectId === apiKey.id);
    assert.deepEqual(keyEvents.map((e) => e.type), ["API_KEY_REVOKED", "API_KEY_CREATED"]);
    assert.ok(keyEvents[0]!.data.apiKey.revokedAt);
    const text = JSON.stringify(log);
    for (const hidden of ["correct-horse-battery", "another-battery-staple", secret, "secretHash"]) assert.ok(!text.includes(hidden), `${hidden} is not in the log`);
  });

  test("each key sees only the event types its scopes read", async () => {
    const org = await createOrganization("events-scopes");
    await buy(org);
    const { billing } = (await getEnvironment()).switchboard.services;
    await billing.runDue();
    const all = await events(org.secret);
    assert.ok(all.some((e) => e.type === "CHARGE_SUCCEEDED"), "the number's first charges were recorded");
    assert.ok(all.some((e) => e.type === "API_KEY_CREATED"));
    const numbersOnly = (await org.clientWithScopes(["numbers:read"])).headers["x-api-key"]!;
    const seen = new Set((await events(numbersOnly)).map((e) => e.type));
    assert.ok(seen.has("NUMBER_ACTIVATED"));
    assert.ok(!seen.has("CHARGE_SUCCEEDED") && !seen.has("API_KEY_CREATED"), [...seen].join());
    const charge = all.find((e) => e.type === "CHARGE_SUCCEEDED")!;
    assert.equal((await send(numbersOnly, `query($id: ID!) { node(id: $id) { id } }`, { id: charge.id })).data.node, null, "not by id either");
    const other = await createOrganization("events-scopes-other");
    assert.deepEqual(await events(other.secret, { objectId: charge.objectId }), [], "never another organization's");
    const bad = await sendRaw(org.secret, `{ events(filter: { objectId: "nope" }) { totalCount } }`);
    assert.equal(bad.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
  });

  test("events older than the retention are deleted; newer ones stay", async () => {
    const org = await createOrganization("events-retention");
    const { prisma } = (await getEnvironment()).switchboard.database;
    const old = await prisma.event.create({ data: { organizationId: org.id, type: "NUMBER_UPDATED", payload: {}, createdAt: new Date(Date.now() - 91 * 86_400_000) } });
    const recent = await prisma.event.create({ data: { organizationId: org.id, type: "NUMBER_UPDATED", payload: {}, createdAt: new Date(Date.now() - 89 * 86_400_000) } });
    assert.ok((await pruneEvents(prisma, 90)) >= 1);
    assert.equal(await prisma.event.count({ where: { id: old.id } }), 0);
    assert.equal(await prisma.event.count({ where: { id: recent.id } }), 1);
  });
});
