import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createApiKey } from "../src/apikeys/service.ts";
import { startFakeTelnyx, type FakeTelnyx } from "./helpers/fake-telnyx.ts";
import { startVariant, type VariantServer } from "./helpers/harness.ts";
import { post } from "./helpers/processes.ts";

// The whole server with CARRIER=telnyx, talking to a local server that answers Telnyx's endpoints.
// In this process, on a database of its own: its order job runs every 0.2 s with another carrier.
describe("Switchboard with CARRIER=telnyx", () => {
  let fake: FakeTelnyx | undefined;
  let server: VariantServer | undefined;
  after(async () => {
    await server?.close();
    await fake?.close();
  });

  test("search, buy (PENDING then ACTIVE), release through Telnyx; sb_test_ keys use the sandbox", { timeout: 120_000 }, async () => {
    fake = await startFakeTelnyx({ switches: { completeOrdersLater: true } });
    server = await startVariant(
      // A generous carrier deadline (the run's settings have 300 ms, for fault tests): a busy machine
      // must not turn the fake's slow answer into a CarrierError.
      { CARRIER: "telnyx", TELNYX_API_KEY: fake.apiKey, TELNYX_BASE_URL: fake.url, ORDER_POLL_SECONDS: "0.2", CARRIER_TIMEOUT_MS: "15000" },
      { database: "own" },
    );
    const prisma = server.switchboard.database.prisma;
    const organization = await prisma.organization.create({ data: { name: "telnyx" } });
    const live = (await createApiKey(prisma, organization.id, { name: "live", scopes: ["*"], mode: "LIVE" })).secret;
    const sandboxKey = (await createApiKey(prisma, organization.id, { name: "test", scopes: ["*"], mode: "TEST" })).secret;
    assert.match(live, /^sb_live_/);
    assert.match(sandboxKey, /^sb_test_/);

    const search = await post(server.url, live, '{ availablePhoneNumbers(areaCode: "415", limit: 5) { e164 locality region features monthlyCostCents upfrontCostCents } }');
    assert.equal(search.body.errors, undefined, JSON.stringify(search.body.errors));
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
    assert.equal(sandboxSearch.body.data.availablePhoneNumbers[0].locality, "San Francisco");
    assert.equal(fake.state.requests.length, before, "a test key never reaches Telnyx");
  });
});
