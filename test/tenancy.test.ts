import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

const CreateAgent = graphql(`
  mutation TenancyTestCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          id
        }
      }
    }
  }
`);

const CreateManualNumber = graphql(`
  mutation TenancyTestCreateManualNumber($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
          e164
        }
      }
      ... on Error {
        code
        message
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
        }
      }
    }
  }
`);

const ImportSipNumber = graphql(`
  mutation TenancyTestImportSipNumber($input: ImportSipTrunkPhoneNumberInput!) {
    importSipTrunkPhoneNumber(input: $input) {
      __typename
      ... on ImportSipTrunkPhoneNumberSuccess {
        phoneNumber {
          id
        }
      }
      ... on Error {
        code
        message
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
        }
      }
    }
  }
`);

const CreateApiKey = graphql(`
  mutation TenancyTestCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on CreateApiKeySuccess {
        apiKey {
          id
        }
      }
    }
  }
`);

const UpdateAgent = graphql(`
  mutation TenancyTestUpdateAgent($input: UpdateAgentInput!) {
    updateAgent(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);

const DeleteAgent = graphql(`
  mutation TenancyTestDeleteAgent($input: DeleteAgentInput!) {
    deleteAgent(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);

const UpdateNumber = graphql(`
  mutation TenancyTestUpdateNumber($input: UpdatePhoneNumberInput!) {
    updatePhoneNumber(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);

const AssignNumber = graphql(`
  mutation TenancyTestAssignNumber($input: AssignPhoneNumberInput!) {
    assignPhoneNumber(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
        }
      }
    }
  }
`);

const UnassignNumber = graphql(`
  mutation TenancyTestUnassignNumber($input: UnassignPhoneNumberInput!) {
    unassignPhoneNumber(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);

const ReleaseNumber = graphql(`
  mutation TenancyTestReleaseNumber($input: ReleasePhoneNumberInput!) {
    releasePhoneNumber(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);

const ConfirmForwarding = graphql(`
  mutation TenancyTestConfirmForwarding($input: ConfirmPhoneNumberForwardingInput!) {
    confirmPhoneNumberForwarding(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);

const RevokeApiKey = graphql(`
  mutation TenancyTestRevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);

const Lists = graphql(`
  query TenancyTestLists($numberFilter: PhoneNumberFilter) {
    agents(first: 10) {
      totalCount
      edges {
        node {
          id
          phoneNumbers(first: 10) {
            totalCount
            edges {
              node {
                id
              }
            }
          }
        }
      }
    }
    phoneNumbers(first: 100, filter: $numberFilter) {
      totalCount
      facets {
        assigned
        unassigned
        byStatus {
          status
          count
        }
      }
      edges {
        node {
          id
        }
      }
    }
    apiKeys(first: 100) {
      totalCount
      edges {
        node {
          id
        }
      }
    }
  }
`);

const Node = graphql(`
  query TenancyTestNode($id: ID!) {
    node(id: $id) {
      __typename
      id
    }
  }
`);

const Nodes = graphql(`
  query TenancyTestNodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      __typename
      id
    }
  }
`);

async function prisma() {
  return (await getEnvironment()).switchboard.database.prisma;
}

async function createAgent(org: TestOrganization, name: string): Promise<string> {
  const { createAgent: result } = await org.client.data(CreateAgent, { input: { name } });
  if (result.__typename !== "CreateAgentSuccess") throw new Error(JSON.stringify(result));
  return result.agent.id;
}

async function createNumber(org: TestOrganization, agentId?: string): Promise<{ id: string; e164: string }> {
  const { createManualPhoneNumber: result } = await org.client.data(CreateManualNumber, { input: { e164: uniqueE164(), agentId } });
  if (result.__typename !== "CreateManualPhoneNumberSuccess") throw new Error(JSON.stringify(result));
  return result.phoneNumber;
}

/** Everything an organization has in the database (key use times aside, which authentication updates). */
async function snapshot(organizationId: string) {
  const db = await prisma();
  const [agents, numbers, keys] = await Promise.all([
    db.agent.findMany({ where: { organizationId }, orderBy: { id: "asc" } }),
    db.phoneNumber.findMany({ where: { organizationId }, orderBy: { id: "asc" } }),
    db.apiKey.findMany({ where: { organizationId }, orderBy: { id: "asc" }, omit: { lastUsedAt: true } }),
  ]);
  return { agents, numbers, keys };
}

interface World {
  a: TestOrganization;
  b: TestOrganization;
  agentA: string;
  numberA: { id: string; e164: string };
  spareNumberA: { id: string; e164: string };
  releasedNumberA: { id: string; e164: string };
  keyA: string;
  agentB: string;
  numberB: { id: string; e164: string };
}

/** Organization A with an agent, an assigned number, an unassigned one, a released one and an extra key; B with its own. */
async function world(): Promise<World> {
  const a = await createOrganization("tenancy-a");
  const b = await createOrganization("tenancy-b");
  const agentA = await createAgent(a, "A's agent");
  const numberA = await createNumber(a, agentA);
  const spareNumberA = await createNumber(a);
  const releasedNumberA = await createNumber(a, agentA);
  const released = (await a.client.data(ReleaseNumber, { input: { id: releasedNumberA.id } })).releasePhoneNumber;
  assert.equal(released.__typename, "ReleasePhoneNumberSuccess");
  const key = (await a.client.data(CreateApiKey, { input: { name: "A's extra key", scopes: ["agents:read"] } })).createApiKey;
  if (key.__typename !== "CreateApiKeySuccess") throw new Error(JSON.stringify(key));
  const agentB = await createAgent(b, "B's agent");
  const numberB = await createNumber(b);
  return { a, b, agentA, numberA, spareNumberA, releasedNumberA, keyA: key.apiKey.id, agentB, numberB };
}

/** Another organization's agent named in an input: a NOT_FOUND field error, as for an agent that does not exist. */
function assertUnknownAgent(result: { __typename: string; fieldErrors?: ReadonlyArray<{ path: readonly string[]; code: string }> }, what: string): void {
  assert.equal(result.__typename, "ValidationError", `${what}: ${JSON.stringify(result)}`);
  assert.deepEqual(result.fieldErrors?.map((e) => ({ ...e })), [{ path: ["input", "agentId"], code: "NOT_FOUND" }], what);
}

function assertNotFound(result: { __typename: string; code?: string; message?: string }, what: string): void {
  assert.equal(result.__typename, "NotFoundError", `${what}: ${JSON.stringify(result)}`);
  assert.equal(result.code, "NOT_FOUND", what);
}

describe("tenancy", () => {
  test("lists show only the caller's agents, numbers and API keys, with matching totalCount", async () => {
    const w = await world();
    const { a, b } = w;

    const seenByB = await b.client.data(Lists, { numberFilter: { released: "INCLUDE" } });
    assert.equal(seenByB.agents?.totalCount, 1);
    assert.deepEqual(seenByB.agents?.edges.map((edge) => edge.node.id), [w.agentB]);
    assert.equal(seenByB.agents?.edges[0]?.node.phoneNumbers?.totalCount, 0);
    assert.equal(seenByB.phoneNumbers?.totalCount, 1);
    assert.deepEqual(seenByB.phoneNumbers?.edges.map((edge) => edge.node.id), [w.numberB.id]);
    assert.deepEqual(seenByB.phoneNumbers?.facets.byStatus, [{ status: "ACTIVE", count: 1 }]);
    assert.equal(seenByB.phoneNumbers?.facets.assigned, 0);
    assert.equal(seenByB.phoneNumbers?.facets.unassigned, 1);
    assert.equal(seenByB.apiKeys?.totalCount, 1);
    assert.equal(seenByB.apiKeys?.edges.length, 1);
    assert.ok(!seenByB.apiKeys?.edges.some((edge) => edge.node.id === w.keyA));

    // Searching for A's number, or filtering by A's agent, finds nothing for B.
    const byText = await b.client.data(Lists, { numberFilter: { text: w.numberA.e164, released: "INCLUDE" } });
    assert.equal(byText.phoneNumbers?.totalCount, 0);
    assert.deepEqual(byText.phoneNumbers?.edges, []);
    const byAgent = await b.client.data(Lists, { numberFilter: { agentId: w.agentA } });
    assert.equal(byAgent.phoneNumbers?.totalCount, 0);
    assert.equal(byAgent.phoneNumbers?.facets.assigned, 0);
    const onlyReleased = await b.client.data(Lists, { numberFilter: { released: "ONLY" } });
    assert.equal(onlyReleased.phoneNumbers?.totalCount, 0);

    // The control: A sees its own.
    const seenByA = await a.client.data(Lists, { numberFilter: { released: "INCLUDE" } });
    assert.equal(seenByA.agents?.totalCount, 1);
    assert.deepEqual(seenByA.agents?.edges.map((edge) => edge.node.id), [w.agentA]);
    assert.deepEqual(seenByA.agents?.edges[0]?.node.phoneNumbers?.edges.map((edge) => edge.node.id), [w.numberA.id]);
    assert.equal(seenByA.phoneNumbers?.totalCount, 3);
    assert.deepEqual(
      new Set(seenByA.phoneNumbers?.edges.map((edge) => edge.node.id)),
      new Set([w.numberA.id, w.spareNumberA.id, w.releasedNumberA.id]),
    );
    assert.equal(seenByA.apiKeys?.totalCount, 2);
    assert.ok(seenByA.apiKeys?.edges.some((edge) => edge.node.id === w.keyA));
    assert.ok(!seenByA.agents?.edges.some((edge) => edge.node.id === w.agentB));
  });

  test("node and nodes give null for another organization's ids", async () => {
    const w = await world();
    const { a, b } = w;
    const aIds = [w.agentA, w.numberA.id, w.releasedNumberA.id, w.keyA];

    for (const id of aIds) {
      const response = await b.client.request(Node, { id });
      assert.equal(response.status, 200);
      assert.equal(response.errors, undefined, `node(${id}) for B: ${JSON.stringify(response.errors)}`);
      assert.equal(response.data?.node, null, `node(${id}) for B`);
      // The control: A gets it.
      assert.equal((await a.client.data(Node, { id })).node?.id, id);
    }

    const mixed = [...aIds, w.agentB, w.numberB.id];
    const forB = await b.client.request(Nodes, { ids: mixed });
    assert.equal(forB.errors, undefined, JSON.stringify(forB.errors));
    assert.deepEqual(forB.data?.nodes, [
      null,
      null,
      null,
      null,
      { __typename: "Agent", id: w.agentB },
      { __typename: "PhoneNumber", id: w.numberB.id },
    ]);
    const forA = await a.client.data(Nodes, { ids: mixed });
    assert.deepEqual(
      forA.nodes.map((node) => node?.__typename ?? null),
      ["Agent", "PhoneNumber", "PhoneNumber", "ApiKey", null, null],
    );
  });

  test("every mutation with another organization's ids is NotFoundError (a NOT_FOUND field error for an agent it names) and changes nothing", async () => {
    const w = await world();
    const { a, b } = w;
    const beforeA = await snapshot(a.id);
    const beforeB = await snapshot(b.id);

    assertNotFound((await b.client.data(UpdateAgent, { input: { id: w.agentA, name: "hijacked", status: "PAUSED" } })).updateAgent, "updateAgent");
    assertNotFound((await b.client.data(DeleteAgent, { input: { id: w.agentA } })).deleteAgent, "deleteAgent");
    for (const number of [w.numberA, w.releasedNumberA]) {
      // Not NumberReleasedError for A's released number: that would reveal it exists.
      assertNotFound(
        (await b.client.data(UpdateNumber, { input: { id: number.id, label: "hijacked", direction: "INBOUND" } })).updatePhoneNumber,
        "updatePhoneNumber",
      );
      assertNotFound((await b.client.data(UnassignNumber, { input: { phoneNumberId: number.id } })).unassignPhoneNumber, "unassignPhoneNumber");
      assertNotFound((await b.client.data(ReleaseNumber, { input: { id: number.id } })).releasePhoneNumber, "releasePhoneNumber");
      assertNotFound(
        (await b.client.data(ConfirmForwarding, { input: { id: number.id } })).confirmPhoneNumberForwarding,
        "confirmPhoneNumberForwarding",
      );
    }
    assertUnknownAgent(
      (await b.client.data(AssignNumber, { input: { phoneNumberId: w.numberB.id, agentId: w.agentA } })).assignPhoneNumber,
      "assign B's number to A's agent",
    );
    assertNotFound(
      (await b.client.data(AssignNumber, { input: { phoneNumberId: w.spareNumberA.id, agentId: w.agentB } })).assignPhoneNumber,
      "assign A's number to B's agent",
    );
    assertNotFound(
      (await b.client.data(AssignNumber, { input: { phoneNumberId: w.numberA.id, agentId: w.agentA } })).assignPhoneNumber,
      "assign A's number to A's agent",
    );
    assertNotFound((await b.client.data(RevokeApiKey, { input: { id: w.keyA } })).revokeApiKey, "revokeApiKey");

    assert.deepEqual(await snapshot(a.id), beforeA, "A's rows changed");
    assert.deepEqual(await snapshot(b.id), beforeB, "B's rows changed");

    // A's key is still A's and still unrevoked.
    const stillA = await a.client.data(Node, { id: w.keyA });
    assert.equal(stillA.node?.id, w.keyA);
    const row = await (await prisma()).apiKey.findFirstOrThrow({ where: { organizationId: a.id, revokedAt: null, name: "A's extra key" } });
    assert.equal(row.revokedAt, null);
  });

  test("creating a number for another organization's agent is a NOT_FOUND field error, and creates nothing", async () => {
    const w = await world();
    const { a, b } = w;
    const beforeA = await snapshot(a.id);
    const beforeB = await snapshot(b.id);

    const e164 = uniqueE164();
    const manual = (await b.client.data(CreateManualNumber, { input: { e164, agentId: w.agentA } })).createManualPhoneNumber;
    assert.equal(manual.__typename, "ValidationError", JSON.stringify(manual));
    if (manual.__typename === "ValidationError") {
      assert.deepEqual(manual.fieldErrors, [{ path: ["input", "agentId"], code: "NOT_FOUND" }]);
    }
    const sip = (await b.client.data(ImportSipNumber, { input: { e164, agentId: w.agentA } })).importSipTrunkPhoneNumber;
    assert.equal(sip.__typename, "ValidationError", JSON.stringify(sip));
    if (sip.__typename === "ValidationError") {
      assert.deepEqual(sip.fieldErrors, [{ path: ["input", "agentId"], code: "NOT_FOUND" }]);
    }

    assert.deepEqual(await snapshot(a.id), beforeA);
    assert.deepEqual(await snapshot(b.id), beforeB);
    assert.equal(await (await prisma()).phoneNumber.count({ where: { e164 } }), 0);

    // The control: with B's own agent it works.
    const ok = (await b.client.data(CreateManualNumber, { input: { e164, agentId: w.agentB } })).createManualPhoneNumber;
    assert.equal(ok.__typename, "CreateManualPhoneNumberSuccess");
  });

  test("another organization's live number cannot be registered, and the conflict does not reveal its owner", async () => {
    const w = await world();
    const { a, b } = w;
    const beforeA = await snapshot(a.id);
    const result = (await b.client.data(CreateManualNumber, { input: { e164: w.numberA.e164 } })).createManualPhoneNumber;
    assert.equal(result.__typename, "ConflictError", JSON.stringify(result));
    if (result.__typename === "ConflictError") {
      assert.equal(result.code, "CONFLICT");
      for (const secret of [a.id, a.name, w.agentA, w.numberA.id, "A's agent"]) assert.ok(!result.message.includes(secret), result.message);
    }
    assert.deepEqual(await snapshot(a.id), beforeA);
    assert.equal(await (await prisma()).phoneNumber.count({ where: { organizationId: b.id } }), 1);

    // A's released number is no longer live: B may register it.
    const reused = (await b.client.data(CreateManualNumber, { input: { e164: w.releasedNumberA.e164 } })).createManualPhoneNumber;
    assert.equal(reused.__typename, "CreateManualPhoneNumberSuccess", JSON.stringify(reused));
  });
});
