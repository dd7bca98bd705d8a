import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { post, runCli, type ServerProcess, startServerProcess, waitFor } from "./helpers/processes.ts";

// The newcomer's story on a fresh machine: `npm start` with no configuration, the printed key,
// an agent and numbers, then the apikey CLI with the server running and stopped.
describe("first start of the embedded default", () => {
  let dataDir: string;
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test("creates the database, prints a demo key once, serves it, and the CLI works with and without the server", async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-first-start-"));
    const env = { DATA_DIR: dataDir, DATABASE_URL: "", ENCRYPTION_KEY: "" };

    const first = await startServerProcess(env);
    servers.push(first);
    // Printed once the server listens, never before: a start that fails prints no key.
    await waitFor("the demo key", async () => first.stderr(), (stderr) => /sb_live_/.test(stderr), 30_000);
    const secret = first.stderr().match(/sb_live_[A-Za-z0-9]+/)?.[0];
    assert.ok(secret, `the first start prints a key:\n${first.stderr()}`);
    assert.ok(!first.stdout().includes(secret), "the key never reaches the structured log on stdout");
    assert.equal(statSync(path.join(dataDir, "encryption.key")).mode & 0o777, 0o600, "the encryption key file is private");

    const viewer = await post(first.url, secret, "{ viewer { organization { name } scopes } }");
    assert.deepEqual(viewer.body.data, { viewer: { organization: { name: "Demo" }, scopes: ["*"] } });

    const agent = await post(first.url, secret, 'mutation { createAgent(input: { name: "Ava" }) { __typename ... on CreateAgentSuccess { agent { id } } } }');
    assert.equal(agent.body.data.createAgent.__typename, "CreateAgentSuccess");
    const number = await post(
      first.url,
      secret,
      "mutation($input: CreateManualPhoneNumberInput!) { createManualPhoneNumber(input: $input) { __typename ... on CreateManualPhoneNumberSuccess { phoneNumber { e164 agent { name } } } } }",
      { input: { e164: "+1 (415) 555-0142", label: "Front desk", agentId: agent.body.data.createAgent.agent.id } },
    );
    assert.deepEqual(number.body.data?.createManualPhoneNumber?.phoneNumber, { e164: "+14155550142", agent: { name: "Ava" } }, JSON.stringify(number.body));

    // The CLI reaches the running server's embedded database through the server.
    const whileRunning = await runCli(["apikey", "create", "--org", "Demo", "--scopes", "numbers:read"], env);
    assert.equal(whileRunning.code, 0, whileRunning.stderr);
    assert.match(whileRunning.stderr, /server is running/);
    const readOnlyKey = whileRunning.stdout.trim();
    const listed = await post(first.url, readOnlyKey, '{ phoneNumbers(filter: { text: "Front" }) { totalCount edges { node { e164 } } } }');
    assert.equal(listed.body.data.phoneNumbers.totalCount, 1);
    const forbidden = await post(first.url, readOnlyKey, 'mutation { createAgent(input: { name: "Nope" }) { __typename } }');
    assert.equal(forbidden.body.errors?.[0]?.extensions?.code, "FORBIDDEN");

    assert.equal(await first.stop(), 0, "SIGTERM stops the server cleanly");
    assert.ok(!existsSync(path.join(dataDir, "embedded-server.json")), "the stopped server releases DATA_DIR");

    // With the server stopped, the CLI opens DATA_DIR itself.
    const whileStopped = await runCli(["apikey", "create", "--org", "Other", "--create-org", "--scopes", "agents:read,agents:write"], env);
    assert.equal(whileStopped.code, 0, whileStopped.stderr);
    assert.match(whileStopped.stderr, /server is not running/);
    const otherKey = whileStopped.stdout.trim();

    const second = await startServerProcess(env);
    servers.push(second);
    try {
      assert.match(second.stdout(), /"created":false/);
      const stillThere = await post(second.url, secret, "{ phoneNumbers { totalCount } agents { totalCount } }");
      assert.deepEqual(stillThere.body.data, { phoneNumbers: { totalCount: 1 }, agents: { totalCount: 1 } });
      const other = await post(second.url, otherKey, "{ viewer { organization { name } } agents { totalCount } }");
      assert.deepEqual(other.body.data, { viewer: { organization: { name: "Other" } }, agents: { totalCount: 0 } });
      // (checked after two answered requests: the key would be printed right after listening)
      assert.doesNotMatch(second.stderr(), /sb_live_/, "the demo key is printed only on the first start");
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });

  test("bad configuration is refused with a clear message and exit code 2", async () => {
    const result = await runCli(["serve"], { PORT: "not-a-port", DATA_DIR: path.join(tmpdir(), "never-created") });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /PORT/);
  });
});
