import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { CarrierFailure } from "../src/carriers/adapter.ts";
import { TelnyxCarrier, toCents } from "../src/carriers/telnyx.ts";
import { startFakeTelnyx, type FakeTelnyx, type FakeTelnyxOptions } from "./helpers/fake-telnyx.ts";

// TelnyxCarrier (the official telnyx SDK underneath) against a local fake of Telnyx API v2
// (helpers/fake-telnyx.ts). Adapter level only: no GraphQL server, no database, no internet.

describe("Telnyx carrier", () => {
  const fakes: FakeTelnyx[] = [];
  /** Every CarrierFailure message seen, to check that none quotes an API key. */
  const messages: string[] = [];
  const keys = new Set<string>();

  after(async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  async function setup(options: FakeTelnyxOptions = {}, carrierOptions: { timeoutMs?: number; apiKey?: string; connectionId?: string; messagingProfileId?: string } = {}) {
    const fake = await startFakeTelnyx(options);
    fakes.push(fake);
    keys.add(fake.apiKey);
    if (carrierOptions.apiKey) keys.add(carrierOptions.apiKey);
    const carrier = new TelnyxCarrier({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2_000, ...carrierOptions });
    return { fake, carrier };
  }

  /** Awaits a rejection with a CarrierFailure of this kind; returns it. */
  async function failure(promise: Promise<unknown>, kind: CarrierFailure["kind"]): Promise<CarrierFailure> {
    const error = await promise.then(
      () => assert.fail(`expected a CarrierFailure ${kind}, got success`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CarrierFailure, `expected a CarrierFailure, got ${String(error)}`);
    messages.push(error.message, String(error), error.stack ?? "");
    assert.equal(error.kind, kind, `kind of: ${error.message}`);
    assert.equal(error.carrier, "telnyx");
    return error;
  }

  const query = (fake: FakeTelnyx, path: string) => {
    const requests = fake.requestsTo("GET", path);
    assert.ok(requests.length > 0, `no GET ${path}`);
    return requests.at(-1)!.query;
  };

  test("dollar amounts become integer cents without float drift", () => {
    assert.equal(toCents("1.00"), 100);
    assert.equal(toCents("0.35"), 35);
    assert.equal(toCents("2.5"), 250);
    assert.equal(toCents("1"), 100);
    assert.equal(toCents("0.29"), 29);
    assert.equal(toCents("1.005"), 101);
    assert.equal(toCents("1.0049"), 100);
    assert.equal(toCents("19.999"), 2000);
    assert.equal(toCents(undefined), 0);
  });

  test("search maps Telnyx's available numbers: features, region, locality, costs in cents", async () => {
    const { carrier } = await setup();
    const found = await carrier.searchAvailable({ country: "US", areaCode: "415", limit: 10 });
    assert.deepEqual(
      found.map((n) => n.e164),
      ["+14157340101", "+14157340102", "+14156210103"],
    );
    assert.deepEqual(found[0], {
      e164: "+14157340101",
      friendlyName: "(415) 734-0101",
      locality: "San Francisco",
      region: "CA",
      country: "US",
      // Telnyx's results do not say their type: read from the number.
      numberType: "LOCAL",
      // "emergency" is not a Switchboard feature; the order is Switchboard's.
      features: ["voice", "sms", "mms"],
      monthlyCostCents: 100,
      upfrontCostCents: 35,
    });
    assert.deepEqual(found[1]!.features, ["voice", "sms"]);
    assert.equal(found[2]!.locality, "Oakland");
    assert.equal(found[2]!.monthlyCostCents, 250);
    assert.equal(found[2]!.upfrontCostCents, 0);
  });

  test("search passes every filter through to Telnyx", async () => {
    const { fake, carrier } = await setup();
    const found = await carrier.searchAvailable({
      country: "US",
      areaCode: "415",
      contains: "734",
      locality: "San Francisco",
      features: ["sms", "voice"],
      limit: 5,
    });
    assert.deepEqual(found.map((n) => n.e164), ["+14157340101", "+14157340102"]);
    const sent = new Map(query(fake, "/v2/available_phone_numbers"));
    assert.equal(sent.get("filter[country_code]"), "US");
    assert.equal(sent.get("filter[national_destination_code]"), "415");
    assert.equal(sent.get("filter[phone_number][contains]"), "734");
    assert.equal(sent.get("filter[locality]"), "San Francisco");
    assert.equal(sent.get("filter[limit]"), "5");
    // The SDK sends arrays comma-separated (filter[features]=sms,voice), as Telnyx documents.
    assert.deepEqual(sent.get("filter[features]")?.split(","), ["sms", "voice"]);

    const mmsOnly = await carrier.searchAvailable({ country: "US", areaCode: "415", features: ["mms"], limit: 5 });
    assert.deepEqual(mmsOnly.map((n) => n.e164), ["+14157340101"]);
    const limited = await carrier.searchAvailable({ country: "US", areaCode: "415", limit: 1 });
    assert.equal(limited.length, 1);
    assert.deepEqual(await carrier.searchAvailable({ country: "US", areaCode: "907", limit: 5 }), []);
    // Every request carried the key as a bearer token.
    assert.ok(fake.state.requests.every((r) => r.authorization === `Bearer ${fake.apiKey}`));
  });

  test("an order is pending until Telnyx completes it, then succeeds with the number's id", async () => {
    const { fake, carrier } = await setup({ switches: { completeOrdersLater: true } }, { connectionId: "conn-1", messagingProfileId: "mp-1" });
    const order = await carrier.placeOrder({ e164: "+14157340101", reference: "ref-pending" });
    assert.equal(order.status, "PENDING");
    assert.equal(order.e164, "+14157340101");
    assert.equal(order.reference, "ref-pending");
    assert.equal(order.failureReason, null);
    const placed = fake.state.orders.get(order.id);
    assert.ok(placed, "the fake holds the order under the id returned");
    const [post] = fake.requestsTo("POST", "/v2/number_orders");
    assert.deepEqual(post!.body, {
      phone_numbers: [{ phone_number: "+14157340101" }],
      customer_reference: "ref-pending",
      connection_id: "conn-1",
      messaging_profile_id: "mp-1",
    });
    // The carrier number id is the phone number's id (what DELETE/PATCH /phone_numbers/{id} take),
    // not the order line's id.
    const number = [...fake.state.numbers.values()].find((n) => n.phone_number === "+14157340101")!;
    assert.equal(number.status, "purchase-pending");
    assert.equal(order.carrierNumberId, number.id);
    assert.notEqual(order.carrierNumberId, placed.phone_numbers[0]!.id);
    assert.equal(query(fake, "/v2/phone_numbers").find(([k]) => k === "filter[phone_number]")?.[1], "14157340101");

    assert.equal((await carrier.getOrder(order.id)).status, "PENDING");
    fake.completeOrder(order.id);
    const done = await carrier.getOrder(order.id);
    assert.deepEqual(done, { ...order, status: "SUCCESS" });
    assert.deepEqual(await carrier.listNumbers(), [{ e164: "+14157340101", carrierNumberId: number.id, status: "ACTIVE" }]);
  });

  test("orders complete at once when Telnyx says so; failed orders carry a reason and no number", async () => {
    const { fake, carrier } = await setup();
    const order = await carrier.placeOrder({ e164: "+14157340102", reference: "ref-now" });
    assert.equal(order.status, "SUCCESS");
    assert.ok(order.carrierNumberId);
    assert.equal(fake.state.numbers.get(order.carrierNumberId)?.status, "active");

    fake.switches.completeOrdersLater = true;
    const doomed = await carrier.placeOrder({ e164: "+13125550104", reference: "ref-doomed" });
    fake.failOrder(doomed.id);
    const failed = await carrier.getOrder(doomed.id);
    assert.equal(failed.status, "FAILURE");
    assert.equal(failed.carrierNumberId, null);
    assert.match(failed.failureReason ?? "", /failed/);
    // A failed purchase is not a number the account holds.
    assert.deepEqual((await carrier.listNumbers()).map((n) => n.e164), ["+14157340102"]);
  });

  test("a successful order whose number Telnyx does not list yet stays PENDING", async () => {
    const { fake, carrier } = await setup({ switches: { completeOrdersLater: true } });
    const order = await carrier.placeOrder({ e164: "+14157340101", reference: "ref-lag" });
    fake.completeOrder(order.id);
    const number = fake.state.numbers.get(order.carrierNumberId!)!;
    fake.state.numbers.delete(number.id);
    assert.deepEqual(await carrier.getOrder(order.id), { ...order, status: "PENDING", carrierNumberId: null });
    fake.state.numbers.set(number.id, number);
    assert.deepEqual(await carrier.getOrder(order.id), { ...order, status: "SUCCESS" });
  });

  test("findOrderByReference finds the order placed with a reference, and nothing for others", async () => {
    const { fake, carrier } = await setup({ switches: { completeOrdersLater: true } });
    const order = await carrier.placeOrder({ e164: "+14157340101", reference: "ref-find" });
    const found = await carrier.findOrderByReference("ref-find");
    assert.deepEqual(found, order);
    assert.equal(query(fake, "/v2/number_orders").find(([k]) => k === "filter[customer_reference]")?.[1], "ref-find");
    assert.equal(await carrier.findOrderByReference("ref-unknown"), undefined);
  });

  test("placing twice with one reference keeps one order", async () => {
    const { fake, carrier } = await setup({ switches: { completeOrdersLater: true } });
    const first = await carrier.placeOrder({ e164: "+14157340101", reference: "ref-twice" });
    const second = await carrier.placeOrder({ e164: "+14157340101", reference: "ref-twice" });
    assert.equal(second.id, first.id);
    assert.equal(fake.state.orders.size, 1);
    assert.equal(fake.requestsTo("POST", "/v2/number_orders").length, 1);
    // The same reference for another number is a caller bug, refused without ordering.
    await failure(carrier.placeOrder({ e164: "+14157340102", reference: "ref-twice" }), "REJECTED");
    assert.equal(fake.requestsTo("POST", "/v2/number_orders").length, 1);
  });

  test("an order whose answer was lost is found by reference and not placed again", async () => {
    const { fake, carrier } = await setup({}, { timeoutMs: 200 });
    // Telnyx places the order, but its answer comes too late.
    fake.switches.delayMs = 2_000;
    fake.switches.delayPhase = "after";
    fake.switches.delayOnly = (method, path) => method === "POST" && path === "/v2/number_orders";
    await failure(carrier.placeOrder({ e164: "+14157340101", reference: "ref-lost" }), "TIMEOUT");
    assert.equal(fake.state.orders.size, 1, "the carrier acted");
    fake.switches.delayMs = 0;
    const found = await carrier.findOrderByReference("ref-lost");
    assert.ok(found);
    assert.equal(found.status, "SUCCESS");
    assert.equal(found.e164, "+14157340101");
    assert.ok(found.carrierNumberId);
    const again = await carrier.placeOrder({ e164: "+14157340101", reference: "ref-lost" });
    assert.deepEqual(again, found);
    assert.equal(fake.requestsTo("POST", "/v2/number_orders").length, 1);
  });

  test("releasing a number deletes it at Telnyx; an unknown number counts as released", async () => {
    const { fake, carrier } = await setup();
    const order = await carrier.placeOrder({ e164: "+14157340101", reference: "ref-release" });
    await carrier.releaseNumber(order.carrierNumberId!);
    assert.equal(fake.requestsTo("DELETE", `/v2/phone_numbers/${order.carrierNumberId}`).length, 1);
    assert.equal(fake.state.numbers.has(order.carrierNumberId!), false);
    assert.deepEqual(await carrier.listNumbers(), []);
    await carrier.releaseNumber(order.carrierNumberId!);
    await carrier.releaseNumber("1293384261075739999");
  });

  test("a routing update reaches Telnyx: voice connection and messaging profile", async () => {
    const { fake, carrier } = await setup();
    const order = await carrier.placeOrder({ e164: "+14157340101", reference: "ref-route" });
    await carrier.updateRouting(order.carrierNumberId!, { connectionId: "conn-42", messagingProfileId: "mp-42" });
    const number = fake.state.numbers.get(order.carrierNumberId!)!;
    assert.equal(number.connection_id, "conn-42");
    assert.equal(number.messaging_profile_id, "mp-42");
    assert.deepEqual(fake.requestsTo("PATCH", `/v2/phone_numbers/${number.id}`).map((r) => r.body), [{ connection_id: "conn-42" }]);
    assert.deepEqual(fake.requestsTo("PATCH", `/v2/phone_numbers/${number.id}/messaging`).map((r) => r.body), [{ messaging_profile_id: "mp-42" }]);
    // Voice only: no messaging call.
    await carrier.updateRouting(order.carrierNumberId!, { connectionId: "conn-43" });
    assert.equal(number.connection_id, "conn-43");
    assert.equal(fake.requestsTo("PATCH", `/v2/phone_numbers/${number.id}/messaging`).length, 1);
    await failure(carrier.updateRouting("1293384261075739999", { connectionId: "conn-1" }), "NOT_FOUND");
  });

  test("listNumbers pages through every page Telnyx reports", async () => {
    const { fake, carrier } = await setup({ switches: { maxPageSize: 3 } });
    const expected = new Map<string, string>();
    for (let i = 0; i < 8; i++) {
      const e164 = `+1646555${String(1000 + i)}`;
      const number = fake.addNumber(e164, i === 7 ? "purchase-pending" : "active");
      expected.set(number.id, e164);
    }
    fake.addNumber("+16465559999", "deleted");
    const listed = await carrier.listNumbers();
    assert.equal(listed.length, 8);
    for (const n of listed) assert.equal(expected.get(n.carrierNumberId), n.e164);
    assert.equal(listed.filter((n) => n.status === "PENDING").length, 1);
    const pages = fake.requestsTo("GET", "/v2/phone_numbers").map((r) => new Map(r.query).get("page[number]"));
    assert.deepEqual(pages, ["1", "2", "3"]);
  });

  test("a wrong API key is REJECTED, with Telnyx's reason and without the key", async () => {
    const { carrier } = await setup({}, { apiKey: "KEY_wrong_0123456789abcdef" });
    const error = await failure(carrier.searchAvailable({ country: "US", areaCode: "415", limit: 5 }), "REJECTED");
    assert.match(error.message, /401/);
    assert.match(error.message, /Authentication failed/);
    assert.equal(error.retryable, false);
  });

  test("5xx answers are UNAVAILABLE and retryable, and the SDK does not retry them itself", async () => {
    const { fake, carrier } = await setup();
    fake.switches.failNext = 1;
    fake.switches.failStatus = 500;
    const error500 = await failure(carrier.searchAvailable({ country: "US", areaCode: "415", limit: 5 }), "UNAVAILABLE");
    assert.equal(error500.retryable, true);
    assert.match(error500.message, /500/);
    assert.equal(fake.state.requests.length, 1, "one request: maxRetries is 0");

    fake.switches.failNext = 1;
    fake.switches.failStatus = 503;
    await failure(carrier.getOrder("anything"), "UNAVAILABLE");
    assert.equal(fake.state.requests.length, 2);
    // The fault is spent: the next call answers.
    assert.equal((await carrier.searchAvailable({ country: "US", areaCode: "415", limit: 5 })).length, 3);
  });

  test("no answer within timeoutMs is a TIMEOUT", async () => {
    const { fake, carrier } = await setup({}, { timeoutMs: 200 });
    fake.switches.delayMs = 2_000;
    const error = await failure(carrier.searchAvailable({ country: "US", areaCode: "415", limit: 5 }), "TIMEOUT");
    assert.equal(error.retryable, true);
    assert.equal(fake.state.requests.length, 1, "no SDK retry after a timeout");
  });

  test("a number no longer available is REJECTED with Telnyx's detail", async () => {
    const { fake, carrier } = await setup();
    fake.switches.unavailable.add("+14157340101");
    const error = await failure(carrier.placeOrder({ e164: "+14157340101", reference: "ref-gone" }), "REJECTED");
    assert.match(error.message, /422/);
    assert.match(error.message, /\+14157340101 is no longer available/);
    assert.equal(fake.state.orders.size, 0);
    // Nor can a number outside Telnyx's inventory be ordered.
    fake.switches.rejectNextOrders = 1;
    await failure(carrier.placeOrder({ e164: "+14157340102", reference: "ref-gone-2" }), "REJECTED");
  });

  test("unknown orders are NOT_FOUND; an unreachable Telnyx is UNAVAILABLE", async () => {
    const { fake, carrier } = await setup();
    await failure(carrier.getOrder("9b1e4a53-0000-4000-8000-000000000000"), "NOT_FOUND");
    await fake.close();
    const error = await failure(carrier.listNumbers(), "UNAVAILABLE");
    assert.match(error.message, /could not reach Telnyx/);
  });

  test("no error message quotes an API key", () => {
    assert.ok(messages.length >= 10, `errors checked: ${messages.length / 3}`);
    for (const message of messages) for (const key of keys) assert.ok(!message.includes(key), `a message quotes the key: ${message}`);
  });
});
