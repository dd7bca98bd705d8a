import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, startVariant, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { post } from "./helpers/processes.ts";
import { registerEmergencyAddress } from "./helpers/emergency.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";

const SetupStatusChanged = graphql(`
  subscription SetupStatusChanged($phoneNumberId: ID) {
    phoneNumberSetupStatusChanged(phoneNumberId: $phoneNumberId) {
      eventId
      phoneNumber {
        id
        e164
      }
      previous {
        status
        issues {
          code
        }
      }
      current {
        status
        agentReady
        issues {
          code
        }
      }
    }
  }
`);

const CreateNumber = graphql(`
  mutation SubsCreateNumber($input: CreateManualPhoneNumberInput!) {
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
  mutation SubsCreateAgent($name: String!) {
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

const Assign = graphql(`
  mutation SubsAssign($phoneNumberId: ID!, $agentId: ID!) {
    assignPhoneNumber(input: { phoneNumberId: $phoneNumberId, agentId: $agentId }) {
      __typename
    }
  }
`);

const PauseAgent = graphql(`
  mutation SubsPauseAgent($id: ID!, $status: AgentStatus!) {
    updateAgent(input: { id: $id, status: $status }) {
      __typename
    }
  }
`);

const DeleteAgent = graphql(`
  mutation SubsDeleteAgent($id: ID!) {
    deleteAgent(input: { id: $id }) {
      __typename
    }
  }
`);

const Relabel = graphql(`
  mutation SubsRelabel($id: ID!, $label: String!) {
    updatePhoneNumber(input: { id: $id, label: $label }) {
      __typename
    }
  }
`);

const ConfirmForwarding = graphql(`
  mutation SubsConfirm($id: ID!) {
    confirmPhoneNumberForwarding(input: { id: $id }) {
      __typename
    }
  }
`);

const Release = graphql(`
  mutation SubsRelease($id: ID!) {
    releasePhoneNumber(input: { id: $id }) {
      __typename
    }
  }
`);

async function createNumber(org: TestOrganization): Promise<string> {
  const data = await org.client.data(CreateNumber, { input: { e164: uniqueE164() } });
  assert.equal(data.createManualPhoneNumber.__typename, "CreateManualPhoneNumberSuccess");
  return (data.createManualPhoneNumber as { phoneNumber: { id: string } }).phoneNumber.id;
}

async function createAgent(org: TestOrganization, name = "Ava"): Promise<string> {
  const data = await org.client.data(CreateAgent, { name });
  return (data.createAgent as { agent: { id: string } }).agent.id;
}

const codes = (status: { issues: Array<{ code: string }> } | null | undefined) => status?.issues.map((issue) => issue.code).sort();

describe("live setup status", () => {
  const closers: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function connect(org: TestOrganization) {
    const client = wsClient(await (await getEnvironment()).url(), { apiKey: org.secret });
    closers.push(() => client.dispose());
    return client;
  }

  test("every cause of a change is published once over graphql-ws, and changes that alter nothing publish nothing", async () => {
    const org = await createOrganization("live");
    const events = await subscribe(await connect(org), SetupStatusChanged);

    const numberId = await createNumber(org);
    let event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(event.phoneNumber.id, numberId);
    assert.equal(event.previous, null, "a new number has no previous status");
    assert.equal(event.current.status, "ACTION_REQUIRED");
    assert.deepEqual(codes(event.current), ["EMERGENCY_ADDRESS_MISSING", "FORWARDING_NOT_CONFIRMED", "NO_AGENT", "SMS_NOT_CAPABLE"]);

    // Its emergency address: the number can place calls once it is registered.
    await registerEmergencyAddress(org.client, numberId);
    event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.deepEqual(codes(event.current), ["FORWARDING_NOT_CONFIRMED", "NO_AGENT", "SMS_NOT_CAPABLE"]);

    // A label does not change the setup status: no event. The next event is the assignment's.
    await org.client.data(Relabel, { id: numberId, label: "Reception" });
    const agentId = await createAgent(org);
    await org.client.data(Assign, { phoneNumberId: numberId, agentId });
    event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.deepEqual(codes(event.previous), ["FORWARDING_NOT_CONFIRMED", "NO_AGENT", "SMS_NOT_CAPABLE"]);
    assert.deepEqual(codes(event.current), ["FORWARDING_NOT_CONFIRMED", "SMS_NOT_CAPABLE"]);
    assert.equal(event.current.agentReady, true);

    await org.client.data(ConfirmForwarding, { id: numberId });
    event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(event.previous?.status, "ACTION_REQUIRED");
    assert.equal(event.current.status, "READY");

    // Pausing the agent changes a number that was not itself touched.
    await org.client.data(PauseAgent, { id: agentId, status: "PAUSED" });
    event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(event.current.status, "ACTION_REQUIRED");
    assert.deepEqual(codes(event.current), ["AGENT_PAUSED", "SMS_NOT_CAPABLE"]);

    await org.client.data(DeleteAgent, { id: agentId });
    event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.deepEqual(codes(event.previous), ["AGENT_PAUSED", "SMS_NOT_CAPABLE"]);
    assert.deepEqual(codes(event.current), ["NO_AGENT", "SMS_NOT_CAPABLE"]);

    await org.client.data(Release, { id: numberId });
    event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(event.current.status, "RELEASED");

    const prisma = (await getEnvironment()).switchboard.database.prisma;
    const recorded = await prisma.event.count({ where: { organizationId: org.id, type: "SETUP_STATUS_CHANGED" } });
    assert.equal(recorded, 7, "each change is recorded once as an event");
    assert.equal(await prisma.event.count({ where: { organizationId: org.id, type: "NUMBER_RELEASED" } }), 1, "and the release itself once");
    await events.close();
  });

  test("with phoneNumberId only that number's changes arrive", async () => {
    const org = await createOrganization("live-one");
    const watched = await createNumber(org);
    const other = await createNumber(org);
    const agentId = await createAgent(org);
    const events = await subscribe(await connect(org), SetupStatusChanged, { phoneNumberId: watched });
    await org.client.data(Assign, { phoneNumberId: other, agentId });
    await org.client.data(Assign, { phoneNumberId: watched, agentId });
    const event = (await events.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(event.phoneNumber.id, watched);
    await events.close();
  });

  test("organization B never receives organization A's events", async () => {
    const orgA = await createOrganization("live-a");
    const orgB = await createOrganization("live-b");
    const eventsOfB = await subscribe(await connect(orgB), SetupStatusChanged);
    await createNumber(orgA);
    const ownNumber = await createNumber(orgB);
    const event = (await eventsOfB.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(event.phoneNumber.id, ownNumber, "the first event B sees is its own");
    await eventsOfB.close();
  });

  test("an invalid key closes the socket with 4403, and a key without numbers:read gets FORBIDDEN", async () => {
    const url = await (await getEnvironment()).url();
    const closed = new Promise<number>((resolve) => {
      const client = wsClient(url, { apiKey: "sb_live_thisisnotarealkeyatallnotatall1234" }, (code) => resolve(code));
      closers.push(() => client.dispose());
    });
    assert.equal(await closed, 4403);

    const org = await createOrganization("live-scope");
    const agentsOnly = await org.clientWithScopes(["agents:read"]);
    const client = wsClient(url, { apiKey: agentsOnly.headers["x-api-key"]! });
    closers.push(() => client.dispose());
    const events = await subscribe(client, SetupStatusChanged);
    const result = await events.next();
    assert.equal(result.errors?.[0]?.extensions?.code, "FORBIDDEN", JSON.stringify(result));
  });

  test("a connection may hold at most MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions", async () => {
    const org = await createOrganization("live-limit");
    const client = await connect(org);
    const { maxSubscriptionsPerConnection } = (await getEnvironment()).config;
    const open = [];
    for (let i = 0; i < maxSubscriptionsPerConnection; i++) open.push(await subscribe(client, SetupStatusChanged));
    const refused = await subscribe(client, SetupStatusChanged);
    const result = await refused.next();
    assert.equal(result.errors?.[0]?.extensions?.code, "RATE_LIMITED", JSON.stringify(result));
    await Promise.all(open.map((subscription) => subscription.close()));
  });

  test("the same events stream over Server-Sent Events with the key in a header", async () => {
    const org = await createOrganization("live-sse");
    const url = await (await getEnvironment()).url();
    const controller = new AbortController();
    closers.push(() => controller.abort());
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", "x-api-key": org.secret },
      body: JSON.stringify({ query: "subscription { phoneNumberSetupStatusChanged { phoneNumber { e164 } current { status } } }" }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
    const reader = response.body!.getReader();
    // The stream is open once headers arrive; yoga subscribes before it sends them.
    const e164 = uniqueE164();
    await org.client.data(CreateNumber, { input: { e164 } });
    let text = "";
    while (!text.includes("\n\n") || !text.includes("data:")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const data = JSON.parse(text.split("\n").find((line) => line.startsWith("data:"))!.slice(5));
    assert.deepEqual(data.data.phoneNumberSetupStatusChanged, { phoneNumber: { e164 }, current: { status: "ACTION_REQUIRED" } });
    controller.abort();
  });
});

describe("subscription bounds per API key", () => {
  test("a key may hold at most MAX_SUBSCRIPTIONS_PER_KEY subscriptions across connections; closing one frees its place", { timeout: 120_000 }, async () => {
    // A server in this process with the one limit changed, on the run's database.
    const server = await startVariant({ MAX_SUBSCRIPTIONS_PER_KEY: "2" });
    const key = (await createOrganization("bounds")).secret;
    const clients: Array<ReturnType<typeof wsClient>> = [];
    try {
      const open = async () => {
        const client = wsClient(server.url, { apiKey: key });
        clients.push(client);
        return subscribe(client, SetupStatusChanged);
      };
      const first = await open();
      await open();
      const third = await open();
      const refused = await third.next();
      assert.equal(refused.errors?.[0]?.extensions?.code, "RATE_LIMITED", JSON.stringify(refused));
      await first.close();
      const fourth = await open();
      // Accepted: the next thing it sees is an event, not a refusal.
      await post(server.url, key, "mutation($i: CreateManualPhoneNumberInput!) { createManualPhoneNumber(input: $i) { __typename } }", { i: { e164: uniqueE164() } });
      const event = await fourth.next();
      assert.equal(event.errors, undefined, JSON.stringify(event));
      assert.equal(event.data?.phoneNumberSetupStatusChanged.current.status, "ACTION_REQUIRED");
    } finally {
      for (const client of clients) await client.dispose();
      await server.close();
    }
  });
});
