import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

const CreateAgent = graphql(`
  mutation AgentsTestCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          id
          name
          status
          createdAt
          updatedAt
        }
      }
      ... on ValidationError {
        code
        message
        fieldErrors {
          path
          code
          message
        }
      }
    }
  }
`);

const UpdateAgent = graphql(`
  mutation AgentsTestUpdateAgent($input: UpdateAgentInput!) {
    updateAgent(input: $input) {
      __typename
      ... on UpdateAgentSuccess {
        agent {
          id
          name
          status
          createdAt
          updatedAt
        }
      }
      ... on NotFoundError {
        code
        message
      }
      ... on ValidationError {
        code
        fieldErrors {
          path
          code
          message
        }
      }
    }
  }
`);

const DeleteAgent = graphql(`
  mutation AgentsTestDeleteAgent($input: DeleteAgentInput!) {
    deleteAgent(input: $input) {
      __typename
      ... on DeleteAgentSuccess {
        deletedAgentId
        unassignedPhoneNumbers {
          id
          e164
          status
          agent {
            id
          }
          setupStatus {
            status
            agentReady
            inboundReady
            issues {
              code
              field
            }
          }
        }
      }
      ... on NotFoundError {
        code
        message
      }
      ... on ValidationError {
        code
        fieldErrors {
          path
          code
        }
      }
    }
  }
`);

const CreateNumber = graphql(`
  mutation AgentsTestCreateNumber($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
          e164
          agent {
            id
          }
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
          message
        }
      }
      ... on ConflictError {
        message
      }
    }
  }
`);

const AssignNumber = graphql(`
  mutation AgentsTestAssignNumber($input: AssignPhoneNumberInput!) {
    assignPhoneNumber(input: $input) {
      __typename
      ... on AssignPhoneNumberSuccess {
        phoneNumber {
          id
          agent {
            id
          }
        }
      }
    }
  }
`);

const ReleaseNumber = graphql(`
  mutation AgentsTestReleaseNumber($input: ReleasePhoneNumberInput!) {
    releasePhoneNumber(input: $input) {
      __typename
      ... on ReleasePhoneNumberSuccess {
        phoneNumber {
          id
          status
          agent {
            id
          }
        }
      }
    }
  }
`);

const AgentNode = graphql(`
  query AgentsTestAgentNode($id: ID!, $first: Int!, $after: String) {
    node(id: $id) {
      __typename
      ... on Agent {
        id
        name
        status
        phoneNumbers(first: $first, after: $after) {
          totalCount
          pageInfo {
            hasNextPage
            hasPreviousPage
            endCursor
          }
          edges {
            cursor
            node {
              id
              e164
              status
              agent {
                id
              }
            }
          }
        }
      }
    }
  }
`);

const NumberSetup = graphql(`
  query AgentsTestNumberSetup($id: ID!) {
    node(id: $id) {
      __typename
      ... on PhoneNumber {
        id
        agent {
          id
          status
        }
        setupStatus {
          status
          agentReady
          inboundReady
          issues {
            code
            field
          }
        }
      }
    }
  }
`);

const AgentList = graphql(`
  query AgentsTestAgentList($first: Int!, $filter: AgentFilter, $orderBy: AgentOrder) {
    agents(first: $first, filter: $filter, orderBy: $orderBy) {
      totalCount
      edges {
        node {
          id
          name
          status
        }
      }
    }
  }
`);

const AgentsWithNumbers = graphql(`
  query AgentsTestAgentsWithNumbers($first: Int!) {
    agents(first: $first) {
      totalCount
      edges {
        node {
          id
          name
          phoneNumbers(first: 5) {
            totalCount
          }
        }
      }
    }
  }
`);

async function prisma() {
  return (await getEnvironment()).switchboard.database.prisma;
}

/** The database id inside a global id ("<Type>:<uuid>", base64). */
function rawId(globalId: string): string {
  const [, id] = Buffer.from(globalId, "base64").toString("utf8").split(":");
  assert.ok(id, `not a global id: ${globalId}`);
  return id;
}

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");

async function createAgent(org: TestOrganization, name: string, status?: "ACTIVE" | "PAUSED"): Promise<string> {
  const { createAgent: result } = await org.client.data(CreateAgent, { input: { name, status } });
  assert.equal(result.__typename, "CreateAgentSuccess", JSON.stringify(result));
  if (result.__typename !== "CreateAgentSuccess") throw new Error("unreachable");
  return result.agent.id;
}

async function createNumber(org: TestOrganization, agentId?: string): Promise<{ id: string; e164: string }> {
  const { createManualPhoneNumber: result } = await org.client.data(CreateNumber, { input: { e164: uniqueE164(), agentId } });
  assert.equal(result.__typename, "CreateManualPhoneNumberSuccess", JSON.stringify(result));
  if (result.__typename !== "CreateManualPhoneNumberSuccess") throw new Error("unreachable");
  assert.equal(result.phoneNumber.agent?.id ?? null, agentId ?? null);
  return { id: result.phoneNumber.id, e164: result.phoneNumber.e164 };
}

/** Global ids of phone numbers in the order the API promises: oldest first, the id breaking ties. */
async function oldestFirst(ids: string[]): Promise<string[]> {
  const rows = await (await prisma()).phoneNumber.findMany({ where: { id: { in: ids.map(rawId) } }, select: { id: true, createdAt: true } });
  assert.equal(rows.length, ids.length);
  rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return rows.map((row) => globalId("PhoneNumber", row.id));
}

async function agentRow(id: string) {
  return (await prisma()).agent.findUnique({ where: { id: rawId(id) } });
}

describe("agents", () => {
  describe("createAgent", () => {
    test("creates an ACTIVE agent by default, in the caller's organization, with a trimmed name", async () => {
      const org = await createOrganization("agents-create");
      const { createAgent: result } = await org.client.data(CreateAgent, { input: { name: "  Front desk  " } });
      assert.equal(result.__typename, "CreateAgentSuccess");
      if (result.__typename !== "CreateAgentSuccess") return;
      assert.equal(result.agent.name, "Front desk");
      assert.equal(result.agent.status, "ACTIVE");
      assert.match(Buffer.from(result.agent.id, "base64").toString(), /^Agent:[0-9a-f-]{36}$/);

      const row = await agentRow(result.agent.id);
      assert.ok(row);
      assert.equal(row.organizationId, org.id);
      assert.equal(row.name, "Front desk");
      assert.equal(row.status, "ACTIVE");
      assert.equal(row.createdAt.toISOString(), result.agent.createdAt);

      const node = (await org.client.data(AgentNode, { id: result.agent.id, first: 10 })).node;
      assert.equal(node?.__typename, "Agent");
      if (node?.__typename === "Agent") {
        assert.equal(node.name, "Front desk");
        assert.equal(node.phoneNumbers?.totalCount, 0);
        assert.deepEqual(node.phoneNumbers?.edges, []);
      }
    });

    test("creates a PAUSED agent and accepts a 100-character name", async () => {
      const org = await createOrganization("agents-create-paused");
      const name = "x".repeat(100);
      const { createAgent: result } = await org.client.data(CreateAgent, { input: { name, status: "PAUSED" } });
      assert.equal(result.__typename, "CreateAgentSuccess");
      if (result.__typename !== "CreateAgentSuccess") return;
      assert.equal(result.agent.name, name);
      assert.equal(result.agent.status, "PAUSED");
      assert.equal((await agentRow(result.agent.id))?.status, "PAUSED");
    });

    test("refuses an empty, blank or too long name with a ValidationError on input.name, creating nothing", async () => {
      const org = await createOrganization("agents-create-invalid");
      const cases: Array<[string, string]> = [
        ["", "REQUIRED"],
        ["   ", "REQUIRED"],
        ["y".repeat(101), "TOO_LONG"],
      ];
      for (const [name, code] of cases) {
        const { createAgent: result } = await org.client.data(CreateAgent, { input: { name } });
        assert.equal(result.__typename, "ValidationError", `name ${JSON.stringify(name)}`);
        if (result.__typename !== "ValidationError") continue;
        assert.equal(result.code, "VALIDATION_FAILED");
        assert.deepEqual(
          result.fieldErrors.map((e) => ({ path: e.path, code: e.code })),
          [{ path: ["input", "name"], code }],
          `name ${JSON.stringify(name)}`,
        );
        assert.ok(result.fieldErrors[0]!.message.length > 0);
      }
      assert.equal(await (await prisma()).agent.count({ where: { organizationId: org.id } }), 0);
    });
  });

  describe("updateAgent", () => {
    test("renames, pauses and resumes; omitted fields keep their value", async () => {
      const org = await createOrganization("agents-update");
      const id = await createAgent(org, "Support");
      const before = await agentRow(id);
      assert.ok(before);

      const renamed = (await org.client.data(UpdateAgent, { input: { id, name: " Support (EU) " } })).updateAgent;
      assert.equal(renamed.__typename, "UpdateAgentSuccess");
      if (renamed.__typename !== "UpdateAgentSuccess") return;
      assert.equal(renamed.agent.id, id);
      assert.equal(renamed.agent.name, "Support (EU)");
      assert.equal(renamed.agent.status, "ACTIVE");
      assert.equal(renamed.agent.createdAt, before.createdAt.toISOString());
      assert.ok(new Date(renamed.agent.updatedAt) >= before.updatedAt);

      const paused = (await org.client.data(UpdateAgent, { input: { id, status: "PAUSED" } })).updateAgent;
      assert.equal(paused.__typename, "UpdateAgentSuccess");
      if (paused.__typename !== "UpdateAgentSuccess") return;
      assert.equal(paused.agent.name, "Support (EU)");
      assert.equal(paused.agent.status, "PAUSED");
      const row = await agentRow(id);
      assert.equal(row?.name, "Support (EU)");
      assert.equal(row?.status, "PAUSED");

      const resumed = (await org.client.data(UpdateAgent, { input: { id, status: "ACTIVE" } })).updateAgent;
      assert.equal(resumed.__typename, "UpdateAgentSuccess");
      assert.equal((await agentRow(id))?.status, "ACTIVE");
    });

    test("pausing an agent makes its numbers report AGENT_PAUSED; resuming clears it", async () => {
      const org = await createOrganization("agents-pause-numbers");
      const id = await createAgent(org, "Sales");
      const number = await createNumber(org, id);

      const setup = async () => {
        const node = (await org.client.data(NumberSetup, { id: number.id })).node;
        assert.equal(node?.__typename, "PhoneNumber");
        if (node?.__typename !== "PhoneNumber") throw new Error("unreachable");
        return node;
      };
      const active = await setup();
      assert.equal(active.setupStatus.agentReady, true);
      assert.ok(!active.setupStatus.issues.some((issue) => issue.code === "AGENT_PAUSED"));

      await org.client.data(UpdateAgent, { input: { id, status: "PAUSED" } });
      const paused = await setup();
      assert.equal(paused.agent?.status, "PAUSED");
      assert.equal(paused.setupStatus.agentReady, false);
      assert.equal(paused.setupStatus.inboundReady, false);
      assert.ok(paused.setupStatus.issues.some((issue) => issue.code === "AGENT_PAUSED"), JSON.stringify(paused.setupStatus));

      await org.client.data(UpdateAgent, { input: { id, status: "ACTIVE" } });
      const resumed = await setup();
      assert.equal(resumed.setupStatus.agentReady, true);
      assert.ok(!resumed.setupStatus.issues.some((issue) => issue.code === "AGENT_PAUSED"));
    });

    test("typed errors: unknown id, malformed id, wrong-type id, invalid names; nothing changes", async () => {
      const org = await createOrganization("agents-update-errors");
      const id = await createAgent(org, "Unchanged");
      const before = await agentRow(id);
      const numberId = (await createNumber(org)).id;

      const unknown = (await org.client.data(UpdateAgent, { input: { id: globalId("Agent", randomUUID()), name: "New" } })).updateAgent;
      assert.equal(unknown.__typename, "NotFoundError");
      if (unknown.__typename === "NotFoundError") assert.equal(unknown.code, "NOT_FOUND");

      for (const badId of ["garbage", "", globalId("Agent", "not-a-uuid"), numberId]) {
        const result = (await org.client.data(UpdateAgent, { input: { id: badId, name: "New" } })).updateAgent;
        assert.equal(result.__typename, "ValidationError", `id ${JSON.stringify(badId)}`);
        if (result.__typename === "ValidationError") {
          assert.deepEqual(
            result.fieldErrors.map((e) => ({ path: e.path, code: e.code })),
            [{ path: ["input", "id"], code: "INVALID_ID" }],
          );
        }
      }

      const empty = (await org.client.data(UpdateAgent, { input: { id, name: "" } })).updateAgent;
      assert.equal(empty.__typename, "ValidationError");
      if (empty.__typename === "ValidationError") {
        assert.deepEqual(
          empty.fieldErrors.map((e) => ({ path: e.path, code: e.code })),
          [{ path: ["input", "name"], code: "REQUIRED" }],
        );
      }
      const long = (await org.client.data(UpdateAgent, { input: { id, name: "z".repeat(101) } })).updateAgent;
      assert.equal(long.__typename, "ValidationError");
      if (long.__typename === "ValidationError") {
        assert.deepEqual(
          long.fieldErrors.map((e) => ({ path: e.path, code: e.code })),
          [{ path: ["input", "name"], code: "TOO_LONG" }],
        );
      }

      // Every problem at once.
      const both = (await org.client.data(UpdateAgent, { input: { id: "garbage", name: "" } })).updateAgent;
      assert.equal(both.__typename, "ValidationError");
      if (both.__typename === "ValidationError") {
        assert.deepEqual(
          new Set(both.fieldErrors.map((e) => `${e.path.join(".")}:${e.code}`)),
          new Set(["input.id:INVALID_ID", "input.name:REQUIRED"]),
        );
      }

      assert.deepEqual(await agentRow(id), before);
    });
  });

  describe("deleteAgent", () => {
    test("deletes the agent and keeps its numbers, unassigned and reporting NO_AGENT", async () => {
      const org = await createOrganization("agents-delete");
      const id = await createAgent(org, "Doomed");
      const other = await createAgent(org, "Survivor");
      const first = await createNumber(org, id);
      const second = await createNumber(org);
      const assigned = (await org.client.data(AssignNumber, { input: { phoneNumberId: second.id, agentId: id } })).assignPhoneNumber;
      assert.equal(assigned.__typename, "AssignPhoneNumberSuccess");
      const kept = await createNumber(org, other);

      const { deleteAgent: result } = await org.client.data(DeleteAgent, { input: { id } });
      assert.equal(result.__typename, "DeleteAgentSuccess", JSON.stringify(result));
      if (result.__typename !== "DeleteAgentSuccess") return;
      assert.equal(result.deletedAgentId, id);
      assert.deepEqual(
        result.unassignedPhoneNumbers.map((n) => n.id).sort(),
        [first.id, second.id].sort(),
      );
      for (const number of result.unassignedPhoneNumbers) {
        assert.equal(number.agent, null);
        assert.equal(number.status, "ACTIVE");
        assert.equal(number.setupStatus.agentReady, false);
        assert.equal(number.setupStatus.inboundReady, false);
        assert.equal(number.setupStatus.status, "ACTION_REQUIRED");
        assert.ok(number.setupStatus.issues.some((issue) => issue.code === "NO_AGENT"), JSON.stringify(number.setupStatus.issues));
      }

      // The database: the agent is gone; its numbers stay, unassigned; the other agent's number is untouched.
      const db = await prisma();
      assert.equal(await agentRow(id), null);
      const rows = await db.phoneNumber.findMany({ where: { id: { in: [first.id, second.id, kept.id].map(rawId) } } });
      assert.equal(rows.length, 3);
      for (const row of rows) {
        assert.equal(row.organizationId, org.id);
        assert.equal(row.status, "ACTIVE");
        assert.equal(row.agentId, row.id === rawId(kept.id) ? rawId(other) : null);
      }
      assert.ok(await agentRow(other));

      // The same numbers, read later, still report NO_AGENT.
      const later = (await org.client.data(NumberSetup, { id: first.id })).node;
      assert.equal(later?.__typename, "PhoneNumber");
      if (later?.__typename === "PhoneNumber") {
        assert.equal(later.agent, null);
        assert.ok(later.setupStatus.issues.some((issue) => issue.code === "NO_AGENT" && issue.field.length > 0));
      }

      // Gone for good.
      assert.equal((await org.client.data(AgentNode, { id, first: 1 })).node, null);
      const again = (await org.client.data(DeleteAgent, { input: { id } })).deleteAgent;
      assert.equal(again.__typename, "NotFoundError");
    });

    test("deleting an agent without numbers returns no unassigned numbers", async () => {
      const org = await createOrganization("agents-delete-empty");
      const id = await createAgent(org, "Lonely");
      const { deleteAgent: result } = await org.client.data(DeleteAgent, { input: { id } });
      assert.equal(result.__typename, "DeleteAgentSuccess");
      if (result.__typename === "DeleteAgentSuccess") assert.deepEqual(result.unassignedPhoneNumbers, []);
      assert.equal(await agentRow(id), null);
    });

    test("typed errors: unknown id is NotFoundError, malformed id is INVALID_ID; nothing is deleted", async () => {
      const org = await createOrganization("agents-delete-errors");
      const id = await createAgent(org, "Keeper");
      const unknown = (await org.client.data(DeleteAgent, { input: { id: globalId("Agent", randomUUID()) } })).deleteAgent;
      assert.equal(unknown.__typename, "NotFoundError");
      if (unknown.__typename === "NotFoundError") assert.equal(unknown.code, "NOT_FOUND");
      for (const badId of ["garbage", globalId("PhoneNumber", randomUUID())]) {
        const result = (await org.client.data(DeleteAgent, { input: { id: badId } })).deleteAgent;
        assert.equal(result.__typename, "ValidationError");
        if (result.__typename === "ValidationError") {
          assert.deepEqual(result.fieldErrors, [{ path: ["input", "id"], code: "INVALID_ID" }]);
        }
      }
      assert.ok(await agentRow(id));
      assert.equal(await (await prisma()).agent.count({ where: { organizationId: org.id } }), 1);
    });
  });

  describe("Agent.phoneNumbers", () => {
    test("is a connection of the agent's unreleased numbers, oldest first, with totalCount", async () => {
      const org = await createOrganization("agents-numbers");
      const id = await createAgent(org, "Busy");
      const other = await createAgent(org, "Other");
      const numbers = [];
      for (let i = 0; i < 3; i++) numbers.push(await createNumber(org, id));
      await createNumber(org, other);
      await createNumber(org);
      const released = await createNumber(org, id);
      const releasedResult = (await org.client.data(ReleaseNumber, { input: { id: released.id } })).releasePhoneNumber;
      assert.equal(releasedResult.__typename, "ReleasePhoneNumberSuccess");

      const expected = await oldestFirst(numbers.map((n) => n.id));
      const all = (await org.client.data(AgentNode, { id, first: 10 })).node;
      assert.equal(all?.__typename, "Agent");
      if (all?.__typename !== "Agent") return;
      assert.equal(all.phoneNumbers?.totalCount, 3);
      assert.deepEqual(
        all.phoneNumbers?.edges.map((edge) => edge.node.id),
        expected,
      );
      assert.ok(all.phoneNumbers?.edges.every((edge) => edge.node.agent?.id === id && edge.node.status === "ACTIVE"));
      assert.equal(all.phoneNumbers?.pageInfo.hasNextPage, false);

      // Paging keeps totalCount of the whole list.
      const page1 = (await org.client.data(AgentNode, { id, first: 2 })).node;
      assert.equal(page1?.__typename, "Agent");
      if (page1?.__typename !== "Agent") return;
      assert.equal(page1.phoneNumbers?.totalCount, 3);
      assert.deepEqual(
        page1.phoneNumbers?.edges.map((edge) => edge.node.id),
        expected.slice(0, 2),
      );
      assert.equal(page1.phoneNumbers?.pageInfo.hasNextPage, true);
      const page2 = (await org.client.data(AgentNode, { id, first: 2, after: page1.phoneNumbers?.pageInfo.endCursor })).node;
      assert.equal(page2?.__typename, "Agent");
      if (page2?.__typename !== "Agent") return;
      assert.equal(page2.phoneNumbers?.totalCount, 3);
      assert.deepEqual(
        page2.phoneNumbers?.edges.map((edge) => edge.node.id),
        [expected[2]],
      );
      assert.equal(page2.phoneNumbers?.pageInfo.hasNextPage, false);

      // Also through the agents list, each agent with its own count.
      const list = (await org.client.data(AgentsWithNumbers, { first: 10 })).agents;
      const counts = new Map(list?.edges.map((edge) => [edge.node.id, edge.node.phoneNumbers?.totalCount]));
      assert.deepEqual(counts, new Map([[id, 3], [other, 1]]));
    });

    test("excludes a released number even if its row still names the agent", async () => {
      const org = await createOrganization("agents-numbers-released");
      const id = await createAgent(org, "Historic");
      const live = await createNumber(org, id);
      const gone = await createNumber(org, id);
      // A release that kept the agent reference (e.g. a carrier-side release): the row stays for audit.
      await (await prisma()).phoneNumber.update({
        where: { id: rawId(gone.id) },
        data: { status: "RELEASED", releasedAt: new Date() },
      });
      const node = (await org.client.data(AgentNode, { id, first: 10 })).node;
      assert.equal(node?.__typename, "Agent");
      if (node?.__typename !== "Agent") return;
      assert.equal(node.phoneNumbers?.totalCount, 1);
      assert.deepEqual(
        node.phoneNumbers?.edges.map((edge) => edge.node.id),
        [live.id],
      );
    });

    test("is null with a FORBIDDEN error without numbers:read", async () => {
      const org = await createOrganization("agents-numbers-scope");
      const id = await createAgent(org, "Scoped");
      await createNumber(org, id);
      const reader = await org.clientWithScopes(["agents:read"]);
      const response = await reader.request(AgentNode, { id, first: 10 });
      assert.equal(response.status, 200);
      assert.equal(response.data?.node?.__typename, "Agent");
      if (response.data?.node?.__typename !== "Agent") return;
      assert.equal(response.data.node.name, "Scoped");
      assert.equal(response.data.node.phoneNumbers, null);
      assert.deepEqual(
        response.errors?.map((error) => [error.extensions?.code, error.path?.join(".")]),
        [["FORBIDDEN", "node.phoneNumbers"]],
      );
    });
  });

  describe("agents list", () => {
    test("lists the organization's agents with totalCount, filtered and ordered", async () => {
      const org = await createOrganization("agents-list");
      const alpha = await createAgent(org, "Alpha sales");
      const bravo = await createAgent(org, "Bravo support", "PAUSED");
      const charlie = await createAgent(org, "Charlie sales");

      const newestFirst = (await org.client.data(AgentList, { first: 10 })).agents;
      assert.equal(newestFirst?.totalCount, 3);
      assert.deepEqual(new Set(newestFirst?.edges.map((edge) => edge.node.id)), new Set([alpha, bravo, charlie]));

      const byName = (await org.client.data(AgentList, { first: 10, orderBy: { field: "NAME", direction: "ASC" } })).agents;
      assert.deepEqual(
        byName?.edges.map((edge) => edge.node.name),
        ["Alpha sales", "Bravo support", "Charlie sales"],
      );

      const sales = (await org.client.data(AgentList, { first: 10, filter: { text: "SALES" }, orderBy: { field: "NAME", direction: "DESC" } })).agents;
      assert.equal(sales?.totalCount, 2);
      assert.deepEqual(
        sales?.edges.map((edge) => edge.node.id),
        [charlie, alpha],
      );

      const paused = (await org.client.data(AgentList, { first: 10, filter: { statuses: ["PAUSED"] } })).agents;
      assert.equal(paused?.totalCount, 1);
      assert.deepEqual(
        paused?.edges.map((edge) => edge.node.id),
        [bravo],
      );

      const page = (await org.client.data(AgentList, { first: 1 })).agents;
      assert.equal(page?.totalCount, 3);
      assert.equal(page?.edges.length, 1);
    });
  });
});
