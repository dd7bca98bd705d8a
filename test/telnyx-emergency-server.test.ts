import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { createApiKey } from "../src/apikeys/service.ts";
import { startFakeTelnyx, type FakeTelnyx } from "./helpers/fake-telnyx.ts";
import { startVariant, type VariantServer } from "./helpers/harness.ts";
import { post } from "./helpers/processes.ts";

// Emergency addresses through the whole server with CARRIER=telnyx, against the local Telnyx-shaped
// server: what Switchboard sends Telnyx, and how Telnyx's refusal reaches the API.

const ADDRESS = `{ callerName: "Acme Robotics", street: "600 Congress Avenue", unit: "Suite 200", city: "Austin", region: "tx", postalCode: "78701", country: "US" }`;

describe("emergency addresses with CARRIER=telnyx", () => {
  let fake: FakeTelnyx | undefined;
  let server: VariantServer | undefined;
  after(async () => {
    await server?.close();
    await fake?.close();
  });

  test("an address is created at Telnyx with our reference and enabled on the number; a refusal carries Telnyx's reason", { timeout: 120_000 }, async () => {
    fake = await startFakeTelnyx();
    server = await startVariant({ CARRIER: "telnyx", TELNYX_API_KEY: fake.apiKey, TELNYX_BASE_URL: fake.url, ORDER_POLL_SECONDS: "0.2", CARRIER_TIMEOUT_MS: "15000" }, { database: "own" });
    const prisma = server.switchboard.database.prisma;
    const organization = await prisma.organization.create({ data: { name: "telnyx-e911" } });
    const key = (await createApiKey(prisma, organization.id, { name: "live", scopes: ["*"], mode: "LIVE" })).secret;
    const call = async (query: string) => {
      const response = await post(server!.url, key, query);
      assert.equal(response.body.errors, undefined, JSON.stringify(response.body.errors));
      return response.body.data;
    };
    const buy = async (e164: string) => {
      const data = await call(`mutation { provisionPhoneNumber(input: { e164: "${e164}", idempotencyKey: "${e164}" }) { ... on ProvisionPhoneNumberSuccess { phoneNumber { id status carrierResourceId } } } }`);
      const number = data.provisionPhoneNumber.phoneNumber as { id: string; status: string; carrierResourceId: string };
      assert.equal(number.status, "ACTIVE", JSON.stringify(data));
      return number;
    };
    const createAddress = async (input: string) => (await call(`mutation { createEmergencyAddress(input: ${input}) { ... on CreateEmergencyAddressSuccess { emergencyAddress { id } } } }`)).createEmergencyAddress.emergencyAddress.id as string;
    const set = async (numberId: string, addressId: string | null) =>
      (
        await call(
          `mutation { setPhoneNumberEmergencyAddress(input: { phoneNumberId: "${numberId}", emergencyAddressId: ${addressId ? `"${addressId}"` : "null"} }) { __typename ... on SetPhoneNumberEmergencyAddressSuccess { phoneNumber { emergencyRegistration { status failureReason } emergencyAddress { status failureReason } setupStatus { outboundReady } } } } }`,
        )
      ).setPhoneNumberEmergencyAddress.phoneNumber;

    const number = await buy("+14157340101");
    const addressId = await createAddress(ADDRESS);
    const registered = await set(number.id, addressId);
    assert.deepEqual(registered.emergencyRegistration, { status: "ACTIVE", failureReason: null }, JSON.stringify(registered));
    assert.equal(registered.setupStatus.outboundReady, true);

    const reference = `${decodeGlobalID(addressId).id}:1`;
    assert.deepEqual(fake.requestsTo("GET", "/v2/addresses").at(-1)!.query, [["filter[customer_reference][eq]", reference]]);
    const created = fake.requestsTo("POST", "/v2/addresses");
    assert.equal(created.length, 1);
    assert.deepEqual(created[0]!.body, {
      business_name: "Acme Robotics",
      street_address: "600 Congress Avenue",
      extended_address: "Suite 200",
      locality: "Austin",
      administrative_area: "TX",
      postal_code: "78701",
      country_code: "US",
      customer_reference: reference,
    });
    const carrierAddress = [...fake.state.addresses.values()][0]!;
    const enable = fake.requestsTo("POST", `/v2/phone_numbers/${number.carrierResourceId}/actions/enable_emergency`);
    assert.deepEqual(enable.at(-1)!.body, { emergency_enabled: true, emergency_address_id: carrierAddress.id });
    assert.equal(fake.state.numbers.get(number.carrierResourceId)!.emergency_enabled, true);

    // A second number with the same address reuses Telnyx's record.
    const second = await buy("+14157340102");
    assert.equal((await set(second.id, addressId)).emergencyRegistration.status, "ACTIVE");
    assert.equal(fake.requestsTo("POST", "/v2/addresses").length, 1, "one Telnyx address per revision");

    // Telnyx refuses an address: the 422's detail is the reason on the number and the address.
    const third = await buy("+14156210103");
    const refusedId = await createAddress(`{ callerName: "Acme", street: "1 REJECT Road", city: "Austin", region: "TX", postalCode: "78701", country: "US" }`);
    const refused = await set(third.id, refusedId);
    assert.equal(refused.emergencyRegistration.status, "FAILED");
    assert.match(refused.emergencyRegistration.failureReason, /HTTP 422 Invalid address: The address could not be validated for emergency services/);
    assert.equal(refused.emergencyAddress.status, "FAILED");
    assert.equal(refused.setupStatus.outboundReady, false);
    assert.equal(fake.requestsTo("POST", `/v2/phone_numbers/${third.carrierResourceId}/actions/enable_emergency`).length, 0, "nothing is enabled with a refused address");

    // Removing the address disables emergency service at Telnyx.
    const removed = await set(number.id, null);
    assert.equal(removed.emergencyRegistration, null);
    assert.deepEqual(enable.length, 1);
    const disable = fake.requestsTo("POST", `/v2/phone_numbers/${number.carrierResourceId}/actions/enable_emergency`).at(-1)!;
    assert.deepEqual(disable.body, { emergency_enabled: false, emergency_address_id: carrierAddress.id });
    assert.equal(fake.state.numbers.get(number.carrierResourceId)!.emergency_enabled, false);
  });
});
