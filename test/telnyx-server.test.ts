import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { startFakeTelnyx, type FakeTelnyx } from "./helpers/fake-telnyx.ts";
import { post, runCli, type ServerProcess, startServerProcess } from "./helpers/processes.ts";

// The whole server with CARRIER=telnyx, talking to a local server that answers Telnyx's endpoints.
describe("Switchboard with CARRIER=telnyx", () => {
  let fake: FakeTelnyx | undefined;
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;
  after(async () => {
    await server?.stop();
    await fake?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test("search, buy (PENDING then ACTIVE), release through Telnyx; sb_test_ keys use the sandbox", { timeout: 120_000 }, async () => {
    fake = await startFakeTelnyx({ switches: { completeOrdersLater: true } });
    dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-telnyx-"));
    const env = {
      DATA_DIR: dataDir,
      DATABASE_URL: "",
      ENCRYPTION_KEY: "",
      SEED_DEMO: "false",
      CARRIER: "telnyx",
      TELNYX_API_KEY: fake.apiKey,
      TELNYX_BASE_URL: fake.url,
      ORDER_POLL_SECONDS: "0.2",
    };
    const live = (await runCli(["apikey", "create", "--org", "telnyx", "--create-org"], env)).stdout.trim();
    const sandboxKey = (await runCli(["apikey", "create", "--org", "telnyx", "--test"], env)).stdout.trim();
    assert.match(live, /^sb_live_/);
    assert.match(sandboxKey, /^sb_test_/);
    server = await startServerProcess(env);

    const search = await post(server.url, live, '{ availablePhoneNumbers(areaCode: "415", limit: 5) { e164 locality region features monthlyCostCents upfrontCostCents } }');
    assert.deepEqual(search.body.data.availablePhoneNumbers[0], {
      e164: "+14157340101",
      locality: "San Francisco",
      region: "CA",
      features: ["VOICE", "SMS", "MMS"],
      monthlyCostCents: 100,
      upfrontCostCents: 35,
    });

    const bought = await post(
      server.url,
      live,
      'mutation { provisionPhoneNumber(input: { e164: "+14157340101", idempotencyKey: "t-1" }) { __typename ... on ProvisionPhoneNumberSuccess { phoneNumber { id status carrier } } ... on CarrierError { message } } }',
    );
    const number = bought.body.data?.provisionPhoneNumber?.phoneNumber;
    assert.ok(number, JSON.stringify(bought.body));
    assert.deepEqual([number.status, number.carrier], ["PENDING", "telnyx"], JSON.stringify(bought.body));
    const order = [...fake.state.orders.values()][0]!;
    assert.equal(fake.requestsTo("POST", "/v2/number_orders").length, 1);
    fake.completeOrder(order.id);

    let status = "PENDING";
    for (let attempt = 0; attempt < 100 && status !== "ACTIVE"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await post(server.url, live, `{ node(id: "${number.id}") { ... on PhoneNumber { status } } }`)).body.data.node.status;
    }
    assert.equal(status, "ACTIVE", "the order job completed the number");

    const released = await post(server.url, live, `mutation { releasePhoneNumber(input: { id: "${number.id}" }) { __typename } }`);
    assert.equal(released.body.data.releasePhoneNumber.__typename, "ReleasePhoneNumberSuccess");
    assert.equal(fake.requestsTo("DELETE", /^\/v2\/phone_numbers\//).length, 1);

    const before = fake.state.requests.length;
    const sandboxSearch = await post(server.url, sandboxKey, '{ availablePhoneNumbers(areaCode: "415", limit: 1) { e164 locality } }');
    assert.match(sandboxSearch.body.data.availablePhoneNumbers[0].locality, /^Sandbox/);
    assert.equal(fake.state.requests.length, before, "a test key never reaches Telnyx");
  });
});
