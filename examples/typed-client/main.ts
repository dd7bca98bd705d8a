// A typed Switchboard client, as an application would write one: documents typed by GraphQL Code
// Generator's client preset (examples/typed-client/gql/, from `npm run codegen`), queries and
// mutations over HTTP, setup-status changes over WebSocket (graphql-ws).
//
//   SB_KEY=sb_test_... node --import tsx examples/typed-client/main.ts
//
// It watches setup-status changes, lists every phone number page by page (following
// pageInfo.endCursor), creates an agent and routes the first number to it, printing what it sees;
// then it keeps watching until Ctrl-C. Settings (environment):
//   SB_URL         the server (default http://127.0.0.1:4000)
//   SB_KEY         an API key with numbers:read, numbers:write, agents:write
//   SB_PAGE_SIZE   numbers per page (1 to 100, default 20)
//   SB_AGENT_NAME  the name of the agent it creates (default "Typed client example")
//   SB_WATCH       "false" to list and change without watching, then exit
import type { ResultOf, TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { graphql } from "./gql/gql.ts";

const NumbersPage = graphql(`
  query ExampleNumbersPage($first: Int!, $after: String) {
    phoneNumbers(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          e164
          label
          setupStatus {
            status
          }
        }
      }
    }
  }
`);

// Every payload is a union of its Success type and typed errors. `... on Error` asks every error
// for its message and code, so an error type added later is still reported.
const CreateAgent = graphql(`
  mutation ExampleCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          id
          name
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
          message
        }
      }
      ... on Error {
        message
        code
      }
    }
  }
`);

const AssignPhoneNumber = graphql(`
  mutation ExampleAssignPhoneNumber($input: AssignPhoneNumberInput!) {
    assignPhoneNumber(input: $input) {
      __typename
      ... on AssignPhoneNumberSuccess {
        phoneNumber {
          e164
          setupStatus {
            status
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
      ... on Error {
        message
        code
      }
    }
  }
`);

const SetupStatusChanged = graphql(`
  subscription ExampleSetupStatusChanged {
    phoneNumberSetupStatusChanged {
      changedAt
      phoneNumber {
        e164
      }
      previous {
        status
      }
      current {
        status
        issues {
          code
          field
          message
        }
      }
    }
  }
`);

const apiKey = process.env.SB_KEY;
if (!apiKey) {
  console.error("Set SB_KEY to an API key (numbers:read, numbers:write, agents:write).");
  process.exit(2);
}
const baseUrl = (process.env.SB_URL ?? "http://127.0.0.1:4000").replace(/\/+$/, "");
const pageSize = Number(process.env.SB_PAGE_SIZE ?? 20);
if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
  console.error("SB_PAGE_SIZE must be a whole number from 1 to 100 (the largest page the server serves).");
  process.exit(2);
}

/** A transport-level failure (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, ...): not part of any payload. */
class RequestError extends Error {}

/** One query or mutation over HTTP, typed by its document. */
async function request<Result, Variables>(document: TypedDocumentNode<Result, Variables>, variables: Variables): Promise<Result> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey! },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.errors?.length || !body.data) {
    throw new RequestError((body.errors ?? []).map((error) => `${error.extensions?.code ?? "ERROR"}: ${error.message}`).join("; ") || `HTTP ${response.status}`);
  }
  return body.data;
}

/** Every number, page by page: each page asks for the items after the previous page's endCursor. */
async function listNumbers(): Promise<Array<{ id: string; e164: string }>> {
  const numbers: Array<{ id: string; e164: string }> = [];
  let after: string | null = null;
  for (let page = 1; ; page++) {
    const { phoneNumbers }: ResultOf<typeof NumbersPage> = await request(NumbersPage, { first: pageSize, after });
    for (const { node } of phoneNumbers.edges) {
      console.log(`number ${node.e164}${node.label ? ` "${node.label}"` : ""} ${node.setupStatus.status}`);
      numbers.push(node);
    }
    console.log(`page ${page}: ${phoneNumbers.edges.length} numbers (${phoneNumbers.totalCount} in all)`);
    if (!phoneNumbers.pageInfo.hasNextPage) {
      console.log(`listed ${numbers.length} of ${phoneNumbers.totalCount} numbers in ${page} page${page === 1 ? "" : "s"}`);
      return numbers;
    }
    after = phoneNumbers.pageInfo.endCursor ?? null;
  }
}

/** What an expected error says: its code and message, and for ValidationError every field problem. */
function describeError(error: { code: string; message: string; fieldErrors?: Array<{ path: string[]; code: string; message: string }> }): string {
  const fields = (error.fieldErrors ?? []).map((field) => `\n  ${field.path.join(".")}: ${field.code} ${field.message}`).join("");
  return `${error.code} ${error.message}${fields}`;
}

function watchSetupStatus(): () => Promise<void> {
  const url = `${baseUrl.replace(/^http/, "ws")}/graphql`;
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { apiKey } });
  // graphql-ws takes the query as text; the document's generated type still types the result.
  const changes = client.iterate<ResultOf<typeof SetupStatusChanged>>({ query: print(SetupStatusChanged) });
  console.log(`watching setup-status changes on ${url}`);
  const done = (async () => {
    for await (const result of changes) {
      if (result.errors) {
        console.log(`subscription error: ${result.errors.map((error) => error.message).join("; ")}`);
        continue;
      }
      const change = result.data!.phoneNumberSetupStatusChanged;
      const issues = change.current.issues.map((issue) => ` ${issue.code}${issue.field ? ` (${issue.field})` : ""}`).join("");
      console.log(`setup status: ${change.phoneNumber.e164} ${change.previous?.status ?? "NEW"} -> ${change.current.status}${issues}`);
    }
  })();
  return async () => {
    await changes.return?.();
    await client.dispose();
    await done;
  };
}

async function main(): Promise<void> {
  const stopWatching = process.env.SB_WATCH === "false" ? undefined : watchSetupStatus();
  const numbers = await listNumbers();

  const created = (await request(CreateAgent, { input: { name: process.env.SB_AGENT_NAME ?? "Typed client example" } })).createAgent;
  let agentId: string | undefined;
  switch (created.__typename) {
    case "CreateAgentSuccess":
      console.log(`createAgent: agent "${created.agent.name}" ${created.agent.id}`);
      agentId = created.agent.id;
      break;
    default:
      // Every other member implements Error.
      console.log(`createAgent refused: ${describeError(created)}`);
  }

  const first = numbers[0];
  if (agentId && first) {
    const assigned = (await request(AssignPhoneNumber, { input: { phoneNumberId: first.id, agentId } })).assignPhoneNumber;
    if (assigned.__typename === "AssignPhoneNumberSuccess") {
      console.log(`assignPhoneNumber: ${assigned.phoneNumber.e164} routes to the agent; setup ${assigned.phoneNumber.setupStatus.status}`);
    } else {
      console.log(`assignPhoneNumber refused: ${describeError(assigned)}`);
    }
  }

  if (!stopWatching) return;
  console.log("ready; Ctrl-C stops");
  await new Promise<void>((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve));
  await stopWatching();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof RequestError ? `request refused: ${error.message}` : error);
    process.exit(1);
  },
);
