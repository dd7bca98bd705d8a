import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { createOrganization, getEnvironment, organizationKeyFromCli, processEnvironment, sendRaw, testTarget } from "./helpers/harness.ts";
import { post, startServerProcess, type ServerProcess } from "./helpers/processes.ts";

const PROVISION = 'mutation($key: String!, $area: String!) { provisionPhoneNumber(input: { areaCode: $area, idempotencyKey: $key }) { __typename ... on ProvisionPhoneNumberSuccess { phoneNumber { id e164 status } } } }';
const RELEASE = "mutation($id: ID!) { releasePhoneNumber(input: { id: $id }) { __typename ... on ReleasePhoneNumberSuccess { phoneNumber { status releasedAt } } ... on Error { code message } } }";

const send = async (secret: string, query: string, variables?: unknown) => (await sendRaw(secret, query, variables)).body;

describe("durable release", () => {
  test("concurrent releases of one managed number make one carrier call and record one event", async () => {
    const env = await getEnvironment();
    const sandbox = env.switchboard.services.carriers.sandbox;
    const org = await createOrganization("release-race");
    const bought = (await send(org.secret, PROVISION, { key: `race-${randomBytes(3).toString("hex")}`, area: "206" })).data.provisionPhoneNumber.phoneNumber;
    assert.equal(bought.status, "ACTIVE");
    const before = sandbox.calls.releaseNumber ?? 0;
    sandbox.faults.latencyMs = 100; // the carrier is slow: the five requests overlap
    let results;
    try {
      results = await Promise.all(Array.from({ length: 5 }, () => send(org.secret, RELEASE, { id: bought.id })));
    } finally {
      sandbox.faults.latencyMs = 0;
    }
    assert.equal((sandbox.calls.releaseNumber ?? 0) - before, 1, "one carrier call");
    const outcomes = results.map((r) => r.data.releasePhoneNumber.__typename === "ReleasePhoneNumberSuccess" ? r.data.releasePhoneNumber.phoneNumber.status : r.data.releasePhoneNumber.code);
    assert.equal(outcomes.filter((o) => o === "RELEASED").length, 1, outcomes.join());
    assert.ok(outcomes.every((o) => ["RELEASED", "RELEASING", "NUMBER_RELEASED"].includes(o)), outcomes.join());
    const prisma = env.switchboard.database.prisma;
    const id = Buffer.from(bought.id, "base64").toString().split(":")[1]!;
    assert.equal(await prisma.event.count({ where: { phoneNumberId: id, type: "NUMBER_RELEASED" } }), 1);
    assert.ok(!(await sandbox.listNumbers()).some((n) => n.e164 === bought.e164));
  });

  test("a manual number is released without the carrier and its release is an event", async () => {
    const env = await getEnvironment();
    const org = await createOrganization("release-manual");
    const created = await send(org.secret, 'mutation { createManualPhoneNumber(input: { e164: "+442071838750" }) { ... on CreateManualPhoneNumberSuccess { phoneNumber { id } } } }');
    const id = created.data.createManualPhoneNumber.phoneNumber.id;
    const released = await send(org.secret, RELEASE, { id });
    assert.equal(released.data.releasePhoneNumber.phoneNumber.status, "RELEASED");
    const rowId = Buffer.from(id, "base64").toString().split(":")[1]!;
    assert.equal(await env.switchboard.database.prisma.event.count({ where: { phoneNumberId: rowId, type: "NUMBER_RELEASED" } }), 1);
  });
});

// The server is killed (SIGKILL) after the carrier released the number and before the final write.
// The restarted server's order job finds the RELEASING row and finishes it: one carrier release,
// the number RELEASED, one event.
describe("crash between the carrier release and the database write", () => {
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
  });

  test(`kill -9 mid-release (${testTarget()} database): the restarted server finishes the release`, { timeout: 120_000 }, async () => {
    const env = await processEnvironment("switchboard-release-crash", { CARRIER_TIMEOUT_MS: "200", ORDER_POLL_SECONDS: "0.2" });
    const dataDir = env.DATA_DIR!;
    const key = await organizationKeyFromCli("release-crash", env);

    const first = await startServerProcess(env);
    servers.push(first);
    const bought = (await post(first.url, key, PROVISION, { key: "crash-release", area: "512" })).body.data.provisionPhoneNumber.phoneNumber;
    assert.equal(bought.status, "ACTIVE");
    assert.equal(await first.stop(), 0);

    const doomed = await startServerProcess({ ...env, SANDBOX_FAULTS: "crash-after-release" });
    servers.push(doomed);
    await assert.rejects(post(doomed.url, key, RELEASE, { id: bought.id }), "the server dies before it answers");
    await new Promise((resolve) => (doomed.child.exitCode !== null || doomed.child.signalCode ? resolve(null) : doomed.child.once("exit", resolve)));
    assert.equal(doomed.child.signalCode, "SIGKILL");
    const carrierState = () => JSON.parse(readFileSync(path.join(dataDir, "sandbox-carrier.json"), "utf8")) as { numbers: Record<string, { e164: string }> };
    assert.ok(!Object.values(carrierState().numbers).some((n) => n.e164 === bought.e164), "the carrier released it before the crash");

    const restarted = await startServerProcess(env);
    servers.push(restarted);
    let status = "";
    for (let attempt = 0; attempt < 100 && status !== "RELEASED"; attempt++) {
      const read = await post(restarted.url, key, "query($id: ID!) { node(id: $id) { ... on PhoneNumber { status releasedAt setupStatus { status issues { code } } } } }", { id: bought.id });
      status = read.body.data.node.status;
      if (status !== "RELEASED") await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(status, "RELEASED", "the order job finished the interrupted release");
    const again = await post(restarted.url, key, RELEASE, { id: bought.id });
    assert.equal(again.body.data.releasePhoneNumber.code, "NUMBER_RELEASED");
    assert.ok(!Object.values(carrierState().numbers).some((n) => n.e164 === bought.e164));
    // The number can be bought again by anyone: its E.164 is no longer held here.
    const listed = await post(restarted.url, key, '{ phoneNumbers(filter: { released: ONLY }) { totalCount } }');
    assert.equal(listed.body.data.phoneNumbers.totalCount, 1);
  });
});
