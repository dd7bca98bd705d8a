import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import WebSocket from "ws";
import { graphql } from "./generated/gql.ts";
import { createScratchDatabase } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { post, runCli, type ServerProcess, startServerProcess } from "./helpers/processes.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";

const databaseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
const skip = databaseUrl && redisUrl ? false : "skipped: set TEST_DATABASE_URL and TEST_REDIS_URL to run the two-instance tests";
if (skip) console.log(`multi-instance: ${skip}`);

const Changes = graphql(`
  subscription MultiInstanceChanges {
    phoneNumberSetupStatusChanged {
      phoneNumber {
        e164
      }
      current {
        status
      }
    }
  }
`);

// Two server processes on one PostgreSQL database sharing pub/sub through Redis, as deployed.
describe("two instances behind one database and Redis", { skip }, () => {
  const servers: ServerProcess[] = [];
  const disposers: Array<() => void> = [];
  after(async () => {
    for (const dispose of disposers) dispose();
    for (const server of servers) await server.stop();
  });

  test("a change served by instance A reaches a subscriber of instance B; B pings idle sockets and says goodbye with 1001 on SIGTERM", async () => {
    const env = {
      DATABASE_URL: await createScratchDatabase("switchboard_multi"),
      REDIS_URL: redisUrl!,
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      WS_KEEPALIVE_SECONDS: "1",
    };
    const migrated = await runCli(["migrate"], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    const created = await runCli(["apikey", "create", "--org", "multi", "--create-org", "--scopes", "numbers:read,numbers:write"], env);
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim();

    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    servers.push(a, b);
    assert.notEqual(a.url, b.url);

    let closeCode: number | undefined;
    let onClosed!: () => void;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    const client = wsClient(b.url, { apiKey: secret }, (code) => {
      closeCode = code;
      onClosed();
    });
    disposers.push(() => void client.dispose());
    const subscription = await subscribe(client, Changes);

    const e164 = uniqueE164();
    const made = await post(a.url, secret, "mutation($input: CreateManualPhoneNumberInput!) { createManualPhoneNumber(input: $input) { __typename } }", {
      input: { e164 },
    });
    assert.equal(made.body.data.createManualPhoneNumber.__typename, "CreateManualPhoneNumberSuccess");
    const event = await subscription.next();
    assert.deepEqual(event.data, { phoneNumberSetupStatusChanged: { phoneNumber: { e164 }, current: { status: "ACTION_REQUIRED" } } });

    // Keep-alive: an idle authenticated socket receives WebSocket pings.
    const raw = new WebSocket(`${b.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
    disposers.push(() => raw.terminate());
    await new Promise((resolve) => raw.once("open", resolve));
    raw.send(JSON.stringify({ type: "connection_init", payload: { apiKey: secret } }));
    await new Promise((resolve) => raw.once("ping", resolve));

    assert.equal(await b.stop(), 0, "B exits cleanly on SIGTERM");
    await closed;
    assert.equal(closeCode, 1001, "subscribers are told the server is going away");
  });

  test("rate limits: one key's budget is shared by both instances through Redis", async () => {
    // 10 requests of weight 10 fit in a budget of 100 cost points, whichever instance serves them.
    const env = {
      DATABASE_URL: await createScratchDatabase("switchboard_multi_rl"),
      REDIS_URL: redisUrl!,
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      MAX_OPERATION_COST: "100",
      RATE_LIMIT_KEY_POINTS: "100",
      RATE_LIMIT_ORG_POINTS: "100000",
      RATE_LIMIT_MIN_COST: "10",
      RATE_LIMIT_WINDOW_SECONDS: "3600",
    };
    const migrated = await runCli(["migrate"], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    const created = await runCli(["apikey", "create", "--org", "multi-rl", "--create-org", "--scopes", "numbers:read"], env);
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim();
    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    servers.push(a, b);

    const statuses: number[] = [];
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 16; i++) {
      const response = await fetch(`${(i % 2 === 0 ? a : b).url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": secret },
        body: JSON.stringify({ query: "{ viewer { scopes } }" }),
      });
      statuses.push(response.status);
      remaining.push(response.headers.get("ratelimit-remaining"));
      if (response.status === 429) assert.ok(Number(response.headers.get("retry-after")) > 0, "a refusal says when to retry");
      await response.arrayBuffer();
    }
    assert.deepEqual(statuses, [...Array(10).fill(200), ...Array(6).fill(429)], "the tenth request spends the shared budget, on whichever instance");
    assert.deepEqual(remaining.slice(0, 10), ["90", "80", "70", "60", "50", "40", "30", "20", "10", "0"]);
  });
});
