import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment } from "./helpers/harness.ts";

const Search = graphql(`
  query SearchNumbers($country: String, $areaCode: String, $contains: String, $limit: Int, $features: [NumberFeature!]) {
    availablePhoneNumbers(country: $country, areaCode: $areaCode, contains: $contains, limit: $limit, features: $features) {
      e164
      friendlyName
      locality
      region
      country
      features
      monthlyCostCents
      upfrontCostCents
    }
  }
`);

const Provision = graphql(`
  mutation Provision($input: ProvisionPhoneNumberInput!) {
    provisionPhoneNumber(input: $input) {
      __typename
      ... on ProvisionPhoneNumberSuccess {
        areaCodeFallback
        replayed
        phoneNumber {
          id
          e164
          source
          status
          carrier
          carrierResourceId
          setupStatus {
            status
          }
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
        }
      }
      ... on CarrierError {
        reason
        retryable
        message
      }
    }
  }
`);

const ProvisionMany = graphql(`
  mutation ProvisionMany($input: ProvisionPhoneNumbersInput!) {
    provisionPhoneNumbers(input: $input) {
      __typename
      ... on ProvisionPhoneNumbersSuccess {
        provisionedCount
        results {
          index
          areaCodeFallback
          phoneNumber {
            id
            e164
            status
          }
          error {
            code
            reason
          }
        }
      }
      ... on CarrierError {
        reason
        message
      }
    }
  }
`);

const ReleaseManaged = graphql(`
  mutation ReleaseManaged($id: ID!) {
    releasePhoneNumber(input: { id: $id }) {
      __typename
      ... on ReleasePhoneNumberSuccess {
        phoneNumber {
          status
        }
      }
      ... on CarrierError {
        reason
        retryable
      }
    }
  }
`);

async function sandbox() {
  return (await getEnvironment()).switchboard.services.carriers.sandbox;
}

function success<T extends { __typename: string }>(payload: T, typename: string): Extract<T, { __typename: typeof typename }> {
  assert.equal(payload.__typename, typename, JSON.stringify(payload));
  return payload as never;
}

describe("buying numbers from the carrier (sandbox)", () => {
  afterEach(async () => {
    const carrier = await sandbox();
    Object.assign(carrier.faults, { latencyMs: 0, unavailableNext: 0, hangNext: 0, timeoutAfterCommitNext: 0, delayCompletion: false });
    carrier.faults.refuse.clear();
  });

  test("searching an area code lists numbers with locality, features and costs in cents", async () => {
    const org = await createOrganization("search");
    const data = await org.client.data(Search, { areaCode: "415", limit: 5 });
    assert.equal(data.availablePhoneNumbers.length, 5);
    for (const number of data.availablePhoneNumbers) {
      assert.match(number.e164, /^\+1415\d{7}$/);
      assert.equal(number.country, "US");
      assert.equal(number.monthlyCostCents, 100);
      assert.ok(number.features.includes("VOICE"));
    }
    const sms = await org.client.data(Search, { areaCode: "415", limit: 50, features: ["SMS"] });
    assert.ok(sms.availablePhoneNumbers.length > 0 && sms.availablePhoneNumbers.every((n) => n.features.includes("SMS")));
  });

  test("bad search input is refused with every field problem, and nothing reaches the carrier", async () => {
    const org = await createOrganization("search-bad");
    const carrier = await sandbox();
    const before = carrier.calls.searchAvailable ?? 0;
    for (const [variables, expected] of [
      [{ areaCode: "41" }, [["areaCode"]]],
      [{ limit: 0 }, [["limit"]]],
      [{ limit: 51 }, [["limit"]]],
      [{ country: "XX", areaCode: "4155", contains: "x-1" }, [["country"], ["areaCode"], ["contains"]]],
    ] as Array<[Record<string, unknown>, string[][]]>) {
      const result = await org.client.request(Search, variables as never);
      const error = result.errors?.[0] as { extensions?: { code?: string; fieldErrors?: Array<{ path: string[] }> } } | undefined;
      assert.equal(error?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(result));
      assert.deepEqual(error?.extensions?.fieldErrors?.map((f) => f.path), expected);
    }
    const provision = await org.client.data(Provision, { input: { e164: "12345", areaCode: "41" } });
    const invalid = success(provision.provisionPhoneNumber, "ValidationError") as { fieldErrors: Array<{ path: string[]; code: string }> };
    assert.deepEqual(invalid.fieldErrors.map((f) => [f.path.join("."), f.code]).sort(), [["input.areaCode", "INVALID_FORMAT"], ["input.e164", "INVALID_E164"]]);
    assert.equal(carrier.calls.searchAvailable ?? 0, before, "no carrier call for bad input");
  });

  test("a bought number starts PENDING and becomes ACTIVE when the carrier order completes", async () => {
    const org = await createOrganization("buy");
    const carrier = await sandbox();
    carrier.faults.delayCompletion = true;
    const data = await org.client.data(Provision, { input: { areaCode: "303", label: "Support", idempotencyKey: "buy-1" } });
    const bought = success(data.provisionPhoneNumber, "ProvisionPhoneNumberSuccess") as { areaCodeFallback: boolean; phoneNumber: { id: string; e164: string; status: string; source: string; carrier: string | null; setupStatus: { status: string } } };
    assert.equal(bought.areaCodeFallback, false);
    assert.match(bought.phoneNumber.e164, /^\+1303/);
    assert.deepEqual([bought.phoneNumber.source, bought.phoneNumber.status, bought.phoneNumber.carrier, bought.phoneNumber.setupStatus.status], ["MANAGED", "PENDING", "sandbox", "PENDING"]);

    carrier.completeOrders();
    await (await getEnvironment()).switchboard.services.provisioning.reconcileOrders();
    const { prisma } = (await getEnvironment()).switchboard.database;
    const row = await prisma.phoneNumber.findFirstOrThrow({ where: { organizationId: org.id } });
    assert.equal(row.status, "ACTIVE");
    assert.ok(row.carrierResourceId?.startsWith("sbx_num_"));
    const events = await prisma.event.findMany({ where: { organizationId: org.id, type: "SETUP_STATUS_CHANGED" }, orderBy: { createdAt: "asc" } });
    const statuses = events.map((e) => (e.payload as { current: { status: string } }).current.status);
    assert.deepEqual(statuses, ["PENDING", "ACTION_REQUIRED"], "both transitions were published");
  });

  test("an area code with nothing falls back to the country unless forbidden", async () => {
    const org = await createOrganization("fallback");
    const fallback = success((await org.client.data(Provision, { input: { areaCode: "212" } })).provisionPhoneNumber, "ProvisionPhoneNumberSuccess") as { areaCodeFallback: boolean; phoneNumber: { e164: string } };
    assert.equal(fallback.areaCodeFallback, true);
    assert.doesNotMatch(fallback.phoneNumber.e164, /^\+1212/);
    const strict = await org.client.data(Provision, { input: { areaCode: "212", allowAreaCodeFallback: false } });
    assert.equal((success(strict.provisionPhoneNumber, "CarrierError") as { reason: string }).reason, "NO_NUMBERS_AVAILABLE");
  });

  test("20 concurrent retries with one idempotency key buy one number, even when the carrier's answer is lost after it committed", async () => {
    const org = await createOrganization("idempotent");
    const carrier = await sandbox();
    carrier.faults.timeoutAfterCommitNext = 3;
    carrier.faults.latencyMs = 20;
    const placedBefore = carrier.calls.placeOrder ?? 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => org.client.data(Provision, { input: { areaCode: "512", idempotencyKey: "same-key" } })),
    );
    const ids = new Set(results.map((r) => (success(r.provisionPhoneNumber, "ProvisionPhoneNumberSuccess") as { phoneNumber: { id: string } }).phoneNumber.id));
    assert.equal(ids.size, 1, "every retry sees the same number");
    const { prisma } = (await getEnvironment()).switchboard.database;
    const rows = await prisma.phoneNumber.findMany({ where: { organizationId: org.id } });
    assert.equal(rows.length, 1);
    assert.equal((carrier.calls.placeOrder ?? 0) - placedBefore, 1, "the carrier was asked to buy once");
    const atCarrier = (await carrier.listNumbers()).filter((n) => n.e164 === rows[0]!.e164);
    assert.equal(atCarrier.length, 1);
    await (await getEnvironment()).switchboard.services.provisioning.reconcileOrders();
    assert.equal((await prisma.phoneNumber.findUniqueOrThrow({ where: { id: rows[0]!.id } })).status, "ACTIVE");

    const replay = await org.client.data(Provision, { input: { areaCode: "512", idempotencyKey: "same-key" } });
    assert.equal((success(replay.provisionPhoneNumber, "ProvisionPhoneNumberSuccess") as { replayed: boolean }).replayed, true);
  });

  test("a refused number is skipped for the next one; a refused explicit number is a CarrierError", async () => {
    const org = await createOrganization("refused");
    const carrier = await sandbox();
    const [first, second] = (await org.client.data(Search, { areaCode: "702", limit: 2 })).availablePhoneNumbers;
    carrier.faults.refuse.add(first!.e164);
    // Search no longer offers it either; make the carrier refuse only at order time.
    const bought = success((await org.client.data(Provision, { input: { e164: second!.e164 } })).provisionPhoneNumber, "ProvisionPhoneNumberSuccess") as { phoneNumber: { e164: string } };
    assert.equal(bought.phoneNumber.e164, second!.e164);
    const refused = await org.client.data(Provision, { input: { e164: first!.e164 } });
    assert.equal((success(refused.provisionPhoneNumber, "CarrierError") as { reason: string }).reason, "REJECTED");
    const { prisma } = (await getEnvironment()).switchboard.database;
    assert.equal(await prisma.phoneNumber.count({ where: { organizationId: org.id } }), 1, "nothing is kept for a refused number");
  });

  test("a carrier outage is a retryable CarrierError; the circuit opens and the server stays up", async () => {
    const org = await createOrganization("outage");
    const carrier = await sandbox();
    carrier.faults.hangNext = 1;
    assert.ok((await org.client.data(Search, { areaCode: "404", limit: 1 })).availablePhoneNumbers.length === 1, "a timed-out safe call is retried");

    carrier.faults.unavailableNext = 1_000;
    const down = await org.client.data(Provision, { input: { areaCode: "404" } });
    const error = success(down.provisionPhoneNumber, "CarrierError") as { reason: string; retryable: boolean };
    assert.deepEqual([error.reason, error.retryable], ["UNAVAILABLE", true]);
    for (let i = 0; i < 3; i++) await org.client.request(Search, { areaCode: "404" });
    const callsWhileOpen = carrier.calls.searchAvailable ?? 0;
    const fastFail = await org.client.request(Search, { areaCode: "404" });
    assert.equal((fastFail.errors?.[0] as { extensions?: { code?: string } }).extensions?.code, "CARRIER_ERROR");
    assert.equal(carrier.calls.searchAvailable ?? 0, callsWhileOpen, "an open circuit does not call the carrier");

    carrier.faults.unavailableNext = 0;
    let recovered = false;
    for (let attempt = 0; attempt < 40 && !recovered; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      recovered = !(await org.client.request(Search, { areaCode: "404" })).errors;
    }
    assert.ok(recovered, "the circuit closes again once the carrier answers");
    assert.equal(await (await getEnvironment()).switchboard.database.prisma.phoneNumber.count({ where: { organizationId: org.id } }), 0);
  });

  test("releasing a managed number releases it at the carrier; a carrier failure leaves it recorded, not released, and a retry finishes it", async () => {
    const org = await createOrganization("release");
    const carrier = await sandbox();
    const bought = success((await org.client.data(Provision, { input: { areaCode: "206" } })).provisionPhoneNumber, "ProvisionPhoneNumberSuccess") as { phoneNumber: { id: string; e164: string } };
    carrier.faults.unavailableNext = 1_000;
    const failed = await org.client.data(ReleaseManaged, { id: bought.phoneNumber.id });
    assert.equal((success(failed.releasePhoneNumber, "CarrierError") as { reason: string }).reason, "UNAVAILABLE");
    const { prisma } = (await getEnvironment()).switchboard.database;
    const row = await prisma.phoneNumber.findFirstOrThrow({ where: { organizationId: org.id } });
    // The release is recorded (RELEASING, out of service), never RELEASED while the carrier still bills the number.
    assert.equal(row.status, "RELEASING", "a number the carrier still bills is not marked released");
    carrier.faults.unavailableNext = 0;
    await new Promise((resolve) => setTimeout(resolve, 250)); // the circuit's half-open delay in tests
    const released = await org.client.data(ReleaseManaged, { id: bought.phoneNumber.id });
    assert.equal((success(released.releasePhoneNumber, "ReleasePhoneNumberSuccess") as { phoneNumber: { status: string } }).phoneNumber.status, "RELEASED");
    assert.ok(!(await carrier.listNumbers()).some((n) => n.e164 === bought.phoneNumber.e164), "the carrier no longer has it");
  });

  test("bulk orders: per-item results, idempotent as a whole, and each shortage strategy", async () => {
    const org = await createOrganization("bulk");
    const first = await org.client.data(ProvisionMany, { input: { areaCode: "713", quantity: 3, idempotencyKey: "bulk-1" } });
    const batch = success(first.provisionPhoneNumbers, "ProvisionPhoneNumbersSuccess") as { provisionedCount: number; results: Array<{ phoneNumber: { id: string; e164: string } | null }> };
    assert.equal(batch.provisionedCount, 3);
    assert.equal(new Set(batch.results.map((r) => r.phoneNumber?.e164)).size, 3);
    const again = success((await org.client.data(ProvisionMany, { input: { areaCode: "713", quantity: 3, idempotencyKey: "bulk-1" } })).provisionPhoneNumbers, "ProvisionPhoneNumbersSuccess") as typeof batch;
    assert.deepEqual(again.results.map((r) => r.phoneNumber?.id), batch.results.map((r) => r.phoneNumber?.id), "repeating the call buys nothing more");

    const fail = await org.client.data(ProvisionMany, { input: { areaCode: "917", quantity: 2, idempotencyKey: "bulk-2", shortageStrategy: "FAIL" } });
    assert.equal((success(fail.provisionPhoneNumbers, "CarrierError") as { reason: string }).reason, "NO_NUMBERS_AVAILABLE");
    const fallback = success((await org.client.data(ProvisionMany, { input: { areaCode: "917", quantity: 2, idempotencyKey: "bulk-3", shortageStrategy: "FALLBACK" } })).provisionPhoneNumbers, "ProvisionPhoneNumbersSuccess") as { results: Array<{ areaCodeFallback: boolean }> };
    assert.deepEqual(fallback.results.map((r) => r.areaCodeFallback), [true, true]);
    const available = success((await org.client.data(ProvisionMany, { input: { areaCode: "917", quantity: 2, idempotencyKey: "bulk-4", shortageStrategy: "AVAILABLE" } })).provisionPhoneNumbers, "ProvisionPhoneNumbersSuccess") as { provisionedCount: number; results: Array<{ error: { code: string; reason?: string | null } | null }> };
    assert.equal(available.provisionedCount, 0);
    assert.deepEqual(available.results.map((r) => r.error?.reason), ["NO_NUMBERS_AVAILABLE", "NO_NUMBERS_AVAILABLE"]);
    const { prisma } = (await getEnvironment()).switchboard.database;
    assert.equal(await prisma.phoneNumber.count({ where: { organizationId: org.id } }), 5);
  });
});
