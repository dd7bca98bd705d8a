import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { CarrierFailure, type EmergencyAddressRequest } from "../src/carriers/adapter.ts";
import { TelnyxCarrier } from "../src/carriers/telnyx.ts";
import { startFakeTelnyx, type FakeTelnyx, type FakeTelnyxOptions } from "./helpers/fake-telnyx.ts";

// TelnyxCarrier's emergency (E911) calls against the local Telnyx-shaped server: the request shapes
// it sends (POST /v2/addresses, enable_emergency) and how Telnyx's answers and refusals map.

const ADDRESS: EmergencyAddressRequest = {
  reference: "5b0c3c9e-7c1d-4d55-9d5f-2f5a8f0e1a01:1",
  callerName: "Acme Robotics",
  street: "600 Congress Avenue",
  unit: "Suite 200",
  city: "Austin",
  region: "TX",
  postalCode: "78701",
  country: "US",
};

describe("Telnyx carrier: emergency addresses", () => {
  const fakes: FakeTelnyx[] = [];
  after(async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  async function setup(options: FakeTelnyxOptions = {}) {
    const fake = await startFakeTelnyx(options);
    fakes.push(fake);
    return { fake, carrier: new TelnyxCarrier({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2_000 }) };
  }

  test("an address is looked up by its reference, then created with Telnyx's fields; a repeat finds it instead of creating another", async () => {
    const { fake, carrier } = await setup();
    const { carrierAddressId } = await carrier.createEmergencyAddress(ADDRESS);
    const lookups = fake.requestsTo("GET", "/v2/addresses");
    assert.equal(lookups.length, 1);
    assert.deepEqual(lookups[0]!.query, [["filter[customer_reference][eq]", ADDRESS.reference]]);
    const [created] = fake.requestsTo("POST", "/v2/addresses");
    assert.deepEqual(created!.body, {
      business_name: "Acme Robotics",
      street_address: "600 Congress Avenue",
      extended_address: "Suite 200",
      locality: "Austin",
      administrative_area: "TX",
      postal_code: "78701",
      country_code: "US",
      customer_reference: ADDRESS.reference,
    });
    assert.equal(fake.state.addresses.get(carrierAddressId)?.customer_reference, ADDRESS.reference);

    const again = await carrier.createEmergencyAddress(ADDRESS);
    assert.equal(again.carrierAddressId, carrierAddressId);
    assert.equal(fake.requestsTo("POST", "/v2/addresses").length, 1, "no second address record");
  });

  test("an address without a unit sends no extended_address", async () => {
    const { fake, carrier } = await setup();
    await carrier.createEmergencyAddress({ ...ADDRESS, reference: "r:1", unit: null });
    const body = fake.requestsTo("POST", "/v2/addresses")[0]!.body as Record<string, unknown>;
    assert.equal("extended_address" in body, false);
  });

  test("a refused address (Telnyx's 422 errors[{code,title,detail}]) is a REJECTED failure carrying Telnyx's words", async () => {
    const { carrier } = await setup();
    const error = await carrier.createEmergencyAddress({ ...ADDRESS, reference: "r:2", street: "1 REJECT Street" }).then(
      () => assert.fail("expected a refusal"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CarrierFailure);
    assert.equal(error.kind, "REJECTED");
    assert.equal(error.retryable, false);
    assert.match(error.message, /HTTP 422/);
    assert.match(error.message, /could not be validated for emergency services/);
    assert.match(error.message, /\[10015\]/);
  });

  test("enable_emergency is POSTed with emergency_enabled and the address; active is ACTIVE, provisioning PENDING, provisioning-failed a refusal", async () => {
    const { fake, carrier } = await setup();
    const number = fake.addNumber("+14157340101", "active");
    const { carrierAddressId } = await carrier.createEmergencyAddress(ADDRESS);
    assert.equal(await carrier.enableEmergency(number.id, carrierAddressId), "ACTIVE");
    const [request] = fake.requestsTo("POST", `/v2/phone_numbers/${number.id}/actions/enable_emergency`);
    assert.deepEqual(request!.body, { emergency_enabled: true, emergency_address_id: carrierAddressId });
    assert.equal(fake.state.numbers.get(number.id)!.emergency_address_id, carrierAddressId);

    fake.switches.emergencyStatus = "provisioning";
    assert.equal(await carrier.enableEmergency(number.id, carrierAddressId), "PENDING");
    fake.switches.emergencyStatus = "provisioning-failed";
    const refused = await carrier.enableEmergency(number.id, carrierAddressId).catch((e: unknown) => e);
    assert.ok(refused instanceof CarrierFailure && refused.kind === "REJECTED");
  });

  test("disabling sends emergency_enabled false; a number Telnyx no longer has counts as disabled", async () => {
    const { fake, carrier } = await setup();
    const number = fake.addNumber("+14157340102", "active");
    const { carrierAddressId } = await carrier.createEmergencyAddress(ADDRESS);
    await carrier.enableEmergency(number.id, carrierAddressId);
    await carrier.disableEmergency(number.id, carrierAddressId);
    const requests = fake.requestsTo("POST", `/v2/phone_numbers/${number.id}/actions/enable_emergency`);
    assert.deepEqual(requests.at(-1)!.body, { emergency_enabled: false, emergency_address_id: carrierAddressId });
    assert.equal(fake.state.numbers.get(number.id)!.emergency_enabled, false);
    await carrier.disableEmergency("999999", carrierAddressId);
  });

  test("an outage is UNAVAILABLE (retryable), never a refusal", async () => {
    const { fake, carrier } = await setup();
    fake.switches.failNext = 1;
    const error = await carrier.createEmergencyAddress(ADDRESS).catch((e: unknown) => e);
    assert.ok(error instanceof CarrierFailure && error.kind === "UNAVAILABLE" && error.retryable);
  });
});
