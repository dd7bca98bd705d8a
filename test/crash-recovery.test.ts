import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { after, describe, test } from "node:test";
import { createDataDir } from "./helpers/harness.ts";
import { post, runCli, startServerProcess, type ServerProcess } from "./helpers/processes.ts";

// The process is killed (SIGKILL) right after the carrier committed an order and before anything
// was written back. On restart the order job finds the order by its reference and records it.
describe("crash between the carrier order and the database write", () => {
  let dataDir: string | undefined;
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test("nothing bought is lost: the restarted server records the order and the number becomes ACTIVE", { timeout: 120_000 }, async () => {
    dataDir = await createDataDir("switchboard-crash");
    const env = { DATA_DIR: dataDir, DATABASE_URL: "", ENCRYPTION_KEY: "", SEED_DEMO: "false", CARRIER_TIMEOUT_MS: "200", ORDER_POLL_SECONDS: "0.2" };
    const created = await runCli(["apikey", "create", "--org", "crash", "--create-org"], env);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();

    const doomed = await startServerProcess({ ...env, SANDBOX_FAULTS: "crash-after-order" });
    servers.push(doomed);
    const attempt = post(doomed.url, key, 'mutation { provisionPhoneNumber(input: { areaCode: "305", idempotencyKey: "crash-1" }) { __typename } }');
    await assert.rejects(attempt, "the server dies before it answers");
    await new Promise((resolve) => (doomed.child.exitCode !== null || doomed.child.signalCode ? resolve(null) : doomed.child.once("exit", resolve)));
    assert.equal(doomed.child.signalCode, "SIGKILL");

    const carrierState = JSON.parse(readFileSync(path.join(dataDir, "sandbox-carrier.json"), "utf8")) as { orders: Record<string, { e164: string }> };
    const bought = Object.values(carrierState.orders);
    assert.equal(bought.length, 1, "the carrier committed the order before the crash");

    const restarted = await startServerProcess(env);
    servers.push(restarted);
    let numbers: Array<{ e164: string; status: string; source: string }> = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      const listed = await post(restarted.url, key, "{ phoneNumbers { edges { node { e164 status source } } } }");
      numbers = listed.body.data.phoneNumbers.edges.map((e: { node: (typeof numbers)[number] }) => e.node);
      if (numbers[0]?.status === "ACTIVE") break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(numbers, [{ e164: bought[0]!.e164, status: "ACTIVE", source: "MANAGED" }]);

    // Retrying the same request after the crash returns that number; nothing more is bought.
    const retry = await post(
      restarted.url,
      key,
      'mutation { provisionPhoneNumber(input: { areaCode: "305", idempotencyKey: "crash-1" }) { __typename ... on ProvisionPhoneNumberSuccess { replayed phoneNumber { e164 } } } }',
    );
    assert.deepEqual(retry.body.data.provisionPhoneNumber, { __typename: "ProvisionPhoneNumberSuccess", replayed: true, phoneNumber: { e164: bought[0]!.e164 } });
    const after = JSON.parse(readFileSync(path.join(dataDir, "sandbox-carrier.json"), "utf8")) as { orders: Record<string, unknown> };
    assert.equal(Object.keys(after.orders).length, 1);
  });
});
