import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { ROOT, waitFor } from "./helpers/processes.ts";
import { as } from "./helpers/verification.ts";

// The typed client example (examples/typed-client/main.ts) run as a user runs it: its own Node
// process against this test run's server on a real port, over HTTP and WebSocket.

const CreateNumber = graphql(`
  mutation TypedClientCreateNumber($e164: String!) {
    createManualPhoneNumber(input: { e164: $e164 }) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
        }
      }
    }
  }
`);

const Agents = graphql(`
  query TypedClientAgents {
    agents(first: 10) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const PauseAgent = graphql(`
  mutation TypedClientSetAgentStatus($id: ID!, $status: AgentStatus!) {
    updateAgent(input: { id: $id, status: $status }) {
      __typename
    }
  }
`);

interface Example {
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<number | null>;
}

async function startExample(org: TestOrganization | { secret: string }, settings: Record<string, string> = {}): Promise<Example> {
  const url = await (await getEnvironment()).url();
  const child = spawn(process.execPath, ["--import", "tsx", "examples/typed-client/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, SB_URL: url, SB_KEY: org.secret, ...settings },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
      return exited;
    },
  };
}

describe("the typed client example (examples/typed-client)", () => {
  test("lists every number page by page, routes one to a new agent, and prints the setup-status changes it is subscribed to", async () => {
    const org = await createOrganization("typed-client");
    const e164s = Array.from({ length: 5 }, () => uniqueE164());
    for (const e164 of e164s) as((await org.client.data(CreateNumber, { e164 })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess");

    const example = await startExample(org, { SB_PAGE_SIZE: "2" });
    try {
      await waitFor("the example to list, create and route", async () => example.output(), (out) => out.includes("ready; Ctrl-C stops") || out.includes("request refused"));
      const out = example.output();
      assert.match(out, /^watching setup-status changes on ws:\/\/127\.0\.0\.1:\d+\/graphql$/m);
      // Five numbers in pages of two, each listed once, by following endCursor.
      assert.deepEqual(out.match(/^page \d+: .*$/gm), ["page 1: 2 numbers (5 in all)", "page 2: 2 numbers (5 in all)", "page 3: 1 numbers (5 in all)"]);
      assert.match(out, /^listed 5 of 5 numbers in 3 pages$/m);
      const listed = [...out.matchAll(/^number (\+\d+) ACTION_REQUIRED$/gm)].map((match) => match[1]);
      assert.deepEqual([...listed].sort(), [...e164s].sort());
      // Newest first: the last number created is the one routed to the agent.
      const routed = e164s.at(-1)!;
      assert.match(out, /^createAgent: agent "Typed client example" \S+$/m);
      assert.match(out, new RegExp(`^assignPhoneNumber: \\${routed} routes to the agent; setup ACTION_REQUIRED$`, "m"));

      // Pausing the agent changes the routed number's setup status; the example prints the change.
      // The subscription may not be live at the example's first output, so the change is repeated
      // (pause, resume) until it shows.
      const agent = (await org.client.data(Agents)).agents.edges.map((edge) => edge.node).find((node) => node.name === "Typed client example");
      assert.ok(agent, "the example's agent exists");
      const pausedLine = new RegExp(`^setup status: \\${routed} ACTION_REQUIRED -> ACTION_REQUIRED .*AGENT_PAUSED`, "m");
      await waitFor(
        "the example to print the pause",
        async () => {
          await org.client.data(PauseAgent, { id: agent.id, status: "ACTIVE" });
          await org.client.data(PauseAgent, { id: agent.id, status: "PAUSED" });
          await new Promise((resolve) => setTimeout(resolve, 500));
          return example.output();
        },
        (out) => pausedLine.test(out),
        30_000,
      );
      assert.equal(await example.stop(), 0, example.output());
      assert.doesNotMatch(example.output(), /subscription error|request refused/);
    } finally {
      await example.stop();
    }
  });

  test("a refused mutation prints its typed error: the code, the message and every field problem", async () => {
    const org = await createOrganization("typed-client-refused");
    const example = await startExample(org, { SB_AGENT_NAME: "   ", SB_WATCH: "false" });
    assert.equal(await example.exited, 0, example.output());
    const out = example.output();
    assert.match(out, /^listed 0 of 0 numbers in 1 page$/m);
    assert.match(out, /^createAgent refused: VALIDATION_FAILED Invalid input: input\.name: .+$/m);
    assert.match(out, /^ {2}input\.name: REQUIRED .+$/m);
    assert.doesNotMatch(out, /assignPhoneNumber/);
  });

  test("a transport-level error (a bad key) exits 1 and names the error code", async () => {
    const example = await startExample({ secret: "sb_live_not_a_key" }, { SB_WATCH: "false" });
    assert.equal(await example.exited, 1, example.output());
    assert.match(example.output(), /request refused: UNAUTHENTICATED: /);
  });
});
